#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The libudev path of USB discovery (host root "/"), against a umockdev testbed.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
command -v umockdev-run >/dev/null || { echo "SKIP: umockdev-run not installed (apt-get install umockdev)"; exit 77; }
T=$(mktemp -d /tmp/qvm-umockdev.XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/testlib.sh
# umockdev preloads itself ahead of ASan's runtime.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

mkdir -p "$T/home/.config/qemu-vm"
cat > "$T/home/.config/qemu-vm/u.ini" <<'INI'
[vm]
memory = 1G
accel = tcg
firmware = bios
[usb]
device = 046d:c52b
port = 1-4
device = 1234:5678
missing = skip
INI
run() { HOME="$T/home" XDG_RUNTIME_DIR="$T" umockdev-run -d tests/umockdev/usb.umockdev -- "$B/qemu-vm" --allow-root "$@" 2>&1; }

out=$(run devices)
grep -q '^  1-4 *046d:c52b  Logitech USB Receiver$' <<<"$out" && ok "devices lists the receiver found through libudev" ||
	bad "devices: $out"
grep -q '1d6b:0002' <<<"$out" && bad "devices lists the root hub" || ok "root hubs are left out"

out=$(run check u)
grep -q '^ok    \[usb\] 046d:c52b: Logitech USB Receiver at 1-4$' <<<"$out" && ok "check finds the device by vendor:product" ||
	bad "check by id: $out"
grep -q '^ok    \[usb\] port 1-4: Logitech USB Receiver at 1-4$' <<<"$out" && ok "check finds the device by port" ||
	bad "check by port: $out"
grep -q '^warn  \[usb\] 1234:5678: not plugged in, skipped (missing = skip)$' <<<"$out" && ok "an absent device is a warning with missing = skip" ||
	bad "check absent: $out"

out=$(run show u)
grep -q '^usb-host,id=usb0,bus=xhci.0,vendorid=0x046d,productid=0xc52b$' <<<"$out" &&
	grep -q '^usb-host,id=usb1,bus=xhci.0,hostbus=1,hostport=4$' <<<"$out" && ! grep -q '0x1234' <<<"$out" &&
	ok "show: present devices by id and port, the absent one skipped" || bad "show: $out"

summary umockdev
