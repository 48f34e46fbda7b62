#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real QEMU started from the argv `qemu-vm show` prints for each example profile, under the
# launcher's seccomp filter (tests/launcher/sandbox-exec.c), queried back
# over QMP (root ports, bus numbers, devices, BARs, QOM properties, disks) and qtest (fw_cfg
# files and ACPI tables byte for byte); the demo boots OVMF to the UEFI shell.
#
# Only what this machine cannot have is changed in the argv (tests/qemu/adapt.py says what and
# why: passed-through devices become emulated stand-ins at the same address, and so on).
# QVM_TEST_ACCEL=tcg runs everything under TCG even where /dev/kvm works; QVM_TEST_VERBOSE=1
# prints each adaptation.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}

for tool in qemu-system-x86_64 qemu-img iasl python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is not installed (Debian: apt-get install qemu-system-x86 qemu-utils acpica-tools python3)"
		exit 77
	fi
done
if [ ! -d /usr/share/qemu/firmware ] || [ ! -e /usr/share/OVMF/OVMF_CODE_4M.fd ]; then
	echo "SKIP: no OVMF with QEMU firmware descriptors (Debian: apt-get install ovmf)"
	exit 77
fi
if [ ! -x "$B/qemu-vm" ]; then
	echo "FAIL $B/qemu-vm is not built (make)"
	exit 1
fi

# Every QEMU below runs under the launcher's own no_new_privs and seccomp deny list, as after
# qemu-vm run's exec: what the filter denies must be nothing these VMs need.
if [ ! -x "$B/tests/sandbox-exec" ]; then
	echo "FAIL $B/tests/sandbox-exec is not built (make check-build)"
	exit 1
fi
export QVM_TEST_WRAPPER=$PWD/$B/tests/sandbox-exec

T=$(mktemp -d /tmp/qvm-qemu.XXXXXX)
trap 'rm -rf "$T"' EXIT
log=$T/log
: > "$log"
note() { echo "$*" | tee -a "$log"; }

if ! tests/hosts/build-all.sh "$T/hosts" > "$T/hosts.log" 2>&1; then
	cat "$T/hosts.log"
	note "FAIL building the fake host trees"
	exit 1
fi

# The user's files the profiles name. The ROMs are not VBIOSes (no 55 AA signature, so SeaBIOS
# leaves them alone); their sizes are no power of two, so fw_cfg must give back exactly the file.
mkrom() { # mkrom FILE SEED SIZE
	python3 -S -c 'import random, sys
r = random.Random(sys.argv[2])
with open(sys.argv[1], "wb") as f:
    f.write(b"qemu-vm test ROM, not a VBIOS\n" + bytes(r.getrandbits(8) for _ in range(int(sys.argv[3]))))' "$@"
}
V=$T/home/vm
mkdir -p "$V" "$T/run" "$T/cache"
mkrom "$V/gtx1050.rom" laptop 12000
mkrom "$V/a,b=c.rom" awkward 9000
if ! iasl -p "$V/ssdt-battery" tests/qemu/ssdt-battery.dsl > "$T/iasl.log" 2>&1; then
	cat "$T/iasl.log"
	note "FAIL iasl compiles tests/qemu/ssdt-battery.dsl"
	exit 1
fi
note "ok   iasl compiles tests/qemu/ssdt-battery.dsl ($(stat -c %s "$V/ssdt-battery.aml") bytes of AML)"
cp "$V/ssdt-battery.aml" "$V/-lead ing.aml"
for img in win10.qcow2 minimal.qcow2 "x y,z.qcow2"; do
	qemu-img create -q -f qcow2 "$V/$img" 1G || { note "FAIL qemu-img create $img"; exit 1; }
done
cp tests/qemu/awkward.ini "$V/odd,name.ini"

show() { # show HOST PROFILE OUT [VAR=VALUE...]: qemu-vm show as alice, for this test's home
	local host=$1 profile=$2 out=$3
	shift 3
	if env -i HOME="$T/home" USER=alice XDG_RUNTIME_DIR="$T/run" XDG_CACHE_HOME="$T/cache" \
		PATH=/usr/bin:/bin ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "$@" \
		"$B/qemu-vm" --host-root "$host" --allow-root show "$profile" > "$out" 2> "$out.err"; then
		return 0
	fi
	note "FAIL qemu-vm show $profile on $host"
	sed 's/^/     | /' "$out.err" | tee -a "$log"
	return 1
}

