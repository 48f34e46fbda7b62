// SPDX-License-Identifier: GPL-2.0-or-later
/* The launcher's commands: each parses its own options, then runs parse → inspect → plan → act. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/stat.h>
#include "act.h"
#include "commands.h"
#include "bus.h"
#include "inspect.h"
#include "maintenance.h"
#include "plan.h"
#include "qmp.h"
#include "sandbox.h"
#include "supervise-state.h"
#include "supervise.h"

/* Where make install puts the example profiles (the Makefile passes it). */
#ifndef EXAMPLES_DIR
#define EXAMPLES_DIR "/usr/local/share/qemu-vm/profiles"
#endif

int load_profile(const struct global *g, const char *name, struct profile *ret)
{
	struct profile_errors errs = { 0 };
	_cleanup_free_ char *path = profile_find(name, g->root), *shown = NULL;
	int r;

	if (!path) {
		if (errno == EINVAL)
			fprintf(stderr,
				"qemu-vm: '%s': a profile name has only letters, digits, - and _ "
				"(or give a path to a .ini file)\n",
				name);
		else if (profile_name_is_path(name))
			fprintf(stderr, "qemu-vm: %s: %s\n", name, strerror(errno));
		else
			fprintf(stderr,
				"qemu-vm: no profile '%s' (looked for $XDG_CONFIG_HOME/qemu-vm/%s.ini and "
				"/etc/qemu-vm/%s.ini; qemu-vm list shows what there is)\n",
				name, name, name);
		return -ENOENT;
	}
	r = profile_load(path, ret, &errs);
	shown = escape_control(path); /* a file name may hold a newline */
	if (r == -EINVAL) {
		for (size_t i = 0; i < errs.msgs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs.v[i]);
		size_t n = errs.msgs.n > PROFILE_MAX_ERRORS ? PROFILE_MAX_ERRORS : errs.msgs.n;
		fprintf(stderr, "qemu-vm: %s%zu error%s in %s; nothing was started\n",
			errs.msgs.n > PROFILE_MAX_ERRORS ? "more than " : "", n, n == 1 ? "" : "s", shown);
	} else if (r < 0)
		fprintf(stderr, "qemu-vm: %s: %s\n", shown, strerror(-r));
	profile_errors_free(&errs);
	return r;
}

/* parse → inspect → plan: everything up to the point where something would happen. @no_run:
 * why QEMU may not be run to learn what it can do, or NULL. @maintenance: the profile's
 * maintenance form (--maintenance). */
int prepare(const struct global *g, const char *name, const char *no_run, bool maintenance, struct profile *p,
	    struct vm_facts *f, struct plan *pl)
{
	int r = load_profile(g, name, p);

	if (r < 0)
		return r;
	if (maintenance)
		profile_maintenance(p);
	/* Fixes name the profile by its absolute path: they run under sudo, from anywhere. */
	_cleanup_free_ char *abs = realpath(p->path, NULL);
	r = inspect(g->root, p, abs ? abs : p->path, no_run, f);
	if (r < 0) {
		fprintf(stderr, "qemu-vm: reading the host under '%s': %s\n", g->root, strerror(-r));
		profile_free(p);
		return r;
	}
	plan_build(p, f, pl);
	f->profile_arg = NULL; /* abs goes now */
	return 0;
}

void release(struct profile *p, struct vm_facts *f, struct plan *pl)
{
	plan_free(pl);
	vm_facts_free(f);
	profile_free(p);
}

bool refuse_elevated(void)
{
	char why[128];

	if (privilege_check(why, sizeof(why)) != PRIV_ELEVATED)
		return false;
	fprintf(stderr,
		"qemu-vm: refusing to start: %s. This copy is set-user-ID or set-group-ID, has file "
		"capabilities, or was started holding capabilities, and QEMU would inherit that power; "
		"its environment (HOME, XDG_RUNTIME_DIR and the rest) is ignored too, as for any set-ID "
		"program (hint: run the installed qemu-vm as yourself; chmod ug-s and setcap -r on a copy)\n",
		why);
	return true;
}

bool refuse_privileged(const struct global *g, const char *cmd)
{
	char why[128];

	if (g->allow_root || privilege_check(why, sizeof(why)) == PRIV_NONE)
		return false;
	fprintf(stderr,
		"qemu-vm: refusing to %s while %s: QEMU would get that power too, and a VM is the "
		"last place it belongs (run as your own user after sudo vfio-setup install; "
		"--allow-root overrides)\n",
		cmd, why);
	return true;
}

