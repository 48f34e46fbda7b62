#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What a launch reads does not grow with the host: qemu-vm run of the same profile on the
# 25-function desktop host and on the same host grown to 256 functions (bench.spec) opens the
# same number of files and reads the same number of links, up to the exec of QEMU (strace),
# none of them libsystemd; a BIOS guest reads no UEFI firmware descriptor; and the holder of a
# busy VFIO group is still named. QEMU is started by vfork, and neither libsystemd nor libmd
# is loaded on the way to it.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
. tests/testlib.sh
require_tools "Debian: apt-get install strace" strace python3
T=$(mktemp -d /tmp/qvm-cost.XXXXXX)
trap 'rm -rf "$T"' EXIT
tests/hosts/build-all.sh "$T/hosts" >/dev/null || { bad "building the fake host trees"; summary launch-cost; exit; }
mkdir -p "$T/home/.config/qemu-vm" "$T/run" "$T/home/.local/share/qemu-vm/desktop"
chmod 700 "$T/run"
# /bin/true stands in for QEMU (the launcher runs nothing from a tree); pin = goes, the fake host
# has CPUs this machine may not; the vars copy exists, as on every launch after the first.
# Secure Boot and [tpm] go: swtpm is a program of the host, which a tree's run never starts.
sed -e "/^pin = /d" -e "/^secure-boot = /d" -e "/^\\[tpm\\]/,\$d" -e "s|^\\[vm\\]\$|[vm]\\nqemu = /bin/true|" \
	-e "s|^backend = pulseaudio|&\\nserver = /run/user/1000/pulse/native|" profiles/desktop.ini \
	> "$T/home/.config/qemu-vm/desktop.ini"
: > "$T/home/.local/share/qemu-vm/desktop/OVMF_VARS.fd"
printf 'code=/usr/share/OVMF/OVMF_CODE_4M.fd\ntemplate=/usr/share/OVMF/OVMF_VARS_4M.fd\n' \
	> "$T/home/.local/share/qemu-vm/desktop/OVMF_VARS.fd.firmware"

# run now outlives QEMU as its supervisor, so LeakSanitizer's exit-time scan would run under
# strace, which it cannot (it uses ptrace itself): leaks are the other suites' business here.
user_env=(env -i HOME="$T/home" USER=alice XDG_RUNTIME_DIR="$T/run" XDG_CACHE_HOME="$T/cache" PATH=/usr/bin:/bin
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}")

count() { # count HOST: "OPENS LINKS" of qemu-vm run: the launcher's up to its fork of QEMU, and
	# the child's up to the exec of QEMU (what the supervisor does after the fork races QEMU)
	"${user_env[@]}" strace -f -qq -e trace=open,openat,readlink,readlinkat,execve,clone,clone3,fork,vfork \
		-o "$T/trace.$1" "$B/qemu-vm" --host-root "$T/hosts/$1" --allow-root run desktop > "$T/out.$1" 2>&1 ||
		return 1
	python3 -S - "$T/trace.$1" <<'PY'
import re, sys
opens = links = sd = 0
main = child = None
forked = execed = False
how = "none"
for line in open(sys.argv[1]):
    pid, call = line.split(None, 1)
    if main is None:
        main = pid
    if pid == main:
        if forked:
            continue
        if re.match(r"(<\.\.\. )?(clone3?|v?fork)\b", call):
            forked = True
            # vfork, or clone with the flags it stands for: the child borrows the memory
            how = "vfork" if re.match(r"vfork\b", call) or ("CLONE_VM" in call and "CLONE_VFORK" in call) else "fork"
            continue
    else:
        if child is None:
            child = pid
        if pid != child or execed:
            continue
        if re.match(r"(<\.\.\. )?execve\b", call):
            execed = True
            continue
    # A call another process interrupts is two lines, "open(… <unfinished ...>" and "<... open
    # resumed>": count its first line only.
    # AddressSanitizer's runtime reads /proc/self/maps as many times as its own mappings
    # need, which varies from run to run; the launcher itself reads /proc below --host-root.
    if re.match(r"open(at)?\(", call) and '"/proc/self/maps"' not in call:
        opens += 1
        sd += "libsystemd.so" in call or "libmd.so" in call
    elif re.match(r"readlink(at)?\(", call):
        links += 1
print(opens, links, "exec" if execed else "noexec", sd, how)
PY
}

