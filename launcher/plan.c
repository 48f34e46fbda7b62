// SPDX-License-Identifier: GPL-2.0-or-later
/* Builds QEMU's argv and the list of preconditions from a profile and host facts; no I/O. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/stat.h>
#include "plan.h"
#include "qopt.h"

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

struct builder {
	const struct profile *p;
	const struct vm_facts *f;
	struct plan *pl;
};

_printf_(4, 5) static void plan_check(struct builder *b, enum check_level level, const char *fix,
				 const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	b->pl->checks = xrealloc(b->pl->checks, (b->pl->n_checks + 1) * sizeof(*b->pl->checks));
	b->pl->checks[b->pl->n_checks++] = (struct check){ level, what, fix ? xstrdup(fix) : NULL };
}

static void plan_arg(struct builder *b, const char *s)
{
	strv_push(&b->pl->argv, s);
}

/* Appends the finished option @o to argv. */
static void plan_arg_opt(struct builder *b, struct qopt *o)
{
	strv_push_take(&b->pl->argv, qopt_done(o));
}

static const char *plan_size_str(uint64_t bytes, char *buf, size_t len)
{
	format_size(bytes, buf, len);
	return buf;
}

static const char *bdf(const struct pci_addr *a, char *buf, size_t len)
{
	if (a->domain)
		snprintf(buf, len, "%04x:%02x:%02x.%x", a->domain, a->bus, a->slot, a->func);
	else
		snprintf(buf, len, "%02x:%02x.%x", a->bus, a->slot, a->func);
	return buf;
}

/* vfio-setup install for every device the profile names; the profile as the user typed it,
 * quoted: a path may hold spaces or quotes. */
static char *plan_install_profile_fix(const struct vm_facts *f, const char *then)
{
	_cleanup_free_ char *q = shell_quote(f->profile_arg);

	return xasprintf("sudo vfio-setup install --user %s --profile %s%s", f->user, q, then);
}

/* vfio-setup install for the card at @d, then whatever @then says. */
static char *install_device_fix(const struct vm_facts *f, const struct pci_dev_info *d, const char *then)
{
	char a[16];

	return xasprintf("sudo vfio-setup install --user %s --device %s%s", f->user, bdf(&d->addr, a, sizeof(a)),
			 then);
}

/* A file the profile names: readable (and writable when rw), with file:line in the message. */
static void plan_check_file(struct builder *b, const struct host_file *hf, const struct loc *loc,
		       const char *key, const char *what, bool rw)
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

/* ---- machine, CPU, memory ---- */

static const struct hugepage_pool *pool_for(const struct host_facts *h, uint64_t size)
{
	for (unsigned i = 0; i < h->n_huge; i++)
		if (h->huge[i].size == size)
			return &h->huge[i];
	return NULL;
}

static bool use_kvm(const struct builder *b)
{
	return b->p->accel == ACCEL_KVM || (b->p->accel == ACCEL_AUTO && b->f->host.kvm.state == ACC_OK);
}

static void plan_machine(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	/* Hyper-V enlightenments, all on, in the order QEMU documents them. */
	static const struct {
		const char *key, *value;
	} hv[] = {
		{ "hv-relaxed", "on" }, { "hv-vapic", "on" },	{ "hv-spinlocks", "0x1fff" },
		{ "hv-vpindex", "on" }, { "hv-synic", "on" },	{ "hv-time", "on" },
		{ "hv-stimer", "on" },	{ "hv-reset", "on" },	{ "hv-frequencies", "on" },
		{ "hv-runtime", "on" }, { "hv-tlbflush", "on" }, { "hv-ipi", "on" },
	};
	struct qopt *o;
	char mem[32];

	plan_arg(b, p->qemu);
	plan_arg(b, "-name");
	o = qopt_new(NULL);
	qopt_add(o, "guest", p->name);
	qopt_addf(o, "process", "qemu-vm:%.8s", p->name);
	qopt_flag(o, "debug-threads", true);
	plan_arg_opt(b, o);
	plan_arg(b, "-nodefaults");
	plan_arg(b, "-no-user-config");
	plan_arg(b, "-machine");
	o = qopt_new("q35");
	qopt_flag(o, "vmport", false);
	qopt_add(o, "memory-backend", "mem0");
	if (f->host.firmware.secure_boot && p->firmware == FW_UEFI)
		qopt_flag(o, "smm", true);
	plan_arg_opt(b, o);
	plan_arg(b, "-accel");
	plan_arg(b, use_kvm(b) ? "kvm" : "tcg");

	/* TCG has no host CPU to pass through; max is the closest it offers. */
	o = qopt_new(!use_kvm(b) && streq(p->cpu_model, "host") ? "max" : p->cpu_model);
	/* Hyper-V enlightenments and kvm=off are KVM features. */
	if (p->hyperv == T_ON && use_kvm(b))
		for (size_t i = 0; i < ARRAY_SIZE(hv); i++)
			qopt_add(o, hv[i].key, hv[i].value);
	if (p->hide_hypervisor == T_ON && use_kvm(b)) {
		qopt_flag(o, "kvm", false);
		if (p->hyperv == T_ON)
			qopt_add(o, "hv-vendor-id", p->hv_vendor_id ? p->hv_vendor_id : "0123456789ab");
	}
	plan_arg(b, "-cpu");
	plan_arg_opt(b, o);
	plan_arg(b, "-smp");
	o = qopt_new(NULL);
	qopt_addf(o, NULL, "%u", p->cpus);
	qopt_addf(o, "sockets", "%u", p->sockets ? p->sockets : 1);
	qopt_addf(o, "cores", "%u", p->sockets ? p->cores : p->cpus);
	qopt_addf(o, "threads", "%u", p->sockets ? p->threads : 1);
	plan_arg_opt(b, o);

	plan_size_str(p->memory, mem, sizeof(mem));
	plan_arg(b, "-m");
	plan_arg(b, mem);
	plan_arg(b, "-object");
	o = qopt_new("memory-backend-memfd");
	qopt_add(o, "id", "mem0");
	qopt_add(o, "size", mem);
	qopt_flag(o, "share", true);
	if (p->hugepages != HUGE_OFF) {
		qopt_flag(o, "hugetlb", true);
		qopt_add(o, "hugetlbsize", p->hugepages == HUGE_1G ? "1G" : "2M");
		qopt_flag(o, "prealloc", true);
	}
	plan_arg_opt(b, o);
	if (p->hyperv == T_ON) {
		/* Windows keeps the RTC in local time. */
		plan_arg(b, "-rtc");
		plan_arg(b, "base=localtime");
	}
	/* As libvirt does for passthrough guests: S3/S4 break most assigned GPUs. */
	plan_arg(b, "-global");
	plan_arg(b, "ICH9-LPC.disable_s3=1");
	plan_arg(b, "-global");
	plan_arg(b, "ICH9-LPC.disable_s4=1");

	if (p->firmware == FW_UEFI && f->host.has_firmware) {
		if (f->host.firmware.secure_boot) {
			plan_arg(b, "-global");
			plan_arg(b, "driver=cfi.pflash01,property=secure,value=on");
		}
		plan_arg(b, "-drive");
		o = qopt_new(NULL);
		qopt_add(o, "if", "pflash");
		qopt_add(o, "format", flash_format_name(f->host.firmware.code_format));
		qopt_add(o, "unit", "0");
		qopt_flag(o, "readonly", true);
		qopt_add(o, "file", f->host.firmware.code);
		plan_arg_opt(b, o);
		plan_arg(b, "-drive");
		o = qopt_new(NULL);
		qopt_add(o, "if", "pflash");
		qopt_add(o, "format", flash_format_name(f->host.firmware.vars_format));
		qopt_add(o, "unit", "1");
		qopt_add(o, "file", f->vars_path ? f->vars_path : f->host.firmware.vars);
		plan_arg_opt(b, o);
	}
}

