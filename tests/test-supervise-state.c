// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the supervisor's pure part: thread placement and the event → action table. */
#include "check-main.h"
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include "supervise-state.h"

static struct profile *profile_pinned(const char *pin, const char *emu, const char *io)
{
	static struct profile p;

	p = (struct profile){ 0 };
	if (pin)
		ck_assert_int_eq(parse_cpulist(pin, &p.pin), 0);
	if (emu)
		ck_assert_int_eq(parse_cpulist(emu, &p.emulator_pin), 0);
	if (io)
		ck_assert_int_eq(parse_cpulist(io, &p.io_pin), 0);
	return &p;
}

static const char *cpus(const struct cpuset *s)
{
	static char buf[64];

	cpuset_format(s, buf, sizeof(buf));
	return buf;
}

START_TEST(format)
{
	struct cpuset s;

	ck_assert_int_eq(parse_cpulist("2-5,8,10-11,0", &s), 0);
	ck_assert_str_eq(cpus(&s), "2-5,8,10,11,0");
	ck_assert_int_eq(parse_cpulist("7", &s), 0);
	ck_assert_str_eq(cpus(&s), "7");
}
END_TEST

START_TEST(emulator_default)
{
	struct cpuset e;

	/* The host CPUs pin = leaves free. */
	sv_emulator_cpus(profile_pinned("2-5", NULL, NULL), 8, &e);
	ck_assert_str_eq(cpus(&e), "0,1,6,7");
	/* emulator-pin = wins. */
	sv_emulator_cpus(profile_pinned("2-5", "7", NULL), 8, &e);
	ck_assert_str_eq(cpus(&e), "7");
	/* Every host CPU in pin =: the emulator shares them rather than having none. */
	sv_emulator_cpus(profile_pinned("1,0", NULL, NULL), 2, &e);
	ck_assert_str_eq(cpus(&e), "1,0");
	/* No pinning asked: nothing moves. */
	sv_emulator_cpus(profile_pinned(NULL, NULL, NULL), 8, &e);
	ck_assert_uint_eq(e.n, 0);
}
END_TEST

START_TEST(pin_each_thread)
{
	const int vcpu[] = { 101, 102 }, io[] = { 103 }, all[] = { 100, 101, 102, 103, 104 };
	const char *const io_name[] = { "iothread.system" };
	struct sv_threads t = { vcpu, 2, io, io_name, 1, all, 5 };
	_cleanup_free_ struct sv_pin *pins = NULL;
	int n = sv_pin_plan(profile_pinned("3,2", NULL, NULL), 4, &t, &pins);

	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(pins[0].tid, 101);
	ck_assert_str_eq(pins[0].what, "vCPU 0");
	ck_assert_str_eq(cpus(&pins[0].cpus), "3");
	ck_assert_int_eq(pins[1].tid, 102);
	ck_assert_str_eq(cpus(&pins[1].cpus), "2");
	ck_assert_int_eq(pins[2].tid, 103);
	ck_assert_str_eq(pins[2].what, "iothread iothread.system");
	ck_assert_str_eq(cpus(&pins[2].cpus), "0,1");
	ck_assert_int_eq(pins[3].tid, 100);
	ck_assert_str_eq(pins[3].what, "emulator thread");
	ck_assert_str_eq(cpus(&pins[3].cpus), "0,1");
	ck_assert_int_eq(pins[4].tid, 104);
}
END_TEST

START_TEST(pin_io_apart)
{
	const int vcpu[] = { 11 }, io[] = { 12 }, all[] = { 10, 11, 12 };
	struct sv_threads t = { vcpu, 1, io, NULL, 1, all, 3 };
	_cleanup_free_ struct sv_pin *pins = NULL;
	int n = sv_pin_plan(profile_pinned("2", "0", "1"), 4, &t, &pins);

	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(cpus(&pins[0].cpus), "2");
	ck_assert_str_eq(cpus(&pins[1].cpus), "1");
	ck_assert_int_eq(pins[2].tid, 10);
	ck_assert_str_eq(cpus(&pins[2].cpus), "0");
}
END_TEST

START_TEST(pin_nothing)
{
	const int vcpu[] = { 11 }, all[] = { 10, 11 };
	struct sv_threads t = { vcpu, 1, NULL, NULL, 0, all, 2 };
	struct sv_pin *pins = (struct sv_pin *)1;

	ck_assert_int_eq(sv_pin_plan(profile_pinned(NULL, NULL, NULL), 4, &t, &pins), 0);
	ck_assert_ptr_null(pins);
	/* More vCPU threads than pin = lists: the profile and QEMU disagree. */
	{
		const int two[] = { 11, 12 };
		struct sv_threads t2 = { two, 2, NULL, NULL, 0, all, 2 };
		ck_assert_int_eq(sv_pin_plan(profile_pinned("1", NULL, NULL), 4, &t2, &pins), -EINVAL);
	}
}
END_TEST

static unsigned step(struct sv_state *s, enum sv_event_type type, int arg, uint64_t now,
		     struct sv_action *out)
{
	struct sv_event ev = { .type = type, .signo = arg, .status = arg };
	return sv_step(s, &ev, now, out);
}

