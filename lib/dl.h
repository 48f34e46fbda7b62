/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A library opened on first use, its functions found by name (udev-dl, launcher/bus-dl). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* One function: its name, and where its pointer goes in the caller's struct. */
struct dl_sym {
	const char *name;
	size_t offset;
};

/* Whether the library was opened; kept by the caller, zero at first. */
struct dl_once {
	bool loaded, failed;
};

/* The first call opens @soname (never closed) and writes each of @syms into @fns; @fns then and
 * on every later call, NULL with errno ENOSYS (also on every later call) when it or one of them
 * cannot be found. */
void *dl_load_once(struct dl_once *once, const char *soname, const struct dl_sym *syms, size_t n, void *fns);
