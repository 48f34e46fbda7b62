// SPDX-License-Identifier: GPL-2.0-or-later
/* install, uninstall and status: compare what is with what should be, then write in an order
 * that a crash at any point leaves undoable (manifest first, backups before targets). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include "fsutil.h"
#include "manifest.h"
#include "install-plan.h"
#include "udiff.h"

struct change {
	const struct target *t; /* NULL: an entry of an earlier install no longer wanted */
	char *path;
	struct mf_file *mf; /* the earlier install's entry, or NULL */
	bool now_exists, orig_exists, want_exists;
	char *now, *orig, *want;
	size_t now_len, orig_len, want_len;
	char now_hash[SHA256_HEX_LEN], orig_hash[SHA256_HEX_LEN], want_hash[SHA256_HEX_LEN];
	mode_t omode, wmode;
	uid_t ouid, wuid;
	gid_t ogid, wgid;
	bool backed_up; /* a backup with orig_hash is already stored */
};

struct engine {
	const struct setup_opts *o;
	int root_fd; /* every path below is resolved beneath it, symlinks refused */
	struct setup_facts f;
	struct manifest old;
	bool have_old;
	char *old_text;
	struct change ch[PLAN_MAX_TARGETS + MANIFEST_MAX_FILES];
	size_t n;
};

/* Root-relative path in the state directory: SETUP_STATE_DIR SUB PATH. */
static char *state_path(const char *sub, const char *path)
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
static int check_path(const struct engine *e, const char *rel, mode_t type)
{
	_cleanup_free_ char *where = NULL;
	struct stat st;
	int r = lstat_beneath(e->root_fd, rel, &st, &where);

	if (r > 0 && S_ISLNK(st.st_mode)) {
		where = xstrdup(rel);
		r = -ELOOP;
	} else if (r > 0 && (st.st_mode & S_IFMT) != type) {
		setup_log_error("'%s' is a %s, not a %s (hint: move it away)", rel,
				type_name(st.st_mode), type_name(type));
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

static void hash_of(bool exists, const char *data, size_t len, char out[SHA256_HEX_LEN])
{
	if (exists)
		sha256_hex(data, len, out);
	else
		out[0] = '\0';
}

static void engine_free(struct engine *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->ch[i].path);
		free(e->ch[i].now);
		free(e->ch[i].orig);
		free(e->ch[i].want);
	}
	if (e->have_old)
		manifest_free(&e->old);
	free(e->old_text);
	setup_facts_free(&e->f);
	if (e->root_fd >= 0)
		close(e->root_fd);
}

