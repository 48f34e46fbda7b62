/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builds one QEMU option string ("driver,key=value,..."), escaping every value as it appends. */
#pragma once

#include "strv.h"
#include "util.h"

/* A growing heap buffer; every value appended has its commas doubled, as QEMU's option parser
 * reads a literal comma inside a value. Nothing is ever truncated. */
struct qopt {
	char *buf;
	size_t len, size;
	/* What QEMU should read each element as: "" for the first one when it is a bare value (the
	 * option's implied key), the key, or the bare value itself (a flag) after the first. */
	struct strv names;
};

/* When set (by the fuzz tests only), called by qopt_done with the finished string and the
 * names of its elements, in order. */
extern void (*qopt_trace)(const char *opt, const struct strv *names);

/* A new option whose first element is @head (a driver or backend name, or a value such as
 * "unix:PATH"), escaped like any value; NULL for none: the first key then opens the string. */
struct qopt *qopt_new(const char *head);
/* ",key=value" (no comma before the first element); @key NULL appends the bare value. */
void qopt_add(struct qopt *o, const char *key, const char *value);
/* The same with the value formatted first, then escaped as a whole. */
_printf_(3, 4) void qopt_addf(struct qopt *o, const char *key, const char *fmt, ...);
/* "key=on" or "key=off". */
void qopt_flag(struct qopt *o, const char *key, bool on);
/* The finished string, which the caller frees; @o is gone. */
char *qopt_done(struct qopt *o);
void qopt_free(struct qopt *o);
static inline void qopt_freep(struct qopt **o)
{
	qopt_free(*o);
}
#define _cleanup_qopt_ _cleanup_(qopt_freep)

/* @s with every comma doubled. */
char *qemu_escape(const char *s);
