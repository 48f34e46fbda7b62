// SPDX-License-Identifier: GPL-2.0-or-later
/* The plan for PCI passthrough: root ports, vfio-pci devices, and the VFIO checks. */
#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include "plan-build.h"

/* vfio-setup install for the card at @d, then whatever @then says. vfio-setup refuses a card
 * whose IOMMU group holds another device: for such a card the next step is the group, and
 * check names the install once the card is in a group of its own. */
static char *install_device_fix(const struct vm_facts *f, const struct pci_dev_info *d, const char *then)
{
	char a[16];

	for (size_t i = 0; d->iommu_group >= 0 && i < f->host.pci.n; i++) {
		const struct pci_dev_info *o = &f->host.pci.dev[i];
		if (o->iommu_group == d->iommu_group && !pci_addr_in_card(&d->addr, &o->addr) &&
		    !pci_dev_group_member_ok(o))
			return xasprintf("move %s to a slot with an IOMMU group of its own (vfio-setup scan "
					 "shows the groups); check then names the install%s",
					 pci_addr_fmt_short(&d->addr, a, sizeof(a)),
					 strstr(then, "  (") ? strstr(then, "  (") : "");
	}
	return xasprintf("sudo vfio-setup install --user %s --device %s%s", f->user,
			 pci_addr_fmt_short(&d->addr, a, sizeof(a)), then);
}

struct port {
	unsigned slot, func;
	unsigned section;
	bool mirror;
	bool hotplug_off;
};

static char *describe_dev(const struct pci_dev_info *d)
{
	char a[16];

	return xasprintf("%s (%04x:%04x, %s)", pci_addr_fmt_short(&d->addr, a, sizeof(a)), d->vendor,
			 d->device, d->driver ? d->driver : "no driver");
}

const struct pci_dev_info *plan_section_device(const struct builder *b, const struct pci_section *s)
{
	if (s->has_host)
		return pci_host_find(&b->f->host.pci, &s->host);
	return pci_host_find_id(&b->f->host.pci, &s->ids);
}

static void check_pci(struct builder *b, unsigned si, const struct pci_dev_info *d)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	const struct pci_section *s = &p->pci[si];
	const struct host_file *node = &f->vfio_group[si];
	char a[16];
	_cleanup_free_ char *install = NULL;
	bool viable = true;

	if (s->romfile)
		plan_check_file(b, &f->rom[si], &s->romfile_loc, "romfile", "ROM", false);
	if (!d) {
		char want[32];
		if (s->has_host)
			pci_addr_fmt_short(&s->host, want, sizeof(want));
		else
			snprintf(want, sizeof(want), "%04x:%04x", s->ids.vendor, s->ids.device);
		plan_check(b, CHECK_FAIL, "qemu-vm devices  (lists the PCI devices of this host)",
			   "%s:%u: [pci %s]: no PCI device %s on this host", s->host_loc.file,
			   s->host_loc.line, s->name, want);
		return;
	}
	if (plan_check_handover(b, s, d))
		return;
	pci_addr_fmt_short(&d->addr, a, sizeof(a));
	install = install_device_fix(f, d, ", then reboot");
	for (size_t i = 0; i < f->host.pci.n; i++) {
		const struct pci_dev_info *o = &f->host.pci.dev[i];
		if (!pci_addr_in_card(&d->addr, &o->addr))
			continue;
		if (!o->driver || !streq(o->driver, "vfio-pci")) {
			bool skipped = s->skip_functions & (1u << o->addr.func);
			_cleanup_free_ char *desc = describe_dev(o);
			if (!skipped || (o->driver && !streq(o->driver, "pci-stub"))) {
				plan_check(
					b, CHECK_FAIL, install, "[pci %s]: %s is %s, not on vfio-pci%s",
					s->name, desc,
					o->driver ? "bound to its host driver" : "on no driver",
					skipped ? " (skipped functions must stay off host drivers: the group is shared)"
						: "");
				viable = false;
			}
		}
	}
	if (d->iommu_group < 0) {
		plan_check(
			b, CHECK_FAIL,
			"enable VT-d/AMD-Vi in the firmware setup, then: sudo vfio-setup install (adds intel_iommu=on)",
			"[pci %s]: %s has no IOMMU group: the IOMMU is off", s->name, a);
		return;
	}
	for (size_t i = 0; i < f->host.pci.n; i++) {
		const struct pci_dev_info *o = &f->host.pci.dev[i];
		if (o->iommu_group != d->iommu_group || pci_addr_in_card(&d->addr, &o->addr))
			continue;
		if (!pci_dev_group_member_ok(o)) {
			_cleanup_free_ char *desc = describe_dev(o);
			plan_check(
				b, CHECK_FAIL,
				"move the card to another slot, or pass the other device too (vfio-setup scan shows the groups)",
				"[pci %s]: IOMMU group %d is not viable: it also holds %s", s->name,
				d->iommu_group, desc);
			viable = false;
		}
	}
	if (viable)
		plan_check(b, CHECK_OK, NULL, "[pci %s]: %s %04x:%04x on vfio-pci, IOMMU group %d viable",
			   s->name, a, d->vendor, d->device, d->iommu_group);

	switch (node->state) {
	case ACC_OK:
		if (f->vfio_holder[si])
			plan_check(b, CHECK_FAIL, "stop that process (another VM?) first",
				   "%s: in use by process %s", node->path, f->vfio_holder[si]);
		else
			plan_check(b, CHECK_OK, NULL, "%s: readable and writable", node->path);
		break;
	case ACC_MISSING:
		plan_check(b, CHECK_FAIL, install,
			   "%s: missing (the group's devices are not all on vfio-pci)", node->path);
		break;
	case ACC_DENIED: {
		_cleanup_free_ char *fix = xasprintf("sudo vfio-setup install --user %s, then log in again",
						     f->user);
		plan_check(b, CHECK_FAIL, fix, "%s: %s (owner %u, group %u, mode %04o)", node->path,
			   strerror(node->err), (unsigned)node->uid, (unsigned)node->gid,
			   (unsigned)(node->mode & 07777));
		break;
	}
	case ACC_WRONG_TYPE: {
		_cleanup_free_ char *fix = xasprintf(
			"reboot  (the kernel makes %s anew; something else is in its place)", node->path);
		plan_check(b, CHECK_FAIL, fix, "%s: not a character device", node->path);
		break;
	}
	}

	if (s->subids == SUBIDS_AUTO && !d->sub_vendor)
		plan_check(b, CHECK_WARN, NULL,
			   "[pci %s]: sub-ids = auto, but %s has no subsystem IDs; none copied", s->name, a);
}