static void check_qemu(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	const struct loc *loc = &p->qemu_loc;

	if (f->qemu_path)
		plan_check(b, CHECK_OK, NULL, "QEMU: %s", f->qemu_path);
	else if (strchr(p->qemu, '/')) {
		_cleanup_free_ char *fix = xasprintf("correct the path at %s:%u, or install QEMU: sudo apt-get install "
						     "qemu-system-x86  (or your distribution's QEMU package)",
						     loc->file, loc->line);
		plan_check(b, CHECK_FAIL, fix, "%s:%u: qemu: '%s': %s", loc->file, loc->line, p->qemu,
		      f->qemu_err == EACCES ? "not a program you may run" : strerror(f->qemu_err));
	} else {
		_cleanup_free_ char *where = loc->line ? xasprintf("%s:%u: qemu", loc->file, loc->line) : xstrdup("QEMU");
		plan_check(b, CHECK_FAIL,
		      "sudo apt-get install qemu-system-x86  (or your distribution's QEMU package), or set qemu = in [vm] to its path",
		      "%s: '%s' is not on PATH%s", where, p->qemu,
		      f->qemu_err == EACCES ? " as a program you may run" : "");
	}
}

static void check_machine(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	const struct host_file *kvm = &f->host.kvm;
	char need[32], have[32];

	check_qemu(b);
	if (p->accel == ACCEL_TCG)
		plan_check(b, CHECK_OK, NULL, "accel = tcg: no KVM needed (slow)");
	else if (kvm->state == ACC_OK)
		plan_check(b, CHECK_OK, NULL, "/dev/kvm: usable");
	else if (p->accel == ACCEL_AUTO)
		plan_check(b, CHECK_WARN, NULL, "/dev/kvm: %s; accel = auto falls back to TCG (slow)",
		      kvm->state == ACC_MISSING ? "missing" : kvm->state == ACC_DENIED ? strerror(kvm->err) : "not a character device");
	else if (kvm->state == ACC_MISSING)
		plan_check(b, CHECK_FAIL, "sudo modprobe kvm_intel  (or kvm_amd; enable VT-x/AMD-V in the firmware setup)",
		      "/dev/kvm: missing: KVM is not loaded or virtualisation is off");
	else if (kvm->state == ACC_DENIED) {
		_cleanup_free_ char *fix = xasprintf("sudo usermod -aG kvm %s, then log in again", f->user);
		plan_check(b, CHECK_FAIL, fix, "/dev/kvm: %s", strerror(kvm->err));
	} else
		plan_check(b, CHECK_FAIL, "reboot  (the kernel makes /dev/kvm anew; something else is in its place)",
		      "/dev/kvm: not a character device");

	if (p->firmware == FW_UEFI) {
		if (!f->host.has_firmware)
			plan_check(b, CHECK_FAIL, "sudo apt install ovmf  (Fedora: edk2-ovmf, Arch: edk2-ovmf)",
			      "UEFI firmware: %s", f->host.firmware_error ? f->host.firmware_error : "not found");
		else
			plan_check(b, CHECK_OK, NULL, "UEFI firmware: %s%s, vars %s%s", f->host.firmware.code,
			      f->host.firmware.secure_boot ? " (Secure Boot)" : "", f->vars_path,
			      f->vars_exists ? "" : " (copied from the template on first run)");
	}
	if (f->host.mem_total && p->memory + (2ULL << 30) > f->host.mem_total)
		plan_check(b, CHECK_WARN, NULL, "memory: %s for the guest leaves less than 2G of the host's %s",
		      plan_size_str(p->memory, need, sizeof(need)), plan_size_str(f->host.mem_total, have, sizeof(have)));

	if (p->hugepages != HUGE_OFF) {
		uint64_t size = p->hugepages == HUGE_1G ? 1ULL << 30 : 2ULL << 20;
		const struct hugepage_pool *pool = pool_for(&f->host, size);
		uint64_t pages = p->memory / size;
		const char *dir = p->hugepages == HUGE_1G ? "hugepages-1048576kB" : "hugepages-2048kB";

		/* No pool to fill: the kernel registers one for every page size the CPU has. */
		if (!pool)
			plan_check(b, CHECK_FAIL,
			      p->hugepages == HUGE_1G ? "hugepages = 2M in [vm]  (this CPU has no 1G pages: no pdpe1gb in /proc/cpuinfo)"
						      : "hugepages = off in [vm]  (this kernel has no hugepages: CONFIG_HUGETLBFS)",
			      "hugepages: the host has no %s pool (no %s in /sys/kernel/mm/hugepages)",
			      p->hugepages == HUGE_1G ? "1G" : "2M", dir);
		else if (pool->free < pages) {
			_cleanup_free_ char *boot = p->hugepages == HUGE_1G
				? xasprintf("  (1G pages are best reserved at boot: sudo vfio-setup install --hugepages %" PRIu64 "x1G)", pages)
				: xstrdup("");
			_cleanup_free_ char *fix = xasprintf("echo %" PRIu64 " | sudo tee /sys/kernel/mm/hugepages/%s/nr_hugepages%s",
							     pool->total + pages - pool->free, dir, boot);
			plan_check(b, CHECK_FAIL, fix, "hugepages: need %" PRIu64 " free %s pages for %s, %" PRIu64 " free of %" PRIu64,
			      pages, p->hugepages == HUGE_1G ? "1G" : "2M", plan_size_str(p->memory, need, sizeof(need)),
			      pool->free, pool->total);
		} else
			plan_check(b, CHECK_OK, NULL, "hugepages: %" PRIu64 " of %" PRIu64 " free %s pages cover %s", pages,
			      pool->free, p->hugepages == HUGE_1G ? "1G" : "2M", plan_size_str(p->memory, need, sizeof(need)));
	}

	if (p->pin.n) {
		bool bad = false;
		for (unsigned i = 0; i < p->pin.n; i++)
			bad |= f->host.n_cpus && p->pin.cpu[i] >= f->host.n_cpus;
		if (bad) {
			_cleanup_free_ char *fix = xasprintf("change pin = at %s:%u to CPUs within 0-%u  (lscpu -e lists them)",
							     p->pin_loc.file, p->pin_loc.line, f->host.n_cpus - 1);
			plan_check(b, CHECK_FAIL, fix, "%s:%u: pin: the host has CPUs 0-%u only", p->pin_loc.file,
			      p->pin_loc.line, f->host.n_cpus - 1);
		} else
			plan_check(b, CHECK_OK, NULL, "pin: QEMU is confined to the %u host CPUs listed", p->pin.n);
		b->pl->affinity = p->pin;
	}
}

