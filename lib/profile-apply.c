// SPDX-License-Identifier: GPL-2.0-or-later
/* Parses one record's value as its schema row says, into the profile, or reports why not. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include "profile-internal.h"

/* ---- errors ---- */

void schema_bad(struct schema_ctx *c, const char *fmt, ...)
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
	ini_error(c->doc, c->r->line, c->r->key, "%s%s", msg,
		  hash ? " (a comment after a value starts with ';', not '#')" : "");
}

static void expected(struct schema_ctx *c, const char *what)
{
	_cleanup_free_ char *v = escape_control(c->r->value);

	schema_bad(c, "expected %s, got '%s'", what, v);
}

/* "a, b or c": the names an enum accepts, aliases left out. */
static char *choice_list(const struct schema_enum *e, const char *last_sep)
{
	struct strv names = { 0 };
	char *list;

	for (size_t j = 0; j < e->n; j++)
		if (!e->choices[j].alias)
			strv_push(&names, e->choices[j].name);
	list = strv_join_list(&names, last_sep);
	strv_clear(&names);
	return list;
}

/* The value's choice in @e; -1 and an error when it is none of them. */
static int choose(struct schema_ctx *c, const struct schema_enum *e)
{
	int v = schema_enum_value(e, c->r->value);

	if (v < 0) {
		_cleanup_free_ char *list = choice_list(e, " or ");
		expected(c, list);
	}
	return v;
}

static bool get_bool(struct schema_ctx *c, bool *ret)
{
	if (parse_bool(c->r->value, ret) < 0) {
		expected(c, "on or off");
		return false;
	}
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
static char *get_path_of(struct schema_ctx *c, const char *raw)
{
	_cleanup_free_ char *e = NULL, *v = escape_control(raw);

	if (strempty(raw)) {
		expected(c, "a path");
		return NULL;
	}
	e = expand_path(raw);
	if (!e) {
		if (errno == EINVAL && raw[0] == '~' && raw[1] != '/' && raw[1] != '\0')
			schema_bad(c, "expected ~/path or a full path (~user is not expanded), got '%s'", v);
		else if (errno == EINVAL)
			schema_bad(c, "expected a path using only ~, $HOME and $XDG_* variables, got '%s'",
				   v);
		else if (errno == ENAMETOOLONG)
			schema_bad(c, "path is longer than %d characters", PATH_MAX - 1);
		else {
			_cleanup_free_ char *var = unset_variable(raw);
			schema_bad(c, "'%s' needs %s in the environment", v, var);
		}
		return NULL;
	}
	for (const char *t = e; *t; t++)
		if ((unsigned char)*t < 0x20 || *t == 0x7f) {
			schema_bad(c, "path contains a control character after expansion: '%s'", v);
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
			schema_bad(c, "cannot make '%s' absolute: %s", v, strerror(errno));
			return NULL;
		}
		return slash ? xasprintf("%s/%s/%s", cwd, dir, e) : xasprintf("%s/%s", cwd, e);
	}
	return TAKE_PTR(e);
}

static char *get_path(struct schema_ctx *c)
{
	return get_path_of(c, c->r->value);
}

static void set_str(char **dst, char *val)
{
	free(*dst);
	*dst = val;
}

/* ---- the keys whose values need more than one generic parser ---- */

void parse_qemu(struct schema_ctx *c, void *dst)
{
	const char *v = c->r->value;

	if (strempty(v) || strpbrk(v, " \t") || (strchr(v, '/') && v[0] != '/' && v[0] != '~'))
		expected(c, "a program name on PATH or an absolute path");
	else
		set_str(dst, strchr(v, '/') ? get_path(c) : xstrdup(v));
}

void parse_subids(struct schema_ctx *c, void *dst)
{
	struct pci_section *d = dst;
	const char *v = c->r->value;

	if (streq(v, "auto"))
		d->subids = SUBIDS_AUTO;
	else if (streq(v, "off"))
		d->subids = SUBIDS_OFF;
	else if (parse_pci_id(v, &d->sub) == 0)
		d->subids = SUBIDS_EXPLICIT;
	else
		expected(c, "auto, off or vendor:device like 1025:118b");
}

