// SPDX-License-Identifier: GPL-2.0-or-later
/* Reads host facts for the launcher (memlock, hugepages, USB, devices, firmware) under a root. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <sys/stat.h>
#include "host.h"
#include "udev-dl.h"

bool host_root_is_system(const char *root)
{
	_cleanup_free_ char *real = NULL;

	if (strempty(root) || streq(root, "/"))
		return true;
	real = realpath(root, NULL);
	return real && streq(real, "/");
}

static void read_attr(const char *dir, const char *name, char *buf, size_t len)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	_cleanup_free_ char *s = NULL;

	buf[0] = '\0';
	if (read_small_file(path, &s) == 0)
		snprintf(buf, len, "%s", s);
}

static bool usb_fill(struct usb_dev_info *u, const char *vendor, const char *product, const char *busnum,
		     const char *devnum, const char *devpath, const char *manufacturer, const char *prodname)
{
	unsigned v, p;

	if (!vendor || !product || !busnum || !devpath)
		return false;
	if (parse_uint(vendor, 16, 0xffff, &v) < 0 || parse_uint(product, 16, 0xffff, &p) < 0 ||
	    parse_uint(busnum, 10, 255, &u->bus) < 0)
		return false;
	if (!devnum || parse_uint(devnum, 10, 255, &u->devnum) < 0)
		u->devnum = 0;
	u->vendor = (uint16_t)v;
	u->product = (uint16_t)p;
	snprintf(u->port, sizeof(u->port), "%s", devpath);
	snprintf(u->name, sizeof(u->name), "%s%s%s", manufacturer ? manufacturer : "",
		 manufacturer && prodname ? " " : "", prodname ? prodname : "");
	return true;
}

static void usb_add(struct usb_host *h, size_t *cap, const struct usb_dev_info *u)
{
	if (h->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		h->dev = xrealloc(h->dev, *cap * sizeof(*h->dev));
	}
	h->dev[h->n++] = *u;
}

static int usb_cmp(const void *a, const void *b)
{
	const struct usb_dev_info *x = a, *y = b;

	if (x->bus != y->bus)
		return x->bus < y->bus ? -1 : 1;
	return strcmp(x->port, y->port);
}

static bool usb_from_udev(const struct udev_fns *U, struct udev_device *d, struct usb_dev_info *u)
{
	const char *devpath = U->udev_device_get_sysattr_value(d, "devpath");

	*u = (struct usb_dev_info){ 0 };
	/* Root hubs have devpath 0: they are not devices one can pass. */
	return devpath && !streq(devpath, "0") &&
	       usb_fill(u, U->udev_device_get_sysattr_value(d, "idVendor"),
			U->udev_device_get_sysattr_value(d, "idProduct"),
			U->udev_device_get_sysattr_value(d, "busnum"),
			U->udev_device_get_sysattr_value(d, "devnum"), devpath,
			U->udev_device_get_sysattr_value(d, "manufacturer"),
			U->udev_device_get_sysattr_value(d, "product"));
}

static bool usb_read_tree(const char *dir, struct usb_dev_info *u)
{
	char v[16], p[16], b[16], n[16], path[32], man[64], prod[64];

	*u = (struct usb_dev_info){ 0 };
	read_attr(dir, "idVendor", v, sizeof(v));
	read_attr(dir, "idProduct", p, sizeof(p));
	read_attr(dir, "busnum", b, sizeof(b));
	read_attr(dir, "devnum", n, sizeof(n));
	read_attr(dir, "devpath", path, sizeof(path));
	read_attr(dir, "manufacturer", man, sizeof(man));
	read_attr(dir, "product", prod, sizeof(prod));
	if (!*path || streq(path, "0"))
		return false;
	return usb_fill(u, v, p, b, n, path, *man ? man : NULL, *prod ? prod : NULL);
}

/* libudev reads the very same sysfs attributes; it just cannot be pointed at another root. With
 * @id, only the devices with these IDs (libudev matches the two ID attributes). */
