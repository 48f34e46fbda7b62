/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Act: what run prepares in the user's files before the supervisor starts QEMU. */
#pragma once

#include "plan.h"

/* The VM's vars copy, and the QEMU binary inspect found. 0, or -errno with the reason in
 * *@ret_error (the caller frees it). */
int act_prepare(const struct profile *p, const struct vm_facts *f, const struct plan *pl, char **ret_error);
