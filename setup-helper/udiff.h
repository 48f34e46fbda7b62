/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unified diffs of small text files for --dry-run and for showing what a user changed. */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* Lines per file above which no diff is computed (-E2BIG). */
#define UDIFF_MAX_LINES 20000

/* Writes a unified diff (3 lines of context, GNU diff's hunk format) of @a → @b to @out.
 * A NULL side is an absent file, labelled /dev/null. Nothing is written when equal.
 * Returns 0, or -E2BIG when a side has too many lines. */
int udiff(FILE *out, const char *a_label, const char *a, size_t alen, const char *b_label,
	  const char *b, size_t blen);
