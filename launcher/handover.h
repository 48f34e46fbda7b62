/* SPDX-License-Identifier: GPL-2.0-or-later */
/* [pci] handover = on: the facts check reads, its checks, and the supervisor's start and stop
 * of the qemu-vm-handover@ units over the system bus. */
#pragma once

#include <stdbool.h>
#include "profile.h"

#define HANDOVER_UNIT_DIR "/etc/systemd/system"
#define HANDOVER_UNIT_FILE HANDOVER_UNIT_DIR "/qemu-vm-handover@.service"
#define HANDOVER_RULE_FILE "/etc/polkit-1/rules.d/50-qemu-vm-handover.rules"
#define HANDOVER_UNIT_MAX 64

struct handover_facts {
	bool any; /* a section has handover = on */
	bool systemd; /* run/systemd/system: systemd is PID 1 */
	bool polkit; /* polkitd is D-Bus activatable on the system bus */
	bool unit; /* the template unit is installed */
	int rule_err; /* 0: the rule could be read; else errno (ENOENT: missing) */
	char *rule; /* its text, when read */
};

/* "qemu-vm-handover@0000:01:00.0.service" for @a. */
void handover_unit_name(const struct pci_addr *a, char *buf, size_t len);
void handover_inspect(const char *root, const struct profile *p, struct handover_facts *ret);
void handover_facts_free(struct handover_facts *f);

/* The supervisor's part: the units it started, stopped in reverse order after QEMU. */
struct handover_run {
	char units[PROFILE_MAX_DEVICES][HANDOVER_UNIT_MAX];
	unsigned n; /* asked to start (also the one whose start failed) */
};
typedef void (*handover_say_fn)(void *ctx, const char *msg);

/* Starts the unit of each handover device, through systemd, and waits for each job. 0, or
 * -errno with the reason and its fix in *@ret_error (the units asked so far are in @run, to be
 * stopped by handover_give_back whatever happened). */
int handover_take(const struct profile *p, const struct handover_facts *f, struct handover_run *run,
		  handover_say_fn say, void *ctx, char **ret_error);
void handover_give_back(struct handover_run *run, handover_say_fn say, void *ctx);
