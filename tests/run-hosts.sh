#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the fake host trees and checks them with the real lspci against tests/hosts/expected.
#
#   tests/run-hosts.sh             build into ${B:-build}/hosts and compare
#   tests/run-hosts.sh --update    rewrite the expected files (desktop.groups excepted: it is
#                                  the real machine's listing, the trees must follow it)
#
# Names come from whatever pci.ids the machine has, so the listings are numeric (-i /dev/null), and the
# IOMMU group listings are compared with vendor and device names left out. The -vv listings
# depend on the lspci version and are compared only with the version that wrote them.
set -u
shopt -s lastpipe # check, at the end of a pipeline, counts failures in this shell
cd "$(dirname "$0")/.."
export LC_ALL=C
B=${B:-build}
out=$B/hosts
exp=tests/hosts/expected
update=false
[ "${1:-}" = --update ] && update=true

for tool in python3 lspci md5sum; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is not installed (Debian: apt-get install python3 pciutils coreutils)"
		exit 77
	fi
done
if ! lspci -A help 2>&1 | grep -q linux-sysfs; then
	echo "SKIP: this lspci has no linux-sysfs access method"
	exit 77
fi

fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# Runs lspci on tree $1; libkmod's complaint about a machine without modules is not an error.
lspci_tree() {
	local tree=$1 err
	shift
	err=$(mktemp)
	lspci -A linux-sysfs -O "sysfs.path=$tree/sys/bus/pci" -O hwdb.disable=1 "$@" 2>"$err"
	local rc=$?
	if grep -v 'Unable to load libkmod resources' "$err" >&2; then rc=1; fi
	rm -f "$err"
	return $rc
}

