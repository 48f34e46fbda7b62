// SPDX-License-Identifier: GPL-2.0-or-later
/* Line-preserving edits of boot and initramfs configuration files. */
#include <ctype.h>
#include <errno.h>
#include "edit.h"

static size_t key_len(const char *w, size_t len)
{
	const char *eq = memchr(w, '=', len);
	return eq ? (size_t)(eq - w) : len;
}

/* Splits @s on blanks into @ret (words copied). */
static void split_words(const char *s, size_t len, struct strv *ret)
{
	const char *end = s + len;

	while (s < end) {
		const char *w;

		while (s < end && isspace((unsigned char)*s))
			s++;
		w = s;
		while (s < end && !isspace((unsigned char)*s))
			s++;
		if (s > w)
			strv_push_take(ret, xstrndup(w, (size_t)(s - w)));
	}
}

char *cmdline_merge(const char *old, const struct strv *add)
{
	struct strv words = { 0 };
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	bool first = true;

	if (!out)
		abort();
	split_words(old, strlen(old), &words);
	for (size_t i = 0; i < words.n; i++) {
		const char *w = words.v[i];
		size_t kl = key_len(w, strlen(w));
		const char *repl = NULL;

		for (size_t j = 0; j < add->n && !repl; j++)
			if (key_len(add->v[j], strlen(add->v[j])) == kl && strncmp(add->v[j], w, kl) == 0)
				repl = add->v[j];
		fprintf(out, "%s%s", first ? "" : " ", repl ? repl : w);
		first = false;
	}
	for (size_t j = 0; j < add->n; j++) {
		size_t kl = key_len(add->v[j], strlen(add->v[j]));
		bool found = false;

		for (size_t i = 0; i < words.n && !found; i++)
			found = key_len(words.v[i], strlen(words.v[i])) == kl &&
				strncmp(add->v[j], words.v[i], kl) == 0;
		if (!found) {
			fprintf(out, "%s%s", first ? "" : " ", add->v[j]);
			first = false;
		}
	}
	fclose(out);
	strv_clear(&words);
	return buf;
}

/* Line iteration helpers: [start, end) of line number @n-th found by callers. */
struct span {
	size_t start, end; /* end excludes the newline */
};

/* Finds the last line whose first non-blank text starts with @prefix. */
static bool find_last_line(const char *in, const char *prefix, struct span *ret)
{
	bool found = false;

	for (size_t pos = 0; in[pos];) {
		const char *nl = strchr(in + pos, '\n');
		size_t end = nl ? (size_t)(nl - in) : strlen(in);
		size_t p = pos;

		while (p < end && (in[p] == ' ' || in[p] == '\t'))
			p++;
		if (end - p >= strlen(prefix) && strncmp(in + p, prefix, strlen(prefix)) == 0) {
			*ret = (struct span){ pos, end };
			found = true;
		}
		pos = nl ? end + 1 : end;
	}
	return found;
}

/* @in with [s.start, s.end) replaced by @repl. */
static char *splice(const char *in, struct span s, const char *repl)
{
	return xasprintf("%.*s%s%s", (int)s.start, in, repl, in + s.end);
}

/* @in plus @line, with a newline first when @in does not end with one. */
static char *append_line(const char *in, const char *line)
{
	size_t len = strlen(in);
	return xasprintf("%s%s%s\n", in, len && in[len - 1] != '\n' ? "\n" : "", line);
}