/* Root (let through by --allow-root) runs no program the profile names before the VM itself:
 * qemu = may be any file of the profile's owner. */
static const char *privileged_no_run(void)
{
	char why[128];

	return privilege_check(why, sizeof(why)) == PRIV_NONE
		       ? NULL
		       : "running as root, nothing the profile names is run before the VM";
}

/* One-argument commands share this option loop: only -h. */
static const char *single_name(int argc, char **argv, const char *usage)
{
	if (argc == 2 && argv[1][0] != '-')
		return argv[1];
	fprintf(stderr, "usage: qemu-vm %s\n", usage);
	return NULL;
}

void print_checks(const struct plan *pl, FILE *out, bool all)
{
	static const char *const tag[] = { "ok  ", "warn", "FAIL" };

	for (size_t i = 0; i < pl->n_checks; i++) {
		const struct check *c = &pl->checks[i];
		if (!all && c->level == CHECK_OK)
			continue;
		fprintf(out, "%s  %s\n", tag[c->level], c->what);
		if (c->fix && c->level != CHECK_OK)
			fprintf(out, "      fix: %s\n", c->fix);
	}
}

/* The option loop of the commands whose only option is --json; the positional arguments start
 * at optind. -1 on a usage error (said on stderr). */
static int json_option(int argc, char **argv, int n_args, const char *usage, bool *ret_json)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	int c;

	optind = 1;
	*ret_json = false;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'j') {
			fprintf(stderr, "usage: qemu-vm %s\n", usage);
			return -1;
		}
		*ret_json = true;
	}
	if (argc - optind != n_args || (n_args && argv[optind][0] == '-')) {
		fprintf(stderr, "usage: qemu-vm %s\n", usage);
		return -1;
	}
	return 0;
}

int cmd_check(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "maintenance", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name;
	struct profile p;
	struct vm_facts f;
	struct plan pl;
	size_t fails = 0, warns = 0;
	bool json = false, maintenance = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'j' && c != 'm') {
			fprintf(stderr, "usage: qemu-vm check [--json] [--maintenance] NAME\n");
			return 2;
		}
		json |= c == 'j';
		maintenance |= c == 'm';
	}
	if (optind != argc - 1 || argv[optind][0] == '-') {
		fprintf(stderr, "usage: qemu-vm check [--json] [--maintenance] NAME\n");
		return 2;
	}
	name = argv[optind];
	if (refuse_privileged(g, "check"))
		return 1;
	if (prepare(g, name, privileged_no_run(), maintenance, &p, &f, &pl) < 0)
		return 1;
	for (size_t i = 0; i < pl.n_checks; i++) {
		fails += pl.checks[i].level == CHECK_FAIL;
		warns += pl.checks[i].level == CHECK_WARN;
	}
	if (json) {
		json_out_check(p.name, &pl);
		release(&p, &f, &pl);
		return fails ? 1 : 0;
	}
	print_checks(&pl, stdout, true);
	if (fails)
		printf("%s: %zu problem%s, %zu warning%s; qemu-vm run %s%s would refuse to start\n", p.name,
		       fails, fails == 1 ? "" : "s", warns, warns == 1 ? "" : "s",
		       maintenance ? "--maintenance " : "", name);
	else
		printf("%s: ready, %zu warning%s\n", p.name, warns, warns == 1 ? "" : "s");
	release(&p, &f, &pl);
	return fails ? 1 : 0;
}

int cmd_show(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "oneline", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "maintenance", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	bool oneline = false, json = false, maintenance = false;
	struct profile p;
	struct vm_facts f;
	struct plan pl;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'o' && c != 'j' && c != 'm') {
			fprintf(stderr, "usage: qemu-vm show [--oneline | --json] [--maintenance] NAME\n");
			return 2;
		}
		oneline |= c == 'o';
		json |= c == 'j';
		maintenance |= c == 'm';
	}
	if (optind != argc - 1 || (oneline && json)) {
		fprintf(stderr, "usage: qemu-vm show [--oneline | --json] [--maintenance] NAME\n");
		return 2;
	}
	if (prepare(g, argv[optind], "show runs nothing (check asks QEMU once)", maintenance, &p, &f, &pl) <
	    0)
		return 1;
	if (json) {
		json_out_show(p.name, &pl);
		release(&p, &f, &pl);
		return 0;
	}
	for (size_t i = 0; i < pl.argv.n; i++) {
		_cleanup_free_ char *q = shell_quote(pl.argv.v[i]);
		fputs(q, stdout);
		fputc(oneline && i + 1 < pl.argv.n ? ' ' : '\n', stdout);
	}
	release(&p, &f, &pl);
	return 0;
}

