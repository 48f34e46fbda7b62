#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The supervisor's logind inhibitor, against a logind stand-in on a private bus and a real QEMU
# (TCG) as a test user: taken once, with the profile's what and why, before the guest runs
# (QEMU starts paused; the inhibitor is asked for while it comes up), and released after QEMU
# has exited; a bus without logind is said in the log and the VM runs all the same.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
QVM=$PWD/$B/qemu-vm
FAKE=$PWD/$B/tests/fake-logind
. tests/testlib.sh
require_tools "Debian: apt-get install qemu-system-x86 dbus-daemon" qemu-system-x86_64 dbus-daemon
require_built "$QVM"
require_built "$FAKE"

T=$(mktemp -d /tmp/qvm-inhibit.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	# A supervisor killed takes its QEMU along (PR_SET_PDEATHSIG).
	test_user_del
	rm -rf "$T"
}
trap cleanup EXIT

suite_user qvminh$$ "$T/home"
P=$T/home/.config/qemu-vm
mkdir -p "$P" "$T/run"
chmod 700 "$T/run"
printf '[vm]\nmemory = 128M\naccel = tcg\ncpu = qemu64\nfirmware = bios\ndisplay = none\nshutdown-timeout = 1\ninhibit = sleep,idle\n[network]\nmode = none\n[input]\npointer = none\n' \
	>"$P/inh.ini"
[ -n "$user" ] && chown -R "$user:" "$T/home" "$T/run"
: >"$T/logind.log"
chmod 666 "$T/logind.log"

bus=()
user_env() {
	envs=(HOME="$T/home" XDG_RUNTIME_DIR="$T/run" PATH=/usr/bin:/bin
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "${bus[@]}")
}
# The "system bus": a private dbus-daemon of the test user's.
private_bus as_user
bus=(DBUS_SYSTEM_BUS_ADDRESS="$private_bus_addr")

spid=""
# No logind on the bus: the log says so, and the VM runs.
if start_vm inh; then
	as_user "$QVM" stop inh >/dev/null 2>&1
	wait_exit "$spid"
	grep -q "no logind inhibitor (.*): the host may sleep while the VM runs; going on" <<<"$(vm_log inh)" &&
		grep -q "cont sent" <<<"$(vm_log inh)" && ok "no logind on the bus: said in the log, the VM runs" ||
		bad "without logind: $(vm_log inh)"
fi

bg_as_user "$FAKE" "$T/logind.log" >"$T/fake.out" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do grep -q ready "$T/fake.out" && break; sleep 0.1; done
grep -q ready "$T/fake.out" || bad "fake-logind did not start: $(cat "$T/fake.out")"

if start_vm inh; then
	# start_vm returns once the state file says running: cont has been sent.
	held=$(cat "$T/logind.log")
	[ "$held" = "Inhibit sleep:idle qemu-vm VM inh is running block" ] &&
		ok "the guest runs with the inhibitor held (sleep:idle, block, VM inh is running)" ||
		bad "inhibitor while the guest runs: '$held'"
	l=$(vm_log inh)
	steps=$(grep -o "QEMU started\|holding a logind inhibitor\|cont sent" <<<"$l")
	[ "$steps" = "$(printf '%s\n' "QEMU started" "holding a logind inhibitor" "cont sent")" ] &&
		ok "… asked for while QEMU comes up paused, before cont" || bad "log order: $l"
	as_user "$QVM" stop inh >/dev/null 2>&1
	wait_exit "$spid"
	rc=$?
	l=$(vm_log inh)
	[ "$rc" = 0 ] && [ "$(cat "$T/logind.log")" = "$held
released sleep:idle" ] && ok "… and released when the run ends" || bad "after the run (exit $rc): $(cat "$T/logind.log")"
	steps=$(grep -o "QEMU exited\|logind inhibitor released\|lock released" <<<"$l")
	[ "$steps" = "$(printf '%s\n' "QEMU exited" "logind inhibitor released" "lock released")" ] &&
		ok "… after QEMU has exited, in the log" || bad "log order at the end: $l"
fi
summary inhibit
