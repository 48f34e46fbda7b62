/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The launcher's command functions and the options every command shares. */
#pragma once

#include "inspect.h"
#include "qmp.h"

struct global {
	const char *root; /* --host-root, "/" by default */
	bool allow_root;
};

/* Finds and parses the profile NAME (a name or a path), printing every error; 0 or -errno. */
int load_profile(const struct global *g, const char *name, struct profile *ret);
/* Connects to the QMP socket of the running VM NAME; says why not on stderr. 0 or -errno. */
int vm_qmp_open(const char *name, struct qmp *ret);
/* Says why and returns true when the process is set-ID or holds capabilities as another user
 * than root: no command runs then, whatever the options. */
bool refuse_elevated(void);
/* Says why and returns true when running as root, unless --allow-root (run, check, usb). */
bool refuse_privileged(const struct global *g, const char *cmd);

int cmd_run(const struct global *g, int argc, char **argv);
int cmd_check(const struct global *g, int argc, char **argv);
int cmd_show(const struct global *g, int argc, char **argv);
int cmd_list(const struct global *g, int argc, char **argv);
int cmd_devices(const struct global *g, int argc, char **argv);
int cmd_stop(const struct global *g, int argc, char **argv);
int cmd_usb(const struct global *g, int argc, char **argv);
int cmd_desktop(const struct global *g, int argc, char **argv);
int cmd_log(const struct global *g, int argc, char **argv);
