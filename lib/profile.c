// SPDX-License-Identifier: GPL-2.0-or-later
/* Parses a qemu-vm profile with inih, then validates every record with its line number. */
#include <errno.h>
#include <ctype.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include "profile.h"

/*
 * inih's handler gets no line number (INI_HANDLER_LINENO is off in the distributions' builds)
 * and it silently treats an indented line as the continuation of the previous value. Our own
 * reader counts lines, strips leading blanks (so there are no continuations), checks each
 * line's shape and records section headers; the handler only stores (section, key, value,
 * line) records. All validation happens in a second pass over those records.
 */

struct rec {
	int sec; /* index into parse.secs, -1 before any section */
	char *key;
	char *value;
	unsigned line;
};

struct sec {
	char *name;
	unsigned line;
};

struct parse {
	FILE *f;
	const char *file;
	unsigned line;
	bool eof;
	char *buf; /* getline's: a line may be any length and hold NUL bytes */
	size_t buf_size;
	struct sec *secs;
	size_t n_secs;
	struct rec *recs;
	size_t n_recs;
	struct profile_errors *errs;
	unsigned *err_lines; /* parallel to errs->msgs, for sorting */
	struct profile *p;
};

_printf_(4, 5) static void error_at(struct parse *ps, unsigned line, const char *key,
				    const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *msg = NULL;

	if (ps->errs->msgs.n >= PROFILE_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (key)
		strv_pushf(&ps->errs->msgs, "%s:%u: %s: %s", ps->file, line, key, msg);
	else
		strv_pushf(&ps->errs->msgs, "%s:%u: %s", ps->file, line, msg);
	ps->err_lines = xrealloc(ps->err_lines, ps->errs->msgs.n * sizeof(unsigned));
	ps->err_lines[ps->errs->msgs.n - 1] = line;
	if (ps->errs->msgs.n == PROFILE_MAX_ERRORS) {
		strv_pushf(&ps->errs->msgs, "%s: too many errors, stopping", ps->file);
		ps->err_lines = xrealloc(ps->err_lines, ps->errs->msgs.n * sizeof(unsigned));
		ps->err_lines[ps->errs->msgs.n - 1] = UINT_MAX;
	}
}

/* Records a section header; a NULL name marks a broken one, whose keys are then dropped. */
static void push_sec(struct parse *ps, char *name)
{
	ps->secs = xrealloc(ps->secs, (ps->n_secs + 1) * sizeof(*ps->secs));
	ps->secs[ps->n_secs++] = (struct sec){ .name = name, .line = ps->line };
}

/* Checks a line the way inih will split it; false (and an error) when inih would drop it or
 * split it somewhere the user did not mean. */
static bool line_shape_ok(struct parse *ps, const char *s)
{
	const char *eq;

	if (*s == '\0' || *s == ';' || *s == '#')
		return true;
	if (*s == '[') {
		const char *end = strchr(s, ']');
		if (!end) {
			error_at(ps, ps->line, NULL, "section header: expected '[name]', got '%s'", s);
			push_sec(ps, NULL);
			return false;
		}
		push_sec(ps, xstrndup(s + 1, (size_t)(end - s - 1)));
		for (const char *t = end + 1; *t; t++) {
			if (*t == ';' || *t == '#')
				break;
			if (!isspace((unsigned char)*t)) {
				error_at(ps, ps->line, NULL,
					 "section header: unexpected text after ']' in '%s'", s);
				return false;
			}
		}
		return true;
	}
	/* inih ends a key at the first '=' or ':', or at a ';' after a blank (a comment). */
	eq = strchr(s, '=');
	for (const char *t = s; eq && t < eq; t++)
		if (*t == ':' || (*t == ';' && isspace((unsigned char)t[-1]))) {
			error_at(ps, ps->line, NULL,
				 "expected 'key = value' with no '%c' in the key, got '%s'", *t, s);
			return false;
		}
	if (!eq || eq == s) {
		error_at(ps, ps->line, NULL, "expected 'key = value' or '[section]', got '%s'", s);
		return false;
	}
	return true;
}

/* An ini_reader: hands inih one line at a time, never longer than it can hold. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	ssize_t n;
	size_t len;
	char *s;

	for (;;) {
		if (ps->eof || (n = getline(&ps->buf, &ps->buf_size, ps->f)) < 0) {
			ps->eof = true;
			return NULL;
		}
		ps->line++;
		s = ps->buf;
		len = (size_t)n;
		while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
			s[--len] = '\0';
		/* A UTF-8 byte order mark, as some Windows editors write. */
		if (ps->line == 1 && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
			s += 3;
			len -= 3;
		}
		if (memchr(s, '\0', len)) {
			error_at(ps, ps->line, NULL, "line holds a NUL byte");
			continue;
		}
		if (len + 3 > (size_t)num) {
			error_at(ps, ps->line, NULL, "line is %zu characters long; at most %d fit",
				 len, num - 3);
			continue;
		}
		/* All leading blanks: inih would read an indented line as a continuation. */
		while (isspace((unsigned char)*s))
			s++;
		if (!line_shape_ok(ps, s))
			continue;
		snprintf(str, (size_t)num, "%s\n", s);
		return str;
	}
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;

	ps->recs = xrealloc(ps->recs, (ps->n_recs + 1) * sizeof(*ps->recs));
	ps->recs[ps->n_recs++] = (struct rec){
		.sec = ps->n_secs ? (int)ps->n_secs - 1 : -1,
		.key = xstrdup(name),
		.value = xstrdup(value ? value : ""),
		.line = ps->line,
	};
	(void)section;
	return 1;
}

/* ---- value parsers ---- */

