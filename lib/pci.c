// SPDX-License-Identifier: GPL-2.0-or-later
/* Reads PCI functions, drivers and IOMMU groups of a host through libpci's sysfs backend. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <pci/pci.h>
#include "pci.h"

static int dev_cmp(const void *a, const void *b)
{
	return pci_addr_cmp(&((const struct pci_dev_info *)a)->addr,
			    &((const struct pci_dev_info *)b)->addr);
}

/* libpci's error callback must not return (it is declared noreturn), so a broken sysfs tree
 * ends the program here with libpci's own message. */
_printf_(1, 2) __attribute__((noreturn)) static void pci_die(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	fputs("qemu-vm: libpci: ", stderr);
	vfprintf(stderr, msg, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

_printf_(1, 2) static void pci_quiet(char *msg, ...)
{
	(void)msg;
}

/* The upstream bridge, from the device's place under sys/devices (the kernel nests them). */
static void read_parent(const char *root, struct pci_dev_info *d)
{
	char link[PATH_MAX], bdf[16];
	_cleanup_free_ char *path = NULL;
	ssize_t n;
	char *last, *prev;

	pci_addr_fmt(&d->addr, bdf, sizeof(bdf));
	path = xasprintf("%s/sys/bus/pci/devices/%s", streq(root, "/") ? "" : root, bdf);
	n = readlink(path, link, sizeof(link) - 1);
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

static int scan(const char *root, bool names, struct pci_host *ret)
{
	struct pci_access *pacc;
	struct pci_host h = { 0 };
	size_t cap = 0;
	_cleanup_free_ char *sysfs = NULL;
	int r = 0;

	if (!root)
		root = "/";
	sysfs = host_path(root, "/sys/bus/pci");
	if (access(sysfs, R_OK | X_OK) < 0)
		return -errno;
	pacc = pci_alloc();
	pacc->error = pci_die;
	pacc->warning = pci_quiet;
	pacc->debug = pci_quiet;
	/* Never PCI_ACCESS_AUTO: it falls back to the real /proc/bus/pci. */
	pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	pci_set_param(pacc, (char *)"sysfs.path", sysfs);
	pci_init(pacc);
	pci_scan_bus(pacc);

	for (struct pci_dev *p = pacc->devices; p; p = p->next) {
		struct pci_dev_info *d;
		char *s;

		pci_fill_info(p, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS |
					 PCI_FILL_DRIVER | PCI_FILL_IOMMU_GROUP);
		if (h.n == cap) {
			cap = cap ? cap * 2 : 64;
			h.dev = xrealloc(h.dev, cap * sizeof(*h.dev));
		}
		d = &h.dev[h.n++];
		*d = (struct pci_dev_info){
			.addr = { (unsigned)p->domain, p->bus, p->dev, p->func },
			.vendor = p->vendor_id,
			.device = p->device_id,
			.sub_vendor = p->subsys_vendor_id,
			.sub_device = p->subsys_id,
			.class = ((uint32_t)p->device_class << 8) | p->prog_if,
			.iommu_group = -1,
		};
		d->is_bridge = pci_class_is_bridge(d->class);
		s = pci_get_string_property(p, PCI_FILL_DRIVER);
		if (s)
			d->driver = xstrdup(s);
		s = pci_get_string_property(p, PCI_FILL_IOMMU_GROUP);
		if (s) {
			unsigned g;
			if (parse_uint(s, 10, INT_MAX, &g) == 0)
				d->iommu_group = (int)g;
		}
		if (names) {
			pci_lookup_name(pacc, d->name, sizeof(d->name), PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_HWDB,
					d->vendor, d->device);
			pci_lookup_name(pacc, d->class_name, sizeof(d->class_name),
					PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_HWDB, p->device_class);
		}
		read_parent(root, d);
	}
	pci_cleanup(pacc);
	if (h.n)
		qsort(h.dev, h.n, sizeof(*h.dev), dev_cmp);
	*ret = h;
	return r;
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
