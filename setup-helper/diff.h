/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unified diffs of two contents for --dry-run and for showing what a user changed. */
#pragma once

#include <stddef.h>

/* Writes GNU diff -u's diff of @a → @b, labelled @a_label and @b_label, to @out_fd. A NULL side
 * is an absent file, labelled /dev/null. Nothing is written when equal. Returns 0, or -errno
 * when diff could not be run or failed. */
int show_diff(int out_fd, const char *a_label, const char *a, size_t alen, const char *b_label, const char *b,
	      size_t blen);
