// SPDX-License-Identifier: GPL-2.0-or-later
/* Atomic, symlink-refusing file writes and reads used wherever a program changes a file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fsutil.h"
#include "util.h"

/* Splits @path into a malloc'd directory ("." when none) and a pointer to its last component. */
static int split_path(const char *path, char **ret_dir, const char **ret_base)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;

	if (strempty(path) || !*base || streq(base, ".") || streq(base, ".."))
		return -EINVAL;
	if (strlen(path) >= PATH_MAX - 16)
		return -ENAMETOOLONG;
	if (!slash)
		*ret_dir = xstrdup(".");
	else if (slash == path)
		*ret_dir = xstrdup("/");
	else
		*ret_dir = xstrndup(path, (size_t)(slash - path));
	*ret_base = base;
	return 0;
}

int file_kind(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return 1;
}

static int fsync_dir(const char *dir)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	if (fsync(dfd) < 0)
		return -errno;
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file_atomic_owned(const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
			    gid_t gid)
{
	_cleanup_free_ char *dir = NULL, *tmp = NULL;
	_cleanup_close_ int fd = -1;
	const char *base;
	int r;

	r = split_path(path, &dir, &base);
	if (r < 0)
		return r;
	r = file_kind(path);
	if (r < 0)
		return r == -EINVAL ? -EISDIR : r;

	tmp = xasprintf("%s/.%s.XXXXXX", dir, base);
	fd = mkostemp(tmp, O_CLOEXEC); /* O_CREAT|O_EXCL, mode 0600 */
	if (fd < 0)
		return -errno;

	r = write_all(fd, data, len);
	if (r >= 0 && (uid != (uid_t)FSUTIL_KEEP_ID || gid != (gid_t)FSUTIL_KEEP_ID) &&
	    fchown(fd, uid, gid) < 0)
		r = -errno;
	/* After fchown: chown clears set-id bits. */
	if (r >= 0 && fchmod(fd, mode & 07777) < 0)
		r = -errno;
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	/* rename() replaces a symlink that appeared since the check; it never writes through it. */
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	return fsync_dir(dir);
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_file_atomic_owned(path, data, len, mode, (uid_t)FSUTIL_KEEP_ID,
				       (gid_t)FSUTIL_KEEP_ID);
}

int read_file_full(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0, cap;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno; /* ELOOP for a symlink */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > FSUTIL_MAX_FILE)
		return -EFBIG;
	cap = (size_t)st.st_size + 1;
	buf = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			if (cap > FSUTIL_MAX_FILE)
				return -EFBIG;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int copy_file_atomic(const char *src, const char *dst, mode_t mode)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	r = read_file_full(src, &data, &len);
	if (r < 0)
		return r;
	return write_file_atomic(dst, data, len, mode);
}

int remove_file_durable(const char *path)
{
	_cleanup_free_ char *dir = NULL;
	const char *base;
	int r;

	r = split_path(path, &dir, &base);
	if (r < 0)
		return r;
	r = file_kind(path);
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	if (unlink(path) < 0)
		return -errno;
	return fsync_dir(dir);
}
