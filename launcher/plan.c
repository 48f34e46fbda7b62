// SPDX-License-Identifier: GPL-2.0-or-later
/* The plan's frame: the builder's helpers, the tail of the argv, and plan_build() calling the rest. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "plan-build.h"

char *shell_quote(const char *s)
{
	size_t n = 2;
	char *r, *o;

	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+./:,@%") ==
			  strlen(s))
		return xstrdup(s);
	for (const char *t = s; *t; t++)
		n += *t == '\'' ? 4 : 1;
	r = o = xmalloc(n + 1);
	*o++ = '\'';
	for (const char *t = s; *t; t++) {
		if (*t == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *t;
	}
	*o++ = '\'';
	*o = '\0';
	return r;
}

void plan_check(struct builder *b, enum check_level level, const char *fix, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	b->pl->checks = xrealloc(b->pl->checks, (b->pl->n_checks + 1) * sizeof(*b->pl->checks));
	b->pl->checks[b->pl->n_checks++] = (struct check){ level, what, fix ? xstrdup(fix) : NULL };
}

void plan_arg(struct builder *b, const char *s)
{
	strv_push(&b->pl->argv, s);
}

/* Appends the finished option @o to argv. */
void plan_arg_opt(struct builder *b, struct qopt *o)
{
	strv_push_take(&b->pl->argv, qopt_done(o));
}

const char *plan_size_str(uint64_t bytes, char *buf, size_t len)
{
	format_size(bytes, buf, len);
	return buf;
}

/* vfio-setup install for every device the profile names; the profile as the user typed it,
 * quoted: a path may hold spaces or quotes. */
char *plan_install_profile_fix(const struct vm_facts *f, const char *then)
{
	_cleanup_free_ char *q = shell_quote(f->profile_arg);

	return xasprintf("sudo vfio-setup install --user %s --profile %s%s", f->user, q, then);
}

/* A file the profile names: readable (and writable when rw), with file:line in the message. */
void plan_check_file(struct builder *b, const struct host_file *hf, const struct loc *loc, const char *key,
		     const char *what, bool rw)
{
	_cleanup_free_ char *q = shell_quote(hf->path), *fix = NULL;

	switch (hf->state) {
	case ACC_OK:
		plan_check(b, CHECK_OK, NULL, "%s: %s '%s' is there", key, what, hf->path);
		break;
	case ACC_MISSING:
		fix = xasprintf("check the path at %s:%u, or put the %s there", loc->file, loc->line, what);
		plan_check(b, CHECK_FAIL, fix, "%s:%u: %s: %s '%s': %s", loc->file, loc->line, key, what,
			   hf->path, strerror(hf->err));
		break;
	case ACC_DENIED:
		/* Your own file: your own chmod; somebody else's: readable to all, or yours to write. */
		if (hf->uid == b->f->host.uid)
			fix = xasprintf("chmod u+%s %s", rw ? "rw" : "r", q);
		else if (rw)
			fix = xasprintf("sudo chown %s %s", b->f->user, q);
		else
			fix = xasprintf("sudo chmod a+r %s", q);
		plan_check(b, CHECK_FAIL, fix, "%s:%u: %s: %s '%s': %s (owner %u, mode %04o)", loc->file,
			   loc->line, key, what, hf->path, strerror(hf->err), (unsigned)hf->uid,
			   (unsigned)(hf->mode & 07777));
		break;
	case ACC_WRONG_TYPE:
		fix = xasprintf("change the path at %s:%u to the %s itself", loc->file, loc->line, what);
		plan_check(b, CHECK_FAIL, fix, "%s:%u: %s: '%s' is not a regular file", loc->file, loc->line,
			   key, hf->path);
		break;
	}
}