/* The container every VFIO user opens first: the vfio module makes it, mode 0666. */
static void check_vfio_container(struct builder *b, const struct pci_dev_info *const *devs)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	const struct host_file *v = &f->host.vfio;
	_cleanup_free_ char *install = NULL;

	if (!p->n_pci)
		return;
	switch (v->state) {
	case ACC_OK:
		plan_check(b, CHECK_OK, NULL, "/dev/vfio/vfio: readable and writable");
		break;
	case ACC_MISSING:
		for (unsigned si = 0; si < p->n_pci && !install; si++)
			if (devs[si])
				install = install_device_fix(
					f, devs[si], ", then reboot  (or for now: sudo modprobe vfio)");
		if (!install)
			install = plan_install_profile_fix(f,
							   ", then reboot  (or for now: sudo modprobe vfio)");
		plan_check(b, CHECK_FAIL, install, "/dev/vfio/vfio: missing: the vfio module is not loaded");
		break;
	case ACC_DENIED:
		plan_check(b, CHECK_FAIL,
			   "sudo chmod 0666 /dev/vfio/vfio  (the kernel's own mode: a local rule changed it)",
			   "/dev/vfio/vfio: %s (owner %u, group %u, mode %04o)", strerror(v->err),
			   (unsigned)v->uid, (unsigned)v->gid, (unsigned)(v->mode & 07777));
		break;
	case ACC_WRONG_TYPE:
		plan_check(b, CHECK_FAIL,
			   "reboot  (the kernel makes /dev/vfio/vfio anew; something else is in its place)",
			   "/dev/vfio/vfio: not a character device");
		break;
	}
}

static void check_memlock(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	uint64_t need = p->memory + (1ULL << 30);
	char n[32], h[32];

	if (!p->n_pci)
		return;
	if (f->host.memlock == UINT64_MAX || f->host.memlock >= need) {
		plan_check(b, CHECK_OK, NULL, "memlock: %s covers guest RAM + 1G",
			   f->host.memlock == UINT64_MAX ? "unlimited"
							 : plan_size_str(f->host.memlock, h, sizeof(h)));
		return;
	}
	{
		_cleanup_free_ char *fix = xasprintf(
			"sudo vfio-setup install --user %s --memlock %s, then log in again", f->user,
			plan_size_str(need, n, sizeof(n)));
		plan_check(b, CHECK_FAIL, fix,
			   "memlock: limit %s is below %s (guest RAM + 1G that VFIO pins)",
			   plan_size_str(f->host.memlock, h, sizeof(h)), n);
	}
}

