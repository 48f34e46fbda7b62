// SPDX-License-Identifier: GPL-2.0-or-later
/* Turns install's options and the facts read before into the files to write, validating
 * everything, without reading or writing anything itself. */
#include <errno.h>
#include <stdarg.h>
#include "edit.h"
#include "hostmem.h"
#include "install-plan.h"
#include "template.h"

#define GIB (1024ull * 1024 * 1024)

static void add_error(struct strv *errors, const char *fmt, ...) _printf_(2, 3);
static void add_error(struct strv *errors, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strv_push_take(errors, xvasprintf(fmt, ap));
	va_end(ap);
}

static int render(const struct install_facts *f, const char *name, const struct tmpl_vars *v, char **ret,
		  struct strv *errors)
{
	const struct tmpl_file *t = install_facts_template(f, name);
	_cleanup_free_ char *err = NULL;
	int r;

	if (!t || !t->text) {
		add_error(errors, "%s", t && t->error ? t->error : "template missing");
		return -ENOENT;
	}
	r = tmpl_render(t->text, v, ret, &err);
	if (r < 0)
		add_error(errors, "template '%s': %s", t->path ? t->path : t->name, err);
	return r;
}

static struct target *add_target(struct setup_plan *p, const char *path, enum target_kind kind)
{
	struct target *t;

	if (p->n_targets == p->n_alloc) {
		p->n_alloc = p->n_alloc ? p->n_alloc * 2 : 16;
		p->targets = xrealloc(p->targets, p->n_alloc * sizeof(*p->targets));
	}
	t = &p->targets[p->n_targets++];
	*t = (struct target){ .path = xstrdup(path), .kind = kind };
	return t;
}

struct target *install_plan_add_target(struct setup_plan *p, const char *path, enum target_kind kind)
{
	return add_target(p, path, kind);
}

bool install_plan_has_target(const struct setup_plan *p, const char *path)
{
	for (size_t i = 0; i < p->n_targets; i++)
		if (streq(p->targets[i].path, path))
			return true;
	return false;
}

static void push_unique(struct strv *s, const char *v)
{
	if (!strv_contains(s, v))
		strv_push(s, v);
}

/* What the plan collects on its way: template variables and what was seen already. */
struct inputs {
	const struct install_facts *f;
	uint64_t max_memory;
	struct tmpl_vars vars;
	struct strv seen_usb, seen_links;
	struct strv devices; /* PCI functions selected by address, "0000:01:00.0" */
};

/* The PCI devices, when they could be read. */
static const struct pci_host *pci_of(const struct inputs *in)
{
	return in->f->pci_read && in->f->pci_error >= 0 ? &in->f->pci : NULL;
}

static void add_id(struct setup_plan *p, uint16_t vendor, uint16_t device)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%04x:%04x", vendor, device);
	push_unique(&p->ids, buf);
}

static void unhold(struct setup_plan *p, const char *bdf)
{
	for (size_t i = 0; i < p->held.n; i++)
		if (streq(p->held.v[i], bdf)) {
			free(p->held.v[i]);
			memmove(&p->held.v[i], &p->held.v[i + 1], (p->held.n - i) * sizeof(char *));
			p->held.n--;
			return;
		}
}

/* --device BDF (or a profile's host =): the card (pci_addr_in_card), after checking that its
 * IOMMU group holds nothing else but bridges. A @handover device gets no ID: it stays on its
 * host driver at boot, and its unit moves it when a VM starts. */
