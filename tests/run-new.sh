#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-vm new against fake hosts (tests/new/*.spec: the desktop and laptop hosts with monitors):
# the profiles it writes, their show and check output, pinned in tests/golden/new@*; what it
# refuses (an existing profile or disk, a group that is not viable, a choice of GPUs, a bad
# name), and the qcow2 image it makes. UPDATE=1 rewrites the golden files.
set -u
cd "$(dirname "$0")/.."
. tests/testlib.sh
B=${B:-build}
require_tools "apt-get install python3" python3
T=$(mktemp -d /tmp/qvm-new.XXXXXX)
trap 'rm -rf "$T"' EXIT
python3 -S tests/hosts/mkhost.py -o "$T/hosts" tests/new/*.spec tests/hosts/broken.spec >"$T/mkhost.log" 2>&1 ||
	{ echo "FAIL building the fake hosts: $(cat "$T/mkhost.log")"; exit 1; }
mkdir -p "$T/home/vm"
echo iso >"$T/home/vm/Win11.iso"
echo iso >"$T/home/vm/virtio-win.iso"
cfg=$T/home/.config/qemu-vm

qvm() { # qvm HOST ARGS...: the launcher in a fixed environment, in the user's home
	local host=$1
	shift
	(cd "$T/home" && env -i HOME="$T/home" USER=alice XDG_RUNTIME_DIR=/run/user/1000 XDG_CACHE_HOME="$T/cache" \
		PATH=/usr/bin:/bin ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
		"$OLDPWD/$B/qemu-vm" --host-root "$T/hosts/$host" --allow-root "$@" 2>&1)
}
run() { # run HOST ARGS...: qvm's output and its exit status, $T shown as @T@
	qvm "$@"
	echo "exit $?"
}
tree() { (cd "$cfg" 2>/dev/null && ls -A | tr '\n' ' '); }

# The desktop: the GTX 1070 (the GPU that is not the boot GPU), Looking Glass for the 1440p
# monitor; its check passes.
compare new@desktop.out < <(run new-desktop new desktop)
compare new@desktop.ini <"$cfg/desktop.ini"
compare new@desktop.argv < <(run new-desktop show desktop)
compare new@desktop.check < <(run new-desktop check desktop)

# The Optimus laptop, with a new qcow2 image, an installer and the drivers; options after NAME.
have_img=false
command -v qemu-img >/dev/null && have_img=true
if $have_img; then
	compare new@laptop.out < <(run new-laptop new laptop --disk vm/win.qcow2:64G --iso vm/Win11.iso \
		--virtio-iso "$T/home/vm/virtio-win.iso" --windows 11)
	compare new@laptop.ini <"$cfg/laptop.ini"
	compare new@laptop.argv < <(run new-laptop show laptop)
	compare new@laptop.check < <(run new-laptop check laptop)
	info=$(qemu-img info "$T/home/vm/win.qcow2" 2>&1)
	grep -q '^file format: qcow2' <<<"$info" && grep -q '^virtual size: 64 GiB (68719476736 bytes)' <<<"$info" &&
		ok "--disk vm/win.qcow2:64G made a 64G qcow2" || bad "qemu-img info: $info"
	# Another profile may not take the image over by making it anew.
	sum=$(md5sum <"$T/home/vm/win.qcow2")
	out=$(qvm new-laptop new other --disk "$T/home/vm/win.qcow2:32G")
	[ $? -eq 1 ] && grep -q "win.qcow2 exists; new never overwrites a disk" <<<"$out" &&
		[ "$(md5sum <"$T/home/vm/win.qcow2")" = "$sum" ] && [ ! -e "$cfg/other.ini" ] &&
		ok "--disk over an existing image: refused, image and profiles unchanged" || bad "--disk over an image: $out"
	# Without SIZE the image is only named.
	out=$(qvm new-laptop new other --disk vm/win.qcow2)
	[ $? -eq 0 ] && grep -qx "path = $T/home/vm/win.qcow2" "$cfg/other.ini" &&
		[ "$(md5sum <"$T/home/vm/win.qcow2")" = "$sum" ] && ok "--disk PATH: named as it is" || bad "--disk PATH: $out"
	rm -f "$cfg/other.ini"
else
	echo "note: qemu-img is not installed (Debian: qemu-utils): the laptop profile with a new image is not tested"
fi

# Never over an existing profile: exit 1, the file as it was, no temporary file left.
cp "$cfg/desktop.ini" "$T/before"
before=$(tree)
out=$(qvm new-desktop new desktop)
rc=$?
[ $rc -eq 1 ] && grep -q "desktop.ini exists; new never overwrites a profile (pick another name, or rm " <<<"$out" &&
	cmp -s "$T/before" "$cfg/desktop.ini" && [ "$(tree)" = "$before" ] &&
	ok "an existing profile: refused, unchanged" || bad "an existing profile (rc=$rc): $out"

# The host before vfio-setup: check fails only on what the install sets up, and new names it.
compare new@fresh.out < <(run new-fresh new fresh)
# Each FAIL line is followed by its fix, and each of those fixes is the vfio-setup install.
fails=$(qvm new-fresh check fresh | grep -A1 '^FAIL')
n_fail=$(grep -c '^FAIL' <<<"$fails")
n_fix=$(grep -c '^      fix: sudo vfio-setup install' <<<"$fails")
if [ "$n_fail" -gt 0 ] && [ "$n_fix" -eq "$n_fail" ] && ! grep '^      fix:' <<<"$fails" | grep -qv 'sudo vfio-setup install'; then
	ok "before vfio-setup: every FAIL of check is fixed by vfio-setup install"
else
	bad "before vfio-setup, check fails on other things: $fails"
fi
grep -qx "  sudo vfio-setup install --user alice --profile $cfg/fresh2.ini, then reboot" < <(qvm new-fresh new fresh2) &&
	ok "new prints the one vfio-setup install for its profile" || bad "no vfio-setup install line"

# A group with a device on a host driver: nothing written, the device named.
compare new@broken.out < <(run broken new broken)
[ ! -e "$cfg/broken.ini" ] && ok "not viable: no profile" || bad "not viable: $cfg/broken.ini written"

# Two GPUs the guest could take: new asks; --gpu picks, by slot or by full address, again for another.
compare new@twogpu.out < <(run new-twogpu new two)
[ ! -e "$cfg/two.ini" ] && ok "two GPUs: no profile" || bad "two GPUs: $cfg/two.ini written"
out=$(qvm new-twogpu new two --gpu 02:00 --gpu 0000:01:00.0)
[ $? -eq 0 ] && [ "$(grep -c '^host = ' "$cfg/two.ini")" -eq 2 ] && grep -qx 'host = 02:00.0 .*' "$cfg/two.ini" &&
	qvm new-twogpu show two >/dev/null && ok "--gpu 02:00 --gpu 0000:01:00.0: both cards" || bad "two --gpu: $out"

# Usage errors: exit 2, nothing written.
before=$(tree)
for args in "new" "new a b" "new a.b" "new ../x" "new -- -x" "new --gpu 1:2:3:4 x" "new --disk w.qcow2:64Q x" "new --windows 10 x" \
	"new $(printf 'x%.0s' {1..33})"; do
	# shellcheck disable=SC2086
	out=$(qvm new-desktop $args)
	rc=$?
	[ $rc -eq 2 ] && grep -q "^usage: qemu-vm new" <<<"$out" && [ "$(tree)" = "$before" ] &&
		ok "qemu-vm $args: usage error, nothing written" || bad "qemu-vm $args (rc=$rc): $out"
done

summary run-new