char *join_words(const struct strv *s, const char *sep)
{
	size_t len = 1, at = 0;
	char *buf;

	for (size_t i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + (i ? strlen(sep) : 0);
	buf = xmalloc(len);
	buf[0] = '\0';
	for (size_t i = 0; i < s->n; i++)
		at += (size_t)sprintf(buf + at, "%s%s", i ? sep : "", s->v[i]);
	return buf;
}

/* A word without quotes, or one wholly inside one pair of quotes with none within. */
static bool plain_or_quoted(const char *w)
{
	size_t l = strlen(w);

	if (!strpbrk(w, "\"'\\"))
		return true;
	return l >= 2 && (w[0] == '"' || w[0] == '\'') && w[l - 1] == w[0] && !memchr(w + 1, w[0], l - 2) &&
	       !memchr(w + 1, '\\', l - 2);
}

/* The first of @words that an edit splitting at blanks would misread, or NULL: an expansion ($,
 * `; *ret_expansion set), or a quote that does not wrap the whole word (it may hold a blank, or
 * glue two words into one as the shell reads them). */
static const char *unsafe_word(const struct strv *words, bool *ret_expansion)
{
	for (size_t i = 0; i < words->n; i++) {
		*ret_expansion = strpbrk(words->v[i], "$`");
		if (*ret_expansion || !plain_or_quoted(words->v[i]))
			return words->v[i];
	}
	return NULL;
}

/* @w as the shell reads it, when it is plain_or_quoted(). */
static char *unquoted(const char *w)
{
	size_t l = strlen(w);

	if (l >= 2 && (w[0] == '"' || w[0] == '\'') && w[l - 1] == w[0])
		return xstrndup(w + 1, l - 2);
	return xstrdup(w);
}

int edit_mkinitcpio(const char *in, const struct strv *mods, char **ret, char **ret_error)
{
	struct span s;
	struct strv words = { 0 }, merged = { 0 };
	_cleanup_free_ char *list = NULL, *line = NULL;
	const char *open, *close, *bad;
	bool expansion;

	if (!find_last_line(in, "MODULES=", &s)) {
		_cleanup_free_ char *l = join_words(mods, " ");
		_cleanup_free_ char *nl = xasprintf("MODULES=(%s)", l);
		*ret = append_line(in, nl);
		return 0;
	}
	open = (const char *)memchr(in + s.start, '=', s.end - s.start) + 1;
	if (*open != '(') {
		*ret_error = xasprintf("MODULES=: expected an array '(...)', got '%.*s'",
				       (int)(s.end - s.start), in + s.start);
		return -EINVAL;
	}
	close = memchr(open, ')', (size_t)(in + s.end - open));
	if (!close) {
		*ret_error = xstrdup("MODULES=(: the array spans several lines; "
				     "put it on one line and run again");
		return -EINVAL;
	}
	split_words(open + 1, (size_t)(close - open - 1), &words);
	bad = unsafe_word(&words, &expansion);
	if (bad) {
		*ret_error = expansion
				     ? xasprintf("MODULES=(: cannot edit an entry with an expansion: '%s'",
						 bad)
				     : xasprintf("MODULES=(: cannot edit the entry '%s': quote whole module "
						 "names only, one per word",
						 bad);
		strv_clear(&words);
		return -EINVAL;
	}
	for (size_t i = 0; i < mods->n; i++)
		strv_push(&merged, mods->v[i]);
	for (size_t i = 0; i < words.n; i++) {
		/* Quoted entries compare unquoted. */
		_cleanup_free_ char *bare = unquoted(words.v[i]);

		if (!strv_contains(mods, bare) && !strv_contains(&merged, words.v[i]))
			strv_push(&merged, words.v[i]);
	}
	list = join_words(&merged, " ");
	line = xasprintf("%.*s(%s)%.*s", (int)(open - in - (ptrdiff_t)s.start), in + s.start, list,
			 (int)(in + s.end - close - 1), close + 1);
	*ret = splice(in, s, line);
	strv_clear(&words);
	strv_clear(&merged);
	return 0;
}

/* The words of the shell array opened at @open, up to its ')' over as many lines as it takes,
 * comments left out; *ret_close is at that ')', or NULL when the text ends first. */
static void array_words(const char *open, struct strv *ret, const char **ret_close)
{
	const char *s = open + 1;

	for (;;) {
		size_t n;

		s += strspn(s, " \t\n");
		if (!*s || *s == ')')
			break;
		if (*s == '#') {
			s = strchrnul(s, '\n');
			continue;
		}
		n = strcspn(s, " \t\n)");
		strv_push_take(ret, xstrndup(s, n));
		s += n;
	}
	*ret_close = *s ? s : NULL;
}

/* Whether @w, quotes left out, is @name. */
static bool word_is(const char *w, const char *name)
{
	for (; *w; w++) {
		if (*w == '"' || *w == '\'')
			continue;
		if (*w != *name++)
			return false;
	}
	return !*name;
}

int edit_mkinitcpio_hooks(const char *in, char **ret, unsigned *ret_line, char **ret_error)
{
	static const char *const after[] = { "microcode", "autodetect", "systemd", "udev", "base" };
	struct span s;
	struct strv words = { 0 };
	const char *open, *close = NULL, *bad = NULL;
	_cleanup_free_ char *why = NULL, *list = NULL;
	bool expansion = false;
	size_t at = 0;
	unsigned line = 1;

	if (ret_line)
		*ret_line = 0;
	if (!find_last_line(in, "HOOKS=", &s)) {
		*ret_error = xstrdup("HOOKS is not set; mkinitcpio needs it (hint: restore the file from "
				     "the mkinitcpio package)");
		return -EINVAL;
	}
	for (size_t i = 0; i < s.start; i++)
		line += in[i] == '\n';
	if (ret_line)
		*ret_line = line;
	open = strchr(in + s.start, '=') + 1;
	if (*open == '(')
		array_words(open, &words, &close);
	else
		split_words(open, (size_t)(in + s.end - open), &words);
	for (size_t i = 0; i < words.n; i++)
		if (word_is(words.v[i], "modconf")) {
			strv_clear(&words);
			*ret = xstrdup(in);
			return 0;
		}

	if (*open != '(')
		why = xstrdup("it is not an array '(...)'");
	else if (!close)
		why = xstrdup("its array has no ')'");
	else if (close > in + s.end)
		why = xstrdup("the array spans several lines");
	else if ((bad = unsafe_word(&words, &expansion)))
		why = xasprintf(expansion ? "it has an expansion: '%s'" : "its entry '%s' is partly quoted",
				bad);
	if (why) {
		*ret_error = xasprintf("HOOKS lacks modconf, and %s, which vfio-setup does not edit; "
				       "without modconf the vfio-pci options miss the initramfs (hint: "
				       "add modconf to HOOKS by hand, after autodetect, then run "
				       "vfio-setup install again)",
				       why);
		strv_clear(&words);
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(after) && !at; i++)
		for (size_t j = 0; j < words.n; j++)
			if (word_is(words.v[j], after[i]))
				at = j + 1;
	strv_push(&words, ""); /* room to shift into */
	for (size_t j = words.n - 1; j > at; j--) {
		char *t = words.v[j];
		words.v[j] = words.v[j - 1];
		words.v[j - 1] = t;
	}
	free(words.v[at]);
	words.v[at] = xstrdup("modconf");
	list = join_words(&words, " ");
	*ret = xasprintf("%.*s(%s)%s", (int)(open - in), in, list, close + 1);
	strv_clear(&words);
	return 0;
}

/* Merges @params into the shell assignment on line @s (VAR="…", VAR='…' or VAR=word). */
static int merge_assignment(const char *in, struct span s, const struct strv *params, char **ret,
			    char **ret_error)
{
	const char *eq = memchr(in + s.start, '=', s.end - s.start);
	const char *v = eq + 1, *end = in + s.end, *vend;
	_cleanup_free_ char *old = NULL, *merged = NULL, *line = NULL;
	char q = 0;

	if (*v == '"' || *v == '\'') {
		q = *v++;
		vend = v;
		while (vend < end && *vend != q) {
			if (q == '"' && *vend == '\\' && vend + 1 < end)
				vend++;
			vend++;
		}
		if (vend >= end) {
			*ret_error = xasprintf("%.*s: the quoted value does not end on its line",
					       (int)(eq - in - (ptrdiff_t)s.start), in + s.start);
			return -EINVAL;
		}
		/* VAR="a"b is one word to sh, "ab": closing the quote after our words would glue
		 * the rest to the last of them. */
		if (vend + 1 < end && !isspace((unsigned char)vend[1]) && vend[1] != ';' && vend[1] != '#') {
			*ret_error = xasprintf("%.*s: the value goes on after its closing quote (%c); "
					       "make it one quoted string",
					       (int)(eq - in - (ptrdiff_t)s.start), in + s.start, q);
			return -EINVAL;
		}
	} else {
		vend = v;
		while (vend < end && !isspace((unsigned char)*vend) && *vend != ';' && *vend != '#')
			vend++;
		/* VAR=a"b c" is one word to sh: quoting it whole would keep the quote as a byte. */
		if (memchr(v, '"', (size_t)(vend - v)) || memchr(v, '\'', (size_t)(vend - v)) ||
		    memchr(v, '\\', (size_t)(vend - v))) {
			*ret_error = xasprintf("%.*s: the value is partly quoted; make it one quoted string",
					       (int)(eq - in - (ptrdiff_t)s.start), in + s.start);
			return -EINVAL;
		}
	}
	old = xstrndup(v, (size_t)(vend - v));
	merged = cmdline_merge(old, params);
	{
		const char *head_end = q ? v - 1 : v; /* up to and including '=' */
		const char *tail = q ? vend + 1 : vend; /* after the value: comments etc. */
		char qq = q ? q : '"';

		line = xasprintf("%.*s%c%s%c%.*s", (int)(head_end - (in + s.start)), in + s.start, qq, merged,
				 qq, (int)(end - tail), tail);
	}
	*ret = splice(in, s, line);
	return 0;
}

int edit_grub_default(const char *in, const struct strv *params, char **ret, char **ret_error)
{
	struct span s;

	if (find_last_line(in, "GRUB_CMDLINE_LINUX_DEFAULT=", &s) ||
	    find_last_line(in, "GRUB_CMDLINE_LINUX=", &s))
		return merge_assignment(in, s, params, ret, ret_error);
	{
		_cleanup_free_ char *l = join_words(params, " ");
		_cleanup_free_ char *nl = xasprintf("GRUB_CMDLINE_LINUX_DEFAULT=\"%s\"", l);
		*ret = append_line(in, nl);
	}
	return 0;
}

int edit_kernel_cmdline(const char *in, const struct strv *params, char **ret, char **ret_error)
{
	size_t len = strlen(in);
	const char *nl = strchr(in, '\n');
	_cleanup_free_ char *first = xstrndup(in, nl ? (size_t)(nl - in) : len);
	_cleanup_free_ char *merged = cmdline_merge(first, params);

	if (nl && nl[1]) {
		*ret_error = xstrdup("expected one line");
		return -EINVAL;
	}
	*ret = xasprintf("%s\n", merged);
	return 0;
}

int edit_loader_entry(const char *in, const struct strv *params, char **ret, char **ret_error)
{
	struct span s;

	if (find_last_line(in, "options", &s)) {
		const char *p = in + s.start;
		while (*p == ' ' || *p == '\t')
			p++;
		p += strlen("options");
		if (p == in + s.end || *p == ' ' || *p == '\t') {
			_cleanup_free_ char *old = xstrndup(p, (size_t)(in + s.end - p));
			_cleanup_free_ char *merged = cmdline_merge(old, params);
			_cleanup_free_ char *line = xasprintf("options %s", merged);
			*ret = splice(in, s, line);
			return 0;
		}
	}
	{
		_cleanup_free_ char *l = join_words(params, " ");
		_cleanup_free_ char *line = xasprintf("options %s", l);
		*ret = append_line(in, line);
	}
	return 0;
}

int edit_module_lines(const char *in, const struct strv *mods, char **ret, char **ret_error)
{
	struct strv present = { 0 };
	char *out = xstrdup(in);
	bool commented = false;

	for (const char *p = in; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct strv w = { 0 };

		split_words(p, len, &w);
		if (w.n && w.v[0][0] != '#')
			strv_push(&present, w.v[0]);
		strv_clear(&w);
		p += len + (nl ? 1 : 0);
	}
	for (size_t i = 0; i < mods->n; i++) {
		char *n;
		if (strv_contains(&present, mods->v[i]))
			continue;
		if (!commented) {
			n = append_line(out,
					"# vfio-setup: vfio-pci loads early and claims the guest's devices");
			free(out);
			out = n;
			commented = true;
		}
		n = append_line(out, mods->v[i]);
		free(out);
		out = n;
	}
	strv_clear(&present);
	*ret = out;
	return 0;
}

int edit_booster(const char *in, const struct strv *mods, char **ret, char **ret_error)
{
	struct span s;
	struct strv list = { 0 };
	_cleanup_free_ char *joined = NULL, *line = NULL;

	if (find_last_line(in, "modules_force_load:", &s)) {
		const char *p = strchr(in + s.start, ':') + 1;
		const char *end = in + s.end;

		while (p < end) {
			const char *c = memchr(p, ',', (size_t)(end - p));
			const char *e = c ? c : end;
			const char *a = p;
			while (a < e && isspace((unsigned char)*a))
				a++;
			while (e > a && isspace((unsigned char)e[-1]))
				e--;
			if (e > a) {
				_cleanup_free_ char *m = xstrndup(a, (size_t)(e - a));
				if (strchr(m, '#') || strchr(m, '[')) {
					*ret_error = xstrdup("modules_force_load: expected a plain "
							     "comma-separated list");
					strv_clear(&list);
					return -EINVAL;
				}
				if (!strv_contains(&list, m))
					strv_push(&list, m);
			}
			p = c ? c + 1 : end;
		}
		for (size_t i = 0; i < mods->n; i++)
			if (!strv_contains(&list, mods->v[i]))
				strv_push(&list, mods->v[i]);
		joined = join_words(&list, ",");
		line = xasprintf("modules_force_load: %s", joined);
		*ret = splice(in, s, line);
	} else {
		joined = join_words(mods, ",");
		line = xasprintf("modules_force_load: %s", joined);
		*ret = append_line(in, line);
	}
	strv_clear(&list);
	return 0;
}
