// SPDX-License-Identifier: GPL-2.0-or-later
/* The plan for the machine itself: QEMU, accelerator, CPU, memory, firmware, and their checks. */
#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include "plan-build.h"
#include "smt.h"
#include "profile-schema.h"

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

void plan_machine(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	/* Hyper-V enlightenments, all on, in the order QEMU documents them. */
	static const struct {
		const char *key, *value;
	} hv[] = {
		{ "hv-relaxed", "on" }, { "hv-vapic", "on" },	 { "hv-spinlocks", "0x1fff" },
		{ "hv-vpindex", "on" }, { "hv-synic", "on" },	 { "hv-time", "on" },
		{ "hv-stimer", "on" },	{ "hv-reset", "on" },	 { "hv-frequencies", "on" },
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
	if (f->host.firmware.requires_smm && p->firmware == FW_UEFI && f->host.has_firmware)
		qopt_flag(o, "smm", true);
	/* -machine i8042= (QEMU 7.2 has it): no PS/2 controller, so no PS/2 keyboard or mouse. */
	if (!p->ps2)
		qopt_flag(o, "i8042", false);
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
		qopt_add(o, "hugetlbsize", schema_enum_name(&schema_hugepages, p->hugepages));
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
		if (f->host.firmware.requires_smm) {
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

/* pin =, emulator-pin =, io-pin =: CPUs the host has. True when they are. */
static bool check_pin(struct builder *b, const struct cpuset *set, const struct loc *loc, const char *key)
{
	unsigned n = b->f->host.n_cpus;
	bool bad = false;

	for (unsigned i = 0; i < set->n; i++)
		bad |= n && set->cpu[i] >= n;
	if (bad) {
		_cleanup_free_ char *fix = xasprintf(
			"change %s = at %s:%u to CPUs within 0-%u  (lscpu -e lists them)", key, loc->file,
			loc->line, n - 1);
		plan_check(b, CHECK_FAIL, fix, "%s:%u: %s: the host has CPUs 0-%u only", loc->file, loc->line,
			   key, n - 1);
	}
	return !bad;
}
static void check_qemu(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	const struct loc *loc = &p->qemu_loc;

	if (f->qemu_path)
		plan_check(b, CHECK_OK, NULL, "QEMU: %s", f->qemu_path);
	else if (strchr(p->qemu, '/')) {
		_cleanup_free_ char *fix = xasprintf(
			"correct the path at %s:%u, or install QEMU: sudo apt-get install "
			"qemu-system-x86  (or your distribution's QEMU package)",
			loc->file, loc->line);
		plan_check(b, CHECK_FAIL, fix, "%s:%u: qemu: '%s': %s", loc->file, loc->line, p->qemu,
			   f->qemu_err == EACCES ? "not a program you may run" : strerror(f->qemu_err));
	} else {
		_cleanup_free_ char *where = loc->line ? xasprintf("%s:%u: qemu", loc->file, loc->line)
						       : xstrdup("QEMU");
		plan_check(
			b, CHECK_FAIL,
			"sudo apt-get install qemu-system-x86  (or your distribution's QEMU package), or set qemu = in [vm] to its path",
			"%s: '%s' is not on PATH%s", where, p->qemu,
			f->qemu_err == EACCES ? " as a program you may run" : "");
	}
}

/* check's warning for every guest core pin = splits over two host cores, with the host's sibling
 * groups in the fix. */
static void check_smt(struct builder *b)
{
	const struct profile *p = b->p;
	struct smt_split split[8];
	size_t n = smt_splits(&p->pin, p->threads, &b->f->smt, split, ARRAY_SIZE(split));
	_cleanup_free_ char *pairs = NULL, *groups = NULL, *fix = NULL;

	if (!n)
		return;
	for (size_t i = 0; i < n && i < ARRAY_SIZE(split); i++) {
		char *s = xasprintf("%s%svCPUs %u,%u on CPUs %u,%u", pairs ? pairs : "", pairs ? "; " : "",
				    split[i].vcpu[0], split[i].vcpu[1], split[i].cpu[0], split[i].cpu[1]);
		free(pairs);
		pairs = s;
	}
	groups = smt_sibling_groups(&b->f->smt);
	if (groups)
		fix = xasprintf("at %s:%u, put each guest core's vCPUs on SMT siblings; the host's are %s "
				"(lscpu -e lists them)",
				p->pin_loc.file, p->pin_loc.line, groups);
	else
		fix = xasprintf("threads = 1 in %s: the host has no SMT siblings", p->pin_loc.file);
	plan_check(b, CHECK_WARN, fix,
		   "%s:%u: pin: guest cores (threads = %u) split over host cores: %s%s are not SMT siblings",
		   p->pin_loc.file, p->pin_loc.line, p->threads, pairs, n > ARRAY_SIZE(split) ? "; …" : "");
}

void plan_check_machine(struct builder *b)
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
			   kvm->state == ACC_MISSING  ? "missing"
			   : kvm->state == ACC_DENIED ? strerror(kvm->err)
						      : "not a character device");
	else if (kvm->state == ACC_MISSING)
		plan_check(b, CHECK_FAIL,
			   "sudo modprobe kvm_intel  (or kvm_amd; enable VT-x/AMD-V in the firmware setup)",
			   "/dev/kvm: missing: KVM is not loaded or virtualisation is off");
	else if (kvm->state == ACC_DENIED) {
		_cleanup_free_ char *fix = xasprintf("sudo usermod -aG kvm %s, then log in again", f->user);
		plan_check(b, CHECK_FAIL, fix, "/dev/kvm: %s", strerror(kvm->err));
	} else
		plan_check(b, CHECK_FAIL,
			   "reboot  (the kernel makes /dev/kvm anew; something else is in its place)",
			   "/dev/kvm: not a character device");

	if (p->firmware == FW_UEFI) {
		const struct firmware_pair *fw = &f->host.firmware;

		if (!f->host.has_firmware && p->secure_boot) {
			_cleanup_free_ char *fix = xasprintf(
				"sudo apt install ovmf  (Fedora: edk2-ovmf; the firmware with Microsoft's keys "
				"enrolled), or secure-boot = off at %s:%u",
				p->secure_boot_loc.file, p->secure_boot_loc.line);
			plan_check(b, CHECK_FAIL, fix, "%s:%u: secure-boot: %s", p->secure_boot_loc.file,
				   p->secure_boot_loc.line,
				   f->host.firmware_error ? f->host.firmware_error : "no such firmware");
		} else if (!f->host.has_firmware)
			plan_check(b, CHECK_FAIL,
				   "sudo apt install ovmf  (Fedora: edk2-ovmf, Arch: edk2-ovmf)",
				   "UEFI firmware: %s",
				   f->host.firmware_error ? f->host.firmware_error : "not found");
		else
			plan_check(b, CHECK_OK, NULL, "UEFI firmware: %s%s, vars %s%s", fw->code,
				   fw->secure_boot    ? " (Secure Boot, Microsoft's keys enrolled)"
				   : fw->requires_smm ? " (SMM)"
						      : "",
				   f->vars_path,
				   f->vars_state == VARS_NEW || f->vars_state == VARS_FOREIGN
					   ? " (copied from the template on first run)"
					   : "");
		if (f->host.has_firmware && f->vars_state == VARS_FOREIGN)
			plan_check(
				b, CHECK_WARN, NULL,
				"UEFI vars: %s was made for the firmware %s; run keeps it aside as "
				"%s.DATE-TIME and copies %s afresh (boot entries and enrolled keys start over)",
				f->vars_path, f->vars_made_for, f->vars_path, fw->vars);
	}
	if (f->host.mem_total && p->memory + (2ULL << 30) > f->host.mem_total)
		plan_check(b, CHECK_WARN, NULL,
			   "memory: %s for the guest leaves less than 2G of the host's %s",
			   plan_size_str(p->memory, need, sizeof(need)),
			   plan_size_str(f->host.mem_total, have, sizeof(have)));

	if (p->hugepages != HUGE_OFF) {
		uint64_t size = p->hugepages == HUGE_1G ? 1ULL << 30 : 2ULL << 20;
		const struct hugepage_pool *pool = pool_for(&f->host, size);
		uint64_t pages = p->memory / size;
		const char *dir = p->hugepages == HUGE_1G ? "hugepages-1048576kB" : "hugepages-2048kB";

		/* No pool to fill: the kernel registers one for every page size the CPU has. */
		if (!pool)
			plan_check(
				b, CHECK_FAIL,
				p->hugepages == HUGE_1G
					? "hugepages = 2M in [vm]  (this CPU has no 1G pages: no pdpe1gb in /proc/cpuinfo)"
					: "hugepages = off in [vm]  (this kernel has no hugepages: CONFIG_HUGETLBFS)",
				"hugepages: the host has no %s pool (no %s in /sys/kernel/mm/hugepages)",
				schema_enum_name(&schema_hugepages, p->hugepages), dir);
		else if (pool->free < pages && pool->growable)
			plan_check(b, CHECK_OK, NULL,
				   "hugepages: %" PRIu64 " \xc3\x97 %s needed, %" PRIu64
				   " free: reserved at start",
				   pages, schema_enum_name(&schema_hugepages, p->hugepages), pool->free);
		else if (pool->free < pages) {
			_cleanup_free_ char *boot =
				p->hugepages == HUGE_1G
					? xasprintf(
						  "  (1G pages are best reserved at boot: sudo vfio-setup install --hugepages %" PRIu64
						  "x1G)",
						  pages)
					: xstrdup("");
			_cleanup_free_ char *fix = xasprintf(
				"echo %" PRIu64 " | sudo tee /sys/kernel/mm/hugepages/%s/nr_hugepages%s",
				pool->total + pages - pool->free, dir, boot);
			plan_check(b, CHECK_FAIL, fix,
				   "hugepages: need %" PRIu64 " free %s pages for %s, %" PRIu64
				   " free of %" PRIu64,
				   pages, schema_enum_name(&schema_hugepages, p->hugepages),
				   plan_size_str(p->memory, need, sizeof(need)), pool->free, pool->total);
		} else
			plan_check(b, CHECK_OK, NULL,
				   "hugepages: %" PRIu64 " of %" PRIu64 " free %s pages cover %s", pages,
				   pool->free, schema_enum_name(&schema_hugepages, p->hugepages),
				   plan_size_str(p->memory, need, sizeof(need)));
	}

	if (check_pin(b, &p->pin, &p->pin_loc, "pin") && p->pin.n)
		plan_check(b, CHECK_OK, NULL,
			   "pin: each of the %u vCPU threads on its own host CPU of those listed", p->cpus);
	check_smt(b);
	check_pin(b, &p->emulator_pin, &p->emulator_pin_loc, "emulator-pin");
	check_pin(b, &p->io_pin, &p->io_pin_loc, "io-pin");
}
