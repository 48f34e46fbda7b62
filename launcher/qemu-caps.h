/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the QEMU binary can do, learned once per binary and cached as libvirt caches capabilities. */
#pragma once

#include <stdbool.h>

/* Whether the QEMU binary @bin (a path, as inspect found it) has the pipewire audio driver:
 * from the cache under $XDG_CACHE_HOME/qemu-vm, keyed by the binary's path, size and mtime;
 * probed once otherwise, and only when @may_run (-EAGAIN when it was not). 1, 0, or -errno. */
int qemu_has_pipewire(const char *bin, bool may_run);
/* Whether it has the display @name (gtk, sdl), from -display help: the same way. */
int qemu_has_display(const char *bin, const char *name, bool may_run);
/* Whether it has a SPICE server (-spice help answers rather than refuses): the same way. */
int qemu_has_spice(const char *bin, bool may_run);
