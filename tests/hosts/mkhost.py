#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds fake host roots (sys, dev, proc, run, usr) from .spec files, for --host-root tests.
"""Build fake host trees from host specs.

    mkhost.py [-o OUTDIR] SPEC...      builds OUTDIR/<spec name>/ for each SPEC (OUTDIR: .)

An existing tree is removed first (only one this script made: it holds .mkhost).
The output depends on the spec files and the firmware/ descriptors next to this
script only: no host file is read, every content is fixed.

Spec format: one statement per line, words split like a shell does (quotes
for spaces), '#' starts a comment. Later statements override earlier ones, so a
host can `include` another and change what differs.

  include FILE                  read FILE (relative to this spec) here
  cpus 0-7 [smt 2]              sys/devices/system/cpu: online/possible/present, topology
  memory 32G                    proc/meminfo MemTotal (sizes: bytes or K/M/G/T, binary)
  memlock SOFT [HARD]           proc/self/limits "Max locked memory" (a size or unlimited)
  hugepages 2M NR FREE          sys/kernel/mm/hugepages/hugepages-2048kB/{nr,free}_hugepages
  cmdline 'WORDS'               proc/cmdline
  kvm yes|no                    dev/kvm (default yes)
  vfio yes|no                   dev/vfio/vfio, the vfio module's container (default yes)
  node PATH                     a character device at PATH (dev/kvmfr0; a disk stand-in)
  module NAME PARAM VALUE       sys/module/NAME/parameters/PARAM
  pulse UID|none                run/user/UID/pulse/native, a bound unix socket (no listener)
  logind yes|no                 run/systemd/seats, as where logind runs (default no)
  pipewire UID|none             run/user/UID/pipewire-0, the same
  shm NAME SIZE|none            dev/shm/NAME, a sparse file of SIZE bytes
  firmware FILE...|none         usr/share/qemu/firmware/FILE from firmware/, plus small
                                stand-ins for every file they name under usr/share/OVMF
  qemu PATH [DRIVER...]|none    a stand-in for QEMU at PATH (usr/bin/qemu-system-x86_64): a
                                script that lists DRIVERs for -audiodev help, else exits 0
  swtpm DIR|none                stand-ins for swtpm and swtpm_setup in DIR (usr/bin), never run
  driver NAME...                sys/bus/pci/drivers/NAME even with no device bound
  pci BDF KEY VALUE...          one PCI function; BDF is [DDDD:]BB:DD.F; keys:
      id VVVV:DDDD  class CCSSPP  rev RR  sub VVVV:DDDD (default 0000:0000)
      group N|none  driver NAME|none  bus SEC[-SUB] (a bridge: class 0604xx)
      boot-vga 0|1  numa N  barN KIND:ADDR:SIZE (KIND: io mem32 mem32pref mem64
      mem64pref)  rom ADDR:SIZE
    A pci line for a BDF seen before changes only the keys it names.
    {A..B} in the BDF, a bus or a group repeats the line once per value; all
    ranges of a line step together (hex in BDFs and buses, decimal in groups).
  drm CARD BDF                  sys/class/drm/cardCARD, the DRM device of the GPU at BDF
  connector CARD NAME connected|disconnected [MODE...]
                                sys/class/drm/cardCARD-NAME (eDP-1, HDMI-A-1): status, modes
  usb-root BUS BDF 2.0|3.0      root hub usbBUS of the controller at BDF
  usb PORT KEY VALUE...         USB device BUS-PORT (e.g. 1-4, 1-4.2); keys:
      id VVVV:PPPP  manufacturer S  product S  serial S  speed 1.5|12|480|5000
      dev N (default: the next free)  interfaces N (default 1: PORT:1.0 ...)
      hid P,P... (each interface's bInterfaceProtocol: 1 keyboard, 2 mouse, 0 other)
  input NAME EVENT              dev/input/by-id/NAME -> ../EVENT, dev/input/EVENT
  delete pci BDF | usb PORT | input NAME | driver NAME | node PATH | module NAME PARAM

What the tree holds, as the kernel lays it out: device directories nested
below their bridges in sys/devices/pciDDDD:BB/ (a bus no bridge leads to is a root bus), with the sysfs attributes libpci
reads (vendor, device, class, revision, subsystem_*, config: a consistent
256-byte header, resource, irq, numa_node) and relative driver and iommu_group
links whose targets exist (libpci resolves them with realpath);
sys/bus/pci/{devices,drivers}, sys/kernel/iommu_groups, sys/bus/usb/devices.
Character devices (dev/kvm, dev/vfio/*, dev/bus/usb/BBB/DDD, nodes, dev/input/event*)
are symlinks to /dev/null, so anyone can open them without mknod. dev/vfio/N
exists when a function of group N is bound to vfio-pci, as with the kernel.
No modalias is written, so lspci -k never asks the build machine's modules.
"""

import json
import os
import shlex
import shutil
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIRMWARE_DIR = os.path.join(HERE, "firmware")
MARKER = ".mkhost"


class SpecError(Exception):
    pass


def parse_size(s):
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    num, unit = (s[:-1], s[-1]) if s[-1:] in "KMGT" else (s, "")
    if not num.isdigit():
        raise SpecError(f"expected a size like 64M, got '{s}'")
    return int(num) * units[unit]


