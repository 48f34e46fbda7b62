/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Privilege checks and the pre-exec confinement of the launcher. */
#pragma once

#include "util.h"

/* Sets no_new_privs and loads the seccomp deny list; QEMU inherits both across exec. */
int sandbox_apply(void);

/* 0 when the process is an ordinary user: not uid/euid 0 and no effective capability.
 * Otherwise -EPERM and a reason in @why. */
int privilege_check(char *why, size_t len);
