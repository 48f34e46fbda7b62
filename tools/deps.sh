#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make deps: installs the build and test packages when something is missing, else does nothing.
set -eu

# modprobe and friends live in /usr/sbin, which an ordinary user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
missing=""
for pc in inih libudev libcap libseccomp json-c libsystemd libmd check; do
	pkg-config --exists "$pc" 2>/dev/null || missing="$missing $pc"
done
for tool in cc make pkg-config qemu-system-x86_64 qemu-img iasl desktop-file-validate gio modprobe python3 lspci scdoc umockdev-run; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
ls /usr/share/qemu/firmware/*.json >/dev/null 2>&1 || missing="$missing ovmf"
[ -z "$missing" ] && exit 0

echo "deps: missing:$missing"
. /etc/os-release 2>/dev/null || true
case " ${ID:-} ${ID_LIKE:-} " in
*" debian "* | *" ubuntu "*)
	cmd="apt-get install -y build-essential pkg-config libinih-dev libudev-dev libcap-dev libseccomp-dev libjson-c-dev libsystemd-dev libmd-dev check qemu-system-x86 qemu-utils acpica-tools ovmf desktop-file-utils libglib2.0-bin kmod python3 pciutils dbus scdoc umockdev libumockdev-dev"
	pre="apt-get update" ;;
*" fedora "* | *" rhel "*)
	cmd="dnf install -y gcc make pkgconf-pkg-config inih-devel systemd-devel libcap-devel libseccomp-devel json-c-devel libmd-devel check-devel qemu-system-x86-core qemu-img acpica-tools edk2-ovmf desktop-file-utils glib2 kmod python3 pciutils scdoc umockdev-devel"
	pre="" ;;
*" arch "*)
	cmd="pacman -S --needed --noconfirm base-devel pkgconf libinih libmd pciutils systemd-libs libcap libseccomp json-c check qemu-system-x86 qemu-img qemu-ui-gtk acpica edk2-ovmf desktop-file-utils glib2 kmod python scdoc umockdev"
	pre="" ;;
*)
	echo "deps: unknown distribution '${ID:-?}'; install the packages listed in README.md by hand" >&2
	exit 1 ;;
esac
as_root() { # WHY: names the commands to run as root, and fails
	echo "deps: $1; as root, run:" >&2
	[ -n "$pre" ] && echo "  $pre" >&2
	echo "  $cmd" >&2
	exit 1
}
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || as_root "no sudo here to install them with"
	sudo="sudo "
fi
# sudo fails before running anything for a user it does not allow, or without a terminal to
# ask the password on: the commands are named again, for root.
if [ -n "$pre" ]; then
	echo "deps: running: $sudo$pre"
	$sudo$pre || as_root "that failed${sudo:+ (sudo: not allowed, or no terminal to ask the password on)}"
fi
echo "deps: running: $sudo$cmd"
$sudo$cmd || as_root "that failed${sudo:+ (sudo: not allowed, or no terminal to ask the password on)}"
