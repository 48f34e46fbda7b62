#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The hash of what the image is built from: a change here means a rebuild.
cd "$(dirname "$0")" && find build-image.sh recipe-hash.sh image -type f | LC_ALL=C sort |
	xargs sha256sum | sha256sum | cut -d' ' -f1
