// SPDX-License-Identifier: GPL-2.0-or-later
/* Finds a profile and loads it: reads the records, applies the schema, checks whole sections. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include "profile-internal.h"

bool valid_device_name(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= 32 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == len;
}

/* "vm, pci NAME, …, fw_cfg or qemu": the sections, for the unknown-section hint. */
static char *section_list(void)
{
	struct strv names = { 0 };
	char *list;

	for (size_t t = 0; t < _SEC_MAX; t++)
		strv_pushf(&names, "%s%s", schema_sections[t].name, schema_sections[t].named ? " NAME" : "");
	list = strv_join_list(&names, " or ");
	strv_clear(&names);
	return list;
}

/* "device, port, table and arg", or the keys of one section: rows picked from the table. */
static char *key_list(bool repeating, int section, const char *last_sep)
{
	struct strv names = { 0 };
	char *list;

	for (size_t j = 0; j < schema_n_keys; j++)
		if (schema_keys[j].key &&
		    (repeating ? schema_keys[j].repeat : (int)schema_keys[j].section == section))
			strv_push(&names, schema_keys[j].key);
	list = strv_join_list(&names, last_sep);
	strv_clear(&names);
	return list;
}

/* An unknown key: the nearest known one when it looks like a typo, and the keys there are. */
static void unknown_key(struct schema_ctx *c, enum schema_section section, const char *secname)
{
	_cleanup_free_ char *list = key_list(false, (int)section, ", "), *shown = escape_control(secname);
	_cleanup_free_ char *hint = NULL;
	const char *near = schema_nearest(section, c->r->key);

	hint = near ? xasprintf("did you mean '%s'? ", near) : xstrdup("");
	schema_bad(c, "unknown key in [%s] (%sexpected %s)", shown, hint, list);
}

/* Splits "[pci gpu]" into its type; -1 and an error when the header is not one we know. */
static int classify_section(struct ini_doc *doc, const struct ini_sec *s, char **ret_name)
{
	_cleanup_free_ char *type = NULL, *shown = escape_control(s->name), *list = NULL;
	const char *sp = strchr(s->name, ' ');
	const char *name = NULL;

	type = sp ? xstrndup(s->name, (size_t)(sp - s->name)) : xstrdup(s->name);
	if (sp)
		name = sp + strspn(sp, " ");
	for (size_t t = 0; t < _SEC_MAX; t++) {
		if (!streq(type, schema_sections[t].name))
			continue;
		if (schema_sections[t].named) {
			if (strempty(name) || !valid_device_name(name)) {
				ini_error(
					doc, s->line, NULL,
					"[%s]: expected '[%s NAME]' with a NAME of letters, digits, - and _ (at most 32)",
					shown, type);
				return -1;
			}
			*ret_name = xstrdup(name);
		} else if (name) {
			ini_error(doc, s->line, NULL, "[%s]: section '%s' takes no name", shown, type);
			return -1;
		}
		return (int)t;
	}
	list = section_list();
	ini_error(doc, s->line, NULL, "[%s]: unknown section (expected %s)", shown, list);
	return -1;
}

/* Sets the defaults of the rows that write into @base (struct profile, or one new [pci] or
 * [disk] section), each parsed from the row as a profile would write it. */
