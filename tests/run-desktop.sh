#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-vm desktop: the entry it installs passes desktop-file-validate, and GLib's own launcher
# (gio launch) starting it runs qemu-vm run with exactly the profile, which execs a stub QEMU
# with show's argv — also for a profile path full of characters the Exec key must quote.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
QVM=$PWD/$B/qemu-vm
. tests/testlib.sh
require_tools "apt-get install desktop-file-utils libglib2.0-bin" desktop-file-validate gio
T=$(mktemp -d /tmp/qvm-desktop.XXXXXX)
chmod 755 "$T"
cleanup() {
	test_user_del
	rm -rf "$T"
}
trap cleanup EXIT

H=$T/home
apps=$H/.local/share/applications
mkdir -p "$H/.config/qemu-vm" "$T/run" "$T/odd"
cp tests/launcher/stub-qemu "$T/stub-qemu"
# The demo profile with a stub QEMU, once under its name and once at a path that needs quoting
# in an Exec line: space, double quote, dollar, percent, backslash, backtick.
sed "s|^cpu = qemu64.*|cpu = qemu64\nqemu = $T/stub-qemu|" profiles/demo.ini >"$H/.config/qemu-vm/demo.ini"
odd='my vm "x" $HOME 100% a\b `c`.ini'
sed 's/^title = .*/title = Odd \\ "one" 50%/' "$H/.config/qemu-vm/demo.ini" >"$T/odd/$odd"
printf '[vm]\nmemory = lots\n' >"$H/.config/qemu-vm/broken.ini"

# run refuses root, so the entry is launched as an ordinary user when we are root.
if [ "$(id -u)" -eq 0 ]; then
	if ! test_user_add qvmdesk$$ "$H"; then
		echo "SKIP: cannot create a test user"
		exit 77
	fi
	chown -R "$user:" "$T/home" "$T/run" "$T/odd"
	QVM=$(runnable_by "$user" "$QVM" "$T/reach") || { echo "FAIL: no copy of qemu-vm the test user can run"; exit 1; }
fi
chmod 700 "$T/run"

user_env() {
	envs=(HOME="$H" USER="${user:-$(id -un)}" XDG_RUNTIME_DIR="$T/run" STUB_QEMU_OUT="$H/out" PATH=/usr/bin:/bin)
}

# gio launch returns once the child is spawned: wait for the stub's record.
launched_argv() {
	rm -f "$H/out.argv"
	as_user gio launch "$1" >"$T/gio.log" 2>&1 || return 1
	for _ in $(seq 100); do
		[ -s "$H/out.argv" ] && sleep 0.2 && cat "$H/out.argv" && return 0
		sleep 0.1
	done
	return 1
}

for prof in demo "$T/odd/$odd"; do
	out=$(as_user "$QVM" desktop "$prof" 2>&1)
	rc=$?
	entry=$(sed -n "s|^.*: installed \(.*\.desktop\) (.*|\1|p" <<<"$out")
	if [ $rc -ne 0 ] || [ ! -f "$entry" ]; then
		bad "desktop '$prof' installs an entry (rc=$rc): $out"
		continue
	fi
	[ "$(dirname "$entry")" = "$apps" ] && [ "$(stat -c %a "$entry")" = 644 ] &&
		ok "'$prof': entry in \$XDG_DATA_HOME/applications, mode 0644" ||
		bad "'$prof': entry at $entry, mode $(stat -c %a "$entry")"
	v=$(desktop-file-validate "$entry" 2>&1)
	[ $? -eq 0 ] && [ -z "$v" ] && ok "'$prof': desktop-file-validate has nothing to say" ||
		bad "'$prof': desktop-file-validate: $v"
	[ "$(as_user "$QVM" desktop --print "$prof")" = "$(cat "$entry")" ] &&
		ok "'$prof': --print prints the entry that was written" || bad "'$prof': --print differs"
	want=$(as_user "$QVM" show "$prof" | python3 -c 'import shlex, sys; print("\n".join(shlex.split(sys.stdin.read())[1:]))')
	got=$(launched_argv "$entry")
	if [ $? -eq 0 ] && [ -n "$want" ] && [ "$got" = "$want" ]; then
		ok "'$prof': gio launch runs qemu-vm run --detach, which starts QEMU with show's argv"
	else
		bad "'$prof': gio launch: $(cat "$T/gio.log") — got $(head -c 300 <<<"$got")"
	fi
