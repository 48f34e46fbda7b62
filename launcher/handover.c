// SPDX-License-Identifier: GPL-2.0-or-later
/* [pci] handover = on: what check reads about the unit and rule vfio-setup installs, and the
 * supervisor's StartUnit/StopUnit of them over the system bus (sd-bus), waiting for each job. */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include "bus.h"
#include "fsutil.h"
#include "handover.h"
#include "pci.h"
#include "strv.h"
#include "util.h"

/* A bind that finds the card busy fails at once; one that works takes a few seconds (udev
 * settles the new /dev/vfio/N). Long enough for a slow unbind of a big driver. */
#define JOB_TIMEOUT_USEC (180ull * 1000 * 1000)

void handover_unit_name(const struct pci_addr *a, char *buf, size_t len)
{
	char bdf[16];

	/* ':' is valid in a unit name; systemd-escape leaves it as it is since v244, and %I in the
	 * unit gives the address back either way. */
	snprintf(buf, len, "qemu-vm-handover@%s.service", pci_addr_fmt(a, bdf, sizeof(bdf)));
}

void handover_inspect(const char *root, const struct profile *p, struct handover_facts *ret)
{
	struct handover_facts f = { 0 };
	_cleanup_free_ char *sd = host_path(root, "/run/systemd/system"),
			    *pk = host_path(
				    root,
				    "/usr/share/dbus-1/system-services/org.freedesktop.PolicyKit1.service"),
			    *unit = host_path(root, HANDOVER_UNIT_FILE),
			    *rule = host_path(root, HANDOVER_RULE_FILE);
	int r;

	for (unsigned i = 0; i < p->n_pci; i++)
		f.any |= p->pci[i].handover && p->pci[i].has_host;
	if (f.any) {
		f.systemd = access(sd, F_OK) == 0;
		f.polkit = access(pk, F_OK) == 0;
		f.unit = access(unit, F_OK) == 0;
		r = read_small_file(rule, &f.rule);
		f.rule_err = r < 0 ? -r : 0;
	}
	*ret = f;
}

void handover_facts_free(struct handover_facts *f)
{
	free(f->rule);
	*f = (struct handover_facts){ 0 };
}

/* --- The supervisor's calls ---------------------------------------------------------------- */

struct job_wait {
	struct strv removed; /* "PATH RESULT" of every JobRemoved seen */
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct job_wait *w = userdata;
	const char *path, *unit, *result;
	uint32_t id;

	(void)e;
	if (bus_fns()->sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 && w->removed.n < 256)
		strv_pushf(&w->removed, "%s %s", path, result);
	return 0;
}

static const char *job_result(const struct job_wait *w, const char *job)
{
	size_t n = strlen(job);

	for (size_t i = 0; i < w->removed.n; i++)
		if (strncmp(w->removed.v[i], job, n) == 0 && w->removed.v[i][n] == ' ')
			return w->removed.v[i] + n + 1;
	return NULL;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* StartUnit or StopUnit (@method) of @unit, mode "replace", and the job's result ("done",
 * "failed", …) once it is removed. 0, or -errno with D-Bus's message in *@ret_error. */
