// SPDX-License-Identifier: GPL-2.0-or-later
/* Builds one QEMU option string ("driver,key=value,..."), escaping every value as it appends. */
#include "qopt.h"

void (*qopt_trace)(const char *opt, const struct strv *names);

static void reserve(struct qopt *o, size_t more)
{
	if (o->len + more + 1 <= o->size)
		return;
	while (o->len + more + 1 > o->size)
		o->size = o->size ? o->size * 2 : 64;
	o->buf = xrealloc(o->buf, o->size);
}

static void put(struct qopt *o, const char *s, size_t n)
{
	reserve(o, n);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void put_escaped(struct qopt *o, const char *s)
{
	for (const char *t = s; *t;) {
		size_t n = strcspn(t, ",");

		put(o, t, n);
		t += n;
		if (*t == ',') {
			put(o, ",,", 2);
			t++;
		}
	}
}

struct qopt *qopt_new(const char *head)
{
	struct qopt *o = xcalloc(1, sizeof(*o));

	reserve(o, 0);
	o->buf[0] = '\0';
	if (head) {
		put_escaped(o, head);
		strv_push(&o->names, "");
	}
	return o;
}

void qopt_add(struct qopt *o, const char *key, const char *value)
{
	strv_push(&o->names, key ? key : o->names.n ? value : "");
	if (o->len)
		put(o, ",", 1);
	if (key) {
		put(o, key, strlen(key));
		put(o, "=", 1);
	}
	put_escaped(o, value);
}

void qopt_addf(struct qopt *o, const char *key, const char *fmt, ...)
{
	_cleanup_free_ char *v = NULL;
	va_list ap;

	va_start(ap, fmt);
	v = xvasprintf(fmt, ap);
	va_end(ap);
	qopt_add(o, key, v);
}

void qopt_flag(struct qopt *o, const char *key, bool on)
{
	qopt_add(o, key, on ? "on" : "off");
}

char *qopt_done(struct qopt *o)
{
	char *s = o->buf;

	if (qopt_trace)
		qopt_trace(s, &o->names);
	strv_clear(&o->names);
	free(o);
	return s;
}

void qopt_free(struct qopt *o)
{
	if (!o)
		return;
	free(o->buf);
	strv_clear(&o->names);
	free(o);
}

char *qemu_escape(const char *s)
{
	return qopt_done(qopt_new(s));
}
