/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu-vm run as the VM's supervisor, and what other commands learn about a running VM. */
#pragma once

#include <sys/types.h>
#include "plan.h"
#include "vmstate.h"

struct supervise_opts {
	bool detach; /* return once QMP answers; go on in the background */
	bool desktop; /* started without a terminal: a failed start becomes a notification */
	const char *profile_arg;
};

/* Forks QEMU (paused), pins its threads, lets it run and stays beside it until it exits.
 * Takes over @lock_fd. Returns the exit code for qemu-vm run. */
int supervise(const struct profile *p, const struct vm_facts *f, const struct plan *pl, int lock_fd,
	      const struct supervise_opts *o);

/* A start refused before QEMU runs: with @desktop, the reason and its fix go to a new log and
 * to a desktop notification, since nobody reads the terminal of a menu entry. */
void run_refused(const char *name, bool desktop, const char *what, const char *fix);
