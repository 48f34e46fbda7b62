// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for qemu-vm new's pure part: sizing rules, the GPU it picks, and a profile that the
 * profile parser takes as it is. */
#include "check-main.h"
#include <errno.h>
#include "new.h"
#include "profile.h"

#define GiB (1ULL << 30)

static struct pci_dev_info dev(unsigned bus, unsigned slot, unsigned func, uint32_t class, int group,
			       const char *driver)
{
	struct pci_dev_info d = { .addr = { 0, bus, slot, func },
				  .class = class,
				  .iommu_group = group,
				  .driver = driver ? strdup(driver) : NULL,
				  .vendor = 0x10de,
				  .device = 0x1b81,
				  .sub_vendor = 0x1462,
				  .sub_device = 0x3302 };

	d.is_bridge = (class >> 8) == 0x0604;
	snprintf(d.name, sizeof(d.name), "device %02x:%02x.%u", bus, slot, func);
	snprintf(d.class_name, sizeof(d.class_name), "class %06x", class);
	return d;
}

/* A desktop: root port, a GPU and its audio on vfio-pci in group 1, the boot GPU, four cores
 * of two threads (siblings n and n+4), 32G, 8 free 1G pages. */
static void desktop(struct new_facts *f)
{
	struct pci_dev_info d[] = {
		dev(0, 1, 0, 0x060400, 1, "pcieport"), dev(0, 2, 0, 0x030000, 2, "i915"),
		dev(0, 0x17, 0, 0x010601, 5, "ahci"),  dev(1, 0, 0, 0x030000, 1, "vfio-pci"),
		dev(1, 0, 1, 0x040300, 1, "vfio-pci"),
	};

	*f = (struct new_facts){ .mem_total = 32 * GiB, .n_huge = 2, .n_cores = 4 };
	f->pci.n = ARRAY_SIZE(d);
	f->pci.dev = xcalloc(f->pci.n, sizeof(*f->pci.dev));
	memcpy(f->pci.dev, d, sizeof(d));
	f->boot_vga = xcalloc(f->pci.n, sizeof(*f->boot_vga));
	f->drm_connectors = xcalloc(f->pci.n, sizeof(*f->drm_connectors));
	for (size_t i = 0; i < f->pci.n; i++) {
		f->boot_vga[i] = pci_class_is_gpu(d[i].class) ? 0 : -1;
		f->drm_connectors[i] = -1;
	}
	f->boot_vga[1] = 1;
	f->drm_connectors[1] = 3;
	f->huge[0] = (struct hugepage_pool){ .size = 2ULL << 20, .total = 0, .free = 0 };
	f->huge[1] = (struct hugepage_pool){ .size = GiB, .total = 8, .free = 8 };
	f->cores = xcalloc(4, sizeof(*f->cores));
	for (unsigned c = 0; c < 4; c++)
		f->cores[c] = (struct new_core){ .cpu = { (uint16_t)c, (uint16_t)(c + 4) }, .n = 2 };
	f->width = 2560;
	f->height = 1440;
	snprintf(f->monitor, sizeof(f->monitor), "HDMI-A-1");
}

/* Makes the profile and loads it: every key new writes is one the parser knows. */
static void make(const struct new_facts *f, const struct new_options *o, struct profile *p, char **ret_text)
{
	struct profile_errors errs = { 0 };
	char *text = NULL, *error = NULL;
	int r = new_profile_text(f, o, &text, &error);

	ck_assert_msg(r == 0, "new_profile_text: %d %s", r, error ? error : "");
	r = profile_load_string("/tmp/t.ini", text, p, &errs);
	ck_assert_msg(r == 0, "%s\n%s", errs.msgs.n ? errs.msgs.v[0] : "?", text);
	profile_errors_free(&errs);
	free(*ret_text); /* the text of the previous make, if any */
	*ret_text = text;
}

START_TEST(memory_rule)
{
	ck_assert_uint_eq(new_guest_memory(32 * GiB), 16 * GiB);
	ck_assert_uint_eq(new_guest_memory(64 * GiB), 32 * GiB);
	ck_assert_uint_eq(new_guest_memory(16 * GiB), 8 * GiB);
	/* A real 32G machine shows a little less: whole G, rounded down. */
	ck_assert_uint_eq(new_guest_memory(32 * GiB - 700 * (1ULL << 20)), 15 * GiB);
	/* Small hosts keep 4G, and the guest gets at least 1G. */
	ck_assert_uint_eq(new_guest_memory(6 * GiB), 2 * GiB);
	ck_assert_uint_eq(new_guest_memory(4 * GiB), GiB);
	ck_assert_uint_eq(new_guest_memory(0), GiB);
}
END_TEST

