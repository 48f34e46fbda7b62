#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemctl daemon-reload after install and uninstall write or remove vfio-setup's units (the
# handover template, the --open-at-boot unit and what enables it), where systemd runs: said in
# dry runs and under --root, run (stub systemctl, through the test hook that runs the programs
# under --root) with a failure only a warning; never for a plain install, nor without systemd.
set -u
cd "$(dirname "$0")/.."
. tests/testlib.sh
. tests/setup/args.sh
B=${B:-build}
VS=$PWD/$B/vfio-setup
[ -x "$VS" ] || { echo "FAIL $VS is not built (make B=$B)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: the seed trees record owner 0:0; run as root"; exit 77; }
require_tools "Debian: apt-get install python3" python3
W=$(mktemp -d /tmp/qvm-reload.XXXXXX)
trap 'rm -rf "$W"' EXIT
python3 -S tests/hosts/mkhost.py -o "$W/hosts" tests/handover/two-gpu.spec tests/hosts/laptop.spec >"$W/mkhost.log" 2>&1 ||
	{ cat "$W/mkhost.log"; echo "FAIL mkhost"; exit 1; }
LINE="not run under --root: systemctl daemon-reload"

host() { # host NAME HOST [systemd]: $T, the fake HOST with Debian's /etc, systemd running or not
	T=$W/$1
	cp -a "$W/hosts/$2" "$T"
	cp -a tests/setup/seeds/debian/etc tests/setup/seeds/debian/usr tests/setup/seeds/debian/var "$T/"
	[ "${3:-}" = systemd ] && mkdir -p "$T/run/systemd/system"
	return 0
}
said() { # said WHAT COUNT COMMAND...: COMMAND succeeds and prints $LINE COUNT times
	local what=$1 want=$2 n
	shift 2
	"$@" >"$W/out" 2>&1 || { bad "$what: exit $?: $(cat "$W/out")"; return; }
	n=$(grep -cxF "$LINE" "$W/out")
	[ "$n" = "$want" ] && ok "$what" || bad "$what: '$LINE' $n times, not $want: $(cat "$W/out")"
}

# The handover unit on the two-GPU desktop.
HO=(--profile tests/handover/gaming.ini)
host handover two-gpu systemd
said "handover: install --dry-run says it" 1 "$VS" install --root "$T" "${HO[@]}" --dry-run
said "handover: install says it" 1 "$VS" install --root "$T" "${HO[@]}"
grep -q "^not run under --root: udevadm control --reload" "$W/out" && ok "… beside the udev reload" || bad "no udev line"
said "handover: a second install changes nothing and does not" 0 "$VS" install --root "$T" "${HO[@]}"
said "handover: uninstall --dry-run says it" 1 "$VS" uninstall --root "$T" --dry-run
said "handover: uninstall says it" 1 "$VS" uninstall --root "$T"
host nosystemd two-gpu
said "handover without systemd running: install does not" 0 "$VS" install --root "$T" "${HO[@]}"
said "… nor uninstall" 0 "$VS" uninstall --root "$T"

# The --open-at-boot unit and its Wants= on the laptop.
OAB=(--device 01:00.0 --user alice --open-at-boot 01:00.0)
host open laptop systemd
said "open-at-boot: install says it" 1 "$VS" install --root "$T" "${OAB[@]}"
[ -e "$T/etc/systemd/system/qemu-vm-open@.service" ] && ok "… and wrote the unit" || bad "no open unit"
said "open-at-boot: install without it again says it (the unit goes)" 1 "$VS" install --root "$T" --device 01:00.0 --user alice
said "open-at-boot: uninstall does not (no unit left to remove)" 0 "$VS" uninstall --root "$T"

# A plain install writes user@.service's memlock drop-in under /etc/systemd/system, no unit.
host plain two-gpu systemd
# shellcheck disable=SC2046
said "plain install: not said" 0 "$VS" install --root "$T" $(seed_args debian)
[ -e "$T/etc/systemd/system/user@.service.d/50-qemu-vm-memlock.conf" ] && ok "… though it wrote the memlock drop-in" ||
	bad "no memlock drop-in"
said "plain uninstall: not said" 0 "$VS" uninstall --root "$T"

# Run: stub programs in PATH; the test hook runs them under --root.
S=$W/stubs
mkdir -p "$S"
for p in udevadm update-initramfs update-grub kernel-install; do printf '#!/bin/sh\nexit 0\n' >"$S/$p"; done
printf '#!/bin/sh\necho "$*" >>"%s"\nexit ${SYSTEMCTL_EXIT:-0}\n' "$W/systemctl.log" >"$S/systemctl"
chmod +x "$S"/*
stubbed() { PATH="$S:$PATH" VFIO_SETUP_TEST_RUN_UNDER_ROOT=1 "$VS" "$@" >"$W/out" 2>&1; }
host run two-gpu systemd
if stubbed install --root "$T" "${HO[@]}" && [ "$(cat "$W/systemctl.log")" = daemon-reload ]; then
	ok "install runs systemctl daemon-reload once"
else bad "install run: $(cat "$W/out" "$W/systemctl.log")"; fi
if stubbed uninstall --root "$T" && [ "$(cat "$W/systemctl.log")" = $'daemon-reload\ndaemon-reload' ]; then
	ok "uninstall runs it once"
else bad "uninstall run: $(cat "$W/out" "$W/systemctl.log")"; fi
if SYSTEMCTL_EXIT=1 stubbed install --root "$T" "${HO[@]}" &&
	grep -qx "vfio-setup: warning: systemctl daemon-reload failed, ignoring: systemd sees the new units from the next boot (hint: systemctl daemon-reload)" "$W/out" &&
	grep -q "^installed" "$W/out"; then
	ok "a failed daemon-reload is a warning, the install done"
else bad "failed daemon-reload: $(cat "$W/out")"; fi

summary setup-reload