static int usb_scan_udev(struct usb_host *h, const struct pci_id *id)
{
	const struct udev_fns *U = udev_fns();
	struct udev *udev;
	struct udev_enumerate *e;
	struct udev_list_entry *le;
	size_t cap = 0;

	if (!U)
		return -ENOSYS;
	udev = U->udev_new();
	if (!udev)
		return -ENOMEM;
	e = U->udev_enumerate_new(udev);
	if (!e) {
		U->udev_unref(udev);
		return -ENOMEM;
	}
	U->udev_enumerate_add_match_subsystem(e, "usb");
	U->udev_enumerate_add_match_property(e, "DEVTYPE", "usb_device");
	if (id) {
		char v[8], p[8];

		snprintf(v, sizeof(v), "%04x", id->vendor);
		snprintf(p, sizeof(p), "%04x", id->device);
		U->udev_enumerate_add_match_sysattr(e, "idVendor", v);
		U->udev_enumerate_add_match_sysattr(e, "idProduct", p);
	}
	U->udev_enumerate_scan_devices(e);
	for (le = U->udev_enumerate_get_list_entry(e); le; le = U->udev_list_entry_get_next(le)) {
		struct udev_device *d = U->udev_device_new_from_syspath(udev,
									U->udev_list_entry_get_name(le));
		struct usb_dev_info u;

		if (!d)
			continue;
		if (usb_from_udev(U, d, &u) && (!id || (u.vendor == id->vendor && u.product == id->device)))
			usb_add(h, &cap, &u);
		U->udev_device_unref(d);
	}
	U->udev_enumerate_unref(e);
	U->udev_unref(udev);
	return 0;
}

static int usb_scan_tree(const char *root, struct usb_host *h)
{
	_cleanup_free_ char *base = host_path(root, "/sys/bus/usb/devices");
	_cleanup_closedir_ DIR *d = opendir(base);
	struct dirent *de;
	size_t cap = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		_cleanup_free_ char *dir = NULL;
		struct usb_dev_info u;

		if (de->d_name[0] == '.' || strchr(de->d_name, ':'))
			continue;
		dir = xasprintf("%s/%s", base, de->d_name);
		if (usb_read_tree(dir, &u))
			usb_add(h, &cap, &u);
	}
	return 0;
}

int usb_host_scan(const char *root, struct usb_host *ret)
{
	struct usb_host h = { 0 };
	int r;

	if (!root || streq(root, "/"))
		r = usb_scan_udev(&h, NULL);
	else
		r = usb_scan_tree(root, &h);
	if (r < 0) {
		usb_host_free(&h);
		return r;
	}
	if (h.n)
		qsort(h.dev, h.n, sizeof(*h.dev), usb_cmp);
	*ret = h;
	return 0;
}

static bool usb_matches(const struct usb_dev_info *u, const struct usb_entry *e)
{
	return e->by_port ? u->bus == e->bus && streq(u->port, e->port)
			  : u->vendor == e->id.vendor && u->product == e->id.device;
}

/* By port, the device is asked for by name; by ID, the first of the devices with these IDs. */
static int usb_find_udev(const struct usb_entry *e, struct usb_dev_info *ret)
{
	const struct udev_fns *U = udev_fns();
	struct usb_host h = { 0 };
	struct udev *udev;
	struct udev_device *d;
	char sysname[48];
	bool found = false;
	int r;

	if (!U)
		return -ENOSYS;
	if (!e->by_port) {
		r = usb_scan_udev(&h, &e->id);
		if (r >= 0 && h.n) {
			qsort(h.dev, h.n, sizeof(*h.dev), usb_cmp);
			*ret = h.dev[0];
		}
		r = r < 0 ? r : h.n ? 0 : -ENOENT;
		usb_host_free(&h);
		return r;
	}
	udev = U->udev_new();
	if (!udev)
		return -ENOMEM;
	snprintf(sysname, sizeof(sysname), "%u-%s", e->bus, e->port);
	d = U->udev_device_new_from_subsystem_sysname(udev, "usb", sysname);
	if (d) {
		found = usb_from_udev(U, d, ret) && usb_matches(ret, e);
		U->udev_device_unref(d);
	}
	U->udev_unref(udev);
	return found ? 0 : -ENOENT;
}

/* The same in a tree: a port is a directory by name; by ID, only the two ID files are read. */
static int usb_find_tree(const char *root, const struct usb_entry *e, struct usb_dev_info *ret)
{
	_cleanup_free_ char *base = host_path(root, "/sys/bus/usb/devices");
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	bool found = false;

	if (e->by_port) {
		_cleanup_free_ char *dir = xasprintf("%s/%u-%s", base, e->bus, e->port);
		return usb_read_tree(dir, ret) && usb_matches(ret, e) ? 0 : -ENOENT;
	}
	d = opendir(base);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		_cleanup_free_ char *dir = NULL;
		struct usb_dev_info u;
		char v[16], p[16];
		unsigned vi, pi;

		if (de->d_name[0] == '.' || strchr(de->d_name, ':'))
			continue;
		dir = xasprintf("%s/%s", base, de->d_name);
		read_attr(dir, "idVendor", v, sizeof(v));
		if (parse_uint(v, 16, 0xffff, &vi) < 0 || vi != e->id.vendor)
			continue;
		read_attr(dir, "idProduct", p, sizeof(p));
		if (parse_uint(p, 16, 0xffff, &pi) < 0 || pi != e->id.device)
			continue;
		if (usb_read_tree(dir, &u) && usb_matches(&u, e) && (!found || usb_cmp(&u, ret) < 0)) {
			*ret = u;
			found = true;
		}
	}
	return found ? 0 : -ENOENT;
}

