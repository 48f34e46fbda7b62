// SPDX-License-Identifier: GPL-2.0-or-later
/* The supervisor's decisions, without I/O: thread placement and the event → action table. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include "supervise-state.h"
#include "util.h"

static bool cpuset_has(const struct cpuset *s, unsigned cpu)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->cpu[i] == cpu)
			return true;
	return false;
}

void cpuset_format(const struct cpuset *s, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < s->n && o < len; i++) {
		unsigned j = i;
		while (j + 1 < s->n && s->cpu[j + 1] == s->cpu[j] + 1)
			j++;
		if (j > i + 1)
			o += (size_t)snprintf(buf + o, len - o, "%s%u-%u", i ? "," : "", s->cpu[i],
					      s->cpu[j]);
		else {
			o += (size_t)snprintf(buf + o, len - o, "%s%u", i ? "," : "", s->cpu[i]);
			j = i;
		}
		i = j;
	}
}

void sv_emulator_cpus(const struct profile *p, unsigned n_host_cpus, struct cpuset *ret)
{
	ret->n = 0;
	if (p->emulator_pin.n) {
		*ret = p->emulator_pin;
		return;
	}
	if (!p->pin.n)
		return;
	for (unsigned c = 0; c < n_host_cpus && c < CPUSET_MAX; c++)
		if (!cpuset_has(&p->pin, c))
			ret->cpu[ret->n++] = (uint16_t)c;
	if (!ret->n)
		*ret = p->pin;
}

static bool tid_in(const int *v, unsigned n, int tid)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == tid)
			return true;
	return false;
}

int sv_pin_plan(const struct profile *p, unsigned n_host_cpus, const struct sv_threads *t,
		struct sv_pin **ret)
{
	_cleanup_free_ struct sv_pin *pins = NULL;
	struct cpuset emu, io;
	unsigned n = 0;

	*ret = NULL;
	sv_emulator_cpus(p, n_host_cpus, &emu);
	io = p->io_pin.n ? p->io_pin : emu;
	if (p->pin.n && t->n_vcpu > p->pin.n)
		return -EINVAL;
	pins = xcalloc((size_t)t->n_vcpu + t->n_io + t->n_all + 1, sizeof(*pins));
	if (p->pin.n)
		for (unsigned i = 0; i < t->n_vcpu; i++) {
			struct sv_pin *x = &pins[n++];
			x->tid = t->vcpu[i];
			snprintf(x->what, sizeof(x->what), "vCPU %u", i);
			x->cpus.n = 1;
			x->cpus.cpu[0] = p->pin.cpu[i];
		}
	if (io.n)
		for (unsigned i = 0; i < t->n_io; i++) {
			struct sv_pin *x = &pins[n++];
			x->tid = t->io[i];
			snprintf(x->what, sizeof(x->what), "iothread %.20s", t->io_name ? t->io_name[i] : "");
			x->cpus = io;
		}
	if (emu.n)
		for (unsigned i = 0; i < t->n_all; i++) {
			struct sv_pin *x;
			if (tid_in(t->vcpu, t->n_vcpu, t->all[i]) || tid_in(t->io, t->n_io, t->all[i]))
				continue;
			x = &pins[n++];
			x->tid = t->all[i];
			snprintf(x->what, sizeof(x->what), "emulator thread");
			x->cpus = emu;
		}
	if (n)
		*ret = TAKE_PTR(pins);
	return (int)n;
}

const char *sv_phase_name(enum sv_phase phase)
{
	switch (phase) {
	case SV_STARTING:
		return "starting";
	case SV_RUNNING:
		return "running";
	case SV_POWERDOWN:
		return "powering down";
	case SV_QUITTING:
		return "quitting";
	case SV_EXITED:
		return "exited";
	}
	return "?";
}

int sv_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

void sv_init(struct sv_state *s, unsigned shutdown_timeout_s, uint64_t now)
{
	*s = (struct sv_state){
		.phase = SV_STARTING,
		.deadline = now, /* try the monitor at once */
		.started = now,
		.shutdown_timeout_ms = (uint64_t)shutdown_timeout_s * 1000,
	};
}

