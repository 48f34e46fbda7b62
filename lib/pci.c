// SPDX-License-Identifier: GPL-2.0-or-later
/* Reads PCI functions, drivers and IOMMU groups of a host from its sysfs, under a root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include "fsutil.h"
#include "pci.h"
#include "udev-dl.h"

static int dev_cmp(const void *a, const void *b)
{
	return pci_addr_cmp(&((const struct pci_dev_info *)a)->addr, &((const struct pci_dev_info *)b)->addr);
}

/* A sysfs attribute of the device directory DFD: "0x10de\n" and the like. */
static int read_hex_at(int dfd, const char *name, unsigned max, unsigned *ret)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	char buf[32];
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return parse_uint(buf, 16, max, ret);
}

static char *device_path(const char *root, const struct pci_addr *a)
{
	char bdf[32];

	pci_addr_fmt(a, bdf, sizeof(bdf));
	return xasprintf("%s/sys/bus/pci/devices/%s", streq(root, "/") ? "" : root, bdf);
}

/* The upstream bridge, from the device's place under sys/devices (the kernel nests them). */
static void read_parent(const char *path, struct pci_dev_info *d)
{
	char link[PATH_MAX];
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	char *last, *prev;

	if (n <= 0)
		return;
	link[n] = '\0';
	last = strrchr(link, '/');
	if (!last)
		return;
	*last = '\0';
	prev = strrchr(link, '/');
	prev = prev ? prev + 1 : link;
	if (parse_pci_addr(prev, &d->parent) == 0)
		d->has_parent = true;
}

int pci_read_function(const char *root, const struct pci_addr *a, struct pci_dev_info *ret)
{
	_cleanup_free_ char *path = device_path(root ? root : "/", a);
	_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct pci_dev_info d = { .addr = *a, .iommu_group = -1 };
	unsigned v, dev, cls, sv = 0, sd = 0, g;
	char name[NAME_MAX + 1];
	int r;

	if (dfd < 0)
		return -errno;
	if ((r = read_hex_at(dfd, "vendor", 0xffff, &v)) < 0 ||
	    (r = read_hex_at(dfd, "device", 0xffff, &dev)) < 0 ||
	    (r = read_hex_at(dfd, "class", 0xffffff, &cls)) < 0)
		return r;
	/* Bridges have no subsystem IDs in their header; the kernel then has no such files. */
	(void)read_hex_at(dfd, "subsystem_vendor", 0xffff, &sv);
	(void)read_hex_at(dfd, "subsystem_device", 0xffff, &sd);
	d.vendor = (uint16_t)v;
	d.device = (uint16_t)dev;
	d.class = cls;
	d.sub_vendor = (uint16_t)sv;
	d.sub_device = (uint16_t)sd;
	d.is_bridge = pci_class_is_bridge(d.class);
	if (read_link_name_at(dfd, "driver", name, sizeof(name)) == 0)
		d.driver = xstrdup(name);
	if (read_link_name_at(dfd, "iommu_group", name, sizeof(name)) == 0 &&
	    parse_uint(name, 10, INT_MAX, &g) == 0)
		d.iommu_group = (int)g;
	read_parent(path, &d);
	*ret = d;
	return 0;
}

int pci_host_add(struct pci_host *h, const char *root, const struct pci_addr *a)
{
	struct pci_dev_info d;
	size_t at = 0;
	int r;

	if (pci_host_find(h, a))
		return 0;
	r = pci_read_function(root, a, &d);
	if (r < 0)
		return r;
	while (at < h->n && pci_addr_cmp(&h->dev[at].addr, a) < 0)
		at++;
	h->dev = xrealloc(h->dev, (h->n + 1) * sizeof(*h->dev));
	memmove(&h->dev[at + 1], &h->dev[at], (h->n - at) * sizeof(*h->dev));
	h->dev[at] = d;
	h->n++;
	return 0;
}

int pci_host_add_device(struct pci_host *h, const char *root, const struct pci_addr *a)
{
	_cleanup_free_ char *rel = NULL, *groupdir = NULL;
	_cleanup_closedir_ DIR *dir = NULL;
	const struct pci_dev_info *d;
	struct dirent *de;
	int r, group;

	r = pci_host_add(h, root, a);
	if (r < 0)
		return r;
	if (a->func == 0)
		for (unsigned fn = 1; fn < 8; fn++) {
			struct pci_addr f = *a;
			f.func = fn;
			(void)pci_host_add(h, root, &f);
		}
	d = pci_host_find(h, a);
	group = d->iommu_group;
	if (group < 0)
		return 0;
	rel = xasprintf("/sys/kernel/iommu_groups/%d/devices", group);
	groupdir = host_path(root, rel);
	dir = opendir(groupdir);
	if (!dir)
		return 0; /* the group's own link names it; an unreadable member list hides nothing more */
	while ((de = readdir(dir))) {
		struct pci_addr m;
		if (de->d_name[0] != '.' && parse_pci_addr(de->d_name, &m) == 0)
			(void)pci_host_add(h, root, &m);
	}
	return 0;
}