static void select_device(struct inputs *in, struct setup_plan *p, const struct pci_addr *a, uint8_t skip,
			  const char *what, bool handover, struct strv *errors)
{
	const struct pci_host *pci = pci_of(in);
	const struct pci_dev_info *d;
	char buf[32];

	pci_addr_fmt(a, buf, sizeof(buf));
	if (!pci) {
		add_error(errors, "%s: cannot read the PCI devices: %s", what,
			  strerror(in->f->pci_read ? -in->f->pci_error : ENOENT));
		return;
	}
	d = pci_host_find(pci, a);
	if (!d) {
		add_error(errors, "%s: no PCI device %s (hint: vfio-setup scan)", what, buf);
		return;
	}
	if (d->is_bridge) {
		add_error(errors, "%s: %s is a bridge; pass the device behind it", what, buf);
		return;
	}
	if (handover)
		push_unique(&p->handover, buf);
	for (size_t i = 0; i < pci->n; i++) {
		const struct pci_dev_info *x = &pci->dev[i];
		char xb[32];

		pci_addr_fmt(&x->addr, xb, sizeof(xb));
		if (pci_addr_in_card(&d->addr, &x->addr) && !x->is_bridge) {
			if (handover)
				continue; /* its unit moves the whole group when a VM starts */
			if (skip & (1u << x->addr.func)) {
				if (!strv_contains(&in->devices, xb))
					push_unique(&p->held, xb);
				continue;
			}
			/* --device asks for the whole card on vfio-pci: that wins over a profile
			 * that skips one of its functions, which the hold rule would keep off it. */
			unhold(p, xb);
			add_id(p, x->vendor, x->device);
			push_unique(&in->devices, xb);
		} else if (d->iommu_group >= 0 && x->iommu_group == d->iommu_group && !x->is_bridge)
			add_error(errors,
				  "%s: IOMMU group %d also holds %s [%04x:%04x], which is not part of "
				  "%s: the group cannot be passed alone (hint: use a slot in its "
				  "own group; see vfio-setup scan)",
				  what, d->iommu_group, xb, x->vendor, x->device, buf);
	}
}

/* Block devices by a stable udev property, never by a kernel name that can change. */
static void add_block(struct inputs *in, const char *path, const char *what, struct strv *errors)
{
	static const char *const bus[] = { "ata-", "nvme-", "scsi-", "usb-" };
	const char *name;
	struct strv *it;

	if (!startswith(path, "/dev/"))
		return; /* an image file: ordinary file permissions */
	if (startswith(path, "/dev/disk/by-partuuid/")) {
		name = path + strlen("/dev/disk/by-partuuid/");
		if (valid_udev_value(name) < 0 || strchr(name, '/'))
			goto bad;
		strv_pushf(tmpl_add_item(&in->vars, "block_partuuid"), "VALUE=%s", name);
		return;
	}
	if (startswith(path, "/dev/disk/by-uuid/")) {
		name = path + strlen("/dev/disk/by-uuid/");
		if (valid_udev_value(name) < 0 || strchr(name, '/'))
			goto bad;
		strv_pushf(tmpl_add_item(&in->vars, "block_fsuuid"), "VALUE=%s", name);
		return;
	}
	if (startswith(path, "/dev/disk/by-id/")) {
		name = path + strlen("/dev/disk/by-id/");
		if (valid_udev_value(name) < 0 || strchr(name, '/'))
			goto bad;
		for (size_t i = 0; i < ARRAY_SIZE(bus); i++) {
			const char *serial = name + strlen(bus[i]), *part;

			if (!startswith(name, bus[i]) || !*serial)
				continue;
			/* 60-persistent-storage.rules names them BUS-$env{ID_SERIAL}[-partN]. */
			part = strstr(serial, "-part");
			if (part && part[5] && strspn(part + 5, "0123456789") == strlen(part + 5)) {
				it = tmpl_add_item(&in->vars, "block_serial_part");
				strv_pushf(it, "SERIAL=%.*s", (int)(part - serial), serial);
				strv_pushf(it, "PART=%s", part + 5);
			} else
				strv_pushf(tmpl_add_item(&in->vars, "block_serial_disk"), "SERIAL=%s",
					   serial);
			return;
		}
		strv_pushf(tmpl_add_item(&in->vars, "block_link"), "LINK=disk/by-id/%s", name);
		return;
	}
bad:
	add_error(errors,
		  "%s: '%s' is not a stable name for a block device (hint: use "
		  "/dev/disk/by-id/…, /dev/disk/by-partuuid/… or /dev/disk/by-uuid/…)",
		  what, path);
}

static void add_input(struct inputs *in, const char *path, const char *what, struct strv *errors)
{
	const char *link;

	if (startswith(path, "/dev/input/by-id/") || startswith(path, "/dev/input/by-path/")) {
		link = path + strlen("/dev/");
		if (valid_udev_value(link) == 0 && !strstr(link, "..")) {
			if (!strv_contains(&in->seen_links, link)) {
				strv_push(&in->seen_links, link);
				strv_pushf(tmpl_add_item(&in->vars, "input"), "LINK=%s", link);
			}
			return;
		}
	}
	add_error(errors,
		  "%s: '%s' is not a stable input device name (hint: use "
		  "/dev/input/by-id/…-event-kbd)",
		  what, path);
}