/* ---- PCI passthrough ---- */

struct port {
	unsigned slot, func;
	unsigned section;
	bool mirror;
	bool hotplug_off;
};

static bool group_member_ok(const struct pci_dev_info *d)
{
	return d->is_bridge || !d->driver || streq(d->driver, "vfio-pci") || streq(d->driver, "pci-stub");
}

static char *describe_dev(const struct pci_dev_info *d)
{
	char a[16];

	return xasprintf("%s (%04x:%04x, %s)", bdf(&d->addr, a, sizeof(a)), d->vendor, d->device,
			 d->driver ? d->driver : "no driver");
}

static const struct pci_dev_info *plan_section_device(const struct builder *b, const struct pci_section *s)
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
			bdf(&s->host, want, sizeof(want));
		else
			snprintf(want, sizeof(want), "%04x:%04x", s->ids.vendor, s->ids.device);
		plan_check(b, CHECK_FAIL, "qemu-vm devices  (lists the PCI devices of this host)",
		      "%s:%u: [pci %s]: no PCI device %s on this host", s->host_loc.file, s->host_loc.line,
		      s->name, want);
		return;
	}
	bdf(&d->addr, a, sizeof(a));
	install = install_device_fix(f, d, ", then reboot");
	for (size_t i = 0; i < f->host.pci.n; i++) {
		const struct pci_dev_info *o = &f->host.pci.dev[i];
		if (!pci_addr_in_card(&d->addr, &o->addr))
			continue;
		if (!o->driver || !streq(o->driver, "vfio-pci")) {
			bool skipped = s->skip_functions & (1u << o->addr.func);
			_cleanup_free_ char *desc = describe_dev(o);
			if (!skipped || (o->driver && !streq(o->driver, "pci-stub"))) {
				plan_check(b, CHECK_FAIL, install, "[pci %s]: %s is %s, not on vfio-pci%s", s->name, desc,
				      o->driver ? "bound to its host driver" : "on no driver",
				      skipped ? " (skipped functions must stay off host drivers: the group is shared)" : "");
				viable = false;
			}
		}
	}
	if (d->iommu_group < 0) {
		plan_check(b, CHECK_FAIL, "enable VT-d/AMD-Vi in the firmware setup, then: sudo vfio-setup install (adds intel_iommu=on)",
		      "[pci %s]: %s has no IOMMU group: the IOMMU is off", s->name, a);
		return;
	}
	for (size_t i = 0; i < f->host.pci.n; i++) {
		const struct pci_dev_info *o = &f->host.pci.dev[i];
		if (o->iommu_group != d->iommu_group || pci_addr_in_card(&d->addr, &o->addr))
			continue;
		if (!group_member_ok(o)) {
			_cleanup_free_ char *desc = describe_dev(o);
			plan_check(b, CHECK_FAIL, "move the card to another slot, or pass the other device too (vfio-setup scan shows the groups)",
			      "[pci %s]: IOMMU group %d is not viable: it also holds %s", s->name, d->iommu_group, desc);
			viable = false;
		}
	}
	if (viable)
		plan_check(b, CHECK_OK, NULL, "[pci %s]: %s %04x:%04x on vfio-pci, IOMMU group %d viable", s->name, a,
		      d->vendor, d->device, d->iommu_group);

	switch (node->state) {
	case ACC_OK:
		if (f->vfio_holder[si])
			plan_check(b, CHECK_FAIL, "stop that process (another VM?) first",
			      "%s: in use by process %s", node->path, f->vfio_holder[si]);
		else
			plan_check(b, CHECK_OK, NULL, "%s: readable and writable", node->path);
		break;
	case ACC_MISSING:
		plan_check(b, CHECK_FAIL, install, "%s: missing (the group's devices are not all on vfio-pci)", node->path);
		break;
	case ACC_DENIED: {
		_cleanup_free_ char *fix = xasprintf("sudo vfio-setup install --user %s, then log in again", f->user);
		plan_check(b, CHECK_FAIL, fix, "%s: %s (owner %u, group %u, mode %04o)", node->path, strerror(node->err),
		      (unsigned)node->uid, (unsigned)node->gid, (unsigned)(node->mode & 07777));
		break;
	}
	case ACC_WRONG_TYPE: {
		_cleanup_free_ char *fix = xasprintf("reboot  (the kernel makes %s anew; something else is in its place)",
						     node->path);
		plan_check(b, CHECK_FAIL, fix, "%s: not a character device", node->path);
		break;
	}
	}

	if (s->subids == SUBIDS_AUTO && !d->sub_vendor)
		plan_check(b, CHECK_WARN, NULL, "[pci %s]: sub-ids = auto, but %s has no subsystem IDs; none copied",
		      s->name, a);
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
				install = install_device_fix(f, devs[si], ", then reboot  (or for now: sudo modprobe vfio)");
		if (!install)
			install = plan_install_profile_fix(f, ", then reboot  (or for now: sudo modprobe vfio)");
		plan_check(b, CHECK_FAIL, install, "/dev/vfio/vfio: missing: the vfio module is not loaded");
		break;
	case ACC_DENIED:
		plan_check(b, CHECK_FAIL, "sudo chmod 0666 /dev/vfio/vfio  (the kernel's own mode: a local rule changed it)",
		      "/dev/vfio/vfio: %s (owner %u, group %u, mode %04o)", strerror(v->err), (unsigned)v->uid,
		      (unsigned)v->gid, (unsigned)(v->mode & 07777));
		break;
	case ACC_WRONG_TYPE:
		plan_check(b, CHECK_FAIL, "reboot  (the kernel makes /dev/vfio/vfio anew; something else is in its place)",
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
		      f->host.memlock == UINT64_MAX ? "unlimited" : plan_size_str(f->host.memlock, h, sizeof(h)));
		return;
	}
	{
		_cleanup_free_ char *fix = xasprintf("sudo vfio-setup install --user %s --memlock %s, then log in again",
						     f->user, plan_size_str(need, n, sizeof(n)));
		plan_check(b, CHECK_FAIL, fix, "memlock: limit %s is below %s (guest RAM + 1G that VFIO pins)",
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
				plan_check(b, CHECK_FAIL, auto_port,
				      "%s:%u: [pci %s]: root-port = mirror needs a device behind a root port on bus 00; use root-port = auto",
				      s->loc.file, s->loc.line, s->name);
			port.slot = next_auto++;
		}
		for (unsigned i = 0; i < n; i++)
			if (ports[i].slot == port.slot && ports[i].func == port.func) {
				plan_check(b, CHECK_FAIL, auto_port, "%s:%u: [pci %s]: its root port %02x.%x is taken by [pci %s]",
				      s->loc.file, s->loc.line, s->name, port.slot, port.func, p->pci[ports[i].section].name);
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

static void plan_pci(struct builder *b)
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
			_cleanup_free_ char *fix = xasprintf("set root-port = auto in [pci %s]  (or root-port = none in the sections whose ports sort before it)",
							     s->name);
			plan_check(b, CHECK_FAIL, fix,
			      "%s:%u: [pci %s]: root-port = mirror cannot give the guest bus %02x: %u other root ports sort before it",
			      s->loc.file, s->loc.line, s->name, d->addr.bus, i);
		} else if (ports[i].mirror && d)
			plan_check(b, CHECK_OK, NULL, "[pci %s]: root port at 00:%02x.%x gives the guest bus %02x as on the host",
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
				if (pci_addr_in_card(&base, &o->addr) && !(s->skip_functions & (1u << o->addr.func)))
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
			plan_arg(b, "-device");
			plan_arg_opt(b, opt);
		}
	}
}

