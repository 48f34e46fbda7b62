// SPDX-License-Identifier: GPL-2.0-or-later
/* Renders the installed files' templates; strict: an unknown name or an unsafe value fails. */
#include <errno.h>
#include "template.h"

void tmpl_set(struct tmpl_vars *v, const char *name, const char *value)
{
	strv_pushf(&v->globals, "%s=%s", name, value);
}

struct strv *tmpl_add_item(struct tmpl_vars *v, const char *name)
{
	struct tmpl_list *l = NULL;

	for (size_t i = 0; i < v->n_lists; i++)
		if (streq(v->lists[i].name, name))
			l = &v->lists[i];
	if (!l) {
		if (v->n_lists == ARRAY_SIZE(v->lists))
			abort();
		l = &v->lists[v->n_lists++];
		l->name = name;
	}
	if (l->n == TEMPLATE_MAX_ITEMS)
		abort(); /* callers cap their inputs far below this */
	return &l->items[l->n++];
}

void tmpl_vars_free(struct tmpl_vars *v)
{
	strv_clear(&v->globals);
	for (size_t i = 0; i < v->n_lists; i++)
		for (size_t j = 0; j < v->lists[i].n; j++)
			strv_clear(&v->lists[i].items[j]);
	*v = (struct tmpl_vars){ 0 };
}

static const char *lookup(const struct strv *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (strncmp(s->v[i], name, len) == 0 && s->v[i][len] == '=')
			return s->v[i] + len + 1;
	return NULL;
}

static const struct tmpl_list *find_list(const struct tmpl_vars *v, const char *name, size_t len)
{
	for (size_t i = 0; i < v->n_lists; i++)
		if (strlen(v->lists[i].name) == len && strncmp(v->lists[i].name, name, len) == 0)
			return &v->lists[i];
	return NULL;
}

static bool value_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* Substitutes one line (without its newline) into @out. */
static int render_line(const char *line, size_t len, const struct strv *item, const struct strv *globals,
		       FILE *out, char **ret_error)
{
	const char *p = line, *end = line + len;

	while (p < end) {
		const char *open = memmem(p, (size_t)(end - p), "{{", 2), *close, *val = NULL;

		if (!open) {
			fwrite(p, 1, (size_t)(end - p), out);
			break;
		}
		fwrite(p, 1, (size_t)(open - p), out);
		close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2);
		if (!close) {
			*ret_error = xasprintf("unterminated '{{' in '%.*s'", (int)len, line);
			return -EINVAL;
		}
		if (item)
			val = lookup(item, open + 2, (size_t)(close - open - 2));
		if (!val)
			val = lookup(globals, open + 2, (size_t)(close - open - 2));
		if (!val) {
			*ret_error = xasprintf("unknown template variable '%.*s'", (int)(close - open - 2),
					       open + 2);
			return -EINVAL;
		}
		if (!value_safe(val)) {
			*ret_error = xasprintf("unsafe value for '%.*s': '%s'", (int)(close - open - 2),
					       open + 2, val);
			return -EINVAL;
		}
		fputs(val, out);
		p = close + 2;
	}
	fputc('\n', out);
	return 0;
}

int tmpl_render(const char *text, const struct tmpl_vars *v, char **ret, char **ret_error)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	int r = 0;

	if (!out)
		abort();
	for (const char *p = text; *p && r >= 0;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (startswith(p, "{{#") || startswith(p, "{{?")) {
			const char *close = memmem(p + 3, len > 3 ? len - 3 : 0, "}}", 2);
			size_t nlen;

			if (!close) {
				*ret_error = xasprintf("unterminated '{{' in '%.*s'", (int)len, p);
				r = -EINVAL;
				break;
			}
			nlen = (size_t)(close - p - 3);
			if (p[2] == '#') {
				const struct tmpl_list *l = find_list(v, p + 3, nlen);

				for (size_t i = 0; l && i < l->n && r >= 0; i++)
					r = render_line(close + 2, (size_t)(p + len - close - 2),
							&l->items[i], &v->globals, out, ret_error);
			} else {
				const char *val = lookup(&v->globals, p + 3, nlen);

				if (val && *val)
					r = render_line(close + 2, (size_t)(p + len - close - 2), NULL,
							&v->globals, out, ret_error);
			}
		} else
			r = render_line(p, len, NULL, &v->globals, out, ret_error);
		p = nl ? nl + 1 : p + len;
	}
	fclose(out);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}