void usb_host_add(struct usb_host *h, const struct usb_dev_info *u)
{
	size_t at = 0;

	while (at < h->n && usb_cmp(&h->dev[at], u) < 0)
		at++;
	if (at < h->n && usb_cmp(&h->dev[at], u) == 0)
		return;
	h->dev = xrealloc(h->dev, (h->n + 1) * sizeof(*h->dev));
	memmove(&h->dev[at + 1], &h->dev[at], (h->n - at) * sizeof(*h->dev));
	h->dev[at] = *u;
	h->n++;
}

int usb_host_find(const char *root, const struct usb_entry *e, struct usb_dev_info *ret)
{
	if (!root || streq(root, "/"))
		return usb_find_udev(e, ret);
	return usb_find_tree(root, e, ret);
}

void usb_host_free(struct usb_host *h)
{
	free(h->dev);
	*h = (struct usb_host){ 0 };
}

/* "Max locked memory  65536  65536  bytes": the soft limit of the process that reads it. */
static int read_memlock(const char *root, uint64_t *ret)
{
	_cleanup_free_ char *path = host_path(root, "/proc/self/limits");
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[256];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char soft[32];

		if (!startswith(line, "Max locked memory"))
			continue;
		if (sscanf(line + strlen("Max locked memory"), "%31s", soft) != 1)
			return -EINVAL;
		if (streq(soft, "unlimited")) {
			*ret = UINT64_MAX;
			return 0;
		}
		return parse_u64(soft, 10, ret);
	}
	return -ENOENT;
}

/* By the mode bits and our groups, not access(): the launcher never runs as root, and the tests
 * that build fake trees do, where access() says yes to everything. */
static bool group_writable(const char *path)
{
	gid_t groups[256];
	struct stat st;
	int n;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	if (st.st_mode & S_IWOTH)
		return true;
	if (!(st.st_mode & S_IWGRP))
		return false;
	if (st.st_gid == getegid())
		return true;
	n = getgroups(ARRAY_SIZE(groups), groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == st.st_gid)
			return true;
	return false;
}

static void read_hugepages(const char *root, struct host_facts *f)
{
	_cleanup_free_ char *base = host_path(root, "/sys/kernel/mm/hugepages");
	_cleanup_closedir_ DIR *d = opendir(base);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) && f->n_huge < ARRAY_SIZE(f->huge)) {
		struct hugepage_pool *pool = &f->huge[f->n_huge];
		_cleanup_free_ char *nr = NULL, *fr = NULL;
		uint64_t kb;
		char num[32];
		size_t len;

		if (!startswith(de->d_name, "hugepages-"))
			continue;
		len = strspn(de->d_name + 10, "0123456789");
		if (len == 0 || len >= sizeof(num) || !streq(de->d_name + 10 + len, "kB"))
			continue;
		memcpy(num, de->d_name + 10, len);
		num[len] = '\0';
		if (parse_u64(num, 10, &kb) < 0)
			continue;
		nr = xasprintf("%s/%s/nr_hugepages", base, de->d_name);
		fr = xasprintf("%s/%s/free_hugepages", base, de->d_name);
		pool->size = kb * 1024;
		if (read_u64_file(nr, 10, &pool->total) < 0 || read_u64_file(fr, 10, &pool->free) < 0)
			continue;
		pool->growable = group_writable(nr);
		f->n_huge++;
	}
}

static unsigned read_cpus(const char *root)
{
	_cleanup_free_ char *path = host_path(root, "/sys/devices/system/cpu/online");
	_cleanup_free_ char *s = NULL;
	struct cpuset set;

	if (read_small_file(path, &s) < 0 || parse_cpulist(s, &set) < 0)
		return 0;
	return set.cpu[set.n - 1] + 1u;
}

static uint64_t read_memtotal(const char *root)
{
	_cleanup_free_ char *path = host_path(root, "/proc/meminfo");
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[128];
	unsigned long long kb;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			return (uint64_t)kb * 1024;
	return 0;
}

