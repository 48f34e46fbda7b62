/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu-vm viewer: the client that opens a running VM (Looking Glass, or a SPICE viewer). */
#pragma once

#include "profile.h"

/* The client program for @p: looking-glass-client with [looking-glass], remote-viewer with
 * display = spice, else NULL (nothing to view: a window of QEMU's own, or none). */
const char *viewer_client(const struct profile *p);
/* The command that installs @client. */
const char *viewer_package_hint(const char *client);