def parse_hex(s, bits, what):
    try:
        v = int(s, 16)
    except ValueError:
        raise SpecError(f"{what}: expected hex, got '{s}'") from None
    if v < 0 or v >= 1 << bits:
        raise SpecError(f"{what}: '{s}' out of range")
    return v


def parse_id(s, what):
    parts = s.split(":")
    if len(parts) != 2:
        raise SpecError(f"{what}: expected VVVV:DDDD, got '{s}'")
    return parse_hex(parts[0], 16, what), parse_hex(parts[1], 16, what)


def parse_bdf(s):
    parts = s.split(":")
    if len(parts) == 2:
        parts = ["0000"] + parts
    if len(parts) != 3 or "." not in parts[2]:
        raise SpecError(f"expected a PCI address like 01:00.0, got '{s}'")
    slot, func = parts[2].split(".", 1)
    return (parse_hex(parts[0], 16, "domain"), parse_hex(parts[1], 8, "bus"),
            parse_hex(slot, 5, "device"), parse_hex(func, 3, "function"))


# PCI driver name → its module, where the two differ; None: built into Debian's kernel.
DRIVER_MODULES = {
    "bochs-drm": "bochs", "i801_smbus": "i2c_i801", "mei_me": "mei_me", "pcieport": None,
    "proc_thermal": "processor_thermal_device_pci_legacy", "skl_uncore": None, "vfio-pci": "vfio_pci",
    "xhci_hcd": "xhci_pci",
}


def bdf_str(a):
    return "%04x:%02x:%02x.%d" % a


def parse_bool(s, what):
    if s in ("yes", "on", "1", "true"):
        return True
    if s in ("no", "off", "0", "false"):
        return False
    raise SpecError(f"{what}: expected yes or no, got '{s}'")


def expand_ranges(words):
    """pci lines: {A..B} in the BDF, a bus or a group, stepping together."""
    ranges = []
    for i, w in enumerate(words):
        if "{" not in w:
            continue
        base = 10 if i > 0 and words[i - 1] == "group" else 16
        start = w.index("{")
        end = w.index("}", start)
        lo, _, hi = w[start + 1:end].partition("..")
        if not lo or not hi or "{" in w[end:]:
            raise SpecError(f"bad range in '{w}'")
        a, b = int(lo, base), int(hi, base)
        if b < a:
            raise SpecError(f"empty range in '{w}'")
        ranges.append((i, w[:start], w[end + 1:], a, b - a + 1, len(lo), base))
    if not ranges:
        return [words]
    counts = {r[4] for r in ranges}
    if len(counts) != 1:
        raise SpecError("the ranges of a line must have the same length")
    out = []
    for k in range(counts.pop()):
        line = list(words)
        for i, pre, post, a, _, width, base in ranges:
            line[i] = pre + (("%0*x" if base == 16 else "%0*d") % (width, a + k)) + post
        out.append(line)
    return out


class Pci:
    def __init__(self, addr):
        self.addr = addr
        self.id = None
        self.cls = None
        self.rev = 0
        self.sub = (0, 0)
        self.group = None
        self.driver = None
        self.bus = None  # (secondary, subordinate) for bridges
        self.boot_vga = None
        self.numa = -1
        self.bars = {}  # index -> (kind, addr, size)
        self.rom = None

    def is_bridge(self):
        return self.cls is not None and self.cls >> 8 == 0x0604


class Usb:
    def __init__(self, port):
        self.port = port
        self.id = None
        self.manufacturer = None
        self.product = None
        self.serial = None
        self.speed = "480"
        self.dev = None
        self.interfaces = 1
        self.hid = None  # bInterfaceProtocol per interface


