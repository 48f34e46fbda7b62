// SPDX-License-Identifier: GPL-2.0-or-later
/* Install's runtime powers beyond boot-time binding: huge page pools the group may grow, skipped
 * functions held on no driver, the boot-time VFIO open, and what the platform's interrupts need. */
#include <ctype.h>
#include <errno.h>
#include "fsutil.h"
#include "edit.h"
#include "engine.h"
#include "hostmem.h"

#define HEADER \
	"# Installed by vfio-setup; 'vfio-setup uninstall' removes it. Do not edit: run install again.\n"

static void add_file(struct setup_plan *p, const char *path, char *content)
{
	install_plan_add_target(p, path, TGT_TEMPLATE)->content = content;
}

/* tmpfiles.d applies 'z' to every path the glob matches, at each boot: the pools of every page
 * size the CPU has, whichever the profiles use today. */
static char *hugepages_tmpfiles(const char *group)
{
	return xasprintf(HEADER "# Members of group '%s' may resize the huge page pools: qemu-vm "
				"reserves the pages a VM\n# needs just before it starts and gives them "
				"back after it exits.\n"
				"z /sys/kernel/mm/hugepages/hugepages-*/nr_hugepages 0664 root %s -\n",
			 group, group);
}

/* 80-drivers.rules loads the modules of a new device: set before it, driver_override keeps
 * every driver off, vfio-pci included. */
static char *hold_rules(const struct strv *held)
{
	char *s = xstrdup(HEADER
			  "# Functions a profile skips stay on no driver at all (driver_override = none),\n"
			  "# set before 80-drivers.rules loads any module for them.\n");

	for (size_t i = 0; i < held->n; i++) {
		char *n = xasprintf("%sACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"%s\", "
				    "ATTR{driver_override}=\"none\"\n",
				    s, held->v[i]);
		free(s);
		s = n;
	}
	return s;
}

static char *open_unit(void)
{
	return xstrdup(HEADER "[Unit]\n"
			      "Description=Open PCI device %I through VFIO once at boot (qemu-vm)\n"
			      "After=systemd-modules-load.service systemd-udev-trigger.service\n"
			      "\n[Service]\n"
			      "Type=oneshot\n"
			      "ExecStart=" SETUP_BINDIR "/vfio-setup open %I\n");
}

static char *open_wants(const struct strv *bdfs)
{
	char *s = xstrdup(HEADER "# Each device below is opened through VFIO once at boot.\n[Unit]\n");

	for (size_t i = 0; i < bdfs->n; i++) {
		char *n = xasprintf("%sWants=qemu-vm-open@%s.service\n", s, bdfs->v[i]);
		free(s);
		s = n;
	}
	return s;
}

static void check_open_at_boot(const struct setup_opts *o, const struct install_facts *f, struct strv *bdfs,
			       struct strv *errors)
{
	for (size_t i = 0; i < o->open_at_boot.n; i++) {
		struct pci_addr a;
		char buf[32];

		if (parse_pci_addr(o->open_at_boot.v[i], &a) < 0) {
			strv_pushf(errors, "--open-at-boot: expected a PCI address like 01:00.0, got '%s'",
				   o->open_at_boot.v[i]);
			continue;
		}
		pci_addr_fmt(&a, buf, sizeof(buf));
		if (!f->pci_read || f->pci_error < 0)
			strv_pushf(errors, "--open-at-boot %s: cannot read the PCI devices: %s", buf,
				   strerror(f->pci_read ? -f->pci_error : ENOENT));
		else if (!pci_host_find(&f->pci, &a))
			strv_pushf(errors, "--open-at-boot: no PCI device %s (hint: vfio-setup scan)", buf);
		else if (!strv_contains(bdfs, buf))
			strv_push(bdfs, buf);
	}
}

void hostmem_targets(const struct setup_opts *o, const struct install_facts *f, struct setup_plan *p,
		     struct strv *errors)
{
	struct strv bdfs = { 0 };

	if (p->held.n)
		add_file(p, "/etc/udev/rules.d/40-qemu-vm-hold.rules", hold_rules(&p->held));
	if (p->huge_on_demand)
		add_file(p, "/etc/tmpfiles.d/qemu-vm-hugepages.conf", hugepages_tmpfiles(p->group));
	check_open_at_boot(o, f, &bdfs, errors);
	if (bdfs.n) {
		add_file(p, "/etc/systemd/system/qemu-vm-open@.service", open_unit());
		add_file(p, "/etc/systemd/system/multi-user.target.d/qemu-vm-open.conf", open_wants(&bdfs));
	}
	strv_clear(&bdfs);
	if (o->allow_unsafe_interrupts)
		add_file(p, "/etc/modprobe.d/qemu-vm-unsafe-interrupts.conf",
			 xstrdup(HEADER "# Asked for with --allow-unsafe-interrupts: this platform has no "
					"interrupt remapping, and\n# without it VFIO refuses to assign "
					"devices. A guest can then inject interrupts.\n"
					"options vfio_iommu_type1 allow_unsafe_interrupts=1\n"));
	/* modconf puts modprobe.d and MODULES into the image: without it vfio-pci loads late. */
	if (p->initramfs && streq(p->initramfs, "mkinitcpio")) {
		if (f->hooks_error)
			strv_push(errors, f->hooks_error);
		else if (f->hooks_lack_modconf) {
			p->add_modconf = true;
			if (!install_plan_has_target(p, "/etc/mkinitcpio.conf"))
				install_plan_add_target(p, "/etc/mkinitcpio.conf", TGT_MKINITCPIO_HOOKS);
		}
	}
}

int interrupts_remapped(const struct setup_opts *o)
{
	_cleanup_free_ char *path = under_root(o, "/proc/interrupts");
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	char line[1024];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " IR-"))
			return 1;
	return 0;
}

void mkinitcpio_hooks_read(struct engine *e, struct install_facts *f)
{
	static const char path[] = "/etc/mkinitcpio.conf";
	const struct mf_file *mf = e->have_old ? manifest_find(&e->old, path) : NULL;
	_cleanup_free_ char *backup = state_path("/orig", path), *text = NULL, *edited = NULL, *err = NULL;
	unsigned line;

	if (!e->f.initramfs || !streq(e->f.initramfs, "mkinitcpio"))
		return;
	/* As it was before the first install: what the edits start from. A missing or unreadable
	 * file is for the install to report. */
	if (!(mf && *mf->orig && read_file_beneath(e->root_fd, backup, &text, NULL, NULL) >= 0) &&
	    read_file_beneath(e->root_fd, path, &text, NULL, NULL) < 0)
		return;
	if (edit_mkinitcpio_hooks(text, &edited, &line, &err) < 0)
		f->hooks_error = line ? xasprintf("%s:%u: %s", path, line, err)
				      : xasprintf("%s: %s", path, err);
	else
		f->hooks_lack_modconf = !streq(text, edited);
}
