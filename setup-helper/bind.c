// SPDX-License-Identifier: GPL-2.0-or-later
/* bind and unbind: a device's IOMMU group moved to vfio-pci while the host does not use it, and
 * back to the drivers it had, as recorded in a state file under /run. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include "edit.h"
#include "fsutil.h"
#include "profile.h"
#include "setup.h"

#define HANDOVER_RUN_DIR "/run/vfio-setup/handover"
#define MAX_FUNCS 32

struct func {
	char bdf[16]; /* "0000:01:00.0" */
	char driver[64]; /* "" for none */
	char override[64]; /* driver_override before, "" for none */
};

/* The basename of the link at ROOT@path into @buf ("" when there is no link). */
static int link_base(const struct setup_opts *o, const char *path, char *buf, size_t len)
{
	_cleanup_free_ char *p = under_root(o, path);
	int r;

	buf[0] = '\0';
	r = read_link_name_at(AT_FDCWD, p, buf, len);
	return r == -ENOENT ? 0 : r;
}

static char *dev_path(const char *bdf, const char *attr)
{
	return xasprintf("/sys/bus/pci/devices/%s%s%s", bdf, *attr ? "/" : "", attr);
}

static bool is_bridge(const struct setup_opts *o, const char *bdf)
{
	_cleanup_free_ char *rel = dev_path(bdf, "class"), *p = under_root(o, rel), *cls = NULL;

	return read_small_file(p, &cls) >= 0 && startswith(cls, "0x0604");
}

static bool valid_bdf_name(const char *s)
{
	struct pci_addr a;
	char canon[16];

	if (parse_pci_addr(s, &a) < 0)
		return false;
	pci_addr_fmt(&a, canon, sizeof(canon));
	return streq(canon, s);
}

/* The functions of @bdf's IOMMU group (bridges left out: they stay with the host), @bdf first. */
static int group_functions(const struct setup_opts *o, const char *bdf, struct func *ret, size_t *ret_n,
			   char *ret_group, size_t glen)
{
	_cleanup_free_ char *rel = dev_path(bdf, "iommu_group"), *gdir = NULL, *gpath = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	size_t n = 0;
	int r;

	r = link_base(o, rel, ret_group, glen);
	if (r < 0)
		return r;
	if (!*ret_group)
		return -ENOENT;
	gdir = xasprintf("/sys/kernel/iommu_groups/%s/devices", ret_group);
	gpath = under_root(o, gdir);
	d = opendir(gpath);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct func *f;

		if (de->d_name[0] == '.' || !valid_bdf_name(de->d_name) || is_bridge(o, de->d_name))
			continue;
		if (n == MAX_FUNCS)
			return -E2BIG;
		f = &ret[n++];
		*f = (struct func){ 0 };
		memcpy(f->bdf, de->d_name, strlen(de->d_name) + 1); /* 12 characters: a valid name */
	}
	/* The device asked for first, the others in address order. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			bool swap = streq(ret[j].bdf, bdf) ||
				    (!streq(ret[i].bdf, bdf) && strcmp(ret[j].bdf, ret[i].bdf) < 0);
			if (swap) {
				struct func t = ret[i];
				ret[i] = ret[j];
				ret[j] = t;
			}
		}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *drv = dev_path(ret[i].bdf, "driver"),
				    *ov = dev_path(ret[i].bdf, "driver_override"), *ovp = under_root(o, ov),
				    *val = NULL;

		r = link_base(o, drv, ret[i].driver, sizeof(ret[i].driver));
		if (r < 0)
			return r;
		if (read_small_file(ovp, &val) >= 0 && !streq(val, "(null)"))
			snprintf(ret[i].override, sizeof(ret[i].override), "%s", val);
	}
	*ret_n = n;
	return 0;
}

/* One sysfs write. Under --root the file is a plain one in a test tree: the write is appended,
 * so that every write can be read back in order; nothing acts on it. */
