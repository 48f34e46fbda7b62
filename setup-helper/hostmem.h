/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Install's runtime powers beyond boot-time binding: huge page pools the group may grow, skipped
 * functions held on no driver, the boot-time VFIO open, and what the platform's interrupts need. */
#pragma once

#include "install-plan.h"

/* Adds the targets for @p's held functions, huge pages on demand, --open-at-boot devices and
 * --allow-unsafe-interrupts; every problem goes to @errors. Pure like the rest of the plan. */
void hostmem_targets(const struct setup_opts *o, const struct install_facts *f, struct setup_plan *p,
		     struct strv *errors);

/* HOOKS=(…) of mkinitcpio.conf @in with modconf added when it is missing (after autodetect and
 * microcode, or udev/systemd, or base); *ret is a copy of @in when it has it already. */
int edit_mkinitcpio_hooks(const char *in, char **ret, char **ret_error);
/* Whether ROOT/etc/mkinitcpio.conf is there and its HOOKS lack modconf. */
bool mkinitcpio_lacks_modconf(const struct setup_opts *o);

/* Whether the running kernel remaps interrupts: /proc/interrupts names the remapped chips
 * "IR-PCI-MSI", "IR-IO-APIC" once it does (no dmesg needed). 1 yes, 0 no, -errno unreadable. */
int interrupts_remapped(const struct setup_opts *o);
/* What scan says after "interrupt remapping: no": the cost and the one fix. */
#define NO_REMAP_HINT                                                                               \
	" (VFIO refuses to assign devices without it; to allow it anyway: sudo vfio-setup install " \
	"--allow-unsafe-interrupts)"

/* vfio-setup open BDF: once the device is on vfio-pci, opens its VFIO container, group and
 * device, then closes them. */
int setup_cmd_open(const struct setup_opts *o);
