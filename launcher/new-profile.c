// SPDX-License-Identifier: GPL-2.0-or-later
/* qemu-vm new's profile: a pure function from the host's facts and the options to INI text. */
#include <errno.h>
#include <inttypes.h>
#include "new.h"

#define GiB (1ULL << 30)
/* Where the comments of key lines start, as in the example profiles. */
#define COMMENT_COL 28

uint64_t new_guest_memory(uint64_t mem_total)
{
	uint64_t half = mem_total / 2, most = mem_total > 4 * GiB ? mem_total - 4 * GiB : 0;
	uint64_t m = (half < most ? half : most) / GiB * GiB;

	return m < GiB ? GiB : m;
}

int new_parse_disk(const char *arg, char **ret_path, uint64_t *ret_size)
{
	const char *colon = strrchr(arg, ':');
	uint64_t size = 0;

	/* A ':' followed by something that is no size belongs to the path. */
	if (colon && colon[1] && strchr("0123456789", colon[1])) {
		if (parse_size(colon + 1, &size) < 0 || size == 0)
			return -EINVAL;
	} else
		colon = NULL;
	if (colon ? colon == arg : !*arg)
		return -EINVAL;
	*ret_path = colon ? xstrndup(arg, (size_t)(colon - arg)) : xstrdup(arg);
	*ret_size = size;
	return 0;
}

bool new_largest_mode(const char *modes, unsigned *ret_w, unsigned *ret_h)
{
	unsigned best_w = 0, best_h = 0;

	for (const char *l = modes; l && *l;) {
		unsigned w, h;
		size_t len = strcspn(l, "\n");
		_cleanup_free_ char *line = xstrndup(l, len);

		/* Interlaced modes are written "1920x1080i". */
		if (sscanf(line, "%ux%u", &w, &h) == 2 && w <= 16384 && h <= 16384 &&
		    (uint64_t)w * h > (uint64_t)best_w * best_h) {
			best_w = w;
			best_h = h;
		}
		l += len + (l[len] == '\n');
	}
	if (!best_w)
		return false;
	*ret_w = best_w;
	*ret_h = best_h;
	return true;
}

bool new_is_optimus(const struct new_facts *f, size_t i)
{
	const struct pci_dev_info *d = &f->pci.dev[i];

	if ((d->class >> 8) == 0x0302)
		return true;
	if (f->drm_connectors[i] >= 0)
		return f->drm_connectors[i] == 0;
	/* On vfio-pci (or no driver) the card has no DRM device to ask: a host whose own GPU
	 * drives a built-in panel is a laptop, where a second GPU renders only. */
	return f->boot_vga[i] != 1 && f->internal_panel[0];
}

