#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make deps as a newcomer meets it, as an ordinary user: with everything installed it runs no
# sudo and no package manager, even when PATH lacks /usr/sbin; with something missing it asks
# sudo for the install, or, without sudo, names the command to run as root and fails.
set -u
cd "$(dirname "$0")/.."
. tests/testlib.sh
T=$(mktemp -d /tmp/qvm-deps.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
if ! sh tools/deps.sh >/dev/null 2>&1; then
	echo "SKIP: this machine itself lacks build or test packages (make deps)"
	exit 77
fi
cp tools/deps.sh "$T/deps.sh"
# A sudo and an apt-get that only say they were called.
mkdir -p "$T/fake"
for f in sudo apt-get; do
	printf '#!/bin/sh\necho "%s $*" >>%s/calls\n' "$f" "$T" >"$T/fake/$f"
done
chmod 755 "$T/fake"/*
touch "$T/calls" && chmod 666 "$T/calls"
# PATH without scdoc: every other tool deps.sh looks for, and what it runs itself.
mkdir -p "$T/noscdoc"
for t in cc make pkg-config qemu-system-x86_64 qemu-img iasl desktop-file-validate gio python3 lspci \
	umockdev-run ls id cat; do
	ln -s "$(PATH=/usr/bin:/bin command -v "$t")" "$T/noscdoc/$t"
done

as() { # as PATH COMMAND...: as nobody when we are root, with nothing but PATH in the environment
	local path=$1
	shift
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH="$path" "$@"
	else
		env -i PATH="$path" "$@"
	fi
}

out=$(as "$T/fake:/usr/bin:/bin" /bin/sh "$T/deps.sh" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ] && [ ! -s "$T/calls" ]; then
	ok "nothing missing, /usr/sbin not on PATH: silent, no sudo, no package manager"
else
	bad "nothing missing (rc=$rc): $out; calls: $(cat "$T/calls")"
fi

: >"$T/calls"
out=$(as "$T/fake:$T/noscdoc" /bin/sh "$T/deps.sh" 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q "missing: scdoc" <<<"$out" && grep -q "^sudo apt-get install .* scdoc .*umockdev" "$T/calls"; then
	ok "scdoc missing: sudo apt-get install with scdoc and umockdev"
else
	bad "scdoc missing (rc=$rc): $out; calls: $(cat "$T/calls")"
fi

: >"$T/calls"
out=$(as "$T/noscdoc" /bin/sh "$T/deps.sh" 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -q "no sudo" <<<"$out" && grep -q "^  apt-get install .* scdoc" <<<"$out" &&
	[ ! -s "$T/calls" ]; then
	ok "no sudo: the command to run as root, exit 1"
else
	bad "no sudo (rc=$rc): $out"
fi
: >"$T/calls"
# A sudo that refuses, as it does for a user the sudoers file does not name (or with no
# terminal to ask the password on): nothing runs, and the commands are named for root.
mkdir -p "$T/refuse"
printf '#!/bin/sh\necho "sudo $*" >>%s/calls\necho "sudo: a password is required" >&2\nexit 1\n' "$T" >"$T/refuse/sudo"
cp "$T/fake/apt-get" "$T/refuse/apt-get"
chmod 755 "$T/refuse" "$T/refuse"/*
out=$(as "$T/refuse:$T/noscdoc" /bin/sh "$T/deps.sh" 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -q "as root, run:" <<<"$out" && grep -q "^  apt-get install .* scdoc" <<<"$out" &&
	[ "$(cat "$T/calls")" = "sudo apt-get update" ]; then
	ok "sudo refuses: nothing installed, the command to run as root, exit 1"
else
	bad "sudo refuses (rc=$rc): $out; calls: $(cat "$T/calls")"
fi
summary run-deps
