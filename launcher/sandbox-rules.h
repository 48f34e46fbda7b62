/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The launcher's seccomp deny list: the one source both the build-time compiler of the filter
 * (tools/seccomp-gen.c) and the tests read. */
#pragma once

#include <errno.h>
#include <sched.h>

/*
 * A deny list, not an allow list: QEMU installs its own, stricter filter with -sandbox once
 * it has set up, and seccomp filters stack, so ours only has to take away what no VM launch
 * needs at any point (module loading, mounts and the new mount API, kexec, ptrace and the
 * other ways into another process's memory or files, keyrings, clock setting, BPF, perf,
 * userfaultfd, new user namespaces) and must leave seccomp(2) itself allowed. Each was checked
 * against real QEMU running every example profile under the filter (tests/run-qemu.sh).
 */
struct sandbox_rule {
	const char *syscall;
	int err; /* the errno the call fails with */
	int flag_arg; /* -1: every call; else the argument whose flag bits are tested */
	unsigned long flags; /* denied when (argument & flags) != 0 */
};

/* clone's flags are its first argument everywhere but s390 (stack first there). */
#if defined(__s390__) || defined(__s390x__)
#define SANDBOX_CLONE_FLAGS_ARG 1
#else
#define SANDBOX_CLONE_FLAGS_ARG 0
#endif

static const struct sandbox_rule sandbox_rules[] = {
	{ "acct", EPERM, -1, 0 },
	{ "add_key", EPERM, -1, 0 },
	{ "adjtimex", EPERM, -1, 0 },
	{ "bpf", EPERM, -1, 0 },
	{ "clock_adjtime", EPERM, -1, 0 },
	{ "clock_settime", EPERM, -1, 0 },
	{ "delete_module", EPERM, -1, 0 },
	{ "fanotify_init", EPERM, -1, 0 },
	{ "finit_module", EPERM, -1, 0 },
	{ "fsconfig", EPERM, -1, 0 },
	{ "fsmount", EPERM, -1, 0 },
	{ "fsopen", EPERM, -1, 0 },
	{ "fspick", EPERM, -1, 0 },
	{ "init_module", EPERM, -1, 0 },
	{ "ioperm", EPERM, -1, 0 },
	{ "iopl", EPERM, -1, 0 },
	{ "kcmp", EPERM, -1, 0 },
	{ "kexec_file_load", EPERM, -1, 0 },
	{ "kexec_load", EPERM, -1, 0 },
	{ "keyctl", EPERM, -1, 0 },
	{ "lookup_dcookie", EPERM, -1, 0 },
	{ "mount", EPERM, -1, 0 },
	{ "mount_setattr", EPERM, -1, 0 },
	{ "move_mount", EPERM, -1, 0 },
	{ "open_by_handle_at", EPERM, -1, 0 },
	{ "open_tree", EPERM, -1, 0 },
	{ "perf_event_open", EPERM, -1, 0 },
	{ "pidfd_getfd", EPERM, -1, 0 },
	{ "pivot_root", EPERM, -1, 0 },
	{ "process_vm_readv", EPERM, -1, 0 },
	{ "process_vm_writev", EPERM, -1, 0 },
	{ "ptrace", EPERM, -1, 0 },
	{ "quotactl", EPERM, -1, 0 },
	{ "reboot", EPERM, -1, 0 },
	{ "request_key", EPERM, -1, 0 },
	{ "setns", EPERM, -1, 0 },
	{ "settimeofday", EPERM, -1, 0 },
	{ "swapoff", EPERM, -1, 0 },
	{ "swapon", EPERM, -1, 0 },
	{ "syslog", EPERM, -1, 0 },
	{ "umount2", EPERM, -1, 0 },
	{ "userfaultfd", EPERM, -1, 0 },
	{ "uselib", EPERM, -1, 0 },
	{ "ustat", EPERM, -1, 0 },
	{ "vhangup", EPERM, -1, 0 },
	/* A new user namespace gives back, inside it, every capability this list assumes gone. */
	{ "unshare", EPERM, 0, CLONE_NEWUSER },
	{ "clone", EPERM, SANDBOX_CLONE_FLAGS_ARG, CLONE_NEWUSER },
	/* clone3 passes its flags in memory, which seccomp cannot read: ENOSYS makes glibc (2.34
	 * and later, for threads and fork) fall back to clone, where the flags are checked. */
	{ "clone3", ENOSYS, -1, 0 },
};
