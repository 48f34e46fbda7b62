// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: vfio-setup's file edits. The input's first byte picks the edit, the rest of its
 * first line holds the words to add, the rest is the file. An edit either refuses (an error, no
 * output) or succeeds (output, no error); then every word the original had is still there
 * (but for one our word of the same key replaced), and ours too. For the shell files (GRUB's
 * defaults, mkinitcpio.conf) the words are what the shell reads: the file is evaluated here,
 * and now and then by sh (bash for mkinitcpio's arrays) to check that evaluation. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "edit.h"
#include "fuzz.h"

/* The value of one shell variable: its words (array elements, or a scalar split at spaces as
 * the kernel command line is), and the scalar itself for the comparison with sh. */
struct shvar {
	bool set, array;
	bool file_has_array; /* any NAME=( in the file: bash, not sh */
	char *scalar;
	struct strv elems;
};

static void shvar_clear(struct shvar *v)
{
	free(v->scalar);
	strv_clear(&v->elems);
	*v = (struct shvar){ 0 };
}

static bool is_name_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

/* One shell word at *@p, quotes removed, into @out; false for anything but plain characters,
 * '…' and "…" without expansions or escapes. */
static bool sh_word(const char **p, struct strv *out)
{
	const char *s = *p;
	char *w = xmalloc(strlen(s) + 1);
	size_t n = 0;

	while (*s && !strchr(" \t\n)", *s)) {
		if (*s == '\'' || *s == '"') {
			const char *end = strchr(s + 1, *s);

			/* A quote across lines is left out: the GRUB edit looks at one line at a time,
			 * and may take a line inside such a string for an assignment. */
			if (!end || memchr(s + 1, '\n', (size_t)(end - s - 1)) ||
			    (*s == '"' && strcspn(s + 1, "$`\\") < (size_t)(end - s - 1)))
				goto fail;
			memcpy(w + n, s + 1, end - s - 1);
			n += end - s - 1;
			s = end + 1;
		} else if (strchr("$`\\;&|<>(#*?[]{}~!", *s)) {
			goto fail;
		} else
			w[n++] = *s++;
	}
	w[n] = '\0';
	strv_push_take(out, w);
	*p = s;
	return true;
fail:
	free(w);
	return false;
}

/* Kernel command line words: the kernel splits at isspace(). */
static void split_words(const char *s, struct strv *out)
{
	static const char space[] = " \t\n\v\f\r";

	for (;;) {
		s += strspn(s, space);
		if (!*s)
			return;
		strv_pushf(out, "%.*s", (int)strcspn(s, space), s);
		s += strcspn(s, space);
	}
}

/* Evaluates @text if it holds only comments and assignments NAME=word or NAME=(words), one a
 * line; the last assignment to @name lands in @ret. False for anything else. */
static bool sh_eval(const char *text, const char *name, struct shvar *ret)
{
	const char *p = text;

	*ret = (struct shvar){ 0 };
	/* sh splits at IFS (space, tab, newline), the edits at isspace(): other control bytes would
	 * only tell the two apart. */
	for (const char *c = text; *c; c++)
		if ((unsigned char)*c < ' ' && *c != '\t' && *c != '\n')
			return false;
	while (*p) {
		const char *start;
		size_t len;

		p += strspn(p, " \t");
		if (*p == '#' || *p == '\n') {
			p += strcspn(p, "\n");
			p += *p == '\n';
			continue;
		}
		if (!*p)
			break;
		start = p;
		if (!is_name_char(*p, true))
			goto fail;
		while (is_name_char(*p, false))
			p++;
		len = p - start;
		if (*p++ != '=')
			goto fail;
		struct shvar v = { .set = true };

		if (*p == '(') {
			v.array = true;
			ret->file_has_array = true;
			p++;
			for (;;) {
				p += strspn(p, " \t\n");
				if (*p == ')')
					break;
				if (!*p || !sh_word(&p, &v.elems))
					goto fail_v;
			}
			p++;
		} else {
			struct strv one = { 0 };

			if (!sh_word(&p, &one))
				goto fail_v;
			v.scalar = xstrdup(one.v[0]);
			strv_clear(&one);
			split_words(v.scalar, &v.elems);
		}
		/* A comment after blanks; bash reads ")#" as the start of a word. */
		if (strspn(p, " \t") && p[strspn(p, " \t")] == '#')
			p += strcspn(p, "\n");
		p += strspn(p, " \t");
		if (*p && *p != '\n')
			goto fail_v;
		p += *p == '\n';
		if (len == strlen(name) && strncmp(start, name, len) == 0) {
			bool has_array = ret->file_has_array;

			shvar_clear(ret);
			*ret = v;
			ret->file_has_array = has_array;
		} else
			shvar_clear(&v);
		continue;
	fail_v:
		shvar_clear(&v);
		goto fail;
	}
	return true;
fail:
	shvar_clear(ret);
	return false;
}

/* What sh (bash for an array) reads @name as after sourcing @text, one element a line. */
static char *sh_read(const char *text, const char *name, bool array)
{
	char path[] = "/tmp/fuzz-edit-XXXXXX";
	_cleanup_free_ char *script = array ? xasprintf(". \"$0\" || exit 3; printf '%%s\\n' \"${%s[@]}\"",
							name)
					    : xasprintf(". \"$0\" || exit 3; printf '%%s\\n' \"$%s\"", name);
	int fd = mkstemp(path), pipefd[2], status;
	char *out = xstrdup("");
	size_t len = 0;
	pid_t pid;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || pipe(pipefd) < 0)
		fuzz_fail("temporary file: %m");
	close(fd);
	pid = fork();
	if (pid == 0) {
		/* Only assignments reach here; no PATH all the same. */
		static char path_env[] = "PATH=/nonexistent";
		char *const env[] = { path_env, NULL };

		dup2(pipefd[1], 1);
		execle(array ? "/bin/bash" : "/bin/sh", "sh", "-c", script, path, NULL, env);
		_exit(127);
	}
	close(pipefd[1]);
	/* libFuzzer's timeout alarm interrupts reads and waits: both go on after EINTR. */
	for (;;) {
		char buf[4096];
		ssize_t n = read(pipefd[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fuzz_fail("reading from sh: %m");
		if (n == 0)
			break;
		out = xrealloc(out, len + (size_t)n + 1);
		memcpy(out + len, buf, (size_t)n);
		len += (size_t)n;
		out[len] = '\0';
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fuzz_fail("waitpid: %m");
	unlink(path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fuzz_fail("sh could not source the edited file:\n%s", text);
	return out;
}

static void check_against_sh(const char *text, const char *name, const struct shvar *v)
{
	static unsigned calls;
	_cleanup_free_ char *got = NULL, *want = NULL;
	/* sh cannot read arrays in a file that is sourced by sh (GRUB's). */
	if (v->file_has_array && !v->array)
		return;
	/* A fork per input would be most of the time spent: every 64th, and the first ones. */
	if (calls++ % 64 != 0 && calls > 16)
		return;
	got = sh_read(text, name, v->array);
	if (!v->array)
		want = xasprintf("%s\n", v->set ? v->scalar : "");
	else if (v->elems.n == 0)
		want = xstrdup("\n"); /* printf runs its format once without arguments */
	else {
		want = xstrdup("");
		for (size_t i = 0; i < v->elems.n; i++) {
			char *t = xasprintf("%s%s\n", want, v->elems.v[i]);

			free(want);
			want = t;
		}
	}
	if (!streq(got, want))
		fuzz_fail("%s: sh reads '%s', this test '%s', in:\n%s", name, got, want, text);
}

static bool key_replaced(const char *word, const struct strv *add)
{
	size_t k = strcspn(word, "=");

	for (size_t i = 0; i < add->n; i++)
		if (strcspn(add->v[i], "=") == k && strncmp(add->v[i], word, k) == 0)
			return true;
	return false;
}

/* Every word of @before in @after, but those that one of @add replaced (same key before '=')
 * when @keyed. */
static void check_kept(const char *what, const struct strv *before, const struct strv *after,
		       const struct strv *add, bool keyed, const char *out)
{
	for (size_t i = 0; i < before->n; i++)
		if (!strv_contains(after, before->v[i]) && !(keyed && key_replaced(before->v[i], add)))
			fuzz_fail("%s: the word '%s' was lost:\n%s", what, before->v[i], out);
}

static void check_added(const char *what, const struct strv *after, const struct strv *add, const char *out)
{
	for (size_t i = 0; i < add->n; i++)
		if (!strv_contains(after, add->v[i]))
			fuzz_fail("%s: the word '%s' was not added:\n%s", what, add->v[i], out);
}

static void check_grub(const char *in, const char *out, const struct strv *add)
{
	static const char *const vars[] = { "GRUB_CMDLINE_LINUX_DEFAULT", "GRUB_CMDLINE_LINUX" };
	struct shvar before[2], after[2];
	struct strv all = { 0 };

	if (!sh_eval(in, vars[0], &before[0]))
		return;
	sh_eval(in, vars[1], &before[1]);
	if (!sh_eval(out, vars[0], &after[0]))
		fuzz_fail("the edit made shell assignments into something else:\n%s", out);
	sh_eval(out, vars[1], &after[1]);
	for (int i = 0; i < 2; i++) {
		check_kept(vars[i], &before[i].elems, &after[i].elems, add, true, out);
		for (size_t k = 0; k < after[i].elems.n; k++)
			strv_push(&all, after[i].elems.v[k]);
		check_against_sh(out, vars[i], &after[i]);
	}
	check_added("GRUB_CMDLINE_LINUX*", &all, add, out);
	strv_clear(&all);
	for (int i = 0; i < 2; i++) {
		shvar_clear(&before[i]);
		shvar_clear(&after[i]);
	}
}

static void check_mkinitcpio(const char *in, const char *out, const struct strv *add)
{
	struct shvar before, after;

	if (!sh_eval(in, "MODULES", &before))
		return;
	if (!sh_eval(out, "MODULES", &after))
		fuzz_fail("the edit made shell assignments into something else:\n%s", out);
	check_kept("MODULES", &before.elems, &after.elems, add, false, out);
	check_added("MODULES", &after.elems, add, out);
	check_against_sh(out, "MODULES", &after);
	shvar_clear(&before);
	shvar_clear(&after);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	typedef int edit_fn(const char *, const struct strv *, char **, char **);
	static edit_fn *const edits[] = { edit_grub_default, edit_mkinitcpio,	edit_kernel_cmdline,
					  edit_loader_entry, edit_module_lines, edit_booster };
	_cleanup_free_ char *text = NULL, *out = NULL, *err = NULL;
	struct strv add = { 0 }, before = { 0 }, after = { 0 };
	const char *file;
	bool dup = false;
	unsigned pick;
	int r;

	if (size < 1)
		return 0;
	pick = data[0] % (ARRAY_SIZE(edits) + 1);
	text = fuzz_string(data + 1, size - 1);
	file = text + strcspn(text, "\n");
	if (*file)
		*(char *)file++ = '\0';
	/* Words as install adds them: kernel parameters and module names. */
	if (text[strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.=:, ")])
		return 0;
	split_words(text, &add);
	/* and never two with one key, which would replace each other. */
	for (size_t i = 0; i < add.n; i++)
		for (size_t j = 0; j < i; j++)
			dup |= strcspn(add.v[i], "=") == strcspn(add.v[j], "=") &&
			       strncmp(add.v[i], add.v[j], strcspn(add.v[i], "=")) == 0;
	if (add.n == 0 || dup) {
		strv_clear(&add);
		return 0;
	}
	if (pick == ARRAY_SIZE(edits)) {
		out = cmdline_merge(file, &add);
		split_words(file, &before);
		split_words(out, &after);
		check_kept("cmdline_merge", &before, &after, &add, true, out);
		check_added("cmdline_merge", &after, &add, out);
		goto done;
	}
	r = edits[pick](file, &add, &out, &err);
	if (r < 0 && (out || !err))
		fuzz_fail("edit %u refused (%d) with %s and %s", pick, r, out ? "output" : "no output",
			  err ? "a message" : "no message");
	if (r >= 0 && (!out || err))
		fuzz_fail("edit %u succeeded with %s and %s", pick, out ? "output" : "no output",
			  err ? "a message" : "no message");
	if (r < 0)
		goto done;
	if (pick == 0)
		check_grub(file, out, &add);
	else if (pick == 1)
		check_mkinitcpio(file, out, &add);
	else if (pick == 2) {
		split_words(file, &before);
		split_words(out, &after);
		check_kept("kernel command line", &before, &after, &add, true, out);
		check_added("kernel command line", &after, &add, out);
	}
done:
	strv_clear(&add);
	strv_clear(&before);
	strv_clear(&after);
	return 0;
}
