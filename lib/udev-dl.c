// SPDX-License-Identifier: GPL-2.0-or-later
/* Opens libudev.so.1 the first time a caller needs it (see udev-dl.h). */
#include "dl.h"
#include "udev-dl.h"
#include "util.h"

const struct udev_fns *udev_fns(void)
{
#define UDEV_SYM(f) { #f, offsetof(struct udev_fns, f) },
	static const struct dl_sym syms[] = { UDEV_FUNCS(UDEV_SYM) };
#undef UDEV_SYM
	static struct udev_fns fns;
	static struct dl_once once;

	return dl_load_once(&once, "libudev.so.1", syms, ARRAY_SIZE(syms), &fns);
}