/* ---- display, disks, network ---- */

static bool passes_gpu(const struct builder *b)
{
	for (unsigned si = 0; si < b->p->n_pci; si++) {
		const struct pci_dev_info *d = plan_section_device(b, &b->p->pci[si]);
		if (d && pci_class_is_gpu(d->class))
			return true;
	}
	return false;
}

static void plan_display(struct builder *b)
{
	const struct profile *p = b->p;
	enum display d = p->display;

	bool primary = false;

	for (unsigned si = 0; si < p->n_pci; si++)
		primary |= p->pci[si].primary;
	if (d == DISPLAY_AUTO)
		d = passes_gpu(b) || p->console == CONSOLE_STDIO ? DISPLAY_NONE : DISPLAY_GTK;
	/* x-vga=on makes the passed GPU the legacy VGA device: an emulated one would clash. */
	if (d != DISPLAY_NONE && !primary) {
		plan_arg(b, "-device");
		plan_arg(b, "VGA,id=vga0");
	}
	plan_arg(b, "-display");
	plan_arg(b, d == DISPLAY_NONE ? "none" : d == DISPLAY_GTK ? "gtk" : "sdl");
	if (p->console == CONSOLE_STDIO) {
		plan_arg(b, "-serial");
		plan_arg(b, "mon:stdio");
	}
}

