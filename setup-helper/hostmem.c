// SPDX-License-Identifier: GPL-2.0-or-later
/* Install's runtime powers beyond boot-time binding: huge page pools the group may grow, skipped
 * functions held on no driver, the boot-time VFIO open, and what the platform's interrupts need. */
#include <ctype.h>
#include <errno.h>
#include "fsutil.h"
#include "edit.h"
#include "hostmem.h"

#ifndef SETUP_BINDIR
#define SETUP_BINDIR "/usr/local/bin"
#endif

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
	if (p->initramfs && streq(p->initramfs, "mkinitcpio") && f->host->mkinitcpio_no_modconf &&
	    !install_plan_has_target(p, "/etc/mkinitcpio.conf"))
		install_plan_add_target(p, "/etc/mkinitcpio.conf", TGT_MKINITCPIO_HOOKS);
}

int edit_mkinitcpio_hooks(const char *in, char **ret, char **ret_error)
{
	static const char *const after[] = { "microcode", "autodetect", "systemd", "udev", "base" };
	const char *line = NULL, *open, *close, *end;
	struct strv words = { 0 };
	size_t at = 0;
	_cleanup_free_ char *list = NULL;

	for (const char *l = in; l;) {
		const char *t = l + strspn(l, " \t"), *nl = strchr(l, '\n');
		if (startswith(t, "HOOKS="))
			line = t;
		l = nl ? nl + 1 : NULL;
	}
	if (!line) {
		*ret_error = xstrdup("HOOKS=: not set; mkinitcpio needs it (hint: restore the "
				     "file from the mkinitcpio package)");
		return -EINVAL;
	}
	end = strchrnul(line, '\n');
	open = line + strlen("HOOKS=");
	close = memchr(open, ')', (size_t)(end - open));
	if (*open != '(' || !close) {
		*ret_error = xasprintf("HOOKS=: expected an array '(...)' on one line, got '%.*s'",
				       (int)(end - line), line);
		return -EINVAL;
	}
	for (const char *w = open + 1; w < close;) {
		size_t n;
		w += strspn(w, " \t");
		n = strcspn(w, " \t)");
		if (n)
			strv_push_take(&words, xstrndup(w, n));
		w += n;
	}
	if (strv_contains(&words, "modconf")) {
		strv_clear(&words);
		*ret = xstrdup(in);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(after) && !at; i++)
		for (size_t j = 0; j < words.n; j++)
			if (streq(words.v[j], after[i]))
				at = j + 1;
	strv_push(&words, ""); /* room to shift into */
	for (size_t j = words.n - 1; j > at; j--) {
		char *t = words.v[j];
		words.v[j] = words.v[j - 1];
		words.v[j - 1] = t;
	}
	free(words.v[at]);
	words.v[at] = xstrdup("modconf");
	list = join_words(&words, " ");
	*ret = xasprintf("%.*s(%s)%s", (int)(open - in), in, list, close + 1);
	strv_clear(&words);
	return 0;
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

bool mkinitcpio_lacks_modconf(const struct setup_opts *o)
{
	_cleanup_free_ char *path = under_root(o, "/etc/mkinitcpio.conf"), *text = NULL, *edited = NULL,
			    *err = NULL;
	size_t len;

	if (read_file_full(path, &text, &len) < 0 || edit_mkinitcpio_hooks(text, &edited, &err) < 0)
		return false;
	return !streq(text, edited);
}
