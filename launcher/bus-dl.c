// SPDX-License-Identifier: GPL-2.0-or-later
/* Opens libsystemd.so.0 the first time a D-Bus call needs it (see bus-dl.h). */
#include "bus-dl.h"
#include "dl.h"
#include "util.h"

const struct bus_fns *bus_fns(void)
{
#define BUS_SYM(f) { #f, offsetof(struct bus_fns, f) },
	static const struct dl_sym syms[] = { BUS_FUNCS(BUS_SYM) };
#undef BUS_SYM
	static struct bus_fns fns;
	static struct dl_once once;

	return dl_load_once(&once, "libsystemd.so.0", syms, ARRAY_SIZE(syms), &fns);
}
