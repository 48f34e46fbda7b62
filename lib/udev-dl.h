/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libudev, loaded on first use: commands that never ask udev (a launch without USB devices on
 * this system, anything under another root) do not pay for mapping and relocating it. */
#pragma once

#include <libudev.h>

#define UDEV_FUNCS(X)                             \
	X(udev_new)                               \
	X(udev_unref)                             \
	X(udev_enumerate_new)                     \
	X(udev_enumerate_unref)                   \
	X(udev_enumerate_add_match_subsystem)     \
	X(udev_enumerate_add_match_property)      \
	X(udev_enumerate_add_match_sysattr)       \
	X(udev_enumerate_scan_devices)            \
	X(udev_enumerate_get_list_entry)          \
	X(udev_list_entry_get_next)               \
	X(udev_list_entry_get_name)               \
	X(udev_list_entry_get_value)              \
	X(udev_device_new_from_syspath)           \
	X(udev_device_new_from_subsystem_sysname) \
	X(udev_device_get_sysattr_value)          \
	X(udev_device_unref)                      \
	X(udev_hwdb_new)                          \
	X(udev_hwdb_unref)                        \
	X(udev_hwdb_get_properties_list_entry)

struct udev_fns {
#define UDEV_FIELD(f) __typeof__(f) *f;
	UDEV_FUNCS(UDEV_FIELD)
#undef UDEV_FIELD
};

/* The functions of libudev.so.1, or NULL (errno set) when it cannot be loaded. */
const struct udev_fns *udev_fns(void);