/* The run directory of the VM @name, checked (and with @create made) as run_dir_check says. */
int vm_run_dir(const char *name, bool create, char **ret)
{
	_cleanup_free_ char *rt = NULL, *dir = NULL;
	char why[1024];
	bool fallback;
	int r;

	rt = runtime_base(&fallback);
	dir = xasprintf("%s/qemu-vm/%s", rt, name);
	r = run_dir_check(dir, fallback, create, why, sizeof(why));
	if (r < 0 && (create || r != -ENOENT))
		fprintf(stderr, "qemu-vm: %s\n", why);
	if (r == 0)
		*ret = TAKE_PTR(dir);
	return r;
}

int cmd_run(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "detach", no_argument, NULL, 'd' },
		{ "maintenance", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct supervise_opts o = { 0 };
	bool maintenance = false;
	_cleanup_free_ char *run_dir = NULL, *error = NULL;
	struct vm_state held;
	struct profile p;
	struct vm_facts f;
	struct plan pl;
	int c, r, lock_fd = -1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'd' && c != 'm') {
			fprintf(stderr, "usage: qemu-vm run [--detach] [--maintenance] NAME\n");
			return 2;
		}
		o.detach |= c == 'd';
		maintenance |= c == 'm';
	}
	if (optind != argc - 1 || argv[optind][0] == '-') {
		fprintf(stderr, "usage: qemu-vm run [--detach] [--maintenance] NAME\n");
		return 2;
	}
	o.profile_arg = argv[optind];
	o.desktop = !isatty(2);
	if (refuse_privileged(g, "run a VM"))
		return 1;
	if (prepare(g, o.profile_arg, privileged_no_run(), maintenance, &p, &f, &pl) < 0)
		return 1;
	/* A bug report's tree may hold anything; its programs are read about, never run. */
	if (f.qemu_in_tree) {
		fprintf(stderr,
			"qemu-vm: %s not started: QEMU '%s' would come from the host tree '%s', and nothing in "
			"a tree other than / is run (--host-root is for show, check and devices)\n",
			p.name, f.qemu_path, g->root);
		release(&p, &f, &pl);
		return 1;
	}
	/* One instance per VM, decided before the checks (a running VM holds what they look at)
	 * and before anything is touched. */
	if (vm_run_dir(p.name, true, &run_dir) < 0) {
		release(&p, &f, &pl);
		return 1;
	}
	r = vm_lock(run_dir, &lock_fd, &held);
	if (r < 0) {
		if (r == -EBUSY) {
			_cleanup_free_ char *what = xasprintf("%s is already running (pid %d)", p.name,
							      (int)(held.qemu ? held.qemu : held.supervisor));
			_cleanup_free_ char *fix = xasprintf("qemu-vm stop %s", o.profile_arg);
			fprintf(stderr, "qemu-vm: %s; %s\n", what, fix);
			/* Not into the log: it is the running VM's. */
			if (o.desktop) {
				char why[256];
				_cleanup_free_ char *summary = xasprintf("VM %s did not start", p.name);
				_cleanup_free_ char *body = xasprintf("%s\nfix: %s", what, fix);
				bus_notify(summary, body, why, sizeof(why));
			}
		} else
			fprintf(stderr, "qemu-vm: %s/lock: %s\n", run_dir, strerror(-r));
		release(&p, &f, &pl);
		return 1;
	}
	if (!plan_ok(&pl)) {
		const struct check *first = NULL;
		print_checks(&pl, stderr, false);
		fprintf(stderr, "qemu-vm: %s not started (qemu-vm check %s shows every check)\n", p.name,
			o.profile_arg);
		for (size_t i = 0; i < pl.n_checks && !first; i++)
			if (pl.checks[i].level == CHECK_FAIL)
				first = &pl.checks[i];
		run_refused(p.name, o.desktop, first->what, first->fix);
		r = 1;
	} else {
		print_checks(&pl, stderr, false);
		r = act_prepare(&p, &f, &pl, &error);
		if (r < 0) {
			fprintf(stderr, "qemu-vm: %s\n", error);
			run_refused(p.name, o.desktop, error, NULL);
			r = 1;
		} else
			r = supervise(&p, &f, &pl, TAKE_FD(lock_fd), &o);
	}
	if (lock_fd >= 0) {
		_cleanup_free_ char *lock = xasprintf("%s/lock", run_dir);
		unlink(lock);
		close(lock_fd);
	}
	release(&p, &f, &pl);
	return r;
}

