#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Rewrites the expected trees and pinned outputs of tests/run-setup.sh; review the diff after.
set -eu
cd "$(dirname "$0")/../.."
B=${B:-build}
. tests/setup/args.sh
[ "$(id -u)" = 0 ] || { echo "run as root: the expected manifests record owner 0:0" >&2; exit 1; }
for s in $SEEDS; do
	t=$(mktemp -d)
	seed_copy "$s" "$t/root"
	# shellcheck disable=SC2046
	"$B/vfio-setup" install --root "$t/root" $(seed_args "$s") --dry-run >"tests/setup/pinned/$s-dry-run.txt"
	# shellcheck disable=SC2046
	"$B/vfio-setup" install --root "$t/root" $(seed_args "$s") >/dev/null
	rm -rf "tests/setup/expected/$s"
	cp -a "$t/root" "tests/setup/expected/$s"
	"$B/vfio-setup" uninstall --root "$t/root" --dry-run >"tests/setup/pinned/$s-uninstall-dry-run.txt"
	rm -rf "$t"
done