int pci_find_id(const char *root, const struct pci_id *id, struct pci_addr *ret)
{
	_cleanup_free_ char *base = host_path(root, "/sys/bus/pci/devices");
	_cleanup_closedir_ DIR *dir = opendir(base);
	struct pci_addr best;
	bool found = false;
	struct dirent *de;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		_cleanup_close_ int dfd = -1;
		struct pci_addr a;
		unsigned v, dev;

		if (de->d_name[0] == '.' || parse_pci_addr(de->d_name, &a) < 0)
			continue;
		if (found && pci_addr_cmp(&a, &best) > 0)
			continue;
		dfd = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || read_hex_at(dfd, "vendor", 0xffff, &v) < 0 || v != id->vendor ||
		    read_hex_at(dfd, "device", 0xffff, &dev) < 0 || dev != id->device)
			continue;
		best = a;
		found = true;
	}
	if (!found)
		return -ENOENT;
	*ret = best;
	return 0;
}

static int scan(const char *root, bool names, struct pci_host *ret)
{
	_cleanup_free_ char *base = NULL;
	_cleanup_closedir_ DIR *dir = NULL;
	struct pci_host h = { 0 };
	struct dirent *de;
	size_t cap = 0;

	base = host_path(root ? root : "/", "/sys/bus/pci/devices");
	dir = opendir(base);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		struct pci_addr a;
		struct pci_dev_info d;

		if (de->d_name[0] == '.' || parse_pci_addr(de->d_name, &a) < 0 ||
		    pci_read_function(root ? root : "/", &a, &d) < 0)
			continue;
		if (h.n == cap) {
			cap = cap ? cap * 2 : 64;
			h.dev = xrealloc(h.dev, cap * sizeof(*h.dev));
		}
		h.dev[h.n++] = d;
	}
	if (h.n)
		qsort(h.dev, h.n, sizeof(*h.dev), dev_cmp);
	if (names)
		pci_names_fill(&h);
	*ret = h;
	return 0;
}

int pci_host_scan(const char *root, struct pci_host *ret)
{
	return scan(root, true, ret);
}

int pci_host_scan_ids(const char *root, struct pci_host *ret)
{
	return scan(root, false, ret);
}

void pci_host_free(struct pci_host *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->dev[i].driver);
	free(h->dev);
	*h = (struct pci_host){ 0 };
}

int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	if (a->func != b->func)
		return a->func < b->func ? -1 : 1;
	return 0;
}

bool pci_addr_eq(const struct pci_addr *a, const struct pci_addr *b)
{
	return pci_addr_cmp(a, b) == 0;
}

bool pci_addr_in_card(const struct pci_addr *card, const struct pci_addr *a)
{
	return card->func == 0 ? pci_addr_same_slot(a, card) : pci_addr_eq(a, card);
}

bool pci_addr_same_slot(const struct pci_addr *a, const struct pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot;
}

const char *pci_addr_fmt(const struct pci_addr *a, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", a->domain, a->bus, a->slot, a->func);
	return buf;
}

const char *pci_addr_fmt_short(const struct pci_addr *a, char *buf, size_t len)
{
	if (a->domain)
		return pci_addr_fmt(a, buf, len);
	snprintf(buf, len, "%02x:%02x.%x", a->bus, a->slot, a->func);
	return buf;
}

bool pci_dev_group_member_ok(const struct pci_dev_info *d)
{
	return d->is_bridge || !d->driver || streq(d->driver, "vfio-pci") || streq(d->driver, "pci-stub");
}

static int group_cmp(const void *x, const void *y)
{
	const struct pci_dev_info *a = *(const struct pci_dev_info *const *)x;
	const struct pci_dev_info *b = *(const struct pci_dev_info *const *)y;

	if (a->iommu_group != b->iommu_group)
		return a->iommu_group < b->iommu_group ? -1 : 1;
	return pci_addr_cmp(&a->addr, &b->addr);
}

const struct pci_dev_info **pci_host_by_group(const struct pci_host *h)
{
	const struct pci_dev_info **order = xcalloc(h->n, sizeof(*order));

	for (size_t i = 0; i < h->n; i++)
		order[i] = &h->dev[i];
	if (h->n)
		qsort(order, h->n, sizeof(*order), group_cmp);
	return order;
}

