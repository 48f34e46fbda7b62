// SPDX-License-Identifier: GPL-2.0-or-later
/* Atomic, symlink-refusing file writes and reads used wherever a program changes a file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fsutil.h"
#include "util.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC)

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

/* The directory of @path, opened the ordinary way (symlinks in it are the caller's business). */
static int open_parent(const char *path, int *ret_fd, const char **ret_base)
{
	_cleanup_free_ char *dir = NULL;
	int r, fd;

	r = split_path(path, &dir, ret_base);
	if (r < 0)
		return r;
	fd = open(dir, DIR_FLAGS);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* Opens the directory @rel beneath @root_fd, walking it one component at a time and never
 * following a symlink. With @create, missing directories are made with @mode and pushed onto
 * @created (when not NULL). */
static int walk_dir(int root_fd, const char *rel, bool create, mode_t mode, struct strv *created, int *ret_fd,
		    char **ret_where)
{
	_cleanup_free_ char *copy = NULL, *sofar = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0;

	while (*rel == '/')
		rel++;
	if (strlen(rel) >= PATH_MAX - 16)
		return -ENAMETOOLONG;
	copy = xstrdup(rel);
	sofar = xmalloc(strlen(rel) + 2);
	sofar[0] = '\0';
	fd = openat(root_fd, ".", DIR_FLAGS);
	if (fd < 0)
		return -errno;
	for (char *s = copy, *next; s && *s; s = next) {
		int nfd;

		next = strchr(s, '/');
		if (next)
			*next++ = '\0';
		if (!*s)
			continue;
		if (streq(s, ".") || streq(s, ".."))
			return -EINVAL;
		len += (size_t)sprintf(sofar + len, "/%s", s);
		nfd = openat(fd, s, DIR_FLAGS | O_NOFOLLOW);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, s, mode) == 0) {
				if (created)
					strv_push(created, sofar);
				(void)fsync(fd);
			} else if (errno != EEXIST)
				return -errno;
			nfd = openat(fd, s, DIR_FLAGS | O_NOFOLLOW);
		}
		if (nfd < 0) {
			int e = errno;
			struct stat st;

			/* O_NOFOLLOW|O_DIRECTORY on a symlink says ENOTDIR or ELOOP: ask lstat. */
			if ((e == ELOOP || e == ENOTDIR) && fstatat(fd, s, &st, AT_SYMLINK_NOFOLLOW) == 0)
				e = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
			if ((e == ELOOP || e == ENOTDIR) && ret_where)
				*ret_where = xstrdup(sofar);
			return -e;
		}
		close(fd);
		fd = nfd;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Opens the parent directory of @rel as walk_dir() does; *@ret_base gets its last component
 * (malloc'd). */
static int walk_parent(int root_fd, const char *rel, int *ret_dfd, char **ret_base, char **ret_where)
{
	_cleanup_free_ char *copy = NULL;
	char *slash, *base, *end;
	int r;

	while (*rel == '/')
		rel++;
	if (strlen(rel) >= PATH_MAX - 16)
		return -ENAMETOOLONG;
	copy = xstrdup(rel);
	for (end = copy + strlen(copy); end > copy && end[-1] == '/';)
		*--end = '\0';
	slash = strrchr(copy, '/');
	base = slash ? slash + 1 : copy;
	if (!*base || streq(base, ".") || streq(base, ".."))
		return -EINVAL;
	if (slash)
		*slash = '\0';
	r = walk_dir(root_fd, slash ? copy : "", false, 0, NULL, ret_dfd, ret_where);
	if (r < 0)
		return r;
	*ret_base = xstrdup(base);
	return 0;
}

/* lstat() classification of @base in @dfd, as file_kind(); *@ret_st (when not NULL) gets the
 * lstat() of what is there. */
static int kind_at(int dfd, const char *base, struct stat *ret_st)
{
	struct stat st;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (ret_st)
		*ret_st = st;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return 1;
}

int file_kind(const char *path)
{
	return kind_at(AT_FDCWD, path, NULL);
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

/* A new file ".BASE.XXXXXXXXXXXX" in @dfd, created with O_EXCL|O_NOFOLLOW, mode 0600. */
static int open_tmp_at(int dfd, const char *base, char **ret_name)
{
	for (unsigned i = 0; i < 64; i++) {
		uint64_t rnd = 0;
		_cleanup_free_ char *name = NULL;
		int fd;

		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
			rnd = ((uint64_t)getpid() << 32) ^ ((uint64_t)i * 0x9e3779b97f4a7c15u);
		name = xasprintf(".%s.%012llx", base, (unsigned long long)(rnd & 0xffffffffffffu));
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			*ret_name = TAKE_PTR(name);
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* Renames @tmp to @base unless something is there: -EEXIST. */
static int rename_noreplace_at(int dfd, const char *tmp, const char *base)
{
	if (renameat2(dfd, tmp, dfd, base, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	/* A file system without RENAME_NOREPLACE: link() refuses to replace as well. */
	if (linkat(dfd, tmp, dfd, base, 0) < 0)
		return -errno;
	(void)unlinkat(dfd, tmp, 0);
	return 0;
}

/* The temporary file, its content and owner, fsync, renameat over @base, fsync of @dfd.
 * @replace: false refuses an existing @base (-EEXIST), also one that appears meanwhile. */
static int write_at(int dfd, const char *base, const void *data, size_t len, mode_t mode, uid_t uid,
		    gid_t gid, bool replace)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	r = kind_at(dfd, base, &st);
	if (r != 0 && !replace)
		return -EEXIST;
	if (r == -EINVAL)
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL; /* a FIFO, socket or device */
	if (r < 0)
		return r;
	fd = open_tmp_at(dfd, base, &tmp);
	if (fd < 0)
		return fd;

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
	/* renameat() replaces a symlink that appeared since the check; it never writes through it. */
	if (r >= 0 && !replace)
		r = rename_noreplace_at(dfd, tmp, base);
	else if (r >= 0 && renameat(dfd, tmp, dfd, base) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dfd, tmp, 0);
		return r;
	}
	if (fsync(dfd) < 0)
		return -errno;
	return 0;
}

/* @follow: O_NOFOLLOW, or 0 for a file that is read only and may be reached by a link. */
static int read_at_flags(int dfd, const char *base, int follow, char **ret, size_t *ret_len,
			 struct stat *ret_st)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0, cap;

	fd = openat(dfd, base, O_RDONLY | O_CLOEXEC | follow | O_NOCTTY | O_NONBLOCK);
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
	if (ret_st)
		*ret_st = st;
	return 0;
}

static int read_at(int dfd, const char *base, char **ret, size_t *ret_len, struct stat *ret_st)
{
	return read_at_flags(dfd, base, O_NOFOLLOW, ret, ret_len, ret_st);
}

static int remove_at(int dfd, const char *base)
{
	int r = kind_at(dfd, base, NULL);

	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	if (unlinkat(dfd, base, 0) < 0)
		return -errno;
	if (fsync(dfd) < 0)
		return -errno;
	return 0;
}

static int write_path(const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid,
		      bool replace)
{
	_cleanup_close_ int dfd = -1;
	const char *base;
	int r;

	r = open_parent(path, &dfd, &base);
	if (r < 0)
		return r;
	return write_at(dfd, base, data, len, mode, uid, gid, replace);
}

int write_file_atomic_owned(const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid)
{
	return write_path(path, data, len, mode, uid, gid, true);
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_file_atomic_owned(path, data, len, mode, (uid_t)FSUTIL_KEEP_ID, (gid_t)FSUTIL_KEEP_ID);
}

int write_file_new(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_path(path, data, len, mode, (uid_t)FSUTIL_KEEP_ID, (gid_t)FSUTIL_KEEP_ID, false);
}

int read_file_full(const char *path, char **ret, size_t *ret_len)
{
	return read_at(AT_FDCWD, path, ret, ret_len, NULL);
}

int copy_file_atomic(const char *src, const char *dst, mode_t mode)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	r = read_at_flags(AT_FDCWD, src, 0, &data, &len, NULL);
	if (r < 0)
		return r;
	return write_file_atomic(dst, data, len, mode);
}

int remove_file_durable(const char *path)
{
	_cleanup_close_ int dfd = -1;
	const char *base;
	int r;

	r = open_parent(path, &dfd, &base);
	if (r < 0)
		return r;
	return remove_at(dfd, base);
}

int lstat_beneath(int root_fd, const char *rel, struct stat *ret_st, char **ret_where)
{
	_cleanup_free_ char *base = NULL;
	_cleanup_close_ int dfd = -1;
	struct stat st;
	int r;

	r = walk_parent(root_fd, rel, &dfd, &base, ret_where);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (ret_st)
		*ret_st = st;
	return 1;
}

int read_file_beneath(int root_fd, const char *rel, char **ret, size_t *ret_len, struct stat *ret_st)
{
	_cleanup_free_ char *base = NULL;
	_cleanup_close_ int dfd = -1;
	int r;

	r = walk_parent(root_fd, rel, &dfd, &base, NULL);
	if (r < 0)
		return r;
	return read_at(dfd, base, ret, ret_len, ret_st);
}

int write_file_beneath(int root_fd, const char *rel, const void *data, size_t len, mode_t mode, uid_t uid,
		       gid_t gid)
{
	_cleanup_free_ char *base = NULL;
	_cleanup_close_ int dfd = -1;
	int r;

	r = walk_parent(root_fd, rel, &dfd, &base, NULL);
	if (r < 0)
		return r;
	return write_at(dfd, base, data, len, mode, uid, gid, true);
}

int remove_file_beneath(int root_fd, const char *rel)
{
	_cleanup_free_ char *base = NULL;
	_cleanup_close_ int dfd = -1;
	int r;

	r = walk_parent(root_fd, rel, &dfd, &base, NULL);
	if (r < 0)
		return r;
	return remove_at(dfd, base);
}

int mkdir_beneath(int root_fd, const char *rel, mode_t mode, struct strv *ret_created, char **ret_where)
{
	_cleanup_close_ int fd = -1;

	return walk_dir(root_fd, rel, true, mode, ret_created, &fd, ret_where);
}

int rmdir_beneath(int root_fd, const char *rel)
{
	_cleanup_free_ char *base = NULL;
	_cleanup_close_ int dfd = -1;
	int r;

	r = walk_parent(root_fd, rel, &dfd, &base, NULL);
	if (r < 0)
		return r;
	if (unlinkat(dfd, base, AT_REMOVEDIR) < 0)
		return errno == EEXIST ? -ENOTEMPTY : -errno;
	if (fsync(dfd) < 0)
		return -errno;
	return 0;
}

int open_dir_beneath(int root_fd, const char *rel, int *ret_fd, char **ret_where)
{
	return walk_dir(root_fd, rel, false, 0, NULL, ret_fd, ret_where);
}

int read_link_name_at(int dfd, const char *name, char *buf, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
	const char *last;
	size_t l;

	if (n < 0)
		return -errno;
	target[n] = '\0';
	last = strrchr(target, '/');
	last = last ? last + 1 : target;
	l = strlen(last);
	if (l >= len)
		return -ENAMETOOLONG;
	memcpy(buf, last, l + 1);
	return 0;
}