static int sysfs_write(const struct setup_opts *o, const char *rel, const char *value)
{
	_cleanup_free_ char *p = under_root(o, rel), *line = xasprintf("%s\n", value);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (o->root_given ? O_APPEND : 0));
	size_t len = strlen(line);

	if (fd < 0 || write(fd, line, len) != (ssize_t)len) {
		int r = -errno;
		setup_log_error("writing '%s' to %s: %s", value, p, strerror(errno));
		return r;
	}
	return 0;
}

/* --- Who still uses the card -------------------------------------------------------------- */

struct holders {
	struct strv nodes; /* "/dev/dri/card1" */
	bool nvidia; /* any /dev/nvidia* */
	struct strv procs; /* "1234 (Xorg)" */
	struct strv comms;
	struct strv pids;
};

static void collect_nodes(const struct setup_opts *o, const struct func *f, struct holders *h)
{
	_cleanup_free_ char *rel = dev_path(f->bdf, "drm"), *p = under_root(o, rel);
	_cleanup_(closedirp) DIR *d = opendir(p);
	struct dirent *de;

	if (streq(f->driver, "nvidia"))
		h->nvidia = true;
	while (d && (de = readdir(d)))
		if (startswith(de->d_name, "card") || startswith(de->d_name, "renderD"))
			strv_pushf(&h->nodes, "/dev/dri/%s", de->d_name);
}

static bool held_path(const struct holders *h, const char *target)
{
	if (h->nvidia && startswith(target, "/dev/nvidia"))
		return true;
	return strv_contains(&h->nodes, target);
}

static void scan_processes(const struct setup_opts *o, struct holders *h)
{
	_cleanup_free_ char *proc = under_root(o, "/proc");
	_cleanup_(closedirp) DIR *d = opendir(proc);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		_cleanup_free_ char *fdp = NULL, *commp = NULL, *comm = NULL;
		_cleanup_(closedirp) DIR *fds = NULL;
		struct dirent *fe;
		unsigned pid;

		if (parse_uint(de->d_name, 10, INT_MAX, &pid) < 0 || pid == (unsigned)getpid())
			continue;
		fdp = xasprintf("%s/%s/fd", proc, de->d_name);
		fds = opendir(fdp);
		while (fds && (fe = readdir(fds))) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(dirfd(fds), fe->d_name, target, sizeof(target) - 1);

			if (n <= 0)
				continue;
			target[n] = '\0';
			if (!held_path(h, target))
				continue;
			commp = xasprintf("%s/%s/comm", proc, de->d_name);
			if (read_small_file(commp, &comm) < 0)
				comm = xstrdup("?");
			strv_pushf(&h->procs, "%u (%s) has %s open", pid, comm, target);
			strv_push(&h->comms, comm);
			strv_push(&h->pids, de->d_name);
			break;
		}
	}
}

/* fbcon puts the consoles on fb0 unless told otherwise (fbcon=map:), so a card's fb0 is the
 * one a bound framebuffer console draws on; unbinding its driver under it is what the
 * reference setups stop the console for. */
static char *fbcon_on(const struct setup_opts *o, const struct func *f)
{
	_cleanup_free_ char *rel = dev_path(f->bdf, "graphics/fb0"), *p = under_root(o, rel);
	_cleanup_free_ char *vt = under_root(o, "/sys/class/vtconsole");
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	struct stat st;

	if (stat(p, &st) < 0)
		return NULL;
	d = opendir(vt);
	while (d && (de = readdir(d))) {
		_cleanup_free_ char *np = NULL, *bp = NULL, *name = NULL, *bind = NULL;

		if (!startswith(de->d_name, "vtcon"))
			continue;
		np = xasprintf("%s/%s/name", vt, de->d_name);
		bp = xasprintf("%s/%s/bind", vt, de->d_name);
		if (read_small_file(np, &name) >= 0 && strstr(name, "frame buffer") &&
		    read_small_file(bp, &bind) >= 0 && streq(bind, "1"))
			return xstrdup(de->d_name);
	}
	return NULL;
}

