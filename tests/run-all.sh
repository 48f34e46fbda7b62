#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every test: the Check unit tests, then each tests/run-*.sh suite; prints one closing line.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
export B
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CK_VERBOSITY=${CK_VERBOSITY:-normal}
# PCI names in the pinned outputs come from pci.ids, also on a machine with udev's hwdb.
[ -e /usr/share/misc/pci.ids ] && export QEMU_VM_PCI_IDS=${QEMU_VM_PCI_IDS:-/usr/share/misc/pci.ids}

pass=0 fail=0 skip=0
failed=()
for t in "$B"/tests/test-*; do
	[ -x "$t" ] || continue
	case "$t" in *.d | *.o) continue ;; esac
	echo "== $t"
	if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("$t"); fi
done
for s in tests/run-*.sh; do
	[ "$s" = tests/run-all.sh ] && continue
	echo "== $s"
	"$s"
	rc=$?
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)); echo "SKIP: $s" ;;
	*) fail=$((fail + 1)); failed+=("$s") ;;
	esac
done
for f in "${failed[@]}"; do echo "FAILED: $f"; done
echo "suites: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