int parse_size(const char *s, uint64_t *ret)
{
	uint64_t v, mult;
	char *end;
	unsigned long long n;

	if (strempty(s) || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (end == s)
		return -EINVAL;
	if (errno == ERANGE)
		n = ULLONG_MAX; /* still -ERANGE below when the unit is right */
	switch (toupper((unsigned char)*end)) {
	case 'K': mult = 1ULL << 10; break;
	case 'M': mult = 1ULL << 20; break;
	case 'G': mult = 1ULL << 30; break;
	case 'T': mult = 1ULL << 40; break;
	default: return -EINVAL;
	}
	end++;
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	if (n == ULLONG_MAX || n > UINT64_MAX / mult)
		return -ERANGE;
	v = n * mult;
	*ret = v;
	return 0;
}

int parse_cpulist(const char *s, struct cpuset *ret)
{
	struct cpuset set = { 0 };
	const char *p = s;
	static bool seen[4096];

	memset(seen, 0, sizeof(seen));
	if (strempty(s))
		return -EINVAL;
	for (;;) {
		unsigned a, b;
		char *end;
		unsigned long v;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		v = strtoul(p, &end, 10);
		if (v >= ARRAY_SIZE(seen))
			return -ERANGE;
		a = b = (unsigned)v;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			v = strtoul(p, &end, 10);
			if (v >= ARRAY_SIZE(seen))
				return -ERANGE;
			b = (unsigned)v;
			p = end;
			if (b < a)
				return -EINVAL;
		}
		for (unsigned c = a; c <= b; c++) {
			if (seen[c] || set.n >= CPUSET_MAX)
				return -EINVAL;
			seen[c] = true;
			set.cpu[set.n++] = (uint16_t)c;
		}
		if (*p == '\0')
			break;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
	*ret = set;
	return 0;
}

static int parse_hex_field(const char *s, size_t len, unsigned max, unsigned *ret)
{
	char buf[8];

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return parse_uint(buf, 16, max, ret);
}

int parse_pci_addr(const char *s, struct pci_addr *ret)
{
	struct pci_addr a = { 0 };
	const char *c1, *c2, *dot;

	if (strempty(s))
		return -EINVAL;
	c1 = strchr(s, ':');
	if (!c1)
		return -EINVAL;
	c2 = strchr(c1 + 1, ':');
	if (c2) {
		if (parse_hex_field(s, (size_t)(c1 - s), 0xffff, &a.domain) < 0)
			return -EINVAL;
		s = c1 + 1;
		c1 = c2;
	}
	dot = strchr(c1 + 1, '.');
	if (!dot)
		return -EINVAL;
	if (parse_hex_field(s, (size_t)(c1 - s), 0xff, &a.bus) < 0 ||
	    parse_hex_field(c1 + 1, (size_t)(dot - c1 - 1), 0x1f, &a.slot) < 0 ||
	    parse_hex_field(dot + 1, strlen(dot + 1), 7, &a.func) < 0)
		return -EINVAL;
	*ret = a;
	return 0;
}

int parse_pci_id(const char *s, struct pci_id *ret)
{
	unsigned v, d;

	if (strempty(s) || strlen(s) != 9 || s[4] != ':')
		return -EINVAL;
	if (parse_hex_field(s, 4, 0xffff, &v) < 0 || parse_hex_field(s + 5, 4, 0xffff, &d) < 0)
		return -EINVAL;
	*ret = (struct pci_id){ .vendor = (uint16_t)v, .device = (uint16_t)d };
	return 0;
}

int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (streq(s, yes[i])) {
			*ret = true;
			return 0;
		}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (streq(s, no[i])) {
			*ret = false;
			return 0;
		}
	return -EINVAL;
}

