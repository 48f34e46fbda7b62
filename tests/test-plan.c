// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the pure plan: escaping, quoting, and argv/checks from hand-made host facts. */
#include "check-main.h"
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "plan-facts.h"
#include "plan.h"
#include "qopt.h"

static char *write_tmp(const char *content)
{
	char *path = xstrdup("/tmp/qemu-vm-plan-XXXXXX.ini");
	int fd = mkstemps(path, 4);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

static void load(const char *content, struct profile *p)
{
	_cleanup_free_ char *path = write_tmp(content);
	struct profile_errors e = { 0 };
	int r = profile_load(path, p, &e);

	for (size_t i = 0; i < e.msgs.n; i++)
		fprintf(stderr, "%s\n", e.msgs.v[i]);
	unlink(path);
	ck_assert_int_eq(r, 0);
}

/* Index of the word after option @opt whose value starts with @prefix, or -1. */
static int find_arg(const struct plan *pl, const char *opt, const char *prefix)
{
	for (size_t i = 0; i + 1 < pl->argv.n; i++)
		if (streq(pl->argv.v[i], opt) && startswith(pl->argv.v[i + 1], prefix))
			return (int)i + 1;
	return -1;
}

static const struct check *find_check(const struct plan *pl, enum check_level level, const char *part)
{
	for (size_t i = 0; i < pl->n_checks; i++)
		if (pl->checks[i].level == level && strstr(pl->checks[i].what, part))
			return &pl->checks[i];
	return NULL;
}

START_TEST(escaping)
{
	_cleanup_free_ char *a = qemu_escape("a,b=c.rom");
	_cleanup_free_ char *b = qemu_escape(",,");
	_cleanup_free_ char *c = qemu_escape("plain");
	_cleanup_free_ char *q1 = shell_quote("plain-word_1.0");
	_cleanup_free_ char *q2 = shell_quote("it's here");
	_cleanup_free_ char *q3 = shell_quote("");
	_cleanup_free_ char *q4 = shell_quote("$HOME;rm");

	ck_assert_str_eq(a, "a,,b=c.rom");
	ck_assert_str_eq(b, ",,,,");
	ck_assert_str_eq(c, "plain");
	ck_assert_str_eq(q1, "plain-word_1.0");
	ck_assert_str_eq(q2, "'it'\\''s here'");
	ck_assert_str_eq(q3, "''");
	ck_assert_str_eq(q4, "'$HOME;rm'");
}
END_TEST

START_TEST(optimus_mirror)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;
	int i;

	load("[vm]\nmemory = 6G\nhide-hypervisor = on\n"
	     "[pci gpu]\nhost = 01:00.0\nsub-ids = auto\nroot-port = mirror\nhotplug = off\nskip-functions = 1\n"
	     "romfile = /tmp/a,b=c.rom\n",
	     &p);
	laptop_facts(&f, "vfio-pci");
	f.rom[0] = (struct host_file){ .path = xstrdup("/tmp/a,b=c.rom"), .state = ACC_OK };
	plan_build(&p, &f, &pl);

	i = find_arg(&pl, "-device", "pcie-root-port");
	ck_assert_int_gt(i, 0);
	ck_assert_str_eq(pl.argv.v[i],
			 "pcie-root-port,id=rp.gpu,bus=pcie.0,addr=01.0,chassis=1,port=16,hotplug=off");
	i = find_arg(&pl, "-device", "vfio-pci");
	ck_assert_str_eq(pl.argv.v[i],
			 "vfio-pci,host=0000:01:00.0,id=hostdev.gpu.0,bus=rp.gpu,addr=00.0,"
			 "romfile=/tmp/a,,b=c.rom,x-pci-sub-vendor-id=0x1025,x-pci-sub-device-id=0x118b");
	ck_assert_int_eq(find_arg(&pl, "-device", "vfio-pci,host=0000:01:00.1"), -1); /* skipped */
	ck_assert_ptr_nonnull(find_check(&pl, CHECK_OK, "root port at 00:01.0 gives the guest bus 01"));
	ck_assert_int_gt(find_arg(&pl, "-cpu", "host,hv-relaxed=on"), 0);
	ck_assert_ptr_nonnull(
		strstr(pl.argv.v[find_arg(&pl, "-cpu", "host")], ",kvm=off,hv-vendor-id=0123456789ab"));
	ck_assert_int_gt(find_arg(&pl, "-display", "none"), 0); /* a GPU is passed */
	ck_assert(plan_ok(&pl));
	plan_free(&pl);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

/* "/" then @n - 1 bytes of deep directories with a comma in each component. */
static char *long_path(size_t n, const char *leaf)
{
	char *s = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++)
		s[i] = i % 100 == 0 ? '/' : i % 100 == 50 ? ',' : 'd';
	memcpy(s + n - strlen(leaf), leaf, strlen(leaf));
	s[n] = '\0';
	return s;
}

