// SPDX-License-Identifier: GPL-2.0-or-later
/* What the QEMU binary can do, learned once per binary and cached as libvirt caches capabilities. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "fsutil.h"
#include "profile.h"
#include "qemu-caps.h"

extern char **environ;

/* Runs "QEMU -audiodev help" without a shell and looks for the pipewire driver. */
static int probe_pipewire(const char *qemu)
{
	char *const argv[] = { (char *)qemu, (char *)"-audiodev", (char *)"help", NULL };
	posix_spawn_file_actions_t fa;
	int pipefd[2], status;
	pid_t pid;
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	int r;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&pid, qemu, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r != 0) {
		close(pipefd[0]);
		return -r;
	}
	while ((n = read(pipefd[0], buf + len, sizeof(buf) - 1 - len)) > 0 && len < sizeof(buf) - 1)
		len += (size_t)n;
	close(pipefd[0]);
	buf[len] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	for (char *save, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (streq(line, "pipewire"))
			return 1;
	return 0;
}

int qemu_has_pipewire(const char *bin, bool may_run)
{
	_cleanup_free_ char *cache_dir = expand_path("$XDG_CACHE_HOME/qemu-vm");
	_cleanup_free_ char *cache = NULL, *content = NULL, *key = NULL;
	struct stat st;
	int r;

	if (stat(bin, &st) < 0)
		return -errno;
	key = xasprintf("%s\t%" PRIu64 "\t%" PRId64 ".%09ld\t", bin, (uint64_t)st.st_size,
			(int64_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (cache_dir) {
		cache = xasprintf("%s/qemu-caps", cache_dir);
		if (read_small_file(cache, &content) == 0) {
			for (char *save, *line = strtok_r(content, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				if (startswith(line, key) && startswith(line + strlen(key), "pipewire="))
					return line[strlen(key) + 9] == '1';
		}
	}
	if (!may_run)
		return -EAGAIN;
	r = probe_pipewire(bin);
	if (r < 0 || !cache)
		return r;
	/* One line per binary; a newer entry for the same path replaces the old one. */
	{
		struct strv keep = { 0 };
		_cleanup_free_ char *old = NULL, *path_tab = xasprintf("%s\t", bin);
		size_t total = 0;
		char *out, *o;

		if (read_small_file(cache, &old) == 0)
			for (char *save, *line = strtok_r(old, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				if (!startswith(line, path_tab) && keep.n < 32)
					strv_push(&keep, line);
		strv_pushf(&keep, "%spipewire=%d", key, r);
		for (size_t i = 0; i < keep.n; i++)
			total += strlen(keep.v[i]) + 1;
		out = o = xmalloc(total + 1);
		for (size_t i = 0; i < keep.n; i++)
			o += sprintf(o, "%s\n", keep.v[i]);
		(void)mkdir_parents(cache_dir, 0700);
		(void)write_file_atomic(cache, out, total, 0600);
		free(out);
		strv_clear(&keep);
	}
	return r;
}
