#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mkinitcpio's HOOKS on the Arch seed trees: left alone when modconf is there (one line or
# several), modconf added to a one-line array that lacks it (also beside mkinitcpio.conf.d, and
# kept there by a second install), and a clear refusal naming file:line when it lacks it and
# cannot be edited (several lines, an expansion): nothing written. Only install reads HOOKS.
set -u
cd "$(dirname "$0")/.."
. tests/testlib.sh
. tests/setup/args.sh
B=${B:-build}
VS=$PWD/$B/vfio-setup
[ -x "$VS" ] || { echo "FAIL $VS is not built (make B=$B)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: the seed trees record owner 0:0; run as root"; exit 77; }
require_tools "Debian: apt-get install python3" python3
W=$(mktemp -d /tmp/qvm-hooks.XXXXXX)
trap 'rm -rf "$W"' EXIT

ONE="HOOKS=(base udev autodetect microcode modconf kms keyboard keymap consolefont block filesystems fsck)"
# Legal bash, as the mkinitcpio.conf of some installs has it: the array over three lines.
SPLIT=$'HOOKS=(base udev autodetect microcode modconf kms\n       keyboard keymap consolefont block # input\n       filesystems fsck)'
hooks() { # hooks FILE TEXT: the HOOKS line of the seed's FILE replaced by TEXT
	python3 -c 'import sys; p, old, new = sys.argv[1:]; s = open(p).read(); assert old in s, p
open(p, "w").write(s.replace(old, new))' "$1" "$ONE" "$2"
}
sourced() { bash -c 'source "$1"; echo "${HOOKS[*]}"' _ "$1"; }
installed() { # installed SEED NAME HOOKS...: the seed with HOOKS, installed; $T the tree, $out what it said
	T=$W/$2
	seed_copy "$1" "$T"
	hooks "$T/etc/mkinitcpio.conf" "$3"
	cp -a "$T" "$W/$2.seed"
	# shellcheck disable=SC2046
	out=$("$VS" install --root "$T" $(seed_args "$1") 2>&1)
	rc=$?
}
again_and_back() { # again_and_back NAME: install twice changes nothing, uninstall byte-exact
	local before=$W/$1.once
	cp -a "$T" "$before"
	# shellcheck disable=SC2046
	if "$VS" install --root "$T" $(seed_args "$2") >"$W/out" 2>&1 && grep -q "^nothing to change" "$W/out" &&
		diff -r "$before" "$T" >/dev/null; then
		ok "$1: a second install changes nothing"
	else bad "$1: second install: $(cat "$W/out"; diff -r "$before" "$T")"; fi
	if "$VS" uninstall --root "$T" >"$W/out" 2>&1 && diff -r "$W/$1.seed" "$T"; then
		ok "$1: uninstall gives the tree back byte for byte"
	else bad "$1: uninstall: $(cat "$W/out")"; fi
}

# modconf there, the array over several lines: install works and leaves HOOKS as it is; the rest
# of mkinitcpio.conf is what the one-line seed gets (tests/setup/expected).
installed arch split "$SPLIT"
hooks_want=$W/split.want
cp tests/setup/expected/arch/etc/mkinitcpio.conf "$hooks_want"
hooks "$hooks_want" "$SPLIT"
if [ $rc = 0 ] && cmp "$hooks_want" "$T/etc/mkinitcpio.conf"; then
	ok "modconf on a HOOKS array of several lines: installed, HOOKS untouched"
else bad "several lines with modconf (exit $rc): $out"; fi
again_and_back split arch

# modconf there, and an expansion in the array: not ours to read, and nothing to add.
installed arch expanded 'HOOKS=(base udev autodetect microcode modconf kms $EXTRA_HOOKS block filesystems fsck)'
[ $rc = 0 ] &&
	grep -qxF 'HOOKS=(base udev autodetect microcode modconf kms $EXTRA_HOOKS block filesystems fsck)' "$T/etc/mkinitcpio.conf" && ok "modconf beside an expansion: installed, HOOKS untouched" ||
	bad "expansion with modconf (exit $rc): $out"

# One line without modconf: added after microcode, restorably.
installed arch oneline 'HOOKS=(base udev autodetect microcode kms keyboard keymap consolefont block filesystems fsck)'
h=$(sourced "$T/etc/mkinitcpio.conf")
[ $rc = 0 ] && [ "$h" = "base udev autodetect microcode modconf kms keyboard keymap consolefont block filesystems fsck" ] &&
	ok "one line without modconf: added ($h)" || bad "one line without modconf (exit $rc): $h $out"
again_and_back oneline arch

# The same beside mkinitcpio.conf.d: mkinitcpio.conf is edited for HOOKS alone, and a second
# install, reading it with modconf in it now, still keeps it there.
installed arch-dropin dropin 'HOOKS=(base udev autodetect microcode kms keyboard keymap consolefont block filesystems fsck)'
h=$(sourced "$T/etc/mkinitcpio.conf")
[ $rc = 0 ] && [ "$h" = "base udev autodetect microcode modconf kms keyboard keymap consolefont block filesystems fsck" ] &&
	ok "drop-in host, one line without modconf: added ($h)" || bad "drop-in without modconf (exit $rc): $h $out"
again_and_back dropin arch-dropin

# Without modconf and not editable: refused with file:line and the fix, nothing written.
refused() { # refused NAME WHY HOOKS: the install is refused at HOOKS' first line (16)
	installed arch "$1" "$3"
	if [ $rc = 1 ] && grep -qF "vfio-setup: /etc/mkinitcpio.conf:16: HOOKS lacks modconf, and $2" <<<"$out" &&
		grep -qF "(hint: add modconf to HOOKS by hand, after autodetect, then run vfio-setup install again)" <<<"$out" &&
		grep -qx "vfio-setup: nothing was changed" <<<"$out" && diff -r "$W/$1.seed" "$T" >/dev/null; then
		ok "refused, nothing written: $2"
	else bad "$1 (exit $rc): $out"; fi
}
refused split-lacking "the array spans several lines" \
	$'HOOKS=(base udev autodetect microcode kms\n       keyboard keymap consolefont block filesystems fsck)'
refused dollar-lacking "it has an expansion: '\$EXTRA_HOOKS'" \
	'HOOKS=(base udev autodetect microcode kms $EXTRA_HOOKS block filesystems fsck)'
# shellcheck disable=SC2016
refused backquote-lacking "it has an expansion: '\`hooks\`'" \
	'HOOKS=(base udev autodetect microcode kms `hooks` block filesystems fsck)'
refused string-lacking "it is not an array '(...)'" \
	'HOOKS="base udev autodetect microcode kms block filesystems fsck"'

# Only install reads HOOKS: scan and status do not open mkinitcpio.conf.
if command -v strace >/dev/null; then
	T=$W/probe
	seed_copy arch "$T"
	for c in "scan --root $T" "status --root $T"; do
		# shellcheck disable=SC2086
		strace -f -qq -e trace=open,openat -o "$W/trace" "$VS" $c >/dev/null 2>&1
		if grep -q '"[^"]*/etc/mkinitcpio.conf"' "$W/trace"; then bad "${c%% *} opens mkinitcpio.conf"
		elif grep -q "openat" "$W/trace"; then ok "${c%% *} does not read mkinitcpio.conf"
		else bad "${c%% *}: no trace"; fi
	done
else
	echo "SKIP: strace is not installed (apt-get install strace): which commands read HOOKS not traced"
fi

summary setup-hooks
