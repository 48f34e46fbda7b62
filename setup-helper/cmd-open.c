// SPDX-License-Identifier: GPL-2.0-or-later
/* vfio-setup open BDF: opens a vfio-pci device through VFIO once and closes it again. Some
 * laptop GPUs, once used by a host driver in compute mode, can only be passed after this ran at
 * boot (x86 PAT: "conflicting memory types … write-combining<->uncached-minus"). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>
#include "fsutil.h"
#include "hostmem.h"

#define OPEN_WAIT_TENTHS 300 /* 30 s for udev and modprobe to bind it at boot */

/* The last component of the link @dir/@name, or NULL. */
static char *link_name(const char *dir, const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	char buf[NAME_MAX + 1];

	return read_link_name_at(AT_FDCWD, path, buf, sizeof(buf)) == 0 ? xstrdup(buf) : NULL;
}

static int open_vfio(const struct setup_opts *o, const char *bdf, const char *group)
{
	_cleanup_free_ char *cpath = under_root(o, "/dev/vfio/vfio");
	_cleanup_free_ char *grel = xasprintf("/dev/vfio/%s", group), *gpath = under_root(o, grel);
	_cleanup_close_ int container = -1, grp = -1, dev = -1;
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int type;

	container = open(cpath, O_RDWR | O_CLOEXEC);
	if (container < 0) {
		setup_log_error("%s: %s (hint: modprobe vfio)", cpath, strerror(errno));
		return -errno;
	}
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		setup_log_error("%s: not a VFIO container of API version %d", cpath, VFIO_API_VERSION);
		return -ENOTTY;
	}
	type = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ? VFIO_TYPE1v2_IOMMU
	       : ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0 ? VFIO_TYPE1_IOMMU
									      : -1;
	if (type < 0) {
		setup_log_error("%s: no type 1 IOMMU support (hint: modprobe vfio_iommu_type1)", cpath);
		return -ENOTSUP;
	}
	grp = open(gpath, O_RDWR | O_CLOEXEC);
	if (grp < 0) {
		setup_log_error("%s: %s", gpath, strerror(errno));
		return -errno;
	}
	if (ioctl(grp, VFIO_GROUP_GET_STATUS, &st) < 0) {
		setup_log_error("%s: VFIO_GROUP_GET_STATUS: %s", gpath, strerror(errno));
		return -errno;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		setup_log_error("IOMMU group %s is not viable: another device of it is on a host driver "
				"(hint: vfio-setup scan)",
				group);
		return -EBUSY;
	}
	if (ioctl(grp, VFIO_GROUP_SET_CONTAINER, &container) < 0 ||
	    ioctl(container, VFIO_SET_IOMMU, type) < 0) {
		setup_log_error("%s: attaching the group to a container: %s", gpath, strerror(errno));
		return -errno;
	}
	dev = ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0) {
		setup_log_error("%s: VFIO_GROUP_GET_DEVICE_FD %s: %s", gpath, bdf, strerror(errno));
		return -errno;
	}
	setup_log_info("opened %s through VFIO: container %s (%s), group %s, device; closed again", bdf,
		       cpath, type == VFIO_TYPE1v2_IOMMU ? "type1v2" : "type1", gpath);
	return 0;
}

int setup_cmd_open(const struct setup_opts *o)
{
	struct pci_addr a;
	char bdf[32];
	_cleanup_free_ char *rel = NULL, *dir = NULL, *driver = NULL, *group = NULL;

	if (parse_pci_addr(o->bdf, &a) < 0) {
		setup_log_error("open: expected a PCI address like 01:00.0, got '%s'", o->bdf);
		return 2;
	}
	pci_addr_fmt(&a, bdf, sizeof(bdf));
	rel = xasprintf("/sys/bus/pci/devices/%s", bdf);
	dir = under_root(o, rel);
	if (access(dir, F_OK) < 0) {
		setup_log_error("%s: no such PCI device (hint: vfio-setup scan)", dir);
		return 1;
	}
	for (int i = 0;; i++) {
		free(driver);
		driver = link_name(dir, "driver");
		if ((driver && streq(driver, "vfio-pci")) || i >= OPEN_WAIT_TENTHS)
			break;
		if (i == 0)
			setup_log_info("%s is on %s: waiting for vfio-pci", bdf,
				       driver ? driver : "no driver");
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
	}
	if (!driver || !streq(driver, "vfio-pci")) {
		setup_log_error("%s is on %s, not vfio-pci, after 30 s (hint: sudo vfio-setup install "
				"--device %s, then reboot)",
				bdf, driver ? driver : "no driver", bdf);
		return 1;
	}
	group = link_name(dir, "iommu_group");
	if (!group) {
		setup_log_error("%s/iommu_group: missing: the IOMMU is off (hint: enable VT-d/AMD-Vi)", dir);
		return 1;
	}
	return open_vfio(o, bdf, group) < 0 ? 1 : 0;
}