/* Root ports: a mirrored one sits where the host's parent port sits, so the firmware, which
 * numbers buses in slot order, gives the guest device the host's bus number. */
static unsigned plan_ports(struct builder *b, struct port *ports, const struct pci_dev_info **devs)
{
	const struct profile *p = b->p;
	unsigned n = 0, next_auto = 0x10;

	for (unsigned si = 0; si < p->n_pci; si++) {
		const struct pci_section *s = &p->pci[si];
		const struct pci_dev_info *d = devs[si];
		struct port port = { .section = si, .hotplug_off = s->hotplug == T_OFF };
		_cleanup_free_ char *auto_port = xasprintf("set root-port = auto in [pci %s]", s->name);

		if (s->rootport == ROOTPORT_NONE)
			continue;
		if (s->rootport == ROOTPORT_MIRROR && d && d->has_parent && d->parent.bus == 0) {
			port.slot = d->parent.slot;
			port.func = d->parent.func;
			port.mirror = true;
		} else {
			if (s->rootport == ROOTPORT_MIRROR && d)
				plan_check(
					b, CHECK_FAIL, auto_port,
					"%s:%u: [pci %s]: root-port = mirror needs a device behind a root port on bus 00; use root-port = auto",
					s->loc.file, s->loc.line, s->name);
			port.slot = next_auto++;
		}
		for (unsigned i = 0; i < n; i++)
			if (ports[i].slot == port.slot && ports[i].func == port.func) {
				plan_check(b, CHECK_FAIL, auto_port,
					   "%s:%u: [pci %s]: its root port %02x.%x is taken by [pci %s]",
					   s->loc.file, s->loc.line, s->name, port.slot, port.func,
					   p->pci[ports[i].section].name);
				port.slot = next_auto++;
				port.mirror = false;
			}
		ports[n++] = port;
	}
	return n;
}

static int port_cmp(const void *x, const void *y)
{
	const struct port *a = x, *c = y;

	return a->slot != c->slot ? (int)a->slot - (int)c->slot : (int)a->func - (int)c->func;
}

