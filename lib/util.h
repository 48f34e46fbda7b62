/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers every file uses: cleanup attributes, string tests, checked number parsing. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))

#define TAKE_PTR(p)                      \
	({                               \
		__typeof__(p) _p_ = (p); \
		(p) = NULL;              \
		_p_;                     \
	})
#define TAKE_FD(fd)              \
	({                       \
		int _fd_ = (fd); \
		(fd) = -1;       \
		_fd_;            \
	})

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}
static inline bool strempty(const char *s)
{
	return !s || !*s;
}
static inline bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Aborts on allocation failure: there is nothing sensible to do about it in a launcher. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xvasprintf(const char *fmt, va_list ap) _printf_(1, 0);
/* A graphical session: DISPLAY or WAYLAND_DISPLAY set. */
bool gui_session(void);
/* Says why in *@ret_error and returns @r (-EIO when @r is no error). */
int set_error(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);

/* Checked parsing: the whole string must be consumed. */
int parse_u64(const char *s, int base, uint64_t *ret);
int parse_uint(const char *s, int base, unsigned max, unsigned *ret);

/* Reads a small file (at most 64 KiB), trailing newline stripped. */
int read_small_file(const char *path, char **ret);
/* Reads a small file holding one number (decimal, or 0x hex when base is 0). */
int read_u64_file(const char *path, int base, uint64_t *ret);

/* Formats a byte count the way a user writes it: 16G, 512M, 64K, or bytes. */
void format_size(uint64_t bytes, char *buf, size_t len);

/* @s fit for one line of a message: control characters as \n, \t, \r or \xNN. Malloc'd. */
char *escape_control(const char *s);

/* ROOT + "/sys/...": a malloc'd path. A root of NULL or "/" gives the path itself. (Here, not in
 * host.c, so that find_program_under below can use it without util depending on host.) */
char *host_path(const char *root, const char *path);
/* Resolves a program name on $PATH the way execvp would (a name with '/' is taken as is);
 * returns a malloc'd path or NULL with errno set (ENOENT, EACCES). No shell is involved anywhere. */
char *find_program(const char *name);
/* The same with every path read under @root (NULL or "/": none); the path returned is the one
 * the host sees, without the root. */
char *find_program_under(const char *root, const char *name);

/* mkdir -p with @mode for each directory created; an existing directory is fine. */
int mkdir_parents(const char *path, mode_t mode);

/* The word of @words (@n of them) nearest to @typed, for a "did you mean" hint: a unique word
 * @typed is a prefix of, else the one within a small edit distance (a third of its length, at
 * least 1). NULL when nothing is near enough. */
const char *nearest_word(const char *typed, const char *const *words, size_t n);
