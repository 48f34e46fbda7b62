#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The lab session's helpers that need JSON: vfio-setup scan's groups against sysfs, and QMP.

labtool.py scan-check SCAN.json GROUP:BDF,BDF… …   groups as vfio-setup sees them = sysfs = the lab's
labtool.py qmp-pci SOCKET TIMEOUT OUT.json           query-pci once the firmware numbered the buses
labtool.py pci-expect PCI.json BUS:SLOT.FN=VEN:DEV/SVEN:SDEV|absent …
labtool.py qmp-vcpus SOCKET TIMEOUT CPU,CPU…         once the VM runs, vCPU i's thread on the i-th CPU

Each prints one line saying what it found; exit 0 when it is what was expected.
"""
import json
import os
import socket
import sys
import time

SYS = "/sys/bus/pci/devices"


def sysfs_groups():
    groups = {}
    for dev in os.listdir(SYS):
        link = os.path.join(SYS, dev, "iommu_group")
        if os.path.exists(link):
            groups.setdefault(int(os.path.basename(os.readlink(link))), set()).add(dev)
    return groups


def short(bdf):
    return bdf[5:] if bdf.startswith("0000:") else bdf


def scan_check(path, wanted):
    with open(path) as f:
        scan = json.load(f)
    problems = []
    if not scan.get("iommu", {}).get("enabled"):
        problems.append("scan says the IOMMU is off")
    seen = {}
    for g in scan.get("groups", []):
        seen[g["group"]] = {short(d["address"]) for d in g["devices"]}
    real = {n: {short(d) for d in devs} for n, devs in sysfs_groups().items()}
    if seen != real:
        problems.append("scan's groups %s differ from sysfs %s" % (sorted(seen.items()), sorted(real.items())))
    for want in wanted:
        members = set(want.split(","))
        first = sorted(members)[0]
        group = [n for n, devs in real.items() if first in devs]
        if not group:
            problems.append("%s has no IOMMU group" % first)
            continue
        others = {d for d in real[group[0]] - members
                  if not open(os.path.join(SYS, "0000:" + d, "class")).read().startswith("0x0604")}
        if not members <= real[group[0]] or others:
            problems.append("group %d holds %s, expected %s" % (group[0], sorted(real[group[0]]), sorted(members)))
    gpus = {short(g["address"]): g for g in scan.get("gpus", [])}
    gpu = sorted(wanted[0].split(","))[0]
    if gpu not in gpus:
        problems.append("scan lists no GPU at %s" % gpu)
    elif not gpus[gpu].get("viable"):
        problems.append("scan calls the GPU at %s not viable" % gpu)
    if problems:
        print("; ".join(problems))
        return 1
    print("%d groups, as in sysfs; %s" % (len(real), ", ".join(
        "{%s} in group %d" % (w, [n for n, d in real.items() if sorted(w.split(","))[0] in d][0]) for w in wanted)))
    return 0


class QMP:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.buf = b""
        self.read()  # greeting
        self.execute("qmp_capabilities")

    def read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("QMP closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def execute(self, cmd):
        self.sock.sendall(json.dumps({"execute": cmd}).encode() + b"\n")
        while True:
            msg = self.read()
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                raise RuntimeError("%s: %s" % (cmd, msg["error"].get("desc")))


def flatten(buses, out):
    for bus in buses:
        for d in bus.get("devices", []):
            out.append(d)
            br = d.get("pci_bridge")
            if br and "devices" in br:
                flatten([{"devices": br["devices"]}], out)
    return out


def qmp_connect(path, timeout, deadline):
    """A QMP connection once the socket answers, or None after printing why not."""
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            print("no QMP socket %s after %s s" % (path, timeout))
            return None
        time.sleep(0.5)
    while True:
        try:
            return QMP(path)
        except OSError as e:
            if time.monotonic() > deadline:
                print("QMP %s: %s" % (path, e))
                return None
            time.sleep(0.5)


def qmp_pci(path, timeout, dest):
    deadline = time.monotonic() + float(timeout)
    q = qmp_connect(path, timeout, deadline)
    if q is None:
        return 1
    t0 = time.monotonic()
    # Under -S, or before the firmware has run, the buses behind the root ports are not numbered
    # and query-pci lists nothing behind them.
    while True:
        devs = flatten(q.execute("query-pci"), [])
        if any(d["bus"] != 0 for d in devs):
            break
        if time.monotonic() > deadline:
            print("no device behind a root port after %s s (the firmware never numbered the buses)" % timeout)
            return 1
        time.sleep(1)
    status = q.execute("query-status")
    with open(dest, "w") as f:
        json.dump(q.execute("query-pci"), f, indent=1)
    print("VM %s; buses numbered %.1f s after QMP answered" % (status.get("status"), time.monotonic() - t0))
    return 0


def pci_expect(path, wants):
    with open(path) as f:
        devs = flatten(json.load(f), [])
    at = {"%02x:%02x.%x" % (d["bus"], d["slot"], d["function"]): d for d in devs}
    problems, found = [], []
    for w in wants:
        addr, spec = w.split("=", 1)
        d = at.get(addr)
        if spec == "absent":
            if d:
                problems.append("%s is there, expected absent" % addr)
            else:
                found.append("%s absent" % addr)
            continue
        ids, subs = spec.split("/")
        if not d:
            problems.append("no device at %s (have %s)" % (addr, ", ".join(sorted(at))))
            continue
        i = d["id"]
        got = "%04x:%04x/%04x:%04x" % (i["vendor"], i["device"], i.get("subsystem-vendor", 0), i.get("subsystem", 0))
        if got != "%s/%s" % (ids, subs):
            problems.append("%s is %s, expected %s/%s" % (addr, got, ids, subs))
        else:
            found.append("%s %s sub %s" % (addr, ids, subs))
    if problems:
        print("; ".join(problems))
        return 1
    print(", ".join(found))
    return 0


def qmp_vcpus(path, timeout, cpus):
    deadline = time.monotonic() + float(timeout)
    q = qmp_connect(path, timeout, deadline)
    if q is None:
        return 1
    # The supervisor pins the threads while QEMU is paused, then sends cont: once the VM runs,
    # every vCPU thread has its CPU.
    while q.execute("query-status").get("status") != "running":
        if time.monotonic() > deadline:
            print("the VM was not running after %s s (never sent cont?)" % timeout)
            return 1
        time.sleep(0.5)
    want = cpus.split(",")
    problems, found = [], []
    vcpus = sorted(q.execute("query-cpus-fast"), key=lambda c: c["cpu-index"])
    if len(vcpus) != len(want):
        problems.append("%d vCPUs, expected %d" % (len(vcpus), len(want)))
    for c, cpu in zip(vcpus, want):
        tid = c["thread-id"]
        with open("/proc/%d/status" % tid) as f:
            allowed = [l.split(":", 1)[1].strip() for l in f if l.startswith("Cpus_allowed_list:")][0]
        what = "vCPU %d (thread %d) on CPU %s" % (c["cpu-index"], tid, allowed)
        if allowed == cpu:
            found.append(what)
        else:
            problems.append("%s, expected %s" % (what, cpu))
    if problems:
        print("; ".join(problems))
        return 1
    print(", ".join(found))
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "scan-check":
        return scan_check(argv[2], argv[3:])
    if len(argv) == 5 and argv[1] == "qmp-pci":
        return qmp_pci(argv[2], argv[3], argv[4])
    if len(argv) >= 3 and argv[1] == "pci-expect":
        return pci_expect(argv[2], argv[3:])
    if len(argv) == 5 and argv[1] == "qmp-vcpus":
        return qmp_vcpus(argv[2], argv[3], argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
