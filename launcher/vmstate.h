/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VM's run directory, its lock and its state file: what run holds and other commands read. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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

/* RUN_DIR/FILE, allocated. */
char *vm_run_file(const char *run_dir, const char *file);

/* $XDG_STATE_HOME/qemu-vm/NAME/qemu.log, or NULL without a home. */
char *vm_log_path(const char *name);
