// SPDX-License-Identifier: GPL-2.0-or-later
/* qemu-vm new NAME: reads the host, writes the profile (never over another), makes the disk image,
 * then says what check says and how to set the host up. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "commands.h"
#include "fsutil.h"
#include "new.h"
#include "plan-build.h"
#include "profile-internal.h"

extern char **environ;

/* ---- the host ---- */

/* The cores from each online CPU's thread_siblings_list, ordered by their first CPU. */
static void read_cores(const char *root, struct new_facts *f)
{
	_cleanup_free_ char *path = host_path(root, "/sys/devices/system/cpu/online"), *s = NULL;
	struct cpuset *online = xcalloc(1, sizeof(*online));

	if (read_small_file(path, &s) < 0 || parse_cpulist(s, online) < 0) {
		free(online);
		return;
	}
	f->cores = xcalloc(online->n, sizeof(*f->cores));
	for (unsigned i = 0; i < online->n; i++) {
		unsigned cpu = online->cpu[i];
		_cleanup_free_ char *rel = xasprintf(
			"/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", cpu);
		_cleanup_free_ char *sp = host_path(root, rel), *sib = NULL;
		struct cpuset *set = xcalloc(1, sizeof(*set));
		struct new_core core = { .cpu = { (uint16_t)cpu }, .n = 1 };
		bool seen = false;

		if (read_small_file(sp, &sib) == 0 && parse_cpulist(sib, set) == 0 && set->n <= 8) {
			core.n = 0;
			for (unsigned k = 0; k < set->n; k++) /* written in order; sort for the first */
				core.cpu[core.n++] = set->cpu[k];
			for (unsigned a = 1; a < core.n; a++)
				for (unsigned b = a; b > 0 && core.cpu[b - 1] > core.cpu[b]; b--) {
					uint16_t t = core.cpu[b];
					core.cpu[b] = core.cpu[b - 1];
					core.cpu[b - 1] = t;
				}
		}
		free(set);
		for (unsigned c = 0; c < f->n_cores; c++)
			seen |= f->cores[c].cpu[0] == core.cpu[0];
		if (!seen && f->n_cores < NEW_MAX_CORES)
			f->cores[f->n_cores++] = core;
	}
	free(online);
}

/* Connectors of the DRM cards in ROOT/sys/class/drm: "cardN-NAME" entries, each with status and
 * modes; "cardN" entries link to their PCI device (device). */
