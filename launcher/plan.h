/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plan: a pure function from a profile and the host's facts to QEMU's argv and the checks. */
#pragma once

#include "host.h"
#include "profile.h"

/* Facts about the files and devices one profile names, gathered by inspect.c. */
struct vm_facts {
	struct host_facts host;
	const char *user;        /* for hints */
	const char *profile_arg; /* what the user typed, for hints */
	char *run_dir;           /* $XDG_RUNTIME_DIR/qemu-vm/NAME */
	bool runtime_fallback;   /* XDG_RUNTIME_DIR unset: run_dir is under /tmp/qemu-vm-UID */
	char *qemu_path;         /* [vm] qemu = as found (on PATH under the host root), or NULL */
	char *qemu_file;         /* the same with the root prefix: what is probed and exec'd */
	int qemu_err;            /* why it was not found: ENOENT, EACCES */
	char *vars_path;         /* the VM's own copy of the UEFI vars */
	bool vars_exists;
	struct host_file rom[PROFILE_MAX_DEVICES];
	struct host_file vfio_group[PROFILE_MAX_DEVICES]; /* /dev/vfio/N per [pci] section */
	char *vfio_holder[PROFILE_MAX_DEVICES];           /* "1234 (qemu)" when busy */
	struct host_file disk[PROFILE_MAX_DEVICES];
	struct host_file acpi[PROFILE_MAX_DEVICES];
	struct host_file fwcfg[PROFILE_MAX_DEVICES];
	struct host_file usb_node[PROFILE_MAX_DEVICES];   /* /dev/bus/usb/BBB/DDD of a present device */
	struct host_file lg, audio_socket, keyboard, mouse;
	uint64_t kvmfr_size;     /* from the kvmfr module's static_size_mb, 0 if unknown */
	char *audio_socket_path; /* the Pulse or PipeWire socket QEMU will use, or NULL */
	int qemu_has_pipewire;   /* 1, 0, or < 0 unknown (the probe's -errno when it ran) */
	bool foreign_root;       /* the host root is not the running system: nothing in it is run */
	bool qemu_in_tree;       /* qemu_file lies in that tree (found on PATH under it) */
};

enum check_level { CHECK_OK, CHECK_WARN, CHECK_FAIL };

struct check {
	enum check_level level;
	char *what; /* "/dev/kvm: usable" */
	char *fix;  /* the one command that fixes it, or NULL */
};

struct plan {
	struct strv argv;
	struct check *checks;
	size_t n_checks;
	struct cpuset affinity; /* CPUs QEMU is confined to; n == 0 for none */
};

/* The backend QEMU gets for [audio] backend = @configured: auto is pipewire when QEMU has the
 * driver (@qemu_has_pipewire 1), pulseaudio otherwise, when unknown too. */
enum audio_backend plan_audio_backend(enum audio_backend configured, int qemu_has_pipewire);

void plan_build(const struct profile *p, const struct vm_facts *f, struct plan *ret);
void plan_free(struct plan *pl);
bool plan_ok(const struct plan *pl);

/* The bus of the xHCI controller, and the qdev id of the profile's USB entry @index: what
 * qemu-vm usb attach and detach must use for the same device. */
#define PLAN_USB_CONTROLLER "xhci"
#define PLAN_USB_BUS PLAN_USB_CONTROLLER ".0"
void plan_usb_id(unsigned index, char *buf, size_t len);
/* Whether the VM gets that controller: a [usb] section or a USB pointer. */
bool plan_has_usb_controller(const struct profile *p);

/* A word as a POSIX shell would read it back, quoted only when needed. */
char *shell_quote(const char *s);
