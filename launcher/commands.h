/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The launcher's command functions and the options every command shares. */
#pragma once

#include "inspect.h"
#include "plan.h"
#include "qmp.h"

struct global {
	const char *root; /* --host-root, "/" by default */
	bool allow_root;
};

/* What a command's option or positional argument names, for completion. */
enum arg_kind { ARG_NONE, ARG_PROFILE, ARG_RUNNING, ARG_PCI, ARG_USB, ARG_COMMAND, ARG_DIR, ARG_WORDS };

struct command_option {
	const char *name; /* without the leading -- */
	const char *arg; /* its argument as help shows it, NULL when it takes none */
	const char *help;
	enum arg_kind kind;
};

/* One row of a program's command table: help, usage checks, completion and the man page's
 * synopsis test all read it. */
struct command {
	const char *name;
	int (*fn)(const struct global *g, int argc, char **argv);
	const char *args; /* the synopsis after the command's name */
	const char *help; /* one line */
	const struct command_option *opts; /* { NULL }-terminated, or NULL */
	const char *example;
	/* Positional arguments in order; ARG_WORDS takes its choices from @words ("a|b"). */
	enum arg_kind pos[3];
	const char *words;
};

/* qemu-vm __complete WORD... CURRENT: the candidates for CURRENT, one a line, read from the
 * global options @globals, the command table @cmds and the host (profiles, running VMs, PCI and
 * USB devices). */
int complete_words(const struct global *g, const struct command_option *globals, const struct command *cmds,
		   size_t n_cmds, int argc, char **argv);

/* Finds and parses the profile NAME (a name or a path), printing every error; 0 or -errno. */
int load_profile(const struct global *g, const char *name, struct profile *ret);
/* parse → inspect → plan for the profile NAME, errors said; release() gives it all back. @no_run:
 * why QEMU may not be run to learn what it can do, or NULL; @maintenance: its maintenance form. */
int prepare(const struct global *g, const char *name, const char *no_run, bool maintenance, struct profile *p,
	    struct vm_facts *f, struct plan *pl);
void release(struct profile *p, struct vm_facts *f, struct plan *pl);
/* The checks as check prints them; @all: the ok ones too. */
void print_checks(const struct plan *pl, FILE *out, bool all);
/* Connects to the QMP socket of the running VM NAME; says why not on stderr. 0 or -errno. */
int vm_qmp_open(const char *name, struct qmp *ret);
/* $XDG_RUNTIME_DIR/qemu-vm/NAME, checked as the caller's own and 0700 (made when @create); says
 * why not on stderr, except that it does not exist (-ENOENT) when not asked to make it. */
int vm_run_dir(const char *name, bool create, char **ret);
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
int cmd_viewer(const struct global *g, int argc, char **argv);
int cmd_new(const struct global *g, int argc, char **argv);

/* --json output (json.c): stable keys, documented in qemu-vm(1). */
struct json_object;
struct json_object *json_out_new_array(void);
/* Prints @o, pretty, and frees it. */
void json_out_print(struct json_object *o);
struct vm_state;
/* @run: what the supervisor of the running VM says, or NULL when it does not run. */
void json_out_profile(struct json_object *list, const char *name, const char *title, const char *path,
		      const char *where, bool valid, const struct vm_state *run);
void json_out_devices(const struct pci_dev_info *const *pci, size_t n_pci, const struct usb_host *usb);
void json_out_check(const char *name, const struct plan *pl);
void json_out_show(const char *name, const struct plan *pl);
