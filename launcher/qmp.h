/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small synchronous QMP client over a unix socket (json-c). */
#pragma once

#include <json-c/json.h>
#include "strv.h"

#define QMP_BUF_SIZE 65536

struct qmp {
	int fd;
	char *buf; /* QMP_BUF_SIZE bytes from qmp_open to qmp_close */
	size_t len;
};

/* Connects, checks that the listener is of our own uid (-EPERM otherwise), reads the greeting
 * and negotiates capabilities. 0 or -errno. */
int qmp_open(const char *path, struct qmp *ret);
void qmp_close(struct qmp *q);

/* Sends {"execute": @cmd, "arguments": @args} (args may be NULL; it is not consumed) and waits
 * for the reply, skipping asynchronous events. On success *ret_return holds "return" (a new
 * reference); a QMP error gives -EIO and its description in *ret_error (malloc'd). */
int qmp_execute(struct qmp *q, const char *cmd, struct json_object *args, struct json_object **ret_return,
		char **ret_error);

/* Waits until QEMU closes the socket (it exited), at most @timeout_ms. 0, or -ETIMEDOUT. */
int qmp_wait_closed(struct qmp *q, int timeout_ms);

/* Reads what the socket has without waiting and appends the names of the events in it to
 * @ret_names. 0, or -ECONNRESET once QEMU closed the socket. */
int qmp_read_events(struct qmp *q, struct strv *ret_names);