const struct pci_dev_info *pci_host_find(const struct pci_host *h, const struct pci_addr *a)
{
	struct pci_dev_info key = { .addr = *a };

	if (!h->n)
		return NULL;
	return bsearch(&key, h->dev, h->n, sizeof(*h->dev), dev_cmp);
}

const struct pci_dev_info *pci_host_find_id(const struct pci_host *h, const struct pci_id *id)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->dev[i].vendor == id->vendor && h->dev[i].device == id->device)
			return &h->dev[i];
	return NULL;
}

char *pci_driver_module(const char *root, const char *driver)
{
	_cleanup_free_ char *rel = xasprintf("/sys/bus/pci/drivers/%s/module", driver);
	_cleanup_free_ char *path = host_path(root, rel);
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	if (n <= 0)
		return NULL;
	target[n] = '\0';
	base = strrchr(target, '/');
	return xstrdup(base ? base + 1 : target);
}

bool pci_class_is_gpu(uint32_t class)
{
	return (class >> 16) == 0x03;
}

bool pci_class_is_bridge(uint32_t class)
{
	return (class >> 8) == 0x0604 || (class >> 8) == 0x0609;
}

/* "Vendor Device", as lspci prints it, with the numbers where a name is missing. */
static void set_name(struct pci_dev_info *d, const char *vendor, const char *device)
{
	if (vendor && device)
		snprintf(d->name, sizeof(d->name), "%s %s", vendor, device);
	else if (vendor)
		snprintf(d->name, sizeof(d->name), "%s Device %04x", vendor, d->device);
	else
		snprintf(d->name, sizeof(d->name), "Device %04x:%04x", d->vendor, d->device);
}

static void set_class_name(struct pci_dev_info *d, const char *base, const char *sub)
{
	if (sub)
		snprintf(d->class_name, sizeof(d->class_name), "%s", sub);
	else if (base)
		snprintf(d->class_name, sizeof(d->class_name), "%s", base);
	else
		snprintf(d->class_name, sizeof(d->class_name), "Class %04x", d->class >> 8);
}