static int engine_init(struct engine *e, const struct setup_opts *o)
{
	_cleanup_free_ char *mpath = state_path("/manifest", NULL);
	_cleanup_free_ char *err = NULL;
	int r;

	*e = (struct engine){ .o = o, .root_fd = -1 };
	setup_facts_read(o, &e->f);
	e->root_fd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (e->root_fd < 0) {
		r = -errno;
		setup_log_error("'%s': %s", o->root, strerror(errno));
		return r;
	}
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
static int load_now(struct engine *e, struct change *c)
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

static bool drifted(const struct change *c)
{
	const struct mf_file *m = c->mf;

	return m && !streq(c->now_hash, m->installed) && !(*m->alt && streq(c->now_hash, m->alt)) &&
	       !streq(c->now_hash, m->orig);
}

/* The content before the first install: the backup, or the file itself when it still is. */
static int load_orig(struct engine *e, struct change *c)
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
		sha256_hex(c->orig, c->orig_len, h);
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

static bool change_needed(const struct change *c)
{
	return !same_content(c->now_exists, c->now, c->now_len, c->want_exists, c->want,
			     c->want_len);
}

/* Every write goes through here (@rel beneath the root): the crash tests count them. */
static int put_file(const struct engine *e, const char *rel, bool exists, const char *data,
		    size_t len, mode_t mode, uid_t uid, gid_t gid)
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

static int put_state(const struct engine *e, const char *sub, const char *path,
		     const char *data, size_t len)
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

static void print_diff(const char *path, const char *a, size_t alen, const char *b, size_t blen)
{
	_cleanup_free_ char *la = xasprintf("a%s", path), *lb = xasprintf("b%s", path);

	if (udiff(stdout, la, a, alen, lb, b, blen) < 0)
		printf("(%s: too large to show a diff)\n", path);
}

/* Missing parent directories of @path, outermost first, root-relative. */
static void missing_dirs(const struct engine *e, const char *path, struct strv *ret)
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

static bool user_in_group(const struct setup_opts *o, const char *user, const char *group)
{
	char line[8192];
	_cleanup_free_ char *p = NULL;
	_cleanup_fclose_ FILE *fp = NULL;
	size_t n = strlen(group);

	if (!o->root_given) {
		struct group *g = getgrnam(group);
		struct passwd *pw = getpwnam(user);

		if (!g)
			return false;
		if (pw && pw->pw_gid == g->gr_gid)
			return true;
		for (char **m = g->gr_mem; *m; m++)
			if (streq(*m, user))
				return true;
		return false;
	}
	p = under_root(o, "/etc/group");
	fp = fopen(p, "re");
	while (fp && fgets(line, sizeof(line), fp)) {
		char *members;
		if (strncmp(line, group, n) != 0 || line[n] != ':')
			continue;
		members = strrchr(line, ':') + 1;
		members[strcspn(members, "\n")] = '\0';
		for (char *save = NULL, *w = strtok_r(members, ",", &save); w;
		     w = strtok_r(NULL, ",", &save))
			if (streq(w, user))
				return true;
	}
	return false;
}

/* Group and membership tools act on the host, or on --root with their own --root when run as
 * root on a tree that has a user database; otherwise the step is recorded and said. */
static bool can_run_account_tools(const struct setup_opts *o)
{
	_cleanup_free_ char *p = under_root(o, "/etc/group");

	if (!o->root_given)
		return true;
	return geteuid() == 0 && file_kind(p) == 1;
}

static int run_account_tool(const struct setup_opts *o, const char *const *args)
{
	const char *argv[10];
	size_t n = 0;
	int r;

	argv[n++] = args[0];
	if (o->root_given) {
		argv[n++] = "--root";
		argv[n++] = o->root;
	}
	for (size_t i = 1; args[i] && n < ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	r = setup_run(o, argv, true);
	if (r != 0)
		setup_log_error("%s %s: %s", args[0], args[1], r < 0 ? strerror(-r) : "failed");
	return r == 0 ? 0 : -EIO;
}

/* How a command that is only printed is introduced: under --root or in a dry run. NULL when it
 * is to be run. */
static const char *not_run(const struct setup_opts *o, bool dry_run)
{
	return o->root_given ? "not run under --root" : dry_run ? "would run" : NULL;
}

/* /etc/kernel/cmdline reaches a boot entry when kernel-install adds that kernel again; every
 * installed kernel, not only the running one (add-all needs systemd 255). */
static void kernel_install_all(const struct setup_opts *o, const struct setup_facts *f,
			       bool dry_run, int *ret_failed)
{
	const char *say = not_run(o, dry_run);

	if (!f->kernels.n && o->root_given) {
		/* An image build installs this before the kernel, whose entry is made later. */
		setup_log_warning("no kernel in /usr/lib/modules/*/vmlinuz yet: a kernel installed "
				  "into the tree later gets the command line from /etc/kernel/cmdline");
		return;
	}
	if (!f->kernels.n) {
		setup_log_error("no kernel in /usr/lib/modules/*/vmlinuz: no boot entry gets the new "
				"command line (hint: kernel-install add VERSION IMAGE for each kernel)");
		if (!say)
			*ret_failed = 1;
		return;
	}
	for (size_t i = 0; i < f->kernels.n; i++) {
		const char *argv[] = { "kernel-install", "add", f->kernels.v[i],
				       f->kernel_images.v[i], NULL };

		if (say)
			printf("%s: kernel-install add %s %s\n", say, argv[2], argv[3]);
		else if (setup_run(o, argv, false) != 0) {
			setup_log_error("kernel-install add %s failed: its boot entry still has the "
					"old command line (hint: run it again by hand)",
					argv[2]);
			*ret_failed = 1;
		}
	}
}

static void regen_commands(const struct setup_opts *o, const char *initramfs,
			   const char *bootloader, const char *grub_mkconfig,
			   const struct setup_facts *f, bool dry_run, int *ret_failed)
{
	const char *say = not_run(o, dry_run);
	const char *argv[8] = { 0 };

	if (initramfs && !o->no_initramfs) {
		if (streq(initramfs, "mkinitcpio"))
			argv[0] = "mkinitcpio", argv[1] = "-P";
		else if (streq(initramfs, "dracut"))
			argv[0] = "dracut", argv[1] = "--regenerate-all", argv[2] = "--force";
		else if (streq(initramfs, "initramfs-tools"))
			argv[0] = "update-initramfs", argv[1] = "-u", argv[2] = "-k", argv[3] = "all";
		else if (streq(initramfs, "booster"))
			argv[0] = "/usr/lib/booster/regenerate_images";
		if (argv[0]) {
			if (say)
				printf("%s: %s%s%s%s\n", say, argv[0], argv[1] ? " " : "",
				       argv[1] ? argv[1] : "", argv[2] ? " …" : "");
			else if (setup_run(o, argv, false) != 0) {
				setup_log_error("%s failed: the initramfs is not regenerated (hint: run it "
					  "again by hand before rebooting)",
					  argv[0]);
				*ret_failed = 1;
			}
		}
	}
	memset(argv, 0, sizeof(argv));
	if (!bootloader || o->no_cmdline)
		return;
	if (streq(bootloader, "kernel-install")) {
		kernel_install_all(o, f, dry_run, ret_failed);
		return;
	}
	if (streq(bootloader, "grub") && grub_mkconfig) {
		argv[0] = grub_mkconfig;
		if (streq(grub_mkconfig, "grub2-mkconfig"))
			argv[1] = "-o", argv[2] = "/boot/grub2/grub.cfg";
		else if (streq(grub_mkconfig, "grub-mkconfig"))
			argv[1] = "-o", argv[2] = "/boot/grub/grub.cfg";
	}
	if (!argv[0])
		return;
	if (say) {
		printf("%s: %s", say, argv[0]);
		for (size_t i = 1; argv[i]; i++)
			printf(" %s", argv[i]);
		putchar('\n');
		return;
	}
	if (setup_run(o, argv, false) != 0) {
		setup_log_error("%s failed: the boot menu still has the old command line", argv[0]);
		*ret_failed = 1;
	}
}

static void udev_reload(const struct setup_opts *o, bool dry_run)
{
	static const char *const reload[] = { "udevadm", "control", "--reload", NULL };
	static const char *const trigger[] = { "udevadm", "trigger", "--action=change",
					       "--subsystem-match=vfio", "--subsystem-match=kvmfr",
					       "--subsystem-match=usb", "--subsystem-match=input",
					       "--subsystem-match=block", NULL };
	const char *say = not_run(o, dry_run);

	if (say) {
		printf("%s: udevadm control --reload; udevadm trigger (vfio kvmfr usb input block)\n",
		       say);
		return;
	}
	if (setup_run(o, (const char *const *)reload, false) != 0 ||
	    setup_run(o, (const char *const *)trigger, false) != 0)
		setup_log_error("udevadm failed, ignoring: the rules apply from the next boot");
}

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
static void remove_tree(const struct engine *e, const char *rel, bool self)
{
	int fd;

	if (open_dir_beneath(e->root_fd, rel, &fd, NULL) < 0 || empty_dir(fd) < 0)
		return;
	if (self)
		(void)rmdir_beneath(e->root_fd, rel);
}

/* Removes SUB of the state directory (/orig, /new) with all it holds. */
static void remove_state_tree(const struct engine *e, const char *sub)
{
	_cleanup_free_ char *p = state_path(sub, NULL);

	remove_tree(e, p, true);
}

/* Where a missing state directory is put together, in the deepest parent that exists. */
#define STATE_TMP ".vfio-setup.new"

/* Removes what a crash left of put_first_manifest(): STATE_TMP in any parent of the state
 * directory. */
static void remove_stale_tmp(const struct engine *e)
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
static int put_first_manifest(const struct engine *e, const char *text)
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

int setup_cmd_install(const struct setup_opts *o)
{
	struct engine e;
	struct setup_plan p = { 0 };
	struct strv errors = { 0 }, dirs = { 0 };
	struct manifest m = { 0 };
	_cleanup_free_ char *pre_text = NULL, *final_text = NULL;
	bool files_change = false, group_todo = false, any_drift = false;
	struct strv users_todo = { 0 };
	int r, failed = 0;

	r = engine_init(&e, o);
	if (r < 0)
		goto out;
	r = install_plan_build(o, &e.f, &p, &errors);
	if (r < 0) {
		for (size_t i = 0; i < errors.n; i++)
			setup_log_error("%s", errors.v[i]);
		setup_log_error("nothing was changed");
		goto out;
	}

	/* What is there, what was there before the first install, what should be there. */
	for (size_t i = 0; i < p.n_targets; i++) {
		struct change *c = &e.ch[e.n++];
		_cleanup_free_ char *err = NULL;

		c->t = &p.targets[i];
		c->path = xstrdup(p.targets[i].path);
		if (!manifest_path_ok(c->path)) {
			setup_log_error("'%s': not a path vfio-setup writes", c->path);
			r = -EINVAL;
			goto out;
		}
		c->mf = e.have_old ? manifest_find(&e.old, c->path) : NULL;
		r = load_now(&e, c);
		if (r >= 0)
			r = load_orig(&e, c);
		if (r < 0)
			goto out;
		r = install_plan_content(c->t, &p, &e.f, c->orig_exists ? c->orig : NULL, &c->want, &err);
		if (r < 0) {
			setup_log_error("'%s': %s", c->path, err ? err : strerror(-r));
			goto out;
		}
		c->want_exists = true;
		c->want_len = strlen(c->want);
		if (c->orig_exists)
			c->wmode = c->omode, c->wuid = c->ouid, c->wgid = c->ogid;
		else
			c->wmode = 0644, c->wuid = geteuid(), c->wgid = getegid();
	}
	for (size_t i = 0; e.have_old && i < e.old.n_files; i++) {
		struct mf_file *mf = &e.old.files[i];
		bool wanted = false;

		for (size_t j = 0; j < p.n_targets && !wanted; j++)
			wanted = streq(p.targets[j].path, mf->path);
		if (wanted)
			continue;
		struct change *c = &e.ch[e.n++];
		c->path = xstrdup(mf->path);
		c->mf = mf;
		r = load_now(&e, c);
		if (r >= 0)
			r = load_orig(&e, c);
		if (r < 0)
			goto out;
		c->want_exists = c->orig_exists;
		if (c->orig_exists) {
			c->want = xmalloc(c->orig_len + 1);
			memcpy(c->want, c->orig, c->orig_len + 1);
			c->want_len = c->orig_len;
		}
		c->wmode = c->omode, c->wuid = c->ouid, c->wgid = c->ogid;
	}
	for (size_t i = 0; i < e.n; i++) {
		struct change *c = &e.ch[i];
		hash_of(c->want_exists, c->want, c->want_len, c->want_hash);
		if (drifted(c) && change_needed(c)) {
			setup_log_error("'%s' was changed after vfio-setup installed it%s", c->path,
				  o->force ? "; --force: replacing it" : "");
			any_drift = true;
		}
		files_change |= change_needed(c);
	}
	if (any_drift && !o->force) {
		setup_log_error("refusing to overwrite changes made by hand (hint: vfio-setup status shows "
			  "them; --force replaces them)");
		r = -EEXIST;
		goto out;
	}
	/* Where backups and copies will go: no symlink on the way there either. */
	for (size_t i = 0; i < e.n; i++) {
		_cleanup_free_ char *b = state_path("/orig", e.ch[i].path);
		_cleanup_free_ char *n = state_path("/new", e.ch[i].path);

		r = check_path(&e, b, S_IFREG);
		if (r >= 0)
			r = check_path(&e, n, S_IFREG);
		if (r < 0)
			goto out;
	}

	/* The new manifest. */
	m.group = xstrdup(p.group);
	if (e.have_old && e.old.group && streq(e.old.group, p.group) &&
	    e.old.group_state != GROUP_RECORDED)
		m.group_state = e.old.group_state;
	else {
		int g = group_exists(o, p.group);
		if (g > 0)
			m.group_state = GROUP_EXISTED;
		else if (can_run_account_tools(o)) {
			m.group_state = GROUP_CREATED;
			group_todo = true;
		} else
			m.group_state = GROUP_RECORDED;
	}
	if (e.have_old)
		for (size_t i = 0; i < e.old.users_added.n; i++)
			strv_push(&m.users_added, e.old.users_added.v[i]);
	for (size_t i = 0; i < p.users.n; i++) {
		const char *u = p.users.v[i];
		if (strv_contains(&m.users_added, u))
			continue;
		if (m.group_state == GROUP_RECORDED || !can_run_account_tools(o))
			strv_push(&m.users_recorded, u);
		else if (group_todo || !user_in_group(o, u, p.group)) {
			strv_push(&m.users_added, u);
			strv_push(&users_todo, u);
		}
	}
	for (size_t i = 0; i < p.params.n && p.bootloader; i++)
		strv_push(&m.params, p.params.v[i]);
	for (size_t i = 0; i < p.ids.n; i++)
		strv_push(&m.ids, p.ids.v[i]);
	if (p.initramfs)
		strv_pushf(&m.regen, "initramfs %s", p.initramfs);
	if (p.bootloader)
		strv_pushf(&m.regen, "bootloader %s", p.bootloader);
	if (e.have_old)
		for (size_t i = 0; i < e.old.dirs.n; i++)
			strv_push(&m.dirs, e.old.dirs.v[i]);
	/* In a bare root, /var and /var/lib too: made with the state directory, recorded before. */
	missing_dirs(&e, SETUP_STATE_DIR, &dirs);
	for (size_t i = 0; i < e.n; i++)
		if (e.ch[i].want_exists && change_needed(&e.ch[i]))
			missing_dirs(&e, e.ch[i].path, &dirs);
	for (size_t i = 0; i < dirs.n; i++)
		if (!strv_contains(&m.dirs, dirs.v[i]))
			strv_push(&m.dirs, dirs.v[i]);
	for (size_t i = 0; i < e.n; i++) {
		const struct change *c = &e.ch[i];
		struct mf_file *f;

		if (!c->t && !change_needed(c))
			continue; /* restored already: dropped from the manifest */
		f = manifest_add(&m, c->path);
		memcpy(f->orig, c->orig_hash, SHA256_HEX_LEN);
		memcpy(f->installed, c->want_hash, SHA256_HEX_LEN);
		if (c->mf && !streq(c->mf->installed, c->want_hash))
			memcpy(f->alt, c->mf->installed, SHA256_HEX_LEN);
		f->mode = c->orig_exists ? c->omode : c->wmode;
		f->uid = c->orig_exists ? c->ouid : c->wuid;
		f->gid = c->orig_exists ? c->ogid : c->wgid;
	}
	pre_text = manifest_format(&m);
	for (size_t i = 0; i < m.n_files; i++)
		m.files[i].alt[0] = '\0';
	{
		/* Entries being restored leave the final manifest. */
		size_t k = 0;
		for (size_t i = 0; i < m.n_files; i++) {
			bool restore = false;
			for (size_t j = 0; j < e.n; j++)
				if (!e.ch[j].t && streq(e.ch[j].path, m.files[i].path))
					restore = true;
			if (restore)
				free(m.files[i].path);
			else
				m.files[k++] = m.files[i];
		}
		m.n_files = k;
	}
	final_text = manifest_format(&m);

	for (size_t i = 0; i < p.notes.n; i++)
		printf("note: %s\n", p.notes.v[i]);
	if (!files_change && !group_todo && !users_todo.n && e.old_text &&
	    streq(e.old_text, final_text)) {
		printf("nothing to change: vfio-setup is installed with these settings\n");
		r = 0;
		goto out;
	}

	if (o->dry_run) {
		for (size_t i = 0; i < e.n; i++)
			if (change_needed(&e.ch[i]))
				print_diff(e.ch[i].path, e.ch[i].now_exists ? e.ch[i].now : NULL,
					   e.ch[i].now_len, e.ch[i].want_exists ? e.ch[i].want : NULL,
					   e.ch[i].want_len);
		if (group_todo)
			printf("would run: groupadd --system %s\n", p.group);
		for (size_t i = 0; i < users_todo.n; i++)
			printf("would run: usermod -a -G %s %s\n", p.group, users_todo.v[i]);
		if (m.group_state == GROUP_RECORDED)
			printf("would record: group '%s' to be created%s\n", p.group,
			       m.users_recorded.n ? " with its members" : "");
		printf("would record: %zu file(s) in " SETUP_STATE_DIR "/manifest\n", m.n_files);
		if (files_change) {
			udev_reload(o, true);
			regen_commands(o, p.initramfs, p.bootloader, p.grub_mkconfig, &e.f, true,
				       &failed);
		}
		printf("dry run: nothing was written\n");
		r = 0;
		goto out;
	}

	/* 1. the manifest, listing both possible contents of every file about to change */
	remove_stale_tmp(&e);
	if (!e.old_text || !streq(e.old_text, pre_text)) {
		r = put_first_manifest(&e, pre_text);
		if (r < 0) {
			setup_log_error(SETUP_STATE_DIR "/manifest: %s", strerror(-r));
			goto out;
		}
	}
	/* 2. directories, backups of originals, copies of what is installed */
	for (size_t i = 0; i < dirs.n; i++) {
		crash_hook_before_write();
		r = mkdir_beneath(e.root_fd, dirs.v[i], 0755, NULL, NULL);
		if (r < 0) {
			setup_log_error("'%s': %s", dirs.v[i], strerror(-r));
			goto out;
		}
	}
	for (size_t i = 0; i < e.n; i++) {
		struct change *c = &e.ch[i];
		if (!change_needed(c))
			continue;
		if (c->orig_exists && !c->backed_up) {
			r = put_state(&e, "/orig", c->path, c->orig, c->orig_len);
			if (r < 0) {
				setup_log_error("backup of '%s': %s", c->path, strerror(-r));
				goto out;
			}
		}
		if (c->t) {
			r = put_state(&e, "/new", c->path, c->want, c->want_len);
			if (r < 0) {
				setup_log_error("copy of '%s': %s", c->path, strerror(-r));
				goto out;
			}
		}
	}
	/* 3. the targets */
	for (size_t i = 0; i < e.n; i++) {
		struct change *c = &e.ch[i];

		if (!change_needed(c))
			continue;
		r = put_file(&e, c->path, c->want_exists, c->want, c->want_len, c->wmode, c->wuid,
			     c->wgid);
		if (r < 0) {
			setup_log_error("'%s': %s%s", c->path, strerror(-r),
				  r == -ELOOP ? " (a symlink: refusing to follow it)" : "");
			goto out;
		}
		printf("%s %s\n", !c->t ? (c->want_exists ? "restored" : "removed") :
				  c->now_exists ? "updated" : "created",
		       c->path);
	}
	/* 4. state of entries no longer wanted, then the final manifest */
	for (size_t i = 0; i < e.n; i++) {
		if (e.ch[i].t)
			continue;
		_cleanup_free_ char *b = state_path("/orig", e.ch[i].path);
		_cleanup_free_ char *n = state_path("/new", e.ch[i].path);
		crash_hook_before_write();
		(void)remove_file_beneath(e.root_fd, b);
		(void)remove_file_beneath(e.root_fd, n);
	}
	if (!streq(pre_text, final_text)) {
		_cleanup_free_ char *mp = state_path("/manifest", NULL);
		r = put_file(&e, mp, true, final_text, strlen(final_text), 0600, geteuid(),
			     getegid());
		if (r < 0) {
			setup_log_error(SETUP_STATE_DIR "/manifest: %s", strerror(-r));
			goto out;
		}
	}

	/* 5. accounts and the programs that make it take effect */
	if (group_todo &&
	    run_account_tool(o, (const char *[]){ "groupadd", "--system", p.group, NULL }) < 0)
		failed = 1;
	for (size_t i = 0; i < users_todo.n; i++)
		if (run_account_tool(o, (const char *[]){ "usermod", "-a", "-G", p.group,
							  users_todo.v[i], NULL }) < 0)
			failed = 1;
	if (m.group_state == GROUP_RECORDED)
		printf("recorded, not done under --root (no user database there): groupadd --system "
		       "%s%s\n",
		       p.group, m.users_recorded.n ? " and the members" : "");
	if (files_change) {
		udev_reload(o, false);
		regen_commands(o, p.initramfs, p.bootloader, p.grub_mkconfig, &e.f, false, &failed);
	}
	printf("installed; %s\n", o->root_given ? "the tree is ready" :
			      "reboot, then check with: qemu-vm check NAME");
	r = failed ? -EIO : 0;
out:
	strv_clear(&errors);
	strv_clear(&dirs);
	strv_clear(&users_todo);
	manifest_free(&m);
	install_plan_free(&p);
	engine_free(&e);
	return r < 0 ? 1 : 0;
}

int setup_cmd_uninstall(const struct setup_opts *o)
{
	struct engine e;
	bool any_drift = false, any_change = false;
	int r, failed = 0;
	const char *initramfs = NULL, *bootloader = NULL;

	r = engine_init(&e, o);
	if (r < 0)
		goto out;
	if (!e.have_old) {
		struct stat st;

		if (lstat_beneath(e.root_fd, SETUP_STATE_DIR, &st, NULL) > 0 && S_ISDIR(st.st_mode) &&
		    !o->dry_run) {
			/* An uninstall stopped after removing the manifest: finish it. */
			remove_tree(&e, SETUP_STATE_DIR, true);
		}
		if (!o->dry_run)
			remove_stale_tmp(&e); /* an install stopped before its first manifest */
		printf("nothing to uninstall: no " SETUP_STATE_DIR "/manifest\n");
		r = 0;
		goto out;
	}
	for (size_t i = 0; i < e.old.n_files; i++) {
		struct change *c = &e.ch[e.n++];
		c->path = xstrdup(e.old.files[i].path);
		c->mf = &e.old.files[i];
		r = load_now(&e, c);
		if (r < 0)
			goto out;
		if (drifted(c)) {
			_cleanup_free_ char *np = state_path("/new", c->path);
			_cleanup_free_ char *inst = NULL;
			size_t len = 0;

			any_drift = true;
			setup_log_error("'%s' was changed after install%s:", c->path,
				  o->force ? "; --force: restoring the original anyway" : "");
			if (read_file_beneath(e.root_fd, np, &inst, &len, NULL) >= 0)
				print_diff(c->path, inst, len, c->now_exists ? c->now : NULL, c->now_len);
		}
		r = load_orig(&e, c);
		if (r < 0 && !(streq(c->now_hash, c->orig_hash)))
			goto out;
		c->want_exists = c->orig_exists;
		if (c->orig_exists && c->orig) {
			c->want = xmalloc(c->orig_len + 1);
			memcpy(c->want, c->orig, c->orig_len + 1);
			c->want_len = c->orig_len;
		}
		c->wmode = c->omode, c->wuid = c->ouid, c->wgid = c->ogid;
		any_change |= change_needed(c);
	}
	if (any_drift && !o->force) {
		setup_log_error("refusing to undo files changed by hand; nothing was changed (hint: keep "
			  "your change by copying it elsewhere, then vfio-setup uninstall --force)");
		r = -EEXIST;
		goto out;
	}
	for (size_t i = 0; i < e.old.regen.n; i++) {
		if (startswith(e.old.regen.v[i], "initramfs "))
			initramfs = e.old.regen.v[i] + strlen("initramfs ");
		else if (startswith(e.old.regen.v[i], "bootloader "))
			bootloader = e.old.regen.v[i] + strlen("bootloader ");
	}

	if (o->dry_run) {
		for (size_t i = e.n; i-- > 0;)
			if (change_needed(&e.ch[i]))
				print_diff(e.ch[i].path, e.ch[i].now_exists ? e.ch[i].now : NULL,
					   e.ch[i].now_len, e.ch[i].want_exists ? e.ch[i].want : NULL,
					   e.ch[i].want_len);
		for (size_t i = 0; i < e.old.users_added.n && e.old.group_state != GROUP_CREATED; i++)
			printf("would run: gpasswd -d %s %s\n", e.old.users_added.v[i], e.old.group);
		if (e.old.group_state == GROUP_CREATED)
			printf("would run: groupdel %s\n", e.old.group);
		if (any_change) {
			udev_reload(o, true);
			regen_commands(o, initramfs, bootloader, e.f.grub_mkconfig, &e.f, true, &failed);
		}
		printf("dry run: nothing was written\n");
		r = 0;
		goto out;
	}

	for (size_t i = e.n; i-- > 0;) {
		struct change *c = &e.ch[i];

		if (!change_needed(c))
			continue;
		if (c->want_exists && !c->orig) {
			setup_log_error("'%s': no backup to restore from", c->path);
			r = -EIO;
			goto out;
		}
		r = put_file(&e, c->path, c->want_exists, c->want, c->want_len, c->wmode, c->wuid,
			     c->wgid);
		if (r < 0) {
			setup_log_error("'%s': %s", c->path, strerror(-r));
			goto out;
		}
		printf("%s %s\n", c->want_exists ? "restored" : "removed", c->path);
	}

	if (e.old.group_state == GROUP_CREATED && can_run_account_tools(o)) {
		if (group_exists(o, e.old.group) > 0 &&
		    run_account_tool(o, (const char *[]){ "groupdel", e.old.group, NULL }) < 0)
			failed = 1;
	} else if (e.old.group_state != GROUP_RECORDED && can_run_account_tools(o)) {
		for (size_t i = 0; i < e.old.users_added.n; i++)
			if (user_in_group(o, e.old.users_added.v[i], e.old.group) &&
			    run_account_tool(o, (const char *[]){ "gpasswd", "-d",
								  e.old.users_added.v[i],
								  e.old.group, NULL }) < 0)
				failed = 1;
	}
	if (any_change) {
		udev_reload(o, false);
		regen_commands(o, initramfs, bootloader, e.f.grub_mkconfig, &e.f, false, &failed);
	}

	/* Backups go first: once the files are restored a rerun needs none of them. */
	remove_state_tree(&e, "/orig");
	remove_state_tree(&e, "/new");
	{
		_cleanup_free_ char *mp = state_path("/manifest", NULL);

		crash_hook_before_write();
		r = remove_file_beneath(e.root_fd, mp);
		if (r < 0 && r != -ENOENT) {
			setup_log_error(SETUP_STATE_DIR "/manifest: %s", strerror(-r));
			goto out;
		}
		remove_tree(&e, SETUP_STATE_DIR, true);
		/* After the state directory: /var/lib may be one of them. */
		for (size_t i = e.old.dirs.n; i-- > 0;)
			/* only when empty: anything added since stays */
			(void)rmdir_beneath(e.root_fd, e.old.dirs.v[i]);
	}
	printf("uninstalled%s\n", o->root_given ? "" : "; reboot to return to the host drivers");
	r = failed ? -EIO : 0;
out:
	engine_free(&e);
	return r < 0 ? 1 : 0;
}

int setup_cmd_status(const struct setup_opts *o)
{
	struct engine e;
	struct pci_host pci = { 0 };
	unsigned problems = 0;
	int r;

	r = engine_init(&e, o);
	if (r < 0) {
		engine_free(&e);
		return 1;
	}
	if (!e.have_old) {
		printf("not installed (hint: sudo vfio-setup install --user NAME --device BDF)\n");
		engine_free(&e);
		return 3;
	}
	printf("installed: group '%s' (%s)\n", e.old.group ? e.old.group : SETUP_DEFAULT_GROUP,
	       e.old.group_state == GROUP_CREATED  ? "created by install" :
	       e.old.group_state == GROUP_RECORDED ? "recorded only, not created" :
						     "existed before");
	for (size_t i = 0; i < e.old.users_added.n; i++)
		printf("member: %s\n", e.old.users_added.v[i]);
	for (size_t i = 0; i < e.old.users_recorded.n; i++)
		printf("member (recorded only): %s\n", e.old.users_recorded.v[i]);
	for (size_t i = 0; i < e.old.n_files; i++) {
		struct change *c = &e.ch[e.n++];
		const char *state;

		c->path = xstrdup(e.old.files[i].path);
		c->mf = &e.old.files[i];
		if (load_now(&e, c) < 0) {
			problems++;
			continue;
		}
		if (streq(c->now_hash, c->mf->installed))
			state = "ok";
		else if (!c->now_exists)
			state = "MISSING (removed since install)", problems++;
		else if (streq(c->now_hash, c->mf->orig))
			state = "NOT APPLIED (still the original)", problems++;
		else
			state = "CHANGED since install (drift)", problems++;
		printf("%-8s %s: %s\n", *c->mf->orig ? "edited" : "created", c->path, state);
	}
	/* Pending until a reboot: the running kernel's command line and the bound drivers. */
	for (size_t i = 0; i < e.old.params.n; i++) {
		_cleanup_free_ char *cl = e.f.proc_cmdline ? xasprintf(" %s ", e.f.proc_cmdline) : NULL;
		_cleanup_free_ char *w = xasprintf(" %s ", e.old.params.v[i]);
		if (!cl || !strstr(cl, w)) {
			printf("pending: the running kernel was not booted with '%s' (reboot)\n",
			       e.old.params.v[i]);
			problems++;
		}
	}
	if (e.old.ids.n && pci_host_scan_ids(o->root, &pci) >= 0) {
		for (size_t i = 0; i < pci.n; i++) {
			const struct pci_dev_info *d = &pci.dev[i];
			char id[16], b[32];

			snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->device);
			if (!strv_contains(&e.old.ids, id) || (d->driver && streq(d->driver, "vfio-pci")))
				continue;
			printf("pending: %s [%s] is bound to %s, not vfio-pci (reboot)\n",
			       pci_addr_fmt(&d->addr, b, sizeof(b)), id, d->driver ? d->driver : "no driver");
			problems++;
		}
		pci_host_free(&pci);
	}
	if (!problems)
		printf("everything is in place\n");
	engine_free(&e);
	return problems ? 1 : 0;
}
