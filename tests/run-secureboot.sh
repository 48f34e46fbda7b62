#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# secure-boot = on with the distribution's OVMF under a real QEMU (TCG), as an unprivileged test
# user: the enrolled-keys firmware starts and refuses to run the unsigned UEFI shell (read from
# the serial console), where the same VM with secure-boot = off runs it; the vars copy records
# its firmware, and a copy made for another firmware is kept aside, never booted.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
QVM=$PWD/$B/qemu-vm
. tests/testlib.sh
require_tools "Debian: apt-get install qemu-system-x86 python3" qemu-system-x86_64 python3
ENROLLED=/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json
if [ ! -r "$ENROLLED" ] || [ ! -r /usr/share/OVMF/OVMF_CODE_4M.ms.fd ]; then
	echo "SKIP: no OVMF with Microsoft's keys enrolled ($ENROLLED; Debian: apt-get install ovmf)"
	exit 77
fi
require_built "$QVM"

T=$(mktemp -d /tmp/qvm-sb.XXXXXX)
chmod 755 "$T"
cleanup() {
	for f in "$T"/run/qemu-vm/*/state; do
		[ -e "$f" ] && kill -9 "$(sed -n 's/^supervisor=//p' "$f")" 2>/dev/null
	done
	test_user_del
	rm -rf "$T"
}
trap cleanup EXIT
suite_user qvmsb$$ "$T/home"
P=$T/home/.config/qemu-vm
DATA=$T/home/.local/share/qemu-vm/sb
mkdir -p "$P" "$T/run" "$T/out"
chmod 700 "$T/run"
user_env() {
	envs=(HOME="$T/home" XDG_RUNTIME_DIR="$T/run" PATH=/usr/bin:/bin
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}")
}
profile() { # profile on|off: the VM sb, its serial console in $T/out/serial-on|off
	printf '[vm]\nmemory = 256M\ncpus = 1\naccel = tcg\ncpu = qemu64\nhyperv = off\ndisplay = none\nshutdown-timeout = 1\nsecure-boot = %s\n[network]\nmode = none\n[input]\npointer = none\n[qemu]\narg = -serial\narg = file:%s\n' \
		"$1" "$T/out/serial-$1" > "$P/sb.ini"
	[ -n "$user" ] && chown -R "$user:" "$T/home" "$T/run" "$T/out"
}
console() { tr -d '\033' < "$T/out/serial-$1" 2>/dev/null | tr '\r' '\n'; }
# boot on|off PATTERN: runs sb detached until its console shows PATTERN (TCG OVMF is slow:
# polled, with a generous limit), then stops it; the run's stderr in $T/out/run-on|off.
boot() {
	local i
	as_user "$QVM" run --detach sb > "$T/out/run-$1" 2>&1 || { cat "$T/out/run-$1"; return 1; }
	for i in $(seq 600); do
		console "$1" | grep -q "$2" && break
		sleep 0.5
	done
	as_user "$QVM" stop --force --timeout 1 sb > /dev/null 2>&1
	console "$1" | grep -q "$2"
}

profile on
out=$(as_user "$QVM" check sb 2>&1)
grep -qx "ok    UEFI firmware: /usr/share/OVMF/OVMF_CODE_4M.ms.fd (Secure Boot, Microsoft's keys enrolled), vars $DATA/OVMF_VARS.fd (copied from the template on first run)" <<<"$out" &&
	ok "check: secure-boot = on picks the enrolled-keys firmware" || bad "check: $out"
argv=$(as_user "$QVM" show --oneline sb 2>&1)
[[ $argv == *"-machine q35,vmport=off,memory-backend=mem0,smm=on "* ]] &&
	[[ $argv == *"-global driver=cfi.pflash01,property=secure,value=on "* ]] &&
	[[ $argv == *"file=/usr/share/OVMF/OVMF_CODE_4M.ms.fd "* ]] &&
	ok "show: smm=on and the secure pflash, as the descriptor's requires-smm asks" || bad "show: $argv"

if boot on "Security Violation"; then
	console on | grep -q 'failed to start Boot0001 "EFI Internal Shell".*: Security Violation' &&
		! console on | grep -q "UEFI Interactive Shell" &&
		ok "secure-boot = on: the firmware refuses the unsigned UEFI shell (Security Violation on the console)" ||
		bad "console with secure-boot = on: $(console on | tail -5)"
else
	bad "secure-boot = on: no Security Violation on the console: $(console on | tail -5) $(cat "$T/out/run-on")"
fi
rec=$(cat "$DATA/OVMF_VARS.fd.firmware" 2>&1)
grep -qx "code=/usr/share/OVMF/OVMF_CODE_4M.ms.fd" <<<"$rec" && grep -qx "template=/usr/share/OVMF/OVMF_VARS_4M.ms.fd" <<<"$rec" &&
	grep -qx "template-sha256=$(sha256sum /usr/share/OVMF/OVMF_VARS_4M.ms.fd | cut -d' ' -f1)" <<<"$rec" &&
	[ "$(stat -c %a "$DATA/OVMF_VARS.fd")" = 600 ] &&
	ok "the vars copy (0600) records its firmware: executable, template and the template's hash" || bad "record: $rec"

# The same VM without Secure Boot: the copy made for the enrolled-keys firmware is not booted.
profile off
out=$(as_user "$QVM" check sb 2>&1)
grep -qx "warn  UEFI vars: $DATA/OVMF_VARS.fd was made for the firmware /usr/share/OVMF/OVMF_CODE_4M.ms.fd; run keeps it aside as $DATA/OVMF_VARS.fd.DATE-TIME and copies /usr/share/OVMF/OVMF_VARS_4M.fd afresh (boot entries and enrolled keys start over)" <<<"$out" &&
	ok "check warns that the vars copy was made for another firmware, and what run does" || bad "check after the switch: $out"
if boot off "UEFI Interactive Shell"; then
	ok "secure-boot = off: the same VM runs the UEFI shell"
else
	bad "secure-boot = off: no UEFI shell on the console: $(console off | tail -5) $(cat "$T/out/run-off")"
fi
aside=$(ls "$DATA" | grep -x 'OVMF_VARS\.fd\.[0-9]\{8\}-[0-9]\{6\}')
[ -n "$aside" ] && grep -qx "code=/usr/share/OVMF/OVMF_CODE_4M.ms.fd" "$DATA/$aside.firmware" &&
	grep -qx "code=/usr/share/OVMF/OVMF_CODE_4M.fd" "$DATA/OVMF_VARS.fd.firmware" &&
	grep -q "kept aside as $DATA/$aside" "$T/out/run-off" &&
	ok "run kept the old copy aside with its record ($aside) and made a fresh one for this firmware" ||
	bad "after the switch: $(ls -la "$DATA"; cat "$T/out/run-off")"

# No enrolled-keys firmware at all: check fails with the package to install.
mkdir -p "$T/home/.config/qemu/firmware"
for f in /usr/share/qemu/firmware/*.json; do ln -s /dev/null "$T/home/.config/qemu/firmware/${f##*/}"; done
profile on
out=$(as_user "$QVM" check sb 2>&1)
grep -q "^FAIL  $P/sb.ini:9: secure-boot: none of the [0-9]* firmware descriptors .* with Secure Boot and enrolled keys" <<<"$out" &&
	grep -qx "      fix: sudo apt install ovmf  (Fedora: edk2-ovmf; the firmware with Microsoft's keys enrolled), or secure-boot = off at $P/sb.ini:9" <<<"$out" &&
	ok "no enrolled-keys firmware: check FAILs with the package, or secure-boot = off" || bad "check without the firmware: $out"
summary run-secureboot
