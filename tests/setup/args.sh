# SPDX-License-Identifier: GPL-2.0-or-later
# The install arguments each seed tree is tested with (sourced by the setup suites).
# shellcheck shell=bash

# debian: initramfs-tools, GRUB. arch: mkinitcpio.conf, GRUB. fedora: dracut, kernel-install.
# arch-dropin: mkinitcpio.conf.d. booster: booster, systemd-boot entries without kernel-install.
SEEDS="debian arch fedora arch-dropin booster"

seed_args() {
	case $1 in
	debian) echo "--ids 10de:1b81,10de:10f0 --user alice --memlock 17G" ;;
	arch | arch-dropin) echo "--profile tests/setup/profiles/arch-gaming.ini --profile tests/setup/profiles/small.ini --hugepages 8x1G" ;;
	fedora) echo "--ids 10de:1c8d,10de:0fb9 --user bob --hugepages 1024x2M" ;;
	booster) echo "--ids 10de:2484,10de:228b --user carol --memlock 17G" ;;
	esac
}

# Copies seed $1 to $2 and sets what git does not keep: modes of edited files.
seed_copy() {
	rm -rf "$2"
	cp -a "tests/setup/seeds/$1" "$2"
	case $1 in arch | arch-dropin) chmod 600 "$2/etc/default/grub" ;; esac
}
