/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The line templates in udev/, limits/, modprobe/: {{VAR}} substitution and repeated lines. */
#pragma once

#include <stddef.h>
#include "strv.h"

#define TEMPLATE_MAX_ITEMS 256

/* Variables are "NAME=value" strings. A line starting with {{#LIST}} is written once per item
 * of LIST (item variables first, then the globals) and not at all for an empty list; a line
 * starting with {{?FLAG}} only when FLAG is set to a non-empty value. */
struct tmpl_list {
	const char *name;
	struct strv items[TEMPLATE_MAX_ITEMS]; /* each: variables of one item */
	size_t n;
};

struct tmpl_vars {
	struct strv globals;
	struct tmpl_list lists[16];
	size_t n_lists;
};

void tmpl_set(struct tmpl_vars *v, const char *name, const char *value);
/* Adds an item to list @name; returns its variable vector to tmpl-fill with strv_pushf. */
struct strv *tmpl_add_item(struct tmpl_vars *v, const char *name);
void tmpl_vars_free(struct tmpl_vars *v);

/* Renders @text. Every {{NAME}} must be defined and every value must be free of control
 * characters, quotes and backslashes (values were validated before; this is the last guard).
 * Returns 0 and a malloc'd string, or -EINVAL with a message in @ret_error. */
int tmpl_render(const char *text, const struct tmpl_vars *v, char **ret, char **ret_error);
