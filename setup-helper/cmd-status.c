// SPDX-License-Identifier: GPL-2.0-or-later
/* status: each recorded file against what install wrote, and what waits for a reboot. */
#include "engine.h"

int setup_cmd_status(const struct setup_opts *o)
{
	struct engine e;
	struct pci_host pci = { 0 };
	unsigned problems = 0;
	int r;

	r = engine_init(&e, o);
	if (r < 0) {
		engine_free(&e);
		return 1;
	}
	if (!e.have_old) {
		printf("not installed (hint: sudo vfio-setup install --user NAME --device BDF)\n");
		engine_free(&e);
		return 3;
	}
	printf("installed: group '%s' (%s)\n", e.old.group ? e.old.group : SETUP_DEFAULT_GROUP,
	       e.old.group_state == GROUP_CREATED    ? "created by install"
	       : e.old.group_state == GROUP_RECORDED ? "recorded only, not created"
						     : "existed before");
	for (size_t i = 0; i < e.old.users_added.n; i++)
		printf("member: %s\n", e.old.users_added.v[i]);
	for (size_t i = 0; i < e.old.users_recorded.n; i++)
		printf("member (recorded only): %s\n", e.old.users_recorded.v[i]);
	for (size_t i = 0; i < e.old.n_files; i++) {
		struct change *c = engine_add(&e);
		const char *state;

		c->path = xstrdup(e.old.files[i].path);
		c->mf = &e.old.files[i];
		if (load_now(&e, c) < 0) {
			problems++;
			continue;
		}
		if (streq(c->now_hash, c->mf->installed))
			state = "ok";
		else if (!c->now_exists)
			state = "MISSING (removed since install)", problems++;
		else if (streq(c->now_hash, c->mf->orig))
			state = "NOT APPLIED (still the original)", problems++;
		else
			state = "CHANGED since install (drift)", problems++;
		printf("%-8s %s: %s\n", *c->mf->orig ? "edited" : "created", c->path, state);
	}
	/* Pending until a reboot: the running kernel's command line and the bound drivers. */
	for (size_t i = 0; i < e.old.params.n; i++) {
		_cleanup_free_ char *cl = e.f.proc_cmdline ? xasprintf(" %s ", e.f.proc_cmdline) : NULL;
		_cleanup_free_ char *w = xasprintf(" %s ", e.old.params.v[i]);
		if (!cl || !strstr(cl, w)) {
			printf("pending: the running kernel was not booted with '%s' (reboot)\n",
			       e.old.params.v[i]);
			problems++;
		}
	}
	if (e.old.ids.n && pci_host_scan_ids(o->root, &pci) >= 0) {
		for (size_t i = 0; i < pci.n; i++) {
			const struct pci_dev_info *d = &pci.dev[i];
			char id[16], b[32];

			snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->device);
			if (!strv_contains(&e.old.ids, id) || (d->driver && streq(d->driver, "vfio-pci")))
				continue;
			printf("pending: %s [%s] is bound to %s, not vfio-pci (reboot)\n",
			       pci_addr_fmt(&d->addr, b, sizeof(b)), id, d->driver ? d->driver : "no driver");
			problems++;
		}
		pci_host_free(&pci);
	}
	if (!problems)
		printf("everything is in place\n");
	engine_free(&e);
	return problems ? 1 : 0;
}