/* A QMP monitor on a unix socket by a keyed path: '=' or ':' in the path stay part of it. */
static void plan_monitor(struct builder *b, const char *id, const char *sock)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", b->f->run_dir, sock);
	struct qopt *o = qopt_new("socket");

	qopt_add(o, "id", id);
	qopt_add(o, "path", path);
	qopt_flag(o, "server", true);
	qopt_flag(o, "wait", false);
	plan_arg(b, "-chardev");
	plan_arg_opt(b, o);
	o = qopt_new(NULL);
	qopt_add(o, "chardev", id);
	qopt_add(o, "mode", "control");
	plan_arg(b, "-mon");
	plan_arg_opt(b, o);
}

static void plan_tail(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	/* The longer of the two sockets' paths. */
	_cleanup_free_ char *sock = xasprintf("%s/%s", f->run_dir, PLAN_SUPERVISOR_SOCKET);
	struct qopt *o;

	/* The kernel takes no longer path for a UNIX socket: QEMU would fail to listen. */
	if (strlen(sock) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		plan_check(
			b, CHECK_FAIL,
			"give the profile a shorter file name (it is the VM's name), or set XDG_RUNTIME_DIR to a shorter directory",
			"QMP socket '%s': %zu bytes, and a UNIX socket path holds at most %zu", sock,
			strlen(sock), sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
	/* Paused until the supervisor has pinned the vCPU threads and sends cont. */
	plan_arg(b, "-S");
	plan_monitor(b, "qmp", PLAN_QMP_SOCKET);
	plan_monitor(b, "qmp-supervisor", PLAN_SUPERVISOR_SOCKET);
	if (f->runtime_fallback)
		plan_check(b, CHECK_WARN, NULL,
			   "XDG_RUNTIME_DIR is not set (no login session?): the QMP socket goes to %s",
			   f->run_dir);
	o = qopt_new("on");
	qopt_add(o, "obsolete", "deny");
	qopt_add(o, "elevateprivileges", "deny");
	/* qemu-bridge-helper is a separate program QEMU spawns for -netdev bridge. */
	qopt_add(o, "spawn", p->net == NET_BRIDGE ? "allow" : "deny");
	qopt_add(o, "resourcecontrol", "deny");
	plan_arg(b, "-sandbox");
	plan_arg_opt(b, o);
	for (size_t i = 0; i < p->extra_args.n; i++)
		plan_arg(b, p->extra_args.v[i]);
}

const char *plan_inhibit(const struct profile *p)
{
	switch (p->inhibit) {
	case INHIBIT_AUTO:
		return p->n_pci || p->n_evdev ? "sleep:idle" : NULL;
	case INHIBIT_SLEEP_IDLE:
		return "sleep:idle";
	case INHIBIT_SLEEP:
		return "sleep";
	case INHIBIT_NONE:
		return NULL;
	}
	return NULL;
}

static void check_inhibit(struct builder *b)
{
	const char *what = plan_inhibit(b->p);

	if (what && !b->f->logind)
		plan_check(
			b, CHECK_WARN, "inhibit = none in [vm] says you know",
			"inhibit: no logind here (no /run/systemd/seats): %s will not be inhibited while the VM runs",
			streq(what, "sleep") ? "sleep" : "sleep and idle");
}

void plan_build(const struct profile *p, const struct vm_facts *f, struct plan *ret)
{
	struct plan pl = { 0 };
	struct builder b = { p, f, &pl };

	plan_machine(&b);
	plan_check_machine(&b);
	plan_pci(&b);
	plan_devices(&b);
	plan_tpm(&b);
	plan_tail(&b);
	check_inhibit(&b);
	*ret = pl;
}

void plan_free(struct plan *pl)
{
	strv_clear(&pl->argv);
	for (size_t i = 0; i < pl->n_checks; i++) {
		free(pl->checks[i].what);
		free(pl->checks[i].fix);
	}
	free(pl->checks);
	*pl = (struct plan){ 0 };
}

bool plan_ok(const struct plan *pl)
{
	for (size_t i = 0; i < pl->n_checks; i++)
		if (pl->checks[i].level == CHECK_FAIL)
			return false;
	return true;
}
