// SPDX-License-Identifier: GPL-2.0-or-later
/* A VM's run directory: checking it is the caller's, the lock that makes one instance, the state file. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "fsutil.h"
#include "profile.h"
#include "vmstate.h"

static int check_private(const char *dir, const char *hint, char *why, size_t len)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		int r = -errno;
		snprintf(why, len, "%s: %s", dir, strerror(errno));
		return r;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077)) {
		snprintf(why, len,
			 "%s is not a private directory of yours (%s, owner uid %u, mode %03o) (hint: %s)",
			 dir,
			 S_ISDIR(st.st_mode)   ? "a directory"
			 : S_ISLNK(st.st_mode) ? "a symlink"
					       : "not a directory",
			 (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), hint);
		return -EPERM;
	}
	return 0;
}

int run_dir_check(const char *run_dir, bool fallback, bool create, char *why, size_t len)
{
	_cleanup_free_ char *base = xstrdup(run_dir), *hint = NULL;
	char *end = strstr(base, "/qemu-vm/");
	int r;

	if (!end) {
		snprintf(why, len, "%s: unexpected run directory", run_dir);
		return -EINVAL;
	}
	*end = '\0';
	hint = fallback ? xstrdup("set XDG_RUNTIME_DIR, or remove it")
			: xasprintf("chmod 700 %s, or set XDG_RUNTIME_DIR to a directory of yours", base);
	if (create && fallback && mkdir(base, 0700) < 0 && errno != EEXIST) {
		snprintf(why, len, "%s: %s", base, strerror(errno));
		return -errno;
	}
	r = check_private(base, hint, why, len);
	if (r < 0)
		return r;
	*end = '/';
	/* base/qemu-vm, then base/qemu-vm/NAME */
	for (char *slash = strchr(end + 1, '/');; slash = NULL) {
		if (slash)
			*slash = '\0';
		if (create && mkdir(base, 0700) < 0 && errno != EEXIST) {
			snprintf(why, len, "%s: %s", base, strerror(errno));
			return -errno;
		}
		r = check_private(base, "remove it; qemu-vm run makes it again", why, len);
		if (r < 0)
			return r;
		if (!slash)
			return 0;
		*slash = '/';
	}
}

char *vm_run_file(const char *run_dir, const char *file)
{
	return xasprintf("%s/%s", run_dir, file);
}

static void state_read(const char *run_dir, struct vm_state *ret)
{
	_cleanup_free_ char *path = vm_run_file(run_dir, "state"), *s = NULL;
	char *save = NULL;

	*ret = (struct vm_state){ 0 };
	if (read_small_file(path, &s) < 0)
		return;
	for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned v;
		uint64_t t;
		if (startswith(l, "supervisor=") && parse_uint(l + 11, 10, INT32_MAX, &v) == 0)
			ret->supervisor = (pid_t)v;
		else if (startswith(l, "qemu=") && parse_uint(l + 5, 10, INT32_MAX, &v) == 0)
			ret->qemu = (pid_t)v;
		else if (startswith(l, "state="))
			snprintf(ret->phase, sizeof(ret->phase), "%s", l + 6);
		else if (startswith(l, "since=") && parse_u64(l + 6, 10, &t) == 0)
			ret->since = (long long)t;
	}
}

bool vm_running(const char *run_dir, struct vm_state *ret_state)
{
	_cleanup_free_ char *path = vm_run_file(run_dir, "lock");
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool held;

	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	if (held && ret_state)
		state_read(run_dir, ret_state);
	return held;
}

int vm_lock(const char *run_dir, int *ret_fd, struct vm_state *ret_state)
{
	_cleanup_free_ char *path = vm_run_file(run_dir, "lock");

	/* A list or stop looking holds a shared lock for a moment: try a few times. The last owner
	 * unlinks the file before it lets go, so the lock must still be on the file at the path. */
	for (unsigned tries = 0; tries < 20; tries++) {
		_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		struct stat a, b;

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK)
				return -errno;
			if (tries >= 4) {
				state_read(run_dir, ret_state);
				if (ret_state->supervisor)
					return -EBUSY;
			}
			usleep(10000);
			continue;
		}
		if (fstat(fd, &a) < 0 || stat(path, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
			continue;
		*ret_fd = TAKE_FD(fd);
		return 0;
	}
	state_read(run_dir, ret_state);
	return -EBUSY;
}

char *vm_log_path(const char *name)
{
	_cleanup_free_ char *dir = expand_path("$XDG_STATE_HOME/qemu-vm");

	return dir ? xasprintf("%s/%s/qemu.log", dir, name) : NULL;
}