int parse_usb_port(const char *s, unsigned *ret_bus, char *ret_port, size_t len)
{
	const char *dash = strchr(s, '-');
	unsigned bus, depth = 0;
	char buf[8];

	if (!dash || dash == s || (size_t)(dash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (parse_uint(buf, 10, 255, &bus) < 0 || bus == 0)
		return -EINVAL;
	/* Port path: 1-31 joined by dots, at most 7 tiers (USB spec). */
	for (const char *p = dash + 1;;) {
		char *end;
		unsigned long v;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		v = strtoul(p, &end, 10);
		if (v == 0 || v > 31 || ++depth > 7)
			return -EINVAL;
		p = end;
		if (*p == '\0')
			break;
		if (*p != '.')
			return -EINVAL;
		p++;
	}
	if (strlen(dash + 1) >= len)
		return -EINVAL;
	*ret_bus = bus;
	strcpy(ret_port, dash + 1);
	return 0;
}

static const char *xdg_dir(const char *var, const char *home_suffix)
{
	static char buf[4][PATH_MAX];
	static unsigned slot;
	const char *v = secure_getenv(var);
	const char *home;

	if (!strempty(v) && v[0] == '/')
		return v;
	if (!home_suffix)
		return NULL;
	home = secure_getenv("HOME");
	if (strempty(home))
		return NULL;
	slot = (slot + 1) % 4;
	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", home, home_suffix);
	return buf[slot];
}

char *expand_path(const char *s)
{
	static const struct {
		const char *name, *home_suffix;
	} vars[] = {
		{ "HOME", NULL },
		{ "XDG_CONFIG_HOME", ".config" },
		{ "XDG_DATA_HOME", ".local/share" },
		{ "XDG_CACHE_HOME", ".cache" },
		{ "XDG_STATE_HOME", ".local/state" },
		{ "XDG_RUNTIME_DIR", NULL },
	};
	char out[PATH_MAX];
	size_t o = 0;
	const char *p = s;

	if (s[0] == '~' && s[1] != '/' && s[1] != '\0') {
		errno = EINVAL; /* ~user: not expanded, and not a file name anyone means */
		return NULL;
	}
	if (s[0] == '~') {
		const char *home = secure_getenv("HOME");
		if (strempty(home)) {
			errno = ENOENT;
			return NULL;
		}
		o = (size_t)snprintf(out, sizeof(out), "%s", home);
		p = s + 1;
	}
	while (*p) {
		if (*p == '$') {
			bool brace = p[1] == '{';
			const char *name = p + 1 + brace;
			size_t nlen = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
			const char *val = NULL;
			bool known = false;

			if (brace && name[nlen] != '}') {
				errno = EINVAL;
				return NULL;
			}
			for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
				if (strlen(vars[i].name) == nlen && !strncmp(name, vars[i].name, nlen)) {
					known = true;
					val = streq(vars[i].name, "HOME") ? secure_getenv("HOME")
									: xdg_dir(vars[i].name, vars[i].home_suffix);
				}
			if (!known) {
				errno = EINVAL;
				return NULL;
			}
			if (strempty(val)) {
				errno = ENOENT;
				return NULL;
			}
			o += (size_t)snprintf(out + o, o < sizeof(out) ? sizeof(out) - o : 0, "%s", val);
			p = name + nlen + brace;
			continue;
		}
		if (o + 1 < sizeof(out))
			out[o] = *p;
		o++;
		p++;
	}
	if (o >= sizeof(out)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	out[o] = '\0';
	return xstrdup(out);
}

uint64_t lg_size_for(unsigned width, unsigned height)
{
	uint64_t need = (uint64_t)width * height * 4 * 2 + (10ULL << 20);
	uint64_t size = 1;

	while (size < need)
		size <<= 1;
	return size;
}

/* ---- validation ---- */

struct ctx {
	struct parse *ps;
	struct profile *p;
	const struct rec *r;
	struct loc loc;
};

_printf_(2, 3) static void bad(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *msg = NULL;
	const char *hash = c->r->value;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	/* inih only knows ';' comments: a shell-style '# …' stays in the value. */
	while ((hash = strchr(hash, '#')) && (hash == c->r->value || !isspace((unsigned char)hash[-1])))
		hash++;
	error_at(c->ps, c->r->line, c->r->key, "%s%s", msg,
		 hash ? " (a comment after a value starts with ';', not '#')" : "");
}

static void expected(struct ctx *c, const char *what)
{
	bad(c, "expected %s, got '%s'", what, c->r->value);
}

/* Looks the value up in a NULL-terminated list of names; -1 and an error when absent. */
static int choose(struct ctx *c, const char *const *names)
{
	char list[256] = "";

	for (int i = 0; names[i]; i++)
		if (streq(c->r->value, names[i]))
			return i;
	for (int i = 0; names[i]; i++) {
		if (i)
			strncat(list, i && !names[i + 1] ? " or " : ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, names[i], sizeof(list) - strlen(list) - 1);
	}
	bad(c, "expected %s, got '%s'", list, c->r->value);
	return -1;
}

static bool get_bool(struct ctx *c, bool *ret)
{
	if (parse_bool(c->r->value, ret) < 0) {
		expected(c, "on or off");
		return false;
	}
	return true;
}

static void get_toggle(struct ctx *c, enum toggle3 *ret)
{
	bool b;

	if (get_bool(c, &b))
		*ret = b ? T_ON : T_OFF;
}

static bool get_uint(struct ctx *c, unsigned min, unsigned max, unsigned *ret)
{
	unsigned v;

	if (parse_uint(c->r->value, 10, UINT_MAX, &v) < 0 || v < min || v > max) {
		char what[64];
		snprintf(what, sizeof(what), "a whole number from %u to %u", min, max);
		expected(c, what);
		return false;
	}
	*ret = v;
	return true;
}

/* Says which variable @s needs and the environment lacks (expand_path said ENOENT). */
static char *unset_variable(const char *s)
{
	_cleanup_free_ char *home = NULL;

	if (s[0] == '~' && !(home = expand_path("$HOME")))
		return xstrdup("$HOME, which is not set");
	for (const char *d = strchr(s, '$'); d; d = strchr(d + 1, '$')) {
		bool brace = d[1] == '{';
		const char *name = d + 1 + brace;
		size_t nlen = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
		_cleanup_free_ char *one = xasprintf("$%.*s", (int)nlen, name);
		_cleanup_free_ char *val = expand_path(one);

		if (!val && startswith(one, "$XDG_") && !streq(one, "$XDG_RUNTIME_DIR"))
			return xasprintf("%s or $HOME, and neither is set", one); /* falls back to $HOME */
		if (!val)
			return xasprintf("%s, which is not set", one);
	}
	return xstrdup("a variable that is not set");
}

/* A path: expanded, made absolute against the profile's directory, free of control
 * characters (they would change the structure of a QEMU option or a log line). */
static char *get_path(struct ctx *c)
{
	_cleanup_free_ char *e = NULL;
	const char *v = c->r->value;

	if (strempty(v)) {
		expected(c, "a path");
		return NULL;
	}
	e = expand_path(v);
	if (!e) {
		if (errno == EINVAL && v[0] == '~' && v[1] != '/' && v[1] != '\0')
			bad(c, "expected ~/path or a full path (~user is not expanded), got '%s'", v);
		else if (errno == EINVAL)
			bad(c, "expected a path using only ~, $HOME and $XDG_* variables, got '%s'", v);
		else if (errno == ENAMETOOLONG)
			bad(c, "path is longer than %d characters", PATH_MAX - 1);
		else {
			_cleanup_free_ char *var = unset_variable(v);
			bad(c, "'%s' needs %s in the environment", v, var);
		}
		return NULL;
	}
	for (const char *t = e; *t; t++)
		if ((unsigned char)*t < 0x20 || *t == 0x7f) {
			bad(c, "path contains a control character after expansion: '%s'", v);
			return NULL;
		}
	if (e[0] != '/') {
		_cleanup_free_ char *dir = xstrdup(c->p->path);
		char *slash = strrchr(dir, '/');
		char cwd[PATH_MAX];

		if (slash)
			*slash = '\0';
		if (dir[0] == '/' || slash == dir) /* an absolute profile path, maybe "/x.ini" */
			return xasprintf("%s/%s", dir, e);
		/* A profile given as a relative path: QEMU may run elsewhere, so add the cwd. */
		if (!getcwd(cwd, sizeof(cwd))) {
			bad(c, "cannot make '%s' absolute: %s", v, strerror(errno));
			return NULL;
		}
		return slash ? xasprintf("%s/%s/%s", cwd, dir, e) : xasprintf("%s/%s", cwd, e);
	}
	return TAKE_PTR(e);
}

static void set_str(char **dst, char *val)
{
	free(*dst);
	*dst = val;
}

/* Which keys each section knows; repeat marks keys that mean "another one". */
struct keydef {
	const char *name;
	bool repeat;
};

static void sec_vm(struct ctx *c)
{
	struct profile *p = c->p;
	const char *k = c->r->key, *v = c->r->value;
	int i;

	if (streq(k, "title")) {
		if (strempty(v) || strlen(v) > 120)
			expected(c, "a title of 1 to 120 characters");
		else
			set_str(&p->title, xstrdup(v));
	} else if (streq(k, "memory")) {
		uint64_t m;
		int r = parse_size(v, &m);
		if (r < 0 && r != -ERANGE)
			expected(c, "a size like 16G or 512M");
		else if (r < 0 || m < (128ULL << 20) || m > (4ULL << 40))
			bad(c, "expected a size from 128M to 4T, got '%s'", v);
		else if (m % (2ULL << 20))
			bad(c, "expected a multiple of 2M, got '%s'", v);
		else
			p->memory = m;
	} else if (streq(k, "cpus")) {
		get_uint(c, 1, 255, &p->cpus);
	} else if (streq(k, "cores")) {
		get_uint(c, 1, 255, &p->cores);
	} else if (streq(k, "threads")) {
		get_uint(c, 1, 2, &p->threads);
	} else if (streq(k, "sockets")) {
		get_uint(c, 1, 8, &p->sockets);
	} else if (streq(k, "pin")) {
		if (parse_cpulist(v, &p->pin) < 0)
			expected(c, "a list of host CPUs like 2-5,8-11, each once");
		else
			p->pin_loc = c->loc;
	} else if (streq(k, "hugepages")) {
		if ((i = choose(c, (const char *const[]){ "off", "2M", "1G", NULL })) >= 0)
			p->hugepages = (enum hugepages)i;
	} else if (streq(k, "firmware")) {
		if ((i = choose(c, (const char *const[]){ "uefi", "bios", NULL })) >= 0)
			p->firmware = (enum firmware)i;
	} else if (streq(k, "accel")) {
		if ((i = choose(c, (const char *const[]){ "kvm", "tcg", "auto", NULL })) >= 0)
			p->accel = (enum accel)i;
	} else if (streq(k, "hyperv")) {
		get_toggle(c, &p->hyperv);
	} else if (streq(k, "hide-hypervisor")) {
		get_toggle(c, &p->hide_hypervisor);
	} else if (streq(k, "hv-vendor-id")) {
		size_t len = strlen(v);
		if (len == 0 || len > 12 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != len)
			expected(c, "1 to 12 letters or digits");
		else
			set_str(&p->hv_vendor_id, xstrdup(v));
	} else if (streq(k, "qemu")) {
		if (strempty(v) || strpbrk(v, " \t") || (strchr(v, '/') && v[0] != '/' && v[0] != '~'))
			expected(c, "a program name on PATH or an absolute path");
		else {
			set_str(&p->qemu, strchr(v, '/') ? get_path(c) : xstrdup(v));
			p->qemu_loc = c->loc;
		}
	} else if (streq(k, "cpu")) {
		if (strempty(v) || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(v))
			expected(c, "a QEMU CPU model name like host or max");
		else
			set_str(&p->cpu_model, xstrdup(v));
	} else if (streq(k, "display")) {
		if ((i = choose(c, (const char *const[]){ "auto", "none", "gtk", "sdl", NULL })) >= 0)
			p->display = (enum display)i;
	} else if (streq(k, "console")) {
		if ((i = choose(c, (const char *const[]){ "none", "stdio", NULL })) >= 0)
			p->console = (enum console)i;
	}
}

static void sec_pci(struct ctx *c, struct pci_section *d)
{
	const char *k = c->r->key, *v = c->r->value;
	int i;

	if (streq(k, "host")) {
		if (parse_pci_addr(v, &d->host) < 0)
			expected(c, "a PCI address like 01:00.0 or 0000:01:00.0 (bus:slot.function in hex; "
				    "slot 00-1f, function 0-7)");
		else {
			d->has_host = true;
			d->host_loc = c->loc;
		}
	} else if (streq(k, "ids")) {
		if (parse_pci_id(v, &d->ids) < 0)
			expected(c, "vendor:device in hex like 10de:1b81");
		else {
			d->has_ids = true;
			d->host_loc = c->loc;
		}
	} else if (streq(k, "romfile")) {
		set_str(&d->romfile, get_path(c));
		d->romfile_loc = c->loc;
	} else if (streq(k, "rombar")) {
		get_toggle(c, &d->rombar);
	} else if (streq(k, "sub-ids")) {
		if (streq(v, "auto"))
			d->subids = SUBIDS_AUTO;
		else if (streq(v, "off"))
			d->subids = SUBIDS_OFF;
		else if (parse_pci_id(v, &d->sub) == 0)
			d->subids = SUBIDS_EXPLICIT;
		else
			expected(c, "auto, off or vendor:device like 1025:118b");
	} else if (streq(k, "root-port")) {
		if ((i = choose(c, (const char *const[]){ "auto", "mirror", "none", NULL })) >= 0)
			d->rootport = (enum rootport)i;
	} else if (streq(k, "hotplug")) {
		get_toggle(c, &d->hotplug);
	} else if (streq(k, "skip-functions")) {
		struct cpuset s;
		if (parse_cpulist(v, &s) < 0) {
			expected(c, "a list of functions 1-7 like 1 or 1,2");
			return;
		}
		for (unsigned j = 0; j < s.n; j++) {
			if (s.cpu[j] == 0) {
				expected(c, "a list of functions 1-7 like 1 or 1,2 (function 0 is the device itself)");
				return;
			}
			if (s.cpu[j] > 7) {
				expected(c, "a list of functions 1-7 like 1 or 1,2 (a PCI device has functions 0-7)");
				return;
			}
			d->skip_functions |= (uint8_t)(1u << s.cpu[j]);
		}
	} else if (streq(k, "primary")) {
		get_bool(c, &d->primary);
	}
}

static void sec_disk(struct ctx *c, struct disk_section *d)
{
	const char *k = c->r->key;
	int i;

	if (streq(k, "path")) {
		set_str(&d->path, get_path(c));
		d->path_loc = c->loc;
	} else if (streq(k, "bus")) {
		if ((i = choose(c, (const char *const[]){ "virtio", "nvme", "sata", NULL })) >= 0)
			d->bus = (enum diskbus)i;
	} else if (streq(k, "cache")) {
		if ((i = choose(c, (const char *const[]){ "none", "writeback", "writethrough", "unsafe",
							 "directsync", NULL })) >= 0)
			d->cache = (enum diskcache)i;
	} else if (streq(k, "aio")) {
		if ((i = choose(c, (const char *const[]){ "auto", "native", "io_uring", "threads", NULL })) >= 0)
			d->aio = (enum diskaio)i;
	} else if (streq(k, "format")) {
		if ((i = choose(c, (const char *const[]){ "auto", "raw", "qcow2", NULL })) >= 0)
			d->format = (enum diskformat)i;
	} else if (streq(k, "readonly")) {
		get_bool(c, &d->readonly);
	} else if (streq(k, "discard")) {
		get_bool(c, &d->discard);
	} else if (streq(k, "media")) {
		if ((i = choose(c, (const char *const[]){ "disk", "cdrom", NULL })) >= 0)
			d->cdrom = i == 1;
	}
}

static void sec_lg(struct ctx *c)
{
	struct profile *p = c->p;
	const char *k = c->r->key, *v = c->r->value;

	if (streq(k, "resolution")) {
		unsigned w, h;
		char tail;
		if (sscanf(v, "%ux%u%c", &w, &h, &tail) != 2 || w < 320 || h < 200 || w > 16384 ||
		    h > 16384)
			expected(c, "WIDTHxHEIGHT like 2560x1440 (320x200 to 16384x16384)");
		else {
			p->lg_width = w;
			p->lg_height = h;
		}
	} else if (streq(k, "size")) {
		uint64_t s;
		int r = parse_size(v, &s);
		if (r < 0 && r != -ERANGE)
			expected(c, "a size like 64M");
		else if (r < 0 || s < (1ULL << 20) || s > (2ULL << 30) || (s & (s - 1)))
			bad(c, "expected a power of two from 1M to 2G (ivshmem needs one), got '%s'", v);
		else
			p->lg_size = s;
	} else if (streq(k, "path")) {
		set_str(&p->lg_path, get_path(c));
		p->lg_loc = c->loc;
	}
}

static void sec_audio(struct ctx *c)
{
	struct profile *p = c->p;
	const char *k = c->r->key, *v = c->r->value;
	int i;

	if (streq(k, "backend")) {
		p->audio_loc = c->loc;
		if (streq(v, "pulse"))
			p->audio = AUDIO_PULSE;
		else if ((i = choose(c, (const char *const[]){ "none", "pulseaudio", "pipewire", "auto", NULL })) >= 0)
			p->audio = (enum audio_backend)i;
	} else if (streq(k, "server")) {
		if (streq(v, "auto"))
			set_str(&p->audio_server, NULL);
		else
			set_str(&p->audio_server, get_path(c));
	} else if (streq(k, "model")) {
		if ((i = choose(c, (const char *const[]){ "hda", "ich9", NULL })) >= 0)
			p->audio_model = (enum audio_model)i;
	}
}

static void sec_usb(struct ctx *c)
{
	struct profile *p = c->p;
	const char *k = c->r->key, *v = c->r->value;
	struct usb_entry e = { .loc = c->loc };

	if (streq(k, "missing")) {
		int i = choose(c, (const char *const[]){ "fail", "skip", NULL });
		if (i >= 0)
			p->usb_missing = (enum missing)i;
		return;
	}
	if (streq(k, "device")) {
		if (parse_pci_id(v, &e.id) < 0) {
			expected(c, "vendor:product in hex like 046d:c52b");
			return;
		}
	} else if (streq(k, "port")) {
		e.by_port = true;
		if (parse_usb_port(v, &e.bus, e.port, sizeof(e.port)) < 0) {
			expected(c, "bus-port like 1-4 or 3-1.2: bus 1-255, ports 1-31, at most 7 deep "
				    "(qemu-vm devices lists them)");
			return;
		}
	} else
		return;
	if (p->n_usb >= PROFILE_MAX_DEVICES) {
		bad(c, "at most %d USB devices", PROFILE_MAX_DEVICES);
		return;
	}
	p->usb[p->n_usb++] = e;
}

static void sec_input(struct ctx *c)
{
	struct profile *p = c->p;
	const char *k = c->r->key;
	int i;

	if (streq(k, "keyboard")) {
		set_str(&p->keyboard, get_path(c));
		p->keyboard_loc = c->loc;
	} else if (streq(k, "mouse")) {
		set_str(&p->mouse, get_path(c));
		p->mouse_loc = c->loc;
	} else if (streq(k, "toggle")) {
		static const char *const t[] = { "ctrl-ctrl", "alt-alt", "shift-shift", "meta-meta",
						 "scrolllock", "ctrl-scrolllock", NULL };
		if ((i = choose(c, t)) >= 0)
			set_str(&p->toggle, xstrdup(t[i]));
	} else if (streq(k, "grab-all")) {
		get_bool(c, &p->grab_all);
	} else if (streq(k, "repeat")) {
		get_bool(c, &p->repeat);
	} else if (streq(k, "pointer")) {
		if ((i = choose(c, (const char *const[]){ "usb-tablet", "usb-mouse", "ps2", "none", NULL })) >= 0)
			p->pointer = (enum pointer)i;
	}
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				       &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
	if (b[0] & 1)
		return -EDOM; /* multicast */
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static void sec_network(struct ctx *c)
{
	struct profile *p = c->p;
	const char *k = c->r->key, *v = c->r->value;
	int i;

	if (streq(k, "mode")) {
		if ((i = choose(c, (const char *const[]){ "user", "bridge", "none", NULL })) >= 0)
			p->net = (enum netmode)i;
	} else if (streq(k, "model")) {
		if ((i = choose(c, (const char *const[]){ "virtio", "e1000e", "rtl8139", NULL })) >= 0)
			p->nic = (enum netmodel)i;
	} else if (streq(k, "mac")) {
		int r = streq(v, "auto") ? 0 : parse_mac(v, p->mac);

		if (streq(v, "auto"))
			p->mac_auto = true;
		else if (r == -EDOM)
			expected(c, "auto or a unicast MAC like 52:54:00:12:34:56 (an odd first byte means multicast)");
		else if (r < 0)
			expected(c, "auto or a unicast MAC like 52:54:00:12:34:56");
		else
			p->mac_auto = false;
	} else if (streq(k, "bridge")) {
		size_t len = strlen(v);
		if (len == 0 || len > 15 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != len)
			expected(c, "a bridge interface name like br0 (at most 15 characters)");
		else
			set_str(&p->bridge, xstrdup(v));
	}
}

static void sec_acpi(struct ctx *c)
{
	struct profile *p = c->p;
	char *path;

	if (!streq(c->r->key, "table"))
		return;
	if (p->acpi_tables.n >= PROFILE_MAX_DEVICES) {
		bad(c, "at most %d tables", PROFILE_MAX_DEVICES);
		return;
	}
	path = get_path(c);
	if (!path)
		return;
	/* -acpitable file= takes a colon-separated list: a ':' would split the path. */
	if (strchr(path, ':')) {
		bad(c, "path contains ':', which -acpitable reads as a list separator: '%s' (rename the file)",
		    path);
		free(path);
		return;
	}
	p->acpi_loc[p->acpi_tables.n] = c->loc;
	strv_push_take(&p->acpi_tables, path);
}

static void sec_fwcfg(struct ctx *c)
{
	struct profile *p = c->p;
	const char *k = c->r->key;
	char *path;

	/* QEMU: user items live under opt/ and the name field of fw_cfg files is 56 bytes. */
	if (!startswith(k, "opt/") || strlen(k) < 5) {
		bad(c, "expected a name under opt/, like opt/com.example/rom");
		return;
	}
	if (strlen(k) > 55) {
		bad(c, "name is %zu characters long; QEMU takes at most 55", strlen(k));
		return;
	}
	for (const char *t = k; *t; t++)
		if ((unsigned char)*t < 0x21 || *t == 0x7f || *t == ',') {
			bad(c, "name contains a space, comma or control character");
			return;
		}
	if (strv_contains(&p->fwcfg_names, k)) {
		bad(c, "fw_cfg name given twice");
		return;
	}
	if (p->fwcfg_names.n >= PROFILE_MAX_DEVICES) {
		bad(c, "at most %d fw_cfg files", PROFILE_MAX_DEVICES);
		return;
	}
	path = get_path(c);
	if (!path)
		return;
	p->fwcfg_loc[p->fwcfg_names.n] = c->loc;
	strv_push(&p->fwcfg_names, k);
	strv_push_take(&p->fwcfg_files, path);
}

static void sec_qemu(struct ctx *c)
{
	if (!streq(c->r->key, "arg"))
		return;
	if (strempty(c->r->value)) {
		expected(c, "one QEMU argument");
		return;
	}
	if (c->p->extra_args.n >= 256) {
		bad(c, "at most 256 extra arguments");
		return;
	}
	strv_push(&c->p->extra_args, c->r->value);
}

enum sectype { S_VM, S_PCI, S_DISK, S_LG, S_AUDIO, S_USB, S_INPUT, S_NETWORK, S_ACPI, S_FWCFG, S_QEMU };

static const struct {
	const char *name;
	bool named; /* [pci NAME] */
	const struct keydef *keys; /* NULL: any key (checked by the section) */
} sectypes[] = {
	[S_VM] = { "vm", false, (const struct keydef[]){ { "title", 0 }, { "memory", 0 }, { "cpus", 0 },
		   { "cores", 0 }, { "threads", 0 }, { "sockets", 0 }, { "pin", 0 }, { "hugepages", 0 },
		   { "firmware", 0 }, { "accel", 0 }, { "hyperv", 0 }, { "hide-hypervisor", 0 }, { "hv-vendor-id", 0 },
		   { "qemu", 0 }, { "cpu", 0 }, { "display", 0 }, { "console", 0 }, { NULL, 0 } } },
	[S_PCI] = { "pci", true, (const struct keydef[]){ { "host", 0 }, { "ids", 0 }, { "romfile", 0 },
		    { "rombar", 0 }, { "sub-ids", 0 }, { "root-port", 0 }, { "hotplug", 0 },
		    { "skip-functions", 0 }, { "primary", 0 }, { NULL, 0 } } },
	[S_DISK] = { "disk", true, (const struct keydef[]){ { "path", 0 }, { "bus", 0 }, { "cache", 0 },
		     { "aio", 0 }, { "format", 0 }, { "readonly", 0 }, { "discard", 0 }, { "media", 0 },
		     { NULL, 0 } } },
	[S_LG] = { "looking-glass", false, (const struct keydef[]){ { "resolution", 0 }, { "size", 0 },
		   { "path", 0 }, { NULL, 0 } } },
	[S_AUDIO] = { "audio", false, (const struct keydef[]){ { "backend", 0 }, { "server", 0 },
		      { "model", 0 }, { NULL, 0 } } },
	[S_USB] = { "usb", false, (const struct keydef[]){ { "device", 1 }, { "port", 1 }, { "missing", 0 },
		    { NULL, 0 } } },
	[S_INPUT] = { "input", false, (const struct keydef[]){ { "keyboard", 0 }, { "mouse", 0 },
		      { "toggle", 0 }, { "grab-all", 0 }, { "repeat", 0 }, { "pointer", 0 }, { NULL, 0 } } },
	[S_NETWORK] = { "network", false, (const struct keydef[]){ { "mode", 0 }, { "model", 0 },
			{ "mac", 0 }, { "bridge", 0 }, { NULL, 0 } } },
	[S_ACPI] = { "acpi", false, (const struct keydef[]){ { "table", 1 }, { NULL, 0 } } },
	[S_FWCFG] = { "fw_cfg", false, NULL },
	[S_QEMU] = { "qemu", false, (const struct keydef[]){ { "arg", 1 }, { NULL, 0 } } },
};

static bool valid_device_name(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= 32 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == len;
}

/* Splits "[pci gpu]" into its type; -1 and an error when the header is not one we know. */
static int classify_section(struct parse *ps, const struct sec *s, char **ret_name)
{
	_cleanup_free_ char *type = NULL;
	const char *sp = strchr(s->name, ' ');
	const char *name = NULL;

	type = sp ? xstrndup(s->name, (size_t)(sp - s->name)) : xstrdup(s->name);
	if (sp)
		name = sp + strspn(sp, " ");
	for (size_t t = 0; t < ARRAY_SIZE(sectypes); t++) {
		if (!streq(type, sectypes[t].name))
			continue;
		if (sectypes[t].named) {
			if (strempty(name) || !valid_device_name(name)) {
				error_at(ps, s->line, NULL,
					 "[%s]: expected '[%s NAME]' with a NAME of letters, digits, - and _ (at most 32)",
					 s->name, type);
				return -1;
			}
			*ret_name = xstrdup(name);
		} else if (name) {
			error_at(ps, s->line, NULL, "[%s]: section '%s' takes no name", s->name, type);
			return -1;
		}
		return (int)t;
	}
	error_at(ps, s->line, NULL,
		 "[%s]: unknown section (expected vm, pci NAME, disk NAME, looking-glass, audio, usb, input, network, acpi, fw_cfg or qemu)",
		 s->name);
	return -1;
}

static void defaults(struct profile *p)
{
	p->memory = 4ULL << 30;
	p->accel = ACCEL_KVM;
	p->hyperv = T_ON;
	p->hide_hypervisor = T_OFF;
	p->qemu = xstrdup("qemu-system-x86_64");
	p->cpu_model = xstrdup("host");
	p->display = DISPLAY_AUTO;
	p->console = CONSOLE_NONE;
	p->audio = AUDIO_NONE;
	p->audio_model = AUDIO_ICH9;
	p->usb_missing = MISSING_FAIL;
	p->grab_all = true;
	p->repeat = true;
	p->pointer = POINTER_USB_TABLET;
	p->net = NET_USER;
	p->nic = NIC_VIRTIO;
	p->mac_auto = true;
}

/* The keys a section set, each with the line of its first setting. */
struct seen_key {
	const char *key;
	unsigned line;
};

static unsigned seen_line(const struct seen_key *seen, unsigned n_seen, const char *key)
{
	for (unsigned i = 0; i < n_seen; i++)
		if (streq(seen[i].key, key))
			return seen[i].line;
	return 0;
}

/* cpus comes from cpus =, else from pin, else from the topology keys, else 2. */
static void vm_topology(struct parse *ps, const struct sec *s, const struct seen_key *seen, unsigned n_seen)
{
	struct profile *p = ps->p;
	unsigned so = p->sockets ? p->sockets : 1, t = p->threads ? p->threads : 1, co = p->cores;
	unsigned line = s->line;
	const char *key = NULL;
	char have[96];

	if (!p->cpus && p->pin.n)
		p->cpus = p->pin.n;
	if (!p->cores && !p->threads && !p->sockets) {
		if (!p->cpus)
			p->cpus = 2;
		return;
	}
	/* Report at the last topology key written: that is where the arithmetic ends. */
	if (p->sockets && seen_line(seen, n_seen, "sockets") > 0)
		line = seen_line(seen, n_seen, "sockets"), key = "sockets";
	if (p->cores && seen_line(seen, n_seen, "cores") > (key ? line : 0))
		line = seen_line(seen, n_seen, "cores"), key = "cores";
	if (p->threads && seen_line(seen, n_seen, "threads") > (key ? line : 0))
		line = seen_line(seen, n_seen, "threads"), key = "threads";
	if (seen_line(seen, n_seen, "cpus"))
		snprintf(have, sizeof(have), "cpus = %u on line %u", p->cpus, seen_line(seen, n_seen, "cpus"));
	else
		snprintf(have, sizeof(have), "pin on line %u has %u CPUs", p->pin_loc.line, p->cpus);

	if (!p->cpus) {
		co = co ? co : 1;
		p->cpus = so * co * t;
		if (p->cpus > 255)
			error_at(ps, line, key, "sockets × cores × threads = %u × %u × %u = %u vCPUs; at most 255",
				 so, co, t, p->cpus);
	} else if (!co) {
		co = p->cpus / (so * t);
		if (co == 0 || so * co * t != p->cpus)
			error_at(ps, line, key, "sockets × threads = %u × %u does not divide the vCPUs: %s", so, t,
				 have);
	} else if (so * co * t != p->cpus)
		error_at(ps, line, key, "sockets × cores × threads = %u × %u × %u = %u, but %s", so, co, t,
			 so * co * t, have);
	p->sockets = so;
	p->cores = co ? co : 1;
	p->threads = t;
}

static void vm_rules(struct parse *ps, const struct sec *s, const struct seen_key *seen, unsigned n_seen)
{
	struct profile *p = ps->p;

	vm_topology(ps, s, seen, n_seen);
	if (p->pin.n && p->pin.n != p->cpus)
		error_at(ps, p->pin_loc.line, "pin", "expected %u host CPUs (one per vCPU), got %u", p->cpus,
			 p->pin.n);
	if (p->hv_vendor_id && p->hide_hypervisor != T_ON)
		error_at(ps, seen_line(seen, n_seen, "hv-vendor-id"), "hv-vendor-id",
			 "only used with hide-hypervisor = on");
}

static void validate_section(struct parse *ps, size_t si, int type, char *devname)
{
	struct profile *p = ps->p;
	struct pci_section *pci = NULL;
	struct disk_section *disk = NULL;
	const struct sec *s = &ps->secs[si];
	struct seen_key seen[64];
	unsigned n_seen = 0;

	if (type == S_PCI || type == S_DISK) {
		const char *kind = NULL;
		unsigned first = 0;
		for (unsigned i = 0; i < p->n_pci && !kind; i++)
			if (streq(p->pci[i].name, devname))
				kind = "pci", first = p->pci[i].loc.line;
		for (unsigned i = 0; i < p->n_disk && !kind; i++)
			if (streq(p->disk[i].name, devname))
				kind = "disk", first = p->disk[i].loc.line;
		if (kind) {
			error_at(ps, s->line, NULL, "[%s]: the name '%s' is already used by [%s %s] on line %u",
				 s->name, devname, kind, devname, first);
			free(devname);
			return;
		}
		if ((type == S_PCI ? p->n_pci : p->n_disk) >= PROFILE_MAX_DEVICES) {
			error_at(ps, s->line, NULL, "[%s]: at most %d sections of this kind", s->name,
				 PROFILE_MAX_DEVICES);
			free(devname);
			return;
		}
	}
	if (type == S_PCI) {
		pci = &p->pci[p->n_pci++];
		*pci = (struct pci_section){ .name = devname, .loc = { p->path, s->line },
					     .rombar = T_AUTO, .subids = SUBIDS_OFF,
					     .rootport = ROOTPORT_AUTO, .hotplug = T_AUTO };
	} else if (type == S_DISK) {
		disk = &p->disk[p->n_disk++];
		*disk = (struct disk_section){ .name = devname, .loc = { p->path, s->line } };
	} else if (type == S_LG) {
		p->lg = true;
		p->lg_loc = (struct loc){ p->path, s->line };
	} else if (type == S_AUDIO) {
		if (p->audio == AUDIO_NONE)
			p->audio = AUDIO_AUTO;
		p->audio_loc = (struct loc){ p->path, s->line };
	} else if (type == S_USB) {
		p->usb_controller = true;
	}

	for (size_t ri = 0; ri < ps->n_recs; ri++) {
		const struct rec *r = &ps->recs[ri];
		struct ctx c = { .ps = ps, .p = p, .r = r, .loc = { p->path, r->line } };
		const struct keydef *kd = NULL;

		if (r->sec != (int)si)
			continue;
		if (sectypes[type].keys) {
			char list[512] = "";
			for (const struct keydef *k = sectypes[type].keys; k->name; k++) {
				if (streq(k->name, r->key))
					kd = k;
				strncat(list, list[0] ? ", " : "", sizeof(list) - strlen(list) - 1);
				strncat(list, k->name, sizeof(list) - strlen(list) - 1);
			}
			if (!kd) {
				bad(&c, "unknown key in [%s] (expected %s)", s->name, list);
				continue;
			}
		}
		if (!kd || !kd->repeat) {
			unsigned first = seen_line(seen, n_seen, r->key);
			if (first) {
				bad(&c, "set again; it was already set on line %u (only device, port, table and arg may repeat)",
				    first);
				continue;
			}
			if (n_seen < ARRAY_SIZE(seen))
				seen[n_seen++] = (struct seen_key){ r->key, r->line };
		}
		switch ((enum sectype)type) {
		case S_VM: sec_vm(&c); break;
		case S_PCI: sec_pci(&c, pci); break;
		case S_DISK: sec_disk(&c, disk); break;
		case S_LG: sec_lg(&c); break;
		case S_AUDIO: sec_audio(&c); break;
		case S_USB: sec_usb(&c); break;
		case S_INPUT: sec_input(&c); break;
		case S_NETWORK: sec_network(&c); break;
		case S_ACPI: sec_acpi(&c); break;
		case S_FWCFG: sec_fwcfg(&c); break;
		case S_QEMU: sec_qemu(&c); break;
		}
	}

	/* Whole-section rules: at the key that breaks them, else at the section header. A key
	 * whose value did not parse was reported already and is not reported again here. */
	if (pci) {
		unsigned host = seen_line(seen, n_seen, "host"), ids = seen_line(seen, n_seen, "ids");
		unsigned hotplug = seen_line(seen, n_seen, "hotplug");

		if (!host && !ids)
			error_at(ps, s->line, NULL, "[%s] needs exactly one of host = 01:00.0 or ids = vendor:device",
				 s->name);
		else if (host && ids)
			error_at(ps, host > ids ? host : ids, host > ids ? "host" : "ids",
				 "[%s] takes host or ids, not both (%s is on line %u)", s->name,
				 host > ids ? "ids" : "host", host > ids ? ids : host);
		if (pci->rootport == ROOTPORT_NONE && pci->hotplug != T_AUTO)
			error_at(ps, hotplug, "hotplug", "applies to a root port, and root-port = none (line %u) has none",
				 seen_line(seen, n_seen, "root-port"));
	}
	if (disk && !seen_line(seen, n_seen, "path"))
		error_at(ps, s->line, NULL, "[%s] needs path = a block device or image file", s->name);
	if (type == S_VM)
		vm_rules(ps, s, seen, n_seen);
	if (type == S_LG) {
		unsigned res = seen_line(seen, n_seen, "resolution"), size = seen_line(seen, n_seen, "size");

		if (p->lg_width && p->lg_size)
			error_at(ps, res > size ? res : size, res > size ? "resolution" : "size",
				 "[looking-glass] takes resolution or size, not both (%s is on line %u)",
				 res > size ? "size" : "resolution", res > size ? size : res);
		else if (p->lg_width)
			p->lg_size = lg_size_for(p->lg_width, p->lg_height);
		if (!p->lg_path)
			p->lg_path = xstrdup("/dev/shm/looking-glass");
	}
	if (type == S_NETWORK) {
		if (p->net != NET_BRIDGE && p->bridge)
			error_at(ps, seen_line(seen, n_seen, "bridge"), "bridge", "only used with mode = bridge");
		if (p->net == NET_BRIDGE && !p->bridge)
			p->bridge = xstrdup("br0");
	}
	if (type == S_INPUT && p->toggle && !seen_line(seen, n_seen, "keyboard") &&
	    !seen_line(seen, n_seen, "mouse"))
		error_at(ps, seen_line(seen, n_seen, "toggle"), "toggle",
			 "needs keyboard = or mouse = (it switches their grab between host and guest)");
}

static void validate(struct parse *ps)
{
	struct profile *p = ps->p;
	bool once[ARRAY_SIZE(sectypes)] = { false };
	unsigned once_line[ARRAY_SIZE(sectypes)] = { 0 };

	for (size_t ri = 0; ri < ps->n_recs; ri++)
		if (ps->recs[ri].sec < 0)
			error_at(ps, ps->recs[ri].line, ps->recs[ri].key,
				 "key outside any section (put it under [vm] or another section)");

	for (size_t si = 0; si < ps->n_secs; si++) {
		char *devname = NULL;
		int type;

		if (!ps->secs[si].name)
			continue; /* a broken header, reported by the reader */
		type = classify_section(ps, &ps->secs[si], &devname);
		if (type < 0)
			continue;
		if (!sectypes[type].named) {
			if (once[type]) {
				error_at(ps, ps->secs[si].line, NULL,
					 "[%s]: section given twice (first on line %u); put all its keys in one",
					 ps->secs[si].name, once_line[type]);
				continue;
			}
			once[type] = true;
			once_line[type] = ps->secs[si].line;
		}
		validate_section(ps, si, type, devname);
	}

	/* Rules across sections. */
	if (p->lg && !p->lg_size)
		p->lg_size = lg_size_for(1920, 1080);
	if (!p->cpus)
		p->cpus = p->pin.n ? p->pin.n : 2;
}

/* A file name can hold anything but '/' and NUL; what QEMU's option syntax would split (',')
 * is doubled where the name lands, but a newline or escape would break every message and
 * listing that shows it, and '.' or '..' would make the run directory its parent. */
int profile_vm_name(const char *path, char **ret_name)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 4 && streq(base + len - 4, ".ini"))
		len -= 4;
	if (len == 0 || (len == 1 && base[0] == '.') || (len == 2 && startswith(base, "..")))
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)base[i] < 0x20 || base[i] == 0x7f)
			return -EINVAL;
	*ret_name = xstrndup(base, len);
	return 0;
}

