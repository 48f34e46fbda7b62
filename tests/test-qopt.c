// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the QEMU option builder: escaping, long values, many keys, empty values. */
#include "check-main.h"
#include <limits.h>
#include "qopt.h"

START_TEST(commas_doubled)
{
	struct qopt *o = qopt_new("vfio-pci");
	_cleanup_free_ char *s = NULL, *e = qemu_escape(",a,,b,");

	qopt_add(o, "host", "0000:01:00.0");
	qopt_add(o, "romfile", "/home/a,b=c.rom");
	qopt_addf(o, "id", "x,%s", "y,z");
	s = qopt_done(o);
	ck_assert_str_eq(s, "vfio-pci,host=0000:01:00.0,romfile=/home/a,,b=c.rom,id=x,,y,,z");
	ck_assert_str_eq(e, ",,a,,,,b,,");
}
END_TEST

START_TEST(head_escaped_and_absent)
{
	struct qopt *a = qopt_new("a,b"), *b = qopt_new(NULL);
	_cleanup_free_ char *sa = NULL, *sb = NULL;

	qopt_flag(a, "on", true);
	qopt_addf(b, NULL, "unix:%s/qmp.sock", "/run,1");
	qopt_flag(b, "server", true);
	qopt_flag(b, "wait", false);
	sa = qopt_done(a);
	sb = qopt_done(b);
	ck_assert_str_eq(sa, "a,,b,on=on");
	ck_assert_str_eq(sb, "unix:/run,,1/qmp.sock,server=on,wait=off");
}
END_TEST

/* A value far past any fixed buffer, with commas throughout: all of it, each comma doubled. */
START_TEST(long_value)
{
	size_t n = 3 * PATH_MAX;
	_cleanup_free_ char *v = xmalloc(n + 1), *want = NULL, *s = NULL;
	struct qopt *o = qopt_new("vfio-pci");
	size_t commas = 0;

	for (size_t i = 0; i < n; i++) {
		v[i] = i % 7 == 6 ? ',' : 'a' + (char)(i % 26);
		commas += v[i] == ',';
	}
	v[n] = '\0';
	qopt_add(o, "romfile", v);
	s = qopt_done(o);
	ck_assert_uint_eq(strlen(s), strlen("vfio-pci,romfile=") + n + commas);
	want = qemu_escape(v);
	ck_assert_str_eq(s + strlen("vfio-pci,romfile="), want);
	ck_assert_ptr_null(strstr(want, ",,,"));
}
END_TEST

START_TEST(many_keys)
{
	struct qopt *o = qopt_new("x");
	_cleanup_free_ char *s = NULL;
	const char *t;
	unsigned i = 0;

	for (unsigned k = 0; k < 1000; k++)
		qopt_addf(o, "key", "%u", k);
	s = qopt_done(o);
	ck_assert(startswith(s, "x,key=0,key=1,"));
	t = s + 1;
	for (; *t; i++) {
		char want[32];

		snprintf(want, sizeof(want), ",key=%u", i);
		ck_assert(startswith(t, want));
		t += strlen(want);
	}
	ck_assert_uint_eq(i, 1000);
}
END_TEST

START_TEST(empty_values)
{
	struct qopt *o = qopt_new(NULL);
	_cleanup_free_ char *s = NULL, *e = qemu_escape(""), *none = qopt_done(qopt_new(NULL));

	qopt_add(o, "a", "");
	qopt_add(o, "b", "");
	s = qopt_done(o);
	ck_assert_str_eq(s, "a=,b=");
	ck_assert_str_eq(e, "");
	ck_assert_str_eq(none, "");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("qopt");
	TCase *tc = tcase_create("qopt");

	tcase_add_test(tc, commas_doubled);
	tcase_add_test(tc, head_escaped_and_absent);
	tcase_add_test(tc, long_value);
	tcase_add_test(tc, many_keys);
	tcase_add_test(tc, empty_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