/* "key = value", then "; comment" at COMMENT_COL. */
_printf_(4, 5) static void key(FILE *out, const char *k, const char *value, const char *fmt, ...)
{
	va_list ap;
	int n = fprintf(out, "%s = %s", k, value);

	fprintf(out, "%*s; ", n < COMMENT_COL ? COMMENT_COL - n : 1, "");
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static size_t find_dev(const struct new_facts *f, const struct pci_addr *a)
{
	for (size_t i = 0; i < f->pci.n; i++)
		if (pci_addr_eq(&f->pci.dev[i].addr, a))
			return i;
	return SIZE_MAX;
}

/* The GPUs to pass: those asked for, else the one that is not the boot GPU. */
static int pick_gpus(const struct new_facts *f, const struct new_options *o, size_t *idx, unsigned *ret_n,
		     char **ret_error)
{
	char a[16];
	unsigned n = 0;

	if (o->n_gpu) {
		for (unsigned g = 0; g < o->n_gpu; g++) {
			struct pci_addr card = o->gpu[g];
			size_t i;

			/* Any function of a GPU stands for the card; another device's function, for itself. */
			card.func = 0;
			i = find_dev(f, &card);
			if (i == SIZE_MAX || !pci_class_is_gpu(f->pci.dev[i].class))
				i = find_dev(f, &o->gpu[g]);
			if (i == SIZE_MAX) {
				*ret_error = xasprintf(
					"--gpu %s: the host has no such PCI device (qemu-vm devices "
					"lists them)",
					pci_addr_fmt_short(&o->gpu[g], a, sizeof(a)));
				return -EINVAL;
			}
			for (unsigned k = 0; k < n; k++)
				if (idx[k] == i) {
					*ret_error = xasprintf("--gpu %s: named twice",
							       pci_addr_fmt_short(&card, a, sizeof(a)));
					return -EINVAL;
				}
			idx[n++] = i;
		}
		*ret_n = n;
		return 0;
	}

	_cleanup_free_ char *list = xstrdup(""), *boot = NULL;
	for (size_t i = 0; i < f->pci.n; i++) {
		const struct pci_dev_info *d = &f->pci.dev[i];

		if (!pci_class_is_gpu(d->class))
			continue;
		if (f->boot_vga[i] == 1) {
			free(boot);
			boot = xstrdup(pci_addr_fmt_short(&d->addr, a, sizeof(a)));
			continue;
		}
		if (n < NEW_MAX_GPUS)
			idx[n] = i;
		n++;
		char *l = xasprintf("%s\n  --gpu %s   %s (%04x:%04x, %s)", list,
				    pci_addr_fmt_short(&d->addr, a, sizeof(a)), d->name, d->vendor, d->device,
				    d->driver ? d->driver : "no driver");
		free(list);
		list = l;
	}
	if (n == 0) {
		*ret_error = xasprintf("no GPU to pass: the host has none besides its boot GPU%s%s (the one "
				       "that shows the host's console); name a device with --gpu BDF",
				       boot ? " " : "", boot ? boot : "");
		return -EINVAL;
	}
	if (n > 1) {
		*ret_error = xasprintf(
			"the host has %u GPUs the guest could take; pick one (or more) with --gpu:%s", n,
			list);
		return -EINVAL;
	}
	*ret_n = 1;
	return 0;
}

/* The card's functions and the rest of its IOMMU group, as comments; -EINVAL naming a device
 * of the group that keeps it from being passed. */
static int write_card(FILE *out, const struct new_facts *f, size_t i, unsigned nth, char **ret_error)
{
	const struct pci_dev_info *d = &f->pci.dev[i];
	char a[16], b[16];

	if (d->iommu_group >= 0)
		for (size_t k = 0; k < f->pci.n; k++) {
			const struct pci_dev_info *o = &f->pci.dev[k];

			if (o->iommu_group == d->iommu_group && !pci_addr_in_card(&d->addr, &o->addr) &&
			    !pci_dev_group_member_ok(o)) {
				*ret_error = xasprintf(
					"%s: IOMMU group %d is not viable: %s (%04x:%04x %s, on %s) is in it too "
					"and stays with the host; move the card to another slot (qemu-vm devices "
					"shows the groups)",
					pci_addr_fmt_short(&d->addr, a, sizeof(a)), d->iommu_group,
					pci_addr_fmt_short(&o->addr, b, sizeof(b)), o->vendor, o->device,
					o->name, o->driver);
				return -EINVAL;
			}
		}

	if (nth)
		fprintf(out, "\n[pci gpu%u]\n", nth + 1);
	else
		fprintf(out, "\n[pci gpu]\n");
	fprintf(out, "; %s (%04x:%04x)", d->name, d->vendor, d->device);
	if (d->iommu_group >= 0)
		fprintf(out, ", IOMMU group %d:\n", d->iommu_group);
	else
		fprintf(out,
			", in no IOMMU group: the IOMMU is off (qemu-vm check says how to turn it on)\n");
	for (size_t k = 0; k < f->pci.n; k++) {
		const struct pci_dev_info *o = &f->pci.dev[k];
		bool card = pci_addr_in_card(&d->addr, &o->addr);

		if (!card && (d->iommu_group < 0 || o->iommu_group != d->iommu_group))
			continue;
		fprintf(out, ";   %s  %s, %s%s\n", pci_addr_fmt_short(&o->addr, a, sizeof(a)), o->class_name,
			o->driver ? o->driver : "no driver",
			card	       ? ""
			: o->is_bridge ? " (a bridge: stays with the host)"
				       : " (not passed: keep it off host drivers)");
	}
	{
		const char *h = pci_addr_fmt_short(&d->addr, a, sizeof(a));
		if (d->addr.func == 0)
			key(out, "host", h, "the whole card: every function of slot %.*s", (int)strlen(h) - 2,
			    h);
		else
			key(out, "host", h, "this function alone");
	}
	{
		char ids[16];
		snprintf(ids, sizeof(ids), "%04x:%04x", d->sub_vendor, d->sub_device);
		key(out, "sub-ids", "auto", "the guest driver sees the host's subsystem IDs (%s)", ids);
	}
	if (new_is_optimus(f, i)) {
		const char *why = (d->class >> 8) == 0x0302 ? "a 3D controller"
				  : f->drm_connectors[i] == 0
					  ? "a GPU without display outputs"
					  : "a second GPU on a laptop (the panel is on the boot GPU)";
		fprintf(out,
			"; Optimus (%s): the card renders for the host's GPU,\n"
			"; and its driver wants it where the host has it, with no hotplug on the way\n",
			why);
		key(out, "root-port", "mirror", "the guest sees it on bus %02x, as the host does",
		    d->addr.bus);
		key(out, "hotplug", "off", "no _DSM on the root port for the driver to call");
	}
	return 0;
}

static void write_vm(FILE *out, const struct new_facts *f, const struct new_options *o)
{
	uint64_t mem = new_guest_memory(f->mem_total);
	char s[32], t[32], m[32];
	unsigned threads = f->n_cores ? f->cores[0].n : 1, cpus = 0;
	bool same = true;
	_cleanup_free_ char *pin = xstrdup("");

	fprintf(out, "[vm]\n");
	key(out, "title", o->name, "the name in the application menu and in qemu-vm list");
	format_size(f->mem_total, s, sizeof(s));
	fprintf(out,
		"; RAM: half of the host's %s, at most all but 4G, in whole G: the host keeps the rest\n", s);
	format_size(mem, m, sizeof(m));
	key(out, "memory", m, "guest RAM");

	for (unsigned c = 1; c < f->n_cores; c++) {
		same &= f->cores[c].n == threads;
		for (unsigned k = 0; k < f->cores[c].n; k++) {
			char *p = xasprintf("%s%s%u", pin, *pin ? "," : "", f->cores[c].cpu[k]);
			free(pin);
			pin = p;
			cpus++;
		}
	}
	if (cpus) {
		_cleanup_free_ char *first = xstrdup("");
		for (unsigned k = 0; k < f->cores[0].n; k++) {
			char *p = xasprintf("%s%s%u", first, k ? "," : "", f->cores[0].cpu[k]);
			free(first);
			first = p;
		}
		if (f->cores[0].n > 1)
			fprintf(out,
				"; CPUs: every core but the first (CPUs %s stay with the host), each with its\n"
				"; SMT siblings, so that a vCPU pair shares a core as on the host\n",
				first);
		else
			fprintf(out, "; CPUs: every core but the first (CPU %s stays with the host)\n",
				first);
		snprintf(s, sizeof(s), "%u", cpus);
		key(out, "cpus", s, "one vCPU per host CPU in pin");
		if (same && threads > 1 && threads <= 2) {
			snprintf(s, sizeof(s), "%u", cpus / threads);
			key(out, "cores", s, "%u cores", cpus / threads);
			snprintf(s, sizeof(s), "%u", threads);
			key(out, "threads", s, "of %u threads each, as on the host", threads);
		}
		key(out, "pin", pin, "host CPUs for the vCPU threads, in vCPU order");
	} else {
		fprintf(out, "; CPUs: the host has a single core, so the guest shares it\n");
		key(out, "cpus", "1", "one vCPU");
	}

	/* The pool as it is now; the largest page size that covers the guest's RAM. */
	const struct hugepage_pool *use = NULL, *grown = NULL;
	for (unsigned k = 0; k < f->n_huge; k++) {
		const struct hugepage_pool *h = &f->huge[k];
		if ((h->size == 2ULL << 20 || h->size == GiB) && h->free * h->size >= mem &&
		    (!use || h->size > use->size))
			use = h;
	}
	/* Too few free, but the group may grow a pool (vfio-setup install --hugepages-on-demand):
	 * the supervisor reserves the pages at start. 2M, whose reservation survives fragmentation
	 * far better than 1G's. */
	for (unsigned k = 0; !use && k < f->n_huge; k++)
		if (f->huge[k].size == 2ULL << 20 && f->huge[k].growable)
			grown = use = &f->huge[k];
	if (grown) {
		key(out, "hugepages", "2M",
		    "%" PRIu64 " free now; the pool is the group's to grow: reserved at start", grown->free);
	} else if (use) {
		format_size(use->size, s, sizeof(s));
		key(out, "hugepages", s, "%" PRIu64 " of them are free, enough for the guest's RAM",
		    use->free);
	} else {
		_cleanup_free_ char *pools = xstrdup("");
		for (unsigned k = 0; k < f->n_huge; k++) {
			char *p;
			format_size(f->huge[k].size, t, sizeof(t));
			p = xasprintf("%s%s%" PRIu64 " of %s", pools, *pools ? ", " : "", f->huge[k].free, t);
			free(pools);
			pools = p;
		}
		key(out, "hugepages", "off", "the free pool (%s) cannot hold %s", *pools ? pools : "none", m);
	}
	if (o->windows11)
		key(out, "secure-boot", "on",
		    "Windows 11 wants Secure Boot: OVMF with Microsoft's keys enrolled");
}

static void write_lg(FILE *out, const struct new_facts *f)
{
	char res[32], size[16];
	unsigned w = f->width ? f->width : 1920, h = f->height ? f->height : 1080;

	snprintf(res, sizeof(res), "%ux%u", w, h);
	format_size(lg_size_for(w, h), size, sizeof(size));
	fprintf(out, "\n[looking-glass]\n");
	if (f->monitor[0])
		key(out, "resolution", res, "the largest connected monitor's (%s): %s of shared memory",
		    f->monitor, size);
	else
		key(out, "resolution", res, "no connected monitor found: 1080p, %s of shared memory", size);
	if (f->kvmfr)
		key(out, "path", "/dev/kvmfr0", "the kvmfr module's device");
}

static void write_usb(FILE *out, const struct new_facts *f)
{
	if (!f->n_usb)
		return;
	fprintf(out, "\n[usb]\n; the host's keyboards, mice and game controllers: uncomment a line to give\n"
		     "; the guest that port (qemu-vm devices lists them all)\n");
	for (size_t i = 0; i < f->n_usb; i++) {
		const struct new_usb *u = &f->usb[i];
		_cleanup_free_ char *line = xasprintf("; port = %s", u->port);
		fprintf(out, "%s%*s; %04x:%04x %s (%s)\n", line,
			strlen(line) < COMMENT_COL ? COMMENT_COL - (int)strlen(line) : 1, "", u->vendor,
			u->product, u->name, u->kind);
	}
	key(out, "missing", "skip", "a device that is not plugged in is left out");
}

static void write_disks(FILE *out, const struct new_options *o)
{
	if (o->disk) {
		size_t len = strlen(o->disk);
		bool qcow2_name = len > 6 && streq(o->disk + len - 6, ".qcow2");

		fprintf(out, "\n[disk system]\n");
		if (o->disk_size) {
			char s[32];
			format_size(o->disk_size, s, sizeof(s));
			fprintf(out, "; a qcow2 image of %s, made by qemu-vm new\n", s);
		}
		fprintf(out, "path = %s\n", o->disk);
		if (o->disk_size && !qcow2_name)
			key(out, "format", "qcow2", "the image qemu-vm new made");
		key(out, "bus", "virtio", "Windows needs the virtio-win driver to see it");
	}
	if (o->iso) {
		fprintf(out, "\n[disk installer]\npath = %s\n", o->iso);
		key(out, "media", "cdrom", "the installer, booted while the system disk is empty");
	}
	if (o->virtio_iso) {
		fprintf(out, "\n[disk virtio-drivers]\npath = %s\n", o->virtio_iso);
		key(out, "media", "cdrom", "drivers for the virtio disk and network card");
	}
}

int new_profile_text(const struct new_facts *f, const struct new_options *o, char **ret_text,
		     char **ret_error)
{
	size_t idx[NEW_MAX_GPUS], len = 0;
	unsigned n = 0;
	char *text = NULL;
	_cleanup_fclose_ FILE *out = NULL;
	int r = pick_gpus(f, o, idx, &n, ret_error);

	if (r < 0)
		return r;
	out = open_memstream(&text, &len);
	if (!out)
		return -errno;
	fprintf(out,
		"; %s: made by qemu-vm new from this host; qemu-vm check %s says what is missing.\n"
		"; Every key is described in qemu-vm.ini(5).\n\n",
		o->name, o->name);
	write_vm(out, f, o);
	for (unsigned g = 0; g < n; g++) {
		r = write_card(out, f, idx[g], g, ret_error);
		if (r < 0) {
			fclose(TAKE_PTR(out));
			free(text);
			return r;
		}
	}
	write_disks(out, o);
	write_lg(out, f);
	fprintf(out, "\n[audio]\n");
	key(out, "backend", "auto", "PipeWire when QEMU has it, else PulseAudio");
	write_usb(out, f);
	if (o->windows11) {
		fprintf(out,
			"\n; Windows 11 wants a TPM 2.0: swtpm beside QEMU, its state kept with the VM's data\n[tpm]\n");
		key(out, "version", "2.0", "the only version there is");
	}
	if (fclose(TAKE_PTR(out)) != 0) {
		free(text);
		return -ENOMEM;
	}
	*ret_text = text;
	return 0;
}
