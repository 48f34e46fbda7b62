// SPDX-License-Identifier: GPL-2.0-or-later
/* Opens libudev.so.1 the first time a caller needs it (see udev-dl.h). */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include "udev-dl.h"

const struct udev_fns *udev_fns(void)
{
	static struct udev_fns fns;
	static bool loaded, failed;
	void *lib;

	if (loaded)
		return &fns;
	if (failed) {
		errno = ENOSYS;
		return NULL;
	}
	/* Never closed: the process ends soon, and the functions stay in use until then. */
	lib = dlopen("libudev.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		goto fail;
#define UDEV_LOAD(f)                              \
	if (!(*(void **)&fns.f = dlsym(lib, #f))) \
		goto fail;
	UDEV_FUNCS(UDEV_LOAD)
#undef UDEV_LOAD
	loaded = true;
	return &fns;
fail:
	failed = true;
	errno = ENOSYS;
	return NULL;
}