static void plan_disks(struct builder *b)
{
	const struct profile *p = b->p;
	static const char *const caches[] = { "none", "writeback", "writethrough", "unsafe", "directsync" };
	unsigned sata = 0;

	for (unsigned i = 0; i < p->n_disk; i++) {
		const struct disk_section *d = &p->disk[i];
		const struct host_file *hf = &b->f->disk[i];
		bool blk = hf->state != ACC_MISSING && S_ISBLK(hf->mode);
		struct qopt *o;
		const char *fmt, *aio = NULL;
		size_t len = strlen(d->path);

		if (d->format == FMT_QCOW2 || (d->format == FMT_AUTO && !blk && len > 6 && streq(d->path + len - 6, ".qcow2")))
			fmt = "qcow2";
		else
			fmt = "raw";
		if (d->aio == AIO_NATIVE || (d->aio == AIO_AUTO && blk && (d->cache == CACHE_NONE || d->cache == CACHE_DIRECTSYNC)))
			aio = "native";
		else if (d->aio == AIO_IO_URING)
			aio = "io_uring";
		else if (d->aio == AIO_THREADS)
			aio = "threads";
		o = qopt_new(NULL);
		qopt_add(o, "file", d->path);
		qopt_add(o, "if", "none");
		qopt_addf(o, "id", "drive.%s", d->name);
		qopt_add(o, "format", fmt);
		qopt_add(o, "cache", caches[d->cache]);
		if (aio)
			qopt_add(o, "aio", aio);
		if (d->discard)
			qopt_add(o, "discard", "unmap");
		if (d->readonly || d->cdrom)
			qopt_flag(o, "readonly", true);
		if (d->cdrom)
			qopt_add(o, "media", "cdrom");
		plan_arg(b, "-drive");
		plan_arg_opt(b, o);
		if (d->cdrom) {
			o = qopt_new("ide-cd");
			qopt_addf(o, "drive", "drive.%s", d->name);
			qopt_addf(o, "bus", "ide.%u", sata++);
			qopt_addf(o, "bootindex", "%u", i + 1);
			plan_arg(b, "-device");
			plan_arg_opt(b, o);
			continue;
		}
		switch (d->bus) {
		case DISK_VIRTIO:
			plan_arg(b, "-object");
			o = qopt_new("iothread");
			qopt_addf(o, "id", "io.%s", d->name);
			plan_arg_opt(b, o);
			o = qopt_new("virtio-blk-pci");
			qopt_addf(o, "drive", "drive.%s", d->name);
			qopt_addf(o, "id", "disk.%s", d->name);
			qopt_addf(o, "iothread", "io.%s", d->name);
			break;
		case DISK_NVME:
			o = qopt_new("nvme");
			qopt_addf(o, "drive", "drive.%s", d->name);
			qopt_addf(o, "id", "disk.%s", d->name);
			qopt_addf(o, "serial", "qemu-vm-%s", d->name);
			break;
		case DISK_SATA:
			o = qopt_new("ide-hd");
			qopt_addf(o, "drive", "drive.%s", d->name);
			qopt_addf(o, "id", "disk.%s", d->name);
			qopt_addf(o, "bus", "ide.%u", sata++);
			break;
		default:
			abort();
		}
		qopt_addf(o, "bootindex", "%u", i + 1);
		plan_arg(b, "-device");
		plan_arg_opt(b, o);
	}
}

static void check_disks(struct builder *b)
{
	for (unsigned i = 0; i < b->p->n_disk; i++) {
		const struct disk_section *d = &b->p->disk[i];
		const struct host_file *hf = &b->f->disk[i];
		char key[64];

		snprintf(key, sizeof(key), "[disk %s] path", d->name);
		if (hf->state == ACC_DENIED && S_ISBLK(hf->mode)) {
			_cleanup_free_ char *fix = plan_install_profile_fix(b->f, "");
			plan_check(b, CHECK_FAIL, fix, "%s:%u: %s: block device '%s': %s", d->path_loc.file, d->path_loc.line,
			      key, d->path, strerror(hf->err));
		} else if (hf->state == ACC_WRONG_TYPE || hf->state == ACC_OK)
			plan_check(b, CHECK_OK, NULL, "%s: '%s' is there", key, d->path);
		else
			plan_check_file(b, hf, &d->path_loc, key, "disk", !d->readonly && !d->cdrom);
	}
}

