/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Act: the only stage with side effects — run directory, vars copy, confinement, exec. */
#pragma once

#include "plan.h"

/* Creates the run directory and the VM's vars copy, confines itself, execs QEMU.
 * Returns only on failure, with the reason in *@ret_error (the caller frees it). */
int act_exec(const struct profile *p, const struct vm_facts *f, const struct plan *pl, char **ret_error);
