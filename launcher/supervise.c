// SPDX-License-Identifier: GPL-2.0-or-later
/* The supervisor's loop: forks QEMU, performs what supervise-state decides, gives everything back. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include "bus.h"
#include "fsutil.h"
#include "handover.h"
#include "hugepages.h"
#include "qmp.h"
#include "sandbox.h"
#include "supervise-state.h"
#include "supervise.h"
#include "tpm.h"

/* ---- the supervisor ---- */

struct sup {
	const struct profile *p;
	const struct vm_facts *f;
	const struct plan *pl;
	struct sv_state st;
	int lock_fd;
	int log_fd;
	/* Said before the log is open (log_start): kept with its time, written once it is. */
	struct early_line {
		struct timespec ts;
		char *msg;
	} * early;
	size_t n_early;
	bool log_started;
	bool echo; /* also on stderr */
	pid_t qemu;
	int pidfd, sigfd, out_fd;
	int ready_fd; /* --detach: tells the waiting parent how the start went */
	struct qmp qmp;
	bool qmp_up;
	struct {
		const char *path, *what;
	} shm_created[2]; /* the /dev/shm files this run makes: Looking Glass's, Scream's */
	unsigned n_shm_created;
	int inhibit_fd; /* logind's inhibitor, held while QEMU runs */
	struct handover_run handover; /* the units started for [pci] handover = on */
	bool desktop;
	char *log_path;
	char tail[1024]; /* the end of QEMU's output */
	size_t tail_len;
	char last_output[512]; /* QEMU's last line, for a notification */
	uint64_t cont_at;
	long long since;
	const char *failure; /* the first failure, for the log's last word */
	bool stop_asked; /* a signal asked QEMU to go */
	struct tpm_run tpm; /* [tpm]: swtpm beside QEMU */
	struct huge_hold huge; /* pages added to a pool for this run */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void log_line(int fd, const struct timespec *ts, const char *msg)
{
	_cleanup_free_ char *line = NULL;
	struct tm tm;
	char stamp[32];