/* Paths past any fixed buffer reach QEMU whole, commas doubled: no truncation, no overflow. */
START_TEST(long_paths_whole)
{
	static const size_t lens[] = { 1000, PATH_MAX - 1 };

	for (size_t li = 0; li < ARRAY_SIZE(lens); li++) {
		_cleanup_free_ char *rom = long_path(lens[li], "/gpu.rom"),
				    *disk = long_path(lens[li], "/d.qcow2");
		_cleanup_free_ char *table = long_path(lens[li], "/t.aml"),
				    *run = long_path(lens[li], "/run");
		_cleanup_free_ char *erom = qemu_escape(rom), *edisk = qemu_escape(disk),
				    *etable = qemu_escape(table);
		_cleanup_free_ char *want_rom = NULL, *want_disk = NULL, *want_table = NULL,
				    *want_fwcfg = NULL;
		_cleanup_free_ char *want_qmp = NULL, *erun = qemu_escape(run);
		struct profile p;
		struct vm_facts f;
		struct plan pl;
		int i;

		load("[vm]\nmemory = 6G\n[pci gpu]\nhost = 01:00.0\nromfile = /r.rom\n"
		     "[disk system]\npath = /d.qcow2\n[acpi]\ntable = /t.aml\n[fw_cfg]\nopt/x/rom = /r.rom\n",
		     &p);
		free(p.pci[0].romfile);
		p.pci[0].romfile = xstrdup(rom);
		free(p.disk[0].path);
		p.disk[0].path = xstrdup(disk);
		free(p.acpi_tables.v[0]);
		p.acpi_tables.v[0] = xstrdup(table);
		free(p.fwcfg_files.v[0]);
		p.fwcfg_files.v[0] = xstrdup(rom);
		laptop_facts(&f, "vfio-pci");
		free(f.run_dir);
		f.run_dir = xstrdup(run);
		f.rom[0] = (struct host_file){ .path = xstrdup(rom), .state = ACC_OK };
		f.disk[0] = (struct host_file){ .path = xstrdup(disk),
						.state = ACC_OK,
						.mode = S_IFREG | 0600 };
		f.acpi[0] = (struct host_file){ .path = xstrdup(table), .state = ACC_OK };
		f.fwcfg[0] = (struct host_file){ .path = xstrdup(rom), .state = ACC_OK };
		plan_build(&p, &f, &pl);

		want_rom = xasprintf("vfio-pci,host=0000:01:00.0,id=hostdev.gpu.0,bus=rp.gpu,addr=00.0,"
				     "multifunction=on,romfile=%s",
				     erom);
		want_disk = xasprintf("file=%s,if=none,id=drive.system,format=qcow2,cache=none", edisk);
		want_table = xasprintf("file=%s", etable);
		want_fwcfg = xasprintf("name=opt/x/rom,file=%s", erom);
		want_qmp = xasprintf("socket,id=qmp,path=%s/qmp.sock,server=on,wait=off", erun);
		i = find_arg(&pl, "-device", "vfio-pci,host=0000:01:00.0");
		ck_assert_int_gt(i, 0);
		ck_assert_str_eq(pl.argv.v[i], want_rom);
		ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-drive", "file=")], want_disk);
		ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-acpitable", "file=")], want_table);
		ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-fw_cfg", "name=")], want_fwcfg);
		ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-chardev", "socket,id=qmp,")], want_qmp);
		ck_assert_ptr_nonnull(find_check(&pl, CHECK_FAIL, "a UNIX socket path holds at most 107"));
		plan_free(&pl);
		free(f.disk[0].path);
		free_facts(&f);
		profile_free(&p);
	}
}
END_TEST

