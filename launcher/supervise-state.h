/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The supervisor's pure part: which thread goes on which CPUs, and which event leads to which action. */
#pragma once

#include <stdint.h>
#include "profile.h"

/* ---- pinning ---- */

struct sv_pin {
	int tid;
	char what[32]; /* "vCPU 0", "iothread iothread.system", "emulator" */
	struct cpuset cpus;
};

struct sv_threads {
	const int *vcpu; /* thread ids by vCPU index (query-cpus-fast) */
	unsigned n_vcpu;
	const int *io; /* iothreads (query-iothreads) */
	const char *const *io_name;
	unsigned n_io;
	const int *all; /* every thread of the process (/proc/PID/task) */
	unsigned n_all;
};

/* The CPUs of the emulator's threads: emulator-pin =, or the host's @n_host_cpus CPUs not in
 * pin =, or (none left) those of pin =. n == 0 when the profile pins nothing: no thread is
 * moved. Also the affinity QEMU starts with, so that the threads it makes later inherit it. */
void sv_emulator_cpus(const struct profile *p, unsigned n_host_cpus, struct cpuset *ret);

/* Where each thread goes: vCPU i on the i-th CPU of pin =, iothreads on io-pin = (default the
 * emulator's CPUs), every other thread on the emulator's. Returns how many entries it wrote to
 * @ret (malloc'd, NULL when nothing is pinned); -EINVAL when QEMU has more vCPU threads than
 * pin = lists. */
int sv_pin_plan(const struct profile *p, unsigned n_host_cpus, const struct sv_threads *t,
		struct sv_pin **ret);

/* "2-5,8" for logs and messages. */
void cpuset_format(const struct cpuset *s, char *buf, size_t len);

/* ---- events and actions ---- */

enum sv_phase {
	SV_STARTING, /* QEMU forked, its monitor not answering yet */
	SV_RUNNING, /* pinned and continued */
	SV_POWERDOWN, /* the ACPI power button was pressed; quit at the deadline */
	SV_QUITTING, /* quit sent (or QEMU terminated); SIGKILL at the deadline */
	SV_EXITED,
};

enum sv_event_type {
	SV_EV_TICK, /* the state's deadline passed */
	SV_EV_QMP_UP, /* the supervisor's monitor answered qmp_capabilities */
	SV_EV_SETUP_FAILED, /* pinning or cont failed: the VM must not run */
	SV_EV_SIGNAL, /* SIGTERM, SIGINT or SIGHUP to the supervisor */
	SV_EV_QEMU_EXITED, /* QEMU's wait status in @status */
};

struct sv_event {
	enum sv_event_type type;
	int signo;
	int status; /* as waitpid gives it */
};

enum sv_action_type {
	SV_ACT_CONNECT, /* try the supervisor's monitor (again) */
	SV_ACT_PIN, /* ask QMP for the threads, pin them as sv_pin_plan says */
	SV_ACT_CONT, /* QMP cont */
	SV_ACT_POWERDOWN, /* QMP system_powerdown */
	SV_ACT_QUIT, /* QMP quit */
	SV_ACT_TERMINATE, /* SIGTERM to QEMU: its monitor is not up, QEMU quits cleanly on it */
	SV_ACT_KILL, /* SIGKILL to QEMU */
	SV_ACT_IGNORED, /* a signal that changes nothing now (logged) */
	SV_ACT_EXIT, /* QEMU is gone: give everything back, exit with @code */
};

/* Why quit is sent, in SV_ACT_QUIT's code. */
enum { SV_QUIT_TIMEOUT, SV_QUIT_SIGINT, SV_QUIT_FAILED };

struct sv_action {
	enum sv_action_type type;
	int code; /* SV_ACT_EXIT: the exit code; SV_ACT_QUIT: why; SV_ACT_IGNORED: the signal */
};

#define SV_MAX_ACTIONS 4
#define SV_QUIT_GRACE_MS 10000 /* from quit (or SIGTERM) to SIGKILL */

struct sv_state {
	enum sv_phase phase;
	uint64_t deadline; /* ms on the caller's monotonic clock; 0: none */
	uint64_t started;
	uint64_t shutdown_timeout_ms;
	bool failed; /* setup failed: exit non-zero whatever QEMU says */
};

void sv_init(struct sv_state *s, unsigned shutdown_timeout_s, uint64_t now);
/* Advances @s by @ev at time @now; writes the actions to perform, in order, to @out and
 * returns how many (at most SV_MAX_ACTIONS). */
unsigned sv_step(struct sv_state *s, const struct sv_event *ev, uint64_t now, struct sv_action *out);
/* The supervisor's exit code for QEMU's wait status: its exit code, 128 + a signal's number. */
int sv_exit_code(int status);
const char *sv_phase_name(enum sv_phase phase);
