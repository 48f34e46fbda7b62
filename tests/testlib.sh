# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the tests/run-*.sh suites: counting checks, and running the launcher as an
# unprivileged test user when the suite runs as root.

pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# The closing line run-all.sh and CI read; the suite's status.
summary() { # summary NAME
	echo "$1: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# compare GOLDEN: standard input against tests/golden/GOLDEN, with the suite's temporary
# directory $T shown as @T@ (and left in $T/out); UPDATE=1 rewrites the golden file instead.
compare() {
	local golden=tests/golden/$1
	sed "s|$T|@T@|g" >"$T/out"
	if [ "${UPDATE:-}" = 1 ]; then
		cp "$T/out" "$golden"
		echo "updated $golden"
	elif diff -u "$golden" "$T/out"; then
		ok "$1"
	else
		bad "$1"
	fi
}

# require_tools HINT TOOL...: skips the suite (exit 77), saying HINT, when a TOOL is not on PATH.
require_tools() {
	local hint=$1 t
	shift
	for t in "$@"; do
		if ! command -v "$t" >/dev/null; then
			echo "SKIP: $t is not installed ($hint)"
			exit 77
		fi
	done
}

# require_built PROGRAM: fails the suite (exit 1) when PROGRAM is not built.
require_built() {
	if [ ! -x "$1" ]; then
		echo "FAIL $1 is not built (make)"
		exit 1
	fi
}

# test_user_add NAME HOME: as root, a system user NAME whose home is HOME (not created); sets
# $user. test_user_del, for the suite's exit trap, removes it again.
user=""
test_user_add() {
	useradd --system --no-create-home --home-dir "$2" --shell /usr/sbin/nologin "$1" || return 1
	user=$1
}
test_user_del() {
	[ -z "$user" ] || userdel "$user" >/dev/null 2>&1
}

# as_user COMMAND...: COMMAND as $user with no capabilities left (or as ourselves when there is
# no test user), with nothing in its environment but what the suite's user_env function puts in
# the array envs (a function, so that a variable it reads may change from call to call).
as_user() {
	local envs=()
	user_env
	if [ -n "$user" ]; then
		setpriv --reuid "$user" --regid "$user" --init-groups --inh-caps=-all --bounding-set=-all \
			env -i "${envs[@]}" "$@"
	else
		env -i "${envs[@]}" "$@"
	fi
}

# bg_as_user COMMAND... &: as_user, in a background subshell that becomes COMMAND (its pid is $!).
bg_as_user() {
	local envs=()
	user_env
	if [ -n "$user" ]; then
		exec setpriv --reuid "$user" --regid "$user" --init-groups --inh-caps=-all --bounding-set=-all \
			env -i "${envs[@]}" "$@"
	fi
	exec env -i "${envs[@]}" "$@"
}

# runnable_by WHO PROGRAM DIR: a path of PROGRAM that WHO (a user name or uid) can run: PROGRAM
# itself, or, when a directory above it is closed to WHO (a checkout under root's 0700 home, or
# in a 0700 mktemp -d), a copy in DIR/bin, with the templates vfio-setup looks for next to its
# binary in DIR/share/qemu-vm. DIR must be one WHO can reach.
runnable_by() {
	local who=$1 prog=$2 dir=$3
	if setpriv --reuid "$who" --regid "$who" --clear-groups test -x "$prog" 2>/dev/null; then
		echo "$prog"
		return
	fi
	mkdir -p "$dir/bin" "$dir/share/qemu-vm" &&
		cp "$prog" "$dir/bin/" && cp -r udev limits modprobe systemd polkit "$dir/share/qemu-vm/" &&
		chmod -R a+rX "$dir/bin" "$dir/share" && chmod 755 "$dir" || return 1
	echo "$dir/bin/${prog##*/}"
}

# suite_user NAME HOME: as root, the test user NAME with home HOME (the suite skips, exit 77,
# when it cannot be made); otherwise the suite runs as ourselves, and says so.
suite_user() {
	if [ "$(id -u)" -eq 0 ]; then
		if ! test_user_add "$1" "$2"; then
			echo "SKIP: cannot create a test user"
			exit 77
		fi
	else
		echo "note: not root: the supervisor runs as ourselves"
	fi
}

# wait_exit PID: its exit status, waiting at most 30 s; 255 (and SIGKILL) when it does not exit.
wait_exit() {
	for _ in $(seq 300); do
		if ! kill -0 "$1" 2>/dev/null || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ]; then
			wait "$1"
			return
		fi
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 255
}

