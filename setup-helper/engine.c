// SPDX-License-Identifier: GPL-2.0-or-later
/* The change engine: what each file is, was before the first install and should be, read and
 * written beneath the root without following a symlink; the commands decide the order. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "engine.h"
#include "fsutil.h"
#include "diff.h"

/* Root-relative path in the state directory: SETUP_STATE_DIR SUB PATH. */
char *state_path(const char *sub, const char *path)
{
	return xasprintf(SETUP_STATE_DIR "%s%s", sub, path ? path : "");
}

static const char *type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "regular file";
	case S_IFDIR:
		return "directory";
	case S_IFIFO:
		return "FIFO";
	case S_IFSOCK:
		return "socket";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	default:
		return "special file";
	}
}

/* @where is a symlink on the way to @rel, or @rel itself, which should be a @type. */
static void say_symlink(const char *where, const char *rel, mode_t type)
{
	setup_log_error("'%s' is a symlink: refusing to follow it (hint: replace it with a %s, or "
			"remove it)",
			where, streq(where, rel) ? type_name(type) : "real directory");
}

/* Refuses @rel when it, or a directory on the way to it, is a symlink or not what it should
 * be (@type: S_IFREG or S_IFDIR); a missing @rel is fine. Nothing is written before these. */
int check_path(const struct engine *e, const char *rel, mode_t type)
{
	_cleanup_free_ char *where = NULL;
	struct stat st;
	int r = lstat_beneath(e->root_fd, rel, &st, &where);

	if (r > 0 && S_ISLNK(st.st_mode)) {
		where = xstrdup(rel);
		r = -ELOOP;
	} else if (r > 0 && (st.st_mode & S_IFMT) != type) {
		setup_log_error("'%s' is a %s, not a %s (hint: move it away)", rel, type_name(st.st_mode),
				type_name(type));
		return -EINVAL;
	}
	if (r == -ELOOP)
		say_symlink(where, rel, type);
	else if (r == -ENOTDIR)
		setup_log_error("'%s': not a directory", where);
	else if (r < 0)
		setup_log_error("'%s': %s", rel, strerror(-r));
	return r < 0 ? r : 0;
}

void hash_of(bool exists, const char *data, size_t len, char out[SHA256_HEX_LEN])
{
	if (exists)
		SHA256Data((const uint8_t *)data, len, out);
	else
		out[0] = '\0';
}

void engine_free(struct engine *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->ch[i].path);
		free(e->ch[i].now);
		free(e->ch[i].orig);
		free(e->ch[i].want);
	}
	free(e->ch);
	if (e->have_old)
		manifest_free(&e->old);
	free(e->old_text);
	setup_facts_free(&e->f);
	if (e->root_fd >= 0)
		close(e->root_fd);
	if (e->lock_fd >= 0)
		close(e->lock_fd);
}

/* The host's lock: a root-only file in /run, which no user can open to hold it. */
#define HOST_LOCK "/run/vfio-setup.lock"

/* One vfio-setup at a time on a root: install, uninstall and status take an exclusive flock,
 * and the second one says so and waits. On the host the lock is HOST_LOCK; under --root the
 * tree's top directory, which its owner controls. A user's status on the host cannot open
 * HOST_LOCK and only reads: it goes on without it. */
static int take_lock(struct engine *e)
{
	const char *what = e->o->root_given ? e->o->root : HOST_LOCK;
	int fd = e->root_fd;

	if (!e->o->root_given) {
		fd = open(HOST_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EACCES && geteuid() != 0)
			return 0;
		if (fd < 0) {
			setup_log_error("'%s': %s", HOST_LOCK, strerror(errno));
			return -errno;
		}
		e->lock_fd = fd;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK) {
		setup_log_error("'%s': cannot lock: %s", what, strerror(errno));
		return -errno;
	}
	fflush(stdout);
	fprintf(stderr, "vfio-setup: waiting for another vfio-setup on '%s' to finish\n", e->o->root);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			setup_log_error("'%s': cannot lock: %s", what, strerror(errno));
			return -errno;
		}
	return 0;
}