static void add_usb(struct inputs *in, const struct usb_entry *u)
{
	char key[48];

	if (u->by_port)
		snprintf(key, sizeof(key), "%u-%s", u->bus, u->port);
	else
		snprintf(key, sizeof(key), "%04x:%04x", u->id.vendor, u->id.device);
	if (strv_contains(&in->seen_usb, key))
		return;
	strv_push(&in->seen_usb, key);
	if (u->by_port) {
		if (valid_udev_value(key) == 0)
			strv_pushf(tmpl_add_item(&in->vars, "usbport"), "PORT=%s", key);
	} else {
		struct strv *it = tmpl_add_item(&in->vars, "usb");
		strv_pushf(it, "VENDOR=%04x", u->id.vendor);
		strv_pushf(it, "PRODUCT=%04x", u->id.device);
	}
}

static void use_profile(struct inputs *in, struct setup_plan *p, const struct profile_facts *pf,
			struct strv *errors)
{
	const struct profile *prof = &pf->prof;

	if (pf->r < 0) {
		if (pf->errors.n)
			for (size_t i = 0; i < pf->errors.n; i++)
				strv_push(errors, pf->errors.v[i]);
		else
			add_error(errors, "%s: %s", pf->path, strerror(-pf->r));
		return;
	}
	if (prof->memory > in->max_memory)
		in->max_memory = prof->memory;
	if (prof->hugepages != HUGE_OFF)
		p->huge_on_demand = true;
	for (unsigned i = 0; i < prof->n_pci; i++) {
		const struct pci_section *s = &prof->pci[i];
		_cleanup_free_ char *what = xasprintf("%s:%u: [pci %s]", prof->path, s->loc.line, s->name);
		if (s->has_host)
			select_device(in, p, &s->host, s->skip_functions, what, s->handover, errors);
		else if (s->has_ids)
			add_id(p, s->ids.vendor, s->ids.device);
	}
	for (unsigned i = 0; i < prof->n_usb; i++)
		add_usb(in, &prof->usb[i]);
	for (unsigned i = 0; i < prof->n_evdev; i++)
		add_input(in, prof->evdev[i].path, prof->evdev[i].keyboard ? "keyboard" : "mouse", errors);
	for (unsigned i = 0; i < prof->n_disk; i++) {
		_cleanup_free_ char *what = xasprintf("%s:%u: [disk %s] path", prof->path,
						      prof->disk[i].path_loc.line, prof->disk[i].name);
		add_block(in, prof->disk[i].path, what, errors);
	}
}

static int parse_hugepages(const char *s, uint64_t *ret_count, uint64_t *ret_size)
{
	const char *x = strchr(s, 'x');
	size_t skip = 1;
	_cleanup_free_ char *count = NULL;

	if (!x) {
		x = strstr(s, "\xc3\x97"); /* × */
		skip = 2;
	}
	if (!x)
		return -EINVAL;
	count = xstrndup(s, (size_t)(x - s));
	if (parse_u64(count, 10, ret_count) < 0 || *ret_count == 0 || *ret_count > 1u << 20)
		return -EINVAL;
	if (streq(x + skip, "1G"))
		*ret_size = GIB;
	else if (streq(x + skip, "2M"))
		*ret_size = 2u * 1024 * 1024;
	else
		return -EINVAL;
	return 0;
}

/* Drivers vfio-pci must load before: those the devices are bound to now (their modules), and
 * from the class and vendor of each ID the usual ones, for cards not yet bound to anything. */
static void add_softdeps(struct inputs *in, struct setup_plan *p)
{
	const struct pci_host *pci = p->ids.n ? pci_of(in) : NULL;
	bool nvidia = false, amd = false, audio = false;

	for (size_t i = 0; i < p->ids.n; i++) {
		struct pci_id id;
		const struct pci_dev_info *d = NULL;

		if (parse_pci_id(p->ids.v[i], &id) < 0)
			continue;
		if (pci)
			d = pci_host_find_id(pci, &id);
		if (d && (d->class >> 8) == 0x0403) {
			audio = true;
			continue;
		}
		if (d && !pci_class_is_gpu(d->class))
			continue;
		nvidia |= id.vendor == 0x10de;
		amd |= id.vendor == 0x1002;
	}
	if (amd)
		strv_push(&p->softdeps, "amdgpu");
	if (nvidia) {
		strv_push(&p->softdeps, "nouveau");
		strv_push(&p->softdeps, "nvidia");
	}
	if (amd)
		strv_push(&p->softdeps, "radeon");
	if (audio)
		strv_push(&p->softdeps, "snd_hda_intel");
	for (size_t i = 0; pci && i < pci->n; i++) {
		const struct pci_dev_info *d = &pci->dev[i];
		char id[16];
		const char *mod;

		snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->device);
		if (!d->driver || streq(d->driver, "vfio-pci") || !strv_contains(&p->ids, id))
			continue;
		mod = install_facts_module(in->f, d->driver);
		if (mod && !strv_contains(&p->softdeps, mod))
			strv_push(&p->softdeps, mod);
	}
}