vm() { # vm MODE NAME ARGV [expectations]: tests/qemu/vmcheck.py, its lines in the log
	local before rc
	before=$(grep -c '^FAIL' "$log")
	python3 -S -B tests/qemu/vmcheck.py "$1" "$2" "$3" "$T" "${@:4}" 2>&1 | tee -a "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && [ "$(grep -c '^FAIL' "$log")" -eq "$before" ]; then
		note "FAIL $2: vmcheck.py $1 exited with status $rc"
	fi
}

H=$T/hosts
# Every plan: S3/S4 off on the ICH9 LPC bridge (-global), found by type with qom-list.
common=(--qom '/machine/unattached/<ICH9-LPC>:disable_s3=1' --qom '/machine/unattached/<ICH9-LPC>:disable_s4=1')
# The gaming profiles: USB (qemu-xhci), sound (ich9-intel-hda), Looking Glass (ivshmem-plain).
pci=("${common[@]}" --device xhci=1b36:000d --device sound0=8086:293e --device lg=1af4:1110
	--qom /machine/peripheral/lg:memdev=/objects/lg-mem)

# Desktop: the GTX 1070's two functions behind an automatic root port at 00:10.0 (hotplug as
# QEMU's default), 64M of Looking Glass for 2560x1440, 8G of RAM, 3 cores x 2 threads; the
# Secure Boot firmware (smm=on) and a tpm-crb on a swtpm of the test's (without swtpm the
# adaptation drops the TPM, and so does what is expected here).
tpm=(--qom /machine/peripheral/tpm:type=tpm-crb)
if ! command -v swtpm >/dev/null; then
	tpm=()
	note "note: swtpm is not installed (Debian: apt-get install swtpm): the desktop's TPM is not started"
fi
if show "$H/desktop" profiles/desktop.ini "$T/desktop.argv"; then
	vm boot desktop "$T/desktop.argv" "${pci[@]}" --cpus 6=1x3x2 \
		--port rp.gpu=10.0 --qom /machine/peripheral/rp.gpu:hotplug=true \
		--behind rp.gpu/01:00.0=hostdev.gpu.0 --behind rp.gpu/01:00.1=hostdev.gpu.1 \
		--qom /machine/peripheral/hostdev.gpu.0:multifunction=true \
		--bar lg/2=64M --qom /objects/mem0:size=8589934592 --qom /objects/mem0:share=true \
		--qom /machine/peripheral/pointer:type=usb-tablet "${tpm[@]}"
fi

# Laptop (Optimus): the mirrored root port at 00:01.0 without hotplug puts the GPU at guest
# 01:00.0 as on the host; its ROM reaches both the device and fw_cfg; the battery SSDT; 32M of
# Looking Glass (size = 32M).
if show "$H/laptop" profiles/laptop.ini "$T/laptop.argv"; then
	vm boot laptop "$T/laptop.argv" "${pci[@]}" --cpus 4=1x4x1 \
		--port rp.gpu=01.0 --qom /machine/peripheral/rp.gpu:hotplug=false \
		--behind rp.gpu/01:00.0=hostdev.gpu.0 \
		--qom "/machine/peripheral/hostdev.gpu.0:romfile=$V/gtx1050.rom" --bar hostdev.gpu.0/6=16K \
		--bar lg/2=32M --qom /objects/mem0:size=6442450944 \
		--qom /machine/peripheral/pointer:type=usb-mouse \
		--block "drive.system=$V/win10.qcow2"
	vm qtest laptop "$T/laptop.argv" \
		--fwcfg "opt/com.lion328/nvidia-rom=$V/gtx1050.rom" --acpi "$V/ssdt-battery.aml" \
		--block "pflash0=/usr/share/OVMF/OVMF_CODE_4M.fd" \
		--block "pflash1=$T/home/.local/share/qemu-vm/laptop/OVMF_VARS.fd"
fi

# Minimal: defaults only — emulated VGA, virtio disk and NIC, USB tablet.
if show "$H/desktop" profiles/minimal.ini "$T/minimal.argv"; then
	vm boot minimal "$T/minimal.argv" "${common[@]}" --cpus 2=1x2x1 \
		--device vga0=1234:1111 --device disk.system=1af4:1001 --device nic0=1af4:1000 \
		--device xhci=1b36:000d --qom /machine/peripheral/pointer:type=usb-tablet \
		--qom /objects/mem0:size=4294967296 --block "drive.system=$V/minimal.qcow2" --qtree i8042=1
fi

# Scream beside Looking Glass: two ivshmem devices, each with its own memory as BAR 2.
if show "$H/desktop" tests/golden/profiles/scream.ini "$T/scream.argv"; then
	vm boot scream "$T/scream.argv" --device lg=1af4:1110 --device scream=1af4:1110 \
		--bar lg/2=64M --bar scream/2=2M --qom /machine/peripheral/scream:memdev=/objects/scream-mem
