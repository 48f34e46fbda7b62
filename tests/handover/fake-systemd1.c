// SPDX-License-Identifier: GPL-2.0-or-later
/* A stand-in for systemd's manager on a private bus: StartUnit/StopUnit of qemu-vm-handover@
 * units, each call logged, its job ended with JobRemoved as systemd does.
 *
 *   fake-systemd1 LOG done|failed|denied
 *   fake-systemd1 LOG exec PROGRAM ARG...  runs PROGRAM bind|unbind ARG... BDF: exit 0 is "done"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#define PREFIX "qemu-vm-handover@"
#define SUFFIX ".service"

static const char *log_path, *mode;
static char **command;
static unsigned next_job = 1;

static int run_command(const char *verb, const char *instance)
{
	int n = 0, status;
	pid_t pid;
	char **argv;

	while (command[n])
		n++;
	argv = calloc((size_t)n + 3, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	argv[0] = command[0];
	argv[1] = (char *)verb;
	memcpy(argv + 2, command + 1, (size_t)(n - 1) * sizeof(*argv));
	argv[n + 1] = (char *)instance;
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	free(argv);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int job(sd_bus_message *m, void *userdata, sd_bus_error *err, const char *verb)
{
	const char *unit, *jmode, *result = mode;
	char path[64], instance[64];
	size_t len;
	FILE *f;
	int r;

	(void)userdata;
	r = sd_bus_message_read(m, "ss", &unit, &jmode);
	if (r < 0)
		return r;
	f = fopen(log_path, "ae");
	if (f) {
		fprintf(f, "%s %s %s\n", strcmp(verb, "bind") == 0 ? "StartUnit" : "StopUnit", unit, jmode);
		fclose(f);
	}
	len = strlen(unit);
	if (strncmp(unit, PREFIX, strlen(PREFIX)) != 0 || len <= strlen(PREFIX) + strlen(SUFFIX) ||
	    strcmp(unit + len - strlen(SUFFIX), SUFFIX) != 0 ||
	    len - strlen(PREFIX) - strlen(SUFFIX) >= sizeof(instance))
		return sd_bus_error_setf(err, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.",
					 unit);
	if (strcmp(mode, "denied") == 0)
		return sd_bus_error_set(err, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
					"Interactive authentication required.");
	snprintf(instance, sizeof(instance), "%.*s", (int)(len - strlen(PREFIX) - strlen(SUFFIX)),
		 unit + strlen(PREFIX));
	if (strcmp(mode, "exec") == 0)
		result = run_command(verb, instance) == 0 ? "done" : "failed";
	else if (strcmp(verb, "unbind") == 0)
		result = "done";
	snprintf(path, sizeof(path), "/org/freedesktop/systemd1/job/%u", next_job);
	r = sd_bus_reply_method_return(m, "o", path);
	if (r < 0)
		return r;
	/* After the reply, as systemd sends it for a job that ends at once. */
	return sd_bus_emit_signal(sd_bus_message_get_bus(m), "/org/freedesktop/systemd1",
				  "org.freedesktop.systemd1.Manager", "JobRemoved", "uoss", next_job++, path,
				  unit, result);
}

static int start_unit(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	return job(m, userdata, err, "bind");
}

static int stop_unit(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	return job(m, userdata, err, "unbind");
}

static int subscribe(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	(void)userdata;
	(void)err;
	return sd_bus_reply_method_return(m, "");
}

static const sd_bus_vtable manager[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("StartUnit", "ss", "o", start_unit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("StopUnit", "ss", "o", stop_unit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Subscribe", "", "", subscribe, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
	SD_BUS_VTABLE_END,
};

int main(int argc, char **argv)
{
	sd_bus *bus = NULL;
	int r;

	if (argc < 3 || (strcmp(argv[2], "exec") == 0 && argc < 4)) {
		fprintf(stderr, "usage: %s LOG done|failed|denied|exec COMMAND...\n", argv[0]);
		return 2;
	}
	log_path = argv[1];
	mode = argv[2];
	command = argv + 3;
	r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1",
					     "org.freedesktop.systemd1.Manager", manager, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
	if (r < 0) {
		fprintf(stderr, "fake-systemd1: %s\n", strerror(-r));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			break;
		if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
			break;
	}
	sd_bus_flush_close_unref(bus);
	return 0;
}