START_TEST(whole_card_multifunction)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;

	load("[vm]\nmemory = 4G\n[pci gpu]\nids = 10de:1c8d\n", &p);
	laptop_facts(&f, "vfio-pci");
	plan_build(&p, &f, &pl);
	ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-device", "vfio-pci,host=0000:01:00.0")],
			 "vfio-pci,host=0000:01:00.0,id=hostdev.gpu.0,bus=rp.gpu,addr=00.0,multifunction=on");
	ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-device", "vfio-pci,host=0000:01:00.1")],
			 "vfio-pci,host=0000:01:00.1,id=hostdev.gpu.1,bus=rp.gpu,addr=00.1");
	ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-device", "pcie-root-port")],
			 "pcie-root-port,id=rp.gpu,bus=pcie.0,addr=10.0,chassis=1,port=16");
	plan_free(&pl);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

START_TEST(gpu_on_host_driver)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;
	const struct check *c;

	load("[vm]\nmemory = 16G\n[pci gpu]\nhost = 01:00.0\nskip-functions = 1\n", &p);
	laptop_facts(&f, "nvidia");
	f.host.pci.dev[3].driver = (free(f.host.pci.dev[3].driver), xstrdup("snd_hda_intel"));
	f.host.memlock = 64 << 10;
	plan_build(&p, &f, &pl);
	ck_assert(!plan_ok(&pl));
	c = find_check(&pl, CHECK_FAIL, "01:00.0 (10de:1c8d, nvidia) is bound to its host driver");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->fix, "sudo vfio-setup install --user alice --device 01:00.0, then reboot");
	/* The skipped audio function shares the group: on a host driver it breaks viability. */
	ck_assert_ptr_nonnull(find_check(&pl, CHECK_FAIL, "01:00.1 (10de:0fb9, snd_hda_intel)"));
	c = find_check(&pl, CHECK_FAIL, "memlock: limit 64K is below 17G");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->fix, "sudo vfio-setup install --user alice --memlock 17G, then log in again");
	plan_free(&pl);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

START_TEST(looking_glass_and_tables)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;

	load("[vm]\nmemory = 2G\n[looking-glass]\nresolution = 3840x2160\npath = /dev/shm/lg,x\n"
	     "[acpi]\ntable = /tmp/-lead ing.aml\n[fw_cfg]\nopt/com.lion328/nvidia-rom = /tmp/r,om\n"
	     "[qemu]\narg = -no-reboot\n",
	     &p);
	laptop_facts(&f, "vfio-pci");
	f.lg = (struct host_file){ .path = xstrdup("/dev/shm/lg,x"), .state = ACC_MISSING, .err = ENOENT };
	f.acpi[0] = (struct host_file){ .path = xstrdup("/tmp/-lead ing.aml"),
					.state = ACC_MISSING,
					.err = ENOENT };
	f.fwcfg[0] = (struct host_file){ .path = xstrdup("/tmp/r,om"), .state = ACC_MISSING, .err = ENOENT };
	plan_build(&p, &f, &pl);
	ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-object", "memory-backend-file")],
			 "memory-backend-file,id=lg-mem,mem-path=/dev/shm/lg,,x,size=128M,share=on");
	ck_assert_int_gt(find_arg(&pl, "-device", "ivshmem-plain,id=lg,memdev=lg-mem"), 0);
	ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-acpitable", "file=")], "file=/tmp/-lead ing.aml");
	ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-fw_cfg", "name=")],
			 "name=opt/com.lion328/nvidia-rom,file=/tmp/r,,om");
	ck_assert_str_eq(pl.argv.v[pl.argv.n - 1], "-no-reboot");
	/* Missing table and fw_cfg file: failures that name file:line. */
	ck_assert_ptr_nonnull(
		find_check(&pl, CHECK_FAIL, ".ini:7: [acpi] table: table '/tmp/-lead ing.aml'"));
	ck_assert_ptr_nonnull(find_check(&pl, CHECK_FAIL, ".ini:9: opt/com.lion328/nvidia-rom: fw_cfg file"));
	free(f.lg.path);
	plan_free(&pl);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

