/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Install's runtime powers beyond boot-time binding: huge page pools the group may grow, skipped
 * functions held on no driver, the boot-time VFIO open, and what the platform's interrupts need. */
#pragma once

#include "install-plan.h"

/* Adds the targets for @p's held functions, huge pages on demand, --open-at-boot devices and
 * --allow-unsafe-interrupts; every problem goes to @errors. Pure like the rest of the plan. */
void hostmem_targets(const struct setup_opts *o, const struct install_facts *f, struct setup_plan *p,
		     struct strv *errors);

/* install on a mkinitcpio host: whether HOOKS of mkinitcpio.conf, as it was before the first
 * install, lacks modconf (f->hooks_lack_modconf), or cannot be edited to have it (f->hooks_error). */
struct engine;
void mkinitcpio_hooks_read(struct engine *e, struct install_facts *f);

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
