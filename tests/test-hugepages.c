// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for huge pages on demand: the book, shortfall and release arithmetic, and growing
 * and shrinking a fake sysfs pool whose kernel grants only part of what is asked. */
#include "check-main.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fsutil.h"
#include "hugepages.h"

/* A fake kernel over a fake sysfs tree with a 2M and a 1G pool: after each write of a pool's
 * nr_hugepages it grants at most @limit pages in that pool (fragmented memory) and keeps
 * free_hugepages right. */
#define SIZE_2M 2048
#define SIZE_1G 1048576
struct fake {
	char root[64];
	struct huge_sysfs sys;
	struct huge_io real, io;
	uint64_t limit;
	unsigned writes;
};

static void put_in(struct fake *k, uint64_t size_kb, const char *file, uint64_t v)
{
	_cleanup_free_ char *p = xasprintf("%s/hugepages-%" PRIu64 "kB/%s", k->sys.dir, size_kb, file),
			    *s = xasprintf("%" PRIu64 "\n", v);
	ck_assert_int_eq(write_file_atomic(p, s, strlen(s), 0644), 0);
}

static void put(struct fake *k, const char *file, uint64_t v)
{
	put_in(k, SIZE_2M, file, v);
}

static int fake_read(void *ud, uint64_t size_kb, struct huge_counts *ret)
{
	struct fake *k = ud;
	return k->real.read(k->real.ud, size_kb, ret);
}

static int fake_write(void *ud, uint64_t size_kb, uint64_t nr)
{
	struct fake *k = ud;
	struct huge_counts before, after;
	uint64_t used;

	ck_assert_int_eq(k->real.read(k->real.ud, size_kb, &before), 0);
	/* the real write, into the file */
	ck_assert_int_eq(k->real.write_nr(k->real.ud, size_kb, nr), 0);
	ck_assert_int_eq(k->real.read(k->real.ud, size_kb, &after), 0);
	k->writes++;
	used = before.nr - before.free;
	if (after.nr > k->limit)
		after.nr = k->limit > before.nr ? k->limit : before.nr;
	if (after.nr < used) /* pages in use stay (the kernel makes them surplus) */
		after.nr = used;
	put_in(k, size_kb, "nr_hugepages", after.nr);
	put_in(k, size_kb, "free_hugepages", after.nr - used);
	return 0;
}