START_TEST(start_then_pin_and_cont)
{
	struct sv_state s;
	struct sv_action a[SV_MAX_ACTIONS];

	sv_init(&s, 60, 1000);
	ck_assert_uint_eq(step(&s, SV_EV_TICK, 0, 1000, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_CONNECT);
	/* Not yet due: nothing. */
	ck_assert_uint_eq(step(&s, SV_EV_TICK, 0, 1001, a), 0);
	ck_assert_uint_eq(step(&s, SV_EV_TICK, 0, 1005, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_CONNECT);
	ck_assert_uint_eq(step(&s, SV_EV_QMP_UP, 0, 1010, a), 2);
	ck_assert_int_eq(a[0].type, SV_ACT_PIN);
	ck_assert_int_eq(a[1].type, SV_ACT_CONT);
	ck_assert_int_eq(s.phase, SV_RUNNING);
	ck_assert_uint_eq(s.deadline, 0);
}
END_TEST

static void running(struct sv_state *s, unsigned timeout)
{
	struct sv_action a[SV_MAX_ACTIONS];

	sv_init(s, timeout, 0);
	step(s, SV_EV_QMP_UP, 0, 10, a);
}

START_TEST(signal_powerdown_then_quit)
{
	struct sv_state s;
	struct sv_action a[SV_MAX_ACTIONS];

	running(&s, 5);
	ck_assert_uint_eq(step(&s, SV_EV_SIGNAL, SIGTERM, 100, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_POWERDOWN);
	ck_assert_uint_eq(s.deadline, 5100);
	/* Another SIGTERM or SIGHUP while the guest shuts down changes nothing. */
	ck_assert_uint_eq(step(&s, SV_EV_SIGNAL, SIGHUP, 200, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_IGNORED);
	ck_assert_uint_eq(step(&s, SV_EV_TICK, 0, 5099, a), 0);
	ck_assert_uint_eq(step(&s, SV_EV_TICK, 0, 5100, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_QUIT);
	ck_assert_int_eq(a[0].code, SV_QUIT_TIMEOUT);
	ck_assert_int_eq(s.phase, SV_QUITTING);
	/* QEMU that does not even quit is killed after the grace. */
	ck_assert_uint_eq(step(&s, SV_EV_TICK, 0, 5100 + SV_QUIT_GRACE_MS, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_KILL);
	ck_assert_uint_eq(step(&s, SV_EV_QEMU_EXITED, 9, 20000, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_EXIT);
	ck_assert_int_eq(a[0].code, 128 + 9);
}
END_TEST

START_TEST(second_sigint_quits)
{
	struct sv_state s;
	struct sv_action a[SV_MAX_ACTIONS];

	running(&s, 60);
	ck_assert_uint_eq(step(&s, SV_EV_SIGNAL, SIGINT, 100, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_POWERDOWN);
	ck_assert_uint_eq(step(&s, SV_EV_SIGNAL, SIGINT, 200, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_QUIT);
	ck_assert_int_eq(a[0].code, SV_QUIT_SIGINT);
	ck_assert_uint_eq(step(&s, SV_EV_SIGNAL, SIGINT, 300, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_KILL);
}
END_TEST

START_TEST(signal_before_monitor)
{
	struct sv_state s;
	struct sv_action a[SV_MAX_ACTIONS];

	sv_init(&s, 60, 0);
	ck_assert_uint_eq(step(&s, SV_EV_SIGNAL, SIGTERM, 1, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_TERMINATE);
	/* The monitor answering late does not start the guest any more. */
	ck_assert_uint_eq(step(&s, SV_EV_QMP_UP, 0, 2, a), 0);
}
END_TEST

START_TEST(exit_status)
{
	struct sv_state s;
	struct sv_action a[SV_MAX_ACTIONS];

	running(&s, 60);
	ck_assert_uint_eq(step(&s, SV_EV_QEMU_EXITED, 3 << 8, 100, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_EXIT);
	ck_assert_int_eq(a[0].code, 3);
	ck_assert_int_eq(s.phase, SV_EXITED);
	/* A failed setup quits QEMU and is a failure even when QEMU exits 0. */
	running(&s, 60);
	ck_assert_uint_eq(step(&s, SV_EV_SETUP_FAILED, 0, 100, a), 1);
	ck_assert_int_eq(a[0].type, SV_ACT_QUIT);
	ck_assert_uint_eq(step(&s, SV_EV_QEMU_EXITED, 0, 200, a), 1);
	ck_assert_int_eq(a[0].code, 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("supervise-state");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, format);
	tcase_add_test(tc, emulator_default);
	tcase_add_test(tc, pin_each_thread);
	tcase_add_test(tc, pin_io_apart);
	tcase_add_test(tc, pin_nothing);
	tcase_add_test(tc, start_then_pin_and_cont);
	tcase_add_test(tc, signal_powerdown_then_quit);
	tcase_add_test(tc, second_sigint_quits);
	tcase_add_test(tc, signal_before_monitor);
	tcase_add_test(tc, exit_status);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
