#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-vm run as the VM's supervisor, with a real QEMU (TCG, SeaBIOS without a disk keeps it
# up) as an unprivileged test user: one instance per VM, each vCPU thread on its own CPU, a
# signal turned into powerdown then quit, QEMU killed, --detach, the log, list.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
QVM=$PWD/$B/qemu-vm
. tests/testlib.sh
require_tools "Debian: apt-get install qemu-system-x86 python3" qemu-system-x86_64 python3
require_built "$QVM"

T=$(mktemp -d /tmp/qvm-supervise.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	# A --detach supervisor is no child of ours: its QEMU goes with it (PDEATHSIG).
	for f in "$T"/run/qemu-vm/*/state; do
		[ -e "$f" ] && kill -9 "$(sed -n 's/^supervisor=//p' "$f")" 2>/dev/null
	done
	test_user_del
	rm -rf "$T" /dev/shm/qvm-test-$$-*
}
trap cleanup EXIT

suite_user qvmsup$$ "$T/home"
P=$T/home/.config/qemu-vm
mkdir -p "$P" "$T/run"
chmod 700 "$T/run"

bus=()
user_env() {
	envs=(HOME="$T/home" XDG_RUNTIME_DIR="$T/run" PATH=/usr/bin:/bin
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "${bus[@]}")
}

vm() { # vm NAME [KEY = VALUE...]: a profile with the [vm] keys given
	local name=$1
	shift
	{
		printf '[vm]\nmemory = 128M\ncpus = 2\naccel = tcg\ncpu = qemu64\nfirmware = bios\ndisplay = none\n'
		[[ " $* " == *" shutdown-timeout = "* ]] || printf 'shutdown-timeout = 1\n'
		for kv in "$@"; do printf '%s\n' "$kv"; done
		printf '[network]\nmode = none\n[input]\npointer = none\n'
	} > "$P/$name.ini"
}
vm sv
[ -n "$user" ] && chown -R "$user:" "$T/home" "$T/run"

qmp_status() { # qmp_status NAME: the run state QEMU gives over qmp.sock (our own connection)
	python3 -c 'import sys; sys.path.insert(0, "tests/qemu"); from qmp import QMP; print(QMP(sys.argv[1], timeout=5).cmd("query-status")["status"])' \
		"$T/run/qemu-vm/$1/qmp.sock" 2>&1
}

spid=""

# One instance: a second run is refused with the running one's pid and the way to stop it,
# and touches nothing: the first keeps its lock, its sockets, and stays controllable.
if start_vm sv; then
	qpid=$(vm_state sv qemu)
	before=$(cat "$T/run/qemu-vm/sv/state")
	out=$(as_user "$QVM" run sv 2>&1)
	rc=$?
	[ $rc -eq 1 ] && [ "$out" = "qemu-vm: sv is already running (pid $qpid); qemu-vm stop sv" ] &&
		ok "a second run is refused, naming the running QEMU and the way to stop it" ||
		bad "second run (exit $rc): $out"
	[ "$(cat "$T/run/qemu-vm/sv/state")" = "$before" ] && kill -0 "$spid" && kill -0 "$qpid" &&
		[ "$(qmp_status sv)" = running ] && ok "… and the first VM runs on, its QMP socket answering" ||
		bad "first VM after a second run: $(qmp_status sv)"
	out=$(as_user "$QVM" list 2>&1)
	grep -q "^sv .* running, QEMU pid $qpid, since " <<<"$out" && ok "list shows the VM running, with QEMU's pid" ||
		bad "list: $out"
	out=$(as_user "$QVM" list --json 2>&1)
	python3 -c 'import json, sys, time
p = [p for p in json.loads(sys.argv[1]) if p["name"] == "sv"][0]
assert p["state"] == "running" and p["qemu_pid"] == int(sys.argv[2]), p
assert p["since"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(sys.argv[3]))), p' \
		"$out" "$qpid" "$(vm_state sv since)" 2>"$T/err" &&
		ok "list --json: state running, qemu_pid, since (UTC) as the state file says" ||
		bad "list --json: $(cat "$T/err") $out"
	out=$(as_user "$QVM" stop sv 2>&1)
	rc=$?
	wait_exit "$spid"
	src=$?
	[ $rc -eq 0 ] && grep -q "^sv: stopped$" <<<"$out" && [ $src -eq 0 ] && ! kill -0 "$qpid" 2>/dev/null &&
		ok "stop stops the first VM through its supervisor" || bad "stop (exit $rc, supervisor $src): $out"
	run_dir_empty sv && ok "… and nothing is left in the run directory" ||
		bad "run directory after stop: $(ls -A "$T/run/qemu-vm/sv")"
fi

# SIGTERM: the power button, then quit once shutdown-timeout (1 s) has passed (SeaBIOS without
# a disk does not power off), in that order in the log, and QEMU's exit status.
if start_vm sv; then
	kill -TERM "$spid"
	wait_exit "$spid"
	rc=$?
	log=$(vm_log sv)
	pd=$(grep -n "qemu-vm: powerdown sent" <<<"$log" | cut -d: -f1)
	qt=$(grep -n "qemu-vm: quit sent (the guest did not power off in time)" <<<"$log" | cut -d: -f1)
	[ $rc -eq 0 ] && [ -n "$pd" ] && [ -n "$qt" ] && [ "$pd" -lt "$qt" ] &&
		grep -q "^[0-9-]* [0-9:.]* qemu-vm: QEMU exited with status 0$" <<<"$log" &&
		ok "SIGTERM: the log shows the powerdown, then the quit after shutdown-timeout; exit 0" ||
		bad "SIGTERM (exit $rc): $log"
	run_dir_empty sv && ok "… and nothing is left in the run directory" ||
		bad "run directory after SIGTERM: $(ls -A "$T/run/qemu-vm/sv")"
	out=$(as_user "$QVM" log sv 2>&1)
	[ "$out" = "$log" ] && [ -s "$T/home/.local/state/qemu-vm/sv/qemu.log.1" ] &&
		grep -q "qemu-vm: starting sv: .*qemu-system-x86_64 -name guest=sv" <<<"$out" &&
		grep -q "qemu-vm: QEMU started, pid [0-9]*" <<<"$out" &&
		ok "qemu-vm log prints the last run's log (argv, QEMU's pid), the one before kept as qemu.log.1" ||
		bad "log: $out"
fi

# QEMU killed behind the supervisor's back: reported, a non-zero exit, nothing left behind.
if start_vm sv; then
	kill -KILL "$(vm_state sv qemu)"
	wait_exit "$spid"
	rc=$?
	[ $rc -eq 137 ] && grep -q "qemu-vm: QEMU was killed by signal 9 (Killed), not by qemu-vm" "$T/sv.out" &&
		ok "QEMU killed: the supervisor says so and exits 137" || bad "QEMU killed (exit $rc): $(cat "$T/sv.out")"
	run_dir_empty sv && ok "… and the run directory is empty (the sockets QEMU left removed)" ||
		bad "run directory after SIGKILL: $(ls -A "$T/run/qemu-vm/sv")"
fi

# Two ivshmem files in /dev/shm, Looking Glass's and Scream's: the one this run made (QEMU
# created it) is removed when QEMU exits, the one that was there before is left as it was.
shm=/dev/shm/qvm-test-$$
shm_run() { # shm_run: start shm, check both ivshmem devices are up, stop it
	if start_vm shm; then
		out=$(python3 -c 'import sys, json; sys.path.insert(0, "tests/qemu"); from qmp import QMP
q = QMP(sys.argv[1], timeout=5)
print(" ".join(sorted(d.get("qdev_id", "") for b in q.cmd("query-pci") for d in b["devices"])))' \
			"$T/run/qemu-vm/shm/qmp.sock" 2>&1)
		[[ " $out " == *" lg "* && " $out " == *" scream "* ]] || bad "ivshmem devices in query-pci: $out"
		as_user "$QVM" stop shm > /dev/null 2>&1
		wait_exit "$spid"
	fi
}
vm shm '[looking-glass]' "path = $shm-lg" 'size = 1M' '[scream]' "path = $shm-scream" 'size = 2M'
[ -n "$user" ] && chown "$user:" "$P/shm.ini"
truncate -s 1M "$shm-lg"
[ -n "$user" ] && chown "$user:" "$shm-lg"
shm_run
[ -e "$shm-lg" ] && [ "$(stat -c %s "$shm-lg")" -eq $((1 << 20)) ] && [ ! -e "$shm-scream" ] &&
	grep -q "qemu-vm: removed the Scream file $shm-scream this run created$" <<<"$(vm_log shm)" &&
	! grep -q "removed the Looking Glass file" <<<"$(vm_log shm)" &&
	ok "the Scream file the run created is removed after it, the Looking Glass file that was there is left" ||
	bad "shm files after a run: $(ls -l "$shm"-* 2>&1) $(vm_log shm)"
rm -f "$shm-lg"
truncate -s 2M "$shm-scream"
[ -n "$user" ] && chown "$user:" "$shm-scream"
shm_run
[ -e "$shm-scream" ] && [ ! -e "$shm-lg" ] &&
	grep -q "qemu-vm: removed the Looking Glass file $shm-lg this run created$" <<<"$(vm_log shm)" &&
	! grep -q "removed the Scream file" <<<"$(vm_log shm)" &&
	ok "… and the other way round: a Scream file that was there is left" ||
	bad "shm files after the second run: $(ls -l "$shm"-* 2>&1) $(vm_log shm)"
rm -f "$shm-lg" "$shm-scream"

# Pinning: vCPU i on the i-th CPU of pin =, every other thread on emulator-pin =.
if [ "$(nproc)" -lt 2 ]; then
	echo "SKIP: pinning: one CPU here, pin = 1,0 needs two"
else
	vm pinned 'pin = 1,0' 'emulator-pin = 1' 'shutdown-timeout = 600'
	[ -n "$user" ] && chown "$user:" "$P/pinned.ini"
	if start_vm pinned; then
		qpid=$(vm_state pinned qemu)
		want_ok=true n=0
		for t in /proc/"$qpid"/task/*; do
			comm=$(cat "$t/comm")
			cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status")
			case $comm in
			"CPU 0/TCG") want=1 ;;
			"CPU 1/TCG") want=0 ;;
			*) want=1 ;;
			esac
			n=$((n + 1))
			[ "$cpus" = "$want" ] || { want_ok=false; echo "  thread $comm: CPUs $cpus, wanted $want"; }
		done
		$want_ok && [ $n -ge 3 ] && ok "each vCPU thread on its own CPU of pin =, the other $((n - 2)) threads on emulator-pin =" ||
			bad "pinning ($n threads)"
		grep -q "qemu-vm: pinned vCPU 0 (thread [0-9]*) to CPU 1$" <<<"$(vm_log pinned)" &&
			ok "… each pin in the log" || bad "pin log: $(vm_log pinned)"
		# Two signals sent at once are one pending signal: the second goes once the first is seen.
		kill -INT "$spid"
		for _ in $(seq 100); do grep -q "powerdown sent" <<<"$(vm_log pinned)" && break; sleep 0.1; done
		kill -INT "$spid"
		wait_exit "$spid"
		rc=$?
		[ $rc -eq 0 ] && grep -q "qemu-vm: quit sent (a second SIGINT)" <<<"$(vm_log pinned)" &&
			ok "a second SIGINT quits at once" || bad "two SIGINTs (exit $rc): $(vm_log pinned)"
	fi
fi

# --detach: returns once QMP answers, the supervisor goes on in the background.
out=$(as_user "$QVM" run --detach sv 2>&1)
rc=$?
st=$(qmp_status sv)
[ $rc -eq 0 ] && [ "$st" = running ] && grep -q "^sv: running in the background (supervisor pid [0-9]*); log: " <<<"$out" &&
	ok "run --detach returns with QMP answering" || bad "--detach (exit $rc, status $st): $out"
dpid=$(vm_state sv supervisor)
[ -n "$dpid" ] && kill -0 "$dpid" && [ "$(cut -d' ' -f7 "/proc/$dpid/stat")" = 0 ] &&
	ok "… its supervisor runs on, without a terminal" || bad "--detach supervisor: $dpid"
out=$(as_user "$QVM" stop sv 2>&1)
[ $? -eq 0 ] && run_dir_empty sv && ok "… and stop stops it" || bad "stop after --detach: $out"

# A start that fails without a terminal (stderr here is a file, as a menu entry's is): a desktop
# notification on the session bus, with the failure, its fix and the log path, and the same
# text in the log. The bus is a private dbus-daemon of the test user's (notify_watch).
if notify_watch as_user; then
	bus=(DBUS_SESSION_BUS_ADDRESS="$notify_addr")
	printf '[vm]\nmemory = 128M\nfirmware = bios\naccel = tcg\ndisplay = none\n[acpi]\ntable = ~/missing.aml\n' > "$P/nf.ini"
	[ -n "$user" ] && chown "$user:" "$P/nf.ini"
	out=$(as_user "$QVM" run nf 2>&1)
	rc=$?
	n=$(notified "VM nf did not start")
	[ $rc -eq 1 ] && grep -q "member=Notify" "$T/monitor.log" &&
		grep -qF "nf.ini:7: [acpi] table: table '$T/home/missing.aml': No such file or directory" <<<"$n" &&
		grep -q "^fix: " <<<"$n" && grep -qF "log: $T/home/.local/state/qemu-vm/nf/qemu.log\"" <<<"$n" &&
		ok "a refused start without a terminal: a notification with the failure, its fix and the log path" ||
		bad "notification of a refused start (exit $rc): $n $(cat "$T/monitor.log")"
	grep -qF "nf.ini:7: [acpi] table: table '$T/home/missing.aml': No such file or directory; fix: check the path at " \
		"$T/home/.local/state/qemu-vm/nf/qemu.log" && ok "… and the same text in the log" ||
		bad "log of a refused start: $(vm_log nf)"
	vm nfq '[qemu]' 'arg = -no-such-option'
	[ -n "$user" ] && chown "$user:" "$P/nfq.ini"
	out=$(as_user "$QVM" run nfq 2>&1)
	rc=$?
	n=$(notified "VM nfq did not start")
	[ $rc -eq 1 ] && grep -q 'string "QEMU exited with status 1: .*-no-such-option: invalid option' <<<"$n" &&
		ok "QEMU failing at start: a notification with QEMU's last words" ||
		bad "notification of QEMU's failure (exit $rc): $n $(cat "$T/monitor.log")"
	bus=()
fi

summary supervise
