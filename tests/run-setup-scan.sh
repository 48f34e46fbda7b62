#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vfio-setup scan and install --dry-run --device on the launcher's fake host trees, pinned.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
VS=$PWD/$B/vfio-setup
P=tests/setup/pinned
[ -x "$VS" ] || { echo "SKIP: $VS not built (make B=$B)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 needed to build the fake host trees"; exit 77; }

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
tests/hosts/build-all.sh "$W/hosts" >"$W/build.log" 2>&1 || {
	cat "$W/build.log"
	echo "FAIL: tests/hosts/build-all.sh"
	exit 1
}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
check() { # name file: compare with the pinned copy (REGEN=1 rewrites it)
	if [ "${REGEN:-}" = 1 ]; then cp "$2" "$P/$1"; fi
	if diff -u "$P/$1" "$2"; then ok "$1"; else fail "$1"; fi
}

# The host trees carry no /proc/cpuinfo; both machines are Intel (Skylake i7, Kaby Lake i5).
for h in desktop laptop broken bench; do
	mkdir -p "$W/hosts/$h/proc"
	printf 'processor\t: 0\nvendor_id\t: GenuineIntel\n\n' >"$W/hosts/$h/proc/cpuinfo"
done

for h in desktop laptop broken; do
	"$VS" scan --root "$W/hosts/$h" >"$W/scan-$h.txt" 2>&1 || fail "scan $h exited $?"
	check "scan-$h.txt" "$W/scan-$h.txt"
done
"$VS" scan --root "$W/hosts/desktop" --json >"$W/scan-desktop.json" || fail "scan --json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); g=[x for x in d["gpus"] if x["address"]=="01:00.0"][0]; sys.exit(0 if g["viable"] and g["group"]==1 else 1)' \
	"$W/scan-desktop.json" && ok "scan --json parses; 01:00.0 viable in group 1" || fail "scan --json content"
check scan-desktop.json "$W/scan-desktop.json"

# install --dry-run --device 01:00.0, with a Debian system's /etc on each host tree.
for h in desktop laptop; do
	cp -a tests/setup/seeds/debian/etc tests/setup/seeds/debian/usr tests/setup/seeds/debian/var "$W/hosts/$h/"
	"$VS" install --root "$W/hosts/$h" --device 01:00.0 --dry-run \
		>"$W/install-$h-device.txt" 2>&1 || fail "install --dry-run on $h exited $?"
	check "install-$h-device.txt" "$W/install-$h-device.txt"
done

# A GPU sharing its group with another endpoint is refused, naming the device.
if ! "$VS" install --root "$W/hosts/broken" --device 01:00.0 --dry-run >"$W/out" 2>&1 &&
	grep -q "IOMMU group 1 also holds 0000:00:17.0" "$W/out"; then
	ok "broken: a group shared with 00:17.0 is refused"
else fail "broken: group check"; cat "$W/out"; fi
# Identical cards: ids= would take the others from the host too.
if ! "$VS" install --root "$W/hosts/bench" --device 3d:00.0 --dry-run >"$W/out" 2>&1 &&
	grep -q "would also take 0000:3e:00.0 away from the host" "$W/out"; then
	ok "bench: an ID shared with other cards is refused"
else fail "bench: id collision"; cat "$W/out"; fi

# A lone function (the chipset's NIC, 00:1f.6) comes alone, and vfio-pci is made to load before
# the module its driver comes from (e1000e), not only before the usual GPU drivers.
if "$VS" install --root "$W/hosts/desktop" --device 00:1f.6 --dry-run >"$W/out" 2>&1 &&
	grep -qx '+options vfio-pci ids=8086:15b8' "$W/out" && grep -qx '+softdep e1000e pre: vfio-pci' "$W/out"; then
	ok "desktop: --device 00:1f.6 takes that function only, softdep on its driver's module"
else fail "lone function / softdep"; cat "$W/out"; fi

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
exit 0