START_TEST(hugepages_short)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;
	const struct check *c;

	load("[vm]\nmemory = 16G\nhugepages = 1G\n", &p);
	laptop_facts(&f, "vfio-pci");
	f.host.n_huge = 1;
	f.host.huge[0] = (struct hugepage_pool){ .size = 1ULL << 30, .total = 4, .free = 2 };
	plan_build(&p, &f, &pl);
	c = find_check(&pl, CHECK_FAIL, "hugepages: need 16 free 1G pages for 16G, 2 free of 4");
	ck_assert_ptr_nonnull(c);
	ck_assert(startswith(c->fix,
			     "echo 18 | sudo tee /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"));
	ck_assert_str_eq(
		pl.argv.v[find_arg(&pl, "-object", "memory-backend-memfd")],
		"memory-backend-memfd,id=mem0,size=16G,share=on,hugetlb=on,hugetlbsize=1G,prealloc=on");
	plan_free(&pl);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

/* A window QEMU cannot open fails the plan: no desktop session, or no such display in QEMU. */
START_TEST(display_must_open)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;

	load("[vm]\nmemory = 1G\ndisplay = gtk\n", &p);
	laptop_facts(&f, "vfio-pci");
	f.gui_session = false;
	plan_build(&p, &f, &pl);
	ck_assert_ptr_nonnull(find_check(&pl, CHECK_FAIL, "neither DISPLAY nor WAYLAND_DISPLAY is set"));
	plan_free(&pl);
	f.gui_session = true;
	f.qemu_has_display = 0;
	plan_build(&p, &f, &pl);
	ck_assert_ptr_nonnull(find_check(&pl, CHECK_FAIL, "has no gtk display"));
	ck_assert_ptr_null(find_check(&pl, CHECK_FAIL, "DISPLAY"));
	plan_free(&pl);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

START_TEST(tcg_fallback)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;

	load("[vm]\nmemory = 1G\naccel = auto\n", &p);
	laptop_facts(&f, "vfio-pci");
	f.host.kvm.state = ACC_MISSING;
	plan_build(&p, &f, &pl);
	ck_assert_int_gt(find_arg(&pl, "-accel", "tcg"), 0);
	ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-cpu", "")], "max"); /* no hv-* under TCG */
	ck_assert_ptr_nonnull(find_check(&pl, CHECK_WARN, "falls back to TCG"));
	ck_assert(plan_ok(&pl));
	plan_free(&pl);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

/* The Pulse server as written: a socket path (bare or unix:) is expanded, tcp: passes through and
 * has no socket to check. */
