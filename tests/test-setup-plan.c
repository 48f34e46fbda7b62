// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for vfio-setup's pure install plan: targets, kernel words, softdeps and refusals
 * from hand-made facts, with no tree, no templates directory and no user database. */
#include "plan-facts.h"
#include "check-main.h"
#include <errno.h>
#include <stdlib.h>
#include "edit.h"
#include "hostmem.h"
#include "install-plan.h"

struct fixture {
	struct setup_opts o;
	struct setup_facts host;
	struct install_facts f;
	struct setup_plan p;
	struct strv errors;
};

/* A Debian-like host: Intel, 32G, initramfs-tools, GRUB; one-line templates naming their
 * variables. The root does not exist: the plan must not look at it. */
static void setup(struct fixture *x)
{
	static const char *const texts[][2] = {
		{ "udev/65-qemu-vm.rules.in", "GROUP={{GROUP}}\n" },
		{ "limits/95-qemu-vm-memlock.conf.in", "@{{GROUP}} memlock {{MEMLOCK_KIB}}\n" },
		{ "limits/user@.service.d-memlock.conf.in", "LimitMEMLOCK={{MEMLOCK_BYTES}}\n" },
		{ "limits/60-qemu-vm-hugepages.conf.in", "vm.nr_hugepages = {{COUNT}}\n" },
		{ "modprobe/qemu-vm-vfio.conf.in",
		  "options vfio-pci ids={{IDS}}\n{{#softdep}}softdep {{MODULE}} pre: vfio-pci\n" },
		{ "modprobe/qemu-vm-kvm.conf.in", "options kvm ignore_msrs=1\n" },
		{ "modprobe/mkinitcpio-vfio.conf.in", "MODULES+=({{MODULES}})\n" },
		{ "modprobe/dracut-vfio.conf.in", "force_drivers+=\" {{MODULES}} \"\n" },
	};

	*x = (struct fixture){ .o = { .root = "/nonexistent-root", .root_given = true } };
	x->host = (struct setup_facts){ .cpu = CPU_INTEL,
					.mem_total = 32ull << 30,
					.initramfs = "initramfs-tools",
					.bootloader = "grub",
					.grub_mkconfig = xstrdup("update-grub") };
	x->f.host = &x->host;
	x->f.templates_dir = xstrdup("/tmpl");
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		x->f.templates[i] = (struct tmpl_file){ .name = texts[i][0], .text = xstrdup(texts[i][1]) };
}

static void teardown(struct fixture *x)
{
	pci_host_free(&x->f.pci);
	x->f.pci_read = false;
	install_facts_free(&x->f);
	setup_facts_free(&x->host);
	install_plan_free(&x->p);
	strv_clear(&x->errors);
	strv_clear(&x->o.users);
	strv_clear(&x->o.devices);
	strv_clear(&x->o.ids);
	strv_clear(&x->o.open_at_boot);
}

/* The laptop: GPU 01:00.0 (bound to nouveau) and its audio 01:00.1 in group 1 with their port;
 * a NIC 03:00.0 with the GPU's IDs' neighbour in group 2. */
static void laptop_pci(struct fixture *x)
{
	x->f.pci_read = true;
	x->f.pci.n = 4;
	x->f.pci.dev = xcalloc(4, sizeof(struct pci_dev_info));
	x->f.pci.dev[0] = facts_dev(0, 1, 0, 0x8086, 0x1901, 0x060400, "pcieport", 1);
	x->f.pci.dev[1] = facts_dev(1, 0, 0, 0x10de, 0x1c8d, 0x030000, "nouveau", 1);
	x->f.pci.dev[2] = facts_dev(1, 0, 1, 0x10de, 0x0fb9, 0x040300, NULL, 1);
	x->f.pci.dev[3] = facts_dev(3, 0, 0, 0x8086, 0x15b8, 0x020000, "e1000e", 2);
	strv_push(&x->f.driver_modules, "nouveau=nouveau");
	strv_push(&x->f.driver_modules, "e1000e=e1000e");
}

static const struct target *find(const struct setup_plan *p, const char *path)
{
	for (size_t i = 0; i < p->n_targets; i++)
		if (streq(p->targets[i].path, path))
			return &p->targets[i];
	return NULL;
}

static char *joined(const struct strv *s)
{
	char *r = xstrdup("");

	for (size_t i = 0; i < s->n; i++) {
		char *n = xasprintf("%s%s%s", r, i ? " " : "", s->v[i]);
		free(r);
		r = n;
	}
	return r;
}

