// SPDX-License-Identifier: GPL-2.0-or-later
/* Reads a profile with inih, counting lines itself, into (section, key, value, line) records. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include "profile-ini.h"

/*
 * inih's handler gets no line number (INI_HANDLER_LINENO is off in the distributions' builds,
 * and Debian's build truncates lines over 200 characters) and it silently treats an indented
 * line as the continuation of the previous value. Our own reader counts lines, strips leading
 * blanks (so there are no continuations), checks each line's shape and records section
 * headers; the handler only stores records. All validation happens in a second pass.
 */

struct reader {
	FILE *f;
	struct ini_doc *doc;
	unsigned line;
	bool eof;
	char *buf; /* getline's: a line may be any length and hold NUL bytes */
	size_t buf_size;
};

void ini_error(struct ini_doc *doc, unsigned line, const char *key, const char *fmt, ...)
{
	struct strv *msgs = &doc->errs->msgs;
	va_list ap;
	_cleanup_free_ char *msg = NULL;

	if (msgs->n >= PROFILE_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (key) {
		_cleanup_free_ char *k = escape_control(key);
		strv_pushf(msgs, "%s:%u: %s: %s", doc->file, line, k, msg);
	} else
		strv_pushf(msgs, "%s:%u: %s", doc->file, line, msg);
	doc->err_lines = xrealloc(doc->err_lines, msgs->n * sizeof(unsigned));
	doc->err_lines[msgs->n - 1] = line;
	if (msgs->n == PROFILE_MAX_ERRORS) {
		strv_pushf(msgs, "%s: too many errors, stopping", doc->file);
		doc->err_lines = xrealloc(doc->err_lines, msgs->n * sizeof(unsigned));
		doc->err_lines[msgs->n - 1] = UINT_MAX;
	}
}

/* Records a section header; a NULL name marks a broken one. */
static void push_sec(struct reader *rd, char *name)
{
	struct ini_doc *doc = rd->doc;

	doc->secs = xrealloc(doc->secs, (doc->n_secs + 1) * sizeof(*doc->secs));
	doc->secs[doc->n_secs++] = (struct ini_sec){ .name = name, .line = rd->line };
}

/* Checks a line the way inih will split it; false (and an error) when inih would drop it or
 * split it somewhere the user did not mean. */
static bool line_shape_ok(struct reader *rd, const char *s)
{
	_cleanup_free_ char *shown = escape_control(s);
	const char *eq;

	if (*s == '\0' || *s == ';' || *s == '#')
		return true;
	if (*s == '[') {
		const char *end = strchr(s, ']');
		if (!end) {
			ini_error(rd->doc, rd->line, NULL, "section header: expected '[name]', got '%s'",
				  shown);
			push_sec(rd, NULL);
			return false;
		}
		push_sec(rd, xstrndup(s + 1, (size_t)(end - s - 1)));
		for (const char *t = end + 1; *t; t++) {
			if (*t == ';' || *t == '#')
				break;
			if (!isspace((unsigned char)*t)) {
				ini_error(rd->doc, rd->line, NULL,
					  "section header: unexpected text after ']' in '%s'", shown);
				return false;
			}
		}
		return true;
	}
	/* inih ends a key at the first '=' or ':', or at a ';' after a blank (a comment). */
	eq = strchr(s, '=');
	for (const char *t = s; eq && t < eq; t++)
		if (*t == ':' || (*t == ';' && isspace((unsigned char)t[-1]))) {
			ini_error(rd->doc, rd->line, NULL,
				  "expected 'key = value' with no '%c' in the key, got '%s'", *t, shown);
			return false;
		}
	if (!eq || eq == s) {
		ini_error(rd->doc, rd->line, NULL, "expected 'key = value' or '[section]', got '%s'", shown);
		return false;
	}
	return true;
}

/* An ini_reader: hands inih one line at a time, never longer than it can hold. */
static char *next_line(char *str, int num, void *stream)
{
	struct reader *rd = stream;
	ssize_t n;
	size_t len;
	char *s;

	for (;;) {
		if (rd->eof || (n = getline(&rd->buf, &rd->buf_size, rd->f)) < 0) {
			rd->eof = true;
			return NULL;
		}
		rd->line++;
		s = rd->buf;
		len = (size_t)n;
		while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
			s[--len] = '\0';
		/* A UTF-8 byte order mark, as some Windows editors write. */
		if (rd->line == 1 && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
			s += 3;
			len -= 3;
		}
		if (memchr(s, '\0', len)) {
			ini_error(rd->doc, rd->line, NULL, "line holds a NUL byte");
			continue;
		}
		if (len + 3 > (size_t)num) {
			ini_error(rd->doc, rd->line, NULL, "line is %zu characters long; at most %d fit", len,
				  num - 3);
			continue;
		}
		/* All leading blanks: inih would read an indented line as a continuation. */
		while (isspace((unsigned char)*s))
			s++;
		if (!line_shape_ok(rd, s))
			continue;
		snprintf(str, (size_t)num, "%s\n", s);
		return str;
	}
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct reader *rd = user;
	struct ini_doc *doc = rd->doc;

	doc->recs = xrealloc(doc->recs, (doc->n_recs + 1) * sizeof(*doc->recs));
	doc->recs[doc->n_recs++] = (struct ini_rec){
		.sec = doc->n_secs ? (int)doc->n_secs - 1 : -1,
		.key = xstrdup(name),
		.value = xstrdup(value ? value : ""),
		.line = rd->line,
	};
	(void)section;
	return 1;
}

int ini_read(FILE *f, struct ini_doc *doc)
{
	struct reader rd = { .f = f, .doc = doc };
	int r = ini_parse_stream(next_line, &rd, handler, &rd);

	free(rd.buf);
	/* Lines inih itself rejects were already reported by the shape check. */
	return r < 0 ? -ENOMEM : 0;
}

/* Insertion sort: stable, and there are at most PROFILE_MAX_ERRORS. */
void ini_sort_errors(struct ini_doc *doc)
{
	char **v = doc->errs->msgs.v;
	unsigned *l = doc->err_lines;

	for (size_t i = 1; i < doc->errs->msgs.n; i++)
		for (size_t j = i; j > 0 && l[j - 1] > l[j]; j--) {
			char *t = v[j];
			unsigned tl = l[j];
			v[j] = v[j - 1];
			l[j] = l[j - 1];
			v[j - 1] = t;
			l[j - 1] = tl;
		}
}

void ini_doc_free(struct ini_doc *doc)
{
	for (size_t i = 0; i < doc->n_recs; i++) {
		free(doc->recs[i].key);
		free(doc->recs[i].value);
	}
	free(doc->recs);
	for (size_t i = 0; i < doc->n_secs; i++)
		free(doc->secs[i].name);
	free(doc->secs);
	free(doc->err_lines);
	doc->recs = NULL;
	doc->secs = NULL;
	doc->err_lines = NULL;
	doc->n_recs = doc->n_secs = 0;
}
