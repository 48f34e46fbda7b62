# SPDX-License-Identifier: GPL-2.0-or-later
"""Turns the argv `qemu-vm show` prints into one this test machine can start, changing only
what the machine cannot have; each change is one function below that says why.

An argv is kept as [program, [option, value], ...]: options QEMU takes without a value are
[option, None]. Option values are split with QEMU's own rule (`,,` is a literal comma) and
written back the same way, so a value the launcher escaped reaches QEMU exactly as it was.
"""

import glob
import json
import os
import shutil
import subprocess
import time

# QEMU options without an argument that a plan or a profile's [qemu] arg may hold.
FLAGS = {"-nodefaults", "-no-user-config", "-S", "-no-reboot", "-no-shutdown", "-enable-kvm",
         "-no-hpet", "-snapshot", "-full-screen"}


def parse_argv(words):
    opts = [words[0]]
    i = 1
    while i < len(words):
        w = words[i]
        if w in FLAGS or i + 1 == len(words):
            opts.append([w, None])
            i += 1
        else:
            opts.append([w, words[i + 1]])
            i += 2
    return opts


def flatten(opts):
    words = [opts[0]]
    for o, v in opts[1:]:
        words.append(o)
        if v is not None:
            words.append(v)
    return words


def split_opts(s):
    """'a=1,b=x,,y,flag' -> [('a', '1'), ('b', 'x,y'), (None, 'flag')]"""
    items, cur, i = [], "", 0
    while i < len(s):
        if s[i] == ",":
            if s[i + 1:i + 2] == ",":
                cur += ","
                i += 2
                continue
            items.append(cur)
            cur = ""
        else:
            cur += s[i]
        i += 1
    items.append(cur)
    out = []
    for it in items:
        k, eq, v = it.partition("=")
        out.append((k, v) if eq else (None, it))
    return out


def join_opts(items):
    return ",".join((k + "=" if k is not None else "") + v.replace(",", ",,") for k, v in items)


def get(items, key):
    for k, v in items:
        if k == key:
            return v
    return None


def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    os.close(fd)
    return True


