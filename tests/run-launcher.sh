#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The launcher as a user meets it: refusal as root, run as an ordinary user up to the exec of
# a stub QEMU (argv, no_new_privs, seccomp, affinity, files it creates), and nothing started
# when a check fails.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
QVM=$PWD/$B/qemu-vm
. tests/testlib.sh
T=$(mktemp -d /tmp/qvm-launcher.XXXXXX)
chmod 755 "$T"
cleanup() {
	test_user_del
	rm -rf "$T"
}
trap cleanup EXIT
put_profile() { # put_profile NAME: stdin as the profile NAME of the test home's user
	cat > "$T/home/.config/qemu-vm/$1.ini"
	[ -z "$user" ] || chown "$user:" "$T/home/.config/qemu-vm/$1.ini"
}
failed_with_fix() { # failed_with_fix OUTPUT WHAT FIX: check output has that FAIL line and its fix
	grep -qxF "FAIL  $2" <<<"$1" && grep -qxF "      fix: $3" <<<"$1"
}
expect() { # expect DESCRIPTION COMMAND...: the command must succeed
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

cp tests/launcher/stub-qemu "$T/stub-qemu"
mkdir -p "$T/home/.config/qemu-vm"
sed "s|^cpu = qemu64.*|cpu = qemu64\nqemu = $T/stub-qemu\npin = 0\nemulator-pin = 0|" profiles/demo.ini > "$T/home/.config/qemu-vm/demo.ini"
printf '[vm]\nmemory = 1G\nqemu = %s\n[acpi]\ntable = ~/missing.aml\n' "$T/stub-qemu" \
	> "$T/home/.config/qemu-vm/broken.ini"

# The launcher runs as the test user (or as ourselves when not root) in the test home.
user_env() {
	envs=(HOME="$T/home" USER="${user:-$(id -un)}" XDG_RUNTIME_DIR="$T/run" STUB_QEMU_OUT="$T/home/out"
		PATH="${QPATH:-/usr/bin:/bin}" ${XDISPLAY:+DISPLAY="$XDISPLAY"})
}

if [ "$(id -u)" -eq 0 ]; then
	out=$(HOME="$T/home" "$QVM" check demo 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && grep -q "refusing to check while running as root" <<<"$out" &&
		grep -q -- "--allow-root overrides" <<<"$out"; then
		ok "root is refused, with the reason and the override"
	else
		bad "root is refused (rc=$rc): $out"
	fi
	out=$(HOME="$T/home" "$QVM" run demo 2>&1)
	[ $? -eq 1 ] && [ ! -e "$T/home/out.argv" ] && ok "run as root starts nothing" || bad "run as root: $out"
	# Root looking at a user's profile runs none of its programs: qemu = may name any file
	# of the profile's owner, and [audio] backend = auto would ask it for its drivers.
	printf '#!/bin/sh\ntouch "%s/ran-as-$(id -u)"\nprintf "none\\npa\\npipewire\\n"\n' "$T" > "$T/marker-qemu"
	chmod 755 "$T/marker-qemu"
	printf '[vm]\nmemory = 1G\nqemu = %s\n[audio]\nbackend = auto\n' "$T/marker-qemu" > "$T/marker.ini"
	out=$(HOME="$T/home" "$QVM" show "$T/marker.ini" 2>&1)
	[ $? -eq 0 ] && [ ! -e "$T/ran-as-0" ] && grep -q '^pa,id=snd0' <<<"$out" &&
		ok "root's show runs nothing the profile names" || bad "root's show ran qemu =: $(ls "$T"/ran-as-* 2>&1) $out"
	out=$(HOME="$T/home" "$QVM" --allow-root check "$T/marker.ini" 2>&1)
	[ ! -e "$T/ran-as-0" ] &&
		grep -qx "warn  \[audio\]: whether $T/marker-qemu has the pipewire driver was not probed: running as root, nothing the profile names is run before the VM (auto: pulseaudio)" <<<"$out" &&
		ok "… nor does root's check, and it says so" || bad "root's check ran qemu =: $(ls "$T"/ran-as-* 2>&1) $out"
	HOME="$T/home" "$QVM" list >/dev/null 2>&1
	HOME="$T/home" "$QVM" --host-root / devices >/dev/null 2>&1
	[ ! -e "$T/ran-as-0" ] && ok "… nor list and devices" || bad "list or devices ran something"
	if ! test_user_add qvmtest$$ "$T/home"; then
		echo "SKIP: cannot create a test user"
		exit 77
	fi
	chown -R "$user:" "$T/home"
	QVM=$(runnable_by "$user" "$QVM" "$T/reach") || { echo "FAIL: no copy of qemu-vm the test user can run"; exit 1; }
	mkdir -p "$T/run" && chown "$user:" "$T/run" && chmod 700 "$T/run"
else
	echo "note: not root: the refusal of root and the user switch are not tested in this run"
	mkdir -p "$T/run" && chmod 700 "$T/run"
fi

# An ordinary uid that holds a capability is refused too (ambient caps survive exec), and
# --allow-root, which that user could give, does not override it.
if [ -n "$user" ]; then
	out=$(setpriv --reuid "$user" --regid "$user" --init-groups --inh-caps=+net_admin \
		--ambient-caps=+net_admin env -i HOME="$T/home" PATH=/usr/bin:/bin "$QVM" --allow-root run demo 2>&1)
	[ $? -eq 1 ] && grep -q "refusing to start: holding the permitted capability cap_net_admin" <<<"$out" &&
		[ ! -e "$T/home/out.argv" ] && ok "a user with a capability is refused" || bad "capability refusal: $out"
fi

# A copy made set-group-ID (or set-user-ID to another user) would hand its group or user to
# QEMU: refused, whatever the command and options, and nothing is started.
if [ -n "$user" ]; then
	for mode in 2755:root:disk 4755:nobody:root; do
		cp "$QVM" "$T/setid-qemu-vm"
		chown "${mode#*:}" "$T/setid-qemu-vm"
		chmod "${mode%%:*}" "$T/setid-qemu-vm"
		for cmd in run show; do
			# A sanitizer build's LeakSanitizer cannot inspect a set-ID process (not
			# dumpable, so not even its options can be read) and adds its own lines.
			out=$(as_user "$T/setid-qemu-vm" --allow-root $cmd "$T/home/.config/qemu-vm/demo.ini" 2>&1)
			rc=$?
			out=$(grep -v '^==[0-9]*==' <<<"$out")
			[ $rc -eq 1 ] && [ ! -e "$T/home/out.argv" ] &&
				grep -q "^qemu-vm: refusing to start: real and effective $([ "${mode%%:*}" = 2755 ] && echo group || echo user) IDs differ" <<<"$out" &&
				grep -q "its environment (HOME, XDG_RUNTIME_DIR and the rest) is ignored" <<<"$out" &&
				[ "$(wc -l <<<"$out")" -eq 1 ] &&
				ok "a chmod ${mode%%:*} copy (${mode#*:}) refuses $cmd, in one message" ||
				bad "set-ID copy, mode $mode, $cmd (exit $rc): $out"
		done
		rm -f "$T/setid-qemu-vm"
	done
fi

# run: the argv QEMU receives is exactly what show prints, word for word.
as_user "$QVM" show demo > "$T/show.txt"
as_user "$QVM" run demo > "$T/run.out" 2>&1
rc=$?
expect "run exits with QEMU's status (0)" test $rc -eq 0
if [ -e "$T/home/out.argv" ]; then
	python3 - "$T/show.txt" "$T/home/out.argv" <<'PY' && ok "QEMU got the argv show prints, word for word" || bad "argv differs from show"
import shlex, sys
shown = [shlex.split(l)[0] for l in open(sys.argv[1]) if l.strip()]
got = open(sys.argv[2]).read().split("\n")[:-1]
# argv[0] is resolved on PATH by the launcher: the stub's own path in both.
sys.exit(0 if shown[1:] == got and len(got) > 20 else 1)
PY
	expect "QEMU runs with no_new_privs" grep -q '^NoNewPrivs:[[:space:]]*1' "$T/home/out.status"
	expect "QEMU inherits the seccomp filter" grep -q '^Seccomp:[[:space:]]*2' "$T/home/out.status"
	expect "QEMU starts on the CPUs of emulator-pin =" grep -q '^Cpus_allowed_list:[[:space:]]*0$' "$T/home/out.status"
	[ -n "$user" ] && expect "QEMU runs as the user" test "$(cat "$T/home/out.uid")" = "$(id -u "$user")"
else
	bad "the stub QEMU was not started: $(cat "$T/run.out")"
fi
# The deny list, as QEMU meets it: a stand-in that tries each call the filter takes away.
# Under the launcher each fails with the filter's errno (clone3 with ENOSYS, so that glibc
# falls back to clone, whose flags the filter reads) and a thread still starts; run directly,
# the same calls get other answers, which is what shows the filter made the difference.
if [ -x "$B/tests/try-syscalls" ]; then
	cp "$B/tests/try-syscalls" "$T/try-syscalls"
	sed "s|^qemu = .*|qemu = $T/try-syscalls|" "$T/home/.config/qemu-vm/demo.ini" > "$T/home/.config/qemu-vm/probe.ini"
	[ -n "$user" ] && chown "$user:" "$T/home/.config/qemu-vm/probe.ini"
	as_user "$QVM" run probe > "$T/probe.out" 2>&1
	as_user "$T/try-syscalls" > "$T/probe.direct" 2>&1
	# Where the kernel refuses a call to the user anyway (the mount API without CAP_SYS_ADMIN),
	# root tells the filter's answer from the kernel's: the same filter, through sandbox-exec.
	if [ "$(id -u)" -eq 0 ] && [ -x "$B/tests/sandbox-exec" ]; then
		"$T/try-syscalls" > "$T/probe.root-direct" 2>&1
		"$B/tests/sandbox-exec" "$T/try-syscalls" > "$T/probe.root" 2>&1
	fi
	for call in open_tree move_mount fsopen fsconfig fsmount fspick mount_setattr pidfd_getfd kcmp userfaultfd \
		unshare-newuser clone-newuser clone3; do
		want=EPERM
		[ "$call" = clone3 ] && want=ENOSYS
		if grep -qx "$call $want" "$T/probe.out"; then
			direct=$(sed -n "s/^$call //p" "$T/probe.direct")
			if [ "$direct" = "$want" ] && [ -s "$T/probe.root" ]; then
				rdirect=$(sed -n "s/^$call //p" "$T/probe.root-direct")
				if grep -qx "$call $want" "$T/probe.root" && [ "$rdirect" != "$want" ]; then
					ok "$call: $want under the filter (for root too, $rdirect without it)"
				else
					bad "$call under the filter, as root: $(grep "^$call " "$T/probe.root") (without: $rdirect)"
				fi
			elif [ "$direct" = "$want" ]; then
				ok "$call: $want under the filter (and without it: the kernel refuses it to this user)"
			else
				ok "$call: $want under the filter ($direct without it)"
			fi
		else
			bad "$call under the filter: $(grep "^$call " "$T/probe.out" || cat "$T/probe.out")"
		fi
	done
	expect "a thread starts under the filter (glibc falls back from clone3)" grep -qx "thread ok" "$T/probe.out"
else
	bad "$B/tests/try-syscalls is not built (make check-build)"
fi

vars="$T/home/.local/share/qemu-vm/demo/OVMF_VARS.fd"
expect "the VM's UEFI vars were copied from the template" test -s "$vars"
expect "… readable only by the user" test "$(stat -c %a "$vars")" = 600
expect "the run directory is private" test "$(stat -c %a "$T/run/qemu-vm/demo")" = 700
grep -q "qmp.sock" "$T/show.txt" && grep -q "$T/run/qemu-vm/demo/qmp.sock" "$T/show.txt" &&
	ok "QMP socket under XDG_RUNTIME_DIR" || bad "QMP socket path"

# A firmware descriptor of the user's own whose vars template is a symlink (as Debian links
# its OVMF files): the template is only read, so the link is followed, and the first run
# copies it.
if [ -e /usr/share/OVMF/OVMF_CODE_4M.fd ] && [ -e /usr/share/OVMF/OVMF_VARS_4M.fd ]; then
	mkdir -p "$T/home/.config/qemu/firmware" "$T/home/fw"
	ln -s /usr/share/OVMF/OVMF_VARS_4M.fd "$T/home/fw/VARS.fd"
	cat > "$T/home/.config/qemu/firmware/10-linked.json" <<JSON
{ "interface-types": [ "uefi" ],
  "mapping": { "device": "flash",
    "executable": { "filename": "/usr/share/OVMF/OVMF_CODE_4M.fd", "format": "raw" },
    "nvram-template": { "filename": "$T/home/fw/VARS.fd", "format": "raw" } },
  "targets": [ { "architecture": "x86_64", "machines": [ "pc-q35-*" ] } ], "features": [] }
JSON
	cp "$T/home/.config/qemu-vm/demo.ini" "$T/home/.config/qemu-vm/linked.ini"
	[ -n "$user" ] && chown -R "$user:" "$T/home/.config" "$T/home/fw"
	rm -f "$T/home/out.argv"
	out=$(as_user "$QVM" run linked 2>&1)
	rc=$?
	[ $rc -eq 0 ] && [ -e "$T/home/out.argv" ] &&
		cmp -s /usr/share/OVMF/OVMF_VARS_4M.fd "$T/home/.local/share/qemu-vm/linked/OVMF_VARS.fd" &&
		[ ! -L "$T/home/.local/share/qemu-vm/linked/OVMF_VARS.fd" ] &&
		ok "a symlinked vars template of a user's firmware descriptor is copied on the first run" ||
		bad "symlinked vars template (exit $rc): $out"
	rm -rf "$T/home/.config/qemu/firmware/10-linked.json" "$T/home/.config/qemu-vm/linked.ini"
fi

# No XDG_RUNTIME_DIR (a plain su or ssh session): the sockets go to /tmp/qemu-vm-UID, which
# must be the user's own and private; one planted by somebody else is refused.
if [ -n "$user" ]; then
	uid=$(id -u "$user")
	rm -rf "/tmp/qemu-vm-$uid"
	mkdir -m 777 "/tmp/qemu-vm-$uid"
	out=$(setpriv --reuid "$user" --regid "$user" --init-groups env -i HOME="$T/home" STUB_QEMU_OUT="$T/home/out" \
		PATH=/usr/bin:/bin "$QVM" run demo 2>&1)
	[ $? -eq 1 ] && grep -q "/tmp/qemu-vm-$uid is not a private directory of yours" <<<"$out" &&
		ok "a planted /tmp/qemu-vm-UID is refused" || bad "planted runtime dir: $out"
	rm -rf "/tmp/qemu-vm-$uid"
	out=$(setpriv --reuid "$user" --regid "$user" --init-groups env -i HOME="$T/home" STUB_QEMU_OUT="$T/home/out" \
		PATH=/usr/bin:/bin "$QVM" run demo 2>&1)
	[ $? -eq 0 ] && grep -q "XDG_RUNTIME_DIR is not set" <<<"$out" &&
		[ "$(stat -c '%U %a' "/tmp/qemu-vm-$uid")" = "$user 700" ] &&
		grep -qx "socket,id=qmp,path=/tmp/qemu-vm-$uid/qemu-vm/demo/qmp.sock,server=on,wait=off" "$T/home/out.argv" &&
		ok "without XDG_RUNTIME_DIR the QMP socket goes to a private /tmp/qemu-vm-UID, with a warning" ||
		bad "runtime fallback: $out"
	rm -rf "/tmp/qemu-vm-$uid"
fi

# A failing check: nothing is started, the failure and its file:line are printed.
rm -f "$T/home/out.argv"
out=$(as_user "$QVM" run broken 2>&1)
rc=$?
expect "run with a failing check exits 1" test $rc -eq 1
expect "… and starts nothing" test ! -e "$T/home/out.argv"
grep -q "broken.ini:5: \[acpi\] table: table '$T/home/missing.aml': No such file or directory" <<<"$out" &&
	ok "… and names the file and line" || bad "failure message: $out"

# qemu = a bare name: check and run find it on PATH, and run execs what check found; a name
# that is on no PATH directory fails check, with the fix, and run starts nothing.
mkdir -p "$T/bin"
cp tests/launcher/stub-qemu "$T/bin/qvm-test-qemu"
sed "s|^qemu = .*|qemu = qvm-test-qemu|" "$T/home/.config/qemu-vm/demo.ini" > "$T/home/.config/qemu-vm/byname.ini"
sed "s|^qemu = .*|qemu = qvm-no-such-qemu|" "$T/home/.config/qemu-vm/demo.ini" > "$T/home/.config/qemu-vm/noqemu.ini"
[ -n "$user" ] && chown "$user:" "$T/home/.config/qemu-vm/byname.ini" "$T/home/.config/qemu-vm/noqemu.ini"
rm -f "$T/home/out.argv"
out=$(QPATH="$T/bin:/usr/bin:/bin" as_user "$QVM" check byname 2>&1)
[ $? -eq 0 ] && grep -qx "ok    QEMU: $T/bin/qvm-test-qemu" <<<"$out" &&
	ok "check finds qemu = NAME on PATH and says where" || bad "check qemu by name: $out"
QPATH="$T/bin:/usr/bin:/bin" as_user "$QVM" show byname > "$T/show-byname.txt"
out=$(QPATH="$T/bin:/usr/bin:/bin" as_user "$QVM" run byname 2>&1)
if [ $? -eq 0 ] && [ -e "$T/home/out.argv" ]; then
	python3 - "$T/show-byname.txt" "$T/home/out.argv" <<'PY' && ok "run execs qemu = NAME from PATH with show's argv" || bad "argv by name differs from show"
import shlex, sys
shown = [shlex.split(l)[0] for l in open(sys.argv[1]) if l.strip()]
got = open(sys.argv[2]).read().split("\n")[:-1]
sys.exit(0 if shown[0] == "qvm-test-qemu" and shown[1:] == got else 1)
PY
else
	bad "run qemu by name: $out"
fi
rm -f "$T/home/out.argv"
out=$(QPATH="$T/bin:/usr/bin:/bin" as_user "$QVM" check noqemu 2>&1)
[ $? -eq 1 ] && grep -q "^FAIL  .*/noqemu.ini:[0-9]*: qemu: 'qvm-no-such-qemu' is not on PATH$" <<<"$out" &&
	grep -q "^      fix: sudo apt-get install qemu-system-x86 " <<<"$out" &&
	ok "check fails when QEMU is not on PATH, with the fix" || bad "check without QEMU: $out"
out=$(QPATH="$T/bin:/usr/bin:/bin" as_user "$QVM" run noqemu 2>&1)
[ $? -eq 1 ] && [ ! -e "$T/home/out.argv" ] && grep -q "noqemu not started" <<<"$out" &&
	ok "… and run starts nothing" || bad "run without QEMU: $out"

# A profile error: nothing started either, exit 1.
printf '[vm]\nmemory = lots\nqemu = %s\n' "$T/stub-qemu" > "$T/home/.config/qemu-vm/typo.ini"
[ -n "$user" ] && chown "$user:" "$T/home/.config/qemu-vm/typo.ini"
out=$(as_user "$QVM" run typo 2>&1)
[ $? -eq 1 ] && [ ! -e "$T/home/out.argv" ] && grep -q "typo.ini:2: memory: expected a size like 16G or 512M, got 'lots'" <<<"$out" &&
	ok "a profile error starts nothing" || bad "profile error: $out"

# A FIFO named as a profile: refused at once, not waited on for a writer (timeout: a
# regression fails here instead of hanging the suite).
mkfifo "$T/fifo.ini"
out=$(timeout 20 "$QVM" show "$T/fifo.ini" 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -qx "$T/fifo.ini: a FIFO, not a profile (a profile is a regular .ini file)" <<<"$out" &&
	ok "a FIFO as the profile is refused, without waiting" || bad "FIFO profile (exit $rc): $out"
rm -f "$T/fifo.ini"

# list shows the profiles with their titles, one line each, whatever their file names hold.
printf '[vm]\nmemory = 1G\n' > "$T/home/.config/qemu-vm/two"$'\n'"lines.ini"
[ -n "$user" ] && chown "$user:" "$T/home/.config/qemu-vm/two"$'\n'"lines.ini"
out=$(as_user "$QVM" list 2>&1)
grep -q '^demo .*qemu-vm demo' <<<"$out" && grep -q '^typo .*errors' <<<"$out" &&
	grep -q '^two\\nlines  *(errors: qemu-vm check)' <<<"$out" && ! grep -q '^lines' <<<"$out" &&
	ok "list" || bad "list: $out"
rm "$T/home/.config/qemu-vm/two"$'\n'"lines.ini"

# No profiles at all: list says where the installed examples are and how to start from one.
mkdir -p "$T/noroot"
out=$(as_user env XDG_CONFIG_HOME="$T/noprofiles" "$QVM" --host-root "$T/noroot" --allow-root list 2>&1)
grep -q "^no profiles yet: the examples are in /.*/share/qemu-vm/profiles " <<<"$out" &&
	grep -qx "  mkdir -p $T/noprofiles/qemu-vm && cp /.*/share/qemu-vm/profiles/minimal.ini $T/noprofiles/qemu-vm/NAME.ini" <<<"$out" &&
	ok "list without profiles points at the installed examples" || bad "list without profiles: $out"

# audio = auto: QEMU is asked once per binary (path, size, mtime), the answer cached.
cat > "$T/probe-qemu" <<'SH'
#!/bin/sh
echo probed >> "$HOME/probes"
printf 'Available audio drivers:\nnone\npa\npipewire\n'
SH
chmod 755 "$T/probe-qemu"
printf '[vm]\nmemory = 1G\nqemu = %s\ndisplay = none\n[audio]\nbackend = auto\n' "$T/probe-qemu" > "$T/home/.config/qemu-vm/pw.ini"
[ -n "$user" ] && chown "$user:" "$T/home/.config/qemu-vm/pw.ini"
as_user "$QVM" show pw > "$T/pw0.txt" 2>&1
expect "show asks QEMU nothing" test ! -e "$T/home/probes"
grep -qx 'pa,id=snd0,server=unix:'"$T"'/run/pulse/native' "$T/pw0.txt" &&
	ok "… and shows auto as pulseaudio before a check asked" || bad "show before check: $(cat "$T/pw0.txt")"
as_user "$QVM" check pw > "$T/pw1.txt" 2>&1
as_user "$QVM" check pw > "$T/pw2.txt" 2>&1
as_user "$QVM" show pw > "$T/pw3.txt" 2>&1
grep -qx 'pipewire,id=snd0' "$T/pw3.txt" && ok "audio = auto picks pipewire when QEMU has it" || bad "pipewire: $(cat "$T/pw3.txt")"
expect "… asking QEMU once for two checks" test "$(wc -l < "$T/home/probes")" -eq 1
expect "… cached under XDG_CACHE_HOME" grep -q "^$T/probe-qemu	" "$T/home/.cache/qemu-vm/qemu-caps"
touch -d '2001-01-01' "$T/probe-qemu"
as_user "$QVM" show pw > /dev/null 2>&1
expect "… not by show when the binary changes" test "$(wc -l < "$T/home/probes")" -eq 1
as_user "$QVM" check pw > /dev/null 2>&1
expect "… but by check" test "$(wc -l < "$T/home/probes")" -eq 2
# Only a tree that is not the running system is never asked: "//" is the real root.
touch -d '2002-01-01' "$T/probe-qemu"
as_user "$QVM" --host-root // check pw > /dev/null 2>&1
out=$(as_user "$QVM" --host-root // show pw 2>&1)
grep -qx 'pipewire,id=snd0' <<<"$out" && [ "$(wc -l < "$T/home/probes")" -eq 3 ] &&
	ok "… with --host-root // too: that is the running system" || bad "--host-root //: $out"

# backend = pipewire, explicitly: QEMU is asked too, and one without the driver (Debian 12's
# 7.2) fails check with the way out, instead of failing at start.
sed 's/pipewire//' "$T/probe-qemu" > "$T/nopw-qemu"
chmod 755 "$T/nopw-qemu"
printf '[vm]\nmemory = 1G\naccel = tcg\nfirmware = bios\nqemu = %s\ndisplay = none\n[audio]\nbackend = pipewire\n' "$T/nopw-qemu" |
	put_profile pwfixed
out=$(as_user "$QVM" check pwfixed 2>&1)
[ $? -eq 1 ] && failed_with_fix "$out" "$T/home/.config/qemu-vm/pwfixed.ini:8: [audio] backend: $T/nopw-qemu has no pipewire audio driver (-audiodev help)" \
	"backend = pulseaudio  (it works with PipeWire's pulse socket)" &&
	ok "backend = pipewire fails check when QEMU has no pipewire driver" || bad "explicit pipewire without the driver: $out"
failed_with_fix "$out" "[audio]: PipeWire socket $T/run/pipewire-0: No such file or directory" "systemctl --user start pipewire.socket" &&
	ok "… and when \$XDG_RUNTIME_DIR/pipewire-0 is missing, with the fix" || bad "missing PipeWire socket: $out"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/run/pipewire-0"
[ -n "$user" ] && chown "$user:" "$T/run/pipewire-0"
sed -i "s|^qemu = .*|qemu = $T/probe-qemu|" "$T/home/.config/qemu-vm/pwfixed.ini"
out=$(as_user "$QVM" check pwfixed 2>&1)
[ $? -eq 0 ] && grep -qx "ok    \[audio\]: QEMU has the pipewire driver" <<<"$out" &&
	grep -qx "ok    \[audio\]: PipeWire socket $T/run/pipewire-0" <<<"$out" &&
	ok "… and passes when QEMU has it and the socket is there" || bad "explicit pipewire with the driver: $out"

# A display QEMU cannot open fails check, with the fix: gtk outside a desktop session (no
# DISPLAY, no WAYLAND_DISPLAY), or a QEMU built without it (asked once, cached).
cat > "$T/display-qemu" <<'SH'
#!/bin/sh
echo "$*" >> "$HOME/display-probes"
[ "$*" = "-display help" ] && printf 'Available display backend types:\nnone\ncurses\n%s' "$(cat "$HOME/displays" 2>/dev/null)"
exit 0
SH
chmod 755 "$T/display-qemu"
printf '[vm]\nmemory = 1G\naccel = tcg\nfirmware = bios\nqemu = %s\ndisplay = gtk\n' "$T/display-qemu" | put_profile gui
out=$(as_user "$QVM" check gui 2>&1)
[ $? -eq 1 ] && failed_with_fix "$out" "display: -display gtk opens a window, and neither DISPLAY nor WAYLAND_DISPLAY is set" \
	"display = none in [vm] (with a GPU passed or console = stdio), or run from the desktop session" &&
	ok "check fails -display gtk without a desktop session, with the fix" || bad "gtk without DISPLAY: $out"
out=$(XDISPLAY=:0 as_user "$QVM" check gui 2>&1)
[ $? -eq 1 ] && failed_with_fix "$out" "display: $T/display-qemu has no gtk display (-display help)" \
	"sudo apt-get install qemu-system-gui  (or display = none in [vm])" &&
	! grep -q DISPLAY <<<"$out" && ok "… and with a QEMU built without gtk, with the fix" || bad "QEMU without gtk: $out"
rm -f "$T/home/display-probes"
touch -d '2003-01-01' "$T/display-qemu"
echo gtk > "$T/home/displays"
out=$(XDISPLAY=:0 as_user "$QVM" check gui 2>&1)
rc=$?
XDISPLAY=:0 as_user "$QVM" check gui >/dev/null 2>&1
[ $rc -eq 0 ] && grep -qx "ok    display: QEMU has the gtk display" <<<"$out" &&
	[ "$(grep -c -- '-display help' "$T/home/display-probes")" -eq 1 ] &&
	ok "… and passes with both, asking QEMU once for two checks" || bad "gtk with DISPLAY (exit $rc, probes $(cat "$T/home/display-probes")): $out"

# stop takes only the names the profile loader takes: '..' would be the socket of qemu-vm/
# itself, a control character would garble the message. Shown escaped, nothing connected to.
for n in . .. dir/ x/..ini $'a\nb'; do
	out=$(XDG_RUNTIME_DIR="$T/run" "$QVM" stop "$n" 2>&1)
	rc=$?
	shown=${n//$'\n'/\\n}
	[ $rc -eq 1 ] && [ "$out" = "qemu-vm: '$shown': no VM has that name (a name may not be empty, '.' or '..', nor hold control characters)" ] &&
		ok "stop refuses the name '$shown'" || bad "stop '$shown' (exit $rc): $out"
done

# stop: ACPI powerdown over QMP, --force quits after the timeout. A paused QEMU (no guest to
# honour the power button) stands in for a VM that ignores it; no supervisor runs it here, so
# stop talks to its QMP socket itself. QEMU and stop run as the user: stop only talks to a
# socket in a private directory of the caller's, served by a process of the caller's.
as_user_cmd() { # as_user_cmd COMMAND...: as the test user (or ourselves), keeping the environment
	if [ -n "$user" ]; then
		setpriv --reuid "$user" --regid "$user" --init-groups --inh-caps=-all --bounding-set=-all "$@"
	else
		"$@"
	fi
}
qmp_status() { # qmp_status SOCKET: QEMU's run state, over our own QMP connection
	python3 -c 'import sys; sys.path.insert(0, "tests/qemu"); from qmp import QMP; print(QMP(sys.argv[1], timeout=5).cmd("query-status")["status"])' "$1"
}
as_user_exec() { # as_user_exec COMMAND... &: the same, in a background subshell that becomes COMMAND
	if [ -n "$user" ]; then
		exec setpriv --reuid "$user" --regid "$user" --init-groups --inh-caps=-all --bounding-set=-all "$@"
	else
		exec "$@"
	fi
}
stop_as_user() { as_user_cmd env XDG_RUNTIME_DIR="$T/run" "$QVM" stop "$@"; }
if command -v qemu-system-x86_64 >/dev/null; then
	as_user_cmd mkdir -p -m 700 "$T/run/qemu-vm" "$T/run/qemu-vm/vm1"
	as_user_exec qemu-system-x86_64 -machine q35 -accel tcg -display none -nodefaults -S \
		-chardev "socket,id=qmp,path=$T/run/qemu-vm/vm1/qmp.sock,server=on,wait=off" -mon chardev=qmp,mode=control &
	qpid=$!
	for _ in $(seq 50); do [ -S "$T/run/qemu-vm/vm1/qmp.sock" ] && break; sleep 0.1; done
	out=$(stop_as_user --timeout 1 vm1 2>&1)
	[ $? -eq 1 ] && grep -q "still runs after 1 s" <<<"$out" && kill -0 $qpid 2>/dev/null &&
		ok "stop: a guest that ignores the power button keeps running, and the message says --force" ||
		bad "stop without --force: $out"
	out=$(stop_as_user --force --timeout 1 vm1 2>&1)
	rc=$?
	# QEMU is our child: once it exits it stays a zombie (kill -0 still succeeds) until waited
	# for, so "gone" means no process or a zombie. Up to 10 s, then it is ended here: a stop
	# that said 0 but left QEMU running must fail the test, not hang it in wait.
	qemu_alive() { [ -r /proc/$qpid/stat ] && [ "$(sed 's/.*) //' /proc/$qpid/stat 2>/dev/null | cut -c1)" != Z ]; }
	for _ in $(seq 100); do qemu_alive || break; sleep 0.1; done
	gone=true
	if qemu_alive; then
		gone=false
		kill -9 $qpid 2>/dev/null
	fi
	wait $qpid 2>/dev/null
	[ $rc -eq 0 ] && $gone && ok "stop --force: QEMU is gone" || bad "stop --force (exit $rc, QEMU gone: $gone): $out"
	out=$(stop_as_user vm1 2>&1)
	[ $? -eq 1 ] && grep -q "vm1 is not running" <<<"$out" && ok "stop: a VM that is not running is said so" ||
		bad "stop when not running: $out"

	# Another user's socket where ours would be: with XDG_RUNTIME_DIR unset the directory is
	# /tmp/qemu-vm-UID, which anyone may create first. A directory that is not the user's own
	# is refused; a socket served by another uid in the user's own directory gets nothing.
	if [ -n "$user" ]; then
		uid=$(id -u "$user")
		rm -rf "/tmp/qemu-vm-$uid"
		mkdir -p -m 700 "/tmp/qemu-vm-$uid/qemu-vm/vm2"
		qemu-system-x86_64 -machine q35 -accel tcg -display none -nodefaults -S \
			-chardev "socket,id=qmp,path=/tmp/qemu-vm-$uid/qemu-vm/vm2/qmp.sock,server=on,wait=off" \
			-mon chardev=qmp,mode=control &
		ppid=$!
		for _ in $(seq 50); do [ -S "/tmp/qemu-vm-$uid/qemu-vm/vm2/qmp.sock" ] && break; sleep 0.1; done
		chmod 711 "/tmp/qemu-vm-$uid" "/tmp/qemu-vm-$uid/qemu-vm" "/tmp/qemu-vm-$uid/qemu-vm/vm2"
		out=$(as_user_cmd env -i HOME="$T/home" PATH=/usr/bin:/bin "$QVM" stop --timeout 1 vm2 2>&1)
		[ $? -eq 1 ] && grep -q "^qemu-vm: /tmp/qemu-vm-$uid is not a private directory of yours (a directory, owner uid 0, mode 711)" <<<"$out" &&
			ok "stop: a runtime directory planted by another user is refused" || bad "stop, planted directory: $out"
		chown -R "$user:" "/tmp/qemu-vm-$uid"
		chmod 700 "/tmp/qemu-vm-$uid" "/tmp/qemu-vm-$uid/qemu-vm" "/tmp/qemu-vm-$uid/qemu-vm/vm2"
		chown root: "/tmp/qemu-vm-$uid/qemu-vm/vm2/qmp.sock"
		chmod 777 "/tmp/qemu-vm-$uid/qemu-vm/vm2/qmp.sock"
		out=$(as_user_cmd env -i HOME="$T/home" PATH=/usr/bin:/bin "$QVM" stop --timeout 1 vm2 2>&1)
		[ $? -eq 1 ] && grep -q "qmp.sock: served by another user's process, not your QEMU; nothing sent" <<<"$out" &&
			ok "stop: a socket another user's process serves gets nothing (SO_PEERCRED)" || bad "stop, planted socket: $out"
		printf '[vm]\nmemory = 1G\n[usb]\nport = 1-4\n' > "$T/home/.config/qemu-vm/vm2.ini"
		chown "$user:" "$T/home/.config/qemu-vm/vm2.ini"
		out=$(as_user_cmd env -i HOME="$T/home" PATH=/usr/bin:/bin "$QVM" usb attach vm2 2>&1)
		[ $? -eq 1 ] && grep -q "served by another user's process" <<<"$out" &&
			ok "usb: the same socket is refused" || bad "usb, planted socket: $out"
		st=$(qmp_status "/tmp/qemu-vm-$uid/qemu-vm/vm2/qmp.sock" 2>&1)
		[ "$st" = prelaunch ] && ok "… and that QEMU got no command: still paused" || bad "planted QEMU status: $st"
		kill $ppid
		wait $ppid 2>/dev/null
		rm -rf "/tmp/qemu-vm-$uid"
	fi
else
	echo "note: qemu-system-x86_64 not installed: stop is not tested"
fi

summary launcher