/* Errors come out in line order, whichever pass found them (insertion sort: stable, and
 * there are at most PROFILE_MAX_ERRORS). */
static void sort_errors(struct parse *ps)
{
	char **v = ps->errs->msgs.v;
	unsigned *l = ps->err_lines;

	for (size_t i = 1; i < ps->errs->msgs.n; i++)
		for (size_t j = i; j > 0 && l[j - 1] > l[j]; j--) {
			char *t = v[j];
			unsigned tl = l[j];
			v[j] = v[j - 1];
			l[j] = l[j - 1];
			v[j - 1] = t;
			l[j - 1] = tl;
		}
}

int profile_load(const char *path, struct profile *ret, struct profile_errors *errs)
{
	struct profile p = { 0 };
	struct parse ps = { .file = path, .errs = errs, .p = &p };
	struct stat st;
	int r = 0;

	ps.f = fopen(path, "re");
	if (!ps.f)
		return -errno;
	/* -EINVAL means "see @errs": a file that is no profile at all must not come back as
	 * -EINVAL with no message (the caller would report "0 errors"). */
	if (fstat(fileno(ps.f), &st) < 0)
		r = -errno;
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st.st_mode)) {
		strv_pushf(&errs->msgs, "%s: not a regular file", path);
		r = -EINVAL;
	} else if (st.st_size > PROFILE_MAX_FILE)
		r = -EFBIG;
	if (r < 0) {
		fclose(ps.f);
		return r;
	}
	p.path = xstrdup(path);
	if (profile_vm_name(path, &p.name) < 0) {
		_cleanup_free_ char *e = escape_control(path);
		strv_pushf(&errs->msgs,
			   "%s: the file name is the VM's name (in QEMU's -name and the QMP socket path), and "
			   "it may not be empty, '.' or '..', nor hold control characters; rename the file",
			   e);
		fclose(ps.f);
		profile_free(&p);
		return -EINVAL;
	}
	defaults(&p);
	r = ini_parse_stream(reader, &ps, handler, &ps);
	fclose(ps.f);
	free(ps.buf);
	if (r < 0) {
		profile_free(&p);
		return -ENOMEM;
	}
	/* Lines inih itself rejected were already reported by the reader's shape check. */
	validate(&ps);
	for (size_t i = 0; i < ps.n_recs; i++) {
		free(ps.recs[i].key);
		free(ps.recs[i].value);
	}
	free(ps.recs);
	for (size_t i = 0; i < ps.n_secs; i++)
		free(ps.secs[i].name);
	free(ps.secs);
	sort_errors(&ps);
	free(ps.err_lines);
	if (errs->msgs.n) {
		profile_free(&p);
		return -EINVAL;
	}
	*ret = p;
	return 0;
}

