#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Crash safety: vfio-setup install and uninstall are killed with SIGKILL before each write in
# turn (test-only hook VFIO_SETUP_TEST_CRASH_AFTER=N). Every target must hold its old or its new
# content, and a following install or uninstall must complete: the expected tree, or the seed.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
VS=$PWD/$B/vfio-setup
. tests/setup/args.sh
[ -x "$VS" ] || { echo "SKIP: $VS not built (make B=$B)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: the expected trees record owner 0:0; run as root"; exit 77; }

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The seed trees, and one without /var (an image build's bare root): install makes /var and
# /var/lib there, and a kill at any point must not leave them behind unrecorded. Its expected
# tree is that of an install that was not killed.
seed_dir() { case $1 in novar) echo "$W/seed-novar" ;; *) echo "tests/setup/seeds/$1" ;; esac; }
expected_dir() { case $1 in novar) echo "$W/expected-novar" ;; *) echo "tests/setup/expected/$1" ;; esac; }
crash_args() { seed_args "${1/#novar/debian}"; }
crash_copy() { case $1 in novar) rm -rf "$2" && cp -a "$W/seed-novar" "$2" ;; *) seed_copy "$1" "$2" ;; esac; }
seed_copy debian "$W/seed-novar" && rm -rf "$W/seed-novar/var"
cp -a "$W/seed-novar" "$W/expected-novar"
# shellcheck disable=SC2046
"$VS" install --root "$W/expected-novar" $(seed_args debian) >/dev/null 2>&1 ||
	fail "novar: install without a kill"

