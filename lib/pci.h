/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI devices and IOMMU groups of a host, read from its sysfs under a root; names from udev's
 * hwdb, else pci.ids. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "profile.h"

struct pci_dev_info {
	struct pci_addr addr;
	uint16_t vendor, device;
	uint16_t sub_vendor, sub_device;
	uint32_t class; /* 24-bit class code: 0x030000 VGA */
	char *driver; /* bound driver name, or NULL */
	int iommu_group; /* -1 when the device has none */
	bool is_bridge; /* class 0x0604 or header type 1 */
	bool has_parent;
	struct pci_addr parent; /* the upstream port, when on a bus below a bridge */
	char name[160]; /* "NVIDIA Corporation GP104 [GeForce GTX 1070]", filled by pci_names_fill */
	char class_name[64]; /* "VGA compatible controller" */
};

struct pci_host {
	struct pci_dev_info *dev; /* sorted by address */
	size_t n;
};

/* Every function under ROOT/sys/bus/pci/devices, with names (pci_names_fill). */
int pci_host_scan(const char *root, struct pci_host *ret);
/* The same without names: what the privileged side needs to check IDs. */
int pci_host_scan_ids(const char *root, struct pci_host *ret);
void pci_host_free(struct pci_host *h);

/* One function, by name under ROOT/sys/bus/pci/devices: IDs, class, subsystem IDs, and driver
 * and IOMMU group from their links' last component. -ENOENT when the host has none. */
int pci_read_function(const char *root, const struct pci_addr *a, struct pci_dev_info *ret);
/* Adds the function at @a to @h (kept sorted) unless it is there; -ENOENT when absent. */
int pci_host_add(struct pci_host *h, const char *root, const struct pci_addr *a);
/* Adds what a profile's device brings into play: the function, the rest of its card (function
 * 0 stands for its slot), and every member of its IOMMU group (ROOT/sys/kernel/iommu_groups/N/
 * devices). What the plan needs of the host for one device, whatever the size of the bus. */
int pci_host_add_device(struct pci_host *h, const char *root, const struct pci_addr *a);
/* The lowest address with these IDs, reading only the ID files of each function. */
int pci_find_id(const char *root, const struct pci_id *id, struct pci_addr *ret);
/* Names and class names: from udev's hwdb, else from pci.ids, else the numbers. $QEMU_VM_PCI_IDS
 * names a pci.ids to take instead of the hwdb (the tests pin their names with it: the hwdb's copy
 * differs, e.g. it drops a trailing "#17"). */
void pci_names_fill(struct pci_host *h);

/* The devices ordered by IOMMU group, then address (no group first): a malloc'd array of h->n. */
const struct pci_dev_info **pci_host_by_group(const struct pci_host *h);

const struct pci_dev_info *pci_host_find(const struct pci_host *h, const struct pci_addr *a);
const struct pci_dev_info *pci_host_find_id(const struct pci_host *h, const struct pci_id *id);

/* Same domain, bus and slot: the functions of one card. */
bool pci_addr_same_slot(const struct pci_addr *a, const struct pci_addr *b);
/* The functions a device address stands for, "the card": function 0 brings every function of
 * its slot (a GPU and its HDMI audio); any other function (00:1f.6 of a chipset) stands alone. */
bool pci_addr_in_card(const struct pci_addr *card, const struct pci_addr *a);
int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b);
bool pci_addr_eq(const struct pci_addr *a, const struct pci_addr *b);
/* "0000:01:00.0" into buf (at least 13 bytes). */
const char *pci_addr_fmt(const struct pci_addr *a, char *buf, size_t len);
/* The same without domain 0, as users write it: "01:00.0". */
const char *pci_addr_fmt_short(const struct pci_addr *a, char *buf, size_t len);
/* A member of a passed device's IOMMU group that is not in its way: a bridge, a function on no
 * driver, on vfio-pci or on pci-stub. */
bool pci_dev_group_member_ok(const struct pci_dev_info *d);

/* The kernel module behind a PCI driver (bochs-drm → bochs), from ROOT/sys/bus/pci/drivers/
 * DRIVER/module; NULL for a driver built into the kernel. */
char *pci_driver_module(const char *root, const char *driver);

bool pci_class_is_gpu(uint32_t class);
bool pci_class_is_bridge(uint32_t class);
