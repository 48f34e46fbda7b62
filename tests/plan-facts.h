/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hand-made host facts for plan_build(), shared by the plan unit tests and the plan fuzz target. */
#pragma once

#include "plan.h"

/* One PCI function; on a bus other than 0 its parent is the bridge 00:01.0. */
struct pci_dev_info facts_dev(unsigned bus, unsigned slot, unsigned fn, uint16_t v, uint16_t d,
			      uint32_t class, const char *driver, int group);
/* The laptop of the seed case: GPU 01:00.0 (bound to @gpu_driver) + audio 01:00.1 behind
 * 00:01.0, all in group 1, with KVM, VFIO and UEFI firmware usable. */
void laptop_facts(struct vm_facts *f, const char *gpu_driver);
/* Frees what laptop_facts() and the tests put into @f. */
void free_facts(struct vm_facts *f);
