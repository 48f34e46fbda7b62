// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for lib/fsutil.c: atomic writes, symlink refusal, exact modes, reads. */
#include "check-main.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "fsutil.h"
#include "util.h"

static char dir[] = "/tmp/test-fsutil.XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

static void teardown(void)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	strcpy(dir, "/tmp/test-fsutil.XXXXXX");
}

static unsigned count_in(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	unsigned n = 0;

	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static unsigned count_entries(void)
{
	return count_in(dir);
}

static int mkdirs(const char *rel)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
	return mkdir_parents(p, 0755);
}

static int open_root(void)
{
	_cleanup_free_ char *p = xasprintf("%s/root", dir);
	int fd;

	ck_assert_int_eq(mkdir_parents(p, 0755), 0);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

START_TEST(write_new_and_replace)
{
	_cleanup_free_ char *p = xasprintf("%s/a.conf", dir);
	_cleanup_free_ char *data = NULL;
	size_t len;
	struct stat st;

	umask(077);
	ck_assert_int_eq(write_file_atomic(p, "one\n", 4, 0644), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(write_file_atomic(p, "two two\n", 8, 0600), 0);
	ck_assert_int_eq(read_file_full(p, &data, &len), 0);
	ck_assert_uint_eq(len, 8);
	ck_assert_str_eq(data, "two two\n");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(count_entries(), 1); /* no temporary file left */
	ck_assert_int_eq(file_kind(p), 1);
}
END_TEST

/* write_file_new: made once with its mode; then refused (-EEXIST) over the file, over a
 * symlink, and nothing else changed or left. */
START_TEST(write_new_never_replaces)
{
	_cleanup_free_ char *p = xasprintf("%s/new.ini", dir), *l = xasprintf("%s/link.ini", dir);
	_cleanup_free_ char *data = NULL;
	size_t len;
	struct stat st;

	ck_assert_int_eq(write_file_new(p, "one\n", 4, 0644), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(write_file_new(p, "two\n", 4, 0644), -EEXIST);
	ck_assert_int_eq(read_file_full(p, &data, &len), 0);
	ck_assert_str_eq(data, "one\n");
	ck_assert_int_eq(symlink("new.ini", l), 0);
	ck_assert_int_eq(write_file_new(l, "two\n", 4, 0644), -EEXIST);
	ck_assert_uint_eq(count_entries(), 2); /* no temporary file left */
}
END_TEST

START_TEST(symlink_refused)
{
	_cleanup_free_ char *target = xasprintf("%s/target", dir);
	_cleanup_free_ char *link = xasprintf("%s/link", dir);
	_cleanup_free_ char *data = NULL;
	size_t len;

	ck_assert_int_eq(write_file_atomic(target, "keep", 4, 0644), 0);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(write_file_atomic(link, "evil", 4, 0644), -ELOOP);
	ck_assert_int_eq(copy_file_atomic(target, link, 0644), -ELOOP);
	ck_assert_int_eq(copy_file_atomic(link, target, 0644), 0); /* the source, only read, is followed */
	ck_assert_int_eq(read_file_full(link, &data, &len), -ELOOP);
	ck_assert_int_eq(remove_file_durable(link), -ELOOP);
	ck_assert_int_eq(file_kind(link), -ELOOP);
	ck_assert_int_eq(read_file_full(target, &data, &len), 0);
	ck_assert_str_eq(data, "keep");
	ck_assert_uint_eq(count_entries(), 2);
}
END_TEST

START_TEST(directory_refused)
{
	_cleanup_free_ char *sub = xasprintf("%s/sub", dir);

	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(write_file_atomic(sub, "x", 1, 0644), -EISDIR);
	ck_assert_int_eq(file_kind(sub), -EINVAL);
	rmdir(sub);
	ck_assert_int_eq(write_file_atomic("", "x", 1, 0644), -EINVAL);
}
END_TEST

/* A FIFO is no directory: -EINVAL, and it stays a FIFO. */
START_TEST(fifo_refused)
{
	_cleanup_free_ char *fifo = xasprintf("%s/fifo", dir);
	_cleanup_free_ char *data = NULL;
	struct stat st;

	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	ck_assert_int_eq(write_file_atomic(fifo, "x", 1, 0644), -EINVAL);
	ck_assert_int_eq(file_kind(fifo), -EINVAL);
	ck_assert_int_eq(read_file_full(fifo, &data, NULL), -EINVAL);
	ck_assert_int_eq(lstat(fifo, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_uint_eq(count_entries(), 1);
}
END_TEST

START_TEST(copy_and_remove)
{
	_cleanup_free_ char *a = xasprintf("%s/a", dir);
	_cleanup_free_ char *b = xasprintf("%s/b", dir);
	_cleanup_free_ char *data = NULL;
	size_t len;
	static const char bin[] = { 'x', 0, 'y', '\n' };

	ck_assert_int_eq(write_file_atomic(a, bin, sizeof(bin), 0640), 0);
	ck_assert_int_eq(copy_file_atomic(a, b, 0644), 0);
	ck_assert_int_eq(read_file_full(b, &data, &len), 0);
	ck_assert_uint_eq(len, sizeof(bin));
	ck_assert_mem_eq(data, bin, sizeof(bin));
	ck_assert_int_eq(remove_file_durable(b), 0);
	ck_assert_int_eq(remove_file_durable(b), -ENOENT);
	ck_assert_int_eq(file_kind(b), 0);
	ck_assert_int_eq(read_file_full(b, &data, &len), -ENOENT);
}
END_TEST

/* ROOT/etc/modprobe.d -> VICTIM and ROOT/var -> VICTIM: no operation beneath ROOT reaches
 * VICTIM, each says -ELOOP and names the symlink. */
START_TEST(beneath_parent_symlink_refused)
{
	_cleanup_close_ int root = open_root();
	_cleanup_free_ char *victim = xasprintf("%s/victim", dir);
	_cleanup_free_ char *l1 = xasprintf("%s/root/etc/modprobe.d", dir);
	_cleanup_free_ char *l2 = xasprintf("%s/root/var", dir);
	_cleanup_free_ char *existing = xasprintf("%s/victim/existing", dir);
	_cleanup_free_ char *where = NULL, *data = NULL;
	struct strv created = { 0 };
	struct stat st;
	int fd = -1;

	ck_assert_int_eq(mkdirs("victim"), 0);
	ck_assert_int_eq(mkdirs("root/etc"), 0);
	ck_assert_int_eq(symlink(victim, l1), 0);
	ck_assert_int_eq(symlink("../victim", l2), 0);
	ck_assert_int_eq(write_file_atomic(existing, "keep", 4, 0644), 0);

	ck_assert_int_eq(write_file_beneath(root, "/etc/modprobe.d/x.conf", "x", 1, 0644, FSUTIL_KEEP_ID,
					    FSUTIL_KEEP_ID),
			 -ELOOP);
	ck_assert_int_eq(lstat_beneath(root, "/etc/modprobe.d/x.conf", &st, &where), -ELOOP);
	ck_assert_str_eq(where, "/etc/modprobe.d");
	free(TAKE_PTR(where));
	ck_assert_int_eq(lstat_beneath(root, "/etc/modprobe.d/existing", &st, &where), -ELOOP);
	ck_assert_str_eq(where, "/etc/modprobe.d");
	free(TAKE_PTR(where));
	ck_assert_int_eq(read_file_beneath(root, "/etc/modprobe.d/existing", &data, NULL, NULL), -ELOOP);
	ck_assert_int_eq(remove_file_beneath(root, "/etc/modprobe.d/existing"), -ELOOP);
	ck_assert_int_eq(rmdir_beneath(root, "/var/lib"), -ELOOP);
	ck_assert_int_eq(open_dir_beneath(root, "/var/lib", &fd, &where), -ELOOP);
	ck_assert_str_eq(where, "/var");
	free(TAKE_PTR(where));
	ck_assert_int_eq(mkdir_beneath(root, "/var/lib/vfio-setup", 0755, &created, &where), -ELOOP);
	ck_assert_str_eq(where, "/var");
	ck_assert_uint_eq(created.n, 0);
	free(TAKE_PTR(where));
	/* The walk stays beneath the root. */
	ck_assert_int_eq(
		write_file_beneath(root, "/../victim/x", "x", 1, 0644, FSUTIL_KEEP_ID, FSUTIL_KEEP_ID),
		-EINVAL);
	ck_assert_int_eq(mkdir_beneath(root, "etc/../../victim/d", 0755, NULL, NULL), -EINVAL);
	/* A file where a directory should be. */
	ck_assert_int_eq(write_file_beneath(root, "/etc/file", "f", 1, 0644, FSUTIL_KEEP_ID, FSUTIL_KEEP_ID),
			 0);
	ck_assert_int_eq(lstat_beneath(root, "/etc/file/x", &st, &where), -ENOTDIR);
	ck_assert_str_eq(where, "/etc/file");

	ck_assert_uint_eq(count_in(victim), 1);
	ck_assert_int_eq(read_file_full(existing, &data, NULL), 0);
	ck_assert_str_eq(data, "keep");
	strv_clear(&created);
}
END_TEST

START_TEST(beneath_write_read_remove)
{
	_cleanup_close_ int root = open_root();
	_cleanup_free_ char *sd = xasprintf("%s/root/var/lib/vfio-setup", dir);
	_cleanup_free_ char *link = xasprintf("%s/root/var/lib/vfio-setup/link", dir);
	_cleanup_free_ char *where = NULL, *data = NULL;
	struct strv created = { 0 };
	struct stat st, rst;
	size_t len;
	int fd = -1;

	umask(022);
	ck_assert_int_eq(mkdir_beneath(root, "/var/lib/vfio-setup", 0700, &created, NULL), 0);
	ck_assert_uint_eq(created.n, 3);
	ck_assert_str_eq(created.v[0], "/var");
	ck_assert_str_eq(created.v[2], "/var/lib/vfio-setup");
	strv_clear(&created);
	ck_assert_int_eq(mkdir_beneath(root, "var/lib/vfio-setup/", 0700, &created, NULL), 0);
	ck_assert_uint_eq(created.n, 0);

	ck_assert_int_eq(write_file_beneath(root, "/var/lib/vfio-setup/manifest", "one\n", 4, 0600,
					    FSUTIL_KEEP_ID, FSUTIL_KEEP_ID),
			 0);
	ck_assert_int_eq(write_file_beneath(root, "/var/lib/vfio-setup/manifest", "two two\n", 8, 0640,
					    FSUTIL_KEEP_ID, FSUTIL_KEEP_ID),
			 0);
	ck_assert_int_eq(read_file_beneath(root, "/var/lib/vfio-setup/manifest", &data, &len, &rst), 0);
	ck_assert_str_eq(data, "two two\n");
	ck_assert_uint_eq(len, 8);
	ck_assert_int_eq(lstat_beneath(root, "/var/lib/vfio-setup/manifest", &st, NULL), 1);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	/* The stat of the file read, the one just renamed into place. */
	ck_assert(S_ISREG(rst.st_mode));
	ck_assert_int_eq(rst.st_mode & 07777, 0640);
	ck_assert_uint_eq(rst.st_ino, st.st_ino);
	ck_assert_uint_eq(rst.st_uid, geteuid());
	ck_assert_uint_eq(count_in(sd), 1); /* no temporary file left */
	ck_assert_int_eq(lstat_beneath(root, "/var/lib/vfio-setup/manifest", &st, NULL), 1);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(lstat_beneath(root, "/var/lib", &st, NULL), 1);
	ck_assert(!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode));
	ck_assert_int_eq(lstat_beneath(root, "/nope/x", &st, NULL), 0);

	/* A symlink as the last component. */
	ck_assert_int_eq(symlink("manifest", link), 0);
	ck_assert_int_eq(write_file_beneath(root, "/var/lib/vfio-setup/link", "x", 1, 0644, FSUTIL_KEEP_ID,
					    FSUTIL_KEEP_ID),
			 -ELOOP);
	ck_assert_int_eq(lstat_beneath(root, "/var/lib/vfio-setup/link", &st, &where), 1);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_ptr_null(where); /* the last component is not on the way */
	ck_assert_int_eq(remove_file_beneath(root, "/var/lib/vfio-setup/link"), -ELOOP);

	ck_assert_int_eq(open_dir_beneath(root, "/var/lib", &fd, NULL), 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(remove_file_beneath(root, "/var/lib/vfio-setup/manifest"), 0);
	ck_assert_int_eq(remove_file_beneath(root, "/var/lib/vfio-setup/manifest"), -ENOENT);
	ck_assert_int_eq(rmdir_beneath(root, "/var/lib/vfio-setup"), -ENOTEMPTY);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(rmdir_beneath(root, "/var/lib/vfio-setup"), 0);
	ck_assert_int_eq(rmdir_beneath(root, "/var/lib/vfio-setup"), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fsutil");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, write_new_and_replace);
	tcase_add_test(tc, write_new_never_replaces);
	tcase_add_test(tc, symlink_refused);
	tcase_add_test(tc, directory_refused);
	tcase_add_test(tc, fifo_refused);
	tcase_add_test(tc, copy_and_remove);
	tcase_add_test(tc, beneath_parent_symlink_refused);
	tcase_add_test(tc, beneath_write_read_remove);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
