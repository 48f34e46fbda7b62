#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# [tpm] with the real swtpm and a real QEMU (TCG, SeaBIOS without a disk), as an unprivileged
# test user: the TPM manufactured on the first run, QEMU's tpm-crb on swtpm's socket (QMP
# query-tpm), the same TPM on the second run, swtpm gone with QEMU or dying before it, a failed
# manufacture, and what check says when swtpm is missing or the state cannot be written.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
QVM=$PWD/$B/qemu-vm
. tests/testlib.sh
require_tools "Debian: apt-get install qemu-system-x86 python3" qemu-system-x86_64 python3
require_tools "Debian: apt-get install swtpm swtpm-tools" swtpm swtpm_setup
require_built "$QVM"

T=$(mktemp -d /tmp/qvm-tpm.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	test_user_del
	rm -rf "$T"
}
trap cleanup EXIT

suite_user qvmtpm$$ "$T/home"
P=$T/home/.config/qemu-vm
TPM=$T/home/.local/share/qemu-vm/win/tpm
mkdir -p "$P" "$T/run" "$T/nobin"
chmod 700 "$T/run"
# A PATH with QEMU and no swtpm.
ln -s "$(command -v qemu-system-x86_64)" "$T/nobin/qemu-system-x86_64"

path=/usr/bin:/bin
user_env() {
	envs=(HOME="$T/home" XDG_RUNTIME_DIR="$T/run" PATH="$path"
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}")
}

printf '[vm]\nmemory = 128M\ncpus = 1\naccel = tcg\ncpu = qemu64\nfirmware = bios\ndisplay = none\nshutdown-timeout = 1\n[network]\nmode = none\n[input]\npointer = none\n[tpm]\nversion = 2.0\n' > "$P/win.ini"
[ -n "$user" ] && chown -R "$user:" "$T/home" "$T/run"

qmp() { # qmp NAME COMMAND: QEMU's answer over qmp.sock, as JSON
	python3 -c 'import sys, json; sys.path.insert(0, "tests/qemu"); from qmp import QMP; print(json.dumps(QMP(sys.argv[1], timeout=5).cmd(sys.argv[2])))' \
		"$T/run/qemu-vm/$1/qmp.sock" "$2" 2>&1
}
swtpm_of() { # swtpm_of NAME: the pid of the swtpm whose working directory is NAME's TPM state
	local p
	for p in $(pgrep -x swtpm); do
		[ "$(readlink "/proc/$p/cwd")" = "$T/home/.local/share/qemu-vm/$1/tpm" ] && echo "$p"
	done
}
spid=""

# check before the first run: the TPM is still to be made.
out=$(as_user "$QVM" check win 2>&1)
grep -qx "ok    \[tpm\]: TPM 2.0 from /usr/bin/swtpm, state in $TPM (manufactured on first run, with EK certificates)" <<<"$out" &&
	ok "check: swtpm found, the state directory writable, the TPM made on the first run" || bad "check: $out"

# First run: manufactured (EK, its certificate and the platform's), then QEMU's tpm-crb on swtpm.
if start_vm win; then
	tpm=$(qmp win query-tpm)
	python3 -c 'import json, sys; t = json.loads(sys.argv[1]); sys.exit(not (len(t) == 1 and t[0]["model"] == "tpm-crb" and t[0]["options"]["type"] == "emulator" and t[0]["options"]["data"]["chardev"] == "tpm-chr"))' "$tpm" &&
		ok "QMP query-tpm: a tpm-crb on the emulator backend, on the chardev to swtpm" || bad "query-tpm: $tpm"
	log=$(vm_log win)
	grep -q "qemu-vm: manufacturing the TPM in $TPM" <<<"$log" && grep -q "Successfully created NVRAM area 0x1c00002 for RSA 2048 EK certificate" <<<"$log" &&
		grep -q "Successfully created NVRAM area 0x1c08000 for platform certificate" <<<"$log" &&
		grep -q "qemu-vm: TPM manufactured: $TPM/tpm2-00.permall" <<<"$log" &&
		ok "first run: swtpm_setup made the EK with its certificate and the platform certificate, in the log" ||
		bad "first run's log: $log"
	sw=$(swtpm_of win)
	[ -n "$sw" ] && [ "$(ps -o ppid= -p "$sw" | tr -d ' ')" = "$spid" ] &&
		[ "$(stat -c %U "$TPM/tpm2-00.permall")" = "${user:-$(id -un)}" ] &&
		[ "$(stat -c %a "$TPM")" = 700 ] &&
		ok "swtpm is the supervisor's child, as the user; the state directory 0700" ||
		bad "swtpm: pid '$sw', parent $(ps -o ppid= -p "$sw" 2>/dev/null), $(ls -la "$TPM")"
	[ -n "$sw" ] && [ "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' "/proc/$sw/status")" = 1 ] &&
		[ "$(sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$sw/status")" = 2 ] &&
		ok "swtpm runs with no_new_privs and a seccomp filter" || bad "swtpm's status: $(grep -E 'NoNewPrivs|Seccomp' "/proc/$sw/status")"
	serial=$(cat "$TPM/localca/certserial")
	kill -TERM "$spid"
	wait_exit "$spid"
	rc=$?
	log=$(vm_log win)
	[ $rc -eq 0 ] && [ -z "$(swtpm_of win)" ] && [ ! -e "$T/run/qemu-vm/win/tpm.sock" ] &&
		grep -q "qemu-vm: swtpm exited (exit status 0)$" <<<"$log" &&
		! grep -q "while the VM runs" <<<"$log" &&
		ok "QEMU gone: swtpm exits with it, the socket is removed, both in the log" || bad "after the first run (exit $rc): $log"