/* IDs vfio-pci would take that also belong to devices staying with the host. */
static void check_id_collisions(struct inputs *in, struct setup_plan *p, struct strv *errors)
{
	const struct pci_host *pci = pci_of(in);

	if (!pci || in->devices.n == 0)
		return;
	for (size_t i = 0; i < pci->n; i++) {
		const struct pci_dev_info *d = &pci->dev[i];
		char id[16], b[32];

		snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->device);
		pci_addr_fmt(&d->addr, b, sizeof(b));
		if (strv_contains(&p->ids, id) && !strv_contains(&in->devices, b))
			add_error(errors,
				  "ids=%s would also take %s away from the host: both have the same "
				  "vendor:device ID",
				  id, b);
	}
}

/* [pci] handover = on: the template unit that moves a device to vfio-pci and back, and the
 * polkit rule letting the group start and stop exactly its instances. */
static void handover_targets(struct inputs *in, struct setup_plan *p, struct strv *errors)
{
	struct target *t;

	for (size_t i = 0; i < p->handover.n; i++)
		strv_pushf(tmpl_add_item(&in->vars, "handover"), "BDF=%s", p->handover.v[i]);
	/* Not systemd's search path for programs, which a make install PREFIX=/opt/x is not on. */
	tmpl_set(&in->vars, "BINDIR", SETUP_BINDIR);
	t = add_target(p, "/etc/systemd/system/qemu-vm-handover@.service", TGT_TEMPLATE);
	render(in->f, "systemd/qemu-vm-handover@.service.in", &in->vars, &t->content, errors);
	t = add_target(p, "/etc/polkit-1/rules.d/50-qemu-vm-handover.rules", TGT_TEMPLATE);
	render(in->f, "polkit/50-qemu-vm-handover.rules.in", &in->vars, &t->content, errors);
}

static void install_plan_targets(const struct setup_opts *o, struct inputs *in, struct setup_plan *p,
				 struct strv *errors)
{
	const struct setup_facts *f = in->f->host;
	char num[64], human[32];
	_cleanup_free_ char *ids = NULL, *mods = NULL;
	struct target *t;

	if (!in->f->templates_dir) {
		add_error(errors, "templates not found next to the program nor in " TEMPLATES_DATADIR
				  " (hint: --templates DIR, or make install)");
		return;
	}