void plan_pci(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	const struct pci_dev_info *devs[PROFILE_MAX_DEVICES] = { 0 };
	struct port ports[PROFILE_MAX_DEVICES];
	unsigned none_slot[PROFILE_MAX_DEVICES] = { 0 };
	unsigned n_ports;

	for (unsigned si = 0; si < p->n_pci; si++)
		devs[si] = plan_section_device(b, &p->pci[si]);
	check_vfio_container(b, devs);
	for (unsigned si = 0; si < p->n_pci; si++)
		check_pci(b, si, devs[si]);
	check_memlock(b);
	n_ports = plan_ports(b, ports, devs);
	qsort(ports, n_ports, sizeof(*ports), port_cmp);
	/* root-port = none: straight on pcie.0, in a slot of its own from 0x08 (all functions of a
	 * card must share one slot, so QEMU's automatic placement will not do). */
	for (unsigned si = 0, next = 0x08; si < p->n_pci; si++) {
		bool taken;

		if (p->pci[si].rootport != ROOTPORT_NONE)
			continue;
		do {
			taken = false;
			for (unsigned i = 0; i < n_ports; i++)
				taken |= ports[i].slot == next;
		} while (taken && ++next);
		none_slot[si] = next++;
	}

	for (unsigned i = 0; i < n_ports; i++) {
		const struct pci_section *s = &p->pci[ports[i].section];
		const struct pci_dev_info *d = devs[ports[i].section];
		bool mf = false;

		for (unsigned j = 0; j < n_ports; j++)
			mf |= j != i && ports[j].slot == ports[i].slot && ports[i].func == 0;
		struct qopt *o = qopt_new("pcie-root-port");

		qopt_addf(o, "id", "rp.%s", s->name);
		qopt_add(o, "bus", "pcie.0");
		qopt_addf(o, "addr", "%02x.%x", ports[i].slot, ports[i].func);
		qopt_addf(o, "chassis", "%u", i + 1);
		qopt_addf(o, "port", "%u", 0x10 + i);
		if (mf)
			qopt_flag(o, "multifunction", true);
		if (ports[i].hotplug_off)
			qopt_flag(o, "hotplug", false);
		plan_arg(b, "-device");
		plan_arg_opt(b, o);
		/* Bus numbers follow slot order: this port's secondary bus is i + 1. */
		if (ports[i].mirror && d && d->addr.bus != i + 1) {
			_cleanup_free_ char *fix = xasprintf(
				"set root-port = auto in [pci %s]  (or root-port = none in the sections whose ports sort before it)",
				s->name);
			plan_check(
				b, CHECK_FAIL, fix,
				"%s:%u: [pci %s]: root-port = mirror cannot give the guest bus %02x: %u other root ports sort before it",
				s->loc.file, s->loc.line, s->name, d->addr.bus, i);
		} else if (ports[i].mirror && d)
			plan_check(
				b, CHECK_OK, NULL,
				"[pci %s]: root port at 00:%02x.%x gives the guest bus %02x as on the host",
				s->name, ports[i].slot, ports[i].func, d->addr.bus);
	}

	for (unsigned si = 0; si < p->n_pci; si++) {
		const struct pci_section *s = &p->pci[si];
		const struct pci_dev_info *d = devs[si];
		struct pci_addr base;
		unsigned funcs = 0;

		if (d)
			base = d->addr;
		else if (s->has_host)
			base = s->host;
		else
			continue; /* ids = … that matched nothing: the check says so */
		if (d)
			for (size_t i = 0; i < f->host.pci.n; i++) {
				const struct pci_dev_info *o = &f->host.pci.dev[i];
				if (pci_addr_in_card(&base, &o->addr) &&
				    !(s->skip_functions & (1u << o->addr.func)))
					funcs |= 1u << o->addr.func;
			}
		if (!funcs)
			funcs = 1u << base.func;
		for (unsigned fn = 0; fn < 8; fn++) {
			struct pci_addr a = base;
			const struct pci_dev_info *o;
			struct qopt *opt;
			char host[16];
			/* A lone function becomes function 0 in the guest, or the guest never finds it. */
			unsigned gfn = base.func == 0 ? fn : 0;
			bool first = gfn == 0;

			if (!(funcs & (1u << fn)))
				continue;
			a.func = fn;
			o = pci_host_find(&f->host.pci, &a);
			pci_addr_fmt(&a, host, sizeof(host));
			opt = qopt_new("vfio-pci");
			qopt_add(opt, "host", host);
			qopt_addf(opt, "id", "hostdev.%s.%u", s->name, fn);
			if (s->rootport != ROOTPORT_NONE) {
				qopt_addf(opt, "bus", "rp.%s", s->name);
				qopt_addf(opt, "addr", "00.%x", gfn);
			} else {
				qopt_add(opt, "bus", "pcie.0");
				qopt_addf(opt, "addr", "%02x.%x", none_slot[si], gfn);
			}
			if (first && (funcs & (funcs - 1)))
				qopt_flag(opt, "multifunction", true);
			if (first && s->romfile)
				qopt_add(opt, "romfile", s->romfile);
			if (s->rombar != T_AUTO)
				qopt_add(opt, "rombar", s->rombar == T_ON ? "1" : "0");
			if (s->subids == SUBIDS_AUTO && o && o->sub_vendor) {
				qopt_addf(opt, "x-pci-sub-vendor-id", "0x%04x", o->sub_vendor);
				qopt_addf(opt, "x-pci-sub-device-id", "0x%04x", o->sub_device);
			} else if (s->subids == SUBIDS_EXPLICIT && first) {
				qopt_addf(opt, "x-pci-sub-vendor-id", "0x%04x", s->sub.vendor);
				qopt_addf(opt, "x-pci-sub-device-id", "0x%04x", s->sub.device);
			}
			if (first && s->primary)
				qopt_flag(opt, "x-vga", true);
			/* As Proxmox's vendor-id and device-id: what the guest's driver matches on. */
			if (first && s->has_vendor_id)
				qopt_addf(opt, "x-pci-vendor-id", "0x%04x", s->vendor_id);
			if (first && s->has_device_id)
				qopt_addf(opt, "x-pci-device-id", "0x%04x", s->device_id);
			plan_arg(b, "-device");
			plan_arg_opt(b, opt);
		}
	}
}