START_TEST(audio_servers)
{
	static const struct {
		const char *server, *want;
	} cases[] = {
		{ "unix:/run/pulse/native", "pa,id=snd0,server=unix:/run/pulse/native" },
		{ "/run/pulse/native", "pa,id=snd0,server=unix:/run/pulse/native" },
		{ "tcp:host:4713", "pa,id=snd0,server=tcp:host:4713" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *ini = xasprintf(
			"[vm]\nmemory = 1G\n[audio]\nbackend = pulseaudio\nserver = %s\n", cases[i].server);
		struct profile p;
		struct vm_facts f;
		struct plan pl;
		int a;

		load(ini, &p);
		laptop_facts(&f, "vfio-pci");
		plan_build(&p, &f, &pl);
		a = find_arg(&pl, "-audiodev", "pa,");
		ck_assert_int_gt(a, 0);
		ck_assert_str_eq(pl.argv.v[a], cases[i].want);
		if (startswith(cases[i].server, "tcp:"))
			ck_assert_ptr_nonnull(find_check(&pl, CHECK_OK, "Pulse server tcp:host:4713"));
		plan_free(&pl);
		free_facts(&f);
		profile_free(&p);
	}
}
END_TEST

/* A disk image not made yet: check's fix is the qemu-img command that makes it; a missing block
 * device gets no such command. */
START_TEST(missing_disk_fix)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;
	const struct check *c;

	load("[vm]\nmemory = 1G\n[disk system]\npath = /home/alice/vm/new disk.qcow2\n"
	     "[disk data]\npath = /dev/sdz\n",
	     &p);
	laptop_facts(&f, "vfio-pci");
	f.disk[0] = (struct host_file){ .path = xstrdup(p.disk[0].path),
					.state = ACC_MISSING,
					.err = ENOENT };
	f.disk[1] = (struct host_file){ .path = xstrdup(p.disk[1].path),
					.state = ACC_MISSING,
					.err = ENOENT };
	plan_build(&p, &f, &pl);
	c = find_check(&pl, CHECK_FAIL, "[disk system] path");
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(c->fix);
	ck_assert(startswith(
		c->fix, "qemu-img create -f qcow2 '/home/alice/vm/new disk.qcow2' 64G  (64G: a placeholder"));
	c = find_check(&pl, CHECK_FAIL, "[disk data] path");
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(strstr(c->fix ? c->fix : "", "qemu-img"));
	plan_free(&pl);
	free(f.disk[0].path);
	free(f.disk[1].path);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

/* Fedora's descriptors give qcow2 flash images: the pflash drives say so, each its own. */
START_TEST(qcow2_firmware)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;

	load("[vm]\nmemory = 1G\nfirmware = uefi\n", &p);
	laptop_facts(&f, "vfio-pci");
	plan_build(&p, &f, &pl);
	ck_assert_int_gt(find_arg(&pl, "-drive", "if=pflash,format=raw,unit=0,"), 0);
	ck_assert_int_gt(find_arg(&pl, "-drive", "if=pflash,format=raw,unit=1,"), 0);
	plan_free(&pl);
	f.host.firmware.code_format = FLASH_QCOW2;
	plan_build(&p, &f, &pl);
	ck_assert_int_gt(find_arg(&pl, "-drive", "if=pflash,format=qcow2,unit=0,readonly=on,"), 0);
	ck_assert_int_gt(find_arg(&pl, "-drive", "if=pflash,format=raw,unit=1,"), 0);
	plan_free(&pl);
	f.host.firmware.vars_format = FLASH_QCOW2;
	plan_build(&p, &f, &pl);
	ck_assert_int_gt(find_arg(&pl, "-drive", "if=pflash,format=qcow2,unit=1,"), 0);
	plan_free(&pl);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

START_TEST(vfio_container)
{
	struct profile p, none;
	struct vm_facts f;
	struct plan pl;
	const struct check *c;

	load("[vm]\nmemory = 4G\n[pci gpu]\nhost = 01:00.0\n", &p);
	laptop_facts(&f, "vfio-pci");
	plan_build(&p, &f, &pl);
	ck_assert_ptr_nonnull(find_check(&pl, CHECK_OK, "/dev/vfio/vfio: readable and writable"));
	ck_assert(plan_ok(&pl));
	plan_free(&pl);

	/* No vfio module: the container is missing although the group node may be there. */
	f.host.vfio.state = ACC_MISSING;
	f.host.vfio.err = ENOENT;
	plan_build(&p, &f, &pl);
	ck_assert(!plan_ok(&pl));
	c = find_check(&pl, CHECK_FAIL, "/dev/vfio/vfio: missing: the vfio module is not loaded");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(
		c->fix,
		"sudo vfio-setup install --user alice --device 01:00.0, then reboot  (or for now: sudo modprobe vfio)");
	plan_free(&pl);

	f.host.vfio = (struct host_file){
		.path = f.host.vfio.path, .state = ACC_DENIED, .err = EACCES, .mode = 020600
	};
	plan_build(&p, &f, &pl);
	c = find_check(&pl, CHECK_FAIL, "/dev/vfio/vfio: Permission denied (owner 0, group 0, mode 0600)");
	ck_assert_ptr_nonnull(c);
	ck_assert(startswith(c->fix, "sudo chmod 0666 /dev/vfio/vfio"));
	plan_free(&pl);

	/* Nothing passed through: the container is none of the profile's business. */
	load("[vm]\nmemory = 4G\n", &none);
	plan_build(&none, &f, &pl);
	ck_assert_ptr_null(find_check(&pl, CHECK_FAIL, "/dev/vfio/vfio"));
	ck_assert_ptr_null(find_check(&pl, CHECK_OK, "/dev/vfio/vfio"));
	plan_free(&pl);
	profile_free(&none);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

START_TEST(aio_native_for_block_devices)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;

	/* aio = auto (the default): native for a block device with O_DIRECT (cache = none),
	 * QEMU's default (threads) for an image file, or for a block device through the page cache. */
	load("[vm]\nmemory = 2G\n[disk blk]\npath = /dev/disk/by-id/nvme-x-part4\ncache = none\n"
	     "[disk img]\npath = /tmp/x.qcow2\ncache = none\n"
	     "[disk cached]\npath = /dev/sdb\ncache = writeback\n",
	     &p);
	laptop_facts(&f, "vfio-pci");
	f.disk[0] = (struct host_file){ .path = xstrdup(p.disk[0].path),
					.state = ACC_OK,
					.mode = S_IFBLK | 0660 };
	f.disk[1] = (struct host_file){ .path = xstrdup(p.disk[1].path),
					.state = ACC_OK,
					.mode = S_IFREG | 0600 };
	f.disk[2] = (struct host_file){ .path = xstrdup(p.disk[2].path),
					.state = ACC_OK,
					.mode = S_IFBLK | 0660 };
	plan_build(&p, &f, &pl);
	ck_assert_str_eq(
		pl.argv.v[find_arg(&pl, "-drive", "file=/dev/disk/by-id/nvme-x-part4")],
		"file=/dev/disk/by-id/nvme-x-part4,if=none,id=drive.blk,format=raw,cache=none,aio=native");
	ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-drive", "file=/tmp/x.qcow2")],
			 "file=/tmp/x.qcow2,if=none,id=drive.img,format=qcow2,cache=none");
	ck_assert_str_eq(pl.argv.v[find_arg(&pl, "-drive", "file=/dev/sdb")],
			 "file=/dev/sdb,if=none,id=drive.cached,format=raw,cache=writeback");
	ck_assert(plan_ok(&pl));
	for (int i = 0; i < 3; i++)
		free(f.disk[i].path);
	plan_free(&pl);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

/* Every FAIL says what fixes it; @want lists "what" fragments, each with the fix it must carry. */
static void assert_fixes(const struct plan *pl, const char *const want[][2], size_t n)
{
	for (size_t i = 0; i < pl->n_checks; i++)
		if (pl->checks[i].level == CHECK_FAIL)
			ck_assert_msg(!strempty(pl->checks[i].fix), "no fix for: %s", pl->checks[i].what);
	for (size_t i = 0; i < n; i++) {
		const struct check *c = find_check(pl, CHECK_FAIL, want[i][0]);
		ck_assert_msg(c, "no FAIL with '%s'", want[i][0]);
		ck_assert_msg(streq(c->fix, want[i][1]), "'%s': fix '%s', expected '%s'", want[i][0], c->fix,
			      want[i][1]);
	}
}

START_TEST(every_failure_has_a_fix)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;
	static const char *const want[][2] = {
		{ "/dev/kvm: not a character device",
		  "reboot  (the kernel makes /dev/kvm anew; something else is in its place)" },
		{ "hugepages: the host has no 1G pool",
		  "hugepages = 2M in [vm]  (this CPU has no 1G pages: no pdpe1gb in /proc/cpuinfo)" },
		{ ":4: pin: the host has CPUs 0-3 only",
		  "change pin = at @:4 to CPUs within 0-3  (lscpu -e lists them)" },
		{ ":8: romfile: ROM '/tmp/gone.rom': No such file or directory",
		  "check the path at @:8, or put the ROM there" },
		{ "/dev/vfio/1: not a character device",
		  "reboot  (the kernel makes /dev/vfio/1 anew; something else is in its place)" },
		{ "[pci audio]: its root port 01.0 is taken by [pci gpu]",
		  "set root-port = auto in [pci audio]" },
		{ "[pci far]: root-port = mirror cannot give the guest bus 03",
		  "set root-port = auto in [pci far]  (or root-port = none in the sections whose ports sort before it)" },
		{ "[pci nic]: root-port = mirror needs a device behind a root port",
		  "set root-port = auto in [pci nic]" },
		{ ":20: [disk d] path: disk '/tmp/d.img': Permission denied", "sudo chown alice /tmp/d.img" },
		{ ":22: [looking-glass] path: '/dev/kvmfr0' is a regular file",
		  "sudo rm /dev/kvmfr0  (a stale file), then load kvmfr: sudo modprobe kvmfr static_size_mb=32" },
		{ ":25: [acpi] table: table '/tmp/my ssdt.aml': Permission denied",
		  "chmod u+r '/tmp/my ssdt.aml'" },
		{ ":27: opt/x: '/tmp/dir' is not a regular file",
		  "change the path at @:27 to the fw_cfg file itself" },
	};
	char fixed[ARRAY_SIZE(want)][2][256];
	const char *wants[ARRAY_SIZE(want)][2];

	load("[vm]\nmemory = 4G\nhugepages = 1G\npin = 0-3,7\ncpus = 5\n"
	     "[pci gpu]\nhost = 01:00.0\nromfile = /tmp/gone.rom\nroot-port = mirror\n"
	     "[pci audio]\nhost = 01:00.1\nroot-port = mirror\n"
	     "[pci far]\nhost = 03:00.0\nroot-port = mirror\n"
	     "[pci nic]\nhost = 00:1f.6\nroot-port = mirror\n"
	     "[disk d]\npath = /tmp/d.img\n"
	     "[looking-glass]\npath = /dev/kvmfr0\nsize = 32M\n"
	     "[acpi]\ntable = /tmp/my ssdt.aml\n"
	     "[fw_cfg]\nopt/x = /tmp/dir\n",
	     &p);
	laptop_facts(&f, "vfio-pci");
	f.host.pci.dev = xrealloc(f.host.pci.dev, 6 * sizeof(struct pci_dev_info));
	/* In address order, as pci_host_find wants them: 00:1f.6 before the GPU, 03:00.0 last. */
	f.host.pci.dev[5] = facts_dev(3, 0, 0, 0x8086, 0x1533, 0x020000, "vfio-pci", 3);
	f.host.pci.dev[5].parent = (struct pci_addr){ 0, 0, 0x1c, 0 };
	f.host.pci.dev[4] = f.host.pci.dev[3];
	f.host.pci.dev[3] = f.host.pci.dev[2];
	f.host.pci.dev[2] = facts_dev(0, 0x1f, 6, 0x8086, 0x15b8, 0x020000, "vfio-pci", 4);
	f.host.pci.n = 6;
	f.host.n_cpus = 4;
	f.host.n_huge = 1;
	f.host.huge[0] = (struct hugepage_pool){ .size = 2ULL << 20, .total = 4096, .free = 4096 };
	f.host.kvm.state = ACC_WRONG_TYPE;
	f.host.uid = 1000;
	f.vfio_group[0].state = ACC_WRONG_TYPE;
	f.vfio_group[1] = (struct host_file){ .path = xstrdup("/dev/vfio/1"), .state = ACC_OK };
	f.vfio_group[2] = (struct host_file){ .path = xstrdup("/dev/vfio/3"), .state = ACC_OK };
	f.vfio_group[3] = (struct host_file){ .path = xstrdup("/dev/vfio/4"), .state = ACC_OK };
	f.rom[0] = (struct host_file){ .path = xstrdup("/tmp/gone.rom"),
				       .state = ACC_MISSING,
				       .err = ENOENT };
	f.disk[0] = (struct host_file){
		.path = xstrdup("/tmp/d.img"), .state = ACC_DENIED, .err = EACCES, .uid = 0, .mode = 0100600
	};
	f.lg = (struct host_file){ .path = xstrdup("/dev/kvmfr0"), .state = ACC_WRONG_TYPE, .mode = 0100644 };
	f.acpi[0] = (struct host_file){ .path = xstrdup("/tmp/my ssdt.aml"),
					.state = ACC_DENIED,
					.err = EACCES,
					.uid = 1000,
					.mode = 0100200 };
	f.fwcfg[0] = (struct host_file){ .path = xstrdup("/tmp/dir"),
					 .state = ACC_WRONG_TYPE,
					 .mode = 040755 };
	plan_build(&p, &f, &pl);
	/* @ in a fix stands for the profile's file name. */
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const char *at = strchr(want[i][1], '@');
		if (at)
			snprintf(fixed[i][1], sizeof(fixed[i][1]), "%.*s%s%s", (int)(at - want[i][1]),
				 want[i][1], p.path, at + 1);
		else
			snprintf(fixed[i][1], sizeof(fixed[i][1]), "%s", want[i][1]);
		wants[i][0] = want[i][0];
		wants[i][1] = fixed[i][1];
	}
	assert_fixes(&pl, wants, ARRAY_SIZE(wants));
	for (int i = 1; i < 4; i++)
		free(f.vfio_group[i].path);
	free(f.disk[0].path);
	free(f.lg.path);
	plan_free(&pl);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