	tmpl_set(&in->vars, "GROUP", p->group);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)((p->memlock + 1023) / 1024));
	tmpl_set(&in->vars, "MEMLOCK_KIB", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)p->memlock);
	tmpl_set(&in->vars, "MEMLOCK_BYTES", num);
	format_size(p->memlock, human, sizeof(human));
	tmpl_set(&in->vars, "MEMLOCK_HUMAN", human);

	t = add_target(p, "/etc/udev/rules.d/65-qemu-vm.rules", TGT_TEMPLATE);
	render(in->f, "udev/65-qemu-vm.rules.in", &in->vars, &t->content, errors);
	t = add_target(p, "/etc/security/limits.d/95-qemu-vm-memlock.conf", TGT_TEMPLATE);
	render(in->f, "limits/95-qemu-vm-memlock.conf.in", &in->vars, &t->content, errors);
	t = add_target(p, "/etc/systemd/system/user@.service.d/50-qemu-vm-memlock.conf", TGT_TEMPLATE);
	render(in->f, "limits/user@.service.d-memlock.conf.in", &in->vars, &t->content, errors);

	if (p->huge_count && p->huge_size != GIB) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)p->huge_count);
		tmpl_set(&in->vars, "COUNT", num);
		t = add_target(p, "/etc/sysctl.d/60-qemu-vm-hugepages.conf", TGT_TEMPLATE);
		render(in->f, "limits/60-qemu-vm-hugepages.conf.in", &in->vars, &t->content, errors);
	}

	if (p->ids.n) {
		ids = join_words(&p->ids, ",");
		tmpl_set(&in->vars, "IDS", ids);
		for (size_t i = 0; i < p->softdeps.n; i++)
			strv_pushf(tmpl_add_item(&in->vars, "softdep"), "MODULE=%s", p->softdeps.v[i]);
		t = add_target(p, "/etc/modprobe.d/qemu-vm-vfio.conf", TGT_TEMPLATE);
		render(in->f, "modprobe/qemu-vm-vfio.conf.in", &in->vars, &t->content, errors);
	}
	if (p->handover.n)
		handover_targets(in, p, errors);
	if (!o->no_ignore_msrs) {
		t = add_target(p, "/etc/modprobe.d/qemu-vm-kvm.conf", TGT_TEMPLATE);
		render(in->f, "modprobe/qemu-vm-kvm.conf.in", &in->vars, &t->content, errors);
	}

	/* Early load only matters when vfio-pci has devices to claim. */
	if (p->ids.n) {
		if (f->initramfs_error)
			add_error(errors, "%s", f->initramfs_error);
		else if (!f->initramfs)
			strv_push(&p->notes, "no initramfs generator found: vfio-pci loads from "
					     "modprobe.d only, after the initramfs, ignoring");
		else {
			mods = join_words(&p->modules, " ");
			tmpl_set(&in->vars, "MODULES", mods);
			p->initramfs = f->initramfs;
			if (streq(f->initramfs, "mkinitcpio") && f->mkinitcpio_dropin) {
				t = add_target(p, "/etc/mkinitcpio.conf.d/qemu-vm-vfio.conf", TGT_TEMPLATE);
				render(in->f, "modprobe/mkinitcpio-vfio.conf.in", &in->vars, &t->content,
				       errors);
			} else if (streq(f->initramfs, "mkinitcpio"))
				add_target(p, "/etc/mkinitcpio.conf", TGT_MKINITCPIO);
			else if (streq(f->initramfs, "dracut")) {
				t = add_target(p, "/etc/dracut.conf.d/qemu-vm-vfio.conf", TGT_TEMPLATE);
				render(in->f, "modprobe/dracut-vfio.conf.in", &in->vars, &t->content, errors);
			} else if (streq(f->initramfs, "initramfs-tools"))
				add_target(p, "/etc/initramfs-tools/modules", TGT_MODLINES);
			else if (streq(f->initramfs, "booster"))
				add_target(p, "/etc/booster.yaml", TGT_BOOSTER);
		}
	}

	if (o->no_cmdline || !p->params.n)
		return;
	if (!f->bootloader) {
		_cleanup_free_ char *words = join_words(&p->params, " ");
		strv_pushf(&p->notes,
			   "no boot loader found (GRUB, systemd-boot): add '%s' to the kernel "
			   "command line by hand, ignoring",
			   words);
		return;
	}
	p->bootloader = f->bootloader;
	if (streq(f->bootloader, "grub")) {
		if (f->grub_dropin)
			add_target(p, "/etc/default/grub.d/99-qemu-vm.cfg", TGT_GRUB_DROPIN);
		else
			add_target(p, "/etc/default/grub", TGT_GRUB);
		p->grub_mkconfig = f->grub_mkconfig ? xstrdup(f->grub_mkconfig) : NULL;
	} else if (streq(f->bootloader, "kernel-install"))
		add_target(p, "/etc/kernel/cmdline", TGT_KCMDLINE);
	else
		for (size_t i = 0; i < f->loader_entries.n; i++)
			add_target(p, f->loader_entries.v[i], TGT_LOADER);
}

int install_plan_build(const struct install_facts *facts, const struct setup_opts *o, struct setup_plan *ret,
		       struct strv *errors)
{
	const struct setup_facts *f = facts->host;
	struct setup_plan p = { 0 };
	struct inputs in = { .f = facts };
	size_t nerr = errors->n;

	p.group = xstrdup(o->group ? o->group : SETUP_DEFAULT_GROUP);
	if (valid_user_name(p.group) < 0)
		add_error(errors, "--group: '%s' is not a valid group name", p.group);

