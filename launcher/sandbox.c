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

enum privilege privilege_check(char *why, size_t len)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	cap_t caps;
	enum privilege priv = PRIV_NONE;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		snprintf(why, len, "its user and group IDs are unreadable (%s)", strerror(errno));
		return PRIV_ELEVATED;
	}
	if (ru != eu || ru != su) {
		snprintf(why, len, "real and effective user IDs differ (uid %u, euid %u, saved %u)",
			 (unsigned)ru, (unsigned)eu, (unsigned)su);
		return PRIV_ELEVATED;
	}
	if (rg != eg || rg != sg) {
		snprintf(why, len, "real and effective group IDs differ (gid %u, egid %u, saved %u)",
			 (unsigned)rg, (unsigned)eg, (unsigned)sg);
		return PRIV_ELEVATED;
	}
	if (ru == 0) {
		snprintf(why, len, "running as root");
		return PRIV_ROOT;
	}
	caps = cap_get_proc();
	if (!caps) {
		snprintf(why, len, "its capabilities are unreadable (%s)", strerror(errno));
		return PRIV_ELEVATED;
	}
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(caps, c, CAP_PERMITTED, &v) == 0 && v == CAP_SET) {
			char *name = cap_to_name(c);
			snprintf(why, len, "holding the permitted capability %s", name ? name : "?");
			cap_free(name);
			priv = PRIV_ELEVATED;
			break;
		}
	}
	cap_free(caps);
	return priv;
}