static void read_drm(const char *root, struct new_facts *f)
{
	_cleanup_free_ char *dir = host_path(root, "/sys/class/drm");
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *e = names[i]->d_name;
		unsigned card;
		int end = 0;

		if (sscanf(e, "card%u%n", &card, &end) == 1 && e[end] == '\0') {
			_cleanup_free_ char *link = xasprintf("%s/%s/device", dir, e);
			_cleanup_free_ char *target = realpath(link, NULL);
			const char *base = target ? strrchr(target, '/') : NULL;
			struct pci_addr a;
			int conns = 0;

			if (base && parse_pci_addr(base + 1, &a) == 0) {
				_cleanup_free_ char *prefix = xasprintf("%s-", e);
				for (int k = 0; k < n; k++)
					conns += startswith(names[k]->d_name, prefix);
				for (size_t d = 0; d < f->pci.n; d++)
					if (pci_addr_eq(&f->pci.dev[d].addr, &a))
						f->drm_connectors[d] = conns;
			}
		} else if (sscanf(e, "card%u-%n", &card, &end) == 1 && end > 0) {
			_cleanup_free_ char *sp = xasprintf("%s/%s/status", dir, e),
					    *mp = xasprintf("%s/%s/modes", dir, e);
			_cleanup_free_ char *status = NULL, *modes = NULL;
			const char *conn = e + end;
			unsigned w, h;

			if (!f->internal_panel[0] && (startswith(conn, "eDP-") || startswith(conn, "LVDS-") ||
						      startswith(conn, "DSI-")))
				snprintf(f->internal_panel, sizeof(f->internal_panel), "%.31s", e);
			if (read_small_file(sp, &status) < 0 || !streq(status, "connected"))
				goto next;
			if (read_small_file(mp, &modes) == 0 && new_largest_mode(modes, &w, &h) &&
			    (uint64_t)w * h > (uint64_t)f->width * f->height) {
				f->width = w;
				f->height = h;
				snprintf(f->monitor, sizeof(f->monitor), "%.31s", conn);
			}
		}
	next:;
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The HID interfaces' protocol (1 keyboard, 2 mouse) and the Xbox-style vendor class tell what a
 * USB device is; the others are left out. */
static const char *usb_kind(const char *root, const struct usb_dev_info *u)
{
	bool kbd = false, mouse = false, pad = false, hid = false;

	for (unsigned k = 0; k < 8; k++) {
		_cleanup_free_ char *rel = xasprintf("/sys/bus/usb/devices/%u-%s:1.%u", u->bus, u->port, k);
		_cleanup_free_ char *dir = host_path(root, rel);
		_cleanup_free_ char *cp = xasprintf("%s/bInterfaceClass", dir),
				    *pp = xasprintf("%s/bInterfaceProtocol", dir);
		_cleanup_free_ char *sp = xasprintf("%s/bInterfaceSubClass", dir);
		uint64_t cls, proto = 0, sub = 0;

		if (read_u64_file(cp, 16, &cls) < 0)
			break;
		(void)read_u64_file(pp, 16, &proto);
		(void)read_u64_file(sp, 16, &sub);
		kbd |= cls == 0x03 && proto == 1;
		mouse |= cls == 0x03 && proto == 2;
		hid |= cls == 0x03;
		pad |= cls == 0xff && sub == 0x5d; /* the Xbox controllers' own protocol */
	}
	return kbd && mouse ? "keyboard and mouse"
	       : kbd	    ? "keyboard"
	       : mouse	    ? "mouse"
	       : pad	    ? "game controller"
	       : hid	    ? "game controller or other HID device"
			    : NULL;
}

static void read_usb(const char *root, struct new_facts *f)
{
	struct usb_host usb;

	if (usb_host_scan(root, &usb) < 0)
		return;
	f->usb = xcalloc(usb.n ? usb.n : 1, sizeof(*f->usb));
	for (size_t i = 0; i < usb.n; i++) {
		const char *kind = usb_kind(root, &usb.dev[i]);
		struct new_usb *u = &f->usb[f->n_usb];

		if (!kind)
			continue;
		snprintf(u->port, sizeof(u->port), "%u-%s", usb.dev[i].bus, usb.dev[i].port);
		u->vendor = usb.dev[i].vendor;
		u->product = usb.dev[i].product;
		snprintf(u->name, sizeof(u->name), "%s", usb.dev[i].name);
		u->kind = kind;
		f->n_usb++;
	}
	usb_host_free(&usb);
}

int new_facts_read(const char *root, struct new_facts *ret)
{
	struct new_facts f = { 0 };
	struct host_facts hf;
	_cleanup_free_ char *kvmfr = host_path(root, "/dev/kvmfr0");
	int r = pci_host_scan(root, &f.pci);

	if (r == -ENOENT)
		f.pci = (struct pci_host){ 0 };
	else if (r < 0)
		return r;
	f.boot_vga = xcalloc(f.pci.n ? f.pci.n : 1, sizeof(*f.boot_vga));
	f.drm_connectors = xcalloc(f.pci.n ? f.pci.n : 1, sizeof(*f.drm_connectors));
	for (size_t i = 0; i < f.pci.n; i++) {
		char a[16];
		uint64_t v;

		pci_addr_fmt(&f.pci.dev[i].addr, a, sizeof(a));
		_cleanup_free_ char *rel = xasprintf("/sys/bus/pci/devices/%s/boot_vga", a);
		_cleanup_free_ char *p = host_path(root, rel);
		f.boot_vga[i] = read_u64_file(p, 10, &v) < 0 ? -1 : v == 1;
		f.drm_connectors[i] = -1;
	}
	read_drm(root, &f);
	host_memory_read(root, &hf);
	f.mem_total = hf.mem_total;
	f.n_huge = hf.n_huge;
	memcpy(f.huge, hf.huge, sizeof(f.huge));
	host_facts_free(&hf);
	read_cores(root, &f);
	read_usb(root, &f);
	f.kvmfr = access(kvmfr, F_OK) == 0;
	*ret = f;
	return 0;
}

void new_facts_free(struct new_facts *f)
{
	pci_host_free(&f->pci);
	free(f->boot_vga);
	free(f->drm_connectors);
	free(f->cores);
	free(f->usb);
}

/* ---- the files ---- */

/* PATH made absolute against the working directory: the profile reads paths from its own
 * directory, not from where new ran. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(path);
	return xasprintf("%s/%s", cwd, path);
}

/* qemu-img create into a file made here with O_EXCL: an existing image is never overwritten. */
static int create_image(const char *path, uint64_t size)
{
	_cleanup_free_ char *sz = xasprintf("%" PRIu64, size);
	char *argv[] = { (char *)"qemu-img", (char *)"create", (char *)"-q", (char *)"-f",
			 (char *)"qcow2",    (char *)path,     sz,	     NULL };
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644), status;
	pid_t pid;

	if (fd < 0) {
		int e = errno;
		fprintf(stderr, "qemu-vm new: %s: %s%s\n", path, strerror(e),
			e == EEXIST
				? " (new never overwrites a disk: name another, or leave out :SIZE to use it)"
				: "");
		return -e;
	}
	close(fd);
	fflush(stdout);
	if (posix_spawnp(&pid, "qemu-img", NULL, NULL, argv, environ) != 0) {
		fprintf(stderr, "qemu-vm new: qemu-img: %s (hint: sudo apt-get install qemu-utils)\n",
			strerror(errno));
		unlink(path);
		return -ENOENT;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "qemu-vm new: qemu-img create -f qcow2 %s %s failed\n", path, sz);
		unlink(path);
		return -EIO;
	}
	return 0;
}

