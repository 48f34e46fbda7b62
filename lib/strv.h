/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A growable NULL-terminated vector of owned strings: argv, lists of names. */
#pragma once

#include <stddef.h>
#include "util.h"

struct strv {
	char **v; /* NULL-terminated once anything was pushed */
	size_t n;
	size_t cap;
};

void strv_push(struct strv *s, const char *str);
void strv_push_take(struct strv *s, char *str);
void strv_pushf(struct strv *s, const char *fmt, ...) _printf_(2, 3);
void strv_clear(struct strv *s);
bool strv_contains(const struct strv *s, const char *str);
/* "a, b or c": the strings joined by ", ", the last two by @last_sep (" or ", " and "). */
char *strv_join_list(const struct strv *s, const char *last_sep);
