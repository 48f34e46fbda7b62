#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds every fake host tree (tests/hosts/*.spec) into OUTDIR/<name>/, from scratch each time.
set -euo pipefail
if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
out=$1
mkdir -p "$out"
specs=()
for spec in "$here"/*.spec; do
	name=$(basename "$spec" .spec)
	rm -rf -- "${out:?}/$name"
	specs+=("$spec")
done
exec python3 -S "$here/mkhost.py" -o "$out" "${specs[@]}"