static void fake_init(struct fake *k, uint64_t nr, uint64_t free, uint64_t limit)
{
	_cleanup_free_ char *dir = NULL;

	*k = (struct fake){ .limit = limit };
	snprintf(k->root, sizeof(k->root), "/tmp/test-hugepages.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(k->root));
	dir = xasprintf("mkdir -p %s/sys/kernel/mm/hugepages/hugepages-2048kB "
			"%s/sys/kernel/mm/hugepages/hugepages-1048576kB %s/run",
			k->root, k->root, k->root);
	ck_assert_int_eq(system(dir), 0);
	huge_sysfs_io(&k->sys, k->root, &k->real);
	put(k, "nr_hugepages", nr);
	put(k, "free_hugepages", free);
	put_in(k, SIZE_1G, "nr_hugepages", 0);
	put_in(k, SIZE_1G, "free_hugepages", 0);
	k->io = (struct huge_io){ .read = fake_read, .write_nr = fake_write, .ud = k };
}

static struct huge_counts counts_of(struct fake *k, uint64_t size_kb)
{
	struct huge_counts c;
	ck_assert_int_eq(k->io.read(k->io.ud, size_kb, &c), 0);
	return c;
}

static struct huge_counts counts(struct fake *k)
{
	return counts_of(k, SIZE_2M);
}

/* QEMU maps @n pages (or gives them back with a negative @n). */
static void qemu_takes(struct fake *k, int64_t n)
{
	struct huge_counts c = counts(k);
	put(k, "free_hugepages", (uint64_t)((int64_t)c.free - n));
}

static void fake_free(struct fake *k)
{
	_cleanup_free_ char *cmd = xasprintf("rm -rf %s", k->root);
	ck_assert_int_eq(system(cmd), 0);
	huge_sysfs_free(&k->sys);
}

static char *book_dir(struct fake *k)
{
	return xasprintf("%s/run", k->root);
}

/* The book in @dir, holding @text; its path. */
static char *book_with(const char *dir, const char *text)
{
	char *book = xasprintf("%s/hugepages.book", dir);

	ck_assert_int_eq(write_file_atomic(book, text, strlen(text), 0600), 0);
	return book;
}

START_TEST(book_round_trip)
{
	struct huge_book b;
	unsigned line = 0;
	_cleanup_free_ char *text = NULL;

	ck_assert_int_eq(huge_book_parse("2048 2048 1536 41 gaming\n1048576 8 8 42 work\n", &b, &line), 0);
	ck_assert_uint_eq(b.n, 2);
	ck_assert_str_eq(b.e[1].name, "work");
	ck_assert_uint_eq(b.e[0].added, 1536);
	text = huge_book_format(&b);
	ck_assert_str_eq(text, "2048 2048 1536 41 gaming\n1048576 8 8 42 work\n");
	ck_assert_int_eq(huge_book_parse("2048 2 1 41 a\n2048 2 3 42 b\n", &b, &line), -EINVAL);
	ck_assert_uint_eq(line, 2); /* added more than needed */
	ck_assert_int_eq(huge_book_parse("2048 2 1 41 a b\n", &b, &line), -EINVAL);
}
END_TEST

START_TEST(arithmetic)
{
	struct huge_book b = {
		.n = 1, .e = { { .size_kb = 2048, .need = 100, .added = 100, .pid = 1, .name = "a" } }
	};
	struct huge_counts c = { .nr = 100, .free = 100, .resv = 0 };

	/* a booked its 100 pages and its QEMU has not mapped them yet: they are not free for b. */
	ck_assert_uint_eq(huge_outstanding(&b, 2048, "b", &c), 100);
	ck_assert_uint_eq(huge_shortfall(50, &c, 100), 50);
	/* Once mapped (reserved, then faulted in), nothing is outstanding. */
	c.resv = 100;
	ck_assert_uint_eq(huge_outstanding(&b, 2048, "b", &c), 0);
	ck_assert_uint_eq(huge_shortfall(50, &c, 0), 50);
	c = (struct huge_counts){ .nr = 100, .free = 0 };
	ck_assert_uint_eq(huge_outstanding(&b, 2048, "b", &c), 0);
	ck_assert_uint_eq(huge_outstanding(&b, 1048576, NULL, &c), 0);
	ck_assert_uint_eq(huge_shortfall(0, &c, 0), 0);
	/* Release: exactly what was added, never below what is in use. */
	c = (struct huge_counts){ .nr = 150, .free = 100 };
	ck_assert_uint_eq(huge_release_target(&c, 100, 0), 50);
	ck_assert_uint_eq(huge_release_target(&c, 120, 0), 50);
	c = (struct huge_counts){ .nr = 150, .free = 30 };
	ck_assert_uint_eq(huge_release_target(&c, 100, 0), 120);
	ck_assert_uint_eq(huge_release_target(&c, 10, 20), 140);
}
END_TEST

static unsigned progress_calls;
static uint64_t progress_last;

static void progress(void *ud, uint64_t done, uint64_t total)
{
	(void)ud;
	ck_assert_uint_ge(done, progress_last);
	ck_assert_uint_le(done, total);
	progress_last = done;
	progress_calls++;
}

START_TEST(grow_in_steps)
{
	struct fake k;
	uint64_t added = 0, reached = 0;

	fake_init(&k, 4, 4, 1000);
	progress_calls = 0;
	progress_last = 0;
	ck_assert_int_eq(huge_grow(&k.io, SIZE_2M, 8, progress, NULL, &added, &reached), 0);
	ck_assert_uint_eq(added, 8);
	ck_assert_uint_eq(counts(&k).nr, 12);
	ck_assert_uint_eq(progress_calls, 8); /* 1/8 … 8/8 */
	ck_assert_uint_eq(progress_last, 8);
	fake_free(&k);
}
END_TEST

START_TEST(grow_short_gives_back)
{
	struct fake k;
	uint64_t added = 0, reached = 0;

	fake_init(&k, 2, 2, 7); /* room for 5 more, asked for 8 */
	ck_assert_int_eq(huge_grow(&k.io, SIZE_2M, 8, NULL, NULL, &added, &reached), -ENOMEM);
	ck_assert_uint_eq(reached, 5);
	ck_assert_uint_eq(added, 0);
	ck_assert_uint_eq(counts(&k).nr, 2); /* what it got is back */
	ck_assert_uint_ge(k.writes, 1 + HUGE_RETRIES);
	fake_free(&k);
}
END_TEST

START_TEST(take_and_give_back)
{
	struct fake k;
	struct huge_hold h = { 0 };
	struct strv said = { 0 };
	_cleanup_free_ char *dir = NULL, *err = NULL;

	fake_init(&k, 10, 4, 1000); /* 6 in use by someone else */
	dir = book_dir(&k);
	ck_assert_int_eq(huge_take(&k.io, dir, "gaming", 2048, 16, NULL, NULL, &h, &said, &err), 0);
	ck_assert_uint_eq(h.added, 12);
	ck_assert_uint_eq(counts(&k).nr, 22);
	qemu_takes(&k, 16);
	qemu_takes(&k, -16); /* QEMU exits */
	huge_give_back(&k.io, &h, &said);
	ck_assert_uint_eq(counts(&k).nr, 10);
	ck_assert_uint_eq(counts(&k).free, 4);
	ck_assert_ptr_null(h.book_dir);
	strv_clear(&said);
	fake_free(&k);
}
END_TEST

START_TEST(two_vms_overlapping)
{
	struct fake k;
	struct huge_hold a = { 0 }, b = { 0 };
	struct strv said = { 0 };
	_cleanup_free_ char *dir = NULL, *err = NULL;

	fake_init(&k, 0, 0, 1000);
	dir = book_dir(&k);
	ck_assert_int_eq(huge_take(&k.io, dir, "a", 2048, 8, NULL, NULL, &a, &said, &err), 0);
	/* b starts before a's QEMU mapped its pages: a's 8 free pages are not b's. */
	ck_assert_int_eq(huge_take(&k.io, dir, "b", 2048, 4, NULL, NULL, &b, &said, &err), 0);
	ck_assert_uint_eq(b.added, 4);
	ck_assert_uint_eq(counts(&k).nr, 12);
	qemu_takes(&k, 8);
	qemu_takes(&k, 4);
	/* b stops first: its 4 go, a's 8 stay in use. */
	qemu_takes(&k, -4);
	huge_give_back(&k.io, &b, &said);
	ck_assert_uint_eq(counts(&k).nr, 8);
	qemu_takes(&k, -8);
	huge_give_back(&k.io, &a, &said);
	ck_assert_uint_eq(counts(&k).nr, 0);
	strv_clear(&said);
	fake_free(&k);
}
END_TEST

START_TEST(short_take_fails_with_fixes)
{
	struct fake k;
	struct huge_hold h = { 0 };
	struct strv said = { 0 };
	_cleanup_free_ char *dir = NULL, *err = NULL, *book = NULL;

	fake_init(&k, 0, 0, 5);
	dir = book_dir(&k);
	ck_assert_int_eq(huge_take(&k.io, dir, "gaming", 2048, 8, NULL, NULL, &h, &said, &err), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(err, "reserved only 5 of the 8"));
	ck_assert_ptr_nonnull(strstr(err, "vfio-setup install --hugepages 8x2M"));
	ck_assert_ptr_nonnull(strstr(err, "hugepages = 2M"));
	ck_assert_uint_eq(counts(&k).nr, 0);
	ck_assert_ptr_null(h.book_dir);
	book = xasprintf("%s/hugepages.book", dir);
	ck_assert_int_eq(access(book, F_OK), -1); /* nothing booked */
	strv_clear(&said);
	fake_free(&k);
}
END_TEST

/* The book holds @owner's 6 added pages under @pid, which no supervisor of @owner holds: @taker's
 * start gives them back before it adds the 2 it needs, and its end gives those back. */
static void stale_entry_given_back(const char *owner, pid_t pid, const char *taker)
{
	struct fake k;
	struct huge_hold h = { 0 };
	struct strv said = { 0 };
	_cleanup_free_ char *dir = NULL, *err = NULL, *book = NULL, *text = NULL;

	fake_init(&k, 6, 6, 1000);
	dir = book_dir(&k);
	text = xasprintf("2048 6 6 %d %s\n", (int)pid, owner);
	book = book_with(dir, text);
	ck_assert_int_eq(huge_take(&k.io, dir, taker, 2048, 2, NULL, NULL, &h, &said, &err), 0);
	ck_assert_uint_eq(counts(&k).nr, 2); /* the stale 6 went back, then 2 added */
	ck_assert_uint_eq(h.added, 2);
	huge_give_back(&k.io, &h, &said);
	ck_assert_uint_eq(counts(&k).nr, 0);
	strv_clear(&said);
	fake_free(&k);
}

/* A supervisor that died without giving its pages back. */
START_TEST(dead_supervisor_given_back)
{
	pid_t dead = fork();

	if (dead == 0)
		_exit(0);
	ck_assert_int_gt(dead, 0);
	waitpid(dead, NULL, 0);
	stale_entry_given_back("crashed", dead, "next");
}
END_TEST

/* An entry in the VM's own name whose pid now belongs to a live process (reused): the VM's
 * lock is held, so it is stale. Its pages go back and the VM starts, where it was refused with
 * "already books pages" for ever. */
START_TEST(own_stale_entry_given_back)
{
	stale_entry_given_back("gaming", getppid(), "gaming");
}
END_TEST

/* The VM crashed with hugepages = 1G and its profile now says 2M: its own 1G entry is stale all
 * the same, its pages go back to the 1G pool, and the 2M start goes on (it was refused with
 * "already books pages" on every run). */
START_TEST(own_stale_entry_of_other_size_given_back)
{
	struct fake k;
	struct huge_hold h = { 0 };
	struct strv said = { 0 };
	_cleanup_free_ char *dir = NULL, *err = NULL, *book = NULL, *text = NULL;

	fake_init(&k, 0, 0, 1000);
	put_in(&k, SIZE_1G, "nr_hugepages", 4);
	put_in(&k, SIZE_1G, "free_hugepages", 4);
	dir = book_dir(&k);
	text = xasprintf("1048576 4 4 %d gaming\n", (int)getppid());
	book = book_with(dir, text);
	ck_assert_int_eq(huge_take(&k.io, dir, "gaming", SIZE_2M, 2, NULL, NULL, &h, &said, &err), 0);
	ck_assert_uint_eq(counts_of(&k, SIZE_1G).nr, 0);
	ck_assert_uint_eq(counts(&k).nr, 2);
	huge_give_back(&k.io, &h, &said);
	ck_assert_uint_eq(counts(&k).nr, 0);
	ck_assert_int_eq(access(book, F_OK), -1);
	strv_clear(&said);
	fake_free(&k);
}
END_TEST

/* The same with no 1G pool any more (another kernel command line): the entry cannot be given
 * back, is dropped all the same with a word, and the start goes on. */
START_TEST(own_stale_entry_of_gone_pool_dropped)
{
	struct fake k;
	struct huge_hold h = { 0 };
	struct strv said = { 0 };
	_cleanup_free_ char *dir = NULL, *err = NULL, *book = NULL, *text = NULL, *rm = NULL;
	bool told = false;

	fake_init(&k, 0, 0, 1000);
	rm = xasprintf("rm -r %s/hugepages-1048576kB", k.sys.dir);
	ck_assert_int_eq(system(rm), 0);
	dir = book_dir(&k);
	text = xasprintf("1048576 4 4 %d gaming\n", (int)getppid());
	book = book_with(dir, text);
	ck_assert_int_eq(huge_take(&k.io, dir, "gaming", SIZE_2M, 2, NULL, NULL, &h, &said, &err), 0);
	for (size_t i = 0; i < said.n; i++)
		told |= strstr(said.v[i], "cannot read the 1048576kB pool to give back the 4 pages gaming") !=
			NULL;
	ck_assert(told);
	huge_give_back(&k.io, &h, &said);
	ck_assert_int_eq(access(book, F_OK), -1);
	strv_clear(&said);
	fake_free(&k);
}
END_TEST

/* A dead supervisor's 1G entry swept by a 2M start: lowered by what it added, but not below what
 * a live VM booked in the 1G pool and has not mapped yet. */
START_TEST(dead_entry_of_other_size_spares_live_ones)
{
	struct fake k;
	struct huge_hold h = { 0 };
	struct strv said = { 0 };
	_cleanup_free_ char *dir = NULL, *err = NULL, *book = NULL, *text = NULL, *work = NULL, *left = NULL;
	size_t len;
	pid_t dead = fork();

	if (dead == 0)
		_exit(0);
	ck_assert_int_gt(dead, 0);
	waitpid(dead, NULL, 0);
	fake_init(&k, 0, 0, 1000);
	put_in(&k, SIZE_1G, "nr_hugepages", 6);
	put_in(&k, SIZE_1G, "free_hugepages", 6);
	dir = book_dir(&k);
	work = xasprintf("1048576 4 2 %d work\n", (int)getpid());
	text = xasprintf("1048576 4 4 %d crashed\n%s", (int)dead, work);
	book = book_with(dir, text);
	ck_assert_int_eq(huge_take(&k.io, dir, "next", SIZE_2M, 2, NULL, NULL, &h, &said, &err), 0);
	ck_assert_uint_eq(counts_of(&k, SIZE_1G).nr, 4); /* 6 - 4 would leave work short */
	huge_give_back(&k.io, &h, &said);
	ck_assert_int_eq(read_file_full(book, &left, &len), 0);
	ck_assert_str_eq(left, work); /* the dead entry gone, the live one kept */
	strv_clear(&said);
	fake_free(&k);
}
END_TEST

/* A full book refuses before the pool is touched: nothing grown, nothing shrunk back. */
START_TEST(full_book_refused_before_growing)
{
	struct fake k;
	struct huge_hold h = { 0 };
	struct strv said = { 0 };
	_cleanup_free_ char *dir = NULL, *err = NULL, *book = NULL, *text = xstrdup("");

	fake_init(&k, 0, 0, 1000);
	dir = book_dir(&k);
	for (unsigned i = 0; i < HUGE_MAX_ENTRIES; i++) {
		char *t = xasprintf("%s2048 0 0 %d vm%u\n", text, (int)getpid(), i);
		free(text);
		text = t;
	}
	book = book_with(dir, text);
	ck_assert_int_eq(huge_take(&k.io, dir, "one-more", SIZE_2M, 2, NULL, NULL, &h, &said, &err), -E2BIG);
	ck_assert_uint_eq(k.writes, 0);
	ck_assert_ptr_nonnull(strstr(err, "hint: "));
	ck_assert_ptr_null(h.book_dir);
	strv_clear(&said);
	fake_free(&k);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hugepages");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, book_round_trip);
	tcase_add_test(tc, arithmetic);
	tcase_add_test(tc, grow_in_steps);
	tcase_add_test(tc, grow_short_gives_back);
	tcase_add_test(tc, take_and_give_back);
	tcase_add_test(tc, two_vms_overlapping);
	tcase_add_test(tc, short_take_fails_with_fixes);
	tcase_add_test(tc, dead_supervisor_given_back);
	tcase_add_test(tc, own_stale_entry_given_back);
	tcase_add_test(tc, own_stale_entry_of_other_size_given_back);
	tcase_add_test(tc, own_stale_entry_of_gone_pool_dropped);
	tcase_add_test(tc, dead_entry_of_other_size_spares_live_ones);
	tcase_add_test(tc, full_book_refused_before_growing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
