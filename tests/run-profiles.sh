#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Malformed and accepted profiles: each tests/profiles/bad/NAME.ini must fail `qemu-vm show` with
# exactly the stderr in NAME.err, exit 1 and print no argv; each tests/profiles/good/NAME.ini must
# be shown (exit 0) with every '; expect: TEXT' line found in the argv.
#
# A case's first line may be '; env: ARGS', handed to env(1) after the fixed environment (for
# example '; env: -u HOME'). In expect lines, @PWD@ stands for the repository root.
# UPDATE=1 rewrites the .err files (read the diff before committing).
set -u
shopt -s nullglob
cd "$(dirname "$0")/.."
B=${B:-build}
QVM=$B/qemu-vm
if [ ! -x "$QVM" ]; then
	echo "SKIP: $QVM is not built (run make first)"
	exit 77
fi
T=$(mktemp -d /tmp/qvm-profiles.XXXXXX)
trap 'rm -rf "$T"' EXIT

. tests/testlib.sh

# show FILE: runs qemu-vm show in a fixed environment; stdout in $T/out, stderr in $T/err,
# exit status in $rc.
show() {
	local file=$1 first extra=()
	IFS= read -r first < "$file" || first=
	first=${first%$'\r'}
	case $first in
	"; env: "*) read -r -a extra <<<"${first#; env: }" ;;
	esac
	env -i PATH=/usr/bin:/bin LC_ALL=C HOME=/home/alice USER=alice XDG_RUNTIME_DIR=/run/user/1000 \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
		env "${extra[@]}" "$QVM" show "$file" > "$T/out" 2> "$T/err"
	rc=$?
}

for ini in tests/profiles/bad/*.ini; do
	name=bad/$(basename "$ini" .ini)
	want=${ini%.ini}.err
	show "$ini"
	if [ "${UPDATE:-}" = 1 ]; then
		cp "$T/err" "$want"
	fi
	if [ ! -e "$want" ]; then
		bad "$name: no $want (UPDATE=1 writes it)"
	elif [ $rc -ne 1 ]; then
		bad "$name: exit status $rc, expected 1"
		cat "$T/err"
	elif [ -s "$T/out" ]; then
		bad "$name: printed an argv, so it would have started"
		head -n 5 "$T/out"
	elif ! diff -u "$want" "$T/err"; then
		bad "$name: stderr differs from $want"
	else
		ok "$name"
	fi
done

for ini in tests/profiles/good/*.ini; do
	name=good/$(basename "$ini" .ini)
	show "$ini"
	if [ $rc -ne 0 ]; then
		bad "$name: exit status $rc, expected 0"
		cat "$T/err"
		continue
	fi
	missing=
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"; expect: "*) ;;
		*) continue ;;
		esac
		text=${line#; expect: }
		text=${text//@PWD@/$PWD}
		grep -Fq -- "$text" "$T/out" || missing+=" '$text'"
	done < "$ini"
	if [ -n "$missing" ]; then
		bad "$name: not in the argv:$missing"
	else
		ok "$name"
	fi
done

# Not a profile at all: a directory is one error, not "0 errors".
mkdir -p "$T/dir.ini"
"$QVM" show "$T/dir.ini" > "$T/out" 2> "$T/err"
rc=$?
if [ $rc -eq 1 ] && [ ! -s "$T/out" ] && [ "$(cat "$T/err")" = "qemu-vm: $T/dir.ini: Is a directory" ]; then
	ok "a directory is refused by name"
else
	bad "a directory (exit $rc): $(cat "$T/err")"
fi

# The file name is the VM's name: a newline, an escape or '..' is refused, naming the file with
# its control characters shown; a comma is fine (doubled where QEMU reads it).
for stem in $'bad\nname' $'esc\e[31m' '..'; do
	printf '[vm]\nmemory = 1G\n' > "$T/$stem.ini"
	shown=$T/$stem.ini
	shown=${shown//$'\n'/'\n'}
	shown=${shown//$'\e'/'\x1b'}
	show "$T/$stem.ini"
	want="$shown: the file name is the VM's name (in QEMU's -name and the QMP socket path), and it may not be empty, '.' or '..', nor hold control characters; rename the file
qemu-vm: 1 error in $shown; nothing was started"
	if [ $rc -eq 1 ] && [ ! -s "$T/out" ] && [ "$(cat "$T/err")" = "$want" ]; then
		ok "a profile named $(printf '%q' "$stem") is refused, by its escaped file name"
	else
		bad "profile named $(printf '%q' "$stem") (exit $rc): $(cat "$T/err")"
	fi
done
printf '[vm]\nmemory = 1G\n' > "$T/a,b.ini"
show "$T/a,b.ini"
[ $rc -eq 0 ] && grep -qx 'guest=a,,b,process=qemu-vm:a,,b,debug-threads=on' "$T/out" &&
	grep -q "^'\?socket,id=qmp,path=/run/user/1000/qemu-vm/a,,b/qmp.sock,server=on,wait=off'\?$" "$T/out" &&
	ok "a comma in the name is doubled in -name and the QMP socket path" || bad "name with a comma: $(cat "$T/out" "$T/err")"

# '=' in the name: the socket path is a keyed value (path=), where '=' is an ordinary byte.
printf '[vm]\nmemory = 1G\n' > "$T/a=b.ini"
show "$T/a=b.ini"
[ $rc -eq 0 ] && grep -q "^'\?socket,id=qmp,path=/run/user/1000/qemu-vm/a=b/qmp.sock,server=on,wait=off'\?$" "$T/out" &&
	grep -qx "chardev=qmp,mode=control" "$T/out" && ! grep -qx -- "-qmp" "$T/out" &&
	ok "'=' in the name: the QMP socket is a -chardev path= with a -mon" || bad "name with '=': $(cat "$T/out" "$T/err")"

summary profiles
