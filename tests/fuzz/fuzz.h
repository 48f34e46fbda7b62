/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the fuzz targets share: the input as a C string, and how a broken invariant is reported
 * (an abort, which libFuzzer records as a finding with the input that caused it). */
#pragma once

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* @data up to its first NUL, NUL-terminated: the functions under test read C strings. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size);
	char *s = xmalloc(n + 1);

	memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

_printf_(1, 2) __attribute__((noreturn)) static inline void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}
