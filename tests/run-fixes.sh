#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every fix check prints runs as printed: each distinct vfio-setup command in the fix: lines of
# the golden check outputs runs against a staging root (the fake host the output came from, with
# a Debian /etc and /boot) and succeeds. check names a profile by its absolute path, and
# vfio-setup --profile takes a profile name, looked up for $SUDO_USER as qemu-vm looks it up.
set -u
cd "$(dirname "$0")/.."
. tests/testlib.sh
B=${B:-build}
VS=$PWD/$B/vfio-setup
QVM=$PWD/$B/qemu-vm
T=$(mktemp -d /tmp/qvm-fixes.XXXXXX)
cleanup() {
	test_user_del
	rm -rf "$T"
}
trap cleanup EXIT
tests/hosts/build-all.sh "$T/hosts" >/dev/null || { echo "FAIL building the fake hosts"; exit 1; }

stage() { # stage HOST DIR: the fake host HOST with a Debian system's /etc and /boot in DIR
	rm -rf "$2"
	cp -a "$T/hosts/$1" "$2"
	cp -a tests/setup/seeds/debian/. "$2/"
}

n=0
for g in tests/golden/*.check; do
	host=${g##*@}
	host=${host%.check}
	# The vfio-setup command of each fix: line, up to the prose after it (", then reboot", "  (").
	while read -r cmd; do
		[ -n "$cmd" ] || continue
		n=$((n + 1))
		stage "$host" "$T/root"
		# shellcheck disable=SC2086
		if env -u SUDO_USER "$VS" ${cmd#vfio-setup } --root "$T/root" >"$T/out" 2>&1; then
			ok "$(basename "$g"): sudo $cmd  (on a staging root)"
		else
			bad "$(basename "$g"): sudo $cmd failed: $(cat "$T/out")"
		fi
	done < <(sed -n 's/^      fix: //p' "$g" |
		grep -o 'vfio-setup [a-z]\+\( --[a-z-]\+\( [^-, ()][^, ()]*\)\?\)*' | sort -u)
done
[ "$n" -ge 5 ] && ok "$n vfio-setup fixes in the golden check outputs" || bad "only $n vfio-setup fixes found"

# check names the profile by its absolute path, whatever was typed: the fix runs from anywhere.
mkdir -p "$T/p"
printf '[vm]\nmemory = 1G\n[pci gpu]\nhost = 0f:00.0\n' >"$T/p/odd.ini"
fix=$(cd "$T" && "$QVM" --host-root hosts/broken --allow-root check p/odd.ini | sed -n 's/.*fix: .*--profile \([^ ,]*\).*/\1/p' | head -1)
[ "$fix" = "$T/p/odd.ini" ] && ok "check's --profile fix names $fix, absolute" || bad "check's --profile fix: '$fix'"

# vfio-setup --profile NAME: the profile of the user who ran sudo, else the one in ROOT/etc/qemu-vm.
stage desktop "$T/byname"
stage desktop "$T/bypath"
mkdir -p "$T/home/.config/qemu-vm"
printf '[vm]\nmemory = 4G\n[pci gpu]\nhost = 01:00.0\n' >"$T/home/.config/qemu-vm/gaming.ini"
if [ "$(id -u)" -eq 0 ] && test_user_add qvmfix$$ "$T/home"; then
	if SUDO_USER=$user "$VS" install --root "$T/byname" --user "$user" --profile gaming >"$T/out" 2>&1 &&
		"$VS" install --root "$T/bypath" --user "$user" --profile "$T/home/.config/qemu-vm/gaming.ini" >/dev/null 2>&1 &&
		diff -r "$T/byname/etc" "$T/bypath/etc" >"$T/diff"; then
		ok "--profile gaming (SUDO_USER's ~/.config/qemu-vm/gaming.ini) installs what its path does"
	else
		bad "--profile gaming: $(cat "$T/out" "$T/diff")"
	fi
	out=$(SUDO_USER=$user "$VS" install --root "$T/byname" --user "$user" --profile nosuch 2>&1)
	[ $? -ne 0 ] && grep -q "no profile 'nosuch' (looked for $T/home/.config/qemu-vm/nosuch.ini and $T/byname/etc/qemu-vm/nosuch.ini" <<<"$out" &&
		ok "--profile nosuch: both places named" || bad "--profile nosuch: $out"
else
	echo "note: not root or no test user: --profile NAME through \$SUDO_USER is not tested in this run"
fi
stage desktop "$T/sys"
mkdir -p "$T/sys/etc/qemu-vm"
cp "$T/home/.config/qemu-vm/gaming.ini" "$T/sys/etc/qemu-vm/sysvm.ini"
env -u SUDO_USER "$VS" install --root "$T/sys" --profile sysvm >"$T/out" 2>&1 &&
	grep -q "vfio-pci" "$T/sys/etc/modprobe.d/"*vfio* &&
	ok "--profile sysvm: ROOT/etc/qemu-vm/sysvm.ini" || bad "--profile sysvm: $(cat "$T/out")"
out=$(env -u SUDO_USER "$VS" install --root "$T/sys" --profile 'a b' 2>&1)
[ $? -eq 2 ] && grep -q "a profile name has only letters" <<<"$out" && ok "--profile 'a b': refused, nothing changed" ||
	bad "--profile 'a b': $out"
summary run-fixes