void parse_skip_functions(struct schema_ctx *c, void *dst)
{
	uint8_t *skip = dst;
	struct cpuset s;

	if (parse_cpulist(c->r->value, &s) < 0) {
		expected(c, "a list of functions 1-7 like 1 or 1,2");
		return;
	}
	for (unsigned j = 0; j < s.n; j++) {
		if (s.cpu[j] == 0) {
			expected(c,
				 "a list of functions 1-7 like 1 or 1,2 (function 0 is the device itself)");
			return;
		}
		if (s.cpu[j] > 7) {
			expected(c, "a list of functions 1-7 like 1 or 1,2 (a PCI device has functions 0-7)");
			return;
		}
		*skip |= (uint8_t)(1u << s.cpu[j]);
	}
}

void parse_media(struct schema_ctx *c, void *dst)
{
	int i = choose(c, &schema_media);

	if (i >= 0)
		*(bool *)dst = i == 1;
}

void parse_resolution(struct schema_ctx *c, void *dst)
{
	struct profile *p = c->p;
	unsigned w, h;
	char tail;

	if (sscanf(c->r->value, "%ux%u%c", &w, &h, &tail) != 2 || w < 320 || h < 200 || w > 16384 ||
	    h > 16384)
		expected(c, "WIDTHxHEIGHT like 2560x1440 (320x200 to 16384x16384)");
	else {
		p->lg_width = w;
		p->lg_height = h;
	}
}

/* HOST[:PORT] of a tcp: sound server: a name or IPv4 address, or an IPv6 one in brackets. */
static bool valid_host_port(const char *s)
{
	const char *end;
	unsigned port;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end == s + 1 ||
		    strspn(s + 1, "0123456789abcdefABCDEF:.") != (size_t)(end - s - 1))
			return false;
		end++;
	} else {
		end = s + strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_");
		if (end == s)
			return false;
	}
	if (*end == '\0')
		return true;
	return *end == ':' && end[1] != '0' && parse_uint(end + 1, 10, 65535, &port) == 0 && port > 0;
}

/* auto, a socket path (bare or unix:PATH, expanded like every path) or tcp:HOST[:PORT], kept as
 * written. A path is stored bare, tcp: with its prefix. */
void parse_server(struct schema_ctx *c, void *dst)
{
	const char *v = c->r->value;
	_cleanup_free_ char *path = NULL;

	if (streq(v, "auto")) {
		set_str(dst, NULL);
		return;
	}
	if (startswith(v, "tcp:")) {
		if (valid_host_port(v + 4))
			set_str(dst, xstrdup(v));
		else
			expected(c, "tcp:HOST or tcp:HOST:PORT like tcp:192.168.1.2:4713 (port 1-65535)");
		return;
	}
	path = get_path_of(c, startswith(v, "unix:") ? v + 5 : v);
	/* QEMU hands server=unix:PATH to libpulse, which splits its server string at whitespace
	 * and would connect to the words as separate servers. */
	if (path && strpbrk(path, " \t")) {
		_cleanup_free_ char *shown = escape_control(path);
		schema_bad(c,
			   "'%s' holds whitespace, which the sound server's client takes as a list "
			   "of servers (move the socket, or link it from a path without spaces)",
			   shown);
		return;
	}
	set_str(dst, TAKE_PTR(path));
}

/* Appends a [usb] device or port; the caps are PROFILE_MAX_DEVICES in all. */
static void push_usb(struct schema_ctx *c, const struct usb_entry *e)
{
	struct profile *p = c->p;

	if (p->n_usb >= PROFILE_MAX_DEVICES) {
		schema_bad(c, "at most %d USB devices", PROFILE_MAX_DEVICES);
		return;
	}
	p->usb[p->n_usb++] = *e;
}

void parse_usb_device(struct schema_ctx *c, void *dst)
{
	struct usb_entry e = { .loc = c->loc };

	if (parse_pci_id(c->r->value, &e.id) < 0)
		expected(c, "vendor:product in hex like 046d:c52b");
	else
		push_usb(c, &e);
}

void parse_usb_port_key(struct schema_ctx *c, void *dst)
{
	struct usb_entry e = { .loc = c->loc, .by_port = true };

	if (parse_usb_port(c->r->value, &e.bus, e.port, sizeof(e.port)) < 0)
		expected(c, "bus-port like 1-4 or 3-1.2: bus 1-255, ports 1-31, at most 7 deep "
			    "(qemu-vm devices lists them)");
	else
		push_usb(c, &e);
}

