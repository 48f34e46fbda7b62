/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inspect: everything the plan needs to know about the host for one profile. */
#pragma once

#include "plan.h"

int inspect(const char *root, const struct profile *p, const char *profile_arg, struct vm_facts *ret);
void vm_facts_free(struct vm_facts *f);

/* Whether the QEMU binary has the pipewire audio driver: from the cache under
 * $XDG_CACHE_HOME/qemu-vm, keyed by the binary's path, size and mtime; probed once otherwise. */
int qemu_has_pipewire(const char *qemu);