START_TEST(disk_argument)
{
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
	char *x = NULL;
	uint64_t size = 1;

	ck_assert_int_eq(new_parse_disk("vm/w.qcow2", &a, &size), 0);
	ck_assert_str_eq(a, "vm/w.qcow2");
	ck_assert_uint_eq(size, 0);
	ck_assert_int_eq(new_parse_disk("/vm/w.qcow2:128G", &b, &size), 0);
	ck_assert_str_eq(b, "/vm/w.qcow2");
	ck_assert_uint_eq(size, 128 * GiB);
	/* A ':' that no size follows is part of the path. */
	ck_assert_int_eq(new_parse_disk("/vm/a:b/w.img", &c, &size), 0);
	ck_assert_str_eq(c, "/vm/a:b/w.img");
	ck_assert_uint_eq(size, 0);
	ck_assert_int_eq(new_parse_disk("", &x, &size), -EINVAL);
	ck_assert_int_eq(new_parse_disk(":64G", &x, &size), -EINVAL);
	ck_assert_int_eq(new_parse_disk("w.qcow2:0", &x, &size), -EINVAL);
	ck_assert_int_eq(new_parse_disk("w.qcow2:64Q", &x, &size), -EINVAL);
	ck_assert_ptr_null(x);
}
END_TEST

START_TEST(largest_mode)
{
	unsigned w = 0, h = 0;

	ck_assert(new_largest_mode("1920x1080\n2560x1440\n1280x720\n3840x2160i\n", &w, &h));
	ck_assert_uint_eq(w, 3840);
	ck_assert_uint_eq(h, 2160);
	ck_assert(new_largest_mode("1024x768", &w, &h));
	ck_assert_uint_eq(w, 1024);
	ck_assert(!new_largest_mode("", &w, &h));
	ck_assert(!new_largest_mode("garbage\n", &w, &h));
}
END_TEST

START_TEST(desktop_profile)
{
	struct new_facts f;
	struct new_options o = { .name = "gaming" };
	struct profile p;
	_cleanup_free_ char *text = NULL;

	desktop(&f);
	make(&f, &o, &p, &text);
	ck_assert_uint_eq(p.memory, 16 * GiB);
	/* Cores 1-3 with their siblings, pairs together; core 0 stays with the host. */
	ck_assert_uint_eq(p.pin.n, 6);
	ck_assert_uint_eq(p.pin.cpu[0], 1);
	ck_assert_uint_eq(p.pin.cpu[1], 5);
	ck_assert_uint_eq(p.pin.cpu[5], 7);
	ck_assert_uint_eq(p.cpus, 6);
	ck_assert_uint_eq(p.threads, 2);
	ck_assert_uint_eq(p.cores, 3);
	/* 8 free 1G pages do not hold 16G. */
	ck_assert_int_eq(p.hugepages, HUGE_OFF);
	ck_assert_uint_eq(p.n_pci, 1);
	ck_assert_uint_eq(p.pci[0].host.bus, 1);
	ck_assert_int_eq(p.pci[0].subids, SUBIDS_AUTO);
	ck_assert_int_eq(p.pci[0].rootport, ROOTPORT_AUTO);
	ck_assert_uint_eq(p.lg_width, 2560);
	ck_assert_uint_eq(p.lg_size, 64ULL << 20);
	ck_assert_int_eq(p.audio, AUDIO_AUTO);
	profile_free(&p);

	/* With the pool large enough, the largest page size that holds it. */
	f.huge[0] = (struct hugepage_pool){ .size = 2ULL << 20, .total = 8192, .free = 8192 };
	f.huge[1] = (struct hugepage_pool){ .size = GiB, .total = 16, .free = 16 };
	make(&f, &o, &p, &text);
	ck_assert_int_eq(p.hugepages, HUGE_1G);
	profile_free(&p);
	f.huge[1].free = 15;
	make(&f, &o, &p, &text);
	ck_assert_int_eq(p.hugepages, HUGE_2M);
	profile_free(&p);
	/* Too few free pages of either size, but a 2M pool the group may grow: reserved at start. */
	f.huge[0] = (struct hugepage_pool){ .size = 2ULL << 20, .total = 0, .free = 0, .growable = true };
	f.huge[1].free = 8;
	make(&f, &o, &p, &text);
	ck_assert_int_eq(p.hugepages, HUGE_2M);
	ck_assert_ptr_nonnull(strstr(text, "reserved at start"));
	profile_free(&p);
	f.huge[0].growable = false;
	make(&f, &o, &p, &text);
	ck_assert_int_eq(p.hugepages, HUGE_OFF);
	profile_free(&p);
	new_facts_free(&f);
}
END_TEST