START_TEST(plan_ids_on_grub_host)
{
	struct fixture x;
	_cleanup_free_ char *params = NULL, *softdeps = NULL;
	const struct target *t;

	setup(&x);
	strv_push(&x.o.ids, "10de:1b81,10de:10f0");
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), 0);
	ck_assert_uint_eq(x.errors.n, 0);
	params = joined(&x.p.params);
	ck_assert_str_eq(params, "intel_iommu=on iommu=pt");
	/* No PCI facts: the vendor alone says which drivers to load after vfio-pci. */
	softdeps = joined(&x.p.softdeps);
	ck_assert_str_eq(softdeps, "nouveau nvidia");
	ck_assert_str_eq(x.p.initramfs, "initramfs-tools");
	ck_assert_str_eq(x.p.bootloader, "grub");
	ck_assert_str_eq(x.p.grub_mkconfig, "update-grub");
	/* memlock auto without a profile: the RAM rounded up to whole GiB. */
	ck_assert_uint_eq(x.p.memlock, 32ull << 30);
	ck_assert_uint_eq(x.p.n_targets, 7);
	t = find(&x.p, "/etc/modprobe.d/qemu-vm-vfio.conf");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->content, "options vfio-pci ids=10de:1b81,10de:10f0\n"
				     "softdep nouveau pre: vfio-pci\nsoftdep nvidia pre: vfio-pci\n");
	t = find(&x.p, "/etc/security/limits.d/95-qemu-vm-memlock.conf");
	ck_assert_str_eq(t->content, "@qemu-vm memlock 33554432\n");
	ck_assert_int_eq(find(&x.p, "/etc/initramfs-tools/modules")->kind, TGT_MODLINES);
	ck_assert_int_eq(find(&x.p, "/etc/default/grub")->kind, TGT_GRUB);
	ck_assert_ptr_null(find(&x.p, "/etc/sysctl.d/60-qemu-vm-hugepages.conf"));
	teardown(&x);
}
END_TEST

START_TEST(plan_device_takes_the_card)
{
	struct fixture x;
	_cleanup_free_ char *ids = NULL, *softdeps = NULL;

	setup(&x);
	laptop_pci(&x);
	strv_push(&x.o.devices, "01:00.0");
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), 0);
	ids = joined(&x.p.ids);
	ck_assert_str_eq(ids, "10de:1c8d 10de:0fb9");
	/* The audio function by its class, the bound driver's module from the facts. */
	softdeps = joined(&x.p.softdeps);
	ck_assert_str_eq(softdeps, "nouveau nvidia snd_hda_intel");
	teardown(&x);
}
END_TEST

START_TEST(plan_refusals_collected)
{
	struct fixture x;

	setup(&x);
	laptop_pci(&x);
	x.f.pci.dev[3].iommu_group = 1; /* the NIC shares the GPU's group */
	strv_push(&x.o.devices, "01:00.0");
	strv_push(&x.o.devices, "00:01.0");
	strv_push(&x.o.devices, "09:00.0");
	strv_push(&x.o.users, "alice");
	strv_push(&x.o.users, "bob");
	x.f.users[0] = 0;
	x.f.users[1] = -ENOENT;
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), -EINVAL);
	ck_assert_uint_eq(x.errors.n, 4);
	ck_assert_str_eq(x.errors.v[0], "--user: no user 'alice' (hint: create it first)");
	ck_assert_str_eq(x.errors.v[1],
			 "--device 01:00.0: IOMMU group 1 also holds 0000:03:00.0 [8086:15b8], "
			 "which is not part of 0000:01:00.0: the group cannot be passed alone (hint: "
			 "use a slot in its own group; see vfio-setup scan)");
	ck_assert_str_eq(x.errors.v[2],
			 "--device 00:01.0: 0000:00:01.0 is a bridge; pass the device behind it");
	ck_assert_str_eq(x.errors.v[3],
			 "--device 09:00.0: no PCI device 0000:09:00.0 (hint: vfio-setup scan)");
	ck_assert_uint_eq(x.p.n_targets, 0);
	teardown(&x);

	/* A template that could not be read is named; unreadable PCI devices too. */
	setup(&x);
	free(x.f.templates[0].text);
	x.f.templates[0].text = NULL;
	x.f.templates[0].error = xstrdup("template '/tmpl/udev/65-qemu-vm.rules.in' missing");
	x.f.pci_read = true;
	x.f.pci_error = -EACCES;
	strv_push(&x.o.devices, "01:00.0");
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), -EINVAL);
	ck_assert_uint_eq(x.errors.n, 1);
	ck_assert_str_eq(x.errors.v[0], "--device 01:00.0: cannot read the PCI devices: "
					"Permission denied");
	strv_clear(&x.errors);
	x.f.pci_read = false;
	strv_clear(&x.o.devices);
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), -EINVAL);
	ck_assert_uint_eq(x.errors.n, 1);
	ck_assert_str_eq(x.errors.v[0], "template '/tmpl/udev/65-qemu-vm.rules.in' missing");
	teardown(&x);
}
END_TEST

