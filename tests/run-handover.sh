#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# [pci] handover = on, end to end on a fake two-GPU host: install writes the unit and the polkit
# rule (no ids=, no softdep) and takes them back byte-exactly; the rule, run by node, lets the
# group start and stop exactly those units; bind/unbind record their sysfs writes and refuse a
# card in use; check says what will happen; the supervisor starts and stops the unit over a
# private bus with a systemd1 stand-in, when QEMU fails and when the start is refused too.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
VS=$PWD/$B/vfio-setup
QVM=$PWD/$B/qemu-vm
FAKE=$PWD/$B/tests/fake-systemd1
. tests/testlib.sh
require_tools "Debian: apt-get install python3" python3
for p in "$VS" "$QVM" "$FAKE"; do
	[ -x "$p" ] || { echo "FAIL $p is not built (make check-build)"; exit 1; }
done

T=$(mktemp -d /tmp/qvm-handover.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT

BDF=0000:01:00.0
UNIT=qemu-vm-handover@$BDF.service
python3 -S tests/hosts/mkhost.py -o "$T" tests/handover/two-gpu.spec >"$T/mkhost.log" 2>&1 ||
	{ cat "$T/mkhost.log"; echo "FAIL mkhost"; exit 1; }
H=$T/two-gpu
cp -a tests/setup/seeds/debian/etc tests/setup/seeds/debian/usr tests/setup/seeds/debian/var "$H/"
PROF=$PWD/tests/handover/gaming.ini

# --- install, twice, status, uninstall ---------------------------------------------------------
same_tree() { # same_tree A B: what install may touch (etc, var) is byte-identical
	diff -r --no-dereference "$1/etc" "$2/etc" && diff -r --no-dereference "$1/var" "$2/var"
}
cp -a "$H" "$T/pristine"
"$VS" install --root "$H" --profile "$PROF" >"$T/out" 2>&1
rc=$?
[ $rc -eq 0 ] && diff -u tests/handover/expected/qemu-vm-handover@.service "$H/etc/systemd/system/qemu-vm-handover@.service" &&
	diff -u tests/handover/expected/50-qemu-vm-handover.rules "$H/etc/polkit-1/rules.d/50-qemu-vm-handover.rules" &&
	ok "install: the template unit and the polkit rule, as expected" || bad "install (exit $rc): $(cat "$T/out")"
[ ! -e "$H/etc/modprobe.d/qemu-vm-vfio.conf" ] && ! grep -rqs "10de:1b81\|10de:10f0\|softdep" "$H/etc/modprobe.d" &&
	ok "… and no ids= nor softdep for the handover device" || bad "handover device claimed at boot: $(cat "$H"/etc/modprobe.d/* 2>&1)"
grep -q " /etc/systemd/system/qemu-vm-handover@.service$" "$H/var/lib/vfio-setup/manifest" &&
	grep -q " /etc/polkit-1/rules.d/50-qemu-vm-handover.rules$" "$H/var/lib/vfio-setup/manifest" &&
	ok "… both in the manifest" || bad "manifest: $(cat "$H/var/lib/vfio-setup/manifest")"

# The same profile without handover: the pair claimed at boot, no unit, no rule.
sed '/^handover/d' "$PROF" >"$T/boot.ini"
cp -a "$T/pristine" "$T/boot"
"$VS" install --root "$T/boot" --profile "$T/boot.ini" >"$T/out" 2>&1
grep -q "^options vfio-pci ids=10de:1b81,10de:10f0$" "$T/boot/etc/modprobe.d/qemu-vm-vfio.conf" &&
	[ ! -e "$T/boot/etc/systemd/system/qemu-vm-handover@.service" ] && [ ! -e "$T/boot/etc/polkit-1" ] &&
	ok "without handover: ids= at boot, no unit, no rule" || bad "boot-time install: $(cat "$T/out")"

cp -a "$H" "$T/before"
"$VS" install --root "$H" --profile "$PROF" >"$T/out" 2>&1
grep -q "^nothing to change" "$T/out" && same_tree "$T/before" "$H" >/dev/null &&
	ok "second install changes nothing" || bad "second install: $(cat "$T/out")"
"$VS" status --root "$H" >"$T/out" 2>&1
grep -q "qemu-vm-handover@.service: ok$" "$T/out" && grep -q "50-qemu-vm-handover.rules: ok$" "$T/out" &&
	ok "status reports the unit and the rule" || bad "status: $(cat "$T/out")"

# --- the rule, run by a JavaScript engine -------------------------------------------------------
RULE=$H/etc/polkit-1/rules.d/50-qemu-vm-handover.rules
if command -v node >/dev/null; then
	{
		cat <<'JS'
"use strict";
const rules = [];
const polkit = { Result: { YES: "yes", NO: "no", NOT_HANDLED: undefined },
	addRule(f) { rules.push(f); } };
JS
		cat "$RULE"
		cat <<'JS'
const ask = (id, unit, verb, groups) => rules[0](
	{ id, lookup: (k) => ({ unit, verb })[k] },
	{ isInGroup: (g) => groups.includes(g) });
const U = "qemu-vm-handover@0000:01:00.0.service", M = "org.freedesktop.systemd1.manage-units";
const cases = [
	[M, U, "start", ["qemu-vm"], "yes"], [M, U, "stop", ["qemu-vm"], "yes"],
	[M, U, "restart", ["qemu-vm"], undefined], [M, U, "start", ["users"], undefined],
	[M, "qemu-vm-handover@0000:02:00.0.service", "start", ["qemu-vm"], undefined],
	[M, "sshd.service", "stop", ["qemu-vm"], undefined], [M, "__proto__", "start", ["qemu-vm"], undefined],
	["org.freedesktop.systemd1.manage-unit-files", U, "start", ["qemu-vm"], undefined]];
let bad = 0;
for (const [id, unit, verb, groups, want] of cases)
	if (ask(id, unit, verb, groups) !== want) { console.log(`${id} ${unit} ${verb} ${groups}: wrong`); bad++; }
if (rules.length !== 1) bad++;
process.exit(bad ? 1 : 0);
JS
	} >"$T/rule-test.js"
	node --check "$T/rule-test.js" && ok "the polkit rule parses (node --check)" || bad "node --check of the rule"
	node "$T/rule-test.js" && ok "… and lets only the group start and stop only that unit" ||
		bad "the rule's decisions"
else
	echo "SKIP: node is not installed (Debian: apt-get install nodejs): the rule not parsed"
fi
echo "note: polkitd itself is not run here (it needs the real system bus); the lab runs it"

# --- uninstall ------------------------------------------------------------------------------------
"$VS" uninstall --root "$H" >"$T/out" 2>&1
same_tree "$T/pristine" "$H" >"$T/diff" && ok "uninstall: the tree byte-identical to before install" ||
	bad "uninstall left: $(cat "$T/diff" "$T/out")"
"$VS" install --root "$H" --profile "$PROF" >"$T/out" 2>&1 || bad "reinstall: $(cat "$T/out")"

# --- bind and unbind on the fake sysfs ---------------------------------------------------------------
D=$H/sys/bus/pci
for d in nvidia snd_hda_intel vfio-pci i915; do : >"$D/drivers/$d/bind"; : >"$D/drivers/$d/unbind"; done
: >"$D/drivers_probe"
reset_writes() {
	for f in "$D"/drivers/*/bind "$D"/drivers/*/unbind "$D/drivers_probe"; do : >"$f"; done
	for f in "$D"/devices/0000:01:00.?/driver_override; do echo "(null)" >"$f"; done
}
writes() { # every recorded write, "FILE: VALUE", in a fixed order
	for f in "$D"/devices/0000:01:00.?/driver_override "$D"/drivers/*/unbind "$D"/drivers/*/bind "$D/drivers_probe"; do
		sed -n "/^(null)\$/!s|^|${f#"$D"/}: |p" "$f"
	done
}
reset_writes
out=$("$VS" bind --root "$H" "$BDF" 2>&1)
rc=$?
w=$(writes)
want="devices/0000:01:00.0/driver_override: vfio-pci
devices/0000:01:00.1/driver_override: vfio-pci
drivers/nvidia/unbind: 0000:01:00.0
drivers/snd_hda_intel/unbind: 0000:01:00.1
drivers_probe: 0000:01:00.0
drivers_probe: 0000:01:00.1"
[ $rc -eq 0 ] && [ "$w" = "$want" ] && ok "bind: both functions through driver_override, unbind, drivers_probe; the bridge left alone" ||
	bad "bind (exit $rc): $out // $w"
grep -q "^0000:01:00.0 nvidia -$" "$H/run/vfio-setup/handover/$BDF" && grep -q "^0000:01:00.1 snd_hda_intel -$" "$H/run/vfio-setup/handover/$BDF" &&
	ok "… and records what each had under /run" || bad "state: $(cat "$H/run/vfio-setup/handover/$BDF" 2>&1)"
reset_writes
out=$("$VS" unbind --root "$H" "$BDF" 2>&1)
rc=$?
w=$(writes)
want="devices/0000:01:00.0/driver_override: 
devices/0000:01:00.1/driver_override: 
drivers/vfio-pci/unbind: 0000:01:00.0
drivers/vfio-pci/unbind: 0000:01:00.1
drivers/nvidia/bind: 0000:01:00.0
drivers/snd_hda_intel/bind: 0000:01:00.1"
[ $rc -eq 0 ] && [ "$w" = "$want" ] && [ ! -e "$H/run/vfio-setup/handover/$BDF" ] &&
	ok "unbind: each back to its driver, driver_override cleared, the record gone" || bad "unbind (exit $rc): $out // $w"
out=$("$VS" unbind --root "$H" "$BDF" 2>&1)
[ $? -eq 0 ] && grep -q "not handed over" <<<"$out" && ok "unbind with nothing recorded: nothing to do" || bad "second unbind: $out"

# The card in use: a process with its DRM node open, then the framebuffer console on its fb0.
DEV=$(readlink -f "$D/devices/$BDF")
mkdir -p "$DEV/drm/card1" "$DEV/drm/renderD129" "$H/proc/4242/fd" "$H/proc/4343/fd"
echo Xorg >"$H/proc/4242/comm"
ln -s /dev/dri/card1 "$H/proc/4242/fd/7"
echo vkcube >"$H/proc/4343/comm"
ln -s /dev/null "$H/proc/4343/fd/0"
ln -s /dev/dri/renderD128 "$H/proc/4343/fd/5" # the other card's
reset_writes
out=$("$VS" bind --root "$H" "$BDF" 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "process 4242 (Xorg) has /dev/dri/card1 open" <<<"$out" && ! grep -q 4343 <<<"$out" &&
	grep -q "fix: sudo systemctl stop display-manager" <<<"$out" && [ -z "$(writes)" ] &&
	[ ! -e "$H/run/vfio-setup/handover/$BDF" ] &&
	ok "bind refuses a card in use, naming the process and the fix; nothing written" || bad "bind while in use (exit $rc): $out"
rm -rf "$H/proc/4242" "$H/proc/4343"
mkdir -p "$DEV/graphics/fb0" "$H/sys/class/vtconsole/vtcon1"
echo "(M) frame buffer device" >"$H/sys/class/vtconsole/vtcon1/name"
echo 1 >"$H/sys/class/vtconsole/vtcon1/bind"
out=$("$VS" bind --root "$H" "$BDF" 2>&1)
[ $? -eq 1 ] && grep -q "fix: echo 0 | sudo tee /sys/class/vtconsole/vtcon1/bind" <<<"$out" && [ -z "$(writes)" ] &&
	ok "bind refuses while the framebuffer console draws on the card" || bad "bind with fbcon: $out"
rm -rf "$DEV/graphics" "$H/sys/class/vtconsole" "$DEV/drm"
out=$("$VS" bind --root "$H" 01:00 2>&1)
[ $? -eq 2 ] && grep -q "expected a PCI function like 0000:01:00.0" <<<"$out" && ok "bind: a slot without function refused" || bad "bind 01:00: $out"
if [ "$(id -u)" -eq 0 ]; then
	out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$VS" bind "$BDF" 2>&1)
else
	out=$("$VS" bind "$BDF" 2>&1)
fi
[ $? -eq 2 ] && grep -q "bind needs root" <<<"$out" && ok "bind without root refused with the hint" || bad "bind as nobody: $out"
reset_writes

# --- check -----------------------------------------------------------------------------------------
# Run as root in the tests: --allow-root (the launcher refuses root otherwise).
QV=("$QVM" --allow-root --host-root "$H")
mkdir -p "$H/run/systemd/system" "$H/usr/share/dbus-1/system-services"
: >"$H/usr/share/dbus-1/system-services/org.freedesktop.PolicyKit1.service"
out=$(HOME=$T/home XDG_RUNTIME_DIR=$T/run "${QV[@]}" check "$PROF" 2>&1)
grep -q "^ok    \[pci gpu\]: 01:00.0 on nvidia now: handed to vfio-pci at start, back after$" <<<"$out" &&
	! grep -q "^FAIL" <<<"$out" && ok "check: what will happen to the device" || bad "check: $out"
mv "$RULE" "$T/rule.saved"
out=$(HOME=$T/home XDG_RUNTIME_DIR=$T/run "${QV[@]}" check "$PROF" 2>&1)
grep -q "^FAIL  \[pci gpu\]: handover = on, and /etc/polkit-1/rules.d/50-qemu-vm-handover.rules is not installed" <<<"$out" &&
	grep -q "fix: sudo vfio-setup install --user .* --profile $PROF" <<<"$out" &&
	ok "check without the rule: FAIL with the install command" || bad "check without rule: $out"
mv "$T/rule.saved" "$RULE"
# A rule the user cannot read (Debian's rules.d is polkitd's): a warning naming the command
# that can tell. As root, without the capabilities that read any file.
chmod 000 "$RULE"
if [ "$(id -u)" -eq 0 ]; then drop=(setpriv --inh-caps=-all --bounding-set=-all); else drop=(); fi
out=$(HOME=$T/home XDG_RUNTIME_DIR=$T/run "${drop[@]}" "${QV[@]}" check "$PROF" 2>&1)
grep -q "^warn  \[pci gpu\]: /etc/polkit-1/rules.d/50-qemu-vm-handover.rules: Permission denied, so whether it lets the group start $UNIT is seen at start only" <<<"$out" &&
	grep -q "fix: sudo vfio-setup status" <<<"$out" && ! grep -q "^FAIL" <<<"$out" &&
	ok "check, the rule unreadable: a warning with the command that can tell" || bad "check, rule unreadable: $out"
chmod 644 "$RULE"
rm -r "$H/run/systemd/system"
out=$(HOME=$T/home XDG_RUNTIME_DIR=$T/run "${QV[@]}" check "$PROF" 2>&1)
grep -q "^FAIL  \[pci gpu\]: 01:00.0 on nvidia now, and no systemd" <<<"$out" &&
	grep -q "fix: sudo vfio-setup bind $BDF before qemu-vm run, sudo vfio-setup unbind $BDF after" <<<"$out" &&
	ok "check without systemd: the sudo bind/unbind pair" || bad "check without systemd: $out"
mkdir -p "$H/run/systemd/system"

# --- the supervisor, over a private bus ----------------------------------------------------------------
if ! command -v dbus-daemon >/dev/null; then
	echo "SKIP: supervisor: dbus-daemon is not installed (Debian: apt-get install dbus-daemon)"
	summary handover
	exit
fi
daemon=$(dbus-daemon --session --fork --print-address=1 --print-pid=1)
addr=$(sed -n 1p <<<"$daemon")
pids+=("$(sed -n 2p <<<"$daemon")")
export DBUS_SYSTEM_BUS_ADDRESS=$addr
fake() { # fake MODE [COMMAND...]: (re)starts the systemd1 stand-in
	if [ -n "${fpid:-}" ]; then kill "$fpid"; wait "$fpid" 2>/dev/null; fi
	: >"$T/jobs"
	"$FAKE" "$T/jobs" "$@" >"$T/fake.out" 2>&1 &
	fpid=$!
	pids+=("$fpid")
	for _ in $(seq 50); do grep -q ready "$T/fake.out" && return; sleep 0.1; done
	bad "fake-systemd1 did not start: $(cat "$T/fake.out")"
}
mkdir -p "$T/home" "$T/run"
chmod 700 "$T/run"
profile() { # profile NAME QEMU: the handover profile, run with QEMU
	{ printf '[vm]\nmemory = 128M\naccel = tcg\ncpu = qemu64\nfirmware = bios\ndisplay = none\nqemu = %s\n' "$2"
	  printf '[pci gpu]\nhost = 01:00.0\nhandover = on\n[network]\nmode = none\n[input]\npointer = none\n'; } >"$T/$1.ini"
}
run() { # run NAME: qemu-vm run, its exit status in rc
	HOME=$T/home XDG_RUNTIME_DIR=$T/run STUB_QEMU_OUT=$T/stub "${QV[@]}" run "$T/$1.ini" >"$T/run.out" 2>&1
	rc=$?
}
log_of() { cat "$T/home/.local/state/qemu-vm/$1/qemu.log" 2>/dev/null; }
both="StartUnit $UNIT replace
StopUnit $UNIT replace"

fake exec "$VS" --root "$H"
profile ok "$PWD/tests/launcher/stub-qemu"
reset_writes
run ok
l=$(log_of ok)
[ $rc -eq 0 ] && [ "$(cat "$T/jobs")" = "$both" ] && [ -e "$T/stub.argv" ] &&
	ok "run: StartUnit of $UNIT before QEMU, StopUnit after" || bad "run (exit $rc): $(cat "$T/jobs" "$T/run.out") $l"
# The five steps, each once, in this order in the log.
steps() { grep -o "starting $UNIT\|$UNIT started\|QEMU started\|QEMU exited\|$UNIT stopped" <<<"$1"; }
[ "$(steps "$l")" = "$(printf '%s\n' "starting $UNIT" "$UNIT started" "QEMU started" "QEMU exited" "$UNIT stopped")" ] &&
	ok "… in the log: unit started, QEMU started, QEMU exited, unit stopped" || bad "log order: $l"
w=$(writes)
grep -q "drivers/nvidia/unbind: 0000:01:00.0" <<<"$w" && grep -q "drivers/nvidia/bind: 0000:01:00.0" <<<"$w" &&
	grep -q "drivers/snd_hda_intel/bind: 0000:01:00.1" <<<"$w" &&
	ok "… the unit's bind and unbind ran (the writes in the tree)" || bad "writes through the unit: $w"

# QEMU failing (a real QEMU: the fake device cannot be opened): the unit is stopped all the same.
if command -v qemu-system-x86_64 >/dev/null; then
	profile qf "$(command -v qemu-system-x86_64)"
	fake exec "$VS" --root "$H"
	run qf
	[ $rc -ne 0 ] && [ "$(cat "$T/jobs")" = "$both" ] && grep -q "QEMU exited with status 1" <<<"$(log_of qf)" &&
		ok "QEMU failing: the unit stopped after it all the same" || bad "QEMU failing (exit $rc): $(cat "$T/jobs" "$T/run.out")"
else
	echo "SKIP: QEMU failing: qemu-system-x86_64 is not installed"
fi

# A refused start (bind found the card in use): no QEMU, the unit stopped, the reason said; run
# without a terminal (as here), a desktop notification too, like every refused start.
notify_watch && export DBUS_SESSION_BUS_ADDRESS=$notify_addr
rm -f "$T/stub.argv"
fake failed
run ok
[ $rc -eq 1 ] && [ "$(cat "$T/jobs")" = "$both" ] && [ ! -e "$T/stub.argv" ] &&
	grep -q "starting $UNIT: the job failed (fix: journalctl -u $UNIT" <<<"$(log_of ok)" &&
	ok "a failed start: QEMU not started, the unit stopped, the fix said" || bad "failed start (exit $rc): $(cat "$T/jobs" "$T/run.out")"
if [ -n "${notify_addr:-}" ]; then
	n=$(notified "VM ok did not start")
	grep -qF "starting $UNIT: the job failed" <<<"$n" && grep -q "^fix: " <<<"$n" &&
		ok "… and a desktop notification with the failure and its fix" || bad "notification of a failed unit start: $n"
fi
fake denied
run ok
[ $rc -eq 1 ] && [ ! -e "$T/stub.argv" ] && grep -q "fix: sudo vfio-setup install --profile" <<<"$(log_of ok)" &&
	ok "a start polkit refuses: the install command that grants it" || bad "denied start (exit $rc): $(cat "$T/jobs" "$T/run.out")"

# No polkit, the pair bound by hand (sudo vfio-setup bind): check passes, and run asks systemd
# for nothing (it would refuse an unprivileged StartUnit without polkit).
rm "$H/usr/share/dbus-1/system-services/org.freedesktop.PolicyKit1.service"
for f in 0 1; do ln -sfn ../../../../bus/pci/drivers/vfio-pci "$(readlink -f "$D/devices/0000:01:00.$f")/driver"; done
ln -sfn /dev/null "$H/dev/vfio/1"
fake exec "$VS" --root "$H"
rm -f "$T/stub.argv"
run ok
[ $rc -eq 0 ] && [ ! -s "$T/jobs" ] && [ -e "$T/stub.argv" ] &&
	ok "no polkit, the pair bound by hand: QEMU started, no unit asked for" || bad "no polkit (exit $rc): $(cat "$T/jobs" "$T/run.out")"


summary handover
