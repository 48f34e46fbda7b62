#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make newcomer: the README's first steps as a newcomer takes them, on a fresh Debian. As root,
# it unpacks a minimal bookworm (debootstrap --variant=minbase with only git, make and sudo
# added) into a chroot, makes two ordinary users, and there:
#
#   nosudo    (no sudo rights) runs make deps: it must fail, name the packages, install nothing;
#   newcomer  (sudo for apt-get only, no password) clones the repository and runs the README's
#             make deps, make demo (the UEFI shell reached, then Ctrl-A X) and make check;
#             the second make deps must be silent and need no sudo.
#
# Prints one line per step (PASS, FAIL or SKIP, its time, the reason), the suites make check
# skipped with their reasons, and "newcomer: N passed, N failed, N skipped"; exits 1 on a FAIL.
# It tests the checked-out commit (HEAD, through a git bundle), not uncommitted changes.
# Everything lands in build/newcomer/: debs/ (the package cache, kept), base.tar (the
# debootstrapped tree, kept), root/ (the chroot, removed at the end), logs/.
#
# NEWCOMER_MIRROR=URL    the Debian mirror (default: the one in the apt sources)
# NEWCOMER_JOBS=N        make -jN in the chroot (default: the number of CPUs)
# NEWCOMER_KEEP=1        keep the chroot afterwards
# NEWCOMER_TIME_SCALE=N  multiply the demo's timeout by N (slow machines)
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
N=$(mkdir -p "$B/newcomer" && cd "$B/newcomer" && pwd)
suite=bookworm
# What the base tree is made of; a change here means a new debootstrap.
recipe="debootstrap --variant=minbase $suite, --include=git,make,sudo"
jobs=${NEWCOMER_JOBS:-$(nproc)}
scale=${NEWCOMER_TIME_SCALE:-1}
root=$N/root
logs=$N/logs
# The sudoers line the README gives a newcomer: apt-get as root, without a password.
sudoers_line="newcomer ALL=(root) NOPASSWD: /usr/bin/apt-get"

pass=0 fail=0 skip=0
t_run=${EPOCHREALTIME/./}
ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
record() { # STATUS NAME MS REASON
	case $1 in
	PASS) pass=$((pass + 1)) ;;
	FAIL) fail=$((fail + 1)) ;;
	*) skip=$((skip + 1)) ;;
	esac
	printf '%-4s  %-12s %7ss  %s\n' "$1" "$2" "$(secs "$3")" "$4"
}
finish() {
	echo "newcomer: total $(secs $(((${EPOCHREALTIME/./} - t_run) / 1000))) s; logs in $logs"
	echo "newcomer: $pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
	exit
}
all_steps="base no-sudo clone deps demo deps-again check"
skip_all() { # REASON
	local s
	for s in $all_steps; do record SKIP "$s" 0 "$1"; done
	finish
}

if [ "$(id -u)" -ne 0 ]; then
	skip_all "needs root (debootstrap, chroot, mounts); run make newcomer as root"
fi
for t in debootstrap chroot runuser unshare git; do
	command -v "$t" >/dev/null || skip_all "$t is not installed (apt-get install debootstrap util-linux git)"
done

# The mounts live in a mount namespace of their own: nothing of them reaches the host, and they
# go with the last process in it. The trap unmounts them anyway, on every exit.
if [ -z "${NEWCOMER_NS:-}" ]; then
	NEWCOMER_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