void parse_grab_toggle(struct schema_ctx *c, void *dst)
{
	int i = choose(c, &schema_grab_toggle);

	if (i >= 0)
		set_str(dst, xstrdup(schema_enum_name(&schema_grab_toggle, i)));
}

void parse_mac_key(struct schema_ctx *c, void *dst)
{
	struct profile *p = c->p;
	const char *v = c->r->value;
	int r = streq(v, "auto") ? 0 : parse_mac(v, p->mac);

	if (streq(v, "auto"))
		p->mac_auto = true;
	else if (r == -EDOM)
		expected(c,
			 "auto or a unicast MAC like 52:54:00:12:34:56 (an odd first byte means multicast)");
	else if (r < 0)
		expected(c, "auto or a unicast MAC like 52:54:00:12:34:56");
	else
		p->mac_auto = false;
}

void parse_acpi_table(struct schema_ctx *c, void *dst)
{
	struct profile *p = c->p;
	char *path;

	if (p->acpi_tables.n >= PROFILE_MAX_DEVICES) {
		schema_bad(c, "at most %d tables", PROFILE_MAX_DEVICES);
		return;
	}
	path = get_path(c);
	if (!path)
		return;
	/* -acpitable file= takes a colon-separated list: a ':' would split the path. */
	if (strchr(path, ':')) {
		schema_bad(
			c,
			"path contains ':', which -acpitable reads as a list separator: '%s' (rename the file)",
			path);
		free(path);
		return;
	}
	p->acpi_loc[p->acpi_tables.n] = c->loc;
	strv_push_take(&p->acpi_tables, path);
}

/* keyboard = and mouse =: each line one more evdev device, in file order. */
void parse_evdev(struct schema_ctx *c, void *dst)
{
	struct profile *p = c->p;
	char *path;

	(void)dst;
	if (p->n_evdev >= PROFILE_MAX_EVDEV) {
		schema_bad(c, "at most %d keyboard and mouse lines together", PROFILE_MAX_EVDEV);
		return;
	}
	path = get_path(c);
	if (!path)
		return;
	p->evdev[p->n_evdev++] = (struct evdev_entry){ .path = path,
						       .loc = c->loc,
						       .keyboard = streq(c->r->key, "keyboard") };
}

/* A PCI vendor or device ID as lspci -n prints it: 4 hex digits, 0x allowed. */
void parse_id16(struct schema_ctx *c, void *dst)
{
	const char *v = c->r->value;
	const char *hex = startswith(v, "0x") || startswith(v, "0X") ? v + 2 : v;
	uint64_t id;

	if (strlen(hex) != 4 || strspn(hex, "0123456789abcdefABCDEF") != 4 || parse_u64(hex, 16, &id) < 0) {
		expected(c, streq(c->r->key, "vendor-id") ? "a vendor ID of 4 hex digits like 10de"
							  : "a device ID of 4 hex digits like 1b81");
		return;
	}
	/* ffff is what a read from no device at all gives: the guest would see an empty slot. */
	if (id == 0xffff) {
		schema_bad(c, "ffff is no ID: it reads as an empty slot");
		return;
	}
	*(uint16_t *)dst = (uint16_t)id;
}

void parse_fwcfg(struct schema_ctx *c, void *dst)
{
	struct profile *p = c->p;
	const char *k = c->r->key;
	char *path;

	/* QEMU: user items live under opt/ and the name field of fw_cfg files is 56 bytes. */
	if (!startswith(k, "opt/") || strlen(k) < 5) {
		schema_bad(c, "expected a name under opt/, like opt/com.example/rom");
		return;
	}
	if (strlen(k) > 55) {
		schema_bad(c, "name is %zu characters long; QEMU takes at most 55", strlen(k));
		return;
	}
	for (const char *t = k; *t; t++)
		if ((unsigned char)*t < 0x21 || *t == 0x7f || *t == ',') {
			schema_bad(c, "name contains a space, comma or control character");
			return;
		}
	if (strv_contains(&p->fwcfg_names, k)) {
		schema_bad(c, "fw_cfg name given twice");
		return;
	}
	if (p->fwcfg_names.n >= PROFILE_MAX_DEVICES) {
		schema_bad(c, "at most %d fw_cfg files", PROFILE_MAX_DEVICES);
		return;
	}
	path = get_path(c);
	if (!path)
		return;
	p->fwcfg_loc[p->fwcfg_names.n] = c->loc;
	strv_push(&p->fwcfg_names, k);
	strv_push_take(&p->fwcfg_files, path);
}

