/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libsystemd's sd-bus, loaded on first use: a launch that makes no D-Bus call (no inhibitor, no
 * handover, no notification) and every other command do not pay for mapping and relocating it
 * and the five libraries it pulls in. */
#pragma once

#include <systemd/sd-bus.h>

#define BUS_FUNCS(X)                \
	X(sd_bus_open_system)       \
	X(sd_bus_open_user)         \
	X(sd_bus_flush_close_unref) \
	X(sd_bus_call_method)       \
	X(sd_bus_match_signal)      \
	X(sd_bus_process)           \
	X(sd_bus_wait)              \
	X(sd_bus_message_read)      \
	X(sd_bus_message_unref)     \
	X(sd_bus_slot_unref)        \
	X(sd_bus_error_has_name)    \
	X(sd_bus_error_free)

struct bus_fns {
#define BUS_FIELD(f) __typeof__(f) *f;
	BUS_FUNCS(BUS_FIELD)
#undef BUS_FIELD
};

/* The functions of libsystemd.so.0, or NULL (errno set) when it cannot be loaded. */
const struct bus_fns *bus_fns(void);
