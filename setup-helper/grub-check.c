// SPDX-License-Identifier: GPL-2.0-or-later
/* Checks an edit of GRUB's defaults the way GRUB reads them: sourced by sh, each side a copy
 * in a memfd, and every word the user had must still be on the kernel command line. */
#include <errno.h>
#include <spawn.h>
#include <sys/mman.h>
#include "engine.h"

/* The words GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT have after sh sources @text:
 * what grub-mkconfig puts on a normal entry's command line. */
static int grub_words(const char *text, struct strv *ret)
{
	/* The file is the script's $1-free input on fd 3: no word of it reaches a command line. */
	static const char script[] = ". /dev/fd/3 >/dev/null 2>&1 </dev/null || exit 1\n"
				     "printf '%s %s\\n' \"$GRUB_CMDLINE_LINUX\" "
				     "\"$GRUB_CMDLINE_LINUX_DEFAULT\"\n";
	static char *const envp[] = { (char *)"LC_ALL=C", (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
				      NULL };
	const char *argv[] = { "sh", "-c", script, "sh", NULL };
	_cleanup_close_ int in = memfd_create("grub", MFD_CLOEXEC);
	_cleanup_close_ int out = memfd_create("grub-out", MFD_CLOEXEC);
	posix_spawn_file_actions_t acts;
	char buf[8192];
	ssize_t n;
	int r;

	if (in < 0 || out < 0)
		return -errno;
	for (size_t off = 0, len = strlen(text); off < len; off += (size_t)n) {
		n = write(in, text + off, len - off);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
	}
	posix_spawn_file_actions_init(&acts);
	posix_spawn_file_actions_adddup2(&acts, in, 3);
	posix_spawn_file_actions_adddup2(&acts, out, STDOUT_FILENO);
	r = spawn_wait(argv, &acts, envp);
	posix_spawn_file_actions_destroy(&acts);
	if (r != 0)
		return r < 0 ? r : -EINVAL;
	n = pread(out, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (char *save = NULL, *w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		strv_push(ret, w);
	return 0;
}

/* Does @w have the key (before '=') of one of @params? Then ours replaces it on purpose. */
static bool replaced(const char *w, const struct strv *params)
{
	size_t k = strcspn(w, "=");

	for (size_t i = 0; i < params->n; i++)
		if (strcspn(params->v[i], "=") == k && strncmp(params->v[i], w, k) == 0)
			return true;
	return false;
}

/* The last line of @text that sets a kernel command line variable, for the message. */
static char *cmdline_line(const char *text)
{
	char *found = NULL;
	unsigned n = 0;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		n++;
		if (memmem(p, len, "GRUB_CMDLINE_LINUX", strlen("GRUB_CMDLINE_LINUX"))) {
			free(found);
			found = xasprintf("line %u: '%.*s'", n, (int)len, p);
		}
		p += len + (nl ? 1 : 0);
	}
	return found;
}

int grub_check_edit(const char *before, const char *after, const struct strv *params, char **ret_error)
{
	struct strv old = { 0 }, new = { 0 };
	const char *lost = NULL, *missing = NULL;
	int r;

	r = grub_words(before, &old);
	if (r >= 0)
		r = grub_words(after, &new);
	if (r < 0) {
		*ret_error = r == -EINVAL ? xstrdup("sh could not source it")
					  : xasprintf("sh could not source it: %s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < old.n && !lost; i++)
		if (!replaced(old.v[i], params) && !strv_contains(&new, old.v[i]))
			lost = old.v[i];
	for (size_t i = 0; i < params->n && !missing; i++)
		if (!strv_contains(&new, params->v[i]))
			missing = params->v[i];
	if (lost || missing) {
		_cleanup_free_ char *line = cmdline_line(before);
		*ret_error = xasprintf("after the edit GRUB would %s '%s'%s%s", lost ? "lose" : "not get",
				       lost ? lost : missing, line ? ", from " : "", line ? line : "");
		r = -EINVAL;
	}
out:
	strv_clear(&old);
	strv_clear(&new);
	return r;
}
