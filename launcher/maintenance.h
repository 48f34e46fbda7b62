/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run --maintenance: the same VM without passthrough, with a display of its own. */
#pragma once

#include "profile.h"

/* Makes @p its maintenance form: the same disks, firmware, vars, network (and what else the
 * profile's VM keeps), without [pci], evdev input and Looking Glass, with a virtio-vga display
 * (GTK in a desktop session, SPICE otherwise) and a USB tablet; sets p->maintenance, which the
 * plan's other parts test for what they leave out. */
void profile_maintenance(struct profile *p);
