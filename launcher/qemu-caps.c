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

/* What the cache holds for an option QEMU refused: no name is spelt so. */
#define REFUSED "!"

/* The strings of @s, each followed by @sep. */
static char *join(const struct strv *s, char sep)
{
	size_t total = 1;
	char *out, *o;

	for (size_t i = 0; i < s->n; i++)
		total += strlen(s->v[i]) + 1;
	out = o = xmalloc(total);
	for (size_t i = 0; i < s->n; i++) {
		size_t len = strlen(s->v[i]);
		memcpy(o, s->v[i], len);
		o[len] = sep;
		o += len + 1;
	}
	*o = '\0';
	return out;
}

/* Runs "QEMU @opt help" without a shell; the names it lists (every one-word line after the
 * heading), comma-separated, in *@ret. With @refusal_ok, QEMU refusing the option (exit 1,
 * nothing listed) is an answer too: "!". */
static int probe(const char *qemu, const char *opt, bool refusal_ok, char **ret)
{
	char *const argv[] = { (char *)qemu, (char *)opt, (char *)"help", NULL };
	posix_spawn_file_actions_t fa;
	int pipefd[2], status;
	pid_t pid;
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	struct strv names = { 0 };
	bool heading = true;
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
	/* QEMU 7.2 exits 1 after listing an option group's keys too: the listing is the answer. */
	if (refusal_ok && WIFEXITED(status) && WEXITSTATUS(status) == 1 && len == 0) {
		*ret = xstrdup(REFUSED);
		return 0;
	}
	if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && !(refusal_ok && len > 0)))
		return -EIO;
	for (char *save, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (heading && strchr(line, ' ')) /* "Available audio drivers:" */
			continue;
		heading = false;
		if (*line && strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(line))
			strv_push(&names, line);
	}
	*ret = join(&names, ',');
	if (names.n)
		(*ret)[strlen(*ret) - 1] = '\0'; /* no trailing comma */
	strv_clear(&names);
	return 0;
}

/* Whether the comma-separated @list holds @name. */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *t = list; t; t = strchr(t, ',') ? strchr(t, ',') + 1 : NULL)
		if (strncmp(t, name, len) == 0 && (t[len] == ',' || t[len] == '\0'))
			return true;
	return false;
}

/* What "QEMU -@cap help" lists, from the cache (one line per binary and question, keyed by
 * path, size and mtime), else asked once when @may_run and cached; REFUSED for an option QEMU
 * does not know, when @refusal_ok. */
static int cached_list(const char *bin, const char *cap, bool may_run, bool refusal_ok, char **ret)
{
	_cleanup_free_ char *cache_dir = expand_path("$XDG_CACHE_HOME/qemu-vm");
	_cleanup_free_ char *cache = NULL, *content = NULL, *key = NULL, *opt = NULL, *list = NULL;
	struct stat st;
	int r;

	if (stat(bin, &st) < 0)
		return -errno;
	key = xasprintf("%s\t%" PRIu64 "\t%" PRId64 ".%09ld\t%s=", bin, (uint64_t)st.st_size,
			(int64_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, cap);
	if (cache_dir) {
		cache = xasprintf("%s/qemu-caps", cache_dir);
		if (read_small_file(cache, &content) == 0) {
			for (char *save, *line = strtok_r(content, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				if (startswith(line, key)) {
					*ret = xstrdup(line + strlen(key));
					return 0;
				}
		}
	}
	if (!may_run)
		return -EAGAIN;
	opt = xasprintf("-%s", cap);
	r = probe(bin, opt, refusal_ok, &list);
	if (r < 0)
		return r;
	/* The other lines stay, but those of an older build of the same path and an older
	 * answer to this question go. */
	if (cache) {
		struct strv keep = { 0 };
		_cleanup_free_ char *old = NULL, *path_tab = xasprintf("%s\t", bin), *out = NULL;
		_cleanup_free_ char *same = xasprintf("%" PRIu64 "\t%" PRId64 ".%09ld\t",
						      (uint64_t)st.st_size, (int64_t)st.st_mtim.tv_sec,
						      st.st_mtim.tv_nsec);

		if (read_small_file(cache, &old) == 0)
			for (char *save, *line = strtok_r(old, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				if ((!startswith(line, path_tab) ||
				     (startswith(line + strlen(path_tab), same) && !startswith(line, key))) &&
				    keep.n < 32)
					strv_push(&keep, line);
		strv_pushf(&keep, "%s%s", key, list);
		out = join(&keep, '\n');
		(void)mkdir_parents(cache_dir, 0700);
		(void)write_file_atomic(cache, out, strlen(out), 0600);
		strv_clear(&keep);
	}
	*ret = TAKE_PTR(list);
	return 0;
}

int qemu_has_pipewire(const char *bin, bool may_run)
{
	_cleanup_free_ char *list = NULL;
	int r = cached_list(bin, "audiodev", may_run, false, &list);

	return r < 0 ? r : listed(list, "pipewire");
}

int qemu_has_display(const char *bin, const char *name, bool may_run)
{
	_cleanup_free_ char *list = NULL;
	int r = cached_list(bin, "display", may_run, false, &list);

	return r < 0 ? r : listed(list, name);
}

int qemu_has_spice(const char *bin, bool may_run)
{
	_cleanup_free_ char *list = NULL;
	/* A QEMU built without SPICE knows no -spice option group: "-spice help" exits 1. */
	int r = cached_list(bin, "spice", may_run, true, &list);

	return r < 0 ? r : !streq(list, REFUSED);
}
