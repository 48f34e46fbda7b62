/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inspect: everything the plan needs to know about the host for one profile. */
#pragma once

#include "plan.h"

/* Where the VM's sockets go: $XDG_RUNTIME_DIR, else /tmp/qemu-vm-UID (*ret_fallback set; act
 * creates it 0700 and refuses one it does not own). */
char *runtime_base(bool *ret_fallback);

int inspect(const char *root, const struct profile *p, const char *profile_arg, struct vm_facts *ret);
void vm_facts_free(struct vm_facts *f);

/* Whether the QEMU binary @bin (a path, as inspect found it) has the pipewire audio driver:
 * from the cache under $XDG_CACHE_HOME/qemu-vm, keyed by the binary's path, size and mtime;
 * probed once otherwise. */
int qemu_has_pipewire(const char *bin);
