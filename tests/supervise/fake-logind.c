// SPDX-License-Identifier: GPL-2.0-or-later
/* A stand-in for logind's manager on a private bus: Inhibit hands out one end of a pipe, as
 * logind does, and the log says when each is taken and when its holder has closed it.
 *
 *   fake-logind LOG    "Inhibit WHAT WHO WHY MODE" per call, "released WHAT" per close
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#define MAX_HELD 16

static const char *log_path;
static struct {
	int fd; /* our end: it hangs up when every copy of the other is closed */
	char what[64];
} held[MAX_HELD];
static unsigned n_held;

static void log_line(const char *line)
{
	FILE *f = fopen(log_path, "ae");

	if (!f)
		return;
	fprintf(f, "%s\n", line);
	fclose(f);
}

static int inhibit(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	const char *what, *who, *why, *mode;
	char line[512];
	int p[2], r;

	(void)userdata;
	r = sd_bus_message_read(m, "ssss", &what, &who, &why, &mode);
	if (r < 0)
		return r;
	if (n_held == MAX_HELD)
		return sd_bus_error_set(err, SD_BUS_ERROR_LIMITS_EXCEEDED, "Too many inhibitors.");
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	snprintf(line, sizeof(line), "Inhibit %s %s %s %s", what, who, why, mode);
	log_line(line);
	held[n_held].fd = p[0];
	snprintf(held[n_held].what, sizeof(held[n_held].what), "%s", what);
	n_held++;
	/* The message takes a copy of the fd: ours goes, so that the caller's is the last. */
	r = sd_bus_reply_method_return(m, "h", p[1]);
	close(p[1]);
	return r;
}

static const sd_bus_vtable manager[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Inhibit", "ssss", "h", inhibit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

int main(int argc, char **argv)
{
	sd_bus *bus = NULL;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s LOG\n", argv[0]);
		return 2;
	}
	log_path = argv[1];
	r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/login1",
					     "org.freedesktop.login1.Manager", manager, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, "org.freedesktop.login1", 0);
	if (r < 0) {
		fprintf(stderr, "fake-logind: %s\n", strerror(-r));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd pfd[1 + MAX_HELD];

		r = sd_bus_process(bus, NULL);
		if (r < 0)
			break;
		if (r > 0)
			continue;
		pfd[0] = (struct pollfd){ .fd = sd_bus_get_fd(bus), .events = (short)sd_bus_get_events(bus) };
		for (unsigned i = 0; i < n_held; i++)
			pfd[1 + i] = (struct pollfd){ .fd = held[i].fd, .events = POLLIN };
		if (poll(pfd, 1 + n_held, -1) < 0 && errno != EINTR)
			break;
		for (unsigned i = n_held; i-- > 0;) {
			if (!pfd[1 + i].revents)
				continue;
			char line[128];

			snprintf(line, sizeof(line), "released %s", held[i].what);
			log_line(line);
			close(held[i].fd);
			held[i] = held[--n_held];
		}
	}
	sd_bus_flush_close_unref(bus);
	return 0;
}
