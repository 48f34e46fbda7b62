/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The profile's INI reader: (section, key, value, line) records and the errors found on the way. */
#pragma once

#include <stdio.h>
#include "profile.h"

struct ini_rec {
	int sec; /* index into ini_doc.secs, -1 before any section */
	char *key;
	char *value;
	unsigned line;
};

struct ini_sec {
	char *name; /* NULL: a broken header, whose keys are dropped */
	unsigned line;
};

struct ini_doc {
	const char *file; /* as named in messages */
	struct ini_sec *secs;
	size_t n_secs;
	struct ini_rec *recs;
	size_t n_recs;
	struct profile_errors *errs;
	unsigned *err_lines; /* parallel to errs->msgs, for sorting */
};

/* Reads @f into @doc's records (doc->file and doc->errs set by the caller). Lines that inih
 * would misread are reported and dropped. -ENOMEM when inih fails, else 0. */
int ini_read(FILE *f, struct ini_doc *doc);

/* Adds "file:line: key: message" (the key with control characters escaped), or "file:line:
 * message" without a key; stops at PROFILE_MAX_ERRORS. */
_printf_(4, 5) void ini_error(struct ini_doc *doc, unsigned line, const char *key, const char *fmt, ...);

/* Puts the errors in line order, whichever pass found them. */
void ini_sort_errors(struct ini_doc *doc);

void ini_doc_free(struct ini_doc *doc);
