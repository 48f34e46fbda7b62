# SPDX-License-Identifier: GPL-2.0-or-later
"""Starts real QEMU from an argv `qemu-vm show` printed and checks, over QMP and qtest, that the
machine has what the profile asked for; prints one `ok`/`FAIL` line per check.

  vmcheck.py boot  NAME ARGV TMP [expectations]   start, look (-S), cont, look at the buses
  vmcheck.py qtest NAME ARGV TMP [expectations]   start stopped, read fw_cfg through qtest
  vmcheck.py demo  NAME ARGV TMP                  TCG + OVMF to the UEFI shell on stdout

Expectations (each may repeat):
  --port ID=SS.F              root port ID sits at 00:SS.F
  --behind PORT/BB:SS.F=ID    device ID is at BB:SS.F behind PORT once the firmware ran
  --device ID=VVVV:DDDD       device ID has these vendor and device IDs
  --bar ID/N=SIZE             BAR N of device ID is SIZE (64M, 256, ...)
  --qom PATH:PROP=JSON        qom-get PATH PROP equals the JSON value (a bare word is a string);
                              a <TYPE> component in PATH is the parent's one child of that type
  --block DEV=FILE            query-block: DEV has exactly FILE inserted
  --fwcfg NAME=FILE           fw_cfg file NAME has exactly FILE's bytes (qtest)
  --acpi FILE                 FILE's bytes are in the ACPI tables QEMU gives the guest (qtest)
  --cpus N=SxCxT              N vCPUs in S sockets of C cores of T threads
  --guest-name NAME           query-name answers NAME
  --qtree TYPE=N              info qtree (human-monitor-command) holds N devices of TYPE
Exit status: 0 when every check passed, 1 otherwise.
"""

import argparse
import json
import os
import select
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adapt import Adapter, flatten, parse_argv, qmp_path, socket_paths  # noqa: E402
from qmp import QMP, QMPError  # noqa: E402
from qtest import FwCfg, QTestError, QTestServer  # noqa: E402

failures = 0


def ok(msg):
    print("ok   " + msg, flush=True)


def fail(msg, detail=None):
    global failures
    failures += 1
    print("FAIL " + msg, flush=True)
    for line in (detail or "").rstrip().splitlines()[-15:]:
        print("     | " + line, flush=True)