int engine_init(struct engine *e, const struct setup_opts *o)
{
	_cleanup_free_ char *mpath = state_path("/manifest", NULL);
	_cleanup_free_ char *err = NULL;
	int r;

	*e = (struct engine){ .o = o, .root_fd = -1, .lock_fd = -1 };
	e->root_fd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (e->root_fd < 0) {
		r = -errno;
		setup_log_error("'%s': %s", o->root, strerror(errno));
		return r;
	}
	r = take_lock(e);
	if (r < 0)
		return r;
	setup_facts_read(o, &e->f);
	/* The manifest and backups are trusted only where they should be. */
	r = check_path(e, SETUP_STATE_DIR, S_IFDIR);
	if (r >= 0)
		r = check_path(e, mpath, S_IFREG);
	if (r < 0)
		return r;
	r = read_file_beneath(e->root_fd, mpath, &e->old_text, NULL, NULL);
	if (r == -ENOENT)
		return 0;
	if (r >= 0)
		r = manifest_parse(e->old_text, &e->old, &err);
	if (r < 0) {
		setup_log_error("%s" SETUP_STATE_DIR "/manifest: %s", o->root_given ? o->root : "",
				err ? err : strerror(-r));
		return r;
	}
	e->have_old = true;
	return 0;
}

/* Reads the target's current state; a symlink or anything but a regular file is refused. */
int load_now(struct engine *e, struct change *c)
{
	struct stat st;
	int r;

	r = check_path(e, c->path, S_IFREG);
	if (r < 0)
		return r;
	/* Mode and owner from the file just read, not from a second walk to the same name. */
	r = read_file_beneath(e->root_fd, c->path, &c->now, &c->now_len, &st);
	c->now_exists = r >= 0;
	if (r < 0 && r != -ENOENT) {
		setup_log_error("'%s': %s", c->path, strerror(-r));
		return r;
	}
	if (c->now_exists) {
		c->omode = st.st_mode & 07777;
		c->ouid = st.st_uid;
		c->ogid = st.st_gid;
	}
	hash_of(c->now_exists, c->now, c->now_len, c->now_hash);
	return 0;
}

bool drifted(const struct change *c)
{
	const struct mf_file *m = c->mf;

	return m && !streq(c->now_hash, m->installed) && !(*m->alt && streq(c->now_hash, m->alt)) &&
	       !streq(c->now_hash, m->orig);
}

/* The content before the first install: the backup, or the file itself when it still is. */
int load_orig(struct engine *e, struct change *c)
{
	_cleanup_free_ char *bp = NULL;
	int r;

	if (!c->mf) {
		c->orig_exists = c->now_exists;
		if (c->now_exists) {
			c->orig = xstrndup(c->now, c->now_len);
			c->orig = xrealloc(c->orig, c->now_len + 1);
			memcpy(c->orig, c->now, c->now_len + 1);
			c->orig_len = c->now_len;
		}
		memcpy(c->orig_hash, c->now_hash, SHA256_HEX_LEN);
		return 0;
	}
	memcpy(c->orig_hash, c->mf->orig, SHA256_HEX_LEN);
	c->orig_exists = *c->mf->orig != '\0';
	c->omode = c->mf->mode;
	c->ouid = c->mf->uid;
	c->ogid = c->mf->gid;
	if (!c->orig_exists)
		return 0;
	bp = state_path("/orig", c->path);
	r = read_file_beneath(e->root_fd, bp, &c->orig, &c->orig_len, NULL);
	if (r >= 0) {
		char h[SHA256_HEX_LEN];
		hash_of(true, c->orig, c->orig_len, h);
		if (streq(h, c->orig_hash)) {
			c->backed_up = true;
			return 0;
		}
		free(c->orig);
		c->orig = NULL;
	}
	if (streq(c->now_hash, c->orig_hash)) {
		c->orig = xmalloc(c->now_len + 1);
		memcpy(c->orig, c->now, c->now_len + 1);
		c->orig_len = c->now_len;
		return 0;
	}
	setup_log_error("'%s': the backup of the original is missing or damaged (%s)", c->path, bp);
	return -EIO;
}

static bool same_content(bool ea, const char *a, size_t la, bool eb, const char *b, size_t lb)
{
	return ea == eb && (!ea || (la == lb && memcmp(a, b, la) == 0));
}