/* A fix is a command to paste: the profile path as the user typed it and a file the profile
 * names come back shell-quoted. */
START_TEST(fixes_quote_paths)
{
	struct profile p;
	struct vm_facts f;
	struct plan pl;
	const char *q = "'/home/alice/my vms/it'\\''s.ini'";
	char want[4][160];

	snprintf(want[0], sizeof(want[0]),
		 "sudo vfio-setup install --user alice --profile %s, then reboot  "
		 "(or for now: sudo modprobe vfio)",
		 q);
	snprintf(want[1], sizeof(want[1]), "sudo vfio-setup install --user alice --profile %s", q);
	snprintf(want[2], sizeof(want[2]), "sudo vfio-setup install --user alice --profile %s", q);
	snprintf(want[3], sizeof(want[3]), "sudo chown alice '/dev/shm/looking glass'");
	{
		const char *const wants[][2] = {
			{ "/dev/vfio/vfio: missing", want[0] },
			{ "[disk blk] path: block device '/dev/sdb'", want[1] },
			{ "[input] keyboard: '/dev/input/by-id/kbd'", want[2] },
			{ "[looking-glass]: /dev/shm/looking glass: Permission denied", want[3] },
		};

		/* 05:00.0 is not on the host: the container's fix names the profile, not a device. */
		load("[vm]\nmemory = 4G\n[pci gpu]\nhost = 05:00.0\n[disk blk]\npath = /dev/sdb\n"
		     "[looking-glass]\npath = /dev/shm/looking glass\nsize = 32M\n"
		     "[input]\nkeyboard = /dev/input/by-id/kbd\n",
		     &p);
		laptop_facts(&f, "vfio-pci");
		f.profile_arg = "/home/alice/my vms/it's.ini";
		f.host.vfio.state = ACC_MISSING;
		f.host.vfio.err = ENOENT;
		f.disk[0] = (struct host_file){
			.path = xstrdup("/dev/sdb"), .state = ACC_DENIED, .err = EACCES, .mode = 060660
		};
		f.lg = (struct host_file){ .path = xstrdup("/dev/shm/looking glass"),
					   .state = ACC_DENIED,
					   .err = EACCES,
					   .mode = 0100600 };
		f.evdev[0] = (struct host_file){ .path = xstrdup("/dev/input/by-id/kbd"),
						 .state = ACC_DENIED,
						 .err = EACCES,
						 .mode = 020600 };
		plan_build(&p, &f, &pl);
		assert_fixes(&pl, wants, ARRAY_SIZE(wants));
	}
	free(f.disk[0].path);
	free(f.lg.path);
	free(f.evdev[0].path);
	plan_free(&pl);
	free_facts(&f);
	profile_free(&p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, escaping);
	tcase_add_test(tc, optimus_mirror);
	tcase_add_test(tc, long_paths_whole);
	tcase_add_test(tc, whole_card_multifunction);
	tcase_add_test(tc, gpu_on_host_driver);
	tcase_add_test(tc, looking_glass_and_tables);
	tcase_add_test(tc, hugepages_short);
	tcase_add_test(tc, tcg_fallback);
	tcase_add_test(tc, display_must_open);
	tcase_add_test(tc, audio_servers);
	tcase_add_test(tc, missing_disk_fix);
	tcase_add_test(tc, qcow2_firmware);
	tcase_add_test(tc, vfio_container);
	tcase_add_test(tc, every_failure_has_a_fix);
	tcase_add_test(tc, aio_native_for_block_devices);
	tcase_add_test(tc, fixes_quote_paths);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
