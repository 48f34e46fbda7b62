// SPDX-License-Identifier: GPL-2.0-or-later
/* The supervisor's two D-Bus calls, each on a connection opened for it and closed after. */
#include <errno.h>
#include <fcntl.h>
#include "bus.h"
#include "util.h"

static int say_error(int r, const sd_bus_error *e, const char *what, char *why, size_t len)
{
	snprintf(why, len, "%s: %s", what, e && e->message ? e->message : strerror(-r));
	return r;
}

int bus_open(bool system, sd_bus **ret, char *why, size_t len)
{
	const char *what = system ? "the system bus" : "the session bus";
	const struct bus_fns *B = bus_fns();
	int r;

	if (!B) {
		snprintf(why, len, "%s: libsystemd.so.0 cannot be loaded", what);
		return -ENOSYS;
	}
	r = system ? B->sd_bus_open_system(ret) : B->sd_bus_open_user(ret);
	return r < 0 ? say_error(r, NULL, what, why, len) : 0;
}

int bus_inhibit(const char *what, const char *who, const char *why_text, int *ret_fd, char *why, size_t len)
{
	const struct bus_fns *B = bus_fns();
	_cleanup_(bus_unrefp) sd_bus *bus = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r, fd;

	r = bus_open(true, &bus, why, len);
	if (r < 0)
		return r;
	r = B->sd_bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
				  "org.freedesktop.login1.Manager", "Inhibit", &err, &reply, "ssss", what,
				  who, why_text, "block");
	if (r < 0) {
		say_error(r, &err, "logind Inhibit", why, len);
		B->sd_bus_error_free(&err);
		return r;
	}
	r = B->sd_bus_message_read(reply, "h", &fd);
	if (r >= 0) {
		/* The message owns its fd: keep a copy of our own. */
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		r = fd < 0 ? -errno : 0;
	}
	B->sd_bus_message_unref(reply);
	if (r < 0)
		return say_error(r, NULL, "logind Inhibit reply", why, len);
	*ret_fd = fd;
	return 0;
}

int bus_notify(const char *summary, const char *body, char *why, size_t len)
{
	const struct bus_fns *B = bus_fns();
	_cleanup_(bus_unrefp) sd_bus *bus = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	r = bus_open(false, &bus, why, len);
	if (r < 0)
		return r;
	r = B->sd_bus_call_method(bus, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
				  "org.freedesktop.Notifications", "Notify", &err, NULL, "susssasa{sv}i",
				  "qemu-vm", 0u, "computer", summary, body, 0, 0, -1);
	if (r < 0) {
		say_error(r, &err, "Notify", why, len);
		B->sd_bus_error_free(&err);
	}
	return r < 0 ? r : 0;
}