/* While QEMU comes up: often at first, then less (a large guest's memory takes seconds). */
static uint64_t retry_ms(const struct sv_state *s, uint64_t now)
{
	return now - s->started < 2000 ? 5 : 100;
}

static unsigned on_tick(struct sv_state *s, uint64_t now, struct sv_action *out)
{
	if (!s->deadline || now < s->deadline)
		return 0;
	switch (s->phase) {
	case SV_STARTING:
		s->deadline = now + retry_ms(s, now);
		out[0] = (struct sv_action){ SV_ACT_CONNECT, 0 };
		return 1;
	case SV_POWERDOWN:
		s->phase = SV_QUITTING;
		s->deadline = now + SV_QUIT_GRACE_MS;
		out[0] = (struct sv_action){ SV_ACT_QUIT, SV_QUIT_TIMEOUT };
		return 1;
	case SV_QUITTING:
		s->deadline = 0;
		out[0] = (struct sv_action){ SV_ACT_KILL, 0 };
		return 1;
	case SV_RUNNING:
	case SV_EXITED:
		s->deadline = 0;
		return 0;
	}
	return 0;
}

static unsigned on_signal(struct sv_state *s, int signo, uint64_t now, struct sv_action *out)
{
	switch (s->phase) {
	case SV_STARTING:
		s->phase = SV_QUITTING;
		s->deadline = now + SV_QUIT_GRACE_MS;
		out[0] = (struct sv_action){ SV_ACT_TERMINATE, 0 };
		return 1;
	case SV_RUNNING:
		s->phase = SV_POWERDOWN;
		s->deadline = now + s->shutdown_timeout_ms;
		out[0] = (struct sv_action){ SV_ACT_POWERDOWN, 0 };
		return 1;
	case SV_POWERDOWN:
		/* Ctrl-C twice: the user does not want to wait for the guest. */
		if (signo != SIGINT)
			break;
		s->phase = SV_QUITTING;
		s->deadline = now + SV_QUIT_GRACE_MS;
		out[0] = (struct sv_action){ SV_ACT_QUIT, SV_QUIT_SIGINT };
		return 1;
	case SV_QUITTING:
		if (signo != SIGINT)
			break;
		s->deadline = 0;
		out[0] = (struct sv_action){ SV_ACT_KILL, 0 };
		return 1;
	case SV_EXITED:
		break;
	}
	out[0] = (struct sv_action){ SV_ACT_IGNORED, signo };
	return 1;
}

unsigned sv_step(struct sv_state *s, const struct sv_event *ev, uint64_t now, struct sv_action *out)
{
	switch (ev->type) {
	case SV_EV_TICK:
		return on_tick(s, now, out);
	case SV_EV_QMP_UP:
		if (s->phase != SV_STARTING)
			return 0;
		s->phase = SV_RUNNING;
		s->deadline = 0;
		out[0] = (struct sv_action){ SV_ACT_PIN, 0 };
		out[1] = (struct sv_action){ SV_ACT_CONT, 0 };
		return 2;
	case SV_EV_SETUP_FAILED:
		s->failed = true;
		if (s->phase != SV_STARTING && s->phase != SV_RUNNING)
			return 0;
		s->phase = SV_QUITTING;
		s->deadline = now + SV_QUIT_GRACE_MS;
		out[0] = (struct sv_action){ SV_ACT_QUIT, SV_QUIT_FAILED };
		return 1;
	case SV_EV_SIGNAL:
		return on_signal(s, ev->signo, now, out);
	case SV_EV_QEMU_EXITED: {
		int code = sv_exit_code(ev->status);
		s->phase = SV_EXITED;
		s->deadline = 0;
		out[0] = (struct sv_action){ SV_ACT_EXIT, s->failed && code == 0 ? 1 : code };
		return 1;
	}
	}
	return 0;
}
