/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inspect: everything the plan needs to know about the host for one profile. */
#pragma once

#include "firmware-vars.h"
#include "handover.h"
#include "host.h"
#include "profile.h"
#include "smt.h"

/* Facts about the files and devices one profile names, gathered by inspect.c. */
struct vm_facts {
	struct host_facts host;
	char *user; /* for hints */
	const char *profile_arg; /* the profile's absolute path, for hints */
	char *run_dir; /* $XDG_RUNTIME_DIR/qemu-vm/NAME */
	bool runtime_fallback; /* XDG_RUNTIME_DIR unset: run_dir is under /tmp/qemu-vm-UID */
	char *qemu_path; /* [vm] qemu = as found (on PATH under the host root), or NULL */
	char *qemu_file; /* the same with the root prefix: what is probed and exec'd */
	int qemu_err; /* why it was not found: ENOENT, EACCES */
	char *vars_path; /* the VM's own copy of the UEFI vars */
	enum vars_state vars_state; /* that copy and the firmware chosen */
	char *vars_made_for; /* VARS_FOREIGN: the firmware it was made for */
	char *swtpm_path, *swtpm_setup_path; /* [tpm]: found on PATH (under the host root), or NULL */
	char *tpm_dir; /* [tpm]: $XDG_DATA_HOME/qemu-vm/NAME/tpm, swtpm's state */
	bool tpm_manufactured; /* its state file is there */
	int tpm_dir_err; /* 0, or why it cannot be written (-errno) */
	struct host_file rom[PROFILE_MAX_DEVICES];
	struct host_file vfio_group[PROFILE_MAX_DEVICES]; /* /dev/vfio/N per [pci] section */
	char *vfio_holder[PROFILE_MAX_DEVICES]; /* "1234 (qemu)" when busy */
	struct host_file disk[PROFILE_MAX_DEVICES];
	struct host_file acpi[PROFILE_MAX_DEVICES];
	struct host_file fwcfg[PROFILE_MAX_DEVICES];
	struct host_file usb_node[PROFILE_MAX_DEVICES]; /* /dev/bus/usb/BBB/DDD of a present device */
	struct host_file lg, audio_socket;
	struct host_file evdev[PROFILE_MAX_EVDEV]; /* per [input] keyboard = or mouse = */
	struct host_file scream; /* [scream] path */
	uint64_t kvmfr_size; /* from the kvmfr module's static_size_mb, 0 if unknown */
	char *audio_socket_path; /* the Pulse or PipeWire socket QEMU will use, or NULL */
	int qemu_has_pipewire; /* 1, 0, or < 0 unknown (the probe's -errno when it ran) */
	int qemu_has_display; /* QEMU has the display gtk or sdl the profile may get: 1, 0, < 0 unknown */
	int qemu_has_spice; /* display = spice: QEMU has SPICE: 1, 0, < 0 unknown */
	char *viewer_path; /* the client qemu-vm viewer would start, as found on PATH, or NULL */
	bool gui_session; /* DISPLAY or WAYLAND_DISPLAY is set: a window can open */
	bool foreign_root; /* the host root is not the running system: nothing in it is run */
	bool logind; /* run/systemd/seats exists: logind (or elogind) runs */
	const char *no_run; /* why QEMU was not asked what it can do, or NULL */
	bool qemu_in_tree; /* qemu_file lies in that tree (found on PATH under it) */
	struct smt_host smt; /* read only for a profile that pins two threads per core */
	struct handover_facts ho; /* [pci] handover = on: the unit, the rule, systemd and polkit */
};

/* Where the VM's sockets go: $XDG_RUNTIME_DIR, else /tmp/qemu-vm-UID (*ret_fallback set; act
 * creates it 0700 and refuses one it does not own). */
char *runtime_base(bool *ret_fallback);

/* @no_run: why nothing may be run to learn what QEMU can do (show; root), or NULL; then only
 * what a check or run by the user cached earlier is known. */
int inspect(const char *root, const struct profile *p, const char *profile_arg, const char *no_run,
	    struct vm_facts *ret);
void vm_facts_free(struct vm_facts *f);