static void defaults(struct ini_doc *doc, struct profile *p, enum schema_base kind, void *base)
{
	for (size_t i = 0; i < schema_n_keys; i++) {
		const struct schema_key *k = &schema_keys[i];
		const struct ini_rec r = { .key = (char *)k->key, .value = (char *)k->def, .line = 0 };
		struct schema_ctx c = { .doc = doc, .p = p, .r = &r };

		if (!k->def || schema_sections[k->section].base != kind)
			continue;
		/* "auto" is no value a user may write for an on/off key, only its default. */
		if (k->type == ST_TOGGLE && streq(k->def, "auto"))
			*(enum toggle3 *)((char *)base + k->off) = T_AUTO;
		else
			schema_apply(&c, k, base);
	}
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
static void vm_topology(struct ini_doc *doc, struct profile *p, const struct ini_sec *s,
			const struct seen_key *seen, unsigned n_seen)
{
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
		snprintf(have, sizeof(have), "cpus = %u on line %u", p->cpus,
			 seen_line(seen, n_seen, "cpus"));
	else
		snprintf(have, sizeof(have), "pin on line %u has %u CPUs", p->pin_loc.line, p->cpus);

	if (!p->cpus) {
		co = co ? co : 1;
		p->cpus = so * co * t;
		if (p->cpus > 255)
			ini_error(doc, line, key,
				  "sockets × cores × threads = %u × %u × %u = %u vCPUs; at most 255", so, co,
				  t, p->cpus);
	} else if (!co) {
		co = p->cpus / (so * t);
		if (co == 0 || so * co * t != p->cpus)
			ini_error(doc, line, key, "sockets × threads = %u × %u does not divide the vCPUs: %s",
				  so, t, have);
	} else if (so * co * t != p->cpus)
		ini_error(doc, line, key, "sockets × cores × threads = %u × %u × %u = %u, but %s", so, co, t,
			  so * co * t, have);
	p->sockets = so;
	p->cores = co ? co : 1;
	p->threads = t;
}

/* The line of @key's first record in section @si, also of a key that may repeat; 0: none. */
static unsigned key_line(const struct ini_doc *doc, size_t si, const char *key)
{
	for (size_t ri = 0; ri < doc->n_recs; ri++)
		if (doc->recs[ri].sec == (int)si && streq(doc->recs[ri].key, key))
			return doc->recs[ri].line;
	return 0;
}

static void vm_rules(struct ini_doc *doc, struct profile *p, const struct ini_sec *s,
		     const struct seen_key *seen, unsigned n_seen)
{
	vm_topology(doc, p, s, seen, n_seen);
	if (p->pin.n && p->pin.n != p->cpus)
		ini_error(doc, p->pin_loc.line, "pin", "expected %u host CPUs (one per vCPU), got %u",
			  p->cpus, p->pin.n);
	/* QEMU takes a hugetlb memfd only as whole pages; 2M pages always fit (memory is aligned
	 * to 2M), 1G pages need memory in whole gigabytes. */
	if (p->hugepages == HUGE_1G && p->memory % (1ULL << 30)) {
		unsigned mem = seen_line(seen, n_seen, "memory"), huge = seen_line(seen, n_seen, "hugepages");
		char have[32];

		format_size(p->memory, have, sizeof(have));
		ini_error(
			doc, mem > huge ? mem : huge, mem > huge ? "memory" : "hugepages",
			"memory = %s is not a whole number of 1G pages, and QEMU takes huge pages only whole "
			"(make memory a multiple of 1G, or hugepages = 2M)",
			have);
	}
	if (p->secure_boot && p->firmware == FW_BIOS)
		ini_error(doc, p->secure_boot_loc.line, "secure-boot",
			  "needs firmware = uefi (line %u says bios)", seen_line(seen, n_seen, "firmware"));
	if (p->hv_vendor_id && p->hide_hypervisor != T_ON)
		ini_error(doc, seen_line(seen, n_seen, "hv-vendor-id"), "hv-vendor-id",
			  "only used with hide-hypervisor = on");
}

static void validate_section(struct ini_doc *doc, struct profile *p, size_t si, int type, char *devname)
{
	struct pci_section *pci = NULL;
	struct disk_section *disk = NULL;
	const struct ini_sec *s = &doc->secs[si];
	_cleanup_free_ char *shown = escape_control(s->name);
	struct seen_key seen[64];
	unsigned n_seen = 0;

	if (type == SEC_PCI || type == SEC_DISK) {
		const char *kind = NULL;
		unsigned first = 0;
		for (unsigned i = 0; i < p->n_pci && !kind; i++)
			if (streq(p->pci[i].name, devname))
				kind = "pci", first = p->pci[i].loc.line;
		for (unsigned i = 0; i < p->n_disk && !kind; i++)
			if (streq(p->disk[i].name, devname))
				kind = "disk", first = p->disk[i].loc.line;
		if (kind) {
			ini_error(doc, s->line, NULL,
				  "[%s]: the name '%s' is already used by [%s %s] on line %u", shown, devname,
				  kind, devname, first);
			free(devname);
			return;
		}
		if ((type == SEC_PCI ? p->n_pci : p->n_disk) >= PROFILE_MAX_DEVICES) {
			ini_error(doc, s->line, NULL, "[%s]: at most %d sections of this kind", shown,
				  PROFILE_MAX_DEVICES);
			free(devname);
			return;
		}
	}
	if (type == SEC_PCI) {
		pci = &p->pci[p->n_pci++];
		*pci = (struct pci_section){ .name = devname, .loc = { p->path, s->line } };
		defaults(doc, p, BASE_PCI, pci);
	} else if (type == SEC_DISK) {
		disk = &p->disk[p->n_disk++];
		*disk = (struct disk_section){ .name = devname, .loc = { p->path, s->line } };
		defaults(doc, p, BASE_DISK, disk);
	} else if (type == SEC_LG) {
		p->lg = true;
		p->lg_loc = (struct loc){ p->path, s->line };
	} else if (type == SEC_SCREAM) {
		p->scream = true;
		p->scream_loc = (struct loc){ p->path, s->line };
		p->scream_size_loc = p->scream_loc;
	} else if (type == SEC_AUDIO) {
		if (p->audio == AUDIO_NONE)
			p->audio = AUDIO_AUTO;
		p->audio_loc = (struct loc){ p->path, s->line };
	} else if (type == SEC_USB) {
		p->usb_controller = true;
	} else if (type == SEC_TPM) {
		p->tpm = true;
		p->tpm_loc = (struct loc){ p->path, s->line };
	}

	for (size_t ri = 0; ri < doc->n_recs; ri++) {
		const struct ini_rec *r = &doc->recs[ri];
		struct schema_ctx c = { .doc = doc, .p = p, .r = r, .loc = { p->path, r->line } };
		const struct schema_key *k = schema_find((enum schema_section)type, r->key);

		if (r->sec != (int)si)
			continue;
		if (!k) {
			unknown_key(&c, (enum schema_section)type, s->name);
			continue;
		}
		if (!k->repeat) {
			unsigned first = seen_line(seen, n_seen, r->key);
			if (first) {
				_cleanup_free_ char *rep = key_list(true, -1, " and ");
				schema_bad(&c,
					   "set again; it was already set on line %u (only %s may repeat)",
					   first, rep);
				continue;
			}
			if (n_seen < ARRAY_SIZE(seen))
				seen[n_seen++] = (struct seen_key){ r->key, r->line };
		}
		schema_apply(&c, k,
			     schema_sections[type].base == BASE_PCI    ? (void *)pci
			     : schema_sections[type].base == BASE_DISK ? (void *)disk
								       : (void *)p);
	}

	/* Whole-section rules: at the key that breaks them, else at the section header. A key
	 * whose value did not parse was reported already and is not reported again here. */
	if (pci) {
		unsigned host = seen_line(seen, n_seen, "host"), ids = seen_line(seen, n_seen, "ids");
		unsigned hotplug = seen_line(seen, n_seen, "hotplug");

		if (!host && !ids)
			ini_error(doc, s->line, NULL,
				  "[%s] needs exactly one of host = 01:00.0 or ids = vendor:device", s->name);
		else if (host && ids)
			ini_error(doc, host > ids ? host : ids, host > ids ? "host" : "ids",
				  "[%s] takes host or ids, not both (%s is on line %u)", s->name,
				  host > ids ? "ids" : "host", host > ids ? ids : host);
		if (pci->handover && !host && ids)
			ini_error(doc, seen_line(seen, n_seen, "handover"), "handover",
				  "needs host = ADDRESS: the unit that hands the device over is named by "
				  "its address (ids is on line %u)",
				  ids);
		if (pci->rootport == ROOTPORT_NONE && pci->hotplug != T_AUTO)
			ini_error(doc, hotplug, "hotplug",
				  "applies to a root port, and root-port = none (line %u) has none",
				  seen_line(seen, n_seen, "root-port"));
	}
	if (disk && !seen_line(seen, n_seen, "path"))
		ini_error(doc, s->line, NULL, "[%s] needs path = a block device or image file", s->name);
	if (type == SEC_VM)
		vm_rules(doc, p, s, seen, n_seen);
	if (type == SEC_LG) {
		unsigned res = seen_line(seen, n_seen, "resolution"), size = seen_line(seen, n_seen, "size");

		if (p->lg_width && p->lg_size)
			ini_error(doc, res > size ? res : size, res > size ? "resolution" : "size",
				  "[looking-glass] takes resolution or size, not both (%s is on line %u)",
				  res > size ? "size" : "resolution", res > size ? size : res);
		else if (p->lg_width)
			p->lg_size = lg_size_for(p->lg_width, p->lg_height);
		if (!p->lg_path)
			p->lg_path = xstrdup("/dev/shm/looking-glass");
	}
	if (type == SEC_NETWORK) {
		if (p->net != NET_BRIDGE && p->bridge)
			ini_error(doc, seen_line(seen, n_seen, "bridge"), "bridge",
				  "only used with mode = bridge");
		if (p->net == NET_BRIDGE && !p->bridge)
			p->bridge = xstrdup("br0");
	}
	if (type == SEC_INPUT && p->toggle && !key_line(doc, si, "keyboard") && !key_line(doc, si, "mouse"))
		ini_error(doc, seen_line(seen, n_seen, "toggle"), "toggle",
			  "needs keyboard = or mouse = (it switches their grab between host and guest)");
	if (type == SEC_INPUT && !p->ps2 && p->pointer == POINTER_PS2) {
		unsigned ps2 = seen_line(seen, n_seen, "ps2"), ptr = seen_line(seen, n_seen, "pointer");

		if (ps2 > ptr)
			ini_error(doc, ps2, "ps2",
				  "takes away the PS/2 controller that pointer = ps2 (line %u) needs "
				  "(pointer = usb-tablet, or ps2 = on)",
				  ptr);
		else
			ini_error(doc, ptr, "pointer",
				  "ps2 needs the PS/2 controller, and ps2 = off (line %u) takes it away "
				  "(pointer = usb-tablet, or ps2 = on)",
				  ps2);
	}
	/* input-linux hands key presses to the guest's keyboard device: with no PS/2 keyboard and
	 * no virtio one there is none (a passed USB keyboard is not one QEMU can feed). */
	if (type == SEC_INPUT && !p->ps2 && !p->input_virtio && key_line(doc, si, "keyboard"))
		ini_error(
			doc, seen_line(seen, n_seen, "ps2"), "ps2",
			"leaves the evdev keyboard (line %u) no keyboard device in the guest; add virtio = on",
			key_line(doc, si, "keyboard"));
}

/* Scream beside Looking Glass: two ivshmem devices, which must not share their memory, and
 * which Scream's Windows driver tells apart by size (its UseIVSHMEM value, in MB). */
static void scream_rules(struct ini_doc *doc, struct profile *p)
{
	char size[32];

	format_size(p->scream_size, size, sizeof(size));
	if (!p->scream || !p->lg)
		return;
	if (streq(p->scream_path, p->lg_path))
		ini_error(
			doc, p->scream_loc.line, NULL,
			"[scream] and [looking-glass] (line %u) both use '%s'; each needs a file of its own",
			p->lg_loc.line, p->lg_path);
	else if (p->scream_size == p->lg_size)
		ini_error(
			doc, p->scream_size_loc.line, NULL,
			"[scream] is %s, as large as [looking-glass] (line %u): Scream's Windows driver finds "
			"its device by size (UseIVSHMEM), so give the two different sizes",
			size, p->lg_loc.line);
}

static void validate(struct ini_doc *doc, struct profile *p)
{
	bool once[_SEC_MAX] = { false };
	unsigned once_line[_SEC_MAX] = { 0 };

	for (size_t ri = 0; ri < doc->n_recs; ri++)
		if (doc->recs[ri].sec < 0)
			ini_error(doc, doc->recs[ri].line, doc->recs[ri].key,
				  "key outside any section (put it under [vm] or another section)");

	for (size_t si = 0; si < doc->n_secs; si++) {
		char *devname = NULL;
		int type;

		if (!doc->secs[si].name)
			continue; /* a broken header, reported by the reader */
		type = classify_section(doc, &doc->secs[si], &devname);
		if (type < 0)
			continue;
		if (!schema_sections[type].named) {
			if (once[type]) {
				_cleanup_free_ char *shown = escape_control(doc->secs[si].name);
				ini_error(
					doc, doc->secs[si].line, NULL,
					"[%s]: section given twice (first on line %u); put all its keys in one",
					shown, once_line[type]);
				continue;
			}
			once[type] = true;
			once_line[type] = doc->secs[si].line;
		}
		validate_section(doc, p, si, type, devname);
	}

	/* Rules across sections. */
	if (p->lg && !p->lg_size)
		p->lg_size = lg_size_for(1920, 1080);
	scream_rules(doc, p);
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

/* Reads @f as the profile named @path (its file name is the VM's name). */
static int load_stream(FILE *f, const char *path, struct profile *ret, struct profile_errors *errs)
{
	/* Filled in place: a copy of this large struct costs its pages, and a launch pays for each. */
	struct profile *p = ret;
	struct ini_doc doc = { .file = path, .errs = errs };
	int r;

	memset(p, 0, sizeof(*p));
	p->path = xstrdup(path);
	if (profile_vm_name(path, &p->name) < 0) {
		_cleanup_free_ char *e = escape_control(path);
		strv_pushf(
			&errs->msgs,
			"%s: the file name is the VM's name (in QEMU's -name and the QMP socket path), and "
			"it may not be empty, '.' or '..', nor hold control characters; rename the file",
			e);
		profile_free(p);
		return -EINVAL;
	}
	defaults(&doc, p, BASE_PROFILE, p);
	r = ini_read(f, &doc);
	if (r < 0) {
		ini_doc_free(&doc);
		profile_free(p);
		return r;
	}
	validate(&doc, p);
	ini_sort_errors(&doc);
	ini_doc_free(&doc);
	if (errs->msgs.n) {
		profile_free(p);
		return -EINVAL;
	}
	return 0;
}

/* What a file that is no profile is, for the message. */
static const char *file_kind(mode_t mode)
{
	return S_ISFIFO(mode)	? "a FIFO"
	       : S_ISCHR(mode)	? "a character device"
	       : S_ISBLK(mode)	? "a block device"
	       : S_ISSOCK(mode) ? "a socket"
				: "not a regular file";
}

int profile_load(const char *path, struct profile *ret, struct profile_errors *errs)
{
	/* Non-blocking: opening a FIFO for reading would wait for a writer forever, and a
	 * terminal must not become ours. Only a regular file is read. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	_cleanup_fclose_ FILE *f = NULL;
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	/* -EINVAL means "see @errs": a file that is no profile at all must not come back as
	 * -EINVAL with no message (the caller would report "0 errors"). */
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		_cleanup_free_ char *shown = escape_control(path);
		strv_pushf(&errs->msgs, "%s: %s, not a profile (a profile is a regular .ini file)", shown,
			   file_kind(st.st_mode));
		return -EINVAL;
	}
	if (st.st_size > PROFILE_MAX_FILE) {
		close(fd);
		return -EFBIG;
	}
	f = fdopen(fd, "re");
	if (!f) {
		int r = -errno;
		close(fd);
		return r;
	}
	return load_stream(f, path, ret, errs);
}

int profile_load_string(const char *name, const char *text, struct profile *ret, struct profile_errors *errs)
{
	size_t len = strlen(text);
	_cleanup_fclose_ FILE *f = NULL;

	if (len > PROFILE_MAX_FILE)
		return -EFBIG;
	/* fmemopen cannot open an empty buffer in every libc: read an empty profile as "\n". */
	f = fmemopen((void *)(len ? text : "\n"), len ? len : 1, "r");
	if (!f)
		return -errno;
	return load_stream(f, name, ret, errs);
}

void profile_drop_pci(struct profile *p)
{
	for (unsigned i = 0; i < p->n_pci; i++) {
		free(p->pci[i].name);
		free(p->pci[i].romfile);
	}
	p->n_pci = 0;
}

void profile_drop_evdev(struct profile *p)
{
	for (unsigned i = 0; i < p->n_evdev; i++)
		free(p->evdev[i].path);
	p->n_evdev = 0;
	free(p->toggle);
	p->toggle = NULL;
}

void profile_free(struct profile *p)
{
	profile_drop_pci(p);
	profile_drop_evdev(p);
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
	free(p->scream_path);
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
	_cleanup_free_ char *cfg = NULL;
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
