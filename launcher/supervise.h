/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu-vm run as the VM's supervisor, and what other commands learn about a running VM. */
#pragma once

#include <sys/types.h>
#include "plan.h"

/* The VM's run directory: $XDG_RUNTIME_DIR/qemu-vm/NAME (/tmp/qemu-vm-UID/... without it).
 * Every directory on the way from the runtime directory must be the caller's and 0700, or
 * another user could have planted what we find there. With @create the missing ones are made.
 * 0 or -errno, with the reason and its hint in @why. */
int run_dir_check(const char *run_dir, bool fallback, bool create, char *why, size_t len);

/* What the state file beside the lock says about a running supervisor. */
struct vm_state {
	pid_t supervisor, qemu;
	char phase[32];
	long long since; /* seconds since the epoch */
};

/* Whether a supervisor holds the VM's lock; with @ret_state filled from its state file. */
bool vm_running(const char *run_dir, struct vm_state *ret_state);

/* Takes the VM's lock (an flock on RUN_DIR/lock). 0 and the fd, or -EBUSY with the holder's
 * state in @ret_state, or another -errno. */
int vm_lock(const char *run_dir, int *ret_fd, struct vm_state *ret_state);

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

/* $XDG_STATE_HOME/qemu-vm/NAME/qemu.log, or NULL without a home. */
char *vm_log_path(const char *name);