mounted=()
unmount_all() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}"
	done
	mounted=()
}
cleanup() {
	unmount_all
	if [ "${NEWCOMER_KEEP:-0}" != 1 ] && [ -d "$root" ]; then
		rm -rf --one-file-system "$root"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mnt() { # mnt TARGET MOUNT-ARGS...
	local target=$root$1
	shift
	mkdir -p "$target" && mount "$@" "$target" && mounted+=("$target") &&
		mount --make-private "$target"
}

rm -rf "$logs" && mkdir -p "$logs" "$N/debs"
# A chroot a previous run left (killed with its mounts gone with its namespace).
rm -rf --one-file-system "$root"

# --- the base tree: minbase with git, make and sudo ---------------------------------------------

mirror=${NEWCOMER_MIRROR:-$(tools/debian-mirror.sh "$suite" | head -n 1)}
t=$(ms)
if [ -s "$N/base.tar" ] && [ "$(cat "$N/base.recipe" 2>/dev/null)" = "$recipe" ]; then
	base_why="cached $N/base.tar ($recipe)"
else
	if [ -z "$mirror" ]; then
		skip_all "no Debian mirror for $suite in the apt sources (set NEWCOMER_MIRROR=URL)"
	fi
	# The packages this machine's apt has already fetched are the same files: linked, not
	# downloaded again, where the file system allows (debootstrap and apt check each one's hash).
	cp -l -n /var/cache/apt/archives/*.deb "$N/debs/" 2>/dev/null
	rm -f "$N/base.tar" "$N/base.recipe"
	if ! debootstrap --variant=minbase --cache-dir="$N/debs" --include=git,make,sudo \
		"$suite" "$root" "$mirror" >"$logs/debootstrap.log" 2>&1; then
		record FAIL base "$(($(ms) - t))" "debootstrap from $mirror failed: $(tail -n 1 "$logs/debootstrap.log")"
		all_steps=${all_steps#base }
		skip_all "no base tree"
	fi
	chroot "$root" apt-get clean
	tar -C "$root" -cf "$N/base.tar" . && echo "$recipe" >"$N/base.recipe"
	rm -rf --one-file-system "$root"
	base_why="debootstrapped from $mirror ($recipe), kept as $N/base.tar"
fi
mkdir -p "$root" && tar -C "$root" -xf "$N/base.tar"

# The machine's setup, as root: apt sources as a Debian install writes them (the release, its
# updates and security where this machine's sources have a mirror for them), name resolution,
# no services started by package scripts (this is a chroot, not a booted system), the users.
: >"$root/etc/apt/sources.list"
for s in "$suite" "$suite-updates" "$suite-security"; do
	m=$(tools/debian-mirror.sh "$s" | head -n 1)
	[ "$s" = "$suite" ] && m=$mirror
	[ -n "$m" ] && echo "deb $m $s main" >>"$root/etc/apt/sources.list"
done
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$(hostname)" >"$root/etc/hosts"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"
# A chroot thrown away afterwards: dpkg need not sync every file it unpacks.
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/unsafe-io"
echo "$sudoers_line" >"$root/etc/sudoers.d/newcomer" && chmod 0440 "$root/etc/sudoers.d/newcomer"
chroot "$root" /bin/sh -ec '
	useradd --create-home --shell /bin/bash newcomer
	useradd --create-home --shell /bin/bash nosudo
' >"$logs/users.log" 2>&1 || {
	record FAIL base "$(($(ms) - t))" "useradd in the chroot failed: $(tail -n 1 "$logs/users.log")"
	all_steps=${all_steps#base }
	skip_all "no users"
}
git bundle create "$root/srv/qemu-vm.bundle" HEAD >"$logs/bundle.log" 2>&1
chmod 0644 "$root/srv/qemu-vm.bundle"

mnt /proc -t proc proc &&
	mnt /sys -t sysfs sysfs &&
	mnt /dev --bind /dev &&
	mnt /dev/pts --bind /dev/pts &&
	mnt /dev/shm -t tmpfs -o mode=1777 tmpfs &&
	mnt /run -t tmpfs -o mode=0755 tmpfs &&
	mnt /var/cache/apt/archives --bind "$N/debs" || {
	record FAIL base "$(($(ms) - t))" "mounting /proc, /sys, /dev, /dev/shm, /run or the package cache failed"
	all_steps=${all_steps#base }
	skip_all "no chroot"
}
# What logind would give each user's session: a runtime directory of its own.
for u in newcomer nosudo; do
	uid=$(chroot "$root" id -u "$u")
	install -d -m 0700 -o "$uid" -g "$uid" "$root/run/user/$uid"
done
record PASS base "$(($(ms) - t))" "$base_why"

# as USER COMMAND: COMMAND in USER's login shell (Debian's PATH for users: no /usr/sbin), in a
# session of its own without a controlling terminal (sudo cannot ask for a password), stdin
# from /dev/null unless redirected, XDG_RUNTIME_DIR as logind sets it.
as() {
	local u=$1
	shift
	setsid --wait chroot "$root" runuser -l "$u" -c \
		"export XDG_RUNTIME_DIR=/run/user/\$(id -u); $*"
}
installed() { chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' | sort; }

# --- nosudo: make deps without sudo rights ------------------------------------------------------

t=$(ms)
before=$(installed)
as nosudo "git -c advice.detachedHead=false clone -q /srv/qemu-vm.bundle qemu-vm && cd qemu-vm && make deps" \
	</dev/null >"$logs/no-sudo.log" 2>&1
rc=$?
after=$(installed)
if [ $rc -eq 0 ]; then
	record FAIL no-sudo "$(($(ms) - t))" "make deps without sudo rights exited 0 (see $logs/no-sudo.log)"
elif [ "$before" != "$after" ]; then
	record FAIL no-sudo "$(($(ms) - t))" "make deps without sudo rights changed the installed packages"
elif ! grep -q '^  apt-get install .*libinih-dev.*qemu-system-x86' "$logs/no-sudo.log"; then
	record FAIL no-sudo "$(($(ms) - t))" "no 'apt-get install' command naming the packages: $(tail -n 1 "$logs/no-sudo.log")"
else
	record PASS no-sudo "$(($(ms) - t))" "exit $rc, nothing installed; it printed: $(grep -m 1 '^deps: ' "$logs/no-sudo.log" | cut -c1-60)… and the command for root"
fi

# --- newcomer: the README as written ------------------------------------------------------------

t=$(ms)
if as newcomer "git -c advice.detachedHead=false clone -q /srv/qemu-vm.bundle qemu-vm" </dev/null >"$logs/clone.log" 2>&1; then
	record PASS clone "$(($(ms) - t))" "$(git rev-parse --short HEAD) from a bundle of HEAD"
else
	record FAIL clone "$(($(ms) - t))" "git clone failed: $(tail -n 1 "$logs/clone.log")"
	all_steps="deps demo deps-again check"
	skip_all "no checkout"
fi

t=$(ms)
before=$(installed | wc -l)
if as newcomer "cd qemu-vm && make deps" </dev/null >"$logs/deps.log" 2>&1; then
	record PASS deps "$(($(ms) - t))" "sudo apt-get installed $(($(installed | wc -l) - before)) packages ($(grep -c '^Get:' "$logs/deps.log") downloaded)"
else
	record FAIL deps "$(($(ms) - t))" "make deps failed: $(tail -n 1 "$logs/deps.log")"
fi

# make demo: OVMF on the serial console, stdin a FIFO that sends Ctrl-A X once the UEFI shell
# prompt is there.
t=$(ms)
fifo=$root/home/newcomer/demo.in
rm -f "$fifo" && mkfifo -m 0600 "$fifo" && chown --reference="$root/home/newcomer" "$fifo"
exec 3<>"$fifo"
# Not through as(): $! is then setsid's pid, the session's id, to end all of it by on a timeout.
setsid --wait chroot "$root" runuser -l newcomer -c \
	"export XDG_RUNTIME_DIR=/run/user/\$(id -u); cd qemu-vm && make -j$jobs demo <~/demo.in" \
	</dev/null >"$logs/demo.log" 2>&1 &
demo=$!
limit=$((300 * scale * 1000)) shell=""
while kill -0 "$demo" 2>/dev/null; do
	if grep -aq 'Shell>' "$logs/demo.log"; then
		shell=$(($(ms) - t))
		printf '\001x' >&3
		break
	fi
	if [ $(($(ms) - t)) -gt "$limit" ]; then
		pkill -KILL -s "$demo"
		break
	fi
	sleep 0.5
done
wait "$demo"
rc=$?
exec 3>&-
if [ -n "$shell" ] && [ $rc -eq 0 ]; then
	record PASS demo "$(($(ms) - t))" "built, UEFI shell after $(secs "$shell") s, Ctrl-A X quit it (exit 0)"
elif [ -n "$shell" ]; then
	record FAIL demo "$(($(ms) - t))" "UEFI shell reached, but make demo exited $rc: $(tail -n 1 "$logs/demo.log")"
else
	record FAIL demo "$(($(ms) - t))" "no UEFI shell prompt (exit $rc): $(tail -n 1 "$logs/demo.log" | tr -cd '[:print:]' | cut -c1-120)"
fi

# With everything installed, make deps says nothing and runs no sudo: the sudoers rule is
# taken away to show it.
t=$(ms)
mv "$root/etc/sudoers.d/newcomer" "$N/sudoers.off"
as newcomer "cd qemu-vm && make -s deps" </dev/null >"$logs/deps-again.log" 2>&1
rc=$?
mv "$N/sudoers.off" "$root/etc/sudoers.d/newcomer"
if [ $rc -eq 0 ] && [ ! -s "$logs/deps-again.log" ]; then
	record PASS deps-again "$(($(ms) - t))" "nothing missing: silent, no sudo"
else
	record FAIL deps-again "$(($(ms) - t))" "exit $rc: $(head -n 1 "$logs/deps-again.log")"
fi

t=$(ms)
as newcomer "cd qemu-vm && make -j$jobs check" </dev/null >"$logs/check.log" 2>&1
rc=$?
closing=$(grep -a '^suites: ' "$logs/check.log" | tail -n 1)
if [ $rc -eq 0 ]; then
	record PASS check "$(($(ms) - t))" "$closing"
else
	record FAIL check "$(($(ms) - t))" "exit $rc; ${closing:-no closing line}; $(grep -a '^FAILED: ' "$logs/check.log" | paste -sd' ')"
fi
# Each skipped suite and the reason it gave.
awk '/^== / { s = $2; why = ""; next }
	/^SKIP: / && s != "" { if ($2 == s) { print "      skipped " s ": " why; s = "" } else if (why == "") { why = substr($0, 7) } }' \
	"$logs/check.log"

finish
