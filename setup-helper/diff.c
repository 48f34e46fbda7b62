// SPDX-License-Identifier: GPL-2.0-or-later
/* Unified diffs by GNU diff run as a child (no shell), fed each side through a memfd. */
#include <errno.h>
#include <spawn.h>
#include <sys/mman.h>
#include "diff.h"
#include "setup.h"

/* A sealed-off copy of @data to hand to a child, or -errno. */
static int memfd_of(const char *data, size_t len)
{
	int fd = memfd_create("vfio-setup-diff", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int r = n < 0 ? -errno : -EIO;
			close(fd);
			return r;
		}
		off += (size_t)n;
	}
	return fd;
}

int show_diff(int out_fd, const char *a_label, const char *a, size_t alen, const char *b_label, const char *b,
	      size_t blen)
{
	/* The C locale: "\ No newline at end of file" is translated otherwise. */
	static char *const envp[] = { (char *)"LC_ALL=C", NULL };
	const char *argv[] = { "diff",	    "-u",
			       "--label",   a ? a_label : "/dev/null",
			       "--label",   b ? b_label : "/dev/null",
			       "/dev/fd/3", "/dev/fd/4",
			       NULL };
	_cleanup_close_ int fa = memfd_of(a ? a : "", a ? alen : 0);
	_cleanup_close_ int fb = memfd_of(b ? b : "", b ? blen : 0);
	posix_spawn_file_actions_t acts;
	int r;

	if (fa < 0 || fb < 0)
		return fa < 0 ? fa : fb;
	posix_spawn_file_actions_init(&acts);
	/* dup2 clears close-on-exec on the copy: only these reach diff. */
	posix_spawn_file_actions_adddup2(&acts, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&acts, fa, 3);
	posix_spawn_file_actions_adddup2(&acts, fb, 4);
	r = spawn_wait(argv, &acts, envp);
	posix_spawn_file_actions_destroy(&acts);
	/* 0: equal, 1: different, anything else: trouble (diff said why on stderr). */
	if (r < 0)
		return r;
	return r <= 1 ? 0 : -EIO;
}
