// SPDX-License-Identifier: GPL-2.0-or-later
/* The plan for emulated and host devices: display, disks, network, Looking Glass, audio, USB,
 * input, ACPI tables and fw_cfg files, with their checks. */
#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include "plan-build.h"
#include "profile-schema.h"

static bool passes_gpu(const struct builder *b)
{
	for (unsigned si = 0; si < b->p->n_pci; si++) {
		const struct pci_dev_info *d = plan_section_device(b, &b->p->pci[si]);
		if (d && pci_class_is_gpu(d->class))
			return true;
	}
	return false;
}

bool plan_has_display(const struct profile *p, const struct vm_facts *f)
{
	const struct builder b = { .p = p, .f = f };

	if (p->lg || passes_gpu(&b))
		return true;
	return p->display != DISPLAY_NONE && !(p->display == DISPLAY_AUTO && p->console == CONSOLE_STDIO);
}

/* Whether QEMU can open the window of -display @d: a desktop session, and QEMU built with it. */
static void check_display(struct builder *b, enum display d)
{
	const struct vm_facts *f = b->f;
	const char *name = schema_enum_name(&schema_display, d);
	const char *picked = b->p->display == DISPLAY_AUTO ? " (display = auto picks it with no GPU passed)"
							   : "";

	if (!f->gui_session)
		plan_check(
			b, CHECK_FAIL,
			"display = none in [vm] (with a GPU passed or console = stdio), or run from the desktop session",
			"display: -display %s%s opens a window, and neither DISPLAY nor WAYLAND_DISPLAY is set",
			name, picked);
	if (f->qemu_has_display == 0)
		plan_check(b, CHECK_FAIL, "sudo apt-get install qemu-system-gui  (or display = none in [vm])",
			   "display: %s has no %s display%s (-display help)", f->qemu_path, name, picked);
	else if (f->qemu_has_display == 1)
		plan_check(b, CHECK_OK, NULL, "display: QEMU has the %s display", name);
	else if (f->qemu_path && f->no_run)
		plan_check(b, CHECK_WARN, NULL, "display: whether %s has the %s display was not probed: %s",
			   f->qemu_path, name, f->no_run);
	else if (f->qemu_path)
		plan_check(b, CHECK_WARN, NULL,
			   "display: could not learn whether %s has the %s display (-display help: %s)",
			   f->qemu_path, name, strerror(-f->qemu_has_display));
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
	/* x-vga=on makes the passed GPU the legacy VGA device: an emulated one would clash. SPICE
	 * beside a passed GPU carries input and clipboard (Looking Glass): no emulated video. */
	if (d != DISPLAY_NONE && !primary && !(d == DISPLAY_SPICE && passes_gpu(b))) {
		plan_arg(b, "-device");
		plan_arg(b, p->maintenance ? "virtio-vga,id=vga0" : "VGA,id=vga0");
	}
	if (d == DISPLAY_SPICE)
		plan_spice(b);
	else {
		plan_arg(b, "-display");
		plan_arg(b, schema_enum_name(&schema_display, d));
	}
	/* A tree read with --host-root is not where the VM would open its window. */
	if (d != DISPLAY_NONE && d != DISPLAY_SPICE && !b->f->foreign_root)
		check_display(b, d);
	if (p->console == CONSOLE_STDIO) {
		plan_arg(b, "-serial");
		plan_arg(b, "mon:stdio");
	}
}