/* Whether a supervisor runs the VM @name, with what its state file says. */
static bool running_state(const char *name, struct vm_state *ret)
{
	_cleanup_free_ char *rt = NULL, *dir = NULL;
	char why[512];
	bool fallback;

	rt = runtime_base(&fallback);
	dir = xasprintf("%s/qemu-vm/%s", rt, name);
	return run_dir_check(dir, fallback, false, why, sizeof(why)) == 0 && vm_running(dir, ret);
}

/* "  running, QEMU pid 1234, since 2026-12-01 15:40" for a VM a supervisor runs. */
static char *running_note(const struct vm_state *st)
{
	char since[32] = "?";
	time_t t = (time_t)st->since;
	struct tm tm;

	if (localtime_r(&t, &tm))
		strftime(since, sizeof(since), "%Y-%m-%d %H:%M", &tm);
	return xasprintf("  %s, QEMU pid %d, since %s", st->phase[0] ? st->phase : "running", (int)st->qemu,
			 since);
}

static void list_dir(const char *dir, const char *where, unsigned *count, struct json_object *json)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *e = names[i]->d_name;
		size_t len = strlen(e);
		_cleanup_free_ char *path = NULL;
		struct profile p;
		struct profile_errors errs = { 0 };

		if (len > 4 && streq(e + len - 4, ".ini")) {
			_cleanup_free_ char *stem = xstrndup(e, len - 4), *shown = escape_control(stem);
			struct vm_state st;
			bool running = running_state(stem, &st);

			path = xasprintf("%s/%s", dir, e);
			if (profile_load(path, &p, &errs) == 0) {
				_cleanup_free_ char *run = running && !json ? running_note(&st) : NULL;

				if (json)
					json_out_profile(json, stem, p.title, path, where, true,
							 running ? &st : NULL);
				else
					printf("%-16s %-40s %s%s\n", shown, p.title ? p.title : "-", where,
					       run ? run : "");
				profile_free(&p);
			} else if (json)
				json_out_profile(json, stem, NULL, path, where, false, running ? &st : NULL);
			else
				printf("%-16s %-40s %s\n", shown, "(errors: qemu-vm check)", where);
			profile_errors_free(&errs);
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
}

int cmd_list(const struct global *g, int argc, char **argv)
{
	_cleanup_free_ char *user = expand_path("$XDG_CONFIG_HOME/qemu-vm");
	_cleanup_free_ char *sys = host_path(g->root, "/etc/qemu-vm");
	struct json_object *json = NULL;
	unsigned count = 0;
	bool want_json;

	if (json_option(argc, argv, 0, "list [--json]", &want_json) < 0)
		return 2;
	if (want_json)
		json = json_out_new_array();
	if (user)
		list_dir(user, user, &count, json);
	list_dir(sys, "/etc/qemu-vm", &count, json);
	if (json)
		json_out_print(json);
	else if (!count) {
		_cleanup_free_ char *to = shell_quote(user ? user : "~/.config/qemu-vm");
		fprintf(stderr,
			"no profiles yet: the examples are in %s (the profiles/ directory of the sources, if not "
			"installed); start from one:\n  mkdir -p %s && cp %s/minimal.ini %s/NAME.ini\n",
			EXAMPLES_DIR, to, EXAMPLES_DIR, to);
	}
	return 0;
}