	localtime_r(&ts->tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	line = xasprintf("%s.%03ld qemu-vm: %s\n", stamp, ts->tv_nsec / 1000000, msg);
	write_all(fd, line, strlen(line));
}

_printf_(2, 3) static void say(struct sup *s, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	struct timespec ts;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (s->echo)
		fprintf(stderr, "qemu-vm: %s\n", msg);
	if (s->log_fd >= 0)
		log_line(s->log_fd, &ts, msg);
	else if (!s->log_started) {
		s->early = xrealloc(s->early, (s->n_early + 1) * sizeof(*s->early));
		s->early[s->n_early++] = (struct early_line){ .ts = ts, .msg = TAKE_PTR(msg) };
	}
}

/* say for the callbacks of the handover, huge page and TPM steps. */
static void say_line(void *ctx, const char *msg)
{
	say(ctx, "%s", msg);
}

/* Keeps the last run's log as qemu.log.1 and starts a new one at @path. */
static int open_log(const char *path, int *ret_fd)
{
	_cleanup_free_ char *dir = NULL, *old = NULL;
	int fd;
	int r;

	if (!path)
		return -ENOENT;
	dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	r = mkdir_parents(dir, 0700);
	if (r < 0)
		return r;
	old = xasprintf("%s.1", path);
	/* Renamed over an existing file, ext4 (auto_da_alloc) writes the old log out first: about
	 * a millisecond of every start. The previous .1 goes first, so the rename replaces nothing. */
	if (unlink(old) < 0 && errno != ENOENT)
		return -errno;
	if (rename(path, old) < 0 && errno != ENOENT)
		return -errno;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* Opens the run's log and writes what was said before. It waits until QEMU is started, off
 * the path to QEMU's start: the rotation, the file's creation and the time zone cost a
 * fraction of a millisecond there. swtpm and --detach need it sooner. */
static void log_start(struct sup *s)
{
	int r;

	if (s->log_started)
		return;
	s->log_started = true;
	r = open_log(s->log_path, &s->log_fd);
	if (r < 0)
		fprintf(stderr, "qemu-vm: no log for this run (%s: %s), going on\n",
			s->log_path ? s->log_path : "$XDG_STATE_HOME/qemu-vm", strerror(-r));
	for (size_t i = 0; i < s->n_early; i++) {
		if (s->log_fd >= 0)
			log_line(s->log_fd, &s->early[i].ts, s->early[i].msg);
		free(s->early[i].msg);
	}
	free(s->early);
	s->early = NULL;
	s->n_early = 0;
}

/* The notification a failed desktop start gets; the same text is in the log. */
static void notify_failure(struct sup *s, const char *name, const char *what, const char *fix)
{
	_cleanup_free_ char *summary = xasprintf("VM %s did not start", name);
	_cleanup_free_ char *body = xasprintf("%s\nfix: %s\nlog: %s", what, fix,
					      s->log_path ? s->log_path : "none");
	char why[256];

	say(s, "%s did not start: %s; fix: %s", name, what, fix);
	if (bus_notify(summary, body, why, sizeof(why)) < 0)
		say(s, "no desktop notification (%s)", why);
	else
		say(s, "desktop notification sent");
}

/* A start refused before QEMU runs (handover, huge pages, swtpm, the fork): a desktop
 * notification when started without a terminal, like every refused start; said either way. */
static void start_refused(struct sup *s, const char *what)
{
	_cleanup_free_ char *fix = xasprintf("qemu-vm check %s, and the log", s->p->name);

	if (s->desktop)
		notify_failure(s, s->p->name, what, fix);
	else
		say(s, "%s", what);
}

void run_refused(const char *name, bool desktop, const char *what, const char *fix)
{
	struct sup s = { .log_fd = -1 };

	if (!desktop)
		return;
	s.log_path = vm_log_path(name);
	log_start(&s);
	notify_failure(&s, name, what, fix ? fix : "qemu-vm check shows every check");
	if (s.log_fd >= 0)
		close(s.log_fd);
	free(s.log_path);
}

static void write_state(struct sup *s)
{
	_cleanup_free_ char *path = vm_run_file(s->f->run_dir, "state");
	_cleanup_free_ char *text = xasprintf("supervisor=%d\nqemu=%d\nstate=%s\nsince=%lld\n", (int)getpid(),
					      (int)s->qemu, sv_phase_name(s->st.phase), s->since);
	int r = write_file_atomic(path, text, strlen(text), 0600);

	if (r < 0)
		say(s, "writing %s: %s, ignoring", path, strerror(-r));
}

static int pidfd_signal(struct sup *s, int sig)
{
	return syscall(SYS_pidfd_send_signal, s->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

/* In the vfork child, between vfork and exec: system calls only, nothing of the parent's
 * memory written (the supervisor has no signal handlers: its signals come by signalfd). */
__attribute__((noreturn)) static void exec_qemu(struct sup *s, int out_w, const sigset_t *old_mask,
						const struct cpuset *emu)
{
	static const char msg[] = "qemu-vm: starting QEMU failed\n";

	if (s->p->console != CONSOLE_STDIO) {
		/* Ctrl-C on the terminal is for the supervisor, which turns it into a powerdown. */
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		setpgid(0, 0);
		if (null >= 0)
			dup2(null, 0);
		dup2(out_w, 1);
	}
	dup2(out_w, 2);
	/* A supervisor that dies takes its VM along: a second run could not tell it still runs. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	if (emu->n) {
		cpu_set_t set;
		CPU_ZERO(&set);
		for (unsigned i = 0; i < emu->n; i++)
			CPU_SET(emu->cpu[i], &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			_exit(126);
	}
	if (sandbox_apply() < 0)
		_exit(126);
	execv(s->f->qemu_file, s->pl->argv.v);
	write_all(2, msg, sizeof(msg) - 1);
	_exit(127);
}

static int start_qemu(struct sup *s, const sigset_t *old_mask)
{
	struct cpuset emu;
	int out[2];
	pid_t pid;

	sv_emulator_cpus(s->p, s->f->host.n_cpus, &emu);
	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	/* vfork: the child borrows this process's memory until its exec instead of copying the
	 * page tables, and this process waits meanwhile. That is milliseconds off every start,
	 * and the child does nothing but system calls on its own stack (exec_qemu). */
	pid = vfork();
	if (pid < 0) {
		int r = -errno;
		close(out[0]);
		close(out[1]);
		return r;
	}
	if (pid == 0)
		exec_qemu(s, out[1], old_mask, &emu);
	close(out[1]);
	s->out_fd = out[0];
	fcntl(s->out_fd, F_SETFL, O_NONBLOCK);
	s->qemu = pid;
	s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (s->pidfd < 0) {
		/* Not left running while the host's devices and pages are given back. */
		int r = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		s->qemu = 0;
		return r;
	}
	return 0;
}

/* Keeps the end of QEMU's output (its writes may split a line) and its last line in it. */
static void keep_tail(struct sup *s, const char *buf, size_t n)
{
	size_t keep = sizeof(s->tail) - 1, end, start;

	if (n >= keep) {
		memcpy(s->tail, buf + n - keep, keep);
		s->tail_len = keep;
	} else {
		if (s->tail_len + n > keep) {
			size_t drop = s->tail_len + n - keep;
			memmove(s->tail, s->tail + drop, s->tail_len - drop);
			s->tail_len -= drop;
		}
		memcpy(s->tail + s->tail_len, buf, n);
		s->tail_len += n;
	}
	end = s->tail_len;
	while (end > 0 && s->tail[end - 1] == '\n')
		end--;
	start = end;
	while (start > 0 && s->tail[start - 1] != '\n')
		start--;
	if (end > start)
		snprintf(s->last_output, sizeof(s->last_output), "%.*s", (int)(end - start), s->tail + start);
}

/* Copies what QEMU wrote to the log and the terminal; false at end of file. */
static bool pass_output(struct sup *s)
{
	char buf[4096];
	ssize_t n = read(s->out_fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	if (s->log_fd >= 0)
		write_all(s->log_fd, buf, (size_t)n);
	if (s->echo)
		write_all(2, buf, (size_t)n);
	keep_tail(s, buf, (size_t)n);
	return true;
}

static int qmp_tids(struct sup *s, const char *cmd, const char *key, struct strv *ret_names, int **ret,
		    unsigned *ret_n)
{
	struct json_object *list = NULL;
	_cleanup_free_ char *err = NULL;
	_cleanup_free_ int *tids = NULL;
	size_t n;
	int r = qmp_execute(&s->qmp, cmd, NULL, &list, &err);

	if (r < 0) {
		say(s, "QMP %s: %s", cmd, err ? err : strerror(-r));
		return r;
	}
	n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	tids = xcalloc(n + 1, sizeof(int));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(list, i), *v;
		if (json_object_object_get_ex(e, key, &v))
			tids[i] = json_object_get_int(v);
		if (ret_names)
			strv_push(ret_names,
				  json_object_object_get_ex(e, "id", &v) ? json_object_get_string(v) : "?");
	}
	json_object_put(list);
	*ret = TAKE_PTR(tids);
	*ret_n = (unsigned)n;
	return 0;
}

static int task_tids(pid_t pid, int **ret, unsigned *ret_n)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/task", (int)pid);
	_cleanup_closedir_ DIR *d = opendir(path);
	_cleanup_free_ int *tids = NULL;
	unsigned n = 0, cap = 0;
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		unsigned v;
		if (parse_uint(e->d_name, 10, INT32_MAX, &v) < 0)
			continue;
		if (n == cap)
			tids = xrealloc(tids, (cap = cap ? cap * 2 : 32) * sizeof(int));
		tids[n++] = (int)v;
	}
	*ret = TAKE_PTR(tids);
	*ret_n = n;
	return 0;
}

static int do_pin(struct sup *s)
{
	_cleanup_free_ int *vcpu = NULL, *io = NULL, *all = NULL;
	_cleanup_free_ struct sv_pin *pins = NULL;
	struct strv io_names = { 0 };
	struct sv_threads t = { 0 };
	int r, n;

	if (!s->p->pin.n && !s->p->emulator_pin.n && !s->p->io_pin.n)
		return 0;
	r = qmp_tids(s, "query-cpus-fast", "thread-id", NULL, &vcpu, &t.n_vcpu);
	if (r == 0)
		r = qmp_tids(s, "query-iothreads", "thread-id", &io_names, &io, &t.n_io);
	if (r == 0)
		r = task_tids(s->qemu, &all, &t.n_all);
	if (r < 0) {
		strv_clear(&io_names);
		return r;
	}
	t.vcpu = vcpu;
	t.io = io;
	t.io_name = (const char *const *)io_names.v;
	t.all = all;
	n = sv_pin_plan(s->p, s->f->host.n_cpus, &t, &pins);
	if (n == -EINVAL)
		say(s, "QEMU has %u vCPU threads, pin = lists %u CPUs", t.n_vcpu, s->p->pin.n);
	for (int i = 0; i < n; i++) {
		char cpus[256];
		cpu_set_t set;

		CPU_ZERO(&set);
		for (unsigned c = 0; c < pins[i].cpus.n; c++)
			CPU_SET(pins[i].cpus.cpu[c], &set);
		cpuset_format(&pins[i].cpus, cpus, sizeof(cpus));
		if (sched_setaffinity(pins[i].tid, sizeof(set), &set) < 0) {
			r = -errno;
			/* A worker thread may end between the listing and now. */
			if (r == -ESRCH && !strstr(pins[i].what, "vCPU"))
				continue;
			say(s, "pinning %s (thread %d) to CPU %s: %s", pins[i].what, pins[i].tid, cpus,
			    strerror(-r));
			strv_clear(&io_names);
			return r;
		}
		say(s, "pinned %s (thread %d) to CPU %s", pins[i].what, pins[i].tid, cpus);
	}
	strv_clear(&io_names);
	return n < 0 ? n : 0;
}

static int qmp_simple(struct sup *s, const char *cmd)
{
	_cleanup_free_ char *err = NULL;
	int r;

	if (!s->qmp_up)
		return -ENOTCONN;
	r = qmp_execute(&s->qmp, cmd, NULL, NULL, &err);
	if (r < 0)
		say(s, "QMP %s: %s", cmd, err ? err : strerror(-r));
	return r;
}

static void tell_parent(struct sup *s, char code)
{
	if (s->ready_fd < 0)
		return;
	write_all(s->ready_fd, &code, 1);
	close(s->ready_fd);
	s->ready_fd = -1;
}

static void feed(struct sup *s, const struct sv_event *ev);

/* Performs one action; false when it failed and the rest of the batch must not run. */
static bool perform(struct sup *s, const struct sv_action *a)
{
	_cleanup_free_ char *sock = NULL;
	int r;

	switch (a->type) {
	case SV_ACT_CONNECT:
		sock = vm_run_file(s->f->run_dir, PLAN_SUPERVISOR_SOCKET);
		r = qmp_open(sock, &s->qmp);
		if (r == 0) {
			s->qmp_up = true;
			say(s, "QMP answers");
			feed(s, &(struct sv_event){ .type = SV_EV_QMP_UP });
		} else if (r != -ENOENT && r != -ECONNREFUSED)
			say(s, "QMP %s: %s, trying again", sock, strerror(-r));
		return true;
	case SV_ACT_PIN:
		r = do_pin(s);
		if (r < 0) {
			s->failure = "pinning the QEMU threads failed";
			feed(s, &(struct sv_event){ .type = SV_EV_SETUP_FAILED });
			return false;
		}
		return true;
	case SV_ACT_CONT:
		if (qmp_simple(s, "cont") < 0) {
			s->failure = "QMP cont failed";
			feed(s, &(struct sv_event){ .type = SV_EV_SETUP_FAILED });
			return false;
		}
		say(s, "cont sent: the guest runs");
		s->cont_at = now_ms();
		write_state(s);
		tell_parent(s, 0);
		return true;
	case SV_ACT_POWERDOWN:
		say(s, "powerdown sent (ACPI power button); quit in %llu s if the guest does not power off",
		    (unsigned long long)(s->st.shutdown_timeout_ms / 1000));
		qmp_simple(s, "system_powerdown");
		write_state(s);
		return true;
	case SV_ACT_QUIT:
		say(s, "quit sent (%s)",
		    a->code == SV_QUIT_SIGINT	? "a second SIGINT"
		    : a->code == SV_QUIT_FAILED ? "the start failed"
						: "the guest did not power off in time");
		if (qmp_simple(s, "quit") < 0 && pidfd_signal(s, SIGTERM) == 0)
			say(s, "QMP is gone: SIGTERM sent to QEMU");
		write_state(s);
		return true;
	case SV_ACT_TERMINATE:
		say(s, "QEMU's monitor is not up yet: SIGTERM sent to QEMU");
		pidfd_signal(s, SIGTERM);
		write_state(s);
		return true;
	case SV_ACT_KILL:
		say(s, "QEMU did not exit: SIGKILL sent");
		pidfd_signal(s, SIGKILL);
		return true;
	case SV_ACT_IGNORED:
		say(s, "%s: already shutting down (%s)", strsignal(a->code), sv_phase_name(s->st.phase));
		return true;
	case SV_ACT_EXIT:
		return true;
	}
	return true;
}

static void feed(struct sup *s, const struct sv_event *ev)
{
	struct sv_action a[SV_MAX_ACTIONS];
	unsigned n = sv_step(&s->st, ev, now_ms(), a);

	for (unsigned i = 0; i < n; i++)
		if (!perform(s, &a[i]))
			break;
}

static void on_signal(struct sup *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			siginfo_t qemu = { 0 };
			/* QEMU's own exit is the pidfd's to report; here only whether it has come. */
			waitid(P_PID, (id_t)s->qemu, &qemu, WEXITED | WNOHANG | WNOWAIT);
			tpm_reap(&s->tpm, qemu.si_pid == 0 &&
						  (s->st.phase == SV_STARTING || s->st.phase == SV_RUNNING));
			continue;
		}
		say(s, "%s received", strsignal((int)si.ssi_signo));
		s->stop_asked = true;
		feed(s, &(struct sv_event){ .type = SV_EV_SIGNAL, .signo = (int)si.ssi_signo });
	}
}

static void on_qmp(struct sup *s)
{
	struct strv events = { 0 };
	int r = qmp_read_events(&s->qmp, &events);

	for (size_t i = 0; i < events.n; i++)
		if (!streq(events.v[i], "RTC_CHANGE"))
			say(s, "QEMU event %s", events.v[i]);
	strv_clear(&events);
	if (r < 0) {
		qmp_close(&s->qmp);
		s->qmp_up = false;
	}
}

static void remove_socket(struct sup *s, const char *name)
{
	_cleanup_free_ char *path = vm_run_file(s->f->run_dir, name);
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && unlink(path) == 0)
		say(s, "removed %s (QEMU did not)", path);
}