# The well-known loop over sys/kernel/iommu_groups, with one lspci call instead of one per device.
groups_of() {
	local tree=$1 g d bdf
	declare -A line
	while IFS= read -r l; do
		line[${l%% *}]=${l#0000:}
	done < <(lspci_tree "$tree" -D -nn)
	for g in $(ls "$tree/sys/kernel/iommu_groups" | sort -n); do
		for d in "$tree/sys/kernel/iommu_groups/$g/devices/"*; do
			bdf=${d##*/}
			echo "IOMMU Group $g ${line[$bdf]:-$bdf MISSING FROM LSPCI}"
		done
	done
}

# "… VGA compatible controller [0300]: NVIDIA Corporation GP104 [GeForce GTX 1070] [10de:1b81] …"
# loses the names between the class and the IDs; comments and blank lines go.
strip_names() {
	grep -v -e '^#' -e '^$' | sed -E 's/(\[[0-9a-f]{4}\]): .* (\[[0-9a-f]{4}:[0-9a-f]{4}\])/\1: \2/'
}

# Every path of a tree: directories, links with their targets, sockets, files with a checksum
# (only the size for big sparse files).
manifest() {
	(
		cd "$1" || exit 1
		find . -mindepth 1 -type d -printf '%P d\n'
		find . -type l -printf '%P l %l\n'
		find . -type s -printf '%P s\n'
		find . -type f -size +1048575c -printf '%P f size=%s\n'
		find . -type f -size -1048576c -print0 | xargs -0 -r md5sum | sed -E 's|^([0-9a-f]+)  \./(.*)$|\2 f \1|'
	) | sort
}

# Compares (or with --update, writes) expected file $1 with standard input.
check() {
	local name=$1 what=$2
	if $update; then
		cat >"$exp/$name"
		return
	fi
	if [ ! -f "$exp/$name" ]; then
		fail "$exp/$name is missing (tests/run-hosts.sh --update writes it)"
		cat >/dev/null
		return
	fi
	if ! diff -u "$exp/$name" - >"$out/$name.diff"; then
		fail "$what differs from $exp/$name:"
		head -n 40 "$out/$name.diff"
	fi
}

mkdir -p "$out" || exit 1
t0=$(date +%s%N)
if ! tests/hosts/build-all.sh "$out"; then
	echo "FAIL: tests/hosts/build-all.sh $out"
	exit 1
fi
ms=$((($(date +%s%N) - t0) / 1000000))
echo "built $(ls "$out" | grep -cv '\.') host trees in $ms ms"
[ "$ms" -lt 1000 ] || echo "note: building took ${ms} ms, more than the 1 s it should"

# The same specs give the same trees, and building over a tree replaces it.
for h in desktop bench; do manifest "$out/$h" >"$out/$h.first"; done
tests/hosts/build-all.sh "$out" || fail "second build"
for h in desktop bench; do
	manifest "$out/$h" | diff -q "$out/$h.first" - >/dev/null || fail "$h: a second build differs"
done

version=$(lspci --version | sed 's/.* //')
$update && echo "$version" >"$exp/lspci-version"
same_lspci=false
[ "$version" = "$(cat "$exp/lspci-version" 2>/dev/null)" ] && same_lspci=true
$same_lspci || echo "note: lspci $version wrote no expected -vv listing ($(cat "$exp/lspci-version")): not compared"

for tree in "$out"/*/; do
	tree=${tree%/}
	h=${tree##*/}

	# No dangling link anywhere: libpci and the programs resolve them with realpath.
	dangling=$(find "$tree" -xtype l | head -n 5)
	[ -z "$dangling" ] || fail "$h: dangling links: $dangling"
	[ "$h" = broken ] || [ -c "$tree/dev/vfio/vfio" ] || fail "$h: dev/vfio/vfio is not a character device"

	lspci_tree "$tree" -i /dev/null -tvn | check "$h.tree" "$h: lspci -tvn"
	groups_of "$tree" | strip_names | check "$h.groups" "$h: IOMMU groups"
	[ "$h" = bench ] && continue
	lspci_tree "$tree" -i /dev/null -D -vmm -n -k | check "$h.lspci" "$h: lspci -D -vmm -n -k"
	manifest "$tree" | check "$h.files" "$h: the tree's files"
	if $same_lspci && { [ "$h" = desktop ] || [ "$h" = laptop ]; }; then
		lspci_tree "$tree" -i /dev/null -vv -n -k | check "$h.vv" "$h: lspci -vv -n -k"
	fi
done

# The desktop is the machine of its real listing, names aside.
if ! $update; then
	groups_of "$out/desktop" | strip_names | diff -u <(strip_names <"$exp/desktop-gtx1070.txt") - ||
		fail "desktop: IOMMU groups differ from the machine's listing ($exp/desktop-gtx1070.txt)"
fi

n=$(lspci_tree "$out/bench" | wc -l)
[ "$n" -eq 256 ] || fail "bench: $n PCI functions, expected 256"

# What each host is for, checked where lspci does not look.
t=$out/desktop
[ -S "$t/run/user/1000/pulse/native" ] && [ -S "$t/run/user/1000/pipewire-0" ] ||
	fail "desktop: no pulse or pipewire socket"
[ "$(stat -c %s "$t/dev/shm/looking-glass")" -eq $((64 << 20)) ] || fail "desktop: dev/shm/looking-glass"
[ -c "$t/dev/vfio/1" ] && [ ! -e "$t/dev/kvmfr0" ] || fail "desktop: dev/vfio/1 or dev/kvmfr0"
grep -q '^Max locked memory         18253611008          18253611008          bytes     $' \
	"$t/proc/self/limits" || fail "desktop: memlock row"
[ "$("$t/usr/bin/qemu-system-x86_64" -audiodev help | grep -cx 'pa\|pipewire')" -eq 2 ] &&
	[ -z "$("$t/usr/bin/qemu-system-x86_64" -S)" ] || fail "desktop: QEMU with pa and pipewire"
t=$out/broken
[ ! -e "$t/dev/vfio/1" ] && [ ! -e "$t/dev/vfio/vfio" ] && [ ! -e "$t/run/user/1000/pulse/native" ] && [ ! -e "$t/run/user/1000/pipewire-0" ] &&
	[ ! -e "$t/sys/bus/usb/devices/1-4" ] && [ ! -e "$t/usr/bin/qemu-system-x86_64" ] ||
	fail "broken: vfio nodes, a sound socket, 1-4 or QEMU present"
t=$out/laptop
[ -c "$t/dev/kvmfr0" ] && [ -c "$t/dev/vfio/1" ] && [ ! -e "$t/dev/shm/looking-glass" ] ||
	fail "laptop: dev/kvmfr0, dev/vfio/1 or dev/shm"
"$t/usr/bin/qemu-system-x86_64" -audiodev help | grep -qx pa &&
	! "$t/usr/bin/qemu-system-x86_64" -audiodev help | grep -qx pipewire || fail "laptop: QEMU without pipewire"

if [ "$fails" -ne 0 ]; then
	echo "run-hosts: $fails failures"
	exit 1
fi
$update && echo "expected files written to $exp" || echo "run-hosts: all host trees as expected"
exit 0