/* ---- the command ---- */

/* What check says of the new profile, then the one command that sets the host up for it. */
static int new_report(const struct global *g, const char *path)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;
	size_t fails = 0;

	if (prepare(g, path, "new runs nothing (qemu-vm check asks QEMU)", false, &p, &f, &pl) < 0)
		return 1;
	print_checks(&pl, stdout, true);
	for (size_t i = 0; i < pl.n_checks; i++)
		fails += pl.checks[i].level == CHECK_FAIL;
	if (fails) {
		f.profile_arg = path;
		_cleanup_free_ char *fix = plan_install_profile_fix(&f, ", then reboot");
		printf("\n%s: %zu problem%s; most go away once the host is set up for it:\n  %s\n", p.name,
		       fails, fails == 1 ? "" : "s", fix);
		f.profile_arg = NULL;
	} else
		printf("\n%s: ready (qemu-vm run %s)\n", p.name, p.name);
	release(&p, &f, &pl);
	return 0;
}

/* "qemu-vm new: WHAT 'ARG': EXPECTED" (no ARG: "WHAT") and the usage line: exit status 2. */
static int usage_error(const char *what, const char *arg, const char *expected)
{
	_cleanup_free_ char *shown = arg ? escape_control(arg) : NULL;

	if (shown)
		fprintf(stderr, "qemu-vm new: %s '%s': %s\n", what, shown, expected);
	else
		fprintf(stderr, "qemu-vm new: %s\n", what);
	fprintf(stderr,
		"usage: qemu-vm new [--gpu BDF]... [--disk PATH[:SIZE]] [--iso FILE] [--virtio-iso FILE] "
		"[--windows 11] NAME\n");
	return 2;
}