/* A shared-memory file QEMU will create (missing now, in /dev/shm) is this run's to remove; one
 * that was there before is the user's, and stays. */
static void note_shm_created(struct sup *s, bool wanted, const struct host_file *hf, const char *path,
			     const char *what)
{
	if (wanted && hf->state == ACC_MISSING && startswith(path, "/dev/shm/") &&
	    s->n_shm_created < ARRAY_SIZE(s->shm_created))
		s->shm_created[s->n_shm_created++] = (typeof(s->shm_created[0])){ path, what };
}

/* logind's inhibitor, taken while QEMU comes up paused: the D-Bus round trip (and the loading of
 * libsystemd) overlaps QEMU's start instead of delaying it, and the guest runs only after cont. */
static void take_inhibitor(struct sup *s)
{
	const char *inhibit = plan_inhibit(s->p);
	_cleanup_free_ char *why_text = NULL;
	char why[256];

	if (!inhibit)
		return;
	why_text = xasprintf("VM %s is running", s->p->name);
	if (bus_inhibit(inhibit, "qemu-vm", why_text, &s->inhibit_fd, why, sizeof(why)) < 0)
		say(s, "no logind inhibitor (%s): the host may sleep while the VM runs; going on", why);
	else
		say(s, "holding a logind inhibitor (%s, block): VM %s is running", inhibit, s->p->name);
}