/* Where /etc/default/grub.d exists, a drop-in adds to what the files before it set. */
START_TEST(plan_grub_dropin)
{
	struct fixture x;
	_cleanup_free_ char *text = NULL, *err = NULL;
	const struct target *t;

	setup(&x);
	x.host.grub_dropin = true;
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), 0);
	ck_assert_ptr_null(find(&x.p, "/etc/default/grub"));
	t = find(&x.p, "/etc/default/grub.d/99-qemu-vm.cfg");
	ck_assert_int_eq(t->kind, TGT_GRUB_DROPIN);
	ck_assert_int_eq(install_plan_content(t, &x.p, &x.host, NULL, &text, &err), 0);
	ck_assert_str_eq(text, "# Installed by vfio-setup; 'vfio-setup uninstall' removes it.\n"
			       "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT intel_iommu=on "
			       "iommu=pt\"\n");
	teardown(&x);
}
END_TEST

/* One target per boot entry, however many: nothing caps the plan. */
START_TEST(plan_many_loader_entries)
{
	struct fixture x;

	setup(&x);
	x.host.bootloader = "loader-entries";
	for (int i = 0; i < 300; i++)
		strv_pushf(&x.host.loader_entries, "/boot/loader/entries/k%d.conf", i);
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), 0);
	ck_assert_uint_eq(x.p.n_targets, 4 + 300);
	ck_assert_int_eq(x.p.targets[4 + 299].kind, TGT_LOADER);
	ck_assert_str_eq(x.p.targets[4 + 299].path, "/boot/loader/entries/k299.conf");
	teardown(&x);
}
END_TEST

/* 1G pages go on the kernel command line, 2M ones to sysctl.d; an unknown CPU is a note. */
START_TEST(plan_hugepages_and_unknown_cpu)
{
	struct fixture x;
	_cleanup_free_ char *params = NULL;

	setup(&x);
	x.host.cpu = CPU_UNKNOWN;
	x.o.hugepages = "8x1G";
	x.o.memlock = "17G";
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), 0);
	params = joined(&x.p.params);
	ck_assert_str_eq(params, "iommu=pt default_hugepagesz=1G hugepagesz=1G hugepages=8");
	ck_assert_str_eq(x.p.notes.v[0], "CPU vendor unknown: add intel_iommu=on yourself on Intel");
	ck_assert_ptr_null(find(&x.p, "/etc/sysctl.d/60-qemu-vm-hugepages.conf"));
	ck_assert_uint_eq(x.p.memlock, 17ull << 30);
	install_plan_free(&x.p);

	x.o.hugepages = "1024x2M";
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), 0);
	ck_assert_str_eq(find(&x.p, "/etc/sysctl.d/60-qemu-vm-hugepages.conf")->content,
			 "vm.nr_hugepages = 1024\n");
	install_plan_free(&x.p);

	x.o.no_cmdline = true;
	x.o.hugepages = "8x1G";
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), -EINVAL);
	ck_assert_str_eq(x.errors.v[0], "--hugepages 8x1G: 1G pages are reserved on the kernel "
					"command line, which --no-cmdline leaves alone");
	teardown(&x);
}
END_TEST

/* A profile passing the laptop's GPU, its audio function skipped, memory in 2M pages. */
static void skip_profile(struct fixture *x)
{
	struct profile *prof;

	x->f.n_profiles = 1;
	x->f.profiles = xcalloc(1, sizeof(*x->f.profiles));
	x->f.profiles[0].path = "gaming.ini";
	prof = &x->f.profiles[0].prof;
	prof->path = xstrdup("gaming.ini");
	prof->name = xstrdup("gaming");
	prof->memory = 8ull << 30;
	prof->hugepages = HUGE_2M;
	prof->n_pci = 1;
	prof->pci[0] = (struct pci_section){
		.name = xstrdup("gpu"), .has_host = true, .host = { .bus = 1 }, .skip_functions = 1u << 1
	};
}