int cmd_new(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "gpu", required_argument, NULL, 'g' },     { "disk", required_argument, NULL, 'd' },
		{ "iso", required_argument, NULL, 'i' },     { "virtio-iso", required_argument, NULL, 'v' },
		{ "windows", required_argument, NULL, 'w' }, { NULL, 0, NULL, 0 },
	};
	struct new_options o = { 0 };
	_cleanup_free_ char *disk = NULL, *iso = NULL, *viso = NULL, *cfg = NULL, *dir = NULL, *path = NULL;
	_cleanup_free_ char *text = NULL, *error = NULL;
	struct new_facts f;
	struct stat st;
	int c, r;

	/* Options may follow NAME, as in the examples people copy; 0 makes getopt start afresh
	 * (main's parse stopped at the first word). */
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			if (o.n_gpu == NEW_MAX_GPUS)
				return usage_error("at most 8 --gpu", NULL, NULL);
			if (parse_pci_slot_or_addr(optarg, &o.gpu[o.n_gpu]) < 0)
				return usage_error("--gpu", optarg,
						   "expected a PCI address like 01:00 or 0000:01:00.0");
			o.n_gpu++;
			break;
		case 'd': {
			_cleanup_free_ char *p = NULL;
			if (new_parse_disk(optarg, &p, &o.disk_size) < 0)
				return usage_error("--disk", optarg,
						   "expected PATH or PATH:SIZE with a size like 64G");
			free(disk);
			disk = absolute(p);
			break;
		}
		case 'i':
			free(iso);
			iso = absolute(optarg);
			break;
		case 'v':
			free(viso);
			viso = absolute(optarg);
			break;
		case 'w':
			if (!streq(optarg, "11"))
				return usage_error(
					"--windows", optarg,
					"expected 11 (Windows 10 needs nothing beyond the defaults)");
			o.windows11 = true;
			break;
		default:
			return usage_error("unknown option (qemu-vm new --help lists them)", NULL, NULL);
		}
	}
	if (optind != argc - 1)
		return usage_error("expected one NAME", NULL, NULL);
	o.name = argv[optind];
	if (!valid_device_name(o.name))
		return usage_error("NAME", o.name, "a profile name has 1 to 32 letters, digits, - and _");
	/* The profile loader takes one, but no command could be given it: it reads as an option. */
	if (o.name[0] == '-')
		return usage_error("NAME", o.name, "a profile name may not start with '-'");
	o.disk = disk;
	o.iso = iso;
	o.virtio_iso = viso;

	cfg = xdg_dir("XDG_CONFIG_HOME", ".config");
	if (!cfg) {
		fprintf(stderr, "qemu-vm new: neither XDG_CONFIG_HOME nor HOME is an absolute path\n");
		return 1;
	}
	dir = xasprintf("%s/qemu-vm", cfg);
	path = xasprintf("%s/%s.ini", dir, o.name);
	if (lstat(path, &st) == 0) {
		fprintf(stderr,
			"qemu-vm new: %s exists; new never overwrites a profile (pick another name, or rm %s "
			"first)\n",
			path, path);
		return 1;
	}
	if (disk && o.disk_size && lstat(disk, &st) == 0) {
		fprintf(stderr,
			"qemu-vm new: %s exists; new never overwrites a disk (name another, or give --disk %s "
			"without :SIZE to use it)\n",
			disk, disk);
		return 1;
	}

	r = new_facts_read(g->root, &f);
	if (r < 0) {
		fprintf(stderr, "qemu-vm new: reading the host under '%s': %s\n", g->root, strerror(-r));
		return 1;
	}
	r = new_profile_text(&f, &o, &text, &error);
	new_facts_free(&f);
	if (r < 0) {
		fprintf(stderr, "qemu-vm new: %s\n", error ? error : strerror(-r));
		return 1;
	}

	if (mkdir_parents(dir, 0755) < 0) {
		fprintf(stderr, "qemu-vm new: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (disk && o.disk_size && create_image(disk, o.disk_size) < 0)
		return 1;
	r = write_file_new(path, text, strlen(text), 0644);
	if (r < 0) {
		fprintf(stderr, "qemu-vm new: %s: %s%s\n", path, strerror(-r),
			r == -EEXIST ? " (it appeared meanwhile; new never overwrites a profile)" : "");
		if (disk && o.disk_size)
			unlink(disk);
		return 1;
	}
	printf("wrote %s%s%s\n\n", path, disk && o.disk_size ? " and " : "", disk && o.disk_size ? disk : "");
	fflush(stdout);
	return new_report(g, path);
}
