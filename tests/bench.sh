#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: what run (→ exec of a QEMU that exits at once), show, check and devices cost on the
# 25-function desktop host and on the same host grown to 256 functions (bench.spec), against the
# spawn floor (/bin/true). Runs are interleaved (one of each command per round), so load on the
# machine hits every command alike; medians and peak RSS (wait4) are printed, never asserted.
# BENCH=launch runs only these launch figures, BENCH=qmp only invocation → QMP answering.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
N=${N:-101}
BENCH=${BENCH:-all}
case $BENCH in
all | launch | qmp) ;;
*)
	echo "bench: BENCH=$BENCH: expected all, launch or qmp" >&2
	exit 2
	;;
esac
T=$(mktemp -d /tmp/qvm-bench.XXXXXX)
# A session's runtime directory is a tmpfs (logind mounts one): the run's lock, sockets and state
# file go there, where an fsync costs nothing, not to /tmp's disk.
R=$T/qmp-run
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then R=$(mktemp -d /dev/shm/qvm-bench-run.XXXXXX); fi
trap 'rm -rf "$T" "$R"' EXIT
mkdir -p "$T/home/.config/qemu-vm" "$T/run" "$T/home/.local/share/qemu-vm/desktop"
chmod 700 "$T/run"
export HOME="$T/home" USER=alice XDG_RUNTIME_DIR="$T/run" XDG_CACHE_HOME="$T/cache"
unset XDG_CONFIG_HOME XDG_DATA_HOME

launch() {
tests/hosts/build-all.sh "$T/hosts" >/dev/null
# /bin/true stands in for QEMU: exec'd, exits at once; pin = goes (the fake host has 8 CPUs, this
# machine may not). The vars copy exists already, as on every launch after the first. Secure
# Boot and [tpm] go: swtpm is a program of the host, which a tree's run never starts.
sed -e "/^pin = /d" -e "/^secure-boot = /d" -e "/^\\[tpm\\]/,\$d" -e "s|^\\[vm\\]\$|[vm]\\nqemu = /bin/true|" -e "s|^backend = pulseaudio|&\\nserver = /run/user/1000/pulse/native|" profiles/desktop.ini > "$T/home/.config/qemu-vm/desktop.ini"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/home/.local/share/qemu-vm/desktop/OVMF_VARS.fd" 2>/dev/null ||
	: > "$T/home/.local/share/qemu-vm/desktop/OVMF_VARS.fd"
printf 'code=/usr/share/OVMF/OVMF_CODE_4M.fd\ntemplate=/usr/share/OVMF/OVMF_VARS_4M.fd\n' \
	> "$T/home/.local/share/qemu-vm/desktop/OVMF_VARS.fd.firmware"
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
}

# Invocation → QMP answering qmp_capabilities on qmp.sock: qemu-vm run (checks, lock, log, fork
# of QEMU, the supervisor beside it) against bare QEMU started with the argv qemu-vm show
# prints (both with -S; run's supervisor sends cont within the window, the bare QEMU stays paused).
# A third figure is the floor of any launcher that execs QEMU: bare QEMU behind /usr/bin/env,
# one exec more and nothing else. A small TCG guest on this machine; the ratios are printed,
# never asserted. QEMU's start varies by several ms from run to run, so the default is 101
# rounds (N_QMP=), each also compared within its round: the median of the per-round ratios and
# its interquartile range say how far the medians can be trusted. The load average is printed
# too: the machine's other work weighs on every side, but not as a fixed share.
qmp() {
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "  run → QMP answering: skipped, qemu-system-x86_64 is not installed"
	return 0
fi
mkdir -p "$R"
chmod 700 "$R"
printf '[vm]\nmemory = 128M\ncpus = 1\naccel = tcg\ncpu = qemu64\nfirmware = bios\ndisplay = none\nshutdown-timeout = 1\n[network]\nmode = none\n[input]\npointer = none\n' \
	> "$T/home/.config/qemu-vm/benchvm.ini"
A=()
[ "$(id -u)" -eq 0 ] && A=(--allow-root)
XDG_RUNTIME_DIR="$R" XDG_STATE_HOME="$T/state" python3 - "${N_QMP:-101}" "$B/qemu-vm" "$R/qemu-vm/benchvm" "${A[@]}" <<'PY'
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

def bare_dirs():
    for d in (os.path.dirname(rundir), rundir):
        if not os.path.isdir(d):
            os.mkdir(d, 0o700)

def bare():
    bare_dirs()
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def env():
    bare_dirs()
    return subprocess.Popen(["/usr/bin/env"] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def run():
    return subprocess.Popen([qvm] + extra + ["run", "benchvm"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def quit_twice(p):
    p.send_signal(signal.SIGINT)
    time.sleep(0.05)
    p.send_signal(signal.SIGINT)

# Interleaved, one of each per round, so load on the machine hits all alike.
bs, es, rs = [], [], []
for _ in range(n):
    bs.append(one(bare, lambda p: p.kill()))
    es.append(one(env, lambda p: p.kill()))
    rs.append(one(run, quit_twice))
b = statistics.median(bs)
print(f"  invocation → QMP answering ({n} rounds, medians; load average {os.getloadavg()[0]:.2f}):")
print(f"    bare QEMU              {b:7.2f} ms")
for name, xs, goal in (("behind /usr/bin/env", es, ""), ("qemu-vm run", rs, " (goal ≤ 1.03)")):
    m = statistics.median(xs)
    per = statistics.quantiles([x / y for x, y in zip(xs, bs)], n=4)
    print(f"    {name:<22} {m:7.2f} ms  {m - b:+6.2f} ms  ratio {m / b:.3f}{goal}; per round "
          f"{per[1]:.3f} (IQR {per[0]:.3f}–{per[2]:.3f})")
PY
}

[ "$BENCH" = qmp ] || launch
[ "$BENCH" = launch ] || qmp