fi

# Input quirks: virtio keyboard and mouse beside USB; ps2 = off leaves no i8042 (the minimal
# profile above has one).
if show "$H/desktop" tests/golden/profiles/input.ini "$T/input.argv"; then
	vm boot input "$T/input.argv" --device virtio-kbd=1af4:1052 --device virtio-mouse=1af4:1052 \
		--qom /machine/peripheral/virtio-kbd:type=virtio-keyboard-pci \
		--qom /machine/peripheral/virtio-mouse:type=virtio-mouse-pci --qtree i8042=0
fi

# vendor-id and device-id: no VFIO device to start here, so the option names the plan writes on
# vfio-pci are checked against what this QEMU's vfio-pci takes.
if show "$H/desktop" tests/golden/profiles/pci-ids.ini "$T/pci-ids.argv"; then
	props=$(qemu-system-x86_64 -device vfio-pci,help 2>&1)
	names=$(grep -o 'x-pci-[a-z-]*-id=' "$T/pci-ids.argv" | sort -u | tr -d '=')
	missing=
	for n in $names; do grep -q "^  $n=" <<<"$props" || missing+=" $n"; done
	if [ -n "$names" ] && grep -q 'x-pci-vendor-id=0x10de,x-pci-device-id=0x1c03' "$T/pci-ids.argv" && [ -z "$missing" ]; then
		note "ok   pci-ids: QEMU's vfio-pci takes $(echo $names | tr ' ' ',') as the plan writes them"
	else
		note "FAIL pci-ids: vfio-pci properties: wanted $(echo $names), missing:$missing"
	fi
fi

# Commas, '=', spaces and a leading '-' in every kind of path the launcher writes into an
# option: each must reach QEMU as one value, naming exactly that file.
if show "$H/desktop" "$V/odd,name.ini" "$T/odd.argv" XDG_RUNTIME_DIR="$T/run,=1" XDG_DATA_HOME="$T/data,1"; then
	vm boot odd,name "$T/odd.argv" --guest-name odd,name \
		--behind rp.gpu/01:00.0=hostdev.gpu.0 \
		--qom "/machine/peripheral/hostdev.gpu.0:romfile=$V/a,b=c.rom" --bar hostdev.gpu.0/6=16K \
		--block "drive.system=$V/x y,z.qcow2"
	vm qtest odd,name "$T/odd.argv" \
		--fwcfg "opt/com.lion328/nvidia-rom=$V/a,b=c.rom" --acpi "$V/-lead ing.aml" \
		--block "drive.system=$V/x y,z.qcow2" --block "pflash1=$T/data,1/qemu-vm/odd,name/OVMF_VARS.fd"
fi

# Paths far past any fixed buffer: a profile in a deep directory (commas in every component)
# names its ROM, disk, ACPI table and fw_cfg file relative to itself, once with 1,000-byte paths
# and once at PATH_MAX - 1 bytes, the longest the kernel opens. QEMU must open each file by its
# whole path. One byte more and the profile is refused, naming the romfile line.
deepdir() { # deepdir LEN: a directory path of LEN bytes under $T/deep
	python3 -S -c 'import sys
base, n = sys.argv[1], int(sys.argv[2])
p = base
while len(p) < n:
    left = n - len(p) - 1
    k = min(200, left)
    if left - k == 1:
        k -= 1
    p += "/" + (("d" * 40 + ",") * 5)[:k]
print(p)' "$T/deep" "$1"
}
for len in 1000 4095; do
	D=$(deepdir $((len - 12)))
	mkdir -p "$D"
	mkrom "$D/gpu-rom.bin" "deep$len" 7000
	cp "$V/ssdt-battery.aml" "$D/table-1.aml"
	qemu-img create -q -f qcow2 "$D/disk1.qcow2" 64M || note "FAIL qemu-img create a disk at $len bytes"
	printf '[vm]\nmemory = 1G\ncpus = 1\n[pci gpu]\nhost = 01:00.0\nromfile = gpu-rom.bin\n[disk system]\npath = disk1.qcow2\n[acpi]\ntable = table-1.aml\n[fw_cfg]\nopt/deep/rom = gpu-rom.bin\n' > "$D/p.ini"
	[ "${#D}" -eq $((len - 12)) ] || note "FAIL deepdir made ${#D} bytes, not $((len - 12))"
	if show "$H/desktop" "$D/p.ini" "$T/deep$len.argv"; then
		vm boot "deep$len" "$T/deep$len.argv" --behind rp.gpu/01:00.0=hostdev.gpu.0 \
			--qom "/machine/peripheral/hostdev.gpu.0:romfile=$D/gpu-rom.bin" --bar hostdev.gpu.0/6=8K \
			--block "drive.system=$D/disk1.qcow2"
		vm qtest "deep$len" "$T/deep$len.argv" --fwcfg "opt/deep/rom=$D/gpu-rom.bin" \
			--acpi "$D/table-1.aml" --block "drive.system=$D/disk1.qcow2"
	fi
