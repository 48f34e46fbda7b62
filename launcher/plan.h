/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plan: a pure function from a profile and the host's facts to QEMU's argv and the checks. */
#pragma once

#include "inspect.h"

enum check_level { CHECK_OK, CHECK_WARN, CHECK_FAIL };

struct check {
	enum check_level level;
	char *what; /* "/dev/kvm: usable" */
	char *fix; /* the one command that fixes it, or NULL */
};

struct plan {
	struct strv argv;
	struct check *checks;
	size_t n_checks;
};

/* The backend QEMU gets for [audio] backend = @configured: auto is pipewire when QEMU has the
 * driver (@qemu_has_pipewire 1), pulseaudio otherwise, when unknown too. */
enum audio_backend plan_audio_backend(enum audio_backend configured, int qemu_has_pipewire);

void plan_build(const struct profile *p, const struct vm_facts *f, struct plan *ret);
/* What the supervisor's logind inhibitor blocks ("sleep:idle", "sleep"), or NULL for none:
 * inhibit = auto means sleep and idle when a PCI device or evdev input is passed, which the
 * host's own idle detection never sees used. */
const char *plan_inhibit(const struct profile *p);
/* Whether the VM has something to show the user without a terminal: a window (display), Looking
 * Glass, or a passed GPU with its own monitor. */
bool plan_has_display(const struct profile *p, const struct vm_facts *f);
void plan_free(struct plan *pl);
bool plan_ok(const struct plan *pl);

/* The bus of the xHCI controller, and the qdev id of the profile's USB entry @index: what
 * qemu-vm usb attach and detach must use for the same device. */
#define PLAN_USB_CONTROLLER "xhci"
#define PLAN_USB_BUS PLAN_USB_CONTROLLER ".0"
void plan_usb_id(unsigned index, char *buf, size_t len);
/* Whether the VM gets that controller: a [usb] section or a USB pointer. */
bool plan_has_usb_controller(const struct profile *p);

/* The QMP sockets in the VM's run directory: one for qemu-vm stop, usb and the user's tools,
 * one the supervisor keeps for itself. */
#define PLAN_QMP_SOCKET "qmp.sock"
#define PLAN_SUPERVISOR_SOCKET "supervisor.sock"
/* display = spice: the SPICE server's socket, in the same directory. */
#define PLAN_SPICE_SOCKET "spice.sock"

/* A word as a POSIX shell would read it back, quoted only when needed. */
char *shell_quote(const char *s);