done

# The menu name is the title, with the backslash escaped as a string value needs.
grep -qx 'Name=Odd \\\\ "one" 50%' "$apps"/qemu-vm-my_vm*.desktop &&
	ok "the title is the menu name, escaped" || bad "menu name: $(grep ^Name= "$apps"/qemu-vm-my_vm*.desktop)"
grep -q '^Exec=.* stop demo$' "$apps/qemu-vm-demo.desktop" && grep -qx 'Actions=stop;' "$apps/qemu-vm-demo.desktop" &&
	ok "a Shut Down action runs qemu-vm stop" || bad "no stop action"

# The Exec lines themselves, for a profile given by name: the qemu-vm that wrote them, by path.
grep -qxF "Exec=$QVM run --detach demo" "$apps/qemu-vm-demo.desktop" &&
	grep -qxF "Exec=$QVM stop demo" "$apps/qemu-vm-demo.desktop" &&
	ok "by name: Exec runs this qemu-vm with the name" || bad "Exec lines: $(grep ^Exec= "$apps/qemu-vm-demo.desktop")"

# A profile file whose name starts with '-': run and stop get its absolute path, never '-x'.
cp "$H/.config/qemu-vm/demo.ini" "$T/odd/-x.ini"
[ -n "$user" ] && chown "$user:" "$T/odd/-x.ini"
out=$(as_user "$QVM" desktop "$T/odd/-x.ini" 2>&1)
grep -qxF "Exec=$QVM stop $T/odd/-x.ini" "$apps/qemu-vm--x.desktop" 2>/dev/null &&
	grep -qxF "Exec=$QVM run --detach $T/odd/-x.ini" "$apps/qemu-vm--x.desktop" &&
	ok "'-x.ini': run and stop get the path, not an option" || bad "'-x.ini': $out $(grep ^Exec= "$apps/qemu-vm--x.desktop" 2>&1)"

# Two profiles whose names map to one file name: the second does not take the first's entry.
cp "$H/.config/qemu-vm/demo.ini" "$H/.config/qemu-vm/a_b.ini"
cp "$H/.config/qemu-vm/demo.ini" "$T/odd/a.b.ini"
[ -n "$user" ] && chown "$user:" "$H/.config/qemu-vm/a_b.ini" "$T/odd/a.b.ini"
as_user "$QVM" desktop a_b >/dev/null
before=$(sha256sum <"$apps/qemu-vm-a_b.desktop")
out=$(as_user "$QVM" desktop "$T/odd/a.b.ini" 2>&1)
rc=$?
out2=$(as_user "$QVM" desktop --remove "$T/odd/a.b.ini" 2>&1)
rc2=$?
[ $rc -eq 1 ] && [ $rc2 -eq 1 ] && grep -q "belongs to the profile 'a_b'" <<<"$out" &&
	[ "$(sha256sum <"$apps/qemu-vm-a_b.desktop")" = "$before" ] &&
	ok "another profile's entry is neither overwritten nor removed" || bad "collision: $out / $out2"
as_user sh -c "printf '[Desktop Entry]\nType=Application\nName=mine\nExec=true\n' >'$apps/qemu-vm-demo.desktop'"
out=$(as_user "$QVM" desktop demo 2>&1)
[ $? -eq 1 ] && grep -q 'not written by qemu-vm desktop' <<<"$out" && grep -qx 'Name=mine' "$apps/qemu-vm-demo.desktop" &&
	ok "an entry qemu-vm did not write is left alone" || bad "foreign entry: $out"
as_user rm -f "$apps/qemu-vm-demo.desktop"

# A file name that is not UTF-8 cannot go into a desktop entry.
bin=$(printf 'vm\377')
cp "$H/.config/qemu-vm/demo.ini" "$T/odd/$bin.ini"
[ -n "$user" ] && chown "$user:" "$T/odd/$bin.ini"
out=$(as_user "$QVM" desktop "$T/odd/$bin.ini" 2>&1)
[ $? -eq 1 ] && grep -q 'not valid UTF-8' <<<"$out" && ! ls "$apps" | grep -q '^qemu-vm-vm_' &&
	ok "a profile path that is not UTF-8: refused, no entry" || bad "not UTF-8: $out"

