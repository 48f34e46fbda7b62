#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-vm usb attach|detach against a real QEMU that qemu-vm run itself started and supervises
# (SeaBIOS without a disk keeps it up): the ids the plan gives at start, checked by this script
# over its own QMP connection, not through qemu-vm; refusals, usage errors and a VM without a
# USB controller.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
QVM=$PWD/$B/qemu-vm

. tests/testlib.sh
require_tools "Debian: apt-get install qemu-system-x86 python3" qemu-system-x86_64 python3
require_built "$QVM"

T=$(mktemp -d /tmp/qvm-usb.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

# usb only talks to a socket in the caller's own XDG_RUNTIME_DIR, to a QEMU the caller started;
# past the refusal of root nothing in it depends on who runs it. So as root the refusal is
# tested once, and the rest runs with --allow-root instead of as a test user.
A=()
if [ "$(id -u)" -eq 0 ]; then
	A=(--allow-root)
else
	echo "note: not root: the refusal of root is not tested in this run"
fi

# The launcher in the test home, with nothing else from our environment.
QVM_ENV=(env -i HOME="$T/home" XDG_RUNTIME_DIR="$T/run" PATH=/usr/bin:/bin
	ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "$QVM" "${A[@]}")
qvm() { "${QVM_ENV[@]}" "$@"; }

P=$T/home/.config/qemu-vm
mkdir -p "$P" "$T/run"
chmod 700 "$T/run"
# No such device is plugged in anywhere: QEMU takes a usb-host it cannot find and waits for it.
# missing = skip leaves f00d:cafe (entry 1) out at start, so attach adds it with the plan's id.
vm_head='[vm]
memory = 128M
cpus = 1
accel = tcg
cpu = qemu64
firmware = bios
display = none
shutdown-timeout = 1
[network]
mode = none'
printf '%s\n[usb]\nport = 1-4\ndevice = f00d:cafe\nport = 2-1.3\nmissing = skip\n' "$vm_head" > "$P/usbvm.ini"
printf '%s\n[input]\npointer = ps2\n' "$vm_head" > "$P/noxhci.ini"
printf '%s\n[usb]\nport = 1-4\n' "$vm_head" > "$P/ghost.ini"

start_vm() { # start_vm NAME: qemu-vm run NAME in the background, the VM's supervisor
	local sock=$T/run/qemu-vm/$1/qmp.sock
	# Not through qvm(): a function in the background is a subshell, and $! would be it.
	"${QVM_ENV[@]}" run "$1" > "$T/$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		[ -S "$sock" ] && return 0
		kill -0 $! 2>/dev/null || break
		sleep 0.1
	done
	bad "qemu-vm run $1 did not bring up QMP: $(cat "$T/$1.log")"
	return 1
}

qmp() { # qmp NAME PY-EXPRESSION: evaluated with q connected to NAME's QMP socket; prints the result
	python3 - "$T/run/qemu-vm/$1/qmp.sock" "$2" <<'PY'
import sys
sys.path.insert(0, "tests/qemu")
from qmp import QMP
q = QMP(sys.argv[1])
ids = lambda: " ".join(sorted(c["name"] for c in q.cmd("qom-list", path="/machine/peripheral")
                              if c["type"].startswith("child<")))
prop = lambda id, name: q.cmd("qom-get", path="/machine/peripheral/" + id, property=name)
print(eval(sys.argv[2]))
PY
}
ids() { qmp "$1" 'ids()'; }

check() { # check DESCRIPTION RC WANT-RC OUT [GREP-PATTERN...]: exit code and every line expected
	local what=$1 rc=$2 want=$3 out=$4
	shift 4
	if [ "$rc" -ne "$want" ]; then
		bad "$what (exit $rc, wanted $want): $out"
		return
	fi
	for pat in "$@"; do
		if ! grep -qF -- "$pat" <<<"$out"; then
			bad "$what: no '$pat' in: $out"
			return
		fi
	done
	ok "$what"
}

if ! start_vm usbvm; then
	echo "usb: $pass passed, $fail failed"
	exit 1
fi
before=$(ids usbvm)
[ "$before" = "pointer usb0 usb2 xhci" ] && ok "at start: the plan's usb0 and usb2, f00d:cafe skipped" ||
	bad "ids at start: '$before'"

if [ "$(id -u)" -eq 0 ]; then
	out=$(env -i HOME="$T/home" XDG_RUNTIME_DIR="$T/run" PATH=/usr/bin:/bin "$QVM" usb attach usbvm 2>&1)
	check "root is refused, with the override" $? 1 "$out" \
		"refusing to attach USB devices while running as root" "--allow-root overrides"
	[ "$(ids usbvm)" = "$before" ] && ok "… and nothing was attached" || bad "root attached something"
fi

out=$(qvm usb attach usbvm 2>&1)
check "attach without DEVICE: every [usb] entry" $? 0 "$out" "usbvm: '1-4' is already attached (usb0)" \
	"usbvm: 'f00d:cafe' attached as usb1" "usbvm: '2-1.3' is already attached (usb2)"
[ "$(ids usbvm)" = "pointer usb0 usb1 usb2 xhci" ] && ok "… QEMU has usb0 usb1 usb2" || bad "ids: $(ids usbvm)"
[ "$(qmp usbvm 'prop("usb1", "vendorid"), prop("usb1", "productid"), prop("usb1", "parent_bus")')" = \
	"(61453, 51966, '/machine/peripheral/xhci/xhci.0')" ] &&
	ok "… usb1 is vendorid 0xf00d productid 0xcafe on xhci.0" || bad "usb1: $(qmp usbvm 'prop("usb1", "vendorid")')"

out=$(qvm usb detach usbvm 2-1.3 2>&1)
check "detach by port" $? 0 "$out" "usbvm: '2-1.3' detached (usb2)"
[ "$(ids usbvm)" = "pointer usb0 usb1 xhci" ] && ok "… usb2 is gone, the others stay" || bad "ids: $(ids usbvm)"
out=$(qvm usb attach usbvm 2-1.3 2>&1)
check "attach after detach" $? 0 "$out" "usbvm: '2-1.3' attached as usb2"
[ "$(qmp usbvm 'prop("usb2", "hostbus"), prop("usb2", "hostport")')" = "(2, '1.3')" ] &&
	ok "… back as usb2, hostbus 2 hostport 1.3" || bad "usb2: $(ids usbvm)"

out=$(qvm usb attach usbvm f00d:cafe 2>&1)
check "attach twice: already attached, not an error" $? 0 "$out" "usbvm: 'f00d:cafe' is already attached (usb1)"
out=$(qvm usb attach "$P/usbvm.ini" 1-4 2>&1)
check "the VM named by its profile's path" $? 0 "$out" "usbvm: '1-4' is already attached (usb0)"

out=$(qvm usb attach usbvm 1d6b:0002 3-2.1 2>&1)
check "ad-hoc devices, not in the profile" $? 0 "$out" "usbvm: '1d6b:0002' attached as usb-1d6b-0002" \
	"usbvm: '3-2.1' attached as usb-3-2.1"
[ "$(qmp usbvm 'prop("usb-1d6b-0002", "vendorid"), prop("usb-3-2.1", "hostbus"), prop("usb-3-2.1", "hostport")')" = \
	"(7531, 3, '2.1')" ] && ok "… with their ids and properties" || bad "ad-hoc: $(ids usbvm)"
out=$(qvm usb detach usbvm 1d6b:0002 2>&1)
check "detach an ad-hoc device by the same DEVICE" $? 0 "$out" "usbvm: '1d6b:0002' detached (usb-1d6b-0002)"
out=$(qvm usb detach usbvm 3-2.1 1d6b:0002 2>&1)
check "detach of an absent device: exit 1, the others still detached" $? 1 "$out" \
	"usbvm: '3-2.1' detached (usb-3-2.1)" \
	"qemu-vm: usbvm: '1d6b:0002' is not attached (no device 'usb-1d6b-0002'; qemu-vm usb attach usbvm 1d6b:0002 attaches it)"
[ "$(ids usbvm)" = "pointer usb0 usb1 usb2 xhci" ] && ok "… and only those two are gone" || bad "ids: $(ids usbvm)"

out=$(qvm usb detach usbvm 2>&1)
check "detach without DEVICE: every [usb] entry" $? 0 "$out" "usbvm: '1-4' detached (usb0)" \
	"usbvm: 'f00d:cafe' detached (usb1)" "usbvm: '2-1.3' detached (usb2)"
[ "$(ids usbvm)" = "pointer xhci" ] && ok "… none left" || bad "ids: $(ids usbvm)"
out=$(qvm usb attach usbvm 2>&1)
check "attach all again" $? 0 "$out" "attached as usb0" "attached as usb1" "attached as usb2"
[ "$(ids usbvm)" = "pointer usb0 usb1 usb2 xhci" ] && ok "… the ids of the start are back" || bad "ids: $(ids usbvm)"

# A bad DEVICE is a usage error, worded as the profile parser words device = and port =.
printf '[vm]\nmemory = 1G\n[usb]\ndevice = 046d:c52\nport = 1-0\n' > "$T/badusb.ini"
perr=$(qvm show "$T/badusb.ini" 2>&1)
dev_expected=$(sed -n 's/.*: device: \(expected .*\), got.*/\1/p' <<<"$perr")
port_expected=$(sed -n 's/.*: port: expected \(.*\), got.*/\1/p' <<<"$perr")
for arg in 046d:c52 1-0; do
	out=$(qvm usb attach usbvm 1-4 "$arg" 2>&1)
	check "bad DEVICE '$arg': exit 2 with the parser's message" $? 2 "$out" "${dev_expected:-no device error}" \
		"${port_expected:-no port error}" "got '$arg'" "usage: qemu-vm usb attach|detach NAME [DEVICE...]"
done
[ "$(ids usbvm)" = "pointer usb0 usb1 usb2 xhci" ] && ok "… and nothing changed" || bad "ids: $(ids usbvm)"
for args in "usb" "usb attach" "usb plug usbvm" "usb detach usbvm --force"; do
	out=$(qvm $args 2>&1)
	check "usage error: qemu-vm $args" $? 2 "$out" "usage: qemu-vm usb attach|detach NAME [DEVICE...]"
done

out=$(qvm usb attach ghost 2>&1)
check "a VM that is not running" $? 1 "$out" "qemu-vm: ghost is not running (no QEMU listens on $T/run/qemu-vm/ghost/qmp.sock)"
out=$(qvm usb detach nosuchvm 1-4 2>&1)
check "a profile that does not exist" $? 1 "$out" "qemu-vm: no profile 'nosuchvm'"

# No [usb] and a PS/2 pointer: the plan puts no xHCI controller in the VM.
if start_vm noxhci; then
	out=$(qvm usb attach noxhci 046d:c52b 2>&1)
	check "no USB controller: said so, with what fixes it" $? 1 "$out" \
		"qemu-vm: noxhci has no USB controller (xhci.0): its profile has no [usb] section and no USB pointer (add a [usb] section to '$P/noxhci.ini', then restart the VM)"
	out=$(qvm usb attach noxhci 2>&1)
	check "no DEVICE and no [usb] entry" $? 1 "$out" "qemu-vm: '$P/noxhci.ini' has no [usb] device = or port = to attach"
	printf '[usb]\nport = 1-4\n' >> "$P/noxhci.ini"
	out=$(qvm usb attach noxhci 2>&1)
	check "a controller added to the profile after the start: restart" $? 1 "$out" \
		"qemu-vm: noxhci has no USB controller (xhci.0): it was started before the profile had one (restart it: qemu-vm stop noxhci, then qemu-vm run noxhci)"
	[ "$(ids noxhci)" = "" ] && ok "… and QEMU got nothing" || bad "noxhci ids: $(ids noxhci)"
fi

summary usb
