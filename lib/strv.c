// SPDX-License-Identifier: GPL-2.0-or-later
/* A growable vector of owned strings, always NULL-terminated. */
#include <stdarg.h>
#include "strv.h"

void strv_push_take(struct strv *s, char *str)
{
	if (s->n + 2 > s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(char *));
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void strv_push(struct strv *s, const char *str)
{
	strv_push_take(s, xstrdup(str));
}

void strv_pushf(struct strv *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strv_push_take(s, xvasprintf(fmt, ap));
	va_end(ap);
}

void strv_clear(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct strv){ 0 };
}

bool strv_contains(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (streq(s->v[i], str))
			return true;
	return false;
}

char *strv_join_list(const struct strv *s, const char *last_sep)
{
	size_t len = 1;
	char *r, *o;

	for (size_t i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + (i == 0 ? 0 : i + 1 == s->n ? strlen(last_sep) : 2);
	r = o = xmalloc(len);
	*o = '\0';
	for (size_t i = 0; i < s->n; i++)
		o = stpcpy(stpcpy(o, i == 0 ? "" : i + 1 == s->n ? last_sep : ", "), s->v[i]);
	return r;
}
