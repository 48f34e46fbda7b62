/* SPDX-License-Identifier: GPL-2.0-or-later */
/* [tpm]: swtpm found and its state looked at (inspect), started and stopped (supervisor). */
#pragma once

#include <signal.h>
#include "inspect.h"

/* The socket in the run directory QEMU's TPM chardev connects to, swtpm's control channel. */
#define TPM_SOCKET "tpm.sock"
/* The file swtpm keeps a TPM 2.0's state in: there once the TPM is manufactured. */
#define TPM_STATE_FILE "tpm2-00.permall"

/* Fills f->swtpm*, f->tpm_dir and what is known about it; nothing without [tpm]. */
void tpm_inspect(const char *root, const struct profile *p, struct vm_facts *f);

/* swtpm while the VM runs, for the supervisor. */
struct tpm_run {
	pid_t pid;
	int pidfd;
	bool exited;
	char *sock;
	void (*log)(void *ctx, const char *msg);
	void *ctx;
};

/* Without [tpm], nothing. Otherwise manufactures the TPM on its first run (swtpm_setup, EK and
 * platform certificates from a CA of the VM's own), listens on RUN_DIR/tpm.sock and starts
 * swtpm on it, with its output on @out_fd (the run's log; -1: none) and the signal mask @mask.
 * 0, or -errno with the reason and its hint in *@ret_error. */
int tpm_start(struct tpm_run *t, const struct profile *p, const struct vm_facts *f, int out_fd,
	      const sigset_t *mask, char **ret_error);
/* On SIGCHLD: swtpm reaped and logged if it is what exited. With @vm_running (QEMU has not
 * exited nor been asked to) and an exit other than swtpm's clean one when QEMU closes the
 * channel, the log says the guest lost its TPM; the VM goes on (a powerdown would cost the
 * user unsaved work). */
void tpm_reap(struct tpm_run *t, bool vm_running);
/* After QEMU: swtpm (which ends when QEMU closes its channel) waited for, then SIGTERM and
 * SIGKILL if it does not; the socket removed. Each step logged. Safe to call twice. */
void tpm_stop(struct tpm_run *t);