static bool is_display_server(const char *comm)
{
	static const char *const names[] = {
		"Xorg",	       "X",	 "Xwayland",	 "gdm",	    "gdm-session-wor", "gdm-wayland-ses",
		"gnome-shell", "sddm",	 "sddm-greeter", "lightdm", "kwin_wayland",    "kwin_x11",
		"plasmashell", "sway",	 "weston",	 "mutter",  "Hyprland",	       "cosmic-comp",
		"labwc",       "wayfire"
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (streq(comm, names[i]))
			return true;
	return false;
}

/* 0 when nothing on the host uses the group's functions; else -EBUSY, said with the fix. */
static int refuse_if_used(const struct setup_opts *o, const char *bdf, const struct func *fs, size_t n)
{
	struct holders h = { 0 };
	_cleanup_free_ char *vtcon = NULL;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		collect_nodes(o, &fs[i], &h);
		if (!vtcon)
			vtcon = fbcon_on(o, &fs[i]);
	}
	if (h.nodes.n || h.nvidia)
		scan_processes(o, &h);
	if (h.procs.n) {
		bool dm = false, persistenced = false;
		_cleanup_free_ char *pids = join_words(&h.pids, " ");

		for (size_t i = 0; i < h.comms.n; i++) {
			dm |= is_display_server(h.comms.v[i]);
			persistenced |= streq(h.comms.v[i], "nvidia-persiste");
		}
		setup_log_error("%s: the host still uses the card; nothing was changed:", bdf);
		for (size_t i = 0; i < h.procs.n; i++)
			fprintf(stderr, "  process %s\n", h.procs.v[i]);
		if (dm)
			fprintf(stderr,
				"  fix: sudo systemctl stop display-manager (or log out of the session on "
				"that card), then start the VM again\n");
		if (persistenced)
			fprintf(stderr, "  fix: sudo systemctl stop nvidia-persistenced\n");
		if (!dm && !persistenced)
			fprintf(stderr,
				"  fix: close those programs (or: kill %s), then start the VM again\n", pids);
		r = -EBUSY;
	}
	if (vtcon) {
		if (!r)
			setup_log_error("%s: the host still uses the card; nothing was changed:", bdf);
		fprintf(stderr,
			"  the framebuffer console %s draws on its fb0\n"
			"  fix: echo 0 | sudo tee /sys/class/vtconsole/%s/bind\n",
			vtcon, vtcon);
		r = -EBUSY;
	}
	strv_clear(&h.nodes);
	strv_clear(&h.procs);
	strv_clear(&h.comms);
	strv_clear(&h.pids);
	return r;
}

/* --- The state file ------------------------------------------------------------------------ */

static char *state_file(const char *bdf)
{
	return xasprintf(HANDOVER_RUN_DIR "/%s", bdf);
}

static int state_write(const struct setup_opts *o, const char *bdf, const struct func *fs, size_t n)
{
	_cleanup_free_ char *dir = under_root(o, HANDOVER_RUN_DIR), *rel = state_file(bdf),
			    *p = under_root(o, rel);
	_cleanup_free_ char *text = xstrdup(
		"# vfio-setup bind: each function's driver and driver_override before\n");
	int r;

	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s %s %s\n", text, fs[i].bdf, *fs[i].driver ? fs[i].driver : "-",
				    *fs[i].override ? fs[i].override : "-");
		free(text);
		text = t;
	}
	r = mkdir_parents(dir, 0700);
	if (r >= 0)
		r = write_file_atomic(p, text, strlen(text), 0600);
	if (r < 0)
		setup_log_error("%s: %s", p, strerror(-r));
	return r;
}

static bool valid_driver_name(const char *s)
{
	if (!*s || strlen(s) >= 64)
		return false;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-_.", *c))
			return false;
	return true;
}

