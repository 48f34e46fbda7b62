// SPDX-License-Identifier: GPL-2.0-or-later
/* Makes written files take effect: the initramfs generator, the boot loader's tool, udev,
 * systemd. */
#include <errno.h>
#include "engine.h"

/* How a command that is only printed is introduced: under --root or in a dry run. NULL when it
 * is to be run. */
static const char *not_run(const struct setup_opts *o, bool dry_run)
{
	return o->root_given && !test_run_under_root() ? "not run under --root"
	       : dry_run			       ? "would run"
						       : NULL;
}

bool regen_runs(const struct setup_opts *o)
{
	return !not_run(o, false);
}

/* /etc/kernel/cmdline reaches a boot entry when kernel-install adds that kernel again; every
 * installed kernel, not only the running one (add-all needs systemd 255). */
static void kernel_install_all(const struct setup_opts *o, const struct setup_facts *f, bool dry_run,
			       int *ret_failed)
{
	const char *say = not_run(o, dry_run);

	if (!f->kernels.n && o->root_given) {
		/* An image build installs this before the kernel, whose entry is made later. */
		setup_log_warning("no kernel in /usr/lib/modules/*/vmlinuz yet: a kernel installed "
				  "into the tree later gets the command line from /etc/kernel/cmdline");
		return;
	}
	if (!f->kernels.n) {
		setup_log_error("no kernel in /usr/lib/modules/*/vmlinuz: no boot entry gets the new "
				"command line (hint: kernel-install add VERSION IMAGE for each kernel)");
		if (!say)
			*ret_failed = 1;
		return;
	}
	for (size_t i = 0; i < f->kernels.n; i++) {
		const char *argv[] = { "kernel-install", "add", f->kernels.v[i], f->kernel_images.v[i],
				       NULL };

		if (say)
			printf("%s: kernel-install add %s %s\n", say, argv[2], argv[3]);
		else if (setup_run(o, argv, false) != 0) {
			setup_log_error("kernel-install add %s failed: its boot entry still has the "
					"old command line (hint: run it again by hand)",
					argv[2]);
			*ret_failed = 1;
		}
	}
}

void regen_commands(const struct setup_opts *o, const char *initramfs, const char *bootloader,
		    const char *grub_mkconfig, const struct setup_facts *f, bool dry_run, int *ret_failed)
{
	const char *say = not_run(o, dry_run);
	const char *argv[8] = { 0 };

	if (initramfs && !o->no_initramfs) {
		if (streq(initramfs, "mkinitcpio"))
			argv[0] = "mkinitcpio", argv[1] = "-P";
		else if (streq(initramfs, "dracut"))
			argv[0] = "dracut", argv[1] = "--regenerate-all", argv[2] = "--force";
		else if (streq(initramfs, "initramfs-tools"))
			argv[0] = "update-initramfs", argv[1] = "-u", argv[2] = "-k", argv[3] = "all";
		else if (streq(initramfs, "booster"))
			argv[0] = "/usr/lib/booster/regenerate_images";
		if (argv[0]) {
			if (say)
				printf("%s: %s%s%s%s\n", say, argv[0], argv[1] ? " " : "",
				       argv[1] ? argv[1] : "", argv[2] ? " …" : "");
			else if (setup_run(o, argv, false) != 0) {
				setup_log_error("%s failed: the initramfs is not regenerated (hint: run it "
						"again by hand before rebooting)",
						argv[0]);
				*ret_failed = 1;
			}
		}
	}
	memset(argv, 0, sizeof(argv));
	if (!bootloader || o->no_cmdline)
		return;
	if (streq(bootloader, "kernel-install")) {
		kernel_install_all(o, f, dry_run, ret_failed);
		return;
	}
	if (streq(bootloader, "grub") && grub_mkconfig) {
		argv[0] = grub_mkconfig;
		if (streq(grub_mkconfig, "grub2-mkconfig"))
			argv[1] = "-o", argv[2] = "/boot/grub2/grub.cfg";
		else if (streq(grub_mkconfig, "grub-mkconfig"))
			argv[1] = "-o", argv[2] = "/boot/grub/grub.cfg";
	}
	if (!argv[0])
		return;
	if (say) {
		printf("%s: %s", say, argv[0]);
		for (size_t i = 1; argv[i]; i++)
			printf(" %s", argv[i]);
		putchar('\n');
		return;
	}
	if (setup_run(o, argv, false) != 0) {
		setup_log_error("%s failed: the boot menu still has the old command line", argv[0]);
		*ret_failed = 1;
	}
}

void udev_reload(const struct setup_opts *o, bool dry_run)
{
	static const char *const reload[] = { "udevadm", "control", "--reload", NULL };
	static const char *const trigger[] = { "udevadm",
					       "trigger",
					       "--action=change",
					       "--subsystem-match=vfio",
					       "--subsystem-match=kvmfr",
					       "--subsystem-match=usb",
					       "--subsystem-match=input",
					       "--subsystem-match=block",
					       NULL };
	const char *say = not_run(o, dry_run);

	if (say) {
		printf("%s: udevadm control --reload; udevadm trigger (vfio kvmfr usb input block)\n", say);
		return;
	}
	if (setup_run(o, (const char *const *)reload, false) != 0 ||
	    setup_run(o, (const char *const *)trigger, false) != 0)
		setup_log_error("udevadm failed, ignoring: the rules apply from the next boot");
}

/* The units vfio-setup installs and what enables them (qemu-vm-*). Not user@.service's memlock
 * drop-in: the user managers started after the reboot install asks for read it, and it makes
 * no unit startable. */
static bool own_unit(const char *path)
{
	return startswith(path, "/etc/systemd/system/") && startswith(strrchr(path, '/') + 1, "qemu-vm-");
}

void systemd_reload(const struct engine *e, bool pending, bool dry_run)
{
	static const char *const reload[] = { "systemctl", "daemon-reload", NULL };
	const char *say = not_run(e->o, dry_run);
	bool units = false;

	for (size_t i = 0; i < e->n && !units; i++)
		units = own_unit(e->ch[i].path) && (pending || change_needed(&e->ch[i]));
	if (!units || !e->f.systemd_booted)
		return;
	if (say) {
		printf("%s: systemctl daemon-reload\n", say);
		return;
	}
	if (setup_run(e->o, (const char *const *)reload, false) != 0)
		setup_log_warning("systemctl daemon-reload failed, ignoring: systemd sees the new units "
				  "from the next boot (hint: systemctl daemon-reload)");
}
