#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: what run (→ exec of a QEMU that exits at once), show, check and devices cost on the
# 25-function desktop host and on the same host grown to 256 functions (bench.spec), against the
# spawn floor (/bin/true). Runs are interleaved (one of each command per round), so load on the
# machine hits every command alike; medians and peak RSS (wait4) are printed, never asserted.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
N=${N:-101}
T=$(mktemp -d /tmp/qvm-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
tests/hosts/build-all.sh "$T/hosts" >/dev/null
mkdir -p "$T/home/.config/qemu-vm" "$T/run" "$T/home/.local/share/qemu-vm/desktop"
# /bin/true stands in for QEMU: exec'd, exits at once; pin = goes (the fake host has 8 CPUs, this
# machine may not). The vars copy exists already, as on every launch after the first.
sed -e "/^pin = /d" -e "s|^\\[vm\\]\$|[vm]\\nqemu = /bin/true|" -e "s|^backend = pulseaudio|&\\nserver = /run/user/1000/pulse/native|" profiles/desktop.ini > "$T/home/.config/qemu-vm/desktop.ini"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/home/.local/share/qemu-vm/desktop/OVMF_VARS.fd" 2>/dev/null ||
	: > "$T/home/.local/share/qemu-vm/desktop/OVMF_VARS.fd"
export HOME="$T/home" USER=alice XDG_RUNTIME_DIR="$T/run" XDG_CACHE_HOME="$T/cache"
unset XDG_CONFIG_HOME XDG_DATA_HOME
for h in desktop bench; do
	"$B/qemu-vm" --host-root "$T/hosts/$h" --allow-root check desktop >/dev/null || {
		echo "bench: the desktop profile does not pass check on the $h host:"
		"$B/qemu-vm" --host-root "$T/hosts/$h" --allow-root check desktop
		exit 1
	}
done
hwdb=no
for f in /etc/udev/hwdb.bin /usr/lib/udev/hwdb.bin /lib/udev/hwdb.bin; do [ -e "$f" ] && hwdb=yes; done
cc -O2 -o "$T/spawn" tests/bench/spawn.c
python3 - "$N" "$B/qemu-vm" "$T/hosts" "$hwdb" "$T/spawn" <<'PY'
import os, statistics, subprocess, sys
n, qvm, hosts, hwdb, spawn = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
small, big = f"{hosts}/desktop", f"{hosts}/bench"
funcs = {h: len(os.listdir(f"{h}/sys/bus/pci/devices")) for h in (small, big)}
cmds = {"true": ["/bin/true"]}
for cmd in ("run", "show", "check", "devices"):
    for tag, h in (("25", small), ("256", big)):
        argv = [qvm, "--host-root", h, "--allow-root", cmd]
        cmds[f"{cmd}@{tag}"] = argv + ([] if cmd == "devices" else ["desktop"])
keys = list(cmds)
words = []
for k in keys:
    words += (["--"] if words else []) + cmds[k]
out = subprocess.run([spawn, str(n)] + words, check=True, capture_output=True, text=True).stdout
times = {k: [] for k in keys}
rss = {k: 0 for k in keys}
for line in out.splitlines():
    i, ns, kb, rc = map(int, line.split())
    if rc != 0:
        sys.exit(f"bench: {' '.join(cmds[keys[i]])} exited {rc}")
    times[keys[i]].append(ns / 1e6)
    rss[keys[i]] = max(rss[keys[i]], kb)
med = {k: statistics.median(v) for k, v in times.items()}
base = med["true"]
print(f"hosts: desktop {funcs[small]} and bench {funcs[big]} PCI functions; {n} interleaved rounds; "
      f"medians; hwdb: {hwdb}")
print(f"  {'/bin/true':<14} {base:7.2f} ms   1.00 x true                  peak RSS {rss['true'] / 1024:5.2f} MiB")
for cmd in ("run", "show", "check", "devices"):
    a, b = med[f"{cmd}@25"], med[f"{cmd}@256"]
    for tag, v in (("25", a), ("256", b)):
        extra = f"  256/25 = {b / a:4.2f}" if tag == "256" else " " * 15
        print(f"  {cmd + ' @' + tag:<14} {v:7.2f} ms  {v / base:5.2f} x true{extra}   peak RSS "
              f"{rss[f'{cmd}@{tag}'] / 1024:5.2f} MiB")
PY