void profile_free(struct profile *p)
{
	for (unsigned i = 0; i < p->n_pci; i++) {
		free(p->pci[i].name);
		free(p->pci[i].romfile);
	}
	for (unsigned i = 0; i < p->n_disk; i++) {
		free(p->disk[i].name);
		free(p->disk[i].path);
	}
	free(p->path);
	free(p->name);
	free(p->title);
	free(p->hv_vendor_id);
	free(p->qemu);
	free(p->cpu_model);
	free(p->lg_path);
	free(p->audio_server);
	free(p->keyboard);
	free(p->mouse);
	free(p->toggle);
	free(p->bridge);
	strv_clear(&p->acpi_tables);
	strv_clear(&p->fwcfg_names);
	strv_clear(&p->fwcfg_files);
	strv_clear(&p->extra_args);
	*p = (struct profile){ 0 };
}

void profile_errors_free(struct profile_errors *e)
{
	strv_clear(&e->msgs);
}

bool profile_name_is_path(const char *name)
{
	size_t len = strlen(name);

	return strchr(name, '/') || (len > 4 && streq(name + len - 4, ".ini"));
}

char *profile_find(const char *name, const char *root)
{
	const char *cfg;
	char *path;

	if (profile_name_is_path(name)) {
		if (access(name, R_OK) < 0)
			return NULL;
		return xstrdup(name);
	}
	if (!valid_device_name(name)) {
		errno = EINVAL;
		return NULL;
	}
	cfg = xdg_dir("XDG_CONFIG_HOME", ".config");
	if (cfg) {
		path = xasprintf("%s/qemu-vm/%s.ini", cfg, name);
		if (access(path, R_OK) == 0)
			return path;
		free(path);
	}
	path = xasprintf("%s/etc/qemu-vm/%s.ini", root && !streq(root, "/") ? root : "", name);
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	errno = ENOENT;
	return NULL;
}
