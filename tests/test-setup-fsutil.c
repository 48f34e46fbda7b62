// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for lib/fsutil.c: atomic writes, symlink refusal, exact modes, reads. */
#include "check-main.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "fsutil.h"
#include "util.h"

static char dir[] = "/tmp/test-fsutil.XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || streq(de->d_name, "..")))
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	strcpy(dir, "/tmp/test-fsutil.XXXXXX");
}

static unsigned count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
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

int main(void)
{
	Suite *s = suite_create("fsutil");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, write_new_and_replace);
	tcase_add_test(tc, symlink_refused);
	tcase_add_test(tc, directory_refused);
	tcase_add_test(tc, copy_and_remove);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
