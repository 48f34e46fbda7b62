/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Privilege checks and the pre-exec confinement of the launcher. */
#pragma once

#include "util.h"

/* Sets no_new_privs and loads the seccomp deny list; QEMU inherits both across exec. */
int sandbox_apply(void);

enum privilege {
	PRIV_NONE, /* an ordinary user's own process */
	PRIV_ROOT, /* uid 0 throughout, as root starts it: refused unless --allow-root */
	PRIV_ELEVATED, /* set-ID (real and effective or saved IDs differ) or holding a permitted
			* capability as another user: what a copy made set-ID or given file
			* capabilities gets, never to be handed on */
};

/* What the process holds beyond an ordinary user's; the reason in @why unless PRIV_NONE. */
enum privilege privilege_check(char *why, size_t len);