/* udev's hwdb (built from the same pci.ids, indexed): the keys are modaliases with wildcards. */
static int names_from_hwdb(struct pci_host *h)
{
	const struct udev_fns *U = udev_fns();
	struct udev *udev = U ? U->udev_new() : NULL;
	struct udev_hwdb *hwdb = udev ? U->udev_hwdb_new(udev) : NULL;

	if (!hwdb) {
		if (udev)
			U->udev_unref(udev);
		return -ENOENT;
	}
	for (size_t i = 0; i < h->n; i++) {
		struct pci_dev_info *d = &h->dev[i];
		char key[80];
		_cleanup_free_ char *vendor = NULL, *model = NULL, *base = NULL, *sub = NULL;
		size_t same = 0;

		/* A lookup walks every class pattern (they start "pci:v*"): one per distinct device
		 * and class, and the copies (a card repeated, its functions) take the names found. */
		while (same < i && !(h->dev[same].vendor == d->vendor && h->dev[same].device == d->device &&
				     h->dev[same].class >> 8 == d->class >> 8))
			same++;
		if (same < i) {
			memcpy(d->name, h->dev[same].name, sizeof(d->name));
			memcpy(d->class_name, h->dev[same].class_name, sizeof(d->class_name));
			continue;
		}
		/* The subsystem and programming interface left as wildcards: vendor, device, class and
		 * subclass patterns match, the more specific ones (subsystem, interface) do not. */
		snprintf(key, sizeof(key), "pci:v%08Xd%08Xsv*sd*bc%02Xsc%02Xi*", d->vendor, d->device,
			 d->class >> 16, (d->class >> 8) & 0xff);
		for (struct udev_list_entry *e = U->udev_hwdb_get_properties_list_entry(hwdb, key, 0); e;
		     e = U->udev_list_entry_get_next(e)) {
			const char *k = U->udev_list_entry_get_name(e), *v = U->udev_list_entry_get_value(e);
			char **slot = streq(k, "ID_VENDOR_FROM_DATABASE")	  ? &vendor
				      : streq(k, "ID_MODEL_FROM_DATABASE")	  ? &model
				      : streq(k, "ID_PCI_CLASS_FROM_DATABASE")	  ? &base
				      : streq(k, "ID_PCI_SUBCLASS_FROM_DATABASE") ? &sub
										  : NULL;
			if (slot && v) {
				free(*slot);
				*slot = xstrdup(v);
			}
		}
		set_name(d, vendor, model);
		set_class_name(d, base, sub);
	}
	U->udev_hwdb_unref(hwdb);
	U->udev_unref(udev);
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* N hex digits then two spaces and the name: "10de  NVIDIA Corporation". */
static const char *ids_entry(const char *p, int digits, unsigned *ret_id)
{
	unsigned v = 0;

	for (int i = 0; i < digits; i++) {
		int d = hex_digit(p[i]);
		if (d < 0)
			return NULL;
		v = v << 4 | (unsigned)d;
	}
	if (p[digits] != ' ' || p[digits + 1] != ' ')
		return NULL;
	*ret_id = v;
	return p + digits + 2;
}

static int by_ids(const void *x, const void *y)
{
	const struct pci_dev_info *a = *(const struct pci_dev_info *const *)x;
	const struct pci_dev_info *b = *(const struct pci_dev_info *const *)y;

	if (a->vendor != b->vendor)
		return a->vendor < b->vendor ? -1 : 1;
	return a->device < b->device ? -1 : a->device > b->device;
}

static void set_once(char **slot, const char *name)
{
	if (!*slot)
		*slot = xstrdup(name);
}

/* pci.ids, read once from top to bottom: "VVVV  vendor", "\tDDDD  device" below it (two tabs:
 * subsystems), then "C CC  class", "\tSS  subclass" below it (two tabs: programming interfaces).
 * Only the lines of vendors present are looked at closely. */
static int names_from_pci_ids(struct pci_host *h, const char *file)
{
	static const char *const paths[] = { "/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids" };
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ const struct pci_dev_info **order = xcalloc(h->n ? h->n : 1, sizeof(*order));
	char **vendor = xcalloc(h->n ? h->n : 1, sizeof(char *)),
	     **device = xcalloc(h->n ? h->n : 1, sizeof(char *));
	char **base = xcalloc(h->n ? h->n : 1, sizeof(char *)),
	     **sub = xcalloc(h->n ? h->n : 1, sizeof(char *));
	char line[512];
	bool in_class = false;
	size_t lo = 0, hi = 0; /* the devices (in order) of the current vendor */
	unsigned cur = 0, id;
	const char *name;

	for (size_t i = 0; i < h->n; i++)
		order[i] = &h->dev[i];
	if (h->n)
		qsort(order, h->n, sizeof(*order), by_ids);
	if (file)
		f = fopen(file, "re");
	for (size_t i = 0; i < ARRAY_SIZE(paths) && !f && !file; i++)
		f = fopen(paths[i], "re");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\t') {
			if (line[1] == '\t' || lo == hi)
				continue;
			if (!in_class && (name = ids_entry(line + 1, 4, &id))) {
				for (size_t i = lo; i < hi; i++)
					if (order[i]->device == id)
						set_once(&device[order[i] - h->dev], name);
			} else if (in_class && (name = ids_entry(line + 1, 2, &id))) {
				for (size_t i = 0; i < h->n; i++)
					if (h->dev[i].class >> 16 == cur &&
					    ((h->dev[i].class >> 8) & 0xff) == id)
						set_once(&sub[i], name);
			}
			continue;
		}
		if (line[0] == '#' || line[0] == '\0')
			continue; /* comments stand inside a vendor's block too */
		lo = hi = 0;
		if (line[0] == 'C' && line[1] == ' ' && (name = ids_entry(line + 2, 2, &id))) {
			in_class = true;
			cur = id;
			for (size_t i = 0; i < h->n; i++)
				if (h->dev[i].class >> 16 == id) {
					set_once(&base[i], name);
					hi = 1; /* wanted: look at its subclasses */
				}
		} else if (!in_class && (name = ids_entry(line, 4, &id))) {
			size_t n = h->n;

			while (n > 0) { /* lower bound of the vendor in order */
				size_t half = n / 2;
				if (order[lo + half]->vendor < id) {
					lo += half + 1;
					n -= half + 1;
				} else {
					n = half;
				}
			}
			hi = lo;
			while (hi < h->n && order[hi]->vendor == id) {
				set_once(&vendor[order[hi] - h->dev], name);
				hi++;
			}
		}
	}
	for (size_t i = 0; i < h->n; i++) {
		set_name(&h->dev[i], vendor[i], device[i]);
		set_class_name(&h->dev[i], base[i], sub[i]);
		free(vendor[i]);
		free(device[i]);
		free(base[i]);
		free(sub[i]);
	}
	free(vendor);
	free(device);
	free(base);
	free(sub);
	return f ? 0 : -ENOENT;
}

void pci_names_fill(struct pci_host *h)
{
	const char *ids = secure_getenv("QEMU_VM_PCI_IDS");

	if (!strempty(ids) || names_from_hwdb(h) < 0)
		(void)names_from_pci_ids(h, strempty(ids) ? NULL : ids);
}