# Every file under etc/ and boot/ of $1 is the seed's or the expected one's (or absent in both
# senses); nothing else appeared. With $3 = temps, a write's temporary file (".NAME." and 12 hex
# digits) is let be: a kill inside a write leaves it for the next run to remove.
old_or_new() {
	local s=$1 t=$2 f rel
	while IFS= read -r f; do
		rel=${f#"$t"/}
		if [ "${3:-}" = temps ] && [[ ${f##*/} =~ ^\..+\.[0-9a-f]{12}$ ]]; then continue; fi
		if cmp -s "$f" "$(seed_dir "$s")/$rel" || cmp -s "$f" "$(expected_dir "$s")/$rel"; then continue; fi
		echo "  $rel is neither the old nor the new content"
		return 1
	done < <(find "$t/etc" "$t/boot" -type f 2>/dev/null)
	return 0
}

# Fewer kills than this means the crash hook no longer fires before every write (install does
# 22-28 writes on the seeds, uninstall 16-20): the loops below would then prove nothing.
MIN_INSTALL_KILLS=20
MIN_UNINSTALL_KILLS=15

# Runs vfio-setup with the crash hook at $n in a subshell (so bash does not report the kill)
# and prints its exit status.
run_killable() {
	(VFIO_SETUP_TEST_CRASH_AFTER=$n exec "$VS" "$@" >/dev/null 2>&1)
	echo $?
}

for s in $SEEDS novar; do
	args=$(crash_args "$s")
	n=0 kills=0
	while :; do
		T=$W/$s-$n
		crash_copy "$s" "$T"
		# shellcheck disable=SC2086
		rc=$(run_killable install --root "$T" $args)
		[ $rc = 0 ] && break
		[ $rc = 137 ] || { fail "$s: install with a crash after $n writes exited $rc"; break; }
		kills=$((kills + 1))
		old_or_new "$s" "$T" || fail "$s: after a kill at write $n"
		# Then uninstall completes: the seed again.
		cp -a "$T" "$T.u"
		if ! "$VS" uninstall --root "$T.u" >"$W/out" 2>&1 || ! diff -r "$(seed_dir "$s")" "$T.u" >/dev/null; then
			fail "$s: uninstall after a kill at write $n"
			cat "$W/out"
			diff -r "$(seed_dir "$s")" "$T.u"
		fi
		# Or install completes: the expected tree, and uninstall after it the seed.
		# shellcheck disable=SC2086
		if ! "$VS" install --root "$T" $args >"$W/out" 2>&1 || ! diff -r "$(expected_dir "$s")" "$T" >/dev/null; then
			fail "$s: install after a kill at write $n"
			cat "$W/out"
		fi
		rm -rf "$T" "$T.u"
		n=$((n + 1))
		[ $n -lt 200 ] || { fail "$s: the crash hook never let install finish"; break; }
	done
	rm -rf "$W/$s-$n"
	if [ $kills -ge $MIN_INSTALL_KILLS ]; then
		echo "ok: $s: install killed at each of its $kills writes, then finished or undone"
	else fail "$s: install was killed only $kills times (at least $MIN_INSTALL_KILLS expected)"; fi

	# uninstall killed at each write, then finished.
	n=0 kills=0
	while :; do
		T=$W/$s-u$n
		crash_copy "$s" "$T"
		# shellcheck disable=SC2086
		"$VS" install --root "$T" $args >/dev/null 2>&1
		rc=$(run_killable uninstall --root "$T")
		if [ $rc = 0 ]; then rm -rf "$T"; break; fi
		[ $rc = 137 ] || { fail "$s: uninstall with a crash after $n writes exited $rc"; break; }
		kills=$((kills + 1))
		old_or_new "$s" "$T" || fail "$s: after an uninstall killed at write $n"
		if ! "$VS" uninstall --root "$T" >"$W/out" 2>&1 || ! diff -r "$(seed_dir "$s")" "$T" >/dev/null; then
			fail "$s: uninstall after a kill at write $n"
			cat "$W/out"
			diff -r "$(seed_dir "$s")" "$T"
		fi
		rm -rf "$T"
		n=$((n + 1))
		[ $n -lt 200 ] || { fail "$s: the crash hook never let uninstall finish"; break; }
	done
	if [ $kills -ge $MIN_UNINSTALL_KILLS ]; then
		echo "ok: $s: uninstall killed at each of its $kills writes, then finished"
	else fail "$s: uninstall was killed only $kills times (at least $MIN_UNINSTALL_KILLS expected)"; fi
done

# Killed inside a write: strace kills vfio-setup at its N-th renameat, after the temporary file
# is written and before it replaces the target. The next run removes those temporary files:
# uninstall gives the seed, install the expected tree, with no ".NAME.xxxx" left anywhere.
if command -v strace >/dev/null; then
	# LeakSanitizer cannot run under ptrace: a sanitized build would fail at exit.
	kill_at_rename() {
		(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 exec strace -f -o /dev/null -e trace=renameat -e inject=renameat:signal=KILL:when=$n \
			"$VS" "$@" >/dev/null 2>&1)
		echo $?
	}
	for s in debian arch-dropin; do
		args=$(crash_args "$s")
		for cmd in install uninstall; do
			n=1 kills=0
			while :; do
				T=$W/$s-r$n
				crash_copy "$s" "$T"
				# shellcheck disable=SC2086
				[ $cmd = install ] || "$VS" install --root "$T" $args >/dev/null 2>&1
				# shellcheck disable=SC2086
				rc=$(kill_at_rename $cmd --root "$T" $([ $cmd = uninstall ] || echo $args))
				[ $rc = 0 ] && break
				[ $rc = 137 ] || { fail "$s: $cmd killed at rename $n exited $rc"; break; }
				kills=$((kills + 1))
				old_or_new "$s" "$T" temps || fail "$s: after $cmd killed at rename $n"
				cp -a "$T" "$T.i"
				if ! "$VS" uninstall --root "$T" >"$W/out" 2>&1 || ! diff -r "$(seed_dir "$s")" "$T" >/dev/null; then
					fail "$s: uninstall after $cmd killed at rename $n"
					cat "$W/out"
					diff -r "$(seed_dir "$s")" "$T"
				fi
				# shellcheck disable=SC2086
				if [ $cmd = install ] && { ! "$VS" install --root "$T.i" $args >"$W/out" 2>&1 ||
					! diff -r "$(expected_dir "$s")" "$T.i" >/dev/null; }; then
					fail "$s: install after install killed at rename $n"
					diff -r "$(expected_dir "$s")" "$T.i"
				fi
				rm -rf "$T" "$T.i"
				n=$((n + 1))
				[ $n -lt 100 ] || { fail "$s: strace never let $cmd finish"; break; }
			done
			rm -rf "$W/$s-r$n"
			min=10; [ $cmd = install ] || min=1
			if [ $kills -ge $min ]; then
				echo "ok: $s: $cmd killed inside each of its $kills writes, then finished or undone"
			else fail "$s: $cmd was killed inside only $kills writes"; fi
		done
	done
else
	echo "SKIP: strace is not installed: no kills inside a write (apt-get install strace)"
fi

# Killed while regenerating: stub generators in PATH (test hook VFIO_SETUP_TEST_RUN_UNDER_ROOT
# runs them under --root), update-initramfs kills vfio-setup once. The next run regenerates
# again, and the one after has nothing to do.
S=$W/stubs
mkdir -p "$S"
for p in udevadm update-grub; do printf '#!/bin/sh\nexit 0\n' >"$S/$p"; done
cat >"$S/update-initramfs" <<EOS
#!/bin/sh
echo ran >>"$W/regen.log"
if [ -e "$W/kill-regen" ]; then rm -f "$W/kill-regen"; kill -9 \$PPID; sleep 5; fi
exit 0
EOS
chmod +x "$S"/*
regen_runs() { wc -l <"$W/regen.log" 2>/dev/null || echo 0; }
stubbed() { (PATH="$S:$PATH" VFIO_SETUP_TEST_RUN_UNDER_ROOT=1 exec "$VS" "$@" >"$W/out" 2>&1); echo $?; }
T=$W/regen
crash_copy debian "$T"
rm -f "$W/regen.log"
touch "$W/kill-regen"
# shellcheck disable=SC2046
r1=$(stubbed install --root "$T" $(seed_args debian)); n1=$(regen_runs)
# shellcheck disable=SC2046
r2=$(stubbed install --root "$T" $(seed_args debian)); n2=$(regen_runs)
# shellcheck disable=SC2046
r3=$(stubbed install --root "$T" $(seed_args debian)); n3=$(regen_runs)
if [ "$r1 $n1 $r2 $n2 $r3 $n3" = "137 1 0 2 0 2" ] && grep -q "^nothing to change" "$W/out" &&
	! grep -q regen-pending "$T/var/lib/vfio-setup/manifest"; then
	echo "ok: install killed while regenerating: the next install regenerates, the one after does not"
else fail "install killed while regenerating: exit/regenerations $r1 $n1, $r2 $n2, $r3 $n3"; cat "$W/out"; fi
touch "$W/kill-regen"
r1=$(stubbed uninstall --root "$T"); n1=$(regen_runs)
r2=$(stubbed uninstall --root "$T"); n2=$(regen_runs)
if [ "$r1 $n1 $r2 $n2" = "137 3 0 4" ] && diff -r "$(seed_dir debian)" "$T" >/dev/null; then
	echo "ok: uninstall killed while regenerating: the next uninstall regenerates and finishes"
else fail "uninstall killed while regenerating: exit/regenerations $r1 $n1, $r2 $n2"; cat "$W/out"; fi
rm -rf "$T"

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
exit 0