int cmd_devices(const struct global *g, int argc, char **argv)
{
	struct pci_host pci;
	struct usb_host usb;
	const struct pci_dev_info **order;
	int r, group = -2;
	bool json;

	if (json_option(argc, argv, 0, "devices [--json]", &json) < 0)
		return 2;
	r = pci_host_scan(g->root, &pci);
	if (r == -ENOENT) {
		if (!json)
			printf("No PCI devices (no /sys/bus/pci under '%s')\n", g->root);
		pci = (struct pci_host){ 0 };
	} else if (r < 0) {
		fprintf(stderr, "qemu-vm: reading PCI devices under '%s': %s\n", g->root, strerror(-r));
		return 1;
	}
	order = pci_host_by_group(&pci);
	if (json) {
		r = usb_host_scan(g->root, &usb);
		if (r < 0)
			fprintf(stderr, "qemu-vm: reading USB devices: %s\n", strerror(-r));
		else {
			json_out_devices(order, pci.n, &usb);
			usb_host_free(&usb);
		}
		free(order);
		pci_host_free(&pci);
		return r < 0 ? 1 : 0;
	}
	for (size_t i = 0; i < pci.n; i++) {
		const struct pci_dev_info *d = order[i];
		char a[16];

		if (d->iommu_group != group) {
			group = d->iommu_group;
			if (group < 0)
				printf("No IOMMU group (the IOMMU is off)\n");
			else
				printf("IOMMU group %d\n", group);
		}
		pci_addr_fmt(&d->addr, a, sizeof(a));
		printf("  %s  %-28.28s [%04x]  %04x:%04x  sub %04x:%04x  %-14s %s%s\n", a + 5, d->class_name,
		       d->class >> 8, d->vendor, d->device, d->sub_vendor, d->sub_device,
		       d->driver ? d->driver : "-", d->name, pci_class_is_gpu(d->class) ? "  <- GPU" : "");
	}
	free(order);
	pci_host_free(&pci);

	r = usb_host_scan(g->root, &usb);
	if (r < 0) {
		fprintf(stderr, "qemu-vm: reading USB devices: %s\n", strerror(-r));
		return 1;
	}
	printf("USB (port = bus-port for [usb] port =, device = vendor:product)\n");
	for (size_t i = 0; i < usb.n; i++) {
		char port[48];
		snprintf(port, sizeof(port), "%u-%s", usb.dev[i].bus, usb.dev[i].port);
		printf("  %-10s %04x:%04x  %s\n", port, usb.dev[i].vendor, usb.dev[i].product,
		       usb.dev[i].name);
	}
	usb_host_free(&usb);
	return 0;
}

int vm_qmp_open(const char *name, struct qmp *ret)
{
	_cleanup_free_ char *dir = NULL, *sock = NULL;
	int r = vm_run_dir(name, false, &dir);

	if (r == -ENOENT) {
		_cleanup_free_ char *rt = NULL;
		bool fallback;
		rt = runtime_base(&fallback);
		fprintf(stderr, "qemu-vm: %s is not running (no QEMU listens on %s/qemu-vm/%s/%s)\n", name,
			rt, name, PLAN_QMP_SOCKET);
	}
	if (r < 0)
		return r;
	sock = xasprintf("%s/%s", dir, PLAN_QMP_SOCKET);
	r = qmp_open(sock, ret);
	if (r == -ENOENT || r == -ECONNREFUSED)
		fprintf(stderr, "qemu-vm: %s is not running (no QEMU listens on %s)\n", name, sock);
	else if (r == -EPERM)
		fprintf(stderr,
			"qemu-vm: %s: served by another user's process, not your QEMU; nothing sent "
			"(hint: remove it, and set XDG_RUNTIME_DIR)\n",
			sock);
	else if (r < 0)
		fprintf(stderr, "qemu-vm: %s: %s\n", sock, strerror(-r));
	return r;
}

/* Waits up to @ms for the process behind @pidfd to exit; true when it did. */
static bool wait_exit(int pidfd, int ms)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	int r;

	while ((r = poll(&pfd, 1, ms)) < 0 && errno == EINTR)
		;
	return r > 0;
}

/* The supervisor's own shutdown: SIGTERM is the power button, SIGINT after it quits. */
static int stop_supervised(const char *name, const struct vm_state *st, unsigned timeout, bool force)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, st->supervisor, 0);

	if (pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0) < 0) {
		fprintf(stderr, "qemu-vm: %s: its supervisor (pid %d): %s\n", name, (int)st->supervisor,
			strerror(errno));
		return 1;
	}
	printf("%s: ACPI power button pressed (by its supervisor, pid %d), waiting up to %u s\n", name,
	       (int)st->supervisor, timeout);
	fflush(stdout);
	if (!wait_exit(pidfd, (int)timeout * 1000)) {
		if (!force) {
			fprintf(stderr,
				"qemu-vm: %s still runs after %u s (qemu-vm stop --force %s quits QEMU)\n",
				name, timeout, name);
			return 1;
		}
		printf("%s: the guest did not power off; quitting QEMU\n", name);
		fflush(stdout);
		syscall(SYS_pidfd_send_signal, pidfd, SIGINT, NULL, 0);
		if (!wait_exit(pidfd, SV_QUIT_GRACE_MS + 5000)) {
			fprintf(stderr, "qemu-vm: %s: its supervisor (pid %d) did not exit\n", name,
				(int)st->supervisor);
			return 1;
		}
	}
	printf("%s: stopped\n", name);
	return 0;
}

