/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Host facts the launcher needs, read-only, every path resolved under a host root. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "pci.h"
#include "strv.h"

/* Whether ROOT is the running system's own root ("/", "//", a symlink to /): anywhere else is a
 * tree (a test's, a bug report's) that is read, and nothing in it is ever run. */
bool host_root_is_system(const char *root);

struct usb_dev_info {
	uint16_t vendor, product;
	unsigned bus, devnum;
	char port[32]; /* "4.2": sysfs devpath */
	char name[128];
};

struct usb_host {
	struct usb_dev_info *dev;
	size_t n;
};

/* Under root "/", through libudev; under any other root, from ROOT/sys/bus/usb/devices. */
int usb_host_scan(const char *root, struct usb_host *ret);
void usb_host_free(struct usb_host *h);
/* The one device a profile's [usb] entry names (the first by bus and port when several match),
 * without listing the others; -ENOENT when it is not plugged in. Same sources as the scan. */
int usb_host_find(const char *root, const struct usb_entry *e, struct usb_dev_info *ret);
/* Adds @u to @h, kept in scan order (bus, port), unless it is there. */
void usb_host_add(struct usb_host *h, const struct usb_dev_info *u);

struct hugepage_pool {
	uint64_t size; /* bytes per page */
	uint64_t total, free;
	bool growable; /* nr_hugepages is writable by one of our groups: the supervisor grows it */
};

enum access_state { ACC_MISSING, ACC_DENIED, ACC_OK, ACC_WRONG_TYPE };

struct host_file {
	char *path; /* as the guest will see it (no root prefix) */
	enum access_state state;
	int err; /* errno for MISSING/DENIED */
	uint64_t size;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

/* The image formats a firmware descriptor may give its flash files (QEMU's firmware.json):
 * Debian ships raw images, Fedora also qcow2 ones. */
enum flash_format { FLASH_RAW, FLASH_QCOW2 };
const char *flash_format_name(enum flash_format f);

struct firmware_pair {
	char *code, *vars; /* paths as QEMU opens them (no root prefix) */
	enum flash_format code_format, vars_format;
	bool requires_smm; /* -machine smm=on and a secure pflash */
	bool secure_boot; /* features secure-boot and enrolled-keys: Secure Boot on from the start */
};

struct host_facts {
	const char *root;
	struct pci_host pci; /* only what the profile names: its devices' cards and IOMMU groups */
	struct usb_host usb; /* only the profile's [usb] devices that are plugged in */
	uint64_t memlock; /* RLIMIT_MEMLOCK soft, UINT64_MAX for unlimited */
	uint64_t mem_total;
	struct hugepage_pool huge[4];
	unsigned n_huge;
	unsigned n_cpus; /* from sys/devices/system/cpu/online */
	struct host_file kvm, vfio;
	struct firmware_pair firmware;
	bool has_firmware;
	char *firmware_error;
	uid_t uid; /* who runs the launcher */
};

/* Reads everything cheap (pci and usb stay empty: the caller adds what the profile names, and
 * the firmware firmware_find picks for a UEFI guest); file-specific facts are asked for with
 * host_stat. */
int host_facts_read(const char *root, struct host_facts *ret);
/* Only mem_total and the hugepage pools of @ret (the rest zero): what qemu-vm new sizes from. */
void host_memory_read(const char *root, struct host_facts *ret);
void host_facts_free(struct host_facts *f);

/* Classifies ROOT+path: missing, denied (read+write for rw), wrong type (want: S_IFCHR etc, 0 any). */
void host_stat(const char *root, const char *path, bool rw, mode_t want_type, struct host_file *ret);
void host_file_free(struct host_file *f);

/* Firmware descriptors in ROOT/usr/share/qemu/firmware (and /etc, $XDG_CONFIG_HOME overrides),
 * the first uefi/x86_64/q35 pflash one: with @secure_boot, the first whose features hold
 * secure-boot and enrolled-keys (keys in its vars template: Secure Boot is on from the first
 * boot), else one without requires-smm preferred. */
int firmware_find(const char *root, bool secure_boot, struct firmware_pair *ret, char **ret_error);

/* Who holds a path open (scans ROOT/proc/N/fd): "1234 (Xorg)" or NULL. A walk of every process:
 * only to explain a failure. */
char *host_who_holds(const char *root, const char *path);