fi

# Second run: the same TPM (no manufacture; the local CA signed nothing more).
if start_vm win; then
	log=$(vm_log win)
	! grep -q "manufacturing" <<<"$log" && grep -q "qemu-vm: swtpm started, pid [0-9]*: TPM 2.0 with its state in $TPM" <<<"$log" &&
		[ "$(cat "$TPM/localca/certserial")" = "$serial" ] &&
		[[ $(qmp win query-tpm) == *'"model": "tpm-crb"'* ]] &&
		ok "second run: the TPM's state is used again, not made anew (no manufacture, no new certificate)" ||
		bad "second run: $log"
	# swtpm dies under a running VM: said in the log, and the VM goes on.
	kill -KILL "$(swtpm_of win)"
	for _ in $(seq 50); do grep -q "while the VM runs" <<<"$(vm_log win)" && break; sleep 0.1; done
	grep -q "qemu-vm: swtpm (pid [0-9]*) exited (signal 9 (Killed)) while the VM runs: the guest's TPM no longer answers" <<<"$(vm_log win)" &&
		[[ $(qmp win query-status) == *'"status": "running"'* ]] &&
		ok "swtpm killed under a running VM: the log says so, the VM goes on" || bad "swtpm killed: $(vm_log win)"
	kill -TERM "$spid"
	wait_exit "$spid"
	rc=$?
	[ $rc -eq 0 ] && ok "… and the VM stops as usual" || bad "stop after swtpm died (exit $rc): $(vm_log win)"
fi

# A manufacture that fails: nothing started, no half-made TPM kept.
mkdir -p "$T/failbin"
printf '#!/bin/sh\necho "swtpm_setup: cannot do it" >&2\nexit 1\n' > "$T/failbin/swtpm_setup"
ln -sf /usr/bin/swtpm "$T/failbin/swtpm"
chmod 755 "$T/failbin" "$T/failbin/swtpm_setup"
cp "$P/win.ini" "$P/fresh.ini"
[ -n "$user" ] && chown "$user:" "$P/fresh.ini"
path=$T/failbin:/usr/bin:/bin
out=$(as_user "$QVM" run fresh 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "swtpm_setup failed (exit status 1) manufacturing the TPM in $T/home/.local/share/qemu-vm/fresh/tpm" <<<"$out" &&
	grep -q "swtpm_setup: cannot do it" <<<"$(vm_log fresh)" && ! grep -q "QEMU started" <<<"$(vm_log fresh)" &&
	[ ! -e "$T/home/.local/share/qemu-vm/fresh/tpm/tpm2-00.permall" ] &&
	ok "a failed manufacture: exit 1 with the reason, its output in the log, no QEMU, no state kept" ||
	bad "failed manufacture (exit $rc): $out"

# check: swtpm missing, and a state directory that cannot be written.
path=$T/nobin
out=$(as_user "$QVM" check win 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -qx "FAIL  $P/win.ini:13: \[tpm\]: 'swtpm' is not on PATH" <<<"$out" &&
	grep -qx "FAIL  $P/win.ini:13: \[tpm\]: 'swtpm_setup' is not on PATH" <<<"$out" &&
	[ "$(grep -c "fix: sudo apt install swtpm swtpm-tools  (Fedora, Arch: swtpm), or remove \[tpm\]" <<<"$out")" = 2 ] &&
	ok "check without swtpm: both programs FAIL, with the packages to install" || bad "check without swtpm (exit $rc): $out"
path=/usr/bin:/bin
if [ -n "$user" ]; then
	chown root: "$TPM"
	out=$(as_user "$QVM" check win 2>&1)
	rc=$?
	[ $rc -eq 1 ] && grep -qx "FAIL  \[tpm\]: the TPM's state directory $TPM: Permission denied" <<<"$out" &&
		grep -qx "      fix: sudo chown -R $user $TPM" <<<"$out" &&
		ok "check: a state directory the user cannot write FAILs, with the chown that fixes it" ||
		bad "check with a foreign state directory (exit $rc): $out"
	chown "$user:" "$TPM"
else
	echo "SKIP: the state directory of another user needs root"
fi
summary run-tpm
