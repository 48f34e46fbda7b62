// SPDX-License-Identifier: GPL-2.0-or-later
/* Parses one profile value of each kind (sizes, CPU lists, PCI and USB addresses, paths, …). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include "profile-internal.h"

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
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'G':
		mult = 1ULL << 30;
		break;
	case 'T':
		mult = 1ULL << 40;
		break;
	default:
		return -EINVAL;
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
	bool seen[4096] = { false };

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

/* A profile's address may leave the function out (01:00): the whole slot, which is what function
 * 0 already means there (every function of the card comes along). Sysfs names always have one. */
int parse_pci_slot_or_addr(const char *s, struct pci_addr *ret)
{
	_cleanup_free_ char *full = NULL;
	const char *last;

	if (strempty(s))
		return -EINVAL;
	last = strrchr(s, ':');
	if (last && !strchr(last, '.')) {
		full = xasprintf("%s.0", s);
		s = full;
	}
	return parse_pci_addr(s, ret);
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

char *xdg_dir(const char *var, const char *home_suffix)
{
	const char *v = secure_getenv(var);
	const char *home;

	if (!strempty(v) && v[0] == '/')
		return xstrdup(v);
	if (!home_suffix)
		return NULL;
	home = secure_getenv("HOME");
	if (strempty(home))
		return NULL;
	return xasprintf("%s/%s", home, home_suffix);
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
			_cleanup_free_ char *owned = NULL;
			const char *val = NULL;
			bool known = false;

			if (brace && name[nlen] != '}') {
				errno = EINVAL;
				return NULL;
			}
			for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
				if (strlen(vars[i].name) == nlen && !strncmp(name, vars[i].name, nlen)) {
					known = true;
					val = streq(vars[i].name, "HOME")
						      ? secure_getenv("HOME")
						      : (owned = xdg_dir(vars[i].name, vars[i].home_suffix));
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

int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
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
