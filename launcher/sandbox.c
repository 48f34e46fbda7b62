// SPDX-License-Identifier: GPL-2.0-or-later
/* The launcher's last steps before exec: no_new_privs and a seccomp filter QEMU inherits. */
#include <errno.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include "sandbox.h"

/*
 * A deny list, not an allow list: QEMU installs its own, stricter filter with -sandbox once
 * it has set up, and seccomp filters stack, so ours only has to take away what no VM launch
 * needs at any point (module loading, mounts, kexec, ptrace of other processes, keyrings,
 * clock setting, BPF, perf) and must leave seccomp(2) itself allowed.
 */
static const char *const denied[] = {
	"acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "adjtimex", "delete_module",
	"finit_module", "fanotify_init", "init_module", "iopl", "ioperm", "kexec_file_load",
	"kexec_load", "keyctl", "lookup_dcookie", "mount", "move_mount", "fsopen", "fsmount",
	"open_by_handle_at", "perf_event_open", "pivot_root", "process_vm_readv", "process_vm_writev",
	"ptrace", "quotactl", "reboot", "request_key", "setns", "settimeofday", "swapoff", "swapon",
	"syslog", "umount2", "uselib", "ustat", "vhangup",
};

int sandbox_apply(void)
{
	scmp_filter_ctx ctx;
	int r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0) {
			seccomp_release(ctx);
			return r;
		}
	}
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
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
