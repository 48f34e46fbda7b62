/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu-vm new: a commented profile made from the host's facts. */
#pragma once

#include "host.h"

#define NEW_MAX_GPUS 8
#define NEW_MAX_CORES 512

/* One physical core: its CPUs, the first the lowest. */
struct new_core {
	uint16_t cpu[8];
	unsigned n;
};

/* A USB device a guest may want: a keyboard, mouse or game controller. */
struct new_usb {
	char port[48]; /* bus-port, as [usb] port = takes it */
	uint16_t vendor, product;
	char name[128];
	const char *kind; /* "keyboard", "mouse", "game controller", "input device" */
};

/* What new reads of the host (new.c gathers it); the profile is a pure function of it. */
struct new_facts {
	struct pci_host pci; /* every function, with names */
	int8_t *boot_vga; /* per pci.dev: 1 boot GPU, 0 not, -1 no such file */
	int *drm_connectors; /* per pci.dev: connectors of its DRM card, -1 when it has none */
	char internal_panel[32]; /* an eDP/LVDS/DSI connector ("card0-eDP-1") of any card, or "" */
	char monitor[32]; /* the largest connected monitor's connector, "" for none */
	unsigned width, height; /* its largest mode */
	uint64_t mem_total;
	struct hugepage_pool huge[4];
	unsigned n_huge;
	struct new_core *cores; /* by their first CPU */
	unsigned n_cores;
	bool kvmfr; /* ROOT/dev/kvmfr0 exists */
	struct new_usb *usb;
	size_t n_usb;
};

struct new_options {
	const char *name;
	struct pci_addr gpu[NEW_MAX_GPUS];
	unsigned n_gpu;
	const char *disk; /* absolute */
	uint64_t disk_size; /* 0: the file exists and is used as it is */
	const char *iso, *virtio_iso; /* absolute */
	bool windows11; /* --windows 11: [tpm] and secure-boot = on */
};

/* The profile's text for @o on a host with @f; or -EINVAL and *ret_error (the GPU to pick, the
 * device in the way of an IOMMU group). */
int new_profile_text(const struct new_facts *f, const struct new_options *o, char **ret_text,
		     char **ret_error);

/* Guest RAM for a host with @mem_total bytes: half, at most all but 4G, in whole G (at least 1G). */
uint64_t new_guest_memory(uint64_t mem_total);
/* "PATH" or "PATH:SIZE" (SIZE like 64G); *ret_size 0 without one. -EINVAL for a bad SIZE or an empty path. */
int new_parse_disk(const char *arg, char **ret_path, uint64_t *ret_size);
/* The largest mode (by area) of a DRM connector's modes file ("2560x1440\n1920x1080\n…"). */
bool new_largest_mode(const char *modes, unsigned *ret_w, unsigned *ret_h);
/* Whether the card at index @i is on an Optimus laptop: a 3D controller, or a GPU without
 * display outputs (a DRM card without connectors; bound elsewhere, a host whose own GPU drives
 * the internal panel). */
bool new_is_optimus(const struct new_facts *f, size_t i);

int new_facts_read(const char *root, struct new_facts *ret);
void new_facts_free(struct new_facts *f);