# launcher_on_host HOST ARGS...: qemu-vm as alice on the fake host $T/hosts/HOST (home $T/home) in
# a fixed environment (DISPLAY from $GOLDEN_DISPLAY when set), stderr with stdout, then "exit N".
launcher_on_host() {
	local host=$1
	shift
	env -i HOME="$T/home" USER=alice XDG_RUNTIME_DIR=/run/user/1000 XDG_CACHE_HOME="$T/cache" \
		${GOLDEN_DISPLAY:+DISPLAY="$GOLDEN_DISPLAY"} PATH=/usr/bin:/bin ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
		UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "$B/qemu-vm" --host-root "$T/hosts/$host" --allow-root "$@" 2>&1
	echo "exit $?"
}

# The suites that run qemu-vm run as the test user, its home $T/home and XDG_RUNTIME_DIR $T/run
# (run-supervise, run-tpm, run-spice):
# vm_state NAME KEY: KEY's value in the supervisor's state file.
vm_state() { sed -n "s/^$2=//p" "$T/run/qemu-vm/$1/state" 2>/dev/null; }
# vm_log NAME: the last run's log.
vm_log() { cat "$T/home/.local/state/qemu-vm/$1/qemu.log" 2>/dev/null; }
# run_dir_empty NAME: nothing left in the VM's run directory.
run_dir_empty() { [ -z "$(ls -A "$T/run/qemu-vm/$1" 2>/dev/null)" ]; }
# start_vm NAME [OPTION...]: its supervisor in the background ($spid, also added to pids), until
# it says the guest runs (60 s); says why not and returns 1 otherwise.
start_vm() {
	local name=$1
	shift
	bg_as_user "$QVM" run "$@" "$name" >"$T/$name.out" 2>&1 </dev/null &
	spid=$!
	pids+=("$spid")
	for _ in $(seq 600); do
		[ "$(vm_state "$name" state)" = running ] && return 0
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	bad "qemu-vm run $* $name did not get the guest running: $(cat "$T/$name.out")"
	return 1
}

# private_bus [as_user]: a private dbus-daemon, run by the test user with as_user, by us
# otherwise; its address in $private_bus_addr, its pid added to pids.
private_bus() {
	local daemon
	daemon=$("$@" dbus-daemon --session --fork --print-address=1 --print-pid=1)
	private_bus_addr=$(sed -n 1p <<<"$daemon")
	pids+=("$(sed -n 2p <<<"$daemon")")
}

# Desktop notifications of a start that fails without a terminal. notify_watch [as_user]: a private
# session bus (dbus-daemon, its address in $notify_addr) and dbus-monitor on it, logging every
# Notify call to $T/monitor.log (no notification server runs: the call itself is what is checked);
# both run by the test user with as_user, by us otherwise, their pids added to pids. Says SKIP and
# returns 1 without dbus-daemon or dbus-monitor.
notify_watch() {
	local fg=() bg=()
	[ "${1:-}" = as_user ] && fg=(as_user) bg=(bg_as_user)
	if ! command -v dbus-daemon >/dev/null || ! command -v dbus-monitor >/dev/null; then
		echo "SKIP: notifications: dbus-daemon or dbus-monitor is not installed (Debian: apt-get install dbus dbus-bin)"
		return 1
	fi
	private_bus "${fg[@]}"
	notify_addr=$private_bus_addr
	"${bg[@]}" dbus-monitor --address "$notify_addr" \
		"type='method_call',interface='org.freedesktop.Notifications'" >"$T/monitor.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do grep -q NameAcquired "$T/monitor.log" 2>/dev/null && break; sleep 0.1; done
}
# notified SUMMARY: the Notify call's lines once SUMMARY is among them (5 s); 1 when it is not.
notified() {
	for _ in $(seq 50); do
		grep -q "string \"$1\"" "$T/monitor.log" && { grep -A3 "string \"$1\"" "$T/monitor.log"; return 0; }
		sleep 0.1
	done
	return 1
}