	for (size_t i = 0; i < o->users.n; i++) {
		const char *u = o->users.v[i];
		int r;

		if (valid_user_name(u) < 0) {
			add_error(errors, "--user: '%s' is not a valid user name", u);
			continue;
		}
		r = facts->users[i];
		if (r == 0)
			add_error(errors, "--user: no user '%s' (hint: create it first)", u);
		else if (r < 0)
			strv_pushf(&p.notes, "no user database under the root: '%s' not checked", u);
		push_unique(&p.users, u);
	}

	for (size_t i = 0; i < facts->n_profiles; i++)
		use_profile(&in, &p, &facts->profiles[i], errors);

	for (size_t i = 0; i < o->devices.n; i++) {
		struct pci_addr a;
		_cleanup_free_ char *what = xasprintf("--device %s", o->devices.v[i]);

		if (parse_pci_addr(o->devices.v[i], &a) < 0)
			add_error(errors, "--device: expected a PCI address like 01:00.0, got '%s'",
				  o->devices.v[i]);
		else
			select_device(&in, &p, &a, 0, what, false, errors);
	}
	for (size_t i = 0; i < o->ids.n; i++) {
		_cleanup_free_ char *list = xstrdup(o->ids.v[i]);
		char *save = NULL;

		for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
			struct pci_id id;
			if (parse_pci_id(w, &id) < 0)
				add_error(errors, "--ids: expected VENDOR:DEVICE like 10de:1b81, got '%s'",
					  w);
			else
				add_id(&p, id.vendor, id.device);
		}
	}
	if (p.ids.n > SETUP_MAX_ITEMS)
		add_error(errors, "too many PCI IDs (at most %d)", SETUP_MAX_ITEMS);
	check_id_collisions(&in, &p, errors);
	add_softdeps(&in, &p);

	if (!o->memlock || streq(o->memlock, "auto")) {
		if (in.max_memory)
			p.memlock = in.max_memory + GIB;
		else if (f->mem_total)
			p.memlock = (f->mem_total + GIB - 1) / GIB * GIB;
		else
			add_error(errors, "--memlock auto: no profile and no /proc/meminfo to size "
					  "it from (hint: --memlock 17G)");
	} else if (parse_size(o->memlock, &p.memlock) < 0 || p.memlock < 64u * 1024 * 1024)
		add_error(errors, "--memlock: expected a size like 17G or auto, got '%s'", o->memlock);

	if (o->hugepages && parse_hugepages(o->hugepages, &p.huge_count, &p.huge_size) < 0)
		add_error(errors,
			  "--hugepages: expected COUNTxSIZE with SIZE 2M or 1G, like 16x1G, "
			  "got '%s'",
			  o->hugepages);
	if (p.huge_size == GIB && o->no_cmdline)
		add_error(errors,
			  "--hugepages %s: 1G pages are reserved on the kernel command "
			  "line, which --no-cmdline leaves alone",
			  o->hugepages);

	if (f->cpu == CPU_INTEL)
		strv_push(&p.params, "intel_iommu=on");
	else if (f->cpu == CPU_UNKNOWN)
		strv_push(&p.notes, "CPU vendor unknown: add intel_iommu=on yourself on Intel");
	strv_push(&p.params, "iommu=pt");
	if (o->cmdline_ids && p.ids.n) {
		_cleanup_free_ char *ids = join_words(&p.ids, ",");
		strv_pushf(&p.params, "vfio-pci.ids=%s", ids);
	}
	if (p.huge_size == GIB) {
		strv_push(&p.params, "default_hugepagesz=1G");
		strv_push(&p.params, "hugepagesz=1G");
		strv_pushf(&p.params, "hugepages=%llu", (unsigned long long)p.huge_count);
	}
	for (size_t i = 0; i < p.params.n; i++)
		if (valid_module_or_param(p.params.v[i]) < 0)
			add_error(errors, "internal: bad kernel parameter '%s'", p.params.v[i]);

	strv_push(&p.modules, "vfio_pci");
	strv_push(&p.modules, "vfio");
	strv_push(&p.modules, "vfio_iommu_type1");
	/* Never vfio_virqfd, whatever the running kernel: the generators build an image for every
	 * installed kernel, and since Linux 6.2 it is part of vfio.ko, so naming it fails the build
	 * (dracut: "Failed to find module"). Before 6.2 vfio-pci calls vfio_virqfd_enable(), so
	 * the generators, which follow module dependencies, take it in with vfio_pci anyway. */

	p.huge_on_demand |= o->hugepages_on_demand;
	if (errors->n == nerr)
		install_plan_targets(o, &in, &p, errors);
	if (errors->n == nerr && in.f->templates_dir)
		hostmem_targets(o, facts, &p, errors);

	tmpl_vars_free(&in.vars);
	strv_clear(&in.seen_usb);
	strv_clear(&in.seen_links);
	strv_clear(&in.devices);
	if (errors->n != nerr) {
		install_plan_free(&p);
		return -EINVAL;
	}
	*ret = p;
	return 0;
}