# A profile with errors installs nothing: from the menu, nobody would read why it fails.
out=$(as_user "$QVM" desktop broken 2>&1)
[ $? -eq 1 ] && grep -q 'broken.ini:2: memory:' <<<"$out" && [ ! -e "$apps/qemu-vm-broken.desktop" ] &&
	ok "a profile with errors: file:line, no entry" || bad "broken profile: $out"

# A symlink where the entry goes is refused, and what it points to is left alone.
echo keep >"$T/victim"
chmod 666 "$T/victim"
as_user "$QVM" desktop --remove demo >/dev/null
as_user ln -s "$T/victim" "$apps/qemu-vm-demo.desktop"
out=$(as_user "$QVM" desktop demo 2>&1)
[ $? -eq 1 ] && grep -q 'symlink' <<<"$out" && [ "$(cat "$T/victim")" = keep ] &&
	ok "a symlink at the entry is refused, its target untouched" || bad "symlink: $out"
as_user rm -f "$apps/qemu-vm-demo.desktop"

as_user "$QVM" desktop demo >/dev/null
out=$(as_user "$QVM" desktop --remove demo 2>&1)
[ $? -eq 0 ] && [ ! -e "$apps/qemu-vm-demo.desktop" ] && ok "--remove takes the entry away" || bad "--remove: $out"
out=$(as_user "$QVM" desktop --remove demo 2>&1)
[ $? -eq 0 ] && grep -q 'nothing to remove' <<<"$out" && ok "--remove again: nothing to remove" ||
	bad "--remove again: $out"
out=$(as_user "$QVM" desktop --print --remove demo 2>&1)
[ $? -eq 2 ] && grep -q '^usage:' <<<"$out" && ok "--print with --remove is a usage error" || bad "usage: $out"

# A profile that parses but fails check now: the entry is written, with a warning that says why
# and how to go on (from the menu the start would only end in a notification).
printf '[vm]\nmemory = 1G\naccel = tcg\nfirmware = bios\nqemu = %s\ndisplay = none\n[acpi]\ntable = ~/missing.aml\n' "$T/stub-qemu" >"$H/.config/qemu-vm/notready.ini"
[ -n "$user" ] && chown "$user:" "$H/.config/qemu-vm/notready.ini"
out=$(as_user "$QVM" desktop notready 2>&1)
[ $? -eq 0 ] && [ -f "$apps/qemu-vm-notready.desktop" ] &&
	grep -qF "qemu-vm: warning: notready fails check now: $H/.config/qemu-vm/notready.ini:8: [acpi] table: table '$H/missing.aml': No such file or directory; fix: " <<<"$out" &&
	grep -q "(qemu-vm check notready shows every check; the entry works once it passes)$" <<<"$out" &&
	ok "desktop warns when the profile fails check now, and installs the entry" || bad "desktop, not ready: $out"
# Nothing to show from the menu: the demo has no window and its console needs a terminal. With
# Looking Glass there is something to look at, and nothing to warn about.
out=$(as_user "$QVM" desktop demo 2>&1)
[ $? -eq 0 ] && [ -f "$apps/qemu-vm-demo.desktop" ] &&
	grep -qxF "qemu-vm: warning: demo has nothing to show when started from the menu: no window (display = none, console = stdio), no [looking-glass] and no GPU passed (hint: display = gtk in [vm] of $H/.config/qemu-vm/demo.ini, or a [looking-glass] section; its console shows in a terminal: qemu-vm run demo)" <<<"$out" &&
	[ "$(grep -c warning <<<"$out")" = 1 ] &&
	ok "desktop warns when the VM has nothing to show without a terminal, and installs the entry" ||
	bad "desktop, no display: $out"
printf '[looking-glass]\npath = /dev/shm/qvm-desktop-%s\nsize = 2M\n' "$$" | cat "$H/.config/qemu-vm/demo.ini" - >"$H/.config/qemu-vm/shown.ini"
[ -n "$user" ] && chown "$user:" "$H/.config/qemu-vm/shown.ini"
out=$(as_user "$QVM" desktop shown 2>&1)
[ $? -eq 0 ] && ! grep -q "warning" <<<"$out" && ok "… and says nothing more when it passes and has Looking Glass" ||
	bad "desktop, ready: $out"

summary desktop
