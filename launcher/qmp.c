// SPDX-License-Identifier: GPL-2.0-or-later
/* A small synchronous QMP client: one command at a time, events read and dropped. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "qmp.h"
#include "util.h"

#define QMP_TIMEOUT_MS 10000

/* Reads one '\n'-terminated JSON message. */
static int read_message(struct qmp *q, struct json_object **ret)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		ssize_t n;
		int r;

		if (nl) {
			*nl = '\0';
			*ret = json_tokener_parse(q->buf);
			q->len -= (size_t)(nl + 1 - q->buf);
			memmove(q->buf, nl + 1, q->len);
			if (!*ret)
				return -EBADMSG;
			return 0;
		}
		if (q->len == QMP_BUF_SIZE - 1)
			return -EMSGSIZE;
		r = poll(&pfd, 1, QMP_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		n = read(q->fd, q->buf + q->len, QMP_BUF_SIZE - 1 - q->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		q->len += (size_t)n;
	}
}

static int send_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int qmp_execute(struct qmp *q, const char *cmd, struct json_object *args, struct json_object **ret_return,
		char **ret_error)
{
	struct json_object *req = json_object_new_object();
	int r;

	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", json_object_get(args));
	r = send_all(q->fd, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	if (r == 0)
		r = send_all(q->fd, "\n");
	json_object_put(req);
	if (r < 0)
		return r;
	for (;;) {
		struct json_object *msg, *v;

		r = read_message(q, &msg);
		if (r < 0)
			return r;
		if (json_object_object_get_ex(msg, "return", &v)) {
			if (ret_return)
				*ret_return = json_object_get(v);
			json_object_put(msg);
			return 0;
		}
		if (json_object_object_get_ex(msg, "error", &v)) {
			struct json_object *desc;
			if (ret_error)
				*ret_error = xstrdup(json_object_object_get_ex(v, "desc", &desc)
							     ? json_object_get_string(desc)
							     : "unknown error");
			json_object_put(msg);
			return -EIO;
		}
		json_object_put(msg); /* an event */
	}
}

int qmp_open(const char *path, struct qmp *ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* On the heap, not cleared: 64 KiB written (or copied) at each attempt would be pages
	 * touched for nothing, and the supervisor tries every few ms while QEMU comes up. */
	struct qmp q;
	struct json_object *greeting = NULL;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	q.len = 0;
	q.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q.fd < 0)
		return -errno;
	if (connect(q.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(q.fd);
		return r;
	}
	q.buf = xmalloc(QMP_BUF_SIZE);
	/* Whoever listens there gets our commands: it must be our own QEMU. */
	{
		struct ucred cred;
		socklen_t len = sizeof(cred);
		if (getsockopt(q.fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != getuid()) {
			qmp_close(&q);
			return -EPERM;
		}
	}
	r = read_message(&q, &greeting);
	if (r == 0) {
		if (!json_object_object_get_ex(greeting, "QMP", NULL))
			r = -EPROTO;
		json_object_put(greeting);
	}
	if (r == 0)
		r = qmp_execute(&q, "qmp_capabilities", NULL, NULL, NULL);
	if (r < 0) {
		qmp_close(&q);
		return r;
	}
	*ret = q;
	return 0;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	free(q->buf);
	q->buf = NULL;
}

int qmp_wait_closed(struct qmp *q, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms;) {
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		char drop[4096];
		int r = poll(&pfd, 1, 100);

		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && read(q->fd, drop, sizeof(drop)) <= 0)
			return 0;
		if (r == 0)
			waited += 100;
	}
	return -ETIMEDOUT;
}

int qmp_read_events(struct qmp *q, struct strv *ret_names)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		ssize_t n;

		if (nl) {
			struct json_object *msg, *ev;
			*nl = '\0';
			msg = json_tokener_parse(q->buf);
			q->len -= (size_t)(nl + 1 - q->buf);
			memmove(q->buf, nl + 1, q->len);
			if (msg && json_object_object_get_ex(msg, "event", &ev))
				strv_push(ret_names, json_object_get_string(ev));
			json_object_put(msg);
			continue;
		}
		if (q->len == QMP_BUF_SIZE - 1)
			q->len = 0; /* one message larger than the buffer: not an event we know */
		n = recv(q->fd, q->buf + q->len, QMP_BUF_SIZE - 1 - q->len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0)
			return -ECONNRESET;
		q->len += (size_t)n;
	}
}