int cmd_stop(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_free_ char *name = NULL, *err = NULL;
	unsigned timeout = 60;
	bool force = false;
	struct qmp q;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c != 't' || parse_uint(optarg, 10, 3600, &timeout) < 0) {
			fprintf(stderr, "usage: qemu-vm stop [--force] [--timeout SECONDS] NAME\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: qemu-vm stop [--force] [--timeout SECONDS] NAME\n");
		return 2;
	}
	/* The profile loader's rule: a '.', '..' or control character would put the socket path
	 * elsewhere or garble every message. */
	if (profile_vm_name(argv[optind], &name) < 0) {
		_cleanup_free_ char *shown = escape_control(argv[optind]);
		fprintf(stderr,
			"qemu-vm: '%s': no VM has that name (a name may not be empty, '.' or '..', nor "
			"hold control characters)\n",
			shown);
		return 1;
	}
	{
		_cleanup_free_ char *dir = NULL;
		struct vm_state st;
		r = vm_run_dir(name, false, &dir);
		if (r < 0 && r != -ENOENT)
			return 1;
		if (r == 0 && vm_running(dir, &st) && st.supervisor)
			return stop_supervised(name, &st, timeout, force);
	}
	if (vm_qmp_open(name, &q) < 0)
		return 1;
	/* No supervisor (a QEMU started by other means): ACPI power button first, as libvirt's
	 * shutdown does; quit only when asked to. */
	r = qmp_execute(&q, "system_powerdown", NULL, NULL, &err);
	if (r == 0) {
		printf("%s: ACPI power button pressed, waiting up to %u s\n", name, timeout);
		fflush(stdout);
		r = qmp_wait_closed(&q, (int)timeout * 1000);
	}
	if (r < 0 && force) {
		_cleanup_free_ char *err2 = NULL;
		printf("%s: the guest did not power off; quitting QEMU\n", name);
		r = qmp_execute(&q, "quit", NULL, NULL, &err2);
		/* Only an error answer means QEMU refused: with the reply lost (QEMU may close
		 * first) or late on a loaded host, the closing socket tells. */
		if (r != -EIO)
			r = qmp_wait_closed(&q, 30000);
	}
	qmp_close(&q);
	if (r < 0) {
		fprintf(stderr,
			"qemu-vm: %s still runs after %u s%s%s (qemu-vm stop --force %s quits QEMU)\n", name,
			timeout, err ? ": " : "", err ? err : "", name);
		return 1;
	}
	printf("%s: stopped\n", name);
	return 0;
}

int cmd_log(const struct global *g, int argc, char **argv)
{
	const char *arg = single_name(argc, argv, "log NAME");
	_cleanup_free_ char *name = NULL, *path = NULL;
	_cleanup_close_ int fd = -1;
	char buf[65536];
	ssize_t n;

	if (!arg)
		return 2;
	/* A path names its VM by the file name, as the profile loader says. */
	if (profile_name_is_path(arg)) {
		struct profile p;
		if (load_profile(g, arg, &p) < 0)
			return 1;
		name = xstrdup(p.name);
		profile_free(&p);
	} else if (profile_vm_name(arg, &name) < 0) {
		_cleanup_free_ char *shown = escape_control(arg);
		fprintf(stderr, "qemu-vm: '%s': no VM has that name\n", shown);
		return 1;
	}
	path = vm_log_path(name);
	fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	if (fd < 0) {
		fprintf(stderr, "qemu-vm: %s: no log (%s): qemu-vm run %s writes one\n", path ? path : name,
			strerror(path ? errno : ENOENT), arg);
		return 1;
	}
	fflush(stdout);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) != n)
			return 1;
	return n < 0 ? 1 : 0;
}
