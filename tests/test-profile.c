// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the profile's value parsers, whole-profile parsing and error collection. */
#include "check-main.h"
#include <errno.h>
#include <stdlib.h>
#include "profile.h"

#define NAME "/tmp/qemu-vm-test.ini"

/* Loads @content as if it were the file NAME; returns the error count and fills @p on success. */
static size_t load(const char *content, struct profile *p, struct profile_errors *errs)
{
	int r = profile_load_string(NAME, content, p, errs);

	ck_assert(r == 0 || r == -EINVAL);
	ck_assert_int_eq(r == 0, errs->msgs.n == 0);
	return errs->msgs.n;
}

START_TEST(sizes)
{
	uint64_t v;

	ck_assert_int_eq(parse_size("16G", &v), 0);
	ck_assert_uint_eq(v, 16ULL << 30);
	ck_assert_int_eq(parse_size("512M", &v), 0);
	ck_assert_uint_eq(v, 512ULL << 20);
	ck_assert_int_eq(parse_size("64k", &v), 0);
	ck_assert_uint_eq(v, 64ULL << 10);
	ck_assert_int_eq(parse_size("2GiB", &v), 0);
	ck_assert_uint_eq(v, 2ULL << 30);
	ck_assert_int_eq(parse_size("1T", &v), 0);
	ck_assert_uint_eq(v, 1ULL << 40);
	ck_assert_int_lt(parse_size("16", &v), 0);
	ck_assert_int_lt(parse_size("16 gigs", &v), 0);
	ck_assert_int_lt(parse_size("-1G", &v), 0);
	ck_assert_int_lt(parse_size("G", &v), 0);
	ck_assert_int_lt(parse_size("1.5G", &v), 0);
	ck_assert_int_lt(parse_size("99999999999999999999G", &v), 0);
	ck_assert_int_lt(parse_size("20000000000T", &v), 0);
}
END_TEST