void install_plan_free(struct setup_plan *p)
{
	free(p->group);
	strv_clear(&p->users);
	strv_clear(&p->ids);
	strv_clear(&p->softdeps);
	strv_clear(&p->handover);
	strv_clear(&p->params);
	strv_clear(&p->modules);
	strv_clear(&p->notes);
	strv_clear(&p->held);
	free(p->grub_mkconfig);
	for (size_t i = 0; i < p->n_targets; i++) {
		free(p->targets[i].path);
		free(p->targets[i].content);
	}
	free(p->targets);
	*p = (struct setup_plan){ 0 };
}

/* The running kernel's command line without what the boot loader adds itself. */
static char *base_cmdline(const struct setup_facts *f)
{
	struct strv keep = { 0 };
	char *s = xstrdup("");
	_cleanup_free_ char *copy = xstrdup(f->proc_cmdline ? f->proc_cmdline : "");
	char *save = NULL;

	for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (startswith(w, "BOOT_IMAGE=") || startswith(w, "initrd="))
			continue;
		char *n = xasprintf("%s%s%s", s, *s ? " " : "", w);
		free(s);
		s = n;
	}
	strv_clear(&keep);
	return s;
}

int install_plan_content(const struct target *t, const struct setup_plan *p, const struct setup_facts *f,
			 const char *orig, char **ret, char **ret_error)
{
	switch (t->kind) {
	case TGT_TEMPLATE:
		*ret = xstrdup(t->content);
		return 0;
	case TGT_MKINITCPIO:
		if (!orig) {
			*ret_error = xstrdup("missing; mkinitcpio needs it");
			return -ENOENT;
		}
		{
			_cleanup_free_ char *mods = NULL;
			int r = edit_mkinitcpio(orig, &p->modules, &mods, ret_error);

			if (r < 0 || !p->add_modconf) {
				if (r >= 0)
					*ret = TAKE_PTR(mods);
				return r;
			}
			return edit_mkinitcpio_hooks(mods, ret, NULL, ret_error);
		}
	case TGT_MKINITCPIO_HOOKS:
		if (!orig) {
			*ret_error = xstrdup("missing; mkinitcpio needs it");
			return -ENOENT;
		}
		return edit_mkinitcpio_hooks(orig, ret, NULL, ret_error);
	case TGT_GRUB:
		return edit_grub_default(orig ? orig : "", &p->params, ret, ret_error);
	case TGT_GRUB_DROPIN: {
		/* Read after /etc/default/grub and the other drop-ins (name order): it adds to what
		 * they set, and takes nothing away. */
		_cleanup_free_ char *words = join_words(&p->params, " ");
		*ret = xasprintf("# Installed by vfio-setup; 'vfio-setup uninstall' removes it.\n"
				 "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT %s\"\n",
				 words);
		return 0;
	}
	case TGT_KCMDLINE:
		if (!orig) {
			_cleanup_free_ char *base = base_cmdline(f);
			if (!f->proc_cmdline) {
				*ret_error = xstrdup("missing, and no running kernel command line to "
						     "start it from");
				return -ENOENT;
			}
			return edit_kernel_cmdline(base, &p->params, ret, ret_error);
		}
		return edit_kernel_cmdline(orig, &p->params, ret, ret_error);
	case TGT_LOADER:
		return edit_loader_entry(orig ? orig : "", &p->params, ret, ret_error);
	case TGT_MODLINES:
		return edit_module_lines(orig ? orig : "", &p->modules, ret, ret_error);
	case TGT_BOOSTER:
		return edit_booster(orig ? orig : "", &p->modules, ret, ret_error);
	}
	return -EINVAL;
}
