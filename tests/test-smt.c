// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the SMT sibling check: which guest cores pin = splits over host cores. */
#include "check-main.h"
#include "smt.h"

/* An 8-CPU host whose siblings are N and N+4 (Intel's numbering), and one of 4 CPUs without SMT. */
static int intel_core[] = { 0, 1, 2, 3, 0, 1, 2, 3 };
static int no_smt_core[] = { 0, 1, 2, 3 };
static const struct smt_host intel = { intel_core, 8 }, no_smt = { no_smt_core, 4 };

static size_t splits(const char *pin, unsigned threads, const struct smt_host *h, struct smt_split *ret)
{
	struct cpuset set;

	ck_assert_int_eq(parse_cpulist(pin, &set), 0);
	return smt_splits(&set, threads, h, ret, 8);
}

START_TEST(siblings_kept)
{
	struct smt_split s[8];

	ck_assert_uint_eq(splits("1,5,2,6,3,7", 2, &intel, s), 0);
	ck_assert_uint_eq(splits("4,0", 2, &intel, s), 0);
}
END_TEST

START_TEST(split_pairs_named)
{
	struct smt_split s[8];

	ck_assert_uint_eq(splits("2-7", 2, &intel, s), 3);
	ck_assert_uint_eq(s[0].vcpu[0], 0);
	ck_assert_uint_eq(s[0].vcpu[1], 1);
	ck_assert_uint_eq(s[0].cpu[0], 2);
	ck_assert_uint_eq(s[0].cpu[1], 3);
	ck_assert_uint_eq(s[2].vcpu[0], 4);
	ck_assert_uint_eq(s[2].cpu[1], 7);
	/* Only the second guest core is split. */
	ck_assert_uint_eq(splits("0,4,1,2", 2, &intel, s), 1);
	ck_assert_uint_eq(s[0].vcpu[0], 2);
	ck_assert_uint_eq(s[0].cpu[0], 1);
	ck_assert_uint_eq(s[0].cpu[1], 2);
}
END_TEST

START_TEST(nothing_to_say)
{
	struct smt_split s[8];

	/* One thread per core, a lone vCPU, CPUs the host does not know (check_pin's matter). */
	ck_assert_uint_eq(splits("0-3", 1, &intel, s), 0);
	ck_assert_uint_eq(splits("3", 2, &intel, s), 0);
	ck_assert_uint_eq(splits("2,9", 2, &intel, s), 0);
	ck_assert_uint_eq(splits("0,1", 2, &(struct smt_host){ 0 }, s), 0);
}
END_TEST

START_TEST(sibling_groups)
{
	char *g = smt_sibling_groups(&intel);

	ck_assert_str_eq(g, "0,4 1,5 2,6 3,7");
	free(g);
	ck_assert_ptr_null(smt_sibling_groups(&no_smt));
	ck_assert_ptr_null(smt_sibling_groups(&(struct smt_host){ 0 }));
}
END_TEST

START_TEST(no_smt_host)
{
	struct smt_split s[8];

	ck_assert_uint_eq(splits("0-3", 2, &no_smt, s), 2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("smt");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, siblings_kept);
	tcase_add_test(tc, split_pairs_named);
	tcase_add_test(tc, nothing_to_say);
	tcase_add_test(tc, sibling_groups);
	tcase_add_test(tc, no_smt_host);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
