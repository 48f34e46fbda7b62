// SPDX-License-Identifier: GPL-2.0-or-later
/* The state directory: the first manifest's atomic arrival, and removing trees in it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "engine.h"
#include "fsutil.h"

/* Empties the directory open as @fd (taken over): files are unlinked, subdirectories opened
 * without following a symlink, emptied and removed, each removal fsynced in its parent.
 * -1 when @fd cannot be read. */
static int empty_dir(int fd)
{
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	struct dirent *de;

	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		struct stat st;
		int sub;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			crash_hook_before_write();
			(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0 && empty_dir(sub) == 0 && unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) == 0)
			(void)fsync(dirfd(d));
	}
	return 0;
}

/* Removes the files and directories under @rel (root-relative), and @rel itself with @self. */
void remove_tree(const struct engine *e, const char *rel, bool self)
{
	int fd;

	if (open_dir_beneath(e->root_fd, rel, &fd, NULL) < 0 || empty_dir(fd) < 0)
		return;
	if (self)
		(void)rmdir_beneath(e->root_fd, rel);
}

/* Removes SUB of the state directory (/orig, /new) with all it holds. */
void remove_state_tree(const struct engine *e, const char *sub)
{
	_cleanup_free_ char *p = state_path(sub, NULL);

	remove_tree(e, p, true);
}

/* Where a missing state directory is put together, in the deepest parent that exists. */
#define STATE_TMP ".vfio-setup.new"

/* Removes what a crash left of put_first_manifest(): STATE_TMP in any parent of the state
 * directory. */
void remove_stale_tmp(const struct engine *e)
{
	_cleanup_free_ char *p = xstrdup(SETUP_STATE_DIR);

	for (char *s = strrchr(p, '/'); s; s = s == p ? NULL : strrchr(p, '/')) {
		_cleanup_free_ char *t = NULL;
		struct stat st;

		*s = '\0';
		t = xasprintf("%s/" STATE_TMP, p);
		if (lstat_beneath(e->root_fd, t, &st, NULL) > 0 && S_ISDIR(st.st_mode))
			remove_tree(e, t, true);
	}
}

/* Writes @text as the manifest. When the state directory is missing, its missing parents
 * (/var, /var/lib in a bare root) are listed in @text: so that none of them is ever there
 * without the manifest that records it, the chain is made under STATE_TMP in the deepest
 * parent that exists, the manifest written into it, and the whole renamed into place at once.
 * A crash before the rename leaves only STATE_TMP, which the next run removes: the caller
 * has run remove_stale_tmp() just before. */
int put_first_manifest(const struct engine *e, const char *text)
{
	_cleanup_free_ char *mp = state_path("/manifest", NULL);
	_cleanup_free_ char *top = NULL, *parent = NULL, *tmp = NULL;
	_cleanup_free_ char *tmp_state = NULL, *tmp_manifest = NULL;
	_cleanup_close_ int pfd = -1;
	struct strv missing = { 0 };
	const char *base, *s;
	int r;

	if (lstat_beneath(e->root_fd, SETUP_STATE_DIR, NULL, NULL) > 0)
		return put_file(e, mp, true, text, strlen(text), 0600, geteuid(), getegid());
	/* The outermost missing directory on the way; none is listed when the lstat above failed. */
	missing_dirs(e, mp, &missing);
	top = xstrdup(missing.n ? missing.v[0] : SETUP_STATE_DIR);
	strv_clear(&missing);
	s = strrchr(top, '/');
	base = s + 1;
	parent = xstrndup(top, (size_t)(s - top));
	tmp = xasprintf("%s/" STATE_TMP, parent);
	tmp_state = xasprintf("%s%s", tmp, SETUP_STATE_DIR + strlen(top));
	tmp_manifest = xasprintf("%s/manifest", tmp_state);

	r = mkdir_beneath(e->root_fd, tmp_state, 0755, NULL, NULL);
	if (r >= 0)
		r = put_file(e, tmp_manifest, true, text, strlen(text), 0600, geteuid(), getegid());
	if (r >= 0)
		r = open_dir_beneath(e->root_fd, *parent ? parent : "/", &pfd, NULL);
	if (r < 0)
		return r;
	crash_hook_before_write();
	if (renameat2(pfd, STATE_TMP, pfd, base, RENAME_NOREPLACE) < 0)
		return -errno;
	return fsync(pfd) < 0 ? -errno : 0;
}

/* Is @name a temporary file of a write to @base: ".BASE." and 12 hex digits (fsutil's)? */
static bool is_temp_of(const char *name, const char *base)
{
	size_t b = strlen(base);

	return name[0] == '.' && strncmp(name + 1, base, b) == 0 && name[1 + b] == '.' &&
	       strlen(name + 2 + b) == 12 && strspn(name + 2 + b, "0123456789abcdef") == 12;
}

void remove_stale_temps(const struct engine *e, const char *rel)
{
	_cleanup_free_ char *dir = xstrdup(rel);
	_cleanup_closedir_ DIR *d = NULL;
	char *slash = strrchr(dir, '/');
	const char *base;
	struct dirent *de;
	int fd;

	if (!slash)
		return;
	*slash = '\0';
	base = slash + 1;
	if (open_dir_beneath(e->root_fd, *dir ? dir : "/", &fd, NULL) < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!is_temp_of(de->d_name, base) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		crash_hook_before_write();
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			(void)fsync(dirfd(d));
	}
}

void remove_stale_temps_of(const struct engine *e)
{
	_cleanup_free_ char *mp = state_path("/manifest", NULL);

	remove_stale_temps(e, mp);
	for (size_t i = 0; i < e->n; i++) {
		_cleanup_free_ char *b = state_path("/orig", e->ch[i].path);
		_cleanup_free_ char *n = state_path("/new", e->ch[i].path);

		remove_stale_temps(e, e->ch[i].path);
		remove_stale_temps(e, b);
		remove_stale_temps(e, n);
	}
}
