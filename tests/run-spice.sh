#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# display = spice, qemu-vm viewer and run --maintenance with a real QEMU (TCG) under qemu-vm run,
# as an unprivileged test user: QMP's query-spice names the socket in the run directory, the
# vdagent port is there, a SPICE link handshake on the socket is answered, the socket is gone
# after the run; viewer starts stand-in clients (the real ones are GUI programs) with the right
# arguments; check's SPICE probe; --maintenance starts a passthrough profile that run refuses
# here, to OVMF's UEFI shell, with virtio-vga and no vfio-pci.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
QVM=$PWD/$B/qemu-vm
. tests/testlib.sh
require_tools "Debian: apt-get install qemu-system-x86 python3" qemu-system-x86_64 python3
require_built "$QVM"
# QEMU exits 1 after listing the keys too: what it lists tells.
if ! qemu-system-x86_64 -spice help 2>/dev/null | grep -q '^spice options:'; then
	echo "SKIP: this QEMU has no SPICE (Debian's qemu-system-x86 has)"
	exit 77
fi

T=$(mktemp -d /tmp/qvm-spice.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for f in "$T"/run/qemu-vm/*/state; do
		[ -e "$f" ] && kill -9 "$(sed -n 's/^qemu=//p' "$f")" 2>/dev/null
	done
	rm -f "/dev/shm/qvm-spice-lg-$$"
	test_user_del
	rm -rf "$T"
}
trap cleanup EXIT

if [ "$(id -u)" -eq 0 ]; then
	if ! test_user_add qvmspc$$ "$T/home"; then
		echo "SKIP: cannot create a test user"
		exit 77
	fi
	QVM=$(runnable_by "$user" "$QVM" "$T/prog") || { echo "FAIL a copy of qemu-vm for the test user"; exit 1; }
else
	echo "note: not root: the VMs run as ourselves"
fi
P=$T/home/.config/qemu-vm
mkdir -p "$P" "$T/run" "$T/bin" "$T/nobin"
chmod 700 "$T/run"

# Stand-in clients: each records its argv, one word a line, and exits.
for c in remote-viewer looking-glass-client; do
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" > %s/home/%s.argv\n' "$T" "$c" > "$T/bin/$c"
	chmod 755 "$T/bin/$c"
done
# A QEMU built without SPICE, as far as check can tell: it refuses the option group.
printf '#!/bin/sh\n[ "$1" = -spice ] && { echo "qemu: -spice help: There is no option group '"'spice'"'" >&2; exit 1; }\nexit 0\n' > "$T/bin/qemu-nospice"
chmod 755 "$T/bin/qemu-nospice"

path=$T/bin:/usr/bin:/bin
user_env() {
	envs=(HOME="$T/home" XDG_RUNTIME_DIR="$T/run" PATH="$path"
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}")
}

vm() { # vm NAME FIRMWARE [LINE...]: a small TCG profile, the lines appended
	local name=$1 fw=$2
	shift 2
	{
		printf '[vm]\nmemory = 256M\ncpus = 1\naccel = tcg\ncpu = qemu64\nhyperv = off\n'
		printf 'firmware = %s\nshutdown-timeout = 1\n' "$fw"
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$P/$name.ini"
}
vm sp bios 'display = spice' '[network]' 'mode = none' '[input]' 'pointer = none'
vm lgsp bios 'display = spice' '[network]' 'mode = none' '[input]' 'pointer = ps2' \
	'[looking-glass]' "path = /dev/shm/qvm-spice-lg-$$" 'size = 2M'
vm plain bios 'display = none' '[network]' 'mode = none' '[input]' 'pointer = none'
vm nospice bios 'display = spice' "qemu = $T/bin/qemu-nospice" '[network]' 'mode = none'
# What run refuses on this host (no such GPU, memlock, evdev), and --maintenance leaves out.
vm mnt uefi 'console = stdio' 'display = none' '[pci gpu]' 'host = 01:00.0' '[looking-glass]' 'size = 32M' \
	"path = /dev/shm/qvm-spice-lg-$$-mnt" '[input]' 'keyboard = /dev/input/by-id/qvm-test-no-such-kbd' \
	'[network]' 'mode = none'
[ -n "$user" ] && chown -R "$user:" "$T/home" "$T/run"

spid=""
stop_vm() { # stop_vm NAME: SIGTERM to the supervisor (quit after 1 s), waiting for its exit
	kill -TERM "$spid"
	for _ in $(seq 600); do
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$spid" 2>/dev/null
	run_dir_empty "$1" && ok "$1: nothing left in the run directory after the run (spice.sock removed)" ||
		bad "$1: run directory after the run: $(ls -A "$T/run/qemu-vm/$1")"
}

# The SPICE server, seen by QMP and by a SPICE client's first message; remote-viewer for it.
if start_vm sp; then
	sock=$T/run/qemu-vm/sp/spice.sock
	out=$(python3 tests/qemu/spicecheck.py "$T/run/qemu-vm/sp/qmp.sock" "$sock" 2>&1)
	[ $? -eq 0 ] && ok "sp: $(paste -sd';' <<<"$out")" || bad "sp: $out"
	out=$(as_user "$QVM" viewer sp 2>&1)
	rc=$?
	[ $rc -eq 0 ] && [ "$(cat "$T/home/remote-viewer.argv" 2>/dev/null)" = "spice+unix://$sock" ] &&
		ok "viewer sp: remote-viewer spice+unix://…/sp/spice.sock" ||
		bad "viewer sp (exit $rc): $out; argv: $(cat "$T/home/remote-viewer.argv" 2>/dev/null)"
	path=$T/nobin:/usr/bin:/bin
	out=$(as_user "$QVM" viewer sp 2>&1)
	rc=$?
	path=$T/bin:/usr/bin:/bin
	[ $rc -eq 1 ] && [ "$out" = "qemu-vm: 'remote-viewer' is not on PATH (hint: sudo apt-get install virt-viewer  (dnf install virt-viewer, pacman -S virt-viewer))" ] &&
		ok "viewer without the client: its package, exit 1" || bad "viewer without remote-viewer (exit $rc): $out"
	stop_vm sp
fi
out=$(as_user "$QVM" viewer sp 2>&1)
rc=$?
[ $rc -eq 1 ] && [ "$out" = "qemu-vm: sp is not running (qemu-vm run sp starts it)" ] &&
	ok "viewer of a VM that is not running: exit 1, how to start it" || bad "viewer, not running (exit $rc): $out"
out=$(as_user "$QVM" viewer plain 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "^qemu-vm: plain has nothing for a viewer: display = none" <<<"$out" &&
	ok "viewer of a profile without SPICE or Looking Glass: exit 1, says why" || bad "viewer plain (exit $rc): $out"

# Looking Glass: its client gets the shared memory file and the SPICE socket (port 0: a path).
rm -f "$T/home/looking-glass-client.argv"
if start_vm lgsp; then
	as_user "$QVM" viewer lgsp > "$T/viewer.out" 2>&1
	rc=$?
	want=$(printf '%s\n' -f "/dev/shm/qvm-spice-lg-$$" -c "$T/run/qemu-vm/lgsp/spice.sock" -p 0)
	[ $rc -eq 0 ] && [ "$(cat "$T/home/looking-glass-client.argv" 2>/dev/null)" = "$want" ] &&
		ok "viewer lgsp: looking-glass-client -f /dev/shm/… -c …/lgsp/spice.sock -p 0" ||
		bad "viewer lgsp (exit $rc): $(cat "$T/viewer.out"); argv: $(cat "$T/home/looking-glass-client.argv" 2>/dev/null)"
	stop_vm lgsp
fi

# check asks QEMU (once, cached) whether it has SPICE; a user's check runs the probe.
out=$(as_user "$QVM" check sp 2>&1)
grep -qx "ok    display: QEMU has SPICE, on $T/run/qemu-vm/sp/spice.sock" <<<"$out" &&
	ok "check: this QEMU has SPICE" || bad "check sp: $out"
out=$(as_user "$QVM" check nospice 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -qx "FAIL  display: $T/bin/qemu-nospice has no SPICE server (-spice help: no such option)" <<<"$out" &&
	grep -q "^      fix: install a QEMU built with SPICE" <<<"$out" &&
	ok "check: a QEMU without SPICE fails, with the fix" || bad "check nospice (exit $rc): $out"

# --maintenance: run refuses the passthrough profile here; its maintenance form reaches the
# UEFI shell with a virtio-vga display, a USB tablet, and none of what it leaves out.
out=$(as_user "$QVM" run mnt 2>&1 < /dev/null)
rc=$?
[ $rc -eq 1 ] && grep -q "^qemu-vm: mnt not started" <<<"$out" && ok "run mnt is refused on this host" ||
	bad "run mnt (exit $rc): $out"
out=$(as_user "$QVM" check --maintenance mnt 2>&1)
rc=$?
[ $rc -eq 0 ] && ! grep -qi "vfio\|memlock\|looking-glass\|\[input\]" <<<"$out" &&
	ok "check --maintenance mnt: ready, nothing about VFIO, memlock, Looking Glass or evdev" ||
	bad "check --maintenance mnt (exit $rc): $out"
if start_vm mnt --maintenance; then
	for _ in $(seq 3000); do
		grep -q "Shell>" "$T/mnt.out" && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "Shell>" "$T/mnt.out" && ok "run --maintenance mnt: OVMF reaches the UEFI shell" ||
		bad "run --maintenance mnt: no UEFI shell: $(tail -c 600 "$T/mnt.out")"
	out=$(python3 -c 'import sys; sys.path.insert(0, "tests/qemu"); from qmp import QMP
q = QMP(sys.argv[1], timeout=15)
for b in q.cmd("query-pci"):
    for d in b["devices"]:
        print("pci %04x:%04x class %04x %s" % (d["id"]["vendor"], d["id"]["device"], d["class_info"]["class"], d["qdev_id"]))
for p in q.cmd("qom-list", path="/machine/peripheral"):
    if p["type"].startswith("child<"):
        print("dev %s %s" % (p["name"], p["type"][6:-1]))
for p in q.cmd("qom-list", path="/objects"):
    if p["type"].startswith("child<"):
        print("obj %s %s" % (p["name"], p["type"][6:-1]))' "$T/run/qemu-vm/mnt/qmp.sock" 2>&1)
	grep -q "^pci 1af4:1050 class 0300 vga0$" <<<"$out" && grep -q "^dev pointer usb-tablet$" <<<"$out" &&
		! grep -q "vfio-pci\|ivshmem\|input-linux\|memory-backend-file" <<<"$out" &&
		ok "run --maintenance mnt: QMP shows virtio-vga (class 0300) and a USB tablet, no vfio-pci, ivshmem or evdev" ||
		bad "run --maintenance mnt, QMP: $out"
	[ -S "$T/run/qemu-vm/mnt/spice.sock" ] && ok "… its display on SPICE, outside a desktop session" ||
		bad "run --maintenance mnt: no spice.sock: $(ls -A "$T/run/qemu-vm/mnt")"
	stop_vm mnt
fi

summary run-spice