/* -ENOENT when there is none; -EINVAL for a file not as bind wrote it. */
static int state_read(const struct setup_opts *o, const char *bdf, struct func *ret, size_t *ret_n)
{
	_cleanup_free_ char *rel = state_file(bdf), *p = under_root(o, rel), *text = NULL;
	char *save = NULL;
	size_t n = 0;
	int r = read_small_file(p, &text);

	if (r < 0)
		return r;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char b[16], d[64], ov[64];

		if (line[0] == '#')
			continue;
		if (n == MAX_FUNCS || sscanf(line, "%15s %63s %63s", b, d, ov) != 3 || !valid_bdf_name(b) ||
		    (!streq(d, "-") && !valid_driver_name(d)) || (!streq(ov, "-") && !valid_driver_name(ov)))
			return -EINVAL;
		ret[n] = (struct func){ 0 };
		snprintf(ret[n].bdf, sizeof(ret[n].bdf), "%s", b);
		snprintf(ret[n].driver, sizeof(ret[n].driver), "%s", streq(d, "-") ? "" : d);
		snprintf(ret[n].override, sizeof(ret[n].override), "%s", streq(ov, "-") ? "" : ov);
		n++;
	}
	*ret_n = n;
	return 0;
}

/* --- The commands ------------------------------------------------------------------------- */

static int canonical_bdf(const struct setup_opts *o, const char *cmd, char *buf, size_t len)
{
	struct pci_addr a;

	/* main gave the operand; parse_pci_addr wants the function (a slot like 01:00 is refused). */
	if (parse_pci_addr(o->bdf, &a) < 0) {
		setup_log_error("%s: expected a PCI function like 0000:01:00.0, got '%s'", cmd, o->bdf);
		return -EINVAL;
	}
	pci_addr_fmt(&a, buf, len);
	return 0;
}

static bool driver_now(const struct setup_opts *o, const char *bdf, const char *want)
{
	_cleanup_free_ char *rel = dev_path(bdf, "driver");
	char now[64];

	return link_base(o, rel, now, sizeof(now)) >= 0 && streq(now, want);
}

static int give_back(const struct setup_opts *o, const struct func *fs, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		const struct func *f = &fs[i];
		_cleanup_free_ char *ov = dev_path(f->bdf, "driver_override");

		/* An empty write clears driver_override. */
		if (sysfs_write(o, ov, f->override) < 0)
			failed++;
		if (o->root_given || driver_now(o, f->bdf, "vfio-pci")) {
			if (sysfs_write(o, "/sys/bus/pci/drivers/vfio-pci/unbind", f->bdf) < 0)
				failed++;
		}
		if (*f->driver && !streq(f->driver, "vfio-pci")) {
			_cleanup_free_ char *bind = xasprintf("/sys/bus/pci/drivers/%s/bind", f->driver);
			if (sysfs_write(o, bind, f->bdf) < 0 &&
			    sysfs_write(o, "/sys/bus/pci/drivers_probe", f->bdf) < 0)
				failed++;
		} else if (*f->driver && sysfs_write(o, "/sys/bus/pci/drivers_probe", f->bdf) < 0)
			failed++;
		if (!o->root_given && *f->driver && !driver_now(o, f->bdf, f->driver)) {
			setup_log_error("%s: not back on %s (hint: dmesg says why)", f->bdf, f->driver);
			failed++;
		} else
			setup_log_info("%s: back on %s", f->bdf, *f->driver ? f->driver : "no driver");
	}
	return failed ? -EIO : 0;
}

