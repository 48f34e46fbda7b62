#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Huge pages on demand and held functions on the fake laptop host: what check says of a pool the
# group may grow and of a skipped function on no driver; a run the pool refuses, notified; vfio-setup install with such a profile
# on the laptop tree with an Arch /etc (lines for the right devices only, twice changes nothing,
# uninstall byte-exact, status); vfio-setup open refusing what is no VFIO device.
set -u
cd "$(dirname "$0")/.."
. tests/testlib.sh
B=${B:-build}
VS=$PWD/$B/vfio-setup
[ "$(id -u)" = 0 ] || { echo "SKIP: the trees record owner 0:0 and the pool's group is ours (gid 0); run as root"; exit 77; }
T=$(mktemp -d /tmp/qvm-hostmem.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
tests/hosts/build-all.sh "$T/hosts" >/dev/null || { echo "FAIL building the fake hosts"; exit 1; }
mkdir -p "$T/home"
run() { launcher_on_host "$@"; }
has() { # has WHAT PATTERN TEXT: a whole line of TEXT is PATTERN (grep -x)
	if grep -qx -- "$2" <<<"$3"; then ok "$1"; else bad "$1"; echo "$3"; fi
}

H=$T/hosts/laptop
pool=$H/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
cat >"$T/huge.ini" <<'INI'
[vm]
memory = 16G
hugepages = 2M
display = none
[pci gpu]
host = 01:00.0
skip-functions = 1
INI

# A skipped function on no driver is accepted; on a host driver, refused (the group is shared).
rm "$H/sys/bus/pci/devices/0000:01:00.1/driver"
out=$(run laptop check "$T/huge.ini")
# (check ran through: the hugepage line below is there too.)
if ! grep -q "01:00.1" <<<"$out" && grep -qx "FAIL  hugepages: need 8192 free 2M pages for 16G, 4096 free of 4096" <<<"$out"; then
	ok "a skipped function on no driver is accepted"
else
	bad "skipped, no driver:"
	echo "$out"
fi
ln -s ../../../../bus/pci/drivers/snd_hda_intel "$H/sys/bus/pci/devices/0000:01:00.1/driver"
out=$(run laptop check "$T/huge.ini")
has "a skipped function on snd_hda_intel is refused" \
	"FAIL  \[pci gpu\]: 01:00.1 .* is bound to its host driver, not on vfio-pci (skipped functions must stay off host drivers: the group is shared)" "$out"
rm "$H/sys/bus/pci/devices/0000:01:00.1/driver"

# The pool (4096 free 2M pages) is short of 16G: a FAIL while root alone may grow it, "reserved
# at start" once the group may (gid 0 is ours here, as qemu-vm's is the user's).
out=$(run laptop check "$T/huge.ini")
has "a short pool the group cannot grow fails" \
	"FAIL  hugepages: need 8192 free 2M pages for 16G, 4096 free of 4096" "$out"
chmod 664 "$pool"
out=$(run laptop check "$T/huge.ini")
has "a short pool the group may grow is reserved at start" \
	"ok    hugepages: 8192 × 2M needed, 4096 free: reserved at start" "$out"

# A run started without a terminal that the pool refuses: /sys read-only (as in a container)
# while the mode bits say the group may grow the pool, so check passes and the write fails. The
# refusal becomes a desktop notification, as every other refused start does; nothing is booked.
if ! unshare -m true 2>/dev/null; then
	echo "SKIP: a refused reservation: no mount namespace here (unshare -m) for a read-only pool"
elif notify_watch; then
	cat >"$T/ro.ini" <<INI
[vm]
memory = 16G
hugepages = 2M
display = none
accel = tcg
firmware = bios
qemu = $PWD/tests/launcher/stub-qemu
[network]
mode = none
[input]
pointer = none
INI
	mkdir -p "$T/run" && chmod 700 "$T/run"
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' sh "$pool" \
		env -i HOME="$T/home" XDG_RUNTIME_DIR="$T/run" PATH=/usr/bin:/bin STUB_QEMU_OUT="$T/stub" \
		DBUS_SESSION_BUS_ADDRESS="$notify_addr" ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
		"$B/qemu-vm" --host-root "$H" --allow-root run "$T/ro.ini" >"$T/out" 2>&1
	rc=$?
	n=$(notified "VM ro did not start")
	what="hugepages: growing the 2048kB pool: Read-only file system"
	if [ $rc -eq 1 ] && grep -qF "$what" <<<"$n" && grep -q "^fix: " <<<"$n" &&
		grep -qF "log: $T/home/.local/state/qemu-vm/ro/qemu.log\"" <<<"$n"; then
		ok "a pool that refuses the write: a notification with the failure, its fix and the log path"
	else bad "notification of a refused reservation (exit $rc): $n"; cat "$T/out" "$T/monitor.log"; fi
	if grep -qF "ro did not start: $what" "$T/home/.local/state/qemu-vm/ro/qemu.log" && [ ! -e "$T/stub.argv" ] &&
		[ "$(cat "$pool")" = 4096 ] && [ ! -e "$T/run/qemu-vm/hugepages.book" ]; then
		ok "… the same text in the log; no QEMU, the pool and the book as they were"
	else bad "after a refused reservation: pool $(cat "$pool")"; cat "$T/home/.local/state/qemu-vm/ro/qemu.log"; fi
fi
chmod 644 "$pool"

# install with that profile on the laptop with an Arch /etc whose HOOKS lack modconf.
cp -a tests/setup/seeds/arch/etc tests/setup/seeds/arch/usr tests/setup/seeds/arch/var "$H/"
chmod 600 "$H/etc/default/grub"
mkdir -p "$H/proc"
printf 'processor\t: 0\nvendor_id\t: GenuineIntel\n\n' >"$H/proc/cpuinfo"
sed -i 's/ modconf//' "$H/etc/mkinitcpio.conf"
cp -a "$H" "$T/seed"
args=(--root "$H" --profile "$T/huge.ini" --open-at-boot 01:00.0)
if "$VS" install "${args[@]}" >"$T/out" 2>&1; then ok "install"; else bad "install"; cat "$T/out"; fi
e=$H/etc
has "the skipped function is held on no driver" \
	'ACTION=="add", SUBSYSTEM=="pci", KERNEL=="0000:01:00.1", ATTR{driver_override}="none"' "$(cat "$e/udev/rules.d/40-qemu-vm-hold.rules")"
if ! grep -q "0000:01:00.0" "$e/udev/rules.d/40-qemu-vm-hold.rules"; then ok "the passed function is not held"; else bad "01:00.0 held"; fi
has "ids= has the GPU alone" "options vfio-pci ids=10de:1c8d" "$(cat "$e/modprobe.d/qemu-vm-vfio.conf")"
if ! grep -q snd_hda_intel "$e/modprobe.d/qemu-vm-vfio.conf"; then ok "no softdep for the held audio function"; else bad "softdep for the held function"; fi
has "the pools are the group's at boot" \
	"z /sys/kernel/mm/hugepages/hugepages-\*/nr_hugepages 0664 root qemu-vm -" "$(cat "$e/tmpfiles.d/qemu-vm-hugepages.conf")"
has "the open unit runs vfio-setup open" "ExecStart=.*/vfio-setup open %I" "$(cat "$e/systemd/system/qemu-vm-open@.service")"
has "the open unit is wanted for 01:00.0" "Wants=qemu-vm-open@0000:01:00.0.service" \
	"$(cat "$e/systemd/system/multi-user.target.d/qemu-vm-open.conf")"
has "modconf is added to HOOKS" \
	"HOOKS=(base udev autodetect microcode modconf kms keyboard keymap consolefont block filesystems fsck)" "$(cat "$e/mkinitcpio.conf")"
if [ ! -e "$e/modprobe.d/qemu-vm-unsafe-interrupts.conf" ]; then ok "no unsafe interrupts unless asked"; else bad "unsafe interrupts written unasked"; fi
out=$("$VS" status --root "$H" 2>&1)
for f in /etc/udev/rules.d/40-qemu-vm-hold.rules /etc/tmpfiles.d/qemu-vm-hugepages.conf \
	/etc/systemd/system/qemu-vm-open@.service /etc/systemd/system/multi-user.target.d/qemu-vm-open.conf; do
	has "status reports $f" "created  $f: ok" "$out"
done
has "status reports the edited mkinitcpio.conf" "edited   /etc/mkinitcpio.conf: ok" "$out"

cp -a "$H" "$T/once"
if "$VS" install "${args[@]}" >"$T/out" 2>&1 && grep -q "^nothing to change" "$T/out" && diff -r "$T/once/etc" "$H/etc" >/dev/null && diff -r "$T/once/var" "$H/var" >/dev/null; then
	ok "a second install changes nothing"
else bad "second install"; cat "$T/out"; fi

if "$VS" uninstall --root "$H" >"$T/out" 2>&1 && diff -r "$T/seed/etc" "$H/etc" && diff -r "$T/seed/var" "$H/var"; then
	ok "uninstall gives back the tree byte for byte"
else bad "uninstall"; cat "$T/out"; fi

# --allow-unsafe-interrupts, only when asked; scan names the fix when remapping is off.
if "$VS" install "${args[@]}" --allow-unsafe-interrupts >"$T/out" 2>&1 &&
	grep -qx "options vfio_iommu_type1 allow_unsafe_interrupts=1" "$e/modprobe.d/qemu-vm-unsafe-interrupts.conf"; then
	ok "--allow-unsafe-interrupts writes the option"
else bad "--allow-unsafe-interrupts"; cat "$T/out"; fi
"$VS" uninstall --root "$H" >/dev/null 2>&1
mkdir -p "$H/sys/class/iommu/dmar0/intel-iommu"
echo 0xf050d2 >"$H/sys/class/iommu/dmar0/intel-iommu/ecap" # bit 3 clear: no remapping
out=$("$VS" scan --root "$H" 2>&1)
has "scan says what a platform without interrupt remapping needs" \
	"interrupt remapping: no (VFIO refuses to assign devices without it; to allow it anyway: sudo vfio-setup install --allow-unsafe-interrupts)" "$out"
echo 0xf050da >"$H/sys/class/iommu/dmar0/intel-iommu/ecap"
printf '           CPU0\n 120:          0  IR-PCI-MSI 327680-edge      xhci_hcd\n' >"$H/proc/interrupts"
has "with the ecap bit and IR- chips, remapping is on" "interrupt remapping: yes" "$("$VS" scan --root "$H" 2>&1)"
printf '           CPU0\n 120:          0  PCI-MSI 327680-edge      xhci_hcd\n' >"$H/proc/interrupts"
has "the hardware has it, the kernel does not use it: no" "interrupt remapping: no .*" "$("$VS" scan --root "$H" 2>&1)"

# open: a device that is not there, and a regular file where the VFIO container belongs.
out=$("$VS" open --root "$H" 05:00.0 2>&1)
has "open: a missing device" "vfio-setup: .*/sys/bus/pci/devices/0000:05:00.0: no such PCI device (hint: vfio-setup scan)" "$out"
ln -s ../../../../bus/pci/drivers/vfio-pci "$H/sys/bus/pci/devices/0000:01:00.1/driver"
mkdir -p "$H/dev/vfio" && : >"$H/dev/vfio/vfio"
out=$("$VS" open --root "$H" 01:00.1 2>&1)
has "open: no VFIO container, said" "vfio-setup: .*/dev/vfio/vfio: not a VFIO container of API version 0" "$out"

summary hostmem