START_TEST(plan_skipped_function_held_on_no_driver)
{
	struct fixture x;
	_cleanup_free_ char *ids = NULL, *softdeps = NULL;
	const struct target *t;

	setup(&x);
	laptop_pci(&x);
	skip_profile(&x);
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), 0);
	/* The audio function is neither in ids= nor a reason for a softdep. */
	ids = joined(&x.p.ids);
	ck_assert_str_eq(ids, "10de:1c8d");
	softdeps = joined(&x.p.softdeps);
	ck_assert_ptr_null(strstr(softdeps, "snd_hda_intel"));
	t = find(&x.p, "/etc/udev/rules.d/40-qemu-vm-hold.rules");
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(strstr(t->content,
				     "ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"0000:01:00.1\", "
				     "ATTR{driver_override}=\"none\"\n"));
	ck_assert_ptr_null(strstr(t->content, "0000:01:00.0"));
	/* hugepages = 2M: the pools become the group's to grow. */
	t = find(&x.p, "/etc/tmpfiles.d/qemu-vm-hugepages.conf");
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(strstr(
		t->content, "\nz /sys/kernel/mm/hugepages/hugepages-*/nr_hugepages 0664 root qemu-vm -\n"));
	ck_assert_ptr_null(find(&x.p, "/etc/systemd/system/qemu-vm-open@.service"));
	ck_assert_ptr_null(find(&x.p, "/etc/modprobe.d/qemu-vm-unsafe-interrupts.conf"));
	/* --device naming the same card asks for all of it on vfio-pci: nothing is held. */
	install_plan_free(&x.p);
	strv_push(&x.o.devices, "01:00.0");
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), 0);
	free(ids);
	ids = joined(&x.p.ids);
	ck_assert_str_eq(ids, "10de:1c8d 10de:0fb9");
	ck_assert_uint_eq(x.p.held.n, 0);
	ck_assert_ptr_null(find(&x.p, "/etc/udev/rules.d/40-qemu-vm-hold.rules"));
	teardown(&x);
}
END_TEST

START_TEST(plan_device_alone_holds_nothing)
{
	struct fixture x;

	setup(&x);
	laptop_pci(&x);
	strv_push(&x.o.devices, "01:00.0");
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), 0);
	ck_assert_ptr_null(find(&x.p, "/etc/udev/rules.d/40-qemu-vm-hold.rules"));
	ck_assert_ptr_null(find(&x.p, "/etc/tmpfiles.d/qemu-vm-hugepages.conf"));
	x.o.hugepages_on_demand = true;
	install_plan_free(&x.p);
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), 0);
	ck_assert_ptr_nonnull(find(&x.p, "/etc/tmpfiles.d/qemu-vm-hugepages.conf"));
	teardown(&x);
}
END_TEST

START_TEST(plan_open_at_boot_and_unsafe_interrupts)
{
	struct fixture x;
	const struct target *t;

	setup(&x);
	laptop_pci(&x);
	strv_push(&x.o.open_at_boot, "01:00.0");
	strv_push(&x.o.open_at_boot, "0000:01:00.0");
	x.o.allow_unsafe_interrupts = true;
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), 0);
	t = find(&x.p, "/etc/systemd/system/qemu-vm-open@.service");
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(strstr(t->content, "Type=oneshot\n"));
	ck_assert_ptr_nonnull(strstr(t->content, "/vfio-setup open %I\n"));
	t = find(&x.p, "/etc/systemd/system/multi-user.target.d/qemu-vm-open.conf");
	ck_assert_ptr_nonnull(t);
	/* Named twice, wanted once. */
	ck_assert_ptr_nonnull(strstr(t->content, "[Unit]\nWants=qemu-vm-open@0000:01:00.0.service\n"));
	ck_assert_ptr_null(strstr(strstr(t->content, "Wants=") + 1, "Wants="));
	t = find(&x.p, "/etc/modprobe.d/qemu-vm-unsafe-interrupts.conf");
	ck_assert_ptr_nonnull(strstr(t->content, "\noptions vfio_iommu_type1 allow_unsafe_interrupts=1\n"));
	install_plan_free(&x.p);
	strv_clear(&x.o.open_at_boot);
	strv_push(&x.o.open_at_boot, "05:00.0");
	strv_push(&x.o.open_at_boot, "bogus");
	ck_assert_int_eq(install_plan_build(&x.f, &x.o, &x.p, &x.errors), -EINVAL);
	ck_assert_uint_eq(x.errors.n, 2);
	ck_assert_str_eq(x.errors.v[0], "--open-at-boot: no PCI device 0000:05:00.0 (hint: vfio-setup scan)");
	ck_assert_str_eq(x.errors.v[1], "--open-at-boot: expected a PCI address like 01:00.0, got 'bogus'");
	teardown(&x);
}
END_TEST