bool change_needed(const struct change *c)
{
	return !same_content(c->now_exists, c->now, c->now_len, c->want_exists, c->want, c->want_len);
}

/* Every write goes through here (@rel beneath the root): the crash tests count them. */
int put_file(const struct engine *e, const char *rel, bool exists, const char *data, size_t len, mode_t mode,
	     uid_t uid, gid_t gid)
{
	int r;

	crash_hook_before_write();
	/* An unprivileged --root run (an image build) cannot give files away: it owns the tree. */
	if (e->o->root_given && geteuid() != 0)
		uid = geteuid(), gid = getegid();
	if (!exists) {
		r = remove_file_beneath(e->root_fd, rel);
		return r == -ENOENT ? 0 : r;
	}
	return write_file_beneath(e->root_fd, rel, data, len, mode,
				  uid == geteuid() ? (uid_t)FSUTIL_KEEP_ID : uid,
				  gid == getegid() ? (gid_t)FSUTIL_KEEP_ID : gid);
}

int put_state(const struct engine *e, const char *sub, const char *path, const char *data, size_t len)
{
	_cleanup_free_ char *p = state_path(sub, path);
	_cleanup_free_ char *dir = xstrdup(p);
	int r;

	*strrchr(dir, '/') = '\0';
	r = mkdir_beneath(e->root_fd, dir, 0700, NULL, NULL);
	if (r < 0)
		return r;
	return put_file(e, p, true, data, len, 0600, geteuid(), getegid());
}

void print_diff(const char *path, const char *a, size_t alen, const char *b, size_t blen)
{
	_cleanup_free_ char *la = xasprintf("a%s", path), *lb = xasprintf("b%s", path);

	fflush(stdout);
	if (show_diff(STDOUT_FILENO, la, a, alen, lb, b, blen) < 0)
		printf("(%s: diff could not show the change)\n", path);
}

/* Missing parent directories of @path, outermost first, root-relative. */
void missing_dirs(const struct engine *e, const char *path, struct strv *ret)
{
	_cleanup_free_ char *p = xstrdup(path);
	struct strv found = { 0 };

	for (char *s = strrchr(p, '/'); s && s != p; s = strrchr(p, '/')) {
		*s = '\0';
		if (lstat_beneath(e->root_fd, p, NULL, NULL) != 0)
			break;
		strv_push(&found, p);
	}
	for (size_t i = found.n; i-- > 0;)
		if (!strv_contains(ret, found.v[i]))
			strv_push(ret, found.v[i]);
	strv_clear(&found);
}

int put_manifest(const struct engine *e, const char *text)
{
	_cleanup_free_ char *mp = state_path("/manifest", NULL);
	int r = put_file(e, mp, true, text, strlen(text), 0600, geteuid(), getegid());

	if (r < 0)
		setup_log_error(SETUP_STATE_DIR "/manifest: %s", strerror(-r));
	return r;
}

int put_change(const struct engine *e, const struct change *c)
{
	int r = 0;

	if (drifted(c))
		r = keep_user_version(e, c);
	if (r >= 0)
		r = put_file(e, c->path, c->want_exists, c->want, c->want_len, c->wmode, c->wuid, c->wgid);
	if (r < 0)
		setup_log_error("'%s': %s%s", c->path, strerror(-r),
				r == -ELOOP ? " (a symlink: refusing to follow it)" : "");
	return r;
}

int keep_user_version(const struct engine *e, const struct change *c)
{
	_cleanup_free_ char *kept = xasprintf("%s" KEPT_SUFFIX, c->path);
	int r;

	if (!c->now_exists)
		return 0;
	r = put_file(e, kept, true, c->now, c->now_len, 0600, geteuid(), getegid());
	if (r < 0) {
		setup_log_error("'%s': %s", kept, strerror(-r));
		return r;
	}
	printf("kept your version of %s as %s\n", c->path, kept);
	return 0;
}

struct change *engine_add(struct engine *e)
{
	if (e->n == e->n_alloc) {
		e->n_alloc = e->n_alloc ? e->n_alloc * 2 : 32;
		e->ch = xrealloc(e->ch, e->n_alloc * sizeof(*e->ch));
	}
	e->ch[e->n] = (struct change){ 0 };
	return &e->ch[e->n++];
}
