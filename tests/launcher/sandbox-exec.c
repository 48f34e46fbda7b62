// SPDX-License-Identifier: GPL-2.0-or-later
/* sandbox-exec PROGRAM ARG...: runs PROGRAM under the launcher's own no_new_privs and seccomp
 * filter (sandbox_apply, as act.c does before exec), so the tests can start real QEMU under it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "sandbox.h"

int main(int argc, char **argv)
{
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: sandbox-exec PROGRAM [ARG...]\n");
		return 2;
	}
	r = sandbox_apply();
	if (r < 0) {
		fprintf(stderr, "sandbox-exec: installing the seccomp filter: %s\n", strerror(-r));
		return 1;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "sandbox-exec: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
