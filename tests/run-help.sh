#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Help that answers: --version from the Makefile's VERSION, COMMAND --help and help COMMAND for
# every command of both programs' tables, exit 2 on usage errors, and the nearest command or
# option suggested for a typo.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
QVM=$PWD/$B/qemu-vm
VS=$PWD/$B/vfio-setup
. tests/testlib.sh
T=$(mktemp -d /tmp/qvm-help.XXXXXX)
trap 'rm -rf "$T"' EXIT
export HOME=$T XDG_CONFIG_HOME=$T/config XDG_RUNTIME_DIR=$T/run

# run EXPECTED_RC COMMAND...: output in $out (stdout and stderr), stdout alone in $stdout
run() {
	local want=$1
	shift
	"$@" >"$T/o" 2>"$T/e"
	rc=$?
	stdout=$(cat "$T/o")
	out=$(cat "$T/o" "$T/e")
	[ "$rc" -eq "$want" ]
}

version=$(sed -n 's/^VERSION := //p' Makefile)
for p in "$QVM" "$VS"; do
	n=$(basename "$p")
	if run 0 "$p" --version && [ "$stdout" = "$n $version" ]; then
		ok "$n --version prints the Makefile's $version"
	else
		bad "$n --version (rc=$rc): $out"
	fi
done

run 0 "$QVM" help && overview=$stdout && ok "qemu-vm help: exit 0" || bad "qemu-vm help (rc=$rc)"
run 0 "$QVM" --help && [ "$stdout" = "$overview" ] && ok "qemu-vm --help is qemu-vm help" ||
	bad "qemu-vm --help (rc=$rc)"
run 2 "$QVM" && grep -q "^usage: qemu-vm" <<<"$out" && ok "qemu-vm alone: usage, exit 2" || bad "qemu-vm alone (rc=$rc)"
grep -q "Exit status" <<<"$overview" && ok "the overview names the exit statuses" || bad "no exit statuses: $overview"

cmds=$(sed -n 's/^  \([a-z]\+\) .*/\1/p' <<<"$overview")
[ "$(wc -w <<<"$cmds")" -ge 9 ] && ok "the overview lists $(wc -w <<<"$cmds") commands" || bad "commands: $cmds"
# command_help PROGRAM COMMAND: COMMAND --help has a usage line, options and an example of itself,
# exits 0, and is what help COMMAND prints; the help in $h.
command_help() {
	local p=$1 n=${1##*/} c=$2
	if run 0 "$p" "$c" --help && grep -q "^usage: $n $c" <<<"$stdout" && grep -q "^Options:" <<<"$stdout" &&
		grep -q "^Example:" <<<"$stdout" && grep -q "^  \(sudo \)\?$n $c" <<<"$stdout"; then
		ok "$n $c --help: usage, options, example; exit 0"
	else
		bad "$n $c --help (rc=$rc): $out"
	fi
	h=$stdout
	run 0 "$p" help "$c" && [ "$stdout" = "$h" ] && ok "$n help $c is $c --help" || bad "$n help $c (rc=$rc): $out"
}
for c in $cmds; do
	command_help "$QVM" "$c"
	# Every option the help names is one the command itself accepts: with a profile that does
	# not exist, the command gets as far as looking for it.
	for o in $(sed -n 's/^  --\([a-z-]\+\).*/\1/p' <<<"$h"); do
		[ "$o" = help ] && continue
		[ "$c" = new ] && continue # it makes a profile: tests/run-new.sh tries its options
		arg=$(sed -n "s/^  --$o \([A-Z]\+\) .*/\1/p" <<<"$h")
		[ "$arg" = SECONDS ] && arg=5
		if grep -q "^usage: .* NAME" <<<"$h"; then
			run 1 "$QVM" --allow-root "$c" "--$o" ${arg:+"$arg"} nosuchvm &&
				grep -Eq "no profile 'nosuchvm'|nosuchvm is not running" <<<"$out"
		else
			run 0 "$QVM" "$c" "--$o" ${arg:+"$arg"}
		fi && ok "qemu-vm $c --$o: taken by the command" || bad "qemu-vm $c --$o (rc=$rc): $out"
	done
done

# Usage errors: exit 2, with the usage.
for args in "run" "check a b" "show" "stop" "usb" "usb frob x" "list x" "devices x" "desktop" \
	"desktop --print --remove x" "help run stop" "stop --timeout"; do
	# shellcheck disable=SC2086
	run 2 "$QVM" $args && grep -qi "usage" <<<"$out" && ok "qemu-vm $args: usage, exit 2" ||
		bad "qemu-vm $args (rc=$rc): $out"
done

# Typos: the nearest word, exit 2.
suggest() { # suggest EXPECTED_TEXT COMMAND...
	local want=$1
	shift
	if run 2 "$@" && grep -qF "$want" <<<"$out"; then ok "$* -> $want"; else bad "$* (rc=$rc): $out"; fi
}
suggest "did you mean 'run'?" "$QVM" rn gaming
suggest "did you mean 'devices'?" "$QVM" devises
suggest "did you mean 'stop'?" "$QVM" help stp
suggest "did you mean '--force'?" "$QVM" stop --forse gaming
suggest "did you mean '--oneline'?" "$QVM" show --one-line gaming
suggest "did you mean '--allow-root'?" "$QVM" --alow-root list
suggest "unknown command 'frobnicate' (qemu-vm help lists them)" "$QVM" frobnicate
suggest "unknown option '--zzz'" "$QVM" run --zzz gaming

# vfio-setup: the same answers.
run 0 "$VS" help && vs_overview=$stdout && ok "vfio-setup help: exit 0" || bad "vfio-setup help (rc=$rc)"
run 2 "$VS" && ok "vfio-setup alone: exit 2" || bad "vfio-setup alone (rc=$rc)"
grep -q "Exit status" <<<"$vs_overview" && ok "vfio-setup's overview names the exit statuses" ||
	bad "vfio-setup: no exit statuses"
for c in $(sed -n 's/^  vfio-setup \([a-z]\+\) \[.*/\1/p' <<<"$vs_overview" | grep -vx help); do
	command_help "$VS" "$c"
	grep -q "^  --root DIR" <<<"$h" && ok "vfio-setup $c --help lists --root" || bad "vfio-setup $c --help: no --root"
done
suggest "did you mean 'install'?" "$VS" instal
suggest "did you mean '--dry-run'?" "$VS" install --dryrun
suggest "did you mean '--json'?" "$VS" scan --jsn
suggest "option '--user' needs NAME" "$VS" install --user
suggest "unexpected argument" "$VS" status extra

summary run-help
