#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: median launch overhead (qemu-vm run → exec of a QEMU that exits at once) and the
# median time of qemu-vm devices, on the desktop fixture grown to 256 PCI functions. Printed,
# never asserted.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
N=${N:-101}
T=$(mktemp -d /tmp/qvm-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
tests/hosts/build-all.sh "$T/hosts" >/dev/null
mkdir -p "$T/home/.config/qemu-vm" "$T/run" "$T/home/.local/share/qemu-vm/desktop"
# /bin/true stands in for QEMU: exec'd, exits at once; pin = goes (the fake host has 8 CPUs, this
# machine may not). The vars copy exists already, as on
# every launch after the first.
sed -e "/^pin = /d" -e "s|^\\[vm\\]\$|[vm]\\nqemu = /bin/true|" -e "s|^backend = pulseaudio|&\\nserver = /run/user/1000/pulse/native|" profiles/desktop.ini > "$T/home/.config/qemu-vm/desktop.ini"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/home/.local/share/qemu-vm/desktop/OVMF_VARS.fd" 2>/dev/null ||
	: > "$T/home/.local/share/qemu-vm/desktop/OVMF_VARS.fd"
export HOME="$T/home" USER=alice XDG_RUNTIME_DIR="$T/run" XDG_CACHE_HOME="$T/cache"
unset XDG_CONFIG_HOME XDG_DATA_HOME
root=$T/hosts/bench
funcs=$(ls "$root/sys/bus/pci/devices" | wc -l)
"$B/qemu-vm" --host-root "$root" --allow-root check desktop >/dev/null ||
	{ echo "bench: the desktop profile does not pass check on the bench host:"; "$B/qemu-vm" --host-root "$root" --allow-root check desktop; exit 1; }
python3 - "$N" "$funcs" "$B/qemu-vm" "$root" <<'PY'
import statistics, subprocess, sys, time
n, funcs, qvm, root = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def median_ms(argv):
    times = []
    for _ in range(n):
        t = time.perf_counter_ns()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter_ns() - t) / 1e6)
    return statistics.median(times)
base = median_ms(["/bin/true"])
run = median_ms([qvm, "--host-root", root, "--allow-root", "run", "desktop"])
dev = median_ms([qvm, "--host-root", root, "devices"])
print(f"bench host: {funcs} PCI functions; {n} runs each; medians")
print(f"  /bin/true alone (spawn cost):         {base:7.2f} ms")
print(f"  qemu-vm run desktop → exec of QEMU:    {run:7.2f} ms  (launcher overhead {run - base:.2f} ms)")
print(f"  qemu-vm devices:                      {dev:7.2f} ms")
PY