int setup_cmd_bind(const struct setup_opts *o)
{
	struct func fs[MAX_FUNCS], before[MAX_FUNCS];
	size_t n = 0, nb = 0;
	char bdf[16], group[32];
	_cleanup_free_ char *vfio = under_root(o, "/sys/bus/pci/drivers/vfio-pci");
	struct stat st;
	int r;

	if (canonical_bdf(o, "bind", bdf, sizeof(bdf)) < 0)
		return 2;
	r = group_functions(o, bdf, fs, &n, group, sizeof(group));
	if (r < 0) {
		_cleanup_free_ char *rel = dev_path(bdf, ""), *p = under_root(o, rel);
		setup_log_error("%s: %s (hint: vfio-setup scan lists the devices and their IOMMU groups)", p,
				r == -ENOENT ? "no such device, or no IOMMU group" : strerror(-r));
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (strncmp(fs[i].bdf, bdf, strlen("0000:01:00")) != 0) {
			setup_log_error(
				"%s: IOMMU group %s also holds %s (%s), which is not part of the card; "
				"nothing was changed (hint: move the card to a slot in its own group)",
				bdf, group, fs[i].bdf, *fs[i].driver ? fs[i].driver : "no driver");
			return 1;
		}
	if (state_read(o, bdf, before, &nb) == 0) {
		bool all = true;
		for (size_t i = 0; i < n; i++)
			all &= streq(fs[i].driver, "vfio-pci");
		if (all) {
			setup_log_info("%s: IOMMU group %s already on vfio-pci", bdf, group);
			return 0;
		}
	}
	if (refuse_if_used(o, bdf, fs, n) < 0)
		return 1;
	if (stat(vfio, &st) < 0) {
		const char *const argv[] = { "modprobe", "vfio-pci", NULL };
		if (o->root_given || setup_run(o, argv, false) != 0 || stat(vfio, &st) < 0) {
			setup_log_error(
				"%s: missing, and modprobe vfio-pci did not make it (hint: is vfio-pci "
				"built for this kernel? lsmod | grep vfio)",
				vfio);
			return 1;
		}
	}
	/* Recorded before anything moves: a bind that stops half-way can still be undone. */
	if (nb == 0 && state_write(o, bdf, fs, n) < 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *ov = dev_path(fs[i].bdf, "driver_override");
		r = sysfs_write(o, ov, "vfio-pci");
		if (r >= 0 && *fs[i].driver && !streq(fs[i].driver, "vfio-pci")) {
			_cleanup_free_ char *unbind = xasprintf("/sys/bus/pci/drivers/%s/unbind",
								fs[i].driver);
			r = sysfs_write(o, unbind, fs[i].bdf);
		}
		if (r >= 0 && !streq(fs[i].driver, "vfio-pci"))
			r = sysfs_write(o, "/sys/bus/pci/drivers_probe", fs[i].bdf);
		if (r >= 0 && !o->root_given && !driver_now(o, fs[i].bdf, "vfio-pci")) {
			setup_log_error("%s: did not bind to vfio-pci (hint: dmesg says why)", fs[i].bdf);
			r = -EIO;
		}
		if (r < 0) {
			setup_log_error("%s: giving the group back to the drivers it had", bdf);
			give_back(o, nb ? before : fs, nb ? nb : n);
			return 1;
		}
		setup_log_info("%s: %s -> vfio-pci", fs[i].bdf, *fs[i].driver ? fs[i].driver : "no driver");
	}
	if (!o->root_given) {
		/* QEMU opens /dev/vfio/N right after: let udev give it the group first. */
		const char *const argv[] = { "udevadm", "settle", "--timeout=10", NULL };
		(void)setup_run(o, argv, false);
	}
	setup_log_info("%s: IOMMU group %s on vfio-pci; 'vfio-setup unbind %s' gives it back", bdf, group,
		       bdf);
	return 0;
}

int setup_cmd_unbind(const struct setup_opts *o)
{
	struct func fs[MAX_FUNCS];
	size_t n = 0;
	char bdf[16];
	_cleanup_free_ char *rel = NULL, *p = NULL;
	int r;

	if (canonical_bdf(o, "unbind", bdf, sizeof(bdf)) < 0)
		return 2;
	rel = state_file(bdf);
	p = under_root(o, rel);
	r = state_read(o, bdf, fs, &n);
	if (r == -ENOENT) {
		setup_log_info("%s: not handed over (no %s): nothing to give back", bdf, p);
		return 0;
	}
	if (r < 0) {
		setup_log_error("%s: %s (hint: it is written by vfio-setup bind; remove it and rebind the "
				"drivers by hand)",
				p, r == -EINVAL ? "not as vfio-setup bind writes it" : strerror(-r));
		return 1;
	}
	if (give_back(o, fs, n) < 0)
		return 1;
	if (unlink(p) < 0 && errno != ENOENT)
		setup_log_warning("%s: %s, ignoring", p, strerror(errno));
	return 0;
}
