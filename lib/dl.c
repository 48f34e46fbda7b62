// SPDX-License-Identifier: GPL-2.0-or-later
/* Opens a library the first time a caller needs one of its functions (see dl.h). */
#include <dlfcn.h>
#include <errno.h>
#include "dl.h"

void *dl_load_once(struct dl_once *once, const char *soname, const struct dl_sym *syms, size_t n, void *fns)
{
	void *lib;

	if (once->loaded)
		return fns;
	if (once->failed)
		goto fail;
	once->failed = true;
	lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		void *f = dlsym(lib, syms[i].name);

		if (!f)
			goto fail;
		*(void **)((char *)fns + syms[i].offset) = f;
	}
	once->failed = false;
	once->loaded = true;
	return fns;
fail:
	errno = ENOSYS;
	return NULL;
}
