#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: median launch overhead (qemu-vm run → a QEMU that exits at once) and the
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
chmod 700 "$T/run"
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
print(f"  qemu-vm run desktop → QEMU exited:     {run:7.2f} ms  (launcher overhead {run - base:.2f} ms)")
print(f"  qemu-vm devices:                      {dev:7.2f} ms")
PY

# Invocation → QMP answering qmp_capabilities on qmp.sock: qemu-vm run (checks, lock, log, fork
# of QEMU, the supervisor beside it) against bare QEMU started with the argv qemu-vm show
# prints. A small TCG guest on this machine; the ratio is printed, never asserted.
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "  run → QMP answering: skipped, qemu-system-x86_64 is not installed"
	exit 0
fi
mkdir -p "$T/qmp-run"
chmod 700 "$T/qmp-run"
printf '[vm]\nmemory = 128M\ncpus = 1\naccel = tcg\ncpu = qemu64\nfirmware = bios\ndisplay = none\nshutdown-timeout = 1\n[network]\nmode = none\n[input]\npointer = none\n' \
	> "$T/home/.config/qemu-vm/benchvm.ini"
A=()
[ "$(id -u)" -eq 0 ] && A=(--allow-root)
XDG_RUNTIME_DIR="$T/qmp-run" XDG_STATE_HOME="$T/state" python3 - "${N_QMP:-11}" "$B/qemu-vm" "$T/qmp-run/qemu-vm/benchvm" "${A[@]}" <<'PY'
import os, shlex, signal, socket, statistics, subprocess, sys, time
n, qvm, rundir, extra = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
sock = rundir + "/qmp.sock"
argv = shlex.split(subprocess.run([qvm, "show", "--oneline", "benchvm"], capture_output=True, text=True, check=True).stdout)

def answered(p):
    """Connects to qmp.sock until QEMU answers qmp_capabilities."""
    while True:
        if p.poll() is not None:
            sys.exit(f"bench: {p.args[0]} exited with {p.returncode} before QMP answered")
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(sock)
            f = s.makefile("rw")
            f.readline()
            f.write('{"execute": "qmp_capabilities"}\n')
            f.flush()
            if "return" in f.readline():
                return s
        except OSError:
            pass
        s.close()
        time.sleep(0.002)

def one(start, stop):
    t = time.perf_counter_ns()
    p = start()
    s = answered(p)
    ms = (time.perf_counter_ns() - t) / 1e6
    s.close()
    stop(p)
    p.wait()
    return ms

def bare():
    for d in (os.path.dirname(rundir), rundir):
        if not os.path.isdir(d):
            os.mkdir(d, 0o700)
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def run():
    return subprocess.Popen([qvm] + extra + ["run", "benchvm"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def quit_twice(p):
    p.send_signal(signal.SIGINT)
    time.sleep(0.05)
    p.send_signal(signal.SIGINT)

b = statistics.median(one(bare, lambda p: p.kill()) for _ in range(n))
r = statistics.median(one(run, quit_twice) for _ in range(n))
print(f"  invocation → QMP answering ({n} runs each, medians): bare QEMU {b:7.2f} ms, qemu-vm run {r:7.2f} ms, "
      f"ratio {r / b:.3f} (goal ≤ 1.03)")
PY
