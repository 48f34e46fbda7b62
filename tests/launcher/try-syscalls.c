// SPDX-License-Identifier: GPL-2.0-or-later
/* A stand-in for QEMU that tries each call the launcher's seccomp filter denies, each in a child
 * of its own, and prints "NAME RESULT" (ok, or the errno's name); then whether a thread and a
 * fork still work (glibc must fall back from clone3 to clone). Arguments are ignored. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long try(const char *name)
{
	if (!strcmp(name, "open_tree"))
		return syscall(SYS_open_tree, -1, NULL, 0);
	if (!strcmp(name, "move_mount"))
		return syscall(SYS_move_mount, -1, NULL, -1, NULL, 0);
	if (!strcmp(name, "fsopen"))
		return syscall(SYS_fsopen, NULL, 0);
	if (!strcmp(name, "fsconfig"))
		return syscall(SYS_fsconfig, -1, 0, NULL, NULL, 0);
	if (!strcmp(name, "fsmount"))
		return syscall(SYS_fsmount, -1, 0, 0);
	if (!strcmp(name, "fspick"))
		return syscall(SYS_fspick, -1, NULL, 0);
	if (!strcmp(name, "mount_setattr"))
		return syscall(SYS_mount_setattr, -1, NULL, 0, NULL, 0);
	if (!strcmp(name, "pidfd_getfd"))
		return syscall(SYS_pidfd_getfd, -1, 0, 0);
	if (!strcmp(name, "kcmp"))
		return syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, 0, 0);
	if (!strcmp(name, "userfaultfd"))
		return syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */);
	if (!strcmp(name, "unshare-newuser"))
		return syscall(SYS_unshare, CLONE_NEWUSER);
	if (!strcmp(name, "clone-newuser")) {
		long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return pid;
	}
	if (!strcmp(name, "clone3"))
		return syscall(SYS_clone3, NULL, 0);
	errno = EINVAL;
	return -1;
}

static void *thread(void *arg)
{
	return arg;
}

int main(void)
{
	static const char *const names[] = { "open_tree", "move_mount",	 "fsopen",	    "fsconfig",
					     "fsmount",	  "fspick",	 "mount_setattr",   "pidfd_getfd",
					     "kcmp",	  "userfaultfd", "unshare-newuser", "clone-newuser",
					     "clone3" };
	pthread_t t;
	pid_t pid;
	int status;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			printf("fork %s\n", strerrorname_np(errno));
			return 1;
		}
		if (pid == 0) {
			long r = try(names[i]);
			printf("%s %s\n", names[i], r >= 0 ? "ok" : strerrorname_np(errno));
			fflush(stdout);
			_exit(0);
		}
		waitpid(pid, &status, 0);
	}
	status = pthread_create(&t, NULL, thread, NULL);
	printf("thread %s\n", status == 0 ? "ok" : strerrorname_np(status));
	if (status == 0)
		pthread_join(t, NULL);
	return 0;
}