/* Everything taken, given back in reverse order. */
static void give_back(struct sup *s)
{
	_cleanup_free_ char *state = vm_run_file(s->f->run_dir, "state"),
			    *lock = vm_run_file(s->f->run_dir, "lock");

	if (s->qmp_up)
		qmp_close(&s->qmp);
	if (s->inhibit_fd >= 0) {
		close(s->inhibit_fd);
		say(s, "logind inhibitor released");
	}
	tpm_stop(&s->tpm);
	remove_socket(s, PLAN_SUPERVISOR_SOCKET);
	remove_socket(s, PLAN_QMP_SOCKET);
	/* QEMU leaves its SPICE socket behind, whatever way it exits. */
	remove_socket(s, PLAN_SPICE_SOCKET);
	for (unsigned i = s->n_shm_created; i-- > 0;) {
		const char *path = s->shm_created[i].path;

		if (unlink(path) == 0)
			say(s, "removed the %s file %s this run created", s->shm_created[i].what, path);
		else if (errno != ENOENT)
			say(s, "removing %s: %s, ignoring", path, strerror(errno));
	}
	huge_vm_give_back(s->f, &s->huge, say_line, s);
	handover_give_back(&s->handover, say_line, s);
	unlink(state);
	/* Unlinked while still held: a run that opened it meanwhile sees it is gone and retries. */
	unlink(lock);
	say(s, "lock released");
	close(s->lock_fd);
}

