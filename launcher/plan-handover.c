// SPDX-License-Identifier: GPL-2.0-or-later
/* The checks of a [pci] handover = on device: what happens at start, and what is missing for it. */
#include <errno.h>
#include "handover.h"
#include "inspect.h"
#include "plan-build.h"

static bool rule_names(const struct handover_facts *h, const char *unit)
{
	_cleanup_free_ char *quoted = xasprintf("\"%s\"", unit);

	return h->rule && strstr(h->rule, quoted);
}

bool plan_check_handover(struct builder *b, const struct pci_section *s, const struct pci_dev_info *d)
{
	const struct vm_facts *f = b->f;
	const struct handover_facts *h = &f->ho;
	char a[16], short_a[16], unit[HANDOVER_UNIT_MAX];
	const char *shown;
	_cleanup_free_ char *install = NULL, *by_hand = NULL;
	bool ok = true;

	if (!s->handover || !s->has_host)
		return false;
	pci_addr_fmt(&d->addr, a, sizeof(a));
	shown = pci_addr_fmt_short(&d->addr, short_a, sizeof(short_a));
	handover_unit_name(&d->addr, unit, sizeof(unit));
	by_hand = xasprintf("sudo vfio-setup bind %s before qemu-vm run, sudo vfio-setup unbind %s after", a,
			    a);
	if (!h->systemd || !h->polkit) {
		if (d->driver && streq(d->driver, "vfio-pci"))
			return false; /* bound by hand: the usual checks */
		plan_check(b, CHECK_FAIL, by_hand,
			   "[pci %s]: %s on %s now, and no %s to hand it over at start", s->name, shown,
			   d->driver ? d->driver : "no driver",
			   !h->systemd ? "systemd (run/systemd/system is missing)"
				       : "polkit (no org.freedesktop.PolicyKit1 service on the system bus)");
		return true;
	}
	for (size_t i = 0; i < f->host.pci.n; i++) {
		const struct pci_dev_info *o = &f->host.pci.dev[i];
		char oa[16];

		if (o->iommu_group != d->iommu_group || o->is_bridge ||
		    pci_addr_same_slot(&o->addr, &d->addr))
			continue;
		plan_check(
			b, CHECK_FAIL, "move the card to another slot (vfio-setup scan shows the groups)",
			"[pci %s]: IOMMU group %d also holds %s (%s), which the handover would take from the host",
			s->name, d->iommu_group, pci_addr_fmt(&o->addr, oa, sizeof(oa)),
			o->driver ? o->driver : "no driver");
		return true;
	}
	install = plan_install_profile_fix(f, "");
	if (!h->unit) {
		plan_check(b, CHECK_FAIL, install, "[pci %s]: handover = on, and %s is not installed",
			   s->name, HANDOVER_UNIT_FILE);
		ok = false;
	}
	if (h->rule_err == 0 && !rule_names(h, unit)) {
		plan_check(b, CHECK_FAIL, install, "[pci %s]: %s does not let the group start %s", s->name,
			   HANDOVER_RULE_FILE, unit);
		ok = false;
	} else if (h->rule_err == ENOENT) {
		plan_check(b, CHECK_FAIL, install, "[pci %s]: handover = on, and %s is not installed",
			   s->name, HANDOVER_RULE_FILE);
		ok = false;
	} else if (h->rule_err)
		/* Debian keeps rules.d to polkitd; and polkitd answers no ordinary caller's question
		 * about one unit (only trusted callers may pass details), so none can be asked. */
		plan_check(b, CHECK_WARN, "sudo vfio-setup status  (says whether the rule is installed)",
			   "[pci %s]: %s: %s, so whether it lets the group start %s is "
			   "seen at start only",
			   s->name, HANDOVER_RULE_FILE, strerror(h->rule_err), unit);
	if (d->driver && streq(d->driver, "vfio-pci"))
		return false; /* handed over already (a running VM, or by hand): the usual checks */
	if (ok)
		plan_check(b, CHECK_OK, NULL,
			   "[pci %s]: %s on %s now: handed to vfio-pci at start, back after", s->name, shown,
			   d->driver ? d->driver : "no driver");
	return true;
}