START_TEST(cpulists)
{
	struct cpuset s;

	ck_assert_int_eq(parse_cpulist("2-5,8-11", &s), 0);
	ck_assert_uint_eq(s.n, 8);
	ck_assert_uint_eq(s.cpu[0], 2);
	ck_assert_uint_eq(s.cpu[3], 5);
	ck_assert_uint_eq(s.cpu[4], 8);
	ck_assert_uint_eq(s.cpu[7], 11);
	ck_assert_int_eq(parse_cpulist("7,3,5", &s), 0);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_uint_eq(s.cpu[0], 7); /* order as written: vCPU 0 goes to host CPU 7 */
	ck_assert_int_eq(parse_cpulist("0", &s), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_lt(parse_cpulist("5-2", &s), 0);
	ck_assert_int_lt(parse_cpulist("1,1", &s), 0);
	ck_assert_int_lt(parse_cpulist("1-3,2", &s), 0);
	ck_assert_int_lt(parse_cpulist("1,,2", &s), 0);
	ck_assert_int_lt(parse_cpulist("a", &s), 0);
	ck_assert_int_lt(parse_cpulist("1-", &s), 0);
	ck_assert_int_lt(parse_cpulist("", &s), 0);
	ck_assert_int_lt(parse_cpulist("4096", &s), 0);
}
END_TEST

START_TEST(pci_addresses)
{
	struct pci_addr a;
	struct pci_id id;

	ck_assert_int_eq(parse_pci_addr("01:00.0", &a), 0);
	ck_assert_uint_eq(a.domain, 0);
	ck_assert_uint_eq(a.bus, 1);
	ck_assert_uint_eq(a.slot, 0);
	ck_assert_uint_eq(a.func, 0);
	ck_assert_int_eq(parse_pci_addr("0000:0a:1f.7", &a), 0);
	ck_assert_uint_eq(a.bus, 10);
	ck_assert_uint_eq(a.slot, 31);
	ck_assert_uint_eq(a.func, 7);
	ck_assert_int_eq(parse_pci_addr("10000:01:00.0", &a), -EINVAL);
	ck_assert_int_eq(parse_pci_addr("01:20.0", &a), -EINVAL);
	ck_assert_int_eq(parse_pci_addr("01:00.8", &a), -EINVAL);
	ck_assert_int_eq(parse_pci_addr("01:00", &a), -EINVAL);
	ck_assert_int_eq(parse_pci_addr("1:0.0x", &a), -EINVAL);
	ck_assert_int_eq(parse_pci_addr("100:00.0", &a), -EINVAL);
	/* A profile may name the slot alone: function 0, the whole card. */
	ck_assert_int_eq(parse_pci_slot_or_addr("0000:0a:1f", &a), 0);
	ck_assert_uint_eq(a.bus, 10);
	ck_assert_uint_eq(a.slot, 31);
	ck_assert_uint_eq(a.func, 0);
	ck_assert_int_eq(parse_pci_slot_or_addr("01:00.3", &a), 0);
	ck_assert_uint_eq(a.func, 3);
	ck_assert_int_eq(parse_pci_slot_or_addr("01:20", &a), -EINVAL);
	ck_assert_int_eq(parse_pci_slot_or_addr("01", &a), -EINVAL);
	ck_assert_int_eq(parse_pci_slot_or_addr("01:00:", &a), -EINVAL);
	ck_assert_int_eq(parse_pci_slot_or_addr("", &a), -EINVAL);

	ck_assert_int_eq(parse_pci_id("10de:1b81", &id), 0);
	ck_assert_uint_eq(id.vendor, 0x10de);
	ck_assert_uint_eq(id.device, 0x1b81);
	ck_assert_int_lt(parse_pci_id("10de-1b81", &id), 0);
	ck_assert_int_lt(parse_pci_id("10de:1b8", &id), 0);
	ck_assert_int_lt(parse_pci_id("10dg:1b81", &id), 0);
}
END_TEST

START_TEST(usb_ports)
{
	unsigned bus;
	char port[32];

	ck_assert_int_eq(parse_usb_port("1-4", &bus, port, sizeof(port)), 0);
	ck_assert_uint_eq(bus, 1);
	ck_assert_str_eq(port, "4");
	ck_assert_int_eq(parse_usb_port("3-1.2.4", &bus, port, sizeof(port)), 0);
	ck_assert_uint_eq(bus, 3);
	ck_assert_str_eq(port, "1.2.4");
	ck_assert_int_lt(parse_usb_port("0-1", &bus, port, sizeof(port)), 0);
	ck_assert_int_lt(parse_usb_port("1-", &bus, port, sizeof(port)), 0);
	ck_assert_int_lt(parse_usb_port("1-1..2", &bus, port, sizeof(port)), 0);
	ck_assert_int_lt(parse_usb_port("1-32", &bus, port, sizeof(port)), 0);
	ck_assert_int_lt(parse_usb_port("1-1.1.1.1.1.1.1.1", &bus, port, sizeof(port)), 0);
}
END_TEST

START_TEST(looking_glass_formula)
{
	ck_assert_uint_eq(lg_size_for(1920, 1080), 32ULL << 20);
	ck_assert_uint_eq(lg_size_for(2560, 1440), 64ULL << 20);
	ck_assert_uint_eq(lg_size_for(3840, 2160), 128ULL << 20);
	/* 1920x1200: 18432000 + 10 MiB = 28917760, still under 32 MiB. */
	ck_assert_uint_eq(lg_size_for(1920, 1200), 32ULL << 20);
	/* 2560x1600: 32768000 + 10 MiB = 43253760 → 64 MiB. */
	ck_assert_uint_eq(lg_size_for(2560, 1600), 64ULL << 20);
}
END_TEST

START_TEST(paths_expand)
{
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

	setenv("HOME", "/home/alice", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	unsetenv("XDG_DATA_HOME");
	a = expand_path("~/vm/x.rom");
	ck_assert_str_eq(a, "/home/alice/vm/x.rom");
	b = expand_path("$XDG_RUNTIME_DIR/pulse/native");
	ck_assert_str_eq(b, "/run/user/1000/pulse/native");
	c = expand_path("${XDG_DATA_HOME}/vm");
	ck_assert_str_eq(c, "/home/alice/.local/share/vm");
	ck_assert_ptr_null(expand_path("$FOO/x"));
	ck_assert_int_eq(errno, EINVAL);
	unsetenv("XDG_RUNTIME_DIR");
	ck_assert_ptr_null(expand_path("$XDG_RUNTIME_DIR/x"));
	d = expand_path("/a~b/$"); /* a lone $ is refused; a ~ inside is literal */
	ck_assert_ptr_null(d);
}
END_TEST

START_TEST(full_profile)
{
	struct profile p;
	struct profile_errors e = { 0 };

	setenv("HOME", "/home/alice", 1);
	ck_assert_uint_eq(load("[vm]\n"
			       "title = Gaming\n"
			       "memory = 16G\n"
			       "pin = 2-5,8-11\n"
			       "hugepages = 1G\n"
			       "  hide-hypervisor = on   ; indented on purpose\n"
			       "[pci gpu]\n"
			       "host = 0000:01:00.0\n"
			       "romfile = ~/vm/a,b=c.rom\n"
			       "sub-ids = 1025:118b\n"
			       "skip-functions = 1,2\n"
			       "[pci nic]\n"
			       "ids = 8086:15b8\n"
			       "[usb]\n"
			       "device = 046d:c52b\n"
			       "port = 1-4.2\n"
			       "missing = skip\n"
			       "[looking-glass]\n"
			       "resolution = 3840x2160\n"
			       "[fw_cfg]\n"
			       "opt/com.lion328/nvidia-rom = /x/rom.bin\n"
			       "[qemu]\n"
			       "arg = -device\n"
			       "arg = foo,bar=1\n",
			       &p, &e),
			  0);
	ck_assert_str_eq(p.title, "Gaming");
	ck_assert_uint_eq(p.memory, 16ULL << 30);
	ck_assert_uint_eq(p.cpus, 8); /* from pin */
	ck_assert_int_eq(p.hugepages, HUGE_1G);
	ck_assert_int_eq(p.hide_hypervisor, T_ON);
	ck_assert_uint_eq(p.n_pci, 2);
	ck_assert_str_eq(p.pci[0].name, "gpu");
	ck_assert_uint_eq(p.pci[0].host.bus, 1);
	ck_assert_str_eq(p.pci[0].romfile, "/home/alice/vm/a,b=c.rom");
	ck_assert_int_eq(p.pci[0].subids, SUBIDS_EXPLICIT);
	ck_assert_uint_eq(p.pci[0].sub.device, 0x118b);
	ck_assert_uint_eq(p.pci[0].skip_functions, (1u << 1) | (1u << 2));
	ck_assert(p.pci[1].has_ids);
	ck_assert_uint_eq(p.n_usb, 2);
	ck_assert(!p.usb[0].by_port);
	ck_assert(p.usb[1].by_port);
	ck_assert_str_eq(p.usb[1].port, "4.2");
	ck_assert_int_eq(p.usb_missing, MISSING_SKIP);
	ck_assert_uint_eq(p.lg_size, 128ULL << 20);
	ck_assert_str_eq(p.lg_path, "/dev/shm/looking-glass");
	ck_assert_str_eq(p.fwcfg_names.v[0], "opt/com.lion328/nvidia-rom");
	ck_assert_uint_eq(p.extra_args.n, 2);
	ck_assert_str_eq(p.extra_args.v[1], "foo,bar=1");
	profile_free(&p);
}
END_TEST

START_TEST(all_errors_in_one_run)
{
	struct profile p;
	struct profile_errors e = { 0 };
	ck_assert_uint_eq(load("[vm]\n"
			       "memory = 16 gigs\n"
			       "cpus = 0\n"
			       "memory = 8G\n"
			       "colour = red\n"
			       "[gpu]\n"
			       "[pci gpu]\n"
			       "host = 01:00.9\n",
			       &p, &e),
			  6);
	ck_assert_str_eq(e.msgs.v[0], NAME ":2: memory: expected a size like 16G or 512M, got '16 gigs'");
	ck_assert_ptr_nonnull(
		strstr(e.msgs.v[1], ":3: cpus: expected a whole number from 1 to 255, got '0'"));
	ck_assert_ptr_nonnull(strstr(e.msgs.v[2], ":4: memory: set again; it was already set on line 2"));
	ck_assert_ptr_nonnull(strstr(e.msgs.v[3], ":5: colour: unknown key in [vm]"));
	ck_assert_ptr_nonnull(strstr(e.msgs.v[4], ":6: [gpu]: unknown section"));
	ck_assert_ptr_nonnull(strstr(e.msgs.v[5], ":8: host: expected a PCI address"));
	profile_errors_free(&e);
}
END_TEST

/* [scream], repeated evdev lines, [input] virtio and ps2, [pci] vendor-id and device-id. */
START_TEST(windows_quirks)
{
	struct profile p = { 0 };
	struct profile_errors e = { 0 };

	ck_assert_uint_eq(load("[vm]\nmemory = 4G\n", &p, &e), 0);
	ck_assert(!p.scream && p.ps2 && !p.input_virtio && p.n_evdev == 0);
	profile_free(&p);

	ck_assert_uint_eq(
		load("[pci gpu]\nhost = 01:00.0\nvendor-id = 10DE\ndevice-id = 0x1c03\n"
		     "[scream]\n"
		     "[input]\nmouse = /dev/input/m0\nkeyboard = /dev/input/k0\nkeyboard = /dev/input/k1\n"
		     "virtio = on\nps2 = off\n",
		     &p, &e),
		0);
	ck_assert(p.pci[0].has_vendor_id && p.pci[0].has_device_id);
	ck_assert_uint_eq(p.pci[0].vendor_id, 0x10de);
	ck_assert_uint_eq(p.pci[0].device_id, 0x1c03);
	ck_assert(p.scream);
	ck_assert_str_eq(p.scream_path, "/dev/shm/scream-ivshmem");
	ck_assert_uint_eq(p.scream_size, 2ULL << 20);
	ck_assert_uint_eq(p.scream_loc.line, 5);
	ck_assert_uint_eq(p.n_evdev, 3);
	ck_assert(!p.evdev[0].keyboard && p.evdev[1].keyboard && p.evdev[2].keyboard);
	ck_assert_str_eq(p.evdev[2].path, "/dev/input/k1");
	ck_assert_uint_eq(p.evdev[2].loc.line, 9);
	ck_assert(p.input_virtio && !p.ps2);
	profile_free(&p);

	/* Every bad value at its own line, all in one run. */
	ck_assert_uint_eq(load("[pci gpu]\nhost = 01:00.0\nvendor-id = 10de:1b81\ndevice-id = ffff1\n"
			       "[scream]\nsize = 6M\n[input]\nps2 = maybe\n",
			       &p, &e),
			  4);
	ck_assert_str_eq(e.msgs.v[0], NAME
			 ":3: vendor-id: expected a vendor ID of 4 hex digits like 10de, got '10de:1b81'");
	ck_assert_str_eq(e.msgs.v[1],
			 NAME ":4: device-id: expected a device ID of 4 hex digits like 1b81, got 'ffff1'");
	ck_assert_str_eq(e.msgs.v[2], NAME
			 ":6: size: expected a power of two from 1M to 256M (ivshmem needs one), got '6M'");
	ck_assert_str_eq(e.msgs.v[3], NAME ":8: ps2: expected on or off, got 'maybe'");
	profile_errors_free(&e);
}
END_TEST

START_TEST(long_line)
{
	struct profile p;
	struct profile_errors e = { 0 };
	char buf[512];

	snprintf(buf, sizeof(buf), "[vm]\ntitle = %0250d\nmemory = 2G\n", 0);
	ck_assert_uint_eq(load(buf, &p, &e), 1);
	ck_assert_ptr_nonnull(strstr(e.msgs.v[0], ":2: line is 258 characters long; at most 197 fit"));
	profile_errors_free(&e);
}
END_TEST

START_TEST(structure_changing_values)
{
	struct profile p;
	struct profile_errors e = { 0 };

	ck_assert_uint_eq(load("[acpi]\ntable = /tmp/a:b.aml\n[fw_cfg]\nrom = /x\n"
			       "opt/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa = /x\n",
			       &p, &e),
			  3);
	ck_assert_ptr_nonnull(strstr(e.msgs.v[0], ":2: table: path contains ':'"));
	ck_assert_ptr_nonnull(strstr(e.msgs.v[1], ":4: rom: expected a name under opt/"));
	ck_assert_ptr_nonnull(strstr(e.msgs.v[2], ":5: opt/aaaa"));
	profile_errors_free(&e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, sizes);
	tcase_add_test(tc, cpulists);
	tcase_add_test(tc, pci_addresses);
	tcase_add_test(tc, usb_ports);
	tcase_add_test(tc, looking_glass_formula);
	tcase_add_test(tc, paths_expand);
	tcase_add_test(tc, full_profile);
	tcase_add_test(tc, all_errors_in_one_run);
	tcase_add_test(tc, windows_quirks);
	tcase_add_test(tc, long_line);
	tcase_add_test(tc, structure_changing_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
