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