START_TEST(optimus)
{
	struct new_facts f;
	struct new_options o = { .name = "laptop" };
	struct profile p;
	_cleanup_free_ char *text = NULL;

	desktop(&f);
	/* A desktop: the card on vfio-pci has no DRM device, no built-in panel anywhere. */
	ck_assert(!new_is_optimus(&f, 3));
	/* A laptop's panel on the boot GPU. */
	snprintf(f.internal_panel, sizeof(f.internal_panel), "card0-eDP-1");
	ck_assert(new_is_optimus(&f, 3));
	make(&f, &o, &p, &text);
	ck_assert_int_eq(p.pci[0].rootport, ROOTPORT_MIRROR);
	ck_assert_int_eq(p.pci[0].hotplug, T_OFF);
	profile_free(&p);
	/* The card's own DRM device decides when there is one: outputs, or none. */
	f.drm_connectors[3] = 2;
	ck_assert(!new_is_optimus(&f, 3));
	f.drm_connectors[3] = 0;
	f.internal_panel[0] = '\0';
	ck_assert(new_is_optimus(&f, 3));
	/* A 3D controller always is. */
	f.drm_connectors[3] = 4;
	f.pci.dev[3].class = 0x030200;
	ck_assert(new_is_optimus(&f, 3));
	new_facts_free(&f);
}
END_TEST

START_TEST(which_gpu)
{
	struct new_facts f;
	struct new_options o = { .name = "two" };
	struct profile p;
	_cleanup_free_ char *text = NULL, *error = NULL;
	char *none = NULL;

	desktop(&f);
	/* A second card that is not the boot GPU: new asks, naming both. */
	free(f.pci.dev[2].driver);
	f.pci.dev[2] = dev(2, 0, 0, 0x030000, 6, "amdgpu");
	f.boot_vga[2] = 0;
	ck_assert_int_eq(new_profile_text(&f, &o, &none, &error), -EINVAL);
	ck_assert_ptr_null(none);
	ck_assert_msg(strstr(error, "--gpu 01:00.0") && strstr(error, "--gpu 02:00.0"), "%s", error);
	/* Asked for by slot: that card alone. */
	o.gpu[0] = (struct pci_addr){ 0, 2, 0, 0 };
	o.n_gpu = 1;
	make(&f, &o, &p, &text);
	ck_assert_uint_eq(p.n_pci, 1);
	ck_assert_uint_eq(p.pci[0].host.bus, 2);
	profile_free(&p);
	/* A function of the GPU stands for the card; another device's function for itself. */
	o.gpu[0] = (struct pci_addr){ 0, 1, 0, 1 };
	make(&f, &o, &p, &text);
	ck_assert_uint_eq(p.pci[0].host.bus, 1);
	ck_assert_uint_eq(p.pci[0].host.func, 0);
	profile_free(&p);
	o.gpu[0] = (struct pci_addr){ 0, 0, 1, 0 };
	make(&f, &o, &p, &text);
	ck_assert_uint_eq(p.pci[0].host.slot, 1);
	ck_assert_msg(strstr(text, "host = 00:01.0"), "%s", text);
	profile_free(&p);
	/* An address the host does not have. */
	free(error);
	error = NULL;
	o.gpu[0] = (struct pci_addr){ 0, 5, 0, 0 };
	ck_assert_int_eq(new_profile_text(&f, &o, &none, &error), -EINVAL);
	ck_assert_msg(strstr(error, "05:00.0"), "%s", error);
	new_facts_free(&f);
}
END_TEST

START_TEST(group_not_viable)
{
	struct new_facts f;
	struct new_options o = { .name = "x" };
	struct profile p;
	_cleanup_free_ char *error = NULL, *text = NULL;
	char *none = NULL;

	desktop(&f);
	f.pci.dev[2].iommu_group = 1; /* the SATA controller, on ahci, in the GPU's group */
	ck_assert_int_eq(new_profile_text(&f, &o, &none, &error), -EINVAL);
	ck_assert_ptr_null(none);
	ck_assert_msg(strstr(error, "IOMMU group 1 is not viable") && strstr(error, "00:17.0") &&
			      strstr(error, "ahci"),
		      "%s", error);
	/* Unbound, it is no obstacle (check wants it kept off host drivers). */
	free(f.pci.dev[2].driver);
	f.pci.dev[2].driver = NULL;
	make(&f, &o, &p, &text);
	profile_free(&p);
	new_facts_free(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("new");
	TCase *tc = tcase_create("new");

	tcase_add_test(tc, memory_rule);
	tcase_add_test(tc, disk_argument);
	tcase_add_test(tc, largest_mode);
	tcase_add_test(tc, desktop_profile);
	tcase_add_test(tc, optimus);
	tcase_add_test(tc, which_gpu);
	tcase_add_test(tc, group_not_viable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