void host_stat(const char *root, const char *path, bool rw, mode_t want_type, struct host_file *ret)
{
	_cleanup_free_ char *full = host_path(root, path);
	struct stat st;

	*ret = (struct host_file){ .path = xstrdup(path) };
	if (stat(full, &st) < 0) {
		ret->state = ACC_MISSING;
		ret->err = errno;
		return;
	}
	ret->size = (uint64_t)st.st_size;
	ret->mode = st.st_mode;
	ret->uid = st.st_uid;
	ret->gid = st.st_gid;
	if (want_type && (st.st_mode & S_IFMT) != want_type) {
		ret->state = ACC_WRONG_TYPE;
		return;
	}
	/* access(), not faccessat(): umockdev wraps the former only, and the launcher is never setuid. */
	if (access(full, rw ? R_OK | W_OK : R_OK) < 0) {
		ret->state = ACC_DENIED;
		ret->err = errno;
		return;
	}
	ret->state = ACC_OK;
}

void host_file_free(struct host_file *f)
{
	free(f->path);
	*f = (struct host_file){ 0 };
}

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool json_array_has(struct json_object *o, const char *key, const char *want)
{
	struct json_object *a;

	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		if (json_object_is_type(e, json_type_string) && streq(json_object_get_string(e), want))
			return true;
	}
	return false;
}

static bool targets_q35_x86_64(struct json_object *o)
{
	struct json_object *a;

	if (!json_object_object_get_ex(o, "targets", &a) || !json_object_is_type(a, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *t = json_object_array_get_idx(a, i), *m;
		const char *arch = json_str(t, "architecture");

		if (!arch || !streq(arch, "x86_64") || !json_object_object_get_ex(t, "machines", &m) ||
		    !json_object_is_type(m, json_type_array))
			continue;
		for (size_t j = 0; j < json_object_array_length(m); j++) {
			const char *g = json_object_get_string(json_object_array_get_idx(m, j));
			if (g && (startswith(g, "pc-q35") || streq(g, "q35")))
				return true;
		}
	}
	return false;
}

static int name_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');
	return strcmp(bx ? bx + 1 : x, by ? by + 1 : y);
}

/* The descriptor search of QEMU's docs/interop/firmware.json: files named alike in a later
 * directory of the list hide earlier ones; the survivors are taken in file-name order. */
static void list_descriptors(const char *root, struct strv *ret)
{
	const char *cfg = secure_getenv("XDG_CONFIG_HOME");
	const char *home = secure_getenv("HOME");
	_cleanup_free_ char *user = NULL;
	struct strv dirs = { 0 };

	if (!strempty(cfg))
		user = xasprintf("%s/qemu/firmware", cfg);
	else if (!strempty(home))
		user = xasprintf("%s/.config/qemu/firmware", home);
	if (user)
		strv_push(&dirs, user);
	strv_push_take(&dirs, host_path(root, "/etc/qemu/firmware"));
	strv_push_take(&dirs, host_path(root, "/usr/share/qemu/firmware"));
	for (size_t i = 0; i < dirs.n; i++) {
		_cleanup_closedir_ DIR *d = opendir(dirs.v[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);
			bool hidden = false;

			if (len < 6 || !streq(de->d_name + len - 5, ".json"))
				continue;
			for (size_t j = 0; j < ret->n; j++) {
				const char *b = strrchr(ret->v[j], '/');
				hidden |= streq(b + 1, de->d_name);
			}
			if (!hidden)
				strv_pushf(ret, "%s/%s", dirs.v[i], de->d_name);
		}
	}
	strv_clear(&dirs);
	if (ret->n)
		qsort(ret->v, ret->n, sizeof(char *), name_cmp);
}

const char *flash_format_name(enum flash_format f)
{
	return f == FLASH_QCOW2 ? "qcow2" : "raw";
}

/* A flash file's "format": raw when absent; false for one QEMU's pflash cannot take. */
static bool flash_format(struct json_object *file, enum flash_format *ret)
{
	const char *f = json_str(file, "format");

	if (!f || streq(f, "raw"))
		*ret = FLASH_RAW;
	else if (streq(f, "qcow2"))
		*ret = FLASH_QCOW2;
	else
		return false;
	return true;
}