void parse_qemu_arg(struct schema_ctx *c, void *dst)
{
	struct strv *args = dst;

	if (strempty(c->r->value)) {
		expected(c, "one QEMU argument");
		return;
	}
	if (args->n >= 256) {
		schema_bad(c, "at most 256 extra arguments");
		return;
	}
	strv_push(args, c->r->value);
}

static bool has_control(const char *s)
{
	for (const unsigned char *t = (const unsigned char *)s; *t; t++)
		if ((*t < 0x20 && *t != '\t') || *t == 0x7f)
			return true;
	return false;
}

static void apply_size(struct schema_ctx *c, const struct schema_key *k, uint64_t *dst)
{
	_cleanup_free_ char *v = escape_control(c->r->value);
	char lo[32], hi[32], al[32];
	uint64_t s;
	int r = parse_size(c->r->value, &s);

	format_size(k->min, lo, sizeof(lo));
	format_size(k->max, hi, sizeof(hi));
	format_size(k->align, al, sizeof(al));
	if (r < 0 && r != -ERANGE)
		expected(c, k->expect);
	else if (r < 0 || s < k->min || s > k->max || (k->pow2 && (s & (s - 1))))
		schema_bad(c, "expected %s from %s to %s%s%s, got '%s'",
			   k->pow2 ? "a power of two" : "a size", lo, hi, k->why ? " " : "",
			   k->why ? k->why : "", v);
	else if (k->align && s % k->align)
		schema_bad(c, "expected a multiple of %s, got '%s'", al, v);
	else
		*dst = s;
}

void schema_apply(struct schema_ctx *c, const struct schema_key *k, void *base)
{
	const char *v = c->r->value;
	void *dst = (char *)base + k->off;
	size_t errors = c->doc->errs->msgs.n;

	/* ESC or BEL would reach the terminal, the desktop entry and the logs as they are. */
	if (has_control(v)) {
		expected(c, "a value without control characters");
		return;
	}
	switch (k->type) {
	case ST_TEXT: {
		size_t len = strlen(v);
		if (len < k->min || (k->max && len > k->max) || (k->charset && strspn(v, k->charset) != len))
			expected(c, k->expect);
		else
			set_str(dst, xstrdup(v));
		break;
	}
	case ST_UINT: {
		unsigned u;
		if (parse_uint(v, 10, UINT_MAX, &u) < 0 || u < k->min || u > k->max) {
			char what[64];
			snprintf(what, sizeof(what), "a whole number from %u to %u", (unsigned)k->min,
				 (unsigned)k->max);
			expected(c, what);
		} else
			*(unsigned *)dst = u;
		break;
	}
	case ST_SIZE:
		apply_size(c, k, dst);
		break;
	case ST_CPULIST:
		if (parse_cpulist(v, dst) < 0)
			expected(c, k->expect);
		break;
	case ST_PCI_ADDR:
		if (parse_pci_slot_or_addr(v, dst) < 0)
			expected(c, k->expect);
		break;
	case ST_PCI_ID:
		if (parse_pci_id(v, dst) < 0)
			expected(c, k->expect);
		break;
	case ST_BOOL:
		get_bool(c, dst);
		break;
	case ST_TOGGLE: {
		bool b;
		if (get_bool(c, &b))
			*(enum toggle3 *)dst = b ? T_ON : T_OFF;
		break;
	}
	case ST_ENUM: {
		int i = choose(c, k->choices);
		if (i >= 0)
			*(int *)dst = i;
		break;
	}
	case ST_PATH:
		set_str(dst, get_path(c));
		break;
	case ST_CUSTOM:
		k->parse(c, dst);
		break;
	}
	if (c->doc->errs->msgs.n != errors || c->r->line == 0) /* line 0: a default */
		return;
	if (k->loc_off)
		*(struct loc *)((char *)base + k->loc_off) = c->loc;
	if (k->has_off)
		*(bool *)((char *)base + k->has_off) = true;
}