def size_bytes(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * mult[s[-1]] if s[-1] in mult else int(s, 0)


def file_name(name):
    """NAME as a plain file name for this test's own sockets and logs (the profile's name may
    hold commas; the test's own files need not)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def json_or_word(s):
    try:
        return json.loads(s)
    except ValueError:
        return s


class VM:
    """One QEMU process with its QMP connection; stderr goes to a file shown on failure."""

    def __init__(self, name, words, tmp, stdin=subprocess.DEVNULL, stdout=None):
        self.name = name
        self.words = words
        self.err_path = os.path.join(tmp, "%s.stderr" % file_name(name))
        self.err = open(self.err_path, "w")
        if stdout is None:
            stdout = open(os.path.join(tmp, "%s.stdout" % file_name(name)), "wb")
        # QVM_TEST_WRAPPER: a program QEMU is started through (run-qemu.sh: the launcher's
        # seccomp filter, as qemu-vm run applies it before exec).
        wrapper = [os.environ["QVM_TEST_WRAPPER"]] if os.environ.get("QVM_TEST_WRAPPER") else []
        self.proc = subprocess.Popen(wrapper + words, stdin=stdin, stdout=stdout, stderr=self.err, cwd=tmp)
        self.qmp = None

    def stderr(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def why(self):
        """What to show when something failed: QEMU's messages and the argv it was given."""
        return "%s\nargv: %s" % (self.stderr(), " ".join(shlex.quote(w) for w in self.words))

    def connect(self, path, timeout=30.0):
        self.qmp = QMP(path, self.proc, timeout)
        return self.qmp

    def stop(self):
        """quit over QMP; QEMU that does not go within 10 s is killed (this process only)."""
        if self.proc.poll() is None and self.qmp is not None:
            try:
                self.qmp.cmd("quit")
            except (QMPError, OSError):
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.qmp is not None:
            self.qmp.close()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe:
                pipe.close()
        self.err.close()


def pci_devices(qmp):
    """query-pci flattened: (parent qdev_id or 'pcie.0', bus, slot, function, info) for every
    device, walking into bridges. A bridge's devices report the bus the firmware gave it
    (0 until the firmware has numbered the buses)."""
    out = []

    def walk(parent, bus, devices):
        for d in devices:
            out.append((parent, bus, d["slot"], d["function"], d))
            br = d.get("pci_bridge")
            if br:
                walk(d.get("qdev_id") or "?", br["bus"]["secondary"], br.get("devices", []))

    for b in qmp.cmd("query-pci"):
        walk("pcie.0", b["bus"], b["devices"])
    return out


def by_id(devs, qdev_id):
    for parent, bus, slot, fn, d in devs:
        if d.get("qdev_id") == qdev_id:
            return parent, bus, slot, fn, d
    return None


def check_ports(name, devs, ports):
    for spec in ports:
        pid, addr = spec.split("=", 1)
        slot, fn = addr.split(".")
        found = by_id(devs, pid)
        if not found:
            fail("%s: root port %s is in query-pci" % (name, pid))
            continue
        parent, bus, s, f, d = found
        where = "%02x:%02x.%x" % (bus, s, f)
        if parent == "pcie.0" and bus == 0 and (s, f) == (int(slot, 16), int(fn, 16)):
            ok("%s: root port %s at %s (%s)" % (name, pid, where, d["class_info"].get("desc", "")))
        else:
            fail("%s: root port %s at 00:%s, query-pci has it at %s" % (name, pid, addr, where))


def check_devices(name, devs, devices):
    for spec in devices:
        did, ids = spec.split("=", 1)
        ven, dev = (int(x, 16) for x in ids.split(":"))
        found = by_id(devs, did)
        if not found:
            fail("%s: %s (%s) is in query-pci" % (name, did, ids))
            continue
        got = found[4]["id"]
        if (got["vendor"], got["device"]) == (ven, dev):
            ok("%s: %s is %04x:%04x at %02x:%02x.%x" % (name, did, ven, dev, found[1], found[2], found[3]))
        else:
            fail("%s: %s is %s, query-pci says %04x:%04x" % (name, did, ids, got["vendor"], got["device"]))


def check_bars(name, devs, bars):
    for spec in bars:
        dbar, size = spec.split("=", 1)
        did, bar = dbar.split("/")
        found = by_id(devs, did)
        regions = {r["bar"]: r for r in found[4].get("regions", [])} if found else {}
        r = regions.get(int(bar))
        if r and r["size"] == size_bytes(size):
            ok("%s: %s BAR%s is %s (%d bytes%s)" % (name, did, bar, size, r["size"],
                                                    ", prefetchable" if r.get("prefetch") else ""))
        else:
            fail("%s: %s BAR%s is %s" % (name, did, bar, size),
                 "query-pci regions: %s" % json.dumps(found[4].get("regions") if found else None))


def qom_resolve(qmp, path):
    """PATH with each <TYPE> component replaced by the name of the parent's child of that type
    (qom-list): built-in devices such as the ICH9-LPC bridge live at /machine/unattached/
    device[N], and N depends on the board's creation order."""
    out = ""
    for comp in path.strip("/").split("/"):
        if comp.startswith("<") and comp.endswith(">"):
            children = [c["name"] for c in qmp.cmd("qom-list", path=out or "/")
                        if c["type"] == "child%s" % comp]
            if len(children) != 1:
                raise QMPError("%s: %d children of type %s" % (out, len(children), comp[1:-1]))
            comp = children[0]
        out += "/" + comp
    return out


def check_qom(name, qmp, qoms):
    for spec in qoms:
        path, rest = spec.split(":", 1)
        prop, want = rest.split("=", 1)
        want = json_or_word(want)
        try:
            got = qmp.cmd("qom-get", path=qom_resolve(qmp, path), property=prop)
        except QMPError as e:
            fail("%s: qom-get %s %s" % (name, path, prop), str(e))
            continue
        if got == want:
            ok("%s: qom-get %s %s = %s" % (name, path, prop, json.dumps(got)))
        else:
            fail("%s: qom-get %s %s = %s, not %s" % (name, path, prop, json.dumps(got), json.dumps(want)))


def check_blocks(name, qmp, blocks):
    table = {b["device"]: b for b in qmp.cmd("query-block")}
    for spec in blocks:
        dev, path = spec.split("=", 1)
        ins = table.get(dev, {}).get("inserted")
        if ins and ins["file"] == path and ins["image"]["filename"] == path:
            ok("%s: query-block %s has %s (%s)" % (name, dev, shlex.quote(path), ins["image"]["format"]))
        else:
            fail("%s: query-block %s has %s" % (name, dev, shlex.quote(path)),
                 json.dumps({d: b.get("inserted", {}).get("file") for d, b in table.items()}))


def check_cpus(name, qmp, spec):
    n, topo = spec.split("=", 1)
    cpus = qmp.cmd("query-cpus-fast")
    got = "x".join(str(len({c["props"].get(k, 0) for c in cpus}))
                   for k in ("socket-id", "core-id", "thread-id"))
    if len(cpus) == int(n) and got == topo:
        ok("%s: %d vCPUs, sockets x cores x threads = %s" % (name, len(cpus), got))
    else:
        fail("%s: %s vCPUs as %s" % (name, n, topo), "query-cpus-fast: %d vCPUs as %s" % (len(cpus), got))


def check_qtree(name, qmp, specs):
    """Devices no query command lists (the i8042 on the ISA bus), counted in info qtree."""
    if not specs:
        return
    tree = qmp.cmd("human-monitor-command", **{"command-line": "info qtree"})
    for spec in specs:
        dtype, n = spec.split("=", 1)
        got = sum(1 for line in tree.splitlines() if line.strip().startswith("dev: %s," % dtype))
        if got == int(n):
            ok("%s: info qtree has %d %s device%s" % (name, got, dtype, "" if got == 1 else "s"))
        else:
            fail("%s: info qtree has %s %s devices" % (name, n, dtype), "it has %d" % got)


def check_name(name, qmp, want):
    got = qmp.cmd("query-name").get("name")
    if got == want:
        ok("%s: query-name answers %s" % (name, json.dumps(got)))
    else:
        fail("%s: query-name answers %s" % (name, json.dumps(want)), "got %s" % json.dumps(got))


def start(name, words, tmp, how, notes):
    """QEMU from WORDS, with QMP connected; None (and a FAIL) when it does not come up.
    QVM_TEST_VERBOSE=1 prints what was adapted first."""
    if os.environ.get("QVM_TEST_VERBOSE"):
        for n in notes:
            print("#    %s: %s" % (name, n))
    vm = VM(name, words, tmp)
    try:
        vm.connect(qmp_path(parse_argv(words)))
    except QMPError as e:
        vm.stop()  # QEMU's last words are in its stderr once it has exited
        fail("%s: QEMU starts from the argv (%s)" % (name, how), "%s\n%s" % (e, vm.why()))
        return None
    return vm


def cmd_boot(a, opts):
    ad = Adapter(a.tmp)
    words = flatten(ad.for_boot(opts))
    vm = start(a.name, words, a.tmp, ad.accel, ad.notes)
    if not vm:
        ad.close()
        return
    try:
        v = vm.qmp.version
        ok("%s: QEMU %d.%d.%d starts from the argv, stopped (-S, %s; %d adaptations), QMP at %s"
           % (a.name, v["major"], v["minor"], v["micro"], ad.accel, len(ad.notes),
              shlex.quote(qmp_path(parse_argv(words)))))
        # Root ports sit on bus 0: where the plan put them is visible before anything ran.
        check_ports(a.name, pci_devices(vm.qmp), a.port)
        check_qom(a.name, vm.qmp, a.qom)
        check_blocks(a.name, vm.qmp, a.block)
        check_qtree(a.name, vm.qmp, a.qtree)
        if a.cpus:
            check_cpus(a.name, vm.qmp, a.cpus)
        if a.guest_name is not None:
            check_name(a.name, vm.qmp, a.guest_name)
        # Devices behind a root port only show in query-pci once the firmware has given the
        # port a secondary bus number.
        if a.behind:
            firmware_numbers_buses(a, vm, ad.accel)
        devs = pci_devices(vm.qmp)
        check_devices(a.name, devs, a.device)
        check_bars(a.name, devs, a.bar)
    except (QMPError, OSError) as e:
        fail("%s: QMP conversation" % a.name, "%s\n%s" % (e, vm.why()))
    finally:
        vm.stop()
        ad.close()


def firmware_numbers_buses(a, vm, accel):
    """Bus numbers behind root ports exist once the firmware has enumerated (SeaBIOS about a
    second after cont under KVM, OVMF rather longer under TCG): cont, then poll query-pci."""
    want = []
    for spec in a.behind:
        where, did = spec.split("=", 1)
        port, addr = where.split("/")
        bus, sf = addr.split(":")
        slot, fn = sf.split(".")
        want.append((did, port, int(bus, 16), int(slot, 16), int(fn, 16)))
    vm.qmp.cmd("cont")
    deadline = time.monotonic() + (20 if accel == "kvm" else 120)
    while True:
        devs = pci_devices(vm.qmp)
        got = {did: by_id(devs, did) for did, *_ in want}
        if all(got[did] and got[did][:4] == (port, bus, slot, fn) for did, port, bus, slot, fn in want):
            break
        if time.monotonic() > deadline or vm.proc.poll() is not None:
            break
        time.sleep(0.25)
    fw = "SeaBIOS" if accel == "kvm" else "OVMF"
    for did, port, bus, slot, fn in want:
        g = got[did]
        if g and g[:4] == (port, bus, slot, fn):
            ok("%s: %s at %02x:%02x.%x behind %s once %s numbered the buses"
               % (a.name, did, bus, slot, fn, port, fw))
        else:
            fail("%s: %s at %02x:%02x.%x behind %s once %s numbered the buses"
                 % (a.name, did, bus, slot, fn, port, fw),
                 "query-pci has it %s" % ("at %02x:%02x.%x behind %s" % (g[1], g[2], g[3], g[0]) if g else "nowhere"))


def cmd_qtest(a, opts):
    ad = Adapter(a.tmp)
    sock = os.path.join(a.tmp, "%s.qtest" % file_name(a.name))
    srv = QTestServer(sock)
    words = flatten(ad.for_qtest(opts, sock))
    vm = start(a.name + " (qtest)", words, a.tmp, ad.accel + ", qtest", ad.notes)
    if not vm:
        srv.close()
        ad.close()
        return
    qt = None
    try:
        qt = srv.accept(vm.proc)
        fw = FwCfg(qt)
        sig = fw.item(0x0000, 4)
        if sig == b"QEMU":
            ok("%s: qtest reads fw_cfg through ports 0x510/0x511 (signature %r)" % (a.name, sig.decode()))
        else:
            fail("%s: fw_cfg signature over qtest" % a.name, "got %r" % sig)
        for spec in a.fwcfg:
            fname, path = spec.split("=", 1)
            with open(path, "rb") as f:
                want = f.read()
            got = fw.file(fname)
            if got == want:
                ok("%s: fw_cfg %s has the %d bytes of %s" % (a.name, fname, len(want), shlex.quote(path)))
            else:
                fail("%s: fw_cfg %s has the bytes of %s" % (a.name, fname, shlex.quote(path)),
                     "fw_cfg files: %s" % sorted(fw.files()) if got is None else
                     "%d bytes read, %d in the file" % (len(got), len(want)))
        for path in a.acpi:
            with open(path, "rb") as f:
                want = f.read()
            tables = fw.file("etc/acpi/tables") or b""
            if want and want in tables:
                ok("%s: the %d-byte %s table from %s is in etc/acpi/tables"
                   % (a.name, len(want), want[:4].decode(errors="replace"), shlex.quote(path)))
            else:
                fail("%s: table %s is in etc/acpi/tables (%d bytes)" % (a.name, shlex.quote(path), len(tables)))
        check_qom(a.name, vm.qmp, a.qom)
        check_blocks(a.name, vm.qmp, a.block)
    except (QMPError, QTestError, OSError) as e:
        fail("%s: qtest conversation" % a.name, "%s\n%s" % (e, vm.why()))
    finally:
        if qt:
            qt.close()
        vm.stop()
        srv.close()
        ad.close()


def cmd_demo(a, opts):
    """The demo boots OVMF, which this machine's KVM cannot run: TCG, as accel = auto would
    pick on a host without KVM. Its serial console is QEMU's stdio (-serial mon:stdio)."""
    ad = Adapter(a.tmp, accel="tcg")
    words = flatten(ad.qmp_dir(ad.uefi_vars(ad.accel_for_this_host(ad.cpu_for_this_host(opts)))))
    vm = VM(a.name, words, a.tmp, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out = b""
    # QEMU starts paused (-S); qemu-vm run's supervisor pins the threads and sends cont over its
    # own monitor, and so does this test.
    try:
        sup = QMP(socket_paths(opts)["qmp-supervisor"], vm.proc, 15)
        sup.cmd("cont")
    except (QMPError, KeyError) as e:
        fail("%s: cont on the supervisor's monitor" % a.name, "%s\n%s" % (e, vm.why()))
    deadline = time.monotonic() + 90
    while b"Shell>" not in out and time.monotonic() < deadline and vm.proc.poll() is None:
        r, _, _ = select.select([vm.proc.stdout], [], [], 1.0)
        if r:
            chunk = os.read(vm.proc.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
    with open(os.path.join(a.tmp, "%s.stdout" % file_name(a.name)), "wb") as f:
        f.write(out)
    if b"Shell>" in out:
        ok("%s: OVMF reaches the UEFI Shell> prompt on the serial console (TCG)" % a.name)
    else:
        fail("%s: OVMF reaches the UEFI Shell> prompt on the serial console (TCG)" % a.name,
             "stdout ends: %r\n%s" % (out[-300:], vm.why()))
    try:
        vm.connect(qmp_path(opts), timeout=10)
        st = vm.qmp.cmd("query-status")
        ok("%s: QMP on the launcher's socket answers (status %s)" % (a.name, st["status"]))
    except QMPError as e:
        fail("%s: QMP on the launcher's socket answers" % a.name, str(e))
    # Ctrl-A X: the mux on stdio (mon:stdio) quits QEMU, as the README tells the user.
    rc = None
    if vm.proc.poll() is None:
        try:
            vm.proc.stdin.write(b"\x01x")
            vm.proc.stdin.flush()
            rc = vm.proc.wait(15)
        except (subprocess.TimeoutExpired, OSError):
            rc = None
    if rc == 0:
        ok("%s: Ctrl-A X on stdin quits QEMU (status 0)" % a.name)
    else:
        fail("%s: Ctrl-A X on stdin quits QEMU" % a.name, "status %s\n%s" % (rc, vm.stderr()))
    vm.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=("boot", "qtest", "demo"))
    p.add_argument("name")
    p.add_argument("argv", help="the output of qemu-vm show")
    p.add_argument("tmp", help="a directory for sockets, images and logs")
    for opt in ("port", "behind", "device", "bar", "qom", "block", "fwcfg", "acpi", "qtree"):
        p.add_argument("--" + opt, action="append", default=[])
    p.add_argument("--cpus")
    p.add_argument("--guest-name")
    a = p.parse_args()
    with open(a.argv) as f:
        words = shlex.split(f.read())
    if not words:
        fail("%s: qemu-vm show printed an argv" % a.name)
        return 1
    opts = parse_argv(words)
    {"boot": cmd_boot, "qtest": cmd_qtest, "demo": cmd_demo}[a.mode](a, opts)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