START_TEST(mkinitcpio_hooks_modconf)
{
	_cleanup_free_ char *out = NULL, *same = NULL, *sys = NULL, *err = NULL;
	unsigned line;

	ck_assert_int_eq(
		edit_mkinitcpio_hooks("# HOOKS\nHOOKS=(base udev autodetect microcode kms block)  # x\n",
				      &out, &line, &err),
		0);
	ck_assert_str_eq(out, "# HOOKS\nHOOKS=(base udev autodetect microcode modconf kms block)  # x\n");
	ck_assert_int_eq(edit_mkinitcpio_hooks(out, &same, &line, &err), 0);
	ck_assert_str_eq(same, out);
	ck_assert_int_eq(edit_mkinitcpio_hooks("HOOKS=(base systemd)\n", &sys, &line, &err), 0);
	ck_assert_str_eq(sys, "HOOKS=(base systemd modconf)\n");
	free(sys);
	sys = NULL;
	ck_assert_int_eq(edit_mkinitcpio_hooks("#HOOKS=(base)\n", &sys, &line, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "HOOKS is not set"));
	ck_assert_uint_eq(line, 0);
}
END_TEST

/* What HOOKS has is read as bash does, over several lines; only a one-line array is edited. */
START_TEST(mkinitcpio_hooks_lines)
{
	static const struct {
		const char *in;
		const char *want; /* NULL: refused */
		const char *why;
	} cases[] = {
		{ "A=1\nHOOKS=(base udev\n  autodetect 'modconf' # kms\n  block)\n", "", NULL },
		{ "HOOKS=(base $MORE modconf)\n", "", NULL },
		{ "HOOKS=\"base udev modconf\"\n", "", NULL },
		{ "HOOKS=(base \"udev\" block)\n", "HOOKS=(base \"udev\" modconf block)\n", NULL },
		{ "#\nHOOKS=(base udev # modconf\n  block)\n", NULL, "the array spans several lines" },
		{ "#\nHOOKS=(base `x` block)\n", NULL, "it has an expansion: '`x`'" },
		{ "#\nHOOKS=(base ${X} block)\n", NULL, "it has an expansion: '${X}'" },
		{ "#\nHOOKS=(base \"a\"b block)\n", NULL, "its entry '\"a\"b' is partly quoted" },
		{ "#\nHOOKS=\"base udev\"\n", NULL, "it is not an array '(...)'" },
		{ "#\nHOOKS=(base udev\n", NULL, "its array has no ')'" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *out = NULL, *err = NULL;
		unsigned line = 99;
		int r = edit_mkinitcpio_hooks(cases[i].in, &out, &line, &err);

		if (cases[i].want) {
			ck_assert_msg(r == 0, "%s: %s", cases[i].in, err);
			ck_assert_str_eq(out, *cases[i].want ? cases[i].want : cases[i].in);
			continue;
		}
		ck_assert_int_eq(r, -EINVAL);
		ck_assert_uint_eq(line, 2);
		ck_assert_msg(strstr(err, cases[i].why) && strstr(err, "hint: add modconf to HOOKS by hand"),
			      "%s: %s", cases[i].in, err);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("setup-plan");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, plan_ids_on_grub_host);
	tcase_add_test(tc, plan_device_takes_the_card);
	tcase_add_test(tc, plan_refusals_collected);
	tcase_add_test(tc, plan_grub_dropin);
	tcase_add_test(tc, plan_many_loader_entries);
	tcase_add_test(tc, plan_hugepages_and_unknown_cpu);
	tcase_add_test(tc, plan_skipped_function_held_on_no_driver);
	tcase_add_test(tc, plan_device_alone_holds_nothing);
	tcase_add_test(tc, plan_open_at_boot_and_unsafe_interrupts);
	tcase_add_test(tc, mkinitcpio_hooks_modconf);
	tcase_add_test(tc, mkinitcpio_hooks_lines);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