static int unit_job(const char *method, const char *unit, char **ret_result, char **ret_error)
{
	const struct bus_fns *B;
	_cleanup_(bus_unrefp) sd_bus *bus = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	char why[256];
	sd_bus_slot *slot = NULL;
	struct job_wait w = { 0 };
	_cleanup_free_ char *job = NULL;
	const char *path, *res;
	uint64_t deadline;
	int r;

	r = bus_open(true, &bus, why, sizeof(why));
	if (r < 0) {
		*ret_error = xstrdup(why);
		return r;
	}
	B = bus_fns();
	/* Before the call: the job may end before its reply is read. */
	r = B->sd_bus_match_signal(bus, &slot, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				   "org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, &w);
	if (r < 0) {
		*ret_error = xasprintf("watching systemd's jobs: %s", strerror(-r));
		return r;
	}
	(void)B->sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				    "org.freedesktop.systemd1.Manager", "Subscribe", NULL, NULL, "");
	r = B->sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				  "org.freedesktop.systemd1.Manager", method, &err, &reply, "ss", unit,
				  "replace");
	if (r < 0) {
		*ret_error = xasprintf("%s", err.message ? err.message : strerror(-r));
		if (B->sd_bus_error_has_name(&err, SD_BUS_ERROR_ACCESS_DENIED) ||
		    B->sd_bus_error_has_name(&err, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
			r = -EACCES;
		B->sd_bus_error_free(&err);
		goto out;
	}
	r = B->sd_bus_message_read(reply, "o", &path);
	if (r < 0) {
		*ret_error = xasprintf("systemd's reply to %s: %s", method, strerror(-r));
		goto out;
	}
	job = xstrdup(path);
	deadline = now_usec() + JOB_TIMEOUT_USEC;
	while (!(res = job_result(&w, job))) {
		uint64_t now = now_usec();

		r = B->sd_bus_process(bus, NULL);
		if (r < 0) {
			*ret_error = xasprintf("the system bus: %s", strerror(-r));
			goto out;
		}
		if (r > 0)
			continue;
		if (now >= deadline) {
			r = -ETIMEDOUT;
			*ret_error = xasprintf("job %s of %s did not finish in %llu s", job, unit,
					       (unsigned long long)(JOB_TIMEOUT_USEC / 1000000));
			goto out;
		}
		r = B->sd_bus_wait(bus, deadline - now);
		if (r < 0) {
			*ret_error = xasprintf("the system bus: %s", strerror(-r));
			goto out;
		}
	}
	*ret_result = xstrdup(res);
	r = 0;
out:
	B->sd_bus_message_unref(reply);
	B->sd_bus_slot_unref(slot);
	strv_clear(&w.removed);
	return r;
}

int handover_take(const struct profile *p, const struct handover_facts *f, struct handover_run *run,
		  handover_say_fn say, void *ctx, char **ret_error)
{
	*run = (struct handover_run){ 0 };
	/* Without either, check has made sure the devices were bound by hand already. */
	if (!f->any || !f->systemd || !f->polkit)
		return 0;
	for (unsigned i = 0; i < p->n_pci; i++) {
		const struct pci_section *s = &p->pci[i];
		_cleanup_free_ char *result = NULL, *err = NULL, *msg = NULL;
		char *unit;
		int r;

		if (!s->handover || !s->has_host)
			continue;
		unit = run->units[run->n++];
		handover_unit_name(&s->host, unit, HANDOVER_UNIT_MAX);
		msg = xasprintf("starting %s: [pci %s] to vfio-pci", unit, s->name);
		say(ctx, msg);
		r = unit_job("StartUnit", unit, &result, &err);
		if (r == -EACCES) {
			*ret_error = xasprintf(
				"starting %s: %s (fix: sudo vfio-setup install --profile %s, which "
				"installs the unit and the polkit rule letting the group start it)",
				unit, err, p->path);
			return r;
		}
		if (r < 0) {
			*ret_error = xasprintf("starting %s: %s", unit, err);
			return r;
		}
		if (!streq(result, "done")) {
			*ret_error = xasprintf(
				"starting %s: the job %s (fix: journalctl -u %s says why; when "
				"the host still uses the card, it names the processes)",
				unit, result, unit);
			return -EIO;
		}
		free(msg);
		msg = xasprintf("%s started: [pci %s] is on vfio-pci", unit, s->name);
		say(ctx, msg);
	}
	return 0;
}

void handover_give_back(struct handover_run *run, handover_say_fn say, void *ctx)
{
	while (run->n > 0) {
		const char *unit = run->units[--run->n];
		_cleanup_free_ char *result = NULL, *err = NULL, *msg = NULL;
		int r = unit_job("StopUnit", unit, &result, &err);

		if (r < 0)
			msg = xasprintf("stopping %s: %s (fix: systemctl stop %s; or sudo vfio-setup unbind "
					"with its address)",
					unit, err, unit);
		else if (!streq(result, "done"))
			msg = xasprintf("stopping %s: the job %s (fix: journalctl -u %s)", unit, result,
					unit);
		else
			msg = xasprintf("%s stopped: the device is back on its host driver", unit);
		say(ctx, msg);
	}
}