int firmware_find(const char *root, bool secure_boot, struct firmware_pair *ret, char **ret_error)
{
	struct strv files = { 0 };
	struct firmware_pair best = { 0 };
	bool have = false;

	list_descriptors(root, &files);
	for (size_t i = 0; i < files.n && !(have && (secure_boot || !best.requires_smm)); i++) {
		struct json_object *o = json_object_from_file(files.v[i]), *map;
		const char *dev, *code = NULL, *vars = NULL;
		enum flash_format code_fmt = FLASH_RAW, vars_fmt = FLASH_RAW;
		bool sb;

		if (!o)
			continue;
		sb = json_array_has(o, "features", "secure-boot") &&
		     json_array_has(o, "features", "enrolled-keys");
		if ((sb || !secure_boot) && json_array_has(o, "interface-types", "uefi") &&
		    targets_q35_x86_64(o) && json_object_object_get_ex(o, "mapping", &map) &&
		    (dev = json_str(map, "device")) && streq(dev, "flash")) {
			struct json_object *ex, *nv;
			if (json_object_object_get_ex(map, "executable", &ex) && flash_format(ex, &code_fmt))
				code = json_str(ex, "filename");
			if (json_object_object_get_ex(map, "nvram-template", &nv) &&
			    flash_format(nv, &vars_fmt))
				vars = json_str(nv, "filename");
		}
		if (code && vars && code[0] == '/' && vars[0] == '/') {
			bool smm = json_array_has(o, "features", "requires-smm");
			_cleanup_free_ char *c = host_path(root, code), *v = host_path(root, vars);

			if (access(c, R_OK) == 0 && access(v, R_OK) == 0 &&
			    (!have || (best.requires_smm && !smm))) {
				free(best.code);
				free(best.vars);
				best = (struct firmware_pair){ xstrdup(code), xstrdup(vars), code_fmt,
							       vars_fmt,      smm,	     sb };
				have = true;
			}
		}
		json_object_put(o);
	}
	if (!have) {
		if (secure_boot)
			*ret_error = xasprintf(
				"none of the %zu firmware descriptors in %s describes an x86_64 q35 UEFI image "
				"with Secure Boot and enrolled keys (features secure-boot and enrolled-keys) "
				"whose files are readable",
				files.n, "/usr/share/qemu/firmware");
		else
			*ret_error =
				files.n ? xasprintf("none of the %zu firmware descriptors in %s describes a "
						    "readable x86_64 q35 UEFI flash image",
						    files.n, "/usr/share/qemu/firmware")
					: xstrdup("no QEMU firmware descriptors in /usr/share/qemu/firmware");
		strv_clear(&files);
		return -ENOENT;
	}
	strv_clear(&files);
	*ret = best;
	return 0;
}

void host_memory_read(const char *root, struct host_facts *ret)
{
	*ret = (struct host_facts){ .root = root ? root : "/" };
	ret->mem_total = read_memtotal(ret->root);
	read_hugepages(ret->root, ret);
}

int host_facts_read(const char *root, struct host_facts *ret)
{
	struct host_facts f;

	host_memory_read(root, &f);
	if (read_memlock(f.root, &f.memlock) < 0)
		f.memlock = 0;
	f.n_cpus = read_cpus(f.root);
	host_stat(f.root, "/dev/kvm", true, S_IFCHR, &f.kvm);
	host_stat(f.root, "/dev/vfio/vfio", true, S_IFCHR, &f.vfio);
	f.uid = getuid();
	*ret = f;
	return 0;
}

void host_facts_free(struct host_facts *f)
{
	pci_host_free(&f->pci);
	usb_host_free(&f->usb);
	host_file_free(&f->kvm);
	host_file_free(&f->vfio);
	free(f->firmware.code);
	free(f->firmware.vars);
	free(f->firmware_error);
	*f = (struct host_facts){ 0 };
}

char *host_who_holds(const char *root, const char *path)
{
	_cleanup_free_ char *procdir = host_path(root, "/proc");
	_cleanup_closedir_ DIR *d = opendir(procdir);
	struct dirent *de;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		_cleanup_free_ char *fddir = NULL;
		_cleanup_closedir_ DIR *fds = NULL;
		struct dirent *fe;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		fddir = xasprintf("%s/%s/fd", procdir, de->d_name);
		fds = opendir(fddir);
		if (!fds)
			continue;
		while ((fe = readdir(fds))) {
			_cleanup_free_ char *lp = xasprintf("%s/%s", fddir, fe->d_name);
			char target[PATH_MAX];
			ssize_t n = readlink(lp, target, sizeof(target) - 1);

			if (n <= 0)
				continue;
			target[n] = '\0';
			if (streq(target, path)) {
				_cleanup_free_ char *commf = xasprintf("%s/%s/comm", procdir, de->d_name);
				_cleanup_free_ char *comm = NULL;

				if (read_small_file(commf, &comm) < 0)
					comm = xstrdup("?");
				return xasprintf("%s (%s)", de->d_name, comm);
			}
		}
	}
	return NULL;
}