class Host:
    def __init__(self, name):
        self.name = name
        self.cpus = "0"
        self.smt = 1
        self.memory = 8 << 30
        self.memlock = (8 << 20, 8 << 20)
        self.hugepages = {}  # page size in bytes -> (nr, free)
        self.cmdline = "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda2 ro quiet"
        self.kvm = True
        self.vfio = True
        self.nodes = set()
        self.modules = {}  # (module, parameter) -> value
        self.pulse = None
        self.pipewire = None
        self.logind = False
        self.shm = {}
        self.firmware = []
        self.qemu = None  # (path in the tree, audio drivers)
        self.swtpm = None  # the directory in the tree
        self.drivers = set()
        self.pci = {}
        self.usb_roots = {}  # bus -> (bdf, version)
        self.usb = {}
        self.inputs = {}
        self.drm = {}  # card -> bdf
        self.connectors = {}  # (card, name) -> (status, modes)

    # --- parsing ---------------------------------------------------------------------------

    def load(self, path, depth=0):
        if depth > 8:
            raise SpecError(f"{path}: includes nest too deep")
        with open(path, encoding="utf-8") as f:
            for lineno, text in enumerate(f, 1):
                try:
                    words = shlex.split(text, comments=True)
                    if words:
                        self.statement(path, words, depth)
                except (SpecError, ValueError, OSError) as e:
                    raise SpecError(f"{path}:{lineno}: {e}") from None

    def statement(self, path, w, depth):
        op, args = w[0], w[1:]

        def need(n, usage):
            if len(args) < n:
                raise SpecError(f"{op}: expected '{usage}'")

        if op == "include":
            need(1, "include FILE")
            self.load(os.path.join(os.path.dirname(path), args[0]), depth + 1)
        elif op == "cpus":
            need(1, "cpus LIST [smt N]")
            self.cpus = args[0]
            cpu_list(self.cpus)
            if len(args) == 3 and args[1] == "smt" and args[2].isdigit():
                self.smt = int(args[2])
            elif len(args) != 1:
                raise SpecError("cpus: expected 'cpus LIST [smt N]'")
        elif op == "memory":
            need(1, "memory SIZE")
            self.memory = parse_size(args[0])
        elif op == "memlock":
            need(1, "memlock SOFT [HARD]")
            lim = [None if a == "unlimited" else parse_size(a) for a in args[:2]]
            self.memlock = (lim[0], lim[-1])
        elif op == "hugepages":
            need(3, "hugepages SIZE NR FREE")
            nr, free = int(args[1]), int(args[2])
            if free > nr:
                raise SpecError("hugepages: more free pages than pages")
            self.hugepages[parse_size(args[0])] = (nr, free)
        elif op == "cmdline":
            need(1, "cmdline 'WORDS'")
            self.cmdline = " ".join(args)
        elif op == "kvm":
            need(1, "kvm yes|no")
            self.kvm = parse_bool(args[0], op)
        elif op == "vfio":
            need(1, "vfio yes|no")
            self.vfio = parse_bool(args[0], op)
        elif op == "node":
            need(1, "node PATH")
            self.nodes.add(tree_path(args[0]))
        elif op == "module":
            need(3, "module NAME PARAM VALUE")
            self.modules[(args[0], args[1])] = " ".join(args[2:])
        elif op == "pulse":
            need(1, "pulse UID|none")
            self.pulse = None if args[0] == "none" else int(args[0])
        elif op == "pipewire":
            need(1, "pipewire UID|none")
            self.pipewire = None if args[0] == "none" else int(args[0])
        elif op == "logind":
            need(1, "logind yes|no")
            self.logind = parse_bool(args[0], "logind")
        elif op == "shm":
            need(2, "shm NAME SIZE|none")
            if args[1] == "none":
                self.shm.pop(args[0], None)
            else:
                self.shm[args[0]] = parse_size(args[1])
        elif op == "firmware":
            need(1, "firmware FILE...|none")
            self.firmware = [] if args == ["none"] else list(args)
            for fw in self.firmware:
                if not os.path.isfile(os.path.join(FIRMWARE_DIR, fw)):
                    raise SpecError(f"firmware: no descriptor '{fw}' in {FIRMWARE_DIR}")
        elif op == "qemu":
            need(1, "qemu PATH [DRIVER...]|none")
            self.qemu = None if args == ["none"] else (tree_path(args[0]), args[1:])
        elif op == "swtpm":
            need(1, "swtpm DIR|none")
            self.swtpm = None if args == ["none"] else tree_path(args[0])
        elif op == "driver":
            need(1, "driver NAME...")
            self.drivers.update(args)
        elif op == "pci":
            need(1, "pci BDF KEY VALUE...")
            for words in expand_ranges(w):
                self.pci_statement(words[1:])
        elif op == "drm":
            need(2, "drm CARD BDF")
            self.drm[int(args[0])] = parse_bdf(args[1])
        elif op == "connector":
            need(3, "connector CARD NAME connected|disconnected [MODE...]")
            if args[2] not in ("connected", "disconnected"):
                raise SpecError(f"connector: expected connected or disconnected, got '{args[2]}'")
            self.connectors[(int(args[0]), args[1])] = (args[2], args[3:])
        elif op == "usb-root":
            need(3, "usb-root BUS BDF 2.0|3.0")
            if args[2] not in ("2.0", "3.0"):
                raise SpecError(f"usb-root: expected 2.0 or 3.0, got '{args[2]}'")
            self.usb_roots[int(args[0])] = (parse_bdf(args[1]), args[2])
        elif op == "usb":
            need(1, "usb PORT KEY VALUE...")
            self.usb_statement(args)
        elif op == "input":
            need(2, "input NAME EVENT")
            self.inputs[args[0]] = args[1]
        elif op == "delete":
            need(2, "delete pci BDF | usb PORT | input NAME | driver NAME")
            table = {"pci": self.pci, "usb": self.usb, "input": self.inputs}
            if args[0] == "driver":
                self.drivers.discard(args[1])
                return
            if args[0] == "node":
                self.nodes.discard(tree_path(args[1]))
                return
            if args[0] == "module":
                need(3, "delete module NAME PARAM")
                self.modules.pop((args[1], args[2]), None)
                return
            if args[0] not in table:
                raise SpecError(f"delete: cannot delete '{args[0]}'")
            key = parse_bdf(args[1]) if args[0] == "pci" else args[1]
            if key not in table[args[0]]:
                raise SpecError(f"delete: no {args[0]} '{args[1]}'")
            del table[args[0]][key]
        else:
            raise SpecError(f"unknown statement '{op}'")

    def pci_statement(self, args):
        addr = parse_bdf(args[0])
        d = self.pci.setdefault(addr, Pci(addr))
        kv = args[1:]
        if len(kv) % 2:
            raise SpecError(f"pci {args[0]}: '{kv[-1]}' has no value")
        for key, val in zip(kv[0::2], kv[1::2]):
            if key == "id":
                d.id = parse_id(val, key)
            elif key == "class":
                d.cls = parse_hex(val, 24, key)
            elif key == "rev":
                d.rev = parse_hex(val, 8, key)
            elif key == "sub":
                d.sub = parse_id(val, key)
            elif key == "group":
                d.group = None if val == "none" else int(val)
            elif key == "driver":
                d.driver = None if val == "none" else val
            elif key == "bus":
                lo, _, hi = val.partition("-")
                d.bus = (parse_hex(lo, 8, key), parse_hex(hi or lo, 8, key))
            elif key == "boot-vga":
                d.boot_vga = parse_bool(val, key)
            elif key == "numa":
                d.numa = int(val)
            elif key.startswith("bar") and key[3:].isdigit() and int(key[3:]) < 6:
                kind, a, size = val.split(":")
                if kind not in ("io", "mem32", "mem32pref", "mem64", "mem64pref"):
                    raise SpecError(f"{key}: unknown kind '{kind}'")
                d.bars[int(key[3:])] = (kind, parse_hex(a, 64, key), parse_size(size))
            elif key == "rom":
                a, size = val.split(":")
                d.rom = (parse_hex(a, 32, key), parse_size(size))
            else:
                raise SpecError(f"pci {args[0]}: unknown key '{key}'")

    def usb_statement(self, args):
        port = args[0]
        bus, sep, path = port.partition("-")
        if not sep or not bus.isdigit() or not all(p.isdigit() for p in path.split(".")):
            raise SpecError(f"usb: expected a port like 1-4 or 1-4.2, got '{port}'")
        u = self.usb.setdefault(port, Usb(port))
        kv = args[1:]
        if len(kv) % 2:
            raise SpecError(f"usb {port}: '{kv[-1]}' has no value")
        for key, val in zip(kv[0::2], kv[1::2]):
            if key == "id":
                u.id = parse_id(val, key)
            elif key in ("manufacturer", "product", "serial", "speed"):
                setattr(u, key, val)
            elif key in ("dev", "interfaces"):
                setattr(u, key, int(val))
            elif key == "hid":
                u.hid = [int(p) for p in val.split(",")]
            else:
                raise SpecError(f"usb {port}: unknown key '{key}'")

    # --- checks ----------------------------------------------------------------------------

    def check(self):
        """The topology must be one the kernel could have: returns the parent of each function."""
        sec = {}
        for d in self.pci.values():
            where = f"pci {bdf_str(d.addr)}"
            if d.id is None or d.cls is None:
                raise SpecError(f"{where}: needs id and class")
            if d.is_bridge() != (d.bus is not None):
                raise SpecError(f"{where}: a bridge (class 0604xx) and only a bridge has a bus")
            if d.bus:
                if not d.addr[1] < d.bus[0] <= d.bus[1]:
                    raise SpecError(f"{where}: bus {d.bus[0]:02x}-{d.bus[1]:02x} must be below its own bus")
                key = (d.addr[0], d.bus[0])
                if key in sec:
                    raise SpecError(f"{where}: secondary bus {d.bus[0]:02x} also of {bdf_str(sec[key].addr)}")
                sec[key] = d
            if d.boot_vga is not None and d.cls >> 8 != 0x0300:
                raise SpecError(f"{where}: boot-vga is for VGA controllers (class 0300xx)")
        parent = {}
        for d in self.pci.values():
            up = sec.get((d.addr[0], d.addr[1]))
            parent[d.addr] = up
            if up is None and d.addr[1] in {b.bus[0] for b in sec.values()}:
                raise SpecError(f"pci {bdf_str(d.addr)}: bus is taken")
            # Every bridge above must span this bus.
            a = up
            while a is not None:
                if not a.bus[0] <= d.addr[1] <= a.bus[1]:
                    raise SpecError(f"pci {bdf_str(d.addr)}: outside bus range of {bdf_str(a.addr)}")
                a = sec.get((a.addr[0], a.addr[1]))
        if len({d.group is None for d in self.pci.values()}) > 1:
            raise SpecError("either every PCI function has an IOMMU group or none has")
        for bus, (bdf, _) in self.usb_roots.items():
            if bdf not in self.pci:
                raise SpecError(f"usb-root {bus}: no PCI function {bdf_str(bdf)}")
        for port, u in self.usb.items():
            if u.id is None:
                raise SpecError(f"usb {port}: needs id")
            bus, _, path = port.partition("-")
            if int(bus) not in self.usb_roots:
                raise SpecError(f"usb {port}: no usb-root {bus}")
            if "." in path and f"{bus}-{path.rpartition('.')[0]}" not in self.usb:
                raise SpecError(f"usb {port}: no hub at {bus}-{path.rpartition('.')[0]}")
        return parent

    # --- building --------------------------------------------------------------------------

    def build(self, dest):
        self.parent = self.check()
        if os.path.lexists(dest):
            if not os.path.isdir(dest) or os.path.islink(dest):
                raise SpecError(f"{dest}: exists and is not a directory")
            if os.listdir(dest) and not os.path.exists(os.path.join(dest, MARKER)):
                raise SpecError(f"{dest}: not a tree built by this script, not removing it")
            shutil.rmtree(dest)
        os.umask(0)  # every mode below is the one written
        os.makedirs(dest, 0o755)
        b = Builder(dest)
        b.write(MARKER, f"fake host '{self.name}', built by mkhost.py\n")
        self.build_pci(b)
        self.build_usb(b)
        self.build_drm(b)
        self.build_system(b)
        self.build_dev(b)
        self.build_run(b)
        self.build_firmware(b)
        self.build_qemu(b)
        self.build_swtpm(b)
        b.mkdir("etc")

    def pci_dir(self, addr):
        """sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0: below every bridge on the way."""
        parts = []
        d = self.pci[addr]
        while d is not None:
            parts.append(bdf_str(d.addr))
            top = d
            d = self.parent[d.addr]
        parts.append("pci%04x:%02x" % (top.addr[0], top.addr[1]))
        return "sys/devices/" + "/".join(reversed(parts))

    def build_pci(self, b):
        drivers = set(self.drivers)
        slots = {}
        for a in self.pci:
            slots.setdefault(a[:3], []).append(a)
        b.mkdir("sys/bus/pci/devices")
        b.mkdir("sys/bus/pci/drivers")
        b.mkdir("sys/bus/pci/slots")
        for addr in sorted(self.pci):
            d = self.pci[addr]
            name = bdf_str(addr)
            path = self.pci_dir(addr)
            multi = len(slots[addr[:3]]) > 1
            b.mkdir(path)
            for attr, val in (("vendor", "0x%04x" % d.id[0]), ("device", "0x%04x" % d.id[1]),
                              ("subsystem_vendor", "0x%04x" % d.sub[0]),
                              ("subsystem_device", "0x%04x" % d.sub[1]),
                              ("class", "0x%06x" % d.cls), ("revision", "0x%02x" % d.rev),
                              ("irq", "0"), ("numa_node", str(d.numa)), ("enable", "1" if d.driver else "0"),
                              ("driver_override", "(null)"), ("local_cpulist", self.cpus)):
                b.write(f"{path}/{attr}", val + "\n")
            if d.boot_vga is not None or d.cls >> 8 == 0x0300:
                b.write(f"{path}/boot_vga", "%d\n" % bool(d.boot_vga))
            b.write(f"{path}/resource", resource_text(d))
            b.write(f"{path}/config", config_bytes(d, multi))
            b.link(f"sys/bus/pci/devices/{name}", path)
            if d.driver:
                drivers.add(d.driver)
                b.link(f"{path}/driver", f"sys/bus/pci/drivers/{d.driver}")
                b.link(f"sys/bus/pci/drivers/{d.driver}/{name}", path)
            if d.group is not None:
                g = f"sys/kernel/iommu_groups/{d.group}"
                b.link(f"{path}/iommu_group", g)
                b.link(f"{g}/devices/{name}", path)
                b.write(f"{g}/type", "DMA\n")
        for drv in sorted(drivers):
            b.mkdir(f"sys/bus/pci/drivers/{drv}")
            # drivers/NAME/module names the module (softdep lines need it); built-in ones have none.
            mod = DRIVER_MODULES.get(drv, drv)
            if mod:
                b.mkdir(f"sys/module/{mod}")
                b.link(f"sys/bus/pci/drivers/{drv}/module", f"sys/module/{mod}")

    def build_drm(self, b):
        for card in sorted(self.drm):
            if self.drm[card] not in self.pci:
                raise SpecError(f"drm {card}: no pci {bdf_str(self.drm[card])}")
            path = f"{self.pci_dir(self.drm[card])}/drm/card{card}"
            b.mkdir(path)
            b.link(f"{path}/device", self.pci_dir(self.drm[card]))
            b.link(f"sys/class/drm/card{card}", path)
        for (card, name), (status, modes) in sorted(self.connectors.items()):
            if card not in self.drm:
                raise SpecError(f"connector {card} {name}: no drm {card}")
            path = f"{self.pci_dir(self.drm[card])}/drm/card{card}/card{card}-{name}"
            b.write(f"{path}/status", status + "\n")
            b.write(f"{path}/modes", "".join(m + "\n" for m in modes))
            b.link(f"sys/class/drm/card{card}-{name}", path)

    def build_usb(self, b):
        b.mkdir("sys/bus/usb/devices")
        devnum = {}  # bus -> the last number given
        taken = set()
        for bus in sorted(self.usb_roots):
            bdf, ver = self.usb_roots[bus]
            ctrl = self.pci[bdf]
            path = f"{self.pci_dir(bdf)}/usb{bus}"
            three = ver == "3.0"
            kernel = f"Linux 6.1.0-18-amd64 {(ctrl.driver or 'xhci_hcd').replace('_', '-')}"
            self.usb_device(b, f"usb{bus}", path, bus, 1, "0", (0x1d6b, 3 if three else 2),
                            kernel, "xHCI Host Controller", bdf_str(bdf), "5000" if three else "480", 1)
            devnum[bus] = 1
        for port in sorted(self.usb, key=usb_key):
            u = self.usb[port]
            bus, _, devpath = port.partition("-")
            bus = int(bus)
            up = f"usb{bus}" if "." not in devpath else f"{bus}-{devpath.rpartition('.')[0]}"
            path = b.realrel(f"sys/bus/usb/devices/{up}") + "/" + port
            if u.dev is None:
                devnum[bus] += 1
            dev = u.dev or devnum[bus]
            if (bus, dev) in taken or dev == 1:
                raise SpecError(f"usb {port}: device number {dev} is taken on bus {bus}")
            taken.add((bus, dev))
            self.usb_device(b, port, path, bus, dev, devpath, u.id, u.manufacturer,
                            u.product, u.serial, u.speed, u.interfaces, u.hid)

    def usb_device(self, b, name, path, bus, dev, devpath, ids, man, prod, serial, speed, nif, hid=None):
        b.mkdir(path)
        b.symlink("dev/bus/usb/%03d/%03d" % (bus, dev), "/dev/null")
        attrs = {"idVendor": "%04x" % ids[0], "idProduct": "%04x" % ids[1], "busnum": str(bus),
                 "devnum": str(dev), "devpath": devpath, "speed": speed, "bNumInterfaces": "%2d" % nif,
                 "bcdDevice": "0100", "version": " 3.00" if float(speed) >= 5000 else " 2.00"}
        for k, v in (("manufacturer", man), ("product", prod), ("serial", serial)):
            if v is not None:
                attrs[k] = v
        for k in sorted(attrs):
            b.write(f"{path}/{k}", attrs[k] + "\n")
        b.link(f"sys/bus/usb/devices/{name}", path)
        base = f"{bus}-0" if devpath == "0" else name
        for i in range(nif):
            iface = f"{base}:1.{i}"
            b.mkdir(f"{path}/{iface}")
            b.write(f"{path}/{iface}/bInterfaceNumber", "%02x\n" % i)
            b.write(f"{path}/{iface}/bInterfaceClass", "09\n" if devpath == "0" else "03\n")
            if hid is not None and i < len(hid):
                b.write(f"{path}/{iface}/bInterfaceSubClass", "%02x\n" % (1 if hid[i] else 0))
                b.write(f"{path}/{iface}/bInterfaceProtocol", "%02x\n" % hid[i])
            b.link(f"sys/bus/usb/devices/{iface}", f"{path}/{iface}")

    def build_system(self, b):
        cpus = cpu_list(self.cpus)
        for f in ("online", "possible", "present"):
            b.write(f"sys/devices/system/cpu/{f}", self.cpus + "\n")
        cores = max(1, len(cpus) // self.smt)
        for i, c in enumerate(cpus):
            siblings = [cpus[j] for j in range(i % cores, len(cpus), cores)]
            topo = f"sys/devices/system/cpu/cpu{c}/topology"
            b.write(f"{topo}/core_id", f"{i % cores}\n")
            b.write(f"{topo}/physical_package_id", "0\n")
            b.write(f"{topo}/thread_siblings_list", ",".join(map(str, siblings)) + "\n")
        pools = dict(self.hugepages)
        for size in (2 << 20, 1 << 30):
            pools.setdefault(size, (0, 0))
        for size in sorted(pools):
            nr, free = pools[size]
            p = f"sys/kernel/mm/hugepages/hugepages-{size >> 10}kB"
            for f, v in (("nr_hugepages", nr), ("free_hugepages", free), ("resv_hugepages", 0),
                         ("surplus_hugepages", 0), ("nr_overcommit_hugepages", 0)):
                b.write(f"{p}/{f}", f"{v}\n")
        for (mod, param), val in sorted(self.modules.items()):
            b.write(f"sys/module/{mod}/parameters/{param}", val + "\n")
        b.write("proc/self/limits", limits_text(self.memlock))
        b.write("proc/meminfo", meminfo_text(self.memory, pools))
        b.write("proc/cmdline", self.cmdline + "\n")

    def build_dev(self, b):
        b.mkdir("dev/vfio")
        b.mkdir("dev/shm")
        if self.kvm:
            b.symlink("dev/kvm", "/dev/null")
        for node in sorted(self.nodes):
            b.symlink(node, "/dev/null")
        if self.vfio:
            b.symlink("dev/vfio/vfio", "/dev/null")
        vfio = {d.group for d in self.pci.values() if d.driver == "vfio-pci" and d.group is not None}
        for g in sorted(vfio):
            b.symlink(f"dev/vfio/{g}", "/dev/null")
        for name in sorted(self.shm):
            b.write(f"dev/shm/{name}", "", 0o660)
            os.truncate(b.abs(f"dev/shm/{name}"), self.shm[name])
        for name in sorted(self.inputs):
            ev = self.inputs[name]
            b.mkdir("dev/input/by-id")
            b.symlink(f"dev/input/by-id/{name}", f"../{ev}")
            if not os.path.lexists(b.abs(f"dev/input/{ev}")):
                b.symlink(f"dev/input/{ev}", "/dev/null")

    def build_run(self, b):
        b.mkdir("run")
        if self.logind:
            b.mkdir("run/systemd/seats")  # what sd-login looks for
        if self.pulse is not None:
            self.socket(b, f"run/user/{self.pulse}/pulse/native")
        if self.pipewire is not None:
            self.socket(b, f"run/user/{self.pipewire}/pipewire-0")

    def socket(self, b, rel):
        d, name = os.path.split(rel)
        b.mkdir(d)
        os.chmod(b.abs("/".join(rel.split("/")[:3])), 0o700)  # run/user/UID
        # sun_path holds 108 bytes: bind a name relative to the directory.
        cwd = os.open(".", os.O_RDONLY)
        try:
            os.chdir(b.abs(d))
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(name)
            s.close()
        finally:
            os.fchdir(cwd)
            os.close(cwd)

    def build_firmware(self, b):
        b.mkdir("usr/share/qemu/firmware")
        files = set()
        for fw in self.firmware:
            with open(os.path.join(FIRMWARE_DIR, fw), "rb") as f:
                data = f.read()
            b.write(f"usr/share/qemu/firmware/{fw}", data)
            m = json.loads(data).get("mapping", {})
            for part in ("executable", "nvram-template"):
                if part in m:
                    files.add((m[part]["filename"], part))
        for path, part in sorted(files):
            if part == "executable":
                data = b"\xff" * 4096
            else:
                head = f"fake OVMF variable store template {os.path.basename(path)}\n".encode()
                data = head + bytes(i & 0xff for i in range(4096 - len(head)))
            b.write(path.lstrip("/"), data, 0o644)

    def build_qemu(self, b):
        if self.qemu is None:
            return
        path, drivers = self.qemu
        listing = "".join(f" {shlex.quote(d)}" for d in drivers)
        b.write(path, f"""#!/bin/sh
# QEMU as the fake host '{self.name}' has it (mkhost.py): the audio drivers of its spec for
# -audiodev help, and nothing else to do.
if [ "$#" -eq 2 ] && [ "$1" = -audiodev ] && [ "$2" = help ]; then
	echo 'Available audio drivers:'
	printf '%s\\n'{listing}
fi
exit 0
""", 0o755)

    def build_swtpm(self, b):
        if self.swtpm is None:
            return
        for prog in ("swtpm", "swtpm_setup"):
            b.write(f"{self.swtpm}/{prog}", f"""#!/bin/sh
# {prog} as the fake host '{self.name}' has it (mkhost.py): found on PATH, never run.
exit 1
""", 0o755)


class Builder:
    """Writes below a root; every link is relative unless it points out of the tree on purpose."""

    def __init__(self, root):
        self.root = root
        self.dirs = {""}

    def abs(self, rel):
        return os.path.join(self.root, rel)

    def mkdir(self, rel):
        if rel not in self.dirs:
            self.mkdir(os.path.dirname(rel))
            try:
                os.mkdir(self.abs(rel), 0o755)
            except FileExistsError:
                pass
            self.dirs.add(rel)

    def write(self, rel, data, mode=0o644):
        self.mkdir(os.path.dirname(rel))
        fd = os.open(self.abs(rel), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
        with open(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)

    def link(self, rel, target_rel):
        """rel -> target_rel, written relative to rel's directory, as sysfs does."""
        self.symlink(rel, os.path.relpath(target_rel, os.path.dirname(rel)))

    def symlink(self, rel, target):
        self.mkdir(os.path.dirname(rel))
        os.symlink(target, self.abs(rel))

    def realrel(self, rel):
        return os.path.relpath(os.path.realpath(self.abs(rel)), os.path.realpath(self.root))


def tree_path(p):
    """A path inside the tree, as written in a spec: relative, no '..'."""
    rel = os.path.normpath(p.lstrip("/"))
    if rel.startswith("..") or rel == ".":
        raise SpecError(f"'{p}' is not a path inside the tree")
    return rel


def usb_key(port):
    bus, _, path = port.partition("-")
    return [int(bus)] + [int(p) for p in path.split(".")]


def cpu_list(s):
    cpus = []
    for part in s.split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise SpecError(f"expected a CPU list like 0-7, got '{s}'")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


# IORESOURCE_* flags of the kernel's resource file, plus the BAR's own low bits.
IO, MEM, PREFETCH, SIZEALIGN, MEM_64 = 0x100, 0x200, 0x2000, 0x40000, 0x100000


def bar_regs(kind):
    """(config-space low bits, resource flags)."""
    if kind == "io":
        return 0x1, IO | SIZEALIGN | 0x1
    low = (0x4 if kind.startswith("mem64") else 0) | (0x8 if kind.endswith("pref") else 0)
    flags = MEM | SIZEALIGN | low | (MEM_64 if low & 4 else 0) | (PREFETCH if low & 8 else 0)
    return low, flags


def resource_text(d):
    # With CONFIG_PCI_IOV (distribution kernels): 13 lines, 17 for bridges.
    rows = [(0, 0, 0)] * (17 if d.is_bridge() else 13)
    for i, (kind, addr, size) in d.bars.items():
        rows[i] = (addr, addr + size - 1, bar_regs(kind)[1])
    if d.rom:
        rows[6] = (d.rom[0], d.rom[0] + d.rom[1] - 1, MEM | 0x4000 | 0x2000)  # READONLY|PREFETCH
    return "".join("0x%016x 0x%016x 0x%016x\n" % r for r in rows)


def config_bytes(d, multi):
    c = bytearray(256)
    bridge = d.is_bridge()
    bound = d.driver is not None and d.driver != "vfio-pci"
    struct.pack_into("<HH", c, 0x00, d.id[0], d.id[1])
    command = 0x0007 if bridge or bound else 0x0000  # I/O, memory, bus master
    struct.pack_into("<HH", c, 0x04, command, 0x0000)  # status: no capability list
    struct.pack_into("<I", c, 0x08, d.rev | (d.cls << 8))
    c[0x0e] = (1 if bridge else 0) | (0x80 if multi else 0)
    if bridge:
        c[0x18], c[0x19], c[0x1a] = d.addr[1], d.bus[0], d.bus[1]
        c[0x1c], c[0x1d] = 0xf0, 0x00  # windows closed: base above limit
        struct.pack_into("<HHHH", c, 0x20, 0xfff0, 0x0000, 0xfff1, 0x0001)
    else:
        for i, (kind, addr, size) in d.bars.items():
            low = bar_regs(kind)[0]
            base = addr & (0xfffc if kind == "io" else 0xfffffff0)
            struct.pack_into("<I", c, 0x10 + 4 * i, base | low)
            if low & 4:
                struct.pack_into("<I", c, 0x14 + 4 * i, addr >> 32)
        struct.pack_into("<HH", c, 0x2c, d.sub[0], d.sub[1])
        if d.rom:
            struct.pack_into("<I", c, 0x30, d.rom[0])
    return bytes(c)


def limits_text(memlock):
    def lim(v):
        return "unlimited" if v is None else str(v)

    rows = [("Max cpu time", "unlimited", "unlimited", "seconds"),
            ("Max file size", "unlimited", "unlimited", "bytes"),
            ("Max data size", "unlimited", "unlimited", "bytes"),
            ("Max stack size", "8388608", "unlimited", "bytes"),
            ("Max core file size", "0", "unlimited", "bytes"),
            ("Max resident set", "unlimited", "unlimited", "bytes"),
            ("Max processes", "127393", "127393", "processes"),
            ("Max open files", "1024", "524288", "files"),
            ("Max locked memory", lim(memlock[0]), lim(memlock[1]), "bytes"),
            ("Max address space", "unlimited", "unlimited", "bytes"),
            ("Max file locks", "unlimited", "unlimited", "locks"),
            ("Max pending signals", "127393", "127393", "signals"),
            ("Max msgqueue size", "819200", "819200", "bytes"),
            ("Max nice priority", "0", "0", ""),
            ("Max realtime priority", "0", "0", ""),
            ("Max realtime timeout", "unlimited", "unlimited", "us")]
    # fs/proc/base.c: "%-25s %-20s %-20s %-10s\n", units left out where there are none.
    out = "%-25s %-20s %-20s %-10s\n" % ("Limit", "Soft Limit", "Hard Limit", "Units")
    for name, soft, hard, unit in rows:
        out += "%-25s %-20s %-20s " % (name, soft, hard) + ("%-10s" % unit if unit else "") + "\n"
    return out


def meminfo_text(total, pools):
    kb = total >> 10
    huge = sum(size >> 10 for size in pools for _ in range(pools[size][0]))
    nr, free = pools.get(2 << 20, (0, 0))
    rows = [("MemTotal", kb), ("MemFree", kb // 2), ("MemAvailable", kb * 3 // 4),
            ("Buffers", 65536), ("Cached", kb // 8), ("SwapCached", 0),
            ("SwapTotal", 0), ("SwapFree", 0)]
    out = "".join("%-16s%8d kB\n" % (k + ":", v) for k, v in rows)
    out += "".join("%-16s%8d\n" % (k + ":", v) for k, v in
                   (("HugePages_Total", nr), ("HugePages_Free", free), ("HugePages_Rsvd", 0),
                    ("HugePages_Surp", 0)))
    out += "%-16s%8d kB\n" % ("Hugepagesize:", 2048) + "%-16s%8d kB\n" % ("Hugetlb:", huge)
    return out


def main(argv):
    out = "."
    args = argv[1:]
    if args[:1] in (["-h"], ["--help"]) or not args:
        print(__doc__.strip())
        return 0 if args else 2
    if args[0] == "-o":
        if len(args) < 3:
            print("usage: mkhost.py [-o OUTDIR] SPEC...", file=sys.stderr)
            return 2
        out = args[1]
        args = args[2:]
    try:
        for spec in args:
            name = os.path.basename(spec).removesuffix(".spec")
            host = Host(name)
            host.load(spec)
            try:
                host.build(os.path.join(out, name))
            except SpecError as e:
                raise SpecError(f"{spec}: {e}") from None
    except (SpecError, OSError) as e:
        print(f"mkhost: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