small=$(count desktop) || bad "run on the desktop host: $(cat "$T/out.desktop")"
big=$(count bench) || bad "run on the bench host: $(cat "$T/out.bench")"
funcs_small=$(ls "$T/hosts/desktop/sys/bus/pci/devices" | wc -l)
funcs_big=$(ls "$T/hosts/bench/sys/bus/pci/devices" | wc -l)
read -r o1 l1 e1 sd1 how1 <<<"$small"
read -r o2 l2 e2 sd2 how2 <<<"$big"
if [ "$e1" = exec ] && [ "$e2" = exec ]; then
	ok "run reaches the exec of QEMU on both hosts"
else
	bad "run did not exec QEMU: $(cat "$T/out.desktop" "$T/out.bench")"
fi
[ "$o1" = "$o2" ] && ok "run opens $o1 files on $funcs_small PCI functions and on $funcs_big" ||
	bad "run opens $o1 files on $funcs_small PCI functions, $o2 on $funcs_big"
# sd-bus is for the supervisor's D-Bus calls (this profile's inhibitor among them), made after
# QEMU is started: libsystemd and what it pulls in are not loaded on the way to QEMU. libmd
# hashes a new UEFI vars template only, and this run's vars copy exists.
[ "$sd1" = 0 ] && [ "$sd2" = 0 ] && ok "run loads neither libsystemd nor libmd before QEMU is started" ||
	bad "run loads libsystemd or libmd before QEMU is started ($sd1, $sd2 opens)"
# A fork copies the supervisor's page tables and both sides fault their pages back in: on a
# machine where a fault is dear, milliseconds before QEMU's exec.
[ "$how1" = vfork ] && [ "$how2" = vfork ] && ok "QEMU is started by vfork" ||
	bad "QEMU is started by $how1 and $how2, not vfork"
[ "$l1" = "$l2" ] && ok "run reads $l1 links on $funcs_small PCI functions and on $funcs_big" ||
	bad "run reads $l1 links on $funcs_small PCI functions, $l2 on $funcs_big"
# QEMU's firmware descriptors are JSON to parse: read for a UEFI guest, not for a BIOS one.
printf '[vm]\nmemory = 128M\nfirmware = %s\ndisplay = none\nqemu = /bin/true\n[network]\nmode = none\n' bios \
	>"$T/home/.config/qemu-vm/bios.ini"
sed 's/^firmware = bios$/firmware = uefi/' "$T/home/.config/qemu-vm/bios.ini" >"$T/home/.config/qemu-vm/uefi.ini"
fw_reads() { # fw_reads NAME: how many firmware descriptors show NAME opens on the desktop host
	"${user_env[@]}" strace -f -qq -e trace=open,openat -o "$T/trace.fw" "$B/qemu-vm" --host-root "$T/hosts/desktop" \
		--allow-root show "$1" >/dev/null 2>&1
	grep -c '/qemu/firmware/[^"]*\.json"' "$T/trace.fw"
}
uefi=$(fw_reads uefi)
bios=$(fw_reads bios)
[ "$uefi" -gt 0 ] && [ "$bios" -eq 0 ] && ok "firmware descriptors read for a UEFI guest ($uefi), none for a BIOS one" ||
	bad "firmware descriptors read: $uefi for UEFI, $bios for BIOS"
# Who holds /dev/vfio/N is looked for only to explain a busy group; in a tree, its proc is what
# there is to read (on the system, an open of the group failing with EBUSY starts the search).
mkdir -p "$T/hosts/desktop/proc/4242/fd"
ln -s /dev/vfio/1 "$T/hosts/desktop/proc/4242/fd/7"
echo qemu-system-x86 > "$T/hosts/desktop/proc/4242/comm"
out=$("${user_env[@]}" "$B/qemu-vm" --host-root "$T/hosts/desktop" --allow-root check desktop 2>&1)
grep -q '^FAIL  /dev/vfio/1: in use by process 4242 (qemu-system-x86)$' <<<"$out" &&
	ok "a busy group names the process holding it" || bad "holder: $out"
summary launch-cost