static void describe_exit(struct sup *s, int status)
{
	if (WIFEXITED(status))
		say(s, "QEMU exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		say(s, "QEMU was killed by signal %d (%s)%s", WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WTERMSIG(status) == SIGKILL && s->st.phase != SV_QUITTING ? ", not by qemu-vm" : "");
}

static int loop(struct sup *s)
{
	for (;;) {
		struct pollfd pfd[4] = {
			{ .fd = s->sigfd, .events = POLLIN },
			{ .fd = s->pidfd, .events = POLLIN },
			{ .fd = s->out_fd, .events = POLLIN },
			{ .fd = s->qmp_up ? s->qmp.fd : -1, .events = POLLIN },
		};
		uint64_t now = now_ms();
		int timeout = !s->st.deadline ? -1 : s->st.deadline <= now ? 0 : (int)(s->st.deadline - now);

		if (poll(pfd, 4, timeout) < 0 && errno != EINTR)
			return -errno;
		if (pfd[2].revents && !pass_output(s)) {
			close(s->out_fd);
			s->out_fd = -1;
		}
		if (pfd[0].revents)
			on_signal(s);
		if (pfd[3].revents && s->qmp_up)
			on_qmp(s);
		if (pfd[1].revents) {
			int status = 0;
			struct sv_action a[SV_MAX_ACTIONS];

			if (waitpid(s->qemu, &status, 0) < 0)
				return -errno;
			while (s->out_fd >= 0 && pass_output(s))
				;
			describe_exit(s, status);
			sv_step(&s->st, &(struct sv_event){ .type = SV_EV_QEMU_EXITED, .status = status },
				now_ms(), a);
			return a[0].code;
		}
		feed(s, &(struct sv_event){ .type = SV_EV_TICK });
	}
}

/* --detach: the parent waits until QMP answers (or the start failed), then returns. */
static int detach(struct sup *s, const char *log_path, bool *ret_child)
{
	int ready[2];
	pid_t pid;
	char code = 1;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		close(ready[0]);
		setsid();
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			close(null);
		}
		s->ready_fd = ready[1];
		s->echo = false;
		*ret_child = true;
		return 0;
	}
	close(ready[1]);
	close(s->lock_fd); /* the child holds it now */
	while (read(ready[0], &code, 1) < 0 && errno == EINTR)
		;
	close(ready[0]);
	if (code == 0) {
		printf("%s: running in the background (supervisor pid %d); log: %s\n", s->p->name, (int)pid,
		       log_path);
		return 0;
	}
	fprintf(stderr, "qemu-vm: %s did not start; the log says why: %s\n", s->p->name, log_path);
	return 1;
}

