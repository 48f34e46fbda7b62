#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The lab's guest image (L1): a minimal Debian bookworm with a kernel, initramfs-tools, GRUB's
# configuration tools and QEMU, packed into an ext4 image without mounting anything.
#
#   lab/build-image.sh OUTDIR MIRROR
#
# Writes OUTDIR/root.img (raw ext4, the whole disk is the file system), OUTDIR/vmlinuz and
# OUTDIR/initrd.img (taken from the image's /boot), OUTDIR/root.uuid and, last, OUTDIR/recipe,
# the hash of the recipe the image was built from. Needs root (debootstrap); the packages are
# cached in OUTDIR/../debs so that a change of the recipe downloads nothing again.
set -euo pipefail

out=${1:?usage: build-image.sh OUTDIR MIRROR}
mirror=${2:?usage: build-image.sh OUTDIR MIRROR}
here=$(cd "$(dirname "$0")" && pwd)
suite=bookworm
size=3G

# What the tests need inside L1, besides the kernel and the boot chain:
#  qemu-system-x86 (the nested QEMU), pciutils (lspci), python3 (the QMP client),
#  acpica-tools (iasl, for the profile's SSDT), libinih1/libjson-c5 (qemu-vm's libraries;
#  libudev1, libcap2 and libseccomp2 come with the rest), grub2-common (update-grub
#  and /etc/default/grub's template: the boot loader vfio-setup finds and writes to),
#  dbus and polkitd (systemd-logind on a system bus for the supervisor's inhibitor, and the
#  polkit rule that lets the user start the handover unit; libpam-systemd, the logind polkitd
#  depends on (debootstrap does not resolve that virtual package), makes a
#  runuser -l login a logind session, as on a desktop).
packages=(
	linux-image-amd64 initramfs-tools zstd kmod udev util-linux procps pciutils systemd-sysv
	qemu-system-x86 python3 acpica-tools libinih1 libjson-c5 grub2-common passwd dbus polkitd libpam-systemd
)

mkdir -p "$out" "$out/../debs"
out=$(cd "$out" && pwd)
debs=$(cd "$out/../debs" && pwd)
work=$out/tree
rm -rf "$work" "$out/recipe"
trap 'rm -rf "$work"' EXIT

include=$(IFS=,; echo "${packages[*]}")
echo "lab: debootstrap --variant=minbase $suite from $mirror"
debootstrap --variant=minbase --cache-dir="$debs" --include="$include" "$suite" "$work" "$mirror" \
	>"$out/debootstrap.log" 2>&1 || {
	tail -n 20 "$out/debootstrap.log" >&2
	exit 1
}

uuid=$(cat /proc/sys/kernel/random/uuid)

# The files of lab/image/ go in as they are; then what depends on the build.
cp -r --no-preserve=ownership "$here/image/." "$work/"
chmod 0755 "$work/usr/local/sbin/lab-boot"
echo lab-l1 >"$work/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tlab-l1\n' >"$work/etc/hosts"
printf 'UUID=%s\t/\text4\terrors=remount-ro\t0\t1\n' "$uuid" >"$work/etc/fstab"
mkdir -p "$work/lab" "$work/boot/grub"

# GRUB's own template, with the console on the serial port and the IOMMU on: the machine of a
# user who has enabled VT-d but not yet run vfio-setup. install adds iommu=pt to it.
sed -e 's/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT="console=ttyS0 intel_iommu=on"/' \
	-e 's/^#\?GRUB_TERMINAL=.*/GRUB_TERMINAL=console/' \
	"$work/usr/share/grub/default/grub" >"$work/etc/default/grub"

chroot "$work" /bin/sh -ec '
	useradd --create-home --shell /bin/bash --groups kvm labuser
	passwd --delete root >/dev/null
	systemctl enable lab.service >/dev/null 2>&1
	systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
		e2scrub_all.timer fstrim.timer getty@tty1.service >/dev/null 2>&1
	apt-get clean
'
rm -f "$work/etc/machine-id" && touch "$work/etc/machine-id"

kver=$(cd "$work/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
cp "$work/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$work/boot/initrd.img-$kver" "$out/initrd.img"
chmod 0644 "$out/vmlinuz" "$out/initrd.img"
echo "$kver" >"$out/kernel.release"
echo "$uuid" >"$out/root.uuid"

rm -f "$out/root.img"
truncate -s "$size" "$out/root.img"
mkfs.ext4 -q -F -L labroot -U "$uuid" -d "$work" "$out/root.img"
"$here/recipe-hash.sh" >"$out/recipe"
echo "lab: image $out/root.img (kernel $kver)"