done
# PATH_MAX bytes with the NUL: the kernel opens no such path, so check refuses the profile.
D=$(deepdir $((4096 - 12)))
mkdir -p "$D"
printf '[vm]\nmemory = 1G\ncpus = 1\n[pci gpu]\nhost = 01:00.0\nromfile = gpu-rom.bin\n' > "$D/p.ini"
if env -i HOME="$T/home" USER=alice XDG_RUNTIME_DIR="$T/run" XDG_CACHE_HOME="$T/cache" PATH=/usr/bin:/bin \
	ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
	"$B/qemu-vm" --host-root "$H/desktop" --allow-root check "$D/p.ini" > "$T/deep4096.check" 2>&1; then
	note "FAIL deep4096: check passed a ROM path of PATH_MAX bytes"
elif grep -qxF "FAIL  $D/p.ini:6: romfile: ROM '$D/gpu-rom.bin': File name too long" "$T/deep4096.check"; then
	note "ok   deep4096: a ROM path of PATH_MAX bytes is refused at its line, p.ini:6"
else
	note "FAIL deep4096: check does not name the romfile line:"
	sed 's/^/     | /' "$T/deep4096.check" | cut -c1-200 | tee -a "$log"
fi

# The demo, as `make demo` runs it: on this real host, OVMF to the UEFI shell on stdio.
if show / profiles/demo.ini "$T/demo.argv"; then
	vm demo demo "$T/demo.argv"
fi

# The same demo with a firmware descriptor like Fedora's, whose flash files are qcow2 images
# (the user's own descriptor directory, which hides nothing and sorts first): the pflash
# drives say format=qcow2, the VM's vars copy is a .qcow2, and OVMF still reaches its shell.
F=$T/fw-qcow2
mkdir -p "$F/qemu/firmware" "$F/data/qemu-vm/demo"
if qemu-img convert -O qcow2 /usr/share/OVMF/OVMF_CODE_4M.fd "$F/code.qcow2" &&
	qemu-img convert -O qcow2 /usr/share/OVMF/OVMF_VARS_4M.fd "$F/vars.qcow2"; then
	python3 -S -c 'import json, sys
json.dump({"interface-types": ["uefi"],
           "mapping": {"device": "flash", "executable": {"filename": sys.argv[1] + "/code.qcow2", "format": "qcow2"},
                       "nvram-template": {"filename": sys.argv[1] + "/vars.qcow2", "format": "qcow2"}},
           "targets": [{"architecture": "x86_64", "machines": ["pc-q35-*"]}],
           "features": ["acpi-s3"], "tags": []}, open(sys.argv[1] + "/qemu/firmware/10-test-qcow2.json", "w"))' "$F"
	if show / profiles/demo.ini "$T/demo-qcow2.argv" XDG_CONFIG_HOME="$F" XDG_DATA_HOME="$F/data"; then
		if grep -qxF "if=pflash,format=qcow2,unit=0,readonly=on,file=$F/code.qcow2" "$T/demo-qcow2.argv" &&
			grep -qxF "if=pflash,format=qcow2,unit=1,file=$F/data/qemu-vm/demo/OVMF_VARS.qcow2" "$T/demo-qcow2.argv"; then
			note "ok   demo-qcow2: a qcow2 firmware descriptor gives format=qcow2 pflash drives and an OVMF_VARS.qcow2"
		else
			note "FAIL demo-qcow2: pflash drives: $(grep pflash "$T/demo-qcow2.argv" | paste -sd' ')"
		fi
		# What qemu-vm run's first start does: the vars template, copied.
		cp "$F/vars.qcow2" "$F/data/qemu-vm/demo/OVMF_VARS.qcow2"
		vm demo demo-qcow2 "$T/demo-qcow2.argv"
	fi
else
	note "FAIL qemu-img converts OVMF to qcow2"
fi

pass=$(grep -c '^ok' "$log")
fail=$(grep -c '^FAIL' "$log")
echo "qemu: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