int supervise(const struct profile *p, const struct vm_facts *f, const struct plan *pl, int lock_fd,
	      const struct supervise_opts *o)
{
	struct sup s = { .p = p,
			 .f = f,
			 .pl = pl,
			 .lock_fd = lock_fd,
			 .log_fd = -1,
			 .echo = true,
			 .pidfd = -1,
			 .sigfd = -1,
			 .out_fd = -1,
			 .ready_fd = -1,
			 .qmp = { .fd = -1 },
			 .inhibit_fd = -1,
			 .desktop = o->desktop,
			 .tpm = { .pidfd = -1, .log = say_line } };
	_cleanup_free_ char *log_path = vm_log_path(p->name);
	sigset_t mask, old;
	int r, code;

	s.log_path = log_path;
	if (o->detach) {
		bool child = false;
		log_start(&s);
		r = detach(&s, log_path ? log_path : "(none)", &child);
		if (!child) {
			if (s.log_fd >= 0)
				close(s.log_fd);
			return r < 0 ? 1 : r;
		}
	}
	{
		_cleanup_free_ char *line = NULL;
		struct strv words = { 0 };
		for (size_t i = 0; i < pl->argv.n; i++)
			strv_push_take(&words, shell_quote(i ? pl->argv.v[i] : f->qemu_file));
		for (size_t i = 0; i < words.n; i++) {
			char *t = xasprintf("%s%s%s", line ? line : "", i ? " " : "", words.v[i]);
			free(line);
			line = t;
		}
		strv_clear(&words);
		say(&s, "starting %s: %s", p->name, line);
	}
	note_shm_created(&s, p->lg, &f->lg, p->lg_path, "Looking Glass");
	note_shm_created(&s, p->scream, &f->scream, p->scream_path, "Scream");

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &old);
	s.tpm.ctx = &s;
	s.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s.sigfd < 0) {
		r = -errno;
		say(&s, "signalfd: %s", strerror(-r));
		code = 1;
		goto out;
	}
	if (p->tpm)
		log_start(&s); /* swtpm writes into it */
	{
		/* What the host gives the VM, in order; give_back() returns whatever was taken. */
		_cleanup_free_ char *error = NULL;
		if (handover_take(p, &f->ho, &s.handover, say_line, &s, &error) < 0 ||
		    huge_vm_take(p, f, &s.huge, say_line, &s, &error) < 0 ||
		    tpm_start(&s.tpm, p, f, s.log_fd, &old, &error) < 0) {
			start_refused(&s, error);
			code = 1;
			goto out;
		}
	}
	s.since = (long long)time(NULL);
	sv_init(&s.st, p->shutdown_timeout, now_ms());
	r = start_qemu(&s, &old);
	log_start(&s);
	if (r < 0) {
		_cleanup_free_ char *error = xasprintf("starting %s: %s", f->qemu_file, strerror(-r));
		start_refused(&s, error);
		code = 1;
		goto out;
	}
	say(&s, "QEMU started, pid %d (paused until its threads are pinned)", (int)s.qemu);
	write_state(&s);
	take_inhibitor(&s);
	code = loop(&s);
	if (code < 0) {
		say(&s, "supervisor loop: %s; SIGKILL sent to QEMU", strerror(-code));
		pidfd_signal(&s, SIGKILL);
		waitpid(s.qemu, NULL, 0);
		code = 1;
	}
	/* QEMU gave up by itself, before the guest ran or in its first seconds. */
	if (s.desktop && code != 0 && (s.st.phase == SV_EXITED) &&
	    (!s.cont_at || now_ms() - s.cont_at < 10000) && !s.stop_asked) {
		_cleanup_free_ char *what = xasprintf("QEMU exited with status %d%s%s", code,
						      s.last_output[0] ? ": " : "", s.last_output);
		_cleanup_free_ char *fix = xasprintf("qemu-vm check %s, and the log", p->name);
		notify_failure(&s, p->name, what, fix);
	}
	say(&s, "exit status %d", code);
out:
	log_start(&s); /* a start refused before QEMU */
	tell_parent(&s, 1);
	give_back(&s);
	if (s.out_fd >= 0)
		close(s.out_fd);
	if (s.pidfd >= 0)
		close(s.pidfd);
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (s.log_fd >= 0)
		close(s.log_fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return code;
}
