/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the supervisor asks over D-Bus (sd-bus): a logind inhibitor, a desktop notification. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "bus-dl.h"

/* For _cleanup_(bus_unrefp): a connection flushed, closed and released. Only a connection
 * opened through bus_fns() is ever non-NULL. */
static inline void bus_unrefp(sd_bus **b)
{
	if (*b)
		bus_fns()->sd_bus_flush_close_unref(*b);
}

/* A connection to the system bus (@system) or the user's session bus, libsystemd loaded first.
 * 0, or -errno with what failed in @why. After it, bus_fns() is not NULL. */
int bus_open(bool system, sd_bus **ret, char *why, size_t len);

/* A logind inhibitor lock ("sleep:idle", mode block) on the system bus, held as long as the
 * returned fd is open. 0 and the fd, or -errno with D-Bus's reason in @why. */
int bus_inhibit(const char *what, const char *who, const char *why_text, int *ret_fd, char *why, size_t len);

/* org.freedesktop.Notifications.Notify on the session bus. 0, or -errno with the reason in @why. */
int bus_notify(const char *summary, const char *body, char *why, size_t len);
