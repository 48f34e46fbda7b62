// SPDX-License-Identifier: GPL-2.0-or-later
/* Allocation wrappers, checked number parsing and small-file reads shared by both programs. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/stat.h>
#include "util.h"

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

char *xstrdup(const char *s)
{
	char *r = strdup(s);
	if (!r)
		abort();
	return r;
}

char *xstrndup(const char *s, size_t n)
{
	char *r = strndup(s, n);
	if (!r)
		abort();
	return r;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *r;

	if (vasprintf(&r, fmt, ap) < 0)
		abort();
	return r;
}

int set_error(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*ret_error = xvasprintf(fmt, ap);
	va_end(ap);
	return r < 0 ? r : -EIO;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	r = xvasprintf(fmt, ap);
	va_end(ap);
	return r;
}

int parse_u64(const char *s, int base, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (strempty(s) || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_uint(const char *s, int base, unsigned max, unsigned *ret)
{
	uint64_t v = 0;
	int r = parse_u64(s, base, &v);

	if (r < 0)
		return r;
	if (v > max)
		return -ERANGE;
	*ret = (unsigned)v;
	return 0;
}

int read_small_file(const char *path, char **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[65536];
	ssize_t n;
	size_t len = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf) - 1)
			return -EFBIG;
	}
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	*ret = xstrndup(buf, len);
	return 0;
}

int read_u64_file(const char *path, int base, uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	int r = read_small_file(path, &s);

	if (r < 0)
		return r;
	return parse_u64(s, base, ret);
}

void format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (bytes >= 1024 && bytes % 1024 == 0 && u < 3) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, bytes);
	else
		snprintf(buf, len, "%" PRIu64 "%c", bytes, units[u]);
}

/* What execve would run: a regular file we may execute (a directory passes access(X_OK)). */
static bool is_program(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return false;
	}
	return access(path, X_OK) == 0;
}

char *host_path(const char *root, const char *path)
{
	if (!root || streq(root, "/") || !*root)
		return xstrdup(path);
	return xasprintf("%s%s%s", root, path[0] == '/' ? "" : "/", path);
}

char *find_program_under(const char *root, const char *name)
{
	const char *path = secure_getenv("PATH");
	bool under = !strempty(root) && !streq(root, "/");
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;
	int err = ENOENT;

	if (strempty(name)) {
		errno = EINVAL;
		return NULL;
	}
	if (strchr(name, '/')) {
		_cleanup_free_ char *full = host_path(root, name);
		return is_program(full) ? xstrdup(name) : NULL;
	}
	copy = xstrdup(strempty(path) ? "/usr/local/bin:/usr/bin:/bin" : path);
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *full = NULL, *found = NULL;

		/* A relative entry means the working directory, which is no part of another root. */
		if (under && dir[0] != '/')
			continue;
		found = xasprintf("%s/%s", *dir ? dir : ".", name);
		full = host_path(root, found);
		if (is_program(full))
			return TAKE_PTR(found);
		/* As execvp: one that is there but may not be run is worth saying. */
		if (errno == EACCES)
			err = EACCES;
	}
	errno = err;
	return NULL;
}

char *escape_control(const char *s)
{
	size_t n = 1;
	char *r, *o;

	for (const unsigned char *t = (const unsigned char *)s; *t; t++)
		n += *t < 0x20 || *t == 0x7f ? 4 : 1;
	r = o = xmalloc(n);
	for (const unsigned char *t = (const unsigned char *)s; *t; t++) {
		if (*t == '\n' || *t == '\t' || *t == '\r') {
			*o++ = '\\';
			*o++ = *t == '\n' ? 'n' : *t == '\t' ? 't' : 'r';
		} else if (*t < 0x20 || *t == 0x7f)
			o += sprintf(o, "\\x%02x", *t);
		else
			*o++ = (char)*t;
	}
	*o = '\0';
	return r;
}

char *find_program(const char *name)
{
	return find_program_under(NULL, name);
}

int mkdir_parents(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Levenshtein distance, capped: words longer than 64 characters are never near anything. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

const char *nearest_word(const char *typed, const char *const *words, size_t n)
{
	const char *best = NULL, *prefixed = NULL;
	size_t best_d = SIZE_MAX, n_prefixed = 0;

	for (size_t i = 0; i < n; i++) {
		size_t d;

		if (*typed && startswith(words[i], typed)) {
			prefixed = words[i];
			n_prefixed++;
		}
		d = edit_distance(typed, words[i]);
		if (d < best_d) {
			best_d = d;
			best = words[i];
		}
	}
	if (n_prefixed == 1)
		return prefixed;
	return best && best_d <= (strlen(best) / 3 > 1 ? strlen(best) / 3 : 1) ? best : NULL;
}

bool gui_session(void)
{
	return !strempty(secure_getenv("DISPLAY")) || !strempty(secure_getenv("WAYLAND_DISPLAY"));
}
