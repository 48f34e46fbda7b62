// SPDX-License-Identifier: GPL-2.0-or-later
/* Act: the only stage with side effects — run directory, vars copy, confinement, exec. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/stat.h>
#include "act.h"
#include "fsutil.h"
#include "sandbox.h"

/* Says why in *@ret_error and returns @r (-EIO when @r is no error). */
_printf_(3, 4) static int fail(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*ret_error = xvasprintf(fmt, ap);
	va_end(ap);
	return r < 0 ? r : -EIO;
}

static int prepare_vars(const struct profile *p, const struct vm_facts *f, char **ret_error)
{
	_cleanup_free_ char *dir = NULL, *template = NULL;
	char *slash;
	int r;

	if (p->firmware != FW_UEFI || !f->vars_path || f->vars_exists)
		return 0;
	dir = xstrdup(f->vars_path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	r = mkdir_parents(dir, 0700);
	if (r < 0)
		return fail(ret_error, r, "%s: %s (hint: check that your home directory is writable)", dir, strerror(-r));
	template = host_path(f->host.root, f->host.firmware.vars);
	r = copy_file_atomic(template, f->vars_path, 0600);
	if (r < 0)
		return fail(ret_error, r, "copying the UEFI vars template %s to %s: %s", f->host.firmware.vars, f->vars_path,
			    strerror(-r));
	return 0;
}

/* /tmp/qemu-vm-UID: anyone could have made it first, so it must be ours and private. */
static int private_dir(const char *run_dir, char **ret_error)
{
	_cleanup_free_ char *base = xstrdup(run_dir);
	char *end = strstr(base, "/qemu-vm/");
	struct stat st;

	if (!end)
		return fail(ret_error, -EINVAL, "%s: unexpected run directory", run_dir);
	*end = '\0';
	if (mkdir(base, 0700) < 0 && errno != EEXIST)
		return fail(ret_error, -errno, "%s: %s", base, strerror(errno));
	if (lstat(base, &st) < 0)
		return fail(ret_error, -errno, "%s: %s", base, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		return fail(ret_error, -EPERM, "%s is not a private directory of yours (hint: set XDG_RUNTIME_DIR, or remove it)",
			    base);
	return 0;
}

int act_exec(const struct profile *p, const struct vm_facts *f, const struct plan *pl, char **ret_error)
{
	int r;

	if (f->runtime_fallback) {
		r = private_dir(f->run_dir, ret_error);
		if (r < 0)
			return r;
	}
	r = mkdir_parents(f->run_dir, 0700);
	if (r < 0)
		return fail(ret_error, r, "%s: %s", f->run_dir, strerror(-r));
	r = prepare_vars(p, f, ret_error);
	if (r < 0)
		return r;
	/* The plan refuses a QEMU inspect did not find; this is what inspect found. */
	if (!f->qemu_file)
		return fail(ret_error, -ENOENT, "%s: not found on PATH (hint: sudo apt-get install qemu-system-x86, or set qemu = in [vm])",
			    pl->argv.v[0]);
	if (pl->affinity.n) {
		cpu_set_t set;
		CPU_ZERO(&set);
		for (unsigned i = 0; i < pl->affinity.n; i++)
			CPU_SET(pl->affinity.cpu[i], &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			return fail(ret_error, -errno, "pinning to the CPUs of pin =: %s", strerror(errno));
	}
	r = sandbox_apply();
	if (r < 0)
		return fail(ret_error, r, "installing the seccomp filter: %s", strerror(-r));
	fflush(NULL);
	execv(f->qemu_file, pl->argv.v);
	return fail(ret_error, -errno, "%s: %s", f->qemu_file, strerror(errno));
}