class Adapter:
    """Applies the adaptations in order and remembers a note for each change it made."""

    def __init__(self, tmp, accel=None):
        self.tmp = tmp
        self.accel = accel or os.environ.get("QVM_TEST_ACCEL") or ("kvm" if kvm_usable() else "tcg")
        self.notes = []
        self.procs = []

    def close(self):
        """Ends what the adaptations started (swtpm), should QEMU not have ended it."""
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
            p.wait()

    def note(self, s):
        self.notes.append(s)

    # ---- one function per thing this machine cannot have ----

    VFIO_ONLY = ("host", "sysfsdev", "display", "xres", "yres", "ramfb")

    def stand_in_for_vfio(self, opts):
        """No device to pass through here: each vfio-pci becomes a pci-testdev with the same id,
        bus, addr, multifunction and romfile, so the root ports, the bus numbers the firmware
        gives, and the ROM file QEMU opens can still be checked. Only host= and the vfio-only
        properties (x-* such as the subsystem IDs and x-vga) go: anything else stays, so a value
        the launcher split by mistake still reaches QEMU and is refused there."""
        for o in opts[1:]:
            if o[0] == "-device" and o[1].startswith("vfio-pci,"):
                items = split_opts(o[1])
                new = [(None, "pci-testdev")] + [(k, v) for k, v in items[1:]
                                                 if k not in self.VFIO_ONLY and not (k or "").startswith("x-")]
                o[1] = join_opts(new)
                self.note("vfio-pci %s -> pci-testdev" % get(items, "id"))
        return opts

    def accel_for_this_host(self, opts):
        """KVM when /dev/kvm opens here (QVM_TEST_ACCEL overrides), else TCG."""
        for o in opts[1:]:
            if o[0] == "-accel" and o[1] != self.accel:
                self.note("-accel %s -> %s" % (o[1], self.accel))
                o[1] = self.accel
        return opts

    def cpu_for_this_host(self, opts):
        """-cpu host is the host's CPU under KVM; this nested KVM runs qemu64 (TCG runs max).
        The Hyper-V enlightenments go: this nested KVM refuses them ('kernel doesn't allow
        setting HyperV VP_INDEX', failed MSR writes for hv-vapic, hv-synic, hv-time)."""
        for o in opts[1:]:
            if o[0] != "-cpu":
                continue
            items = split_opts(o[1])
            model = items[0][1]
            if model == "host":
                model = "qemu64" if self.accel == "kvm" else "max"
            new = [(None, model)] + [(k, v) for k, v in items[1:] if not (k or "").startswith("hv-")]
            if new != items:
                self.note("-cpu %s -> %s" % (o[1], join_opts(new)))
            o[1] = join_opts(new)
        return opts

    def memory_without_hugepages(self, opts):
        """hugetlb memfd needs free hugepages of that size; this machine has none reserved,
        so guest RAM becomes plain memfd (prealloc goes too: it only matters for hugepages,
        and would fault in all of the guest's RAM)."""
        for o in opts[1:]:
            if o[0] != "-object" or not o[1].startswith("memory-backend-memfd,"):
                continue
            items = split_opts(o[1])
            if get(items, "hugetlb") != "on" or self._hugepages_free(items):
                continue
            o[1] = join_opts([(k, v) for k, v in items if k not in ("hugetlb", "hugetlbsize", "prealloc")])
            self.note("memfd %s: no hugepages" % get(items, "id"))
        return opts

    @staticmethod
    def _hugepages_free(items):
        """Whether this machine has enough free hugepages for the backend (sizes in KiB)."""
        page = {"2M": 2048, "1G": 1048576}.get(get(items, "hugetlbsize") or "2M")
        kib = {"K": 1, "M": 1024, "G": 1048576}
        want = get(items, "size")
        try:
            with open("/sys/kernel/mm/hugepages/hugepages-%dkB/free_hugepages" % page) as f:
                free = int(f.read())
            need = int(want[:-1]) * kib[want[-1]] // page
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return free >= need

    def disks_that_exist(self, opts):
        """The profiles name the user's disks (an NVMe partition on the desktop); a missing
        one becomes an empty sparse raw image in the test directory."""
        for o in opts[1:]:
            if o[0] != "-drive":
                continue
            items = split_opts(o[1])
            path = get(items, "file")
            if get(items, "if") != "none" or path is None or os.path.exists(path):
                continue
            img = os.path.join(self.tmp, "disk-%s.raw" % get(items, "id"))
            with open(img, "wb") as f:
                f.truncate(64 << 20)
            o[1] = join_opts([(k, img if k == "file" else v) for k, v in items])
            self.note("%s -> %s" % (path, img))
        return opts

    def uefi_vars(self, opts):
        """`qemu-vm run` copies the UEFI vars template on the first start; `show` does not.
        Do the same copy, taking the template from the firmware descriptor whose executable
        is the code file in the argv."""
        drives = [(o, split_opts(o[1])) for o in opts[1:] if o[0] == "-drive" and o[1].startswith("if=pflash,")]
        code = [get(i, "file") for _, i in drives if get(i, "unit") == "0"]
        for _, items in drives:
            path = get(items, "file")
            if get(items, "unit") != "1" or os.path.exists(path) or not code:
                continue
            template = firmware_vars_template(code[0])
            if template:
                os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
                shutil.copyfile(template, path)
                os.chmod(path, 0o600)
        return opts

    def firmware_for_this_kvm(self, opts):
        """This nested KVM stops OVMF at once ('KVM internal error. Suberror: 1', an emulation
        failure), so under KVM the two pflash drives go and SeaBIOS numbers the buses
        instead; TCG runs OVMF and keeps them."""
        if self.accel != "kvm":
            return opts
        out = [opts[0]]
        for o in opts[1:]:
            if o[0] == "-drive" and o[1].startswith("if=pflash,"):
                self.note("dropped pflash %s" % get(split_opts(o[1]), "file"))
                continue
            out.append(o)
        return out

    def audio_without_server(self, opts):
        """No PulseAudio/PipeWire server here: the backend becomes 'none' with the same id, so
        the sound card and its codec still attach to it."""
        for o in opts[1:]:
            if o[0] == "-audiodev":
                items = split_opts(o[1])
                if items[0][1] != "none":
                    o[1] = join_opts([(None, "none"), ("id", get(items, "id"))])
                    self.note("-audiodev %s -> none" % items[0][1])
        return opts

    def display_without_screen(self, opts):
        """No X11/Wayland display here: gtk/sdl become none (an emulated VGA stays)."""
        for o in opts[1:]:
            if o[0] == "-display" and split_opts(o[1])[0][1] != "none":
                self.note("-display %s -> none" % o[1])
                o[1] = "none"
        return opts

    def no_evdev(self, opts):
        """No keyboard or mouse under /dev/input here: input-linux objects go."""
        out = [opts[0]]
        for o in opts[1:]:
            if o[0] == "-object" and o[1].startswith("input-linux,"):
                self.note("dropped %s" % get(split_opts(o[1]), "id"))
                continue
            out.append(o)
        return out

    def looking_glass_file(self, opts):
        """/dev/kvmfr0 needs the kvmfr module, which this machine lacks, and the desktop's
        /dev/shm/looking-glass is shared host state a test must not touch: the shared memory
        becomes a file in the test directory, same size."""
        for o in opts[1:]:
            if o[0] != "-object" or not o[1].startswith("memory-backend-file,"):
                continue
            items = split_opts(o[1])
            path = os.path.join(self.tmp, "lg-%s" % get(items, "id"))
            o[1] = join_opts([(k, path if k == "mem-path" else v) for k, v in items])
            self.note("mem-path %s -> %s" % (get(items, "mem-path"), path))
        return opts

    def qmp_dir(self, opts):
        """`run` creates the runtime directory that holds the QMP socket; `show` does not."""
        for path in socket_paths(opts).values():
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            if os.path.exists(path):
                os.unlink(path)
        return opts

    def swtpm_for_tpm(self, opts):
        """`run` starts swtpm for a -tpmdev emulator; `show` does not. A swtpm of the test's
        own (state in the test directory) listens on the chardev's path; without swtpm on
        this machine the TPM goes."""
        tpmdevs = [split_opts(o[1]) for o in opts[1:] if o[0] == "-tpmdev"]
        if not tpmdevs:
            return opts
        chr_id = get(tpmdevs[0], "chardev")
        path = socket_paths(opts).get(chr_id)
        swtpm = shutil.which("swtpm")
        if not swtpm:
            out = [opts[0]]
            for o in opts[1:]:
                items = split_opts(o[1]) if o[1] else []
                if (o[0] == "-chardev" and get(items, "id") == chr_id) or o[0] == "-tpmdev" or \
                        (o[0] == "-device" and items and items[0][1] == "tpm-crb"):
                    continue
                out.append(o)
            self.note("no swtpm here: the TPM dropped")
            return out
        state = os.path.join(self.tmp, "tpm-state")
        os.makedirs(state, exist_ok=True)
        self.procs.append(subprocess.Popen(
            [swtpm, "socket", "--tpm2", "--tpmstate", "dir=" + state, "--ctrl",
             "type=unixio,path=" + path, "--terminate"], stdin=subprocess.DEVNULL))
        for _ in range(100):
            if os.path.exists(path):
                break
            time.sleep(0.05)
        self.note("swtpm on %s" % path)
        return opts

    def stopped(self, opts):
        """-S: nothing runs until the test has looked (and says cont)."""
        return opts + [["-S", None]]

    def for_boot(self, opts):
        """The argv to start and let the firmware run."""
        for f in (self.accel_for_this_host, self.cpu_for_this_host, self.memory_without_hugepages,
                  self.stand_in_for_vfio, self.disks_that_exist, self.uefi_vars, self.firmware_for_this_kvm,
                  self.audio_without_server, self.display_without_screen, self.no_evdev,
                  self.looking_glass_file, self.qmp_dir, self.swtpm_for_tpm, self.stopped):
            opts = f(opts)
        return opts

    def for_qtest(self, opts, sock):
        """The same machine, never run (-S), with the qtest server: the firmware never starts,
        so the pflash drives stay and QEMU still opens both files."""
        for f in (self.accel_for_this_host, self.cpu_for_this_host, self.memory_without_hugepages,
                  self.stand_in_for_vfio, self.disks_that_exist, self.uefi_vars, self.audio_without_server,
                  self.display_without_screen, self.no_evdev, self.looking_glass_file, self.qmp_dir,
                  self.swtpm_for_tpm, self.stopped):
            opts = f(opts)
        return opts + [["-qtest", "unix:" + sock], ["-qtest-log", "/dev/null"]]


def socket_paths(opts):
    """The paths of the argv's -chardev socket,id=ID,path=PATH,... by id."""
    paths = {}
    for o in opts[1:]:
        if o[0] == "-chardev" and o[1].startswith("socket,"):
            items = split_opts(o[1])
            paths[get(items, "id")] = get(items, "path")
    return paths


def qmp_path(opts):
    """The path of the QMP socket for the user's tools, -chardev id=qmp (None when absent)."""
    return socket_paths(opts).get("qmp")


def firmware_vars_template(code):
    """The nvram template of the QEMU firmware descriptor whose executable is CODE."""
    for d in ("/etc/qemu/firmware", "/usr/share/qemu/firmware"):
        for path in sorted(glob.glob(os.path.join(d, "*.json"))):
            try:
                with open(path) as f:
                    m = json.load(f).get("mapping", {})
            except (OSError, ValueError):
                continue
            if m.get("executable", {}).get("filename") == code and "nvram-template" in m:
                return m["nvram-template"]["filename"]
    return None
