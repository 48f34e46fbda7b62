// SPDX-License-Identifier: GPL-2.0-or-later
/* The launcher's last steps before exec: no_new_privs and a seccomp filter QEMU inherits. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include "sandbox.h"
/* The deny list of sandbox-rules.h, compiled to BPF at build time (tools/seccomp-gen.c). */
#include "sandbox-bpf.h"

int sandbox_apply(void)
{
	struct sock_fprog prog = {
		.len = (unsigned short)ARRAY_SIZE(sandbox_bpf),
		.filter = (struct sock_filter *)sandbox_bpf,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -errno;
	return 0;
}

int privilege_check(char *why, size_t len)
{
	cap_t caps;
	bool any = false;

	if (getuid() == 0 || geteuid() == 0) {
		snprintf(why, len, "running as root");
		return -EPERM;
	}
	caps = cap_get_proc();
	if (!caps)
		return -errno;
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(caps, c, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET) {
			char *name = cap_to_name(c);
			snprintf(why, len, "running with the effective capability %s", name ? name : "?");
			cap_free(name);
			any = true;
			break;
		}
	}
	cap_free(caps);
	return any ? -EPERM : 0;
}