static void plan_disks(struct builder *b)
{
	const struct profile *p = b->p;
	unsigned sata = 0;

	for (unsigned i = 0; i < p->n_disk; i++) {
		const struct disk_section *d = &p->disk[i];
		const struct host_file *hf = &b->f->disk[i];
		bool blk = hf->state != ACC_MISSING && S_ISBLK(hf->mode);
		struct qopt *o;
		const char *fmt, *aio = NULL;
		size_t len = strlen(d->path);

		if (d->format == FMT_QCOW2 ||
		    (d->format == FMT_AUTO && !blk && len > 6 && streq(d->path + len - 6, ".qcow2")))
			fmt = "qcow2";
		else
			fmt = "raw";
		if (d->aio == AIO_NATIVE ||
		    (d->aio == AIO_AUTO && blk && (d->cache == CACHE_NONE || d->cache == CACHE_DIRECTSYNC)))
			aio = schema_enum_name(&schema_diskaio, AIO_NATIVE);
		else if (d->aio != AIO_AUTO)
			aio = schema_enum_name(&schema_diskaio, d->aio);
		o = qopt_new(NULL);
		qopt_add(o, "file", d->path);
		qopt_add(o, "if", "none");
		qopt_addf(o, "id", "drive.%s", d->name);
		qopt_add(o, "format", fmt);
		qopt_add(o, "cache", schema_enum_name(&schema_diskcache, d->cache));
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
		if (d->bus == DISK_VIRTIO) {
			o = qopt_new("iothread");
			qopt_addf(o, "id", "io.%s", d->name);
			plan_arg(b, "-object");
			plan_arg_opt(b, o);
		}
		o = qopt_new(d->bus == DISK_VIRTIO ? "virtio-blk-pci"
			     : d->bus == DISK_NVME ? "nvme"
						   : "ide-hd");
		qopt_addf(o, "drive", "drive.%s", d->name);
		qopt_addf(o, "id", "disk.%s", d->name);
		switch (d->bus) {
		case DISK_VIRTIO:
			qopt_addf(o, "iothread", "io.%s", d->name);
			break;
		case DISK_NVME:
			qopt_addf(o, "serial", "qemu-vm-%s", d->name);
			break;
		case DISK_SATA:
			qopt_addf(o, "bus", "ide.%u", sata++);
			break;
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
			plan_check(b, CHECK_FAIL, fix, "%s:%u: %s: block device '%s': %s", d->path_loc.file,
				   d->path_loc.line, key, d->path, strerror(hf->err));
		} else if (hf->state == ACC_WRONG_TYPE || hf->state == ACC_OK)
			plan_check(b, CHECK_OK, NULL, "%s: '%s' is there", key, d->path);
		else if (hf->state == ACC_MISSING && !d->cdrom && !d->readonly &&
			 !startswith(d->path, "/dev/")) {
			/* A disk image not made yet: the command that makes one; the size is for the user. */
			_cleanup_free_ char *q = shell_quote(d->path);
			_cleanup_free_ char *fix = xasprintf(
				"qemu-img create -f %s %s 64G  (64G: a placeholder, give the size you want; or fix "
				"the path at %s:%u)",
				d->format == FMT_RAW ? "raw" : "qcow2", q, d->path_loc.file,
				d->path_loc.line);
			plan_check(b, CHECK_FAIL, fix, "%s:%u: %s: disk '%s': %s", d->path_loc.file,
				   d->path_loc.line, key, d->path, strerror(hf->err));
		} else
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

void plan_ivshmem(struct builder *b, const char *id, const char *path, uint64_t size)
{
	struct qopt *o = qopt_new("memory-backend-file");
	char sz[32];

	qopt_addf(o, "id", "%s-mem", id);
	qopt_add(o, "mem-path", path);
	qopt_add(o, "size", plan_size_str(size, sz, sizeof(sz)));
	qopt_flag(o, "share", true);
	plan_arg(b, "-object");
	plan_arg_opt(b, o);
	o = qopt_new("ivshmem-plain");
	qopt_add(o, "id", id);
	qopt_addf(o, "memdev", "%s-mem", id);
	plan_arg(b, "-device");
	plan_arg_opt(b, o);
}

void plan_check_shm_file(struct builder *b, const struct host_file *hf, const char *section, const char *path,
			 uint64_t size, const struct loc *loc)
{
	const struct profile *p = b->p;
	char want[32], have[32];

	plan_size_str(size, want, sizeof(want));
	switch (hf->state) {
	case ACC_MISSING:
		plan_check(b, CHECK_OK, NULL, "[%s]: %s will be created, %s", section, path, want);
		break;
	case ACC_DENIED: {
		_cleanup_free_ char *q = shell_quote(path);
		_cleanup_free_ char *fix = xasprintf("sudo chown %s %s", b->f->user, q);
		plan_check(b, CHECK_FAIL, fix, "[%s]: %s: %s (owner %u)", section, path, strerror(hf->err),
			   (unsigned)hf->uid);
		break;
	}
	case ACC_WRONG_TYPE: {
		_cleanup_free_ char *fix = xasprintf(
			"set path = at %s:%u to a file of its own, e.g. /dev/shm/%s-%s", loc->file, loc->line,
			section, p->name);
		plan_check(b, CHECK_FAIL, fix, "%s:%u: [%s] path: '%s' is not a regular file", loc->file,
			   loc->line, section, path);
		break;
	}
	case ACC_OK:
		/* QEMU grows an empty file, and takes a larger one as it is, but refuses one that is
		 * only smaller ("backing store size … does not match 'size' option", QEMU 7.2). */
		if (hf->size && hf->size < size) {
			_cleanup_free_ char *q = shell_quote(path);
			_cleanup_free_ char *fix = xasprintf("truncate -s %s %s", want, q);
			plan_check(b, CHECK_FAIL, fix, "[%s]: %s is %s, smaller than %s, and QEMU refuses it",
				   section, path, plan_size_str(hf->size, have, sizeof(have)), want);
		} else
			plan_check(b, CHECK_OK, NULL, "[%s]: %s writable, %s", section, path, want);
		break;
	}
}

static void plan_lg(struct builder *b)
{
	const struct profile *p = b->p;
	const struct host_file *lg = &b->f->lg;
	char size[32], have[32];

	if (!p->lg)
		return;
	plan_size_str(p->lg_size, size, sizeof(size));
	plan_ivshmem(b, "lg", p->lg_path, p->lg_size);
	if (!startswith(p->lg_path, "/dev/kvmfr")) {
		plan_check_shm_file(b, lg, "looking-glass", p->lg_path, p->lg_size, &p->lg_loc);
		return;
	}
	_cleanup_free_ char *fix = xasprintf("sudo modprobe kvmfr static_size_mb=%" PRIu64
					     " and sudo vfio-setup install --user %s",
					     p->lg_size >> 20, b->f->user);
	if (lg->state == ACC_WRONG_TYPE) {
		_cleanup_free_ char *q = shell_quote(p->lg_path);
		_cleanup_free_ char *stale = xasprintf(
			"sudo rm %s  (a stale file), then load kvmfr: sudo modprobe kvmfr static_size_mb=%" PRIu64,
			q, p->lg_size >> 20);
		plan_check(
			b, CHECK_FAIL, stale,
			"%s:%u: [looking-glass] path: '%s' is a regular file, not the kvmfr device (left over from a run without the module)",
			p->lg_loc.file, p->lg_loc.line, p->lg_path);
	} else if (lg->state != ACC_OK)
		plan_check(b, CHECK_FAIL, fix, "[looking-glass]: %s: %s", p->lg_path,
			   lg->state == ACC_MISSING ? "missing: the kvmfr module is not loaded"
						    : strerror(lg->err));
	else if (b->f->kvmfr_size && b->f->kvmfr_size < p->lg_size)
		plan_check(b, CHECK_FAIL, fix, "[looking-glass]: %s is %s, %s needed", p->lg_path,
			   plan_size_str(b->f->kvmfr_size, have, sizeof(have)), size);
	else
		plan_check(b, CHECK_OK, NULL, "[looking-glass]: %s usable, %s", p->lg_path, size);
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
	if (f->no_run && f->qemu_path && f->qemu_has_pipewire < 0 &&
	    (p->audio == AUDIO_AUTO || p->audio == AUDIO_PIPEWIRE))
		plan_check(b, CHECK_WARN, NULL,
			   "[audio]: whether %s has the pipewire driver was not probed: %s%s", f->qemu_path,
			   f->no_run, p->audio == AUDIO_AUTO ? " (auto: pulseaudio)" : "");
	if (be == AUDIO_PIPEWIRE) {
		plan_arg(b, "-audiodev");
		plan_arg(b, "pipewire,id=snd0");
		/* Debian 12's QEMU 7.2, for one, is built without it. */
		if (f->qemu_has_pipewire == 0)
			plan_check(b, CHECK_FAIL,
				   "backend = pulseaudio  (it works with PipeWire's pulse socket)",
				   "%s:%u: [audio] backend: %s has no pipewire audio driver (-audiodev help)",
				   p->audio_loc.file, p->audio_loc.line, f->qemu_path);
		else if (f->qemu_has_pipewire == 1)
			plan_check(b, CHECK_OK, NULL, "[audio]: QEMU has the pipewire driver");
		else if (f->qemu_path && !f->no_run)
			plan_check(
				b, CHECK_WARN, NULL,
				"[audio]: could not learn whether %s has the pipewire driver (-audiodev help: %s)",
				f->qemu_path, strerror(-f->qemu_has_pipewire));
		if (!f->audio_socket_path)
			plan_check(b, CHECK_FAIL,
				   "set XDG_RUNTIME_DIR to your login session's (/run/user/UID)",
				   "[audio]: no PipeWire socket: XDG_RUNTIME_DIR is not set");
		else if (f->audio_socket.state == ACC_OK)
			plan_check(b, CHECK_OK, NULL, "[audio]: PipeWire socket %s", f->audio_socket_path);
		else
			plan_check(b, CHECK_FAIL, "systemctl --user start pipewire.socket",
				   "[audio]: PipeWire socket %s: %s", f->audio_socket_path,
				   f->audio_socket.state == ACC_WRONG_TYPE ? "not a socket"
									   : strerror(f->audio_socket.err));
	} else {
		struct qopt *o = qopt_new("pa");
		bool tcp = p->audio_server && startswith(p->audio_server, "tcp:");

		qopt_add(o, "id", "snd0");
		if (tcp)
			qopt_add(o, "server", p->audio_server);
		else if (p->audio_server)
			qopt_addf(o, "server", "unix:%s", p->audio_server);
		else
			qopt_addf(o, "server", "unix:%s",
				  f->audio_socket_path ? f->audio_socket_path : "/run/user/0/pulse/native");
		plan_arg(b, "-audiodev");
		plan_arg_opt(b, o);
		if (tcp)
			plan_check(b, CHECK_OK, NULL,
				   "[audio]: Pulse server %s (over the network: not checked)",
				   p->audio_server);
		else if (!f->audio_socket_path)
			plan_check(b, CHECK_FAIL, "set XDG_RUNTIME_DIR, or server = /path/to/pulse/native",
				   "[audio]: no server socket: XDG_RUNTIME_DIR is not set");
		else if (f->audio_socket.state == ACC_OK)
			plan_check(b, CHECK_OK, NULL, "[audio]: Pulse socket %s", f->audio_socket_path);
		else
			plan_check(b, CHECK_FAIL,
				   "systemctl --user start pipewire-pulse.socket  (or pulseaudio.socket)",
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
		struct qopt *o = qopt_new(schema_enum_name(&schema_pointer, p->pointer));

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
					   e->by_port ? "QEMU attaches it when it appears"
						      : "skipped (missing = skip)");
			else
				plan_check(b, CHECK_FAIL, "plug it in, or set missing = skip in [usb]",
					   "%s:%u: [usb] %s: not plugged in (see qemu-vm devices)",
					   e->loc.file, e->loc.line, what);
			if (!e->by_port && p->usb_missing == MISSING_SKIP)
				continue;
		} else if (f->usb_node[i].state == ACC_OK)
			plan_check(b, CHECK_OK, NULL, "[usb] %s: %s at %u-%s", what,
				   u->name[0] ? u->name : "device", u->bus, u->port);
		else {
			_cleanup_free_ char *fix = plan_install_profile_fix(f, "");
			plan_check(b, CHECK_FAIL, fix, "[usb] %s: %s: %s", what, f->usb_node[i].path,
				   f->usb_node[i].state == ACC_MISSING ? "no device node"
								       : strerror(f->usb_node[i].err));
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

/* The qdev id of the @n-th evdev keyboard or mouse: kbd, kbd1, …; mouse, mouse1, …. */
static void evdev_id(bool keyboard, unsigned n, char *buf, size_t len)
{
	if (n == 0)
		snprintf(buf, len, "%s", keyboard ? "kbd" : "mouse");
	else
		snprintf(buf, len, "%s%u", keyboard ? "kbd" : "mouse", n);
}

static void plan_input(struct builder *b)
{
	const struct profile *p = b->p;
	const struct vm_facts *f = b->f;
	unsigned count[2] = { 0, 0 };

	/* Keyboards first, then mice, each in file order. */
	for (int pass = 1; pass >= 0; pass--)
		for (unsigned i = 0; i < p->n_evdev; i++) {
			const struct evdev_entry *e = &p->evdev[i];
			const struct host_file *hf = &f->evdev[i];
			const char *what = e->keyboard ? "keyboard" : "mouse";
			struct qopt *o;
			char id[16];

			if (e->keyboard != (bool)pass)
				continue;
			evdev_id(e->keyboard, count[pass]++, id, sizeof(id));
			o = qopt_new("input-linux");
			qopt_add(o, "id", id);
			qopt_add(o, "evdev", e->path);
			if (e->keyboard) {
				qopt_flag(o, "grab_all", p->grab_all);
				qopt_flag(o, "repeat", p->repeat);
			}
			if (e->keyboard || p->toggle)
				qopt_add(o, "grab-toggle", p->toggle ? p->toggle : "ctrl-ctrl");
			plan_arg(b, "-object");
			plan_arg_opt(b, o);
			if (hf->state == ACC_DENIED) {
				_cleanup_free_ char *fix = plan_install_profile_fix(f, "");
				plan_check(b, CHECK_FAIL, fix, "%s:%u: [input] %s: '%s': %s", e->loc.file,
					   e->loc.line, what, e->path, strerror(hf->err));
			} else if (hf->state == ACC_MISSING)
				plan_check(
					b, CHECK_FAIL,
					"ls /dev/input/by-id  (the name changes with the USB port on some devices)",
					"%s:%u: [input] %s: '%s': not plugged in", e->loc.file, e->loc.line,
					what, e->path);
			else
				plan_check(b, CHECK_OK, NULL, "[input] %s: %s", what, e->path);
		}
	if (p->input_virtio) {
		plan_arg(b, "-device");
		plan_arg(b, "virtio-keyboard-pci,id=virtio-kbd");
		plan_arg(b, "-device");
		plan_arg(b, "virtio-mouse-pci,id=virtio-mouse");
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
		plan_check_file(b, &b->f->fwcfg[i], &p->fwcfg_loc[i], p->fwcfg_names.v[i], "fw_cfg file",
				false);
	}
}

/* Everything but the machine and the PCI passthrough, in the order of QEMU's argv. */
void plan_devices(struct builder *b)
{
	plan_display(b);
	plan_disks(b);
	check_disks(b);
	plan_network(b);
	plan_lg(b);
	plan_scream(b);
	plan_audio(b);
	plan_usb(b);
	plan_input(b);
	plan_tables(b);
	plan_check_viewer(b);
}