/* A stable locally administered MAC from the profile name (FNV-1a), as quickemu keeps one per VM. */
static void auto_mac(const char *name, uint8_t mac[6])
{
	uint32_t h = 2166136261u;

	for (const char *t = name; *t; t++)
		h = (h ^ (uint8_t)*t) * 16777619u;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

static void plan_network(struct builder *b)
{
	const struct profile *p = b->p;
	static const char *const models[] = { "virtio-net-pci", "e1000e", "rtl8139" };
	struct qopt *o;
	uint8_t mac[6];

	if (p->net == NET_NONE)
		return;
	if (p->mac_auto)
		auto_mac(p->name, mac);
	else
		memcpy(mac, p->mac, sizeof(mac));
	o = qopt_new(p->net == NET_USER ? "user" : "bridge");
	qopt_add(o, "id", "net0");
	if (p->net == NET_BRIDGE)
		qopt_add(o, "br", p->bridge);
	plan_arg(b, "-netdev");
	plan_arg_opt(b, o);
	o = qopt_new(models[p->nic]);
	qopt_add(o, "netdev", "net0");
	qopt_add(o, "id", "nic0");
	qopt_addf(o, "mac", "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	plan_arg(b, "-device");
	plan_arg_opt(b, o);
}

/* ---- Looking Glass, audio, USB, input, ACPI, fw_cfg ---- */

static void plan_lg(struct builder *b)
{
	const struct profile *p = b->p;
	const struct host_file *lg = &b->f->lg;
	struct qopt *o;
	char size[32], have[32];
	bool kvmfr;

	if (!p->lg)
		return;
	kvmfr = startswith(p->lg_path, "/dev/kvmfr");
	plan_size_str(p->lg_size, size, sizeof(size));
	o = qopt_new("memory-backend-file");
	qopt_add(o, "id", "lg-mem");
	qopt_add(o, "mem-path", p->lg_path);
	qopt_add(o, "size", size);
	qopt_flag(o, "share", true);
	plan_arg(b, "-object");
	plan_arg_opt(b, o);
	plan_arg(b, "-device");
	plan_arg(b, "ivshmem-plain,id=lg,memdev=lg-mem");

	if (kvmfr) {
		_cleanup_free_ char *fix = xasprintf("sudo modprobe kvmfr static_size_mb=%" PRIu64
						     " and sudo vfio-setup install --user %s",
						     p->lg_size >> 20, b->f->user);
		if (lg->state == ACC_WRONG_TYPE) {
			_cleanup_free_ char *q = shell_quote(p->lg_path);
			_cleanup_free_ char *stale = xasprintf("sudo rm %s  (a stale file), then load kvmfr: sudo modprobe kvmfr static_size_mb=%" PRIu64,
							       q, p->lg_size >> 20);
			plan_check(b, CHECK_FAIL, stale,
			      "%s:%u: [looking-glass] path: '%s' is a regular file, not the kvmfr device (left over from a run without the module)",
			      p->lg_loc.file, p->lg_loc.line, p->lg_path);
		} else if (lg->state != ACC_OK)
			plan_check(b, CHECK_FAIL, fix, "[looking-glass]: %s: %s", p->lg_path,
			      lg->state == ACC_MISSING ? "missing: the kvmfr module is not loaded" : strerror(lg->err));
		else if (b->f->kvmfr_size && b->f->kvmfr_size < p->lg_size)
			plan_check(b, CHECK_FAIL, fix, "[looking-glass]: %s is %s, %s needed", p->lg_path,
			      plan_size_str(b->f->kvmfr_size, have, sizeof(have)), size);
		else
			plan_check(b, CHECK_OK, NULL, "[looking-glass]: %s usable, %s", p->lg_path, size);
		return;
	}
	switch (lg->state) {
	case ACC_MISSING:
		plan_check(b, CHECK_OK, NULL, "[looking-glass]: %s will be created, %s", p->lg_path, size);
		break;
	case ACC_DENIED: {
		_cleanup_free_ char *q = shell_quote(p->lg_path);
		_cleanup_free_ char *fix = xasprintf("sudo chown %s %s", b->f->user, q);
		plan_check(b, CHECK_FAIL, fix, "[looking-glass]: %s: %s (owner %u)", p->lg_path, strerror(lg->err),
		      (unsigned)lg->uid);
		break;
	}
	case ACC_WRONG_TYPE: {
		_cleanup_free_ char *fix = xasprintf("set path = at %s:%u to a file of its own, e.g. /dev/shm/looking-glass-%s",
						     p->lg_loc.file, p->lg_loc.line, p->name);
		plan_check(b, CHECK_FAIL, fix, "%s:%u: [looking-glass] path: '%s' is not a regular file", p->lg_loc.file,
		      p->lg_loc.line, p->lg_path);
		break;
	}
	case ACC_OK:
		if (lg->size < p->lg_size)
			plan_check(b, CHECK_WARN, NULL, "[looking-glass]: %s is %s, QEMU grows it to %s", p->lg_path,
			      plan_size_str(lg->size, have, sizeof(have)), size);
		else
			plan_check(b, CHECK_OK, NULL, "[looking-glass]: %s writable, %s", p->lg_path, size);
		break;
	}
}

enum audio_backend plan_audio_backend(enum audio_backend configured, int qemu_has_pipewire)
{
	if (configured == AUDIO_AUTO)
		return qemu_has_pipewire == 1 ? AUDIO_PIPEWIRE : AUDIO_PULSE;
	return configured;
}

static void plan_audio(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	enum audio_backend be = plan_audio_backend(p->audio, f->qemu_has_pipewire);

	if (be == AUDIO_NONE)
		return;
	if (f->foreign_root && f->qemu_path && (p->audio == AUDIO_AUTO || p->audio == AUDIO_PIPEWIRE))
		plan_check(b, CHECK_WARN, NULL,
		      "[audio]: whether %s has the pipewire driver was not probed: the host root is not the "
		      "running system, and nothing is run from it%s",
		      f->qemu_path, p->audio == AUDIO_AUTO ? " (auto: pulseaudio)" : "");
	if (be == AUDIO_PIPEWIRE) {
		plan_arg(b, "-audiodev");
		plan_arg(b, "pipewire,id=snd0");
		/* Debian 12's QEMU 7.2, for one, is built without it. */
		if (f->qemu_has_pipewire == 0)
			plan_check(b, CHECK_FAIL, "backend = pulseaudio  (it works with PipeWire's pulse socket)",
			      "%s:%u: [audio] backend: %s has no pipewire audio driver (-audiodev help)",
			      p->audio_loc.file, p->audio_loc.line, f->qemu_path);
		else if (f->qemu_has_pipewire == 1)
			plan_check(b, CHECK_OK, NULL, "[audio]: QEMU has the pipewire driver");
		else if (f->qemu_path && !f->foreign_root)
			plan_check(b, CHECK_WARN, NULL, "[audio]: could not learn whether %s has the pipewire driver (-audiodev help: %s)",
			      f->qemu_path, strerror(-f->qemu_has_pipewire));
		if (!f->audio_socket_path)
			plan_check(b, CHECK_FAIL, "set XDG_RUNTIME_DIR to your login session's (/run/user/UID)",
			      "[audio]: no PipeWire socket: XDG_RUNTIME_DIR is not set");
		else if (f->audio_socket.state == ACC_OK)
			plan_check(b, CHECK_OK, NULL, "[audio]: PipeWire socket %s", f->audio_socket_path);
		else
			plan_check(b, CHECK_FAIL, "systemctl --user start pipewire.socket",
			      "[audio]: PipeWire socket %s: %s", f->audio_socket_path,
			      f->audio_socket.state == ACC_WRONG_TYPE ? "not a socket" : strerror(f->audio_socket.err));
	} else {
		struct qopt *o = qopt_new("pa");

		qopt_add(o, "id", "snd0");
		qopt_addf(o, "server", "unix:%s", f->audio_socket_path ? f->audio_socket_path : "/run/user/0/pulse/native");
		plan_arg(b, "-audiodev");
		plan_arg_opt(b, o);
		if (!f->audio_socket_path)
			plan_check(b, CHECK_FAIL, "set XDG_RUNTIME_DIR, or server = /path/to/pulse/native",
			      "[audio]: no server socket: XDG_RUNTIME_DIR is not set");
		else if (f->audio_socket.state == ACC_OK)
			plan_check(b, CHECK_OK, NULL, "[audio]: Pulse socket %s", f->audio_socket_path);
		else
			plan_check(b, CHECK_FAIL, "systemctl --user start pipewire-pulse.socket  (or pulseaudio.socket)",
			      "[audio]: Pulse socket %s: %s", f->audio_socket_path,
			      f->audio_socket.state == ACC_WRONG_TYPE ? "not a socket"
								      : strerror(f->audio_socket.err));
	}
	plan_arg(b, "-device");
	plan_arg(b, p->audio_model == AUDIO_ICH9 ? "ich9-intel-hda,id=sound0" : "intel-hda,id=sound0");
	plan_arg(b, "-device");
	plan_arg(b, "hda-duplex,id=sound0-codec0,bus=sound0.0,cad=0,audiodev=snd0");
}

static const struct usb_dev_info *usb_find(const struct usb_host *h, const struct usb_entry *e)
{
	for (size_t i = 0; i < h->n; i++) {
		const struct usb_dev_info *u = &h->dev[i];
		if (e->by_port ? u->bus == e->bus && streq(u->port, e->port)
			       : u->vendor == e->id.vendor && u->product == e->id.device)
			return u;
	}
	return NULL;
}

static void plan_usb(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	bool xhci = plan_has_usb_controller(p);

	if (!xhci)
		return;
	plan_arg(b, "-device");
	plan_arg(b, "qemu-xhci,id=" PLAN_USB_CONTROLLER ",p2=15,p3=15");
	if (p->pointer == POINTER_USB_TABLET || p->pointer == POINTER_USB_MOUSE) {
		struct qopt *o = qopt_new(p->pointer == POINTER_USB_TABLET ? "usb-tablet" : "usb-mouse");

		qopt_add(o, "id", "pointer");
		qopt_add(o, "bus", PLAN_USB_BUS);
		plan_arg(b, "-device");
		plan_arg_opt(b, o);
	}
	for (unsigned i = 0; i < p->n_usb; i++) {
		const struct usb_entry *e = &p->usb[i];
		const struct usb_dev_info *u = usb_find(&f->host.usb, e);
		char what[48];

		if (e->by_port)
			snprintf(what, sizeof(what), "port %u-%s", e->bus, e->port);
		else
			snprintf(what, sizeof(what), "%04x:%04x", e->id.vendor, e->id.device);
		if (!u) {
			if (p->usb_missing == MISSING_SKIP)
				plan_check(b, CHECK_WARN, NULL, "[usb] %s: not plugged in, %s", what,
				      e->by_port ? "QEMU attaches it when it appears" : "skipped (missing = skip)");
			else
				plan_check(b, CHECK_FAIL, "plug it in, or set missing = skip in [usb]",
				      "%s:%u: [usb] %s: not plugged in (see qemu-vm devices)", e->loc.file, e->loc.line, what);
			if (!e->by_port && p->usb_missing == MISSING_SKIP)
				continue;
		} else if (f->usb_node[i].state == ACC_OK)
			plan_check(b, CHECK_OK, NULL, "[usb] %s: %s at %u-%s", what, u->name[0] ? u->name : "device", u->bus,
			      u->port);
		else {
			_cleanup_free_ char *fix = plan_install_profile_fix(f, "");
			plan_check(b, CHECK_FAIL, fix, "[usb] %s: %s: %s", what, f->usb_node[i].path,
			      f->usb_node[i].state == ACC_MISSING ? "no device node" : strerror(f->usb_node[i].err));
		}
		char id[16];
		struct qopt *o = qopt_new("usb-host");

		plan_usb_id(i, id, sizeof(id));
		qopt_add(o, "id", id);
		qopt_add(o, "bus", PLAN_USB_BUS);
		if (e->by_port) {
			qopt_addf(o, "hostbus", "%u", e->bus);
			qopt_add(o, "hostport", e->port);
		} else {
			qopt_addf(o, "vendorid", "0x%04x", e->id.vendor);
			qopt_addf(o, "productid", "0x%04x", e->id.device);
		}
		plan_arg(b, "-device");
		plan_arg_opt(b, o);
	}
}

bool plan_has_usb_controller(const struct profile *p)
{
	return p->usb_controller || p->pointer == POINTER_USB_TABLET || p->pointer == POINTER_USB_MOUSE;
}

void plan_usb_id(unsigned index, char *buf, size_t len)
{
	snprintf(buf, len, "usb%u", index);
}

static void plan_input(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	const struct {
		const char *path, *id;
		const struct host_file *hf;
		const struct loc *loc;
		bool kbd;
	} in[] = {
		{ p->keyboard, "kbd", &f->keyboard, &p->keyboard_loc, true },
		{ p->mouse, "mouse", &f->mouse, &p->mouse_loc, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		struct qopt *o;

		if (!in[i].path)
			continue;
		o = qopt_new("input-linux");
		qopt_add(o, "id", in[i].id);
		qopt_add(o, "evdev", in[i].path);
		if (in[i].kbd) {
			qopt_flag(o, "grab_all", p->grab_all);
			qopt_flag(o, "repeat", p->repeat);
		}
		if (in[i].kbd || p->toggle)
			qopt_add(o, "grab-toggle", p->toggle ? p->toggle : "ctrl-ctrl");
		plan_arg(b, "-object");
		plan_arg_opt(b, o);
		if (in[i].hf->state == ACC_DENIED) {
			_cleanup_free_ char *fix = plan_install_profile_fix(f, "");
			plan_check(b, CHECK_FAIL, fix, "%s:%u: [input] %s: '%s': %s", in[i].loc->file, in[i].loc->line,
			      in[i].kbd ? "keyboard" : "mouse", in[i].path, strerror(in[i].hf->err));
		} else if (in[i].hf->state == ACC_MISSING)
			plan_check(b, CHECK_FAIL, "ls /dev/input/by-id  (the name changes with the USB port on some devices)",
			      "%s:%u: [input] %s: '%s': not plugged in", in[i].loc->file, in[i].loc->line,
			      in[i].kbd ? "keyboard" : "mouse", in[i].path);
		else
			plan_check(b, CHECK_OK, NULL, "[input] %s: %s", in[i].kbd ? "keyboard" : "mouse", in[i].path);
	}
}

static void plan_tables(struct builder *b)
{
	const struct profile *p = b->p;

	for (size_t i = 0; i < p->acpi_tables.n; i++) {
		struct qopt *o = qopt_new(NULL);

		qopt_add(o, "file", p->acpi_tables.v[i]);
		plan_arg(b, "-acpitable");
		plan_arg_opt(b, o);
		plan_check_file(b, &b->f->acpi[i], &p->acpi_loc[i], "[acpi] table", "table", false);
	}
	for (size_t i = 0; i < p->fwcfg_names.n; i++) {
		struct qopt *o = qopt_new(NULL);

		qopt_add(o, "name", p->fwcfg_names.v[i]);
		qopt_add(o, "file", p->fwcfg_files.v[i]);
		plan_arg(b, "-fw_cfg");
		plan_arg_opt(b, o);
		plan_check_file(b, &b->f->fwcfg[i], &p->fwcfg_loc[i], p->fwcfg_names.v[i], "fw_cfg file", false);
	}
}

static void plan_tail(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	struct qopt *o = qopt_new(NULL);

	qopt_addf(o, NULL, "unix:%s/qmp.sock", f->run_dir);
	qopt_flag(o, "server", true);
	qopt_flag(o, "wait", false);
	plan_arg(b, "-qmp");
	plan_arg_opt(b, o);
	if (f->runtime_fallback)
		plan_check(b, CHECK_WARN, NULL, "XDG_RUNTIME_DIR is not set (no login session?): the QMP socket goes to %s",
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

void plan_build(const struct profile *p, const struct vm_facts *f, struct plan *ret)
{
	struct plan pl = { 0 };
	struct builder b = { p, f, &pl };

	plan_machine(&b);
	check_machine(&b);
	plan_pci(&b);
	plan_display(&b);
	plan_disks(&b);
	check_disks(&b);
	plan_network(&b);
	plan_lg(&b);
	plan_audio(&b);
	plan_usb(&b);
	plan_input(&b);
	plan_tables(&b);
	plan_tail(&b);
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
