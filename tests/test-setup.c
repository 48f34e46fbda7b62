// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for vfio-setup's pure parts: file hashes, unified diffs, file edits, templates, manifest. */
#include "check-main.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "edit.h"
#include "manifest.h"
#include "engine.h"
#include "template.h"
#include "diff.h"

/* The manifest's hashes are sha256sum(1)'s digests: manifests written before stay valid. */
START_TEST(hash_like_sha256sum)
{
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	char hex[SHA256_HEX_LEN];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		hash_of(true, v[i].in, strlen(v[i].in), hex);
		ck_assert_str_eq(hex, v[i].hex);
	}
	hash_of(false, NULL, 0, hex);
	ck_assert_str_eq(hex, "");
}
END_TEST

static char *diff_str(const char *a, const char *b)
{
	int fd = memfd_create("out", MFD_CLOEXEC);
	char *buf = xcalloc(1, 4096);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(show_diff(fd, "a/x", a, a ? strlen(a) : 0, "b/x", b, b ? strlen(b) : 0), 0);
	ck_assert_int_ge(pread(fd, buf, 4095, 0), 0);
	close(fd);
	return buf;
}

/* The format the pinned dry runs show: labels, /dev/null for an absent side, the C locale. */
START_TEST(diff_like_gnu)
{
	_cleanup_free_ char *same = diff_str("a\nb\n", "a\nb\n");
	_cleanup_free_ char *created = diff_str(NULL, "x\ny\n");
	_cleanup_free_ char *removed = diff_str("x\n", NULL);
	_cleanup_free_ char *mid = diff_str("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
					    "1\n2\n3\n4\n5\nsix\n7\n8\n9\n10\n11\n12\n13\n");
	_cleanup_free_ char *nonl = diff_str("a\nb", "a\nc\n");

	ck_assert_str_eq(same, "");
	ck_assert_str_eq(created, "--- /dev/null\n+++ b/x\n@@ -0,0 +1,2 @@\n+x\n+y\n");
	ck_assert_str_eq(removed, "--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n");
	ck_assert_str_eq(mid, "--- a/x\n+++ b/x\n@@ -3,10 +3,11 @@\n 3\n 4\n 5\n-6\n+six\n 7\n 8\n"
			      " 9\n 10\n 11\n 12\n+13\n");
	ck_assert_str_eq(nonl, "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of "
			       "file\n+c\n");
}
END_TEST

static struct strv words(const char *a, const char *b, const char *c)
{
	struct strv s = { 0 };
	strv_push(&s, a);
	if (b)
		strv_push(&s, b);
	if (c)
		strv_push(&s, c);
	return s;
}

START_TEST(edit_cmdlines)
{
	struct strv p = words("intel_iommu=on", "iommu=pt", NULL);
	_cleanup_free_ char *m = cmdline_merge("ro quiet intel_iommu=off splash", &p);
	_cleanup_free_ char *g1 = NULL, *g2 = NULL, *g3 = NULL, *g4 = NULL, *g5 = NULL, *k = NULL, *l = NULL,
			    *err = NULL;

	ck_assert_str_eq(m, "ro quiet intel_iommu=on splash iommu=pt");
	ck_assert_int_eq(
		edit_grub_default("A=1\nGRUB_CMDLINE_LINUX_DEFAULT='quiet' # keep\nB=2\n", &p, &g1, &err), 0);
	ck_assert_str_eq(g1, "A=1\nGRUB_CMDLINE_LINUX_DEFAULT='quiet intel_iommu=on iommu=pt' # keep\nB=2\n");
	ck_assert_int_eq(edit_grub_default("GRUB_CMDLINE_LINUX=quiet", &p, &g2, &err), 0);
	ck_assert_str_eq(g2, "GRUB_CMDLINE_LINUX=\"quiet intel_iommu=on iommu=pt\"");
	ck_assert_int_eq(edit_grub_default("GRUB_TIMEOUT=5\n", &p, &g3, &err), 0);
	ck_assert_str_eq(g3, "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"intel_iommu=on iommu=pt\"\n");
	/* sh reads "quiet"x as quietx: closing the quote after our words would glue x to them. */
	ck_assert_int_eq(edit_grub_default("GRUB_CMDLINE_LINUX=\"quiet\"x\n", &p, &g4, &err), -EINVAL);
	ck_assert_ptr_null(g4);
	ck_assert_ptr_nonnull(strstr(err, "goes on after its closing quote"));
	free(err);
	err = NULL;
	/* GRUB_CMDLINE_LINUX=2"…" is partly quoted: quoting it whole would keep a quote as a byte. */
	ck_assert_int_eq(edit_grub_default("GRUB_CMDLINE_LINUX=2\"x\"\n", &p, &g5, &err), -EINVAL);
	ck_assert_ptr_null(g5);
	ck_assert_ptr_nonnull(strstr(err, "partly quoted"));
	free(err);
	err = NULL;
	ck_assert_int_eq(edit_kernel_cmdline("root=/dev/sda1 ro\n", &p, &k, &err), 0);
	ck_assert_str_eq(k, "root=/dev/sda1 ro intel_iommu=on iommu=pt\n");
	ck_assert_int_eq(edit_loader_entry("title T\noptions  root=x rw\nlinux /v\n", &p, &l, &err), 0);
	ck_assert_str_eq(l, "title T\noptions root=x rw intel_iommu=on iommu=pt\nlinux /v\n");
	strv_clear(&p);
}
END_TEST

START_TEST(edit_module_lists)
{
	struct strv mods = words("vfio_pci", "vfio", "vfio_iommu_type1");
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *err = NULL;

	ck_assert_int_eq(edit_mkinitcpio("# c\nMODULES=(vfio btrfs)\nHOOKS=(base)\n", &mods, &a, &err), 0);
	ck_assert_str_eq(a, "# c\nMODULES=(vfio_pci vfio vfio_iommu_type1 btrfs)\nHOOKS=(base)\n");
	ck_assert_int_eq(edit_mkinitcpio("HOOKS=(base)", &mods, &b, &err), 0);
	ck_assert_str_eq(b, "HOOKS=(base)\nMODULES=(vfio_pci vfio vfio_iommu_type1)\n");
	ck_assert_int_eq(edit_mkinitcpio("MODULES=(a\nb)\n", &mods, &c, &err), -EINVAL);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_eq(edit_module_lines("dm_crypt\nvfio\n", &mods, &d, &err), 0);
	ck_assert_str_eq(d, "dm_crypt\nvfio\n# vfio-setup: vfio-pci loads early and claims the guest's "
			    "devices\nvfio_pci\nvfio_iommu_type1\n");
	ck_assert_int_eq(edit_booster("compress: zstd\nmodules_force_load: kvm, vfio\n", &mods, &e, &err), 0);
	ck_assert_str_eq(e, "compress: zstd\nmodules_force_load: kvm,vfio,vfio_pci,vfio_iommu_type1\n");
	strv_clear(&mods);
}
END_TEST

/* Found by the edit fuzzer: a quote inside an entry held a blank, or glued two words. */
START_TEST(edit_mkinitcpio_quotes)
{
	struct strv mods = words("vfio_pci", NULL, NULL);
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *err1 = NULL, *err2 = NULL, *err3 = NULL;

	ck_assert_int_eq(edit_mkinitcpio("MODULES=(a \"b c\" d)\n", &mods, &a, &err1), -EINVAL);
	ck_assert_ptr_null(a);
	ck_assert_ptr_nonnull(strstr(err1, "quote whole module names only"));
	ck_assert_int_eq(edit_mkinitcpio("MODULES=(a \"crc32c\"ont)\n", &mods, &b, &err2), -EINVAL);
	ck_assert_ptr_nonnull(err2);
	ck_assert_int_eq(edit_mkinitcpio("MODULES=(a \"crc32c\" 'x')\n", &mods, &c, &err3), 0);
	ck_assert_str_eq(c, "MODULES=(vfio_pci a \"crc32c\" 'x')\n");
	strv_clear(&mods);
}
END_TEST

START_TEST(template_render)
{
	struct tmpl_vars v = { 0 };
	_cleanup_free_ char *out = NULL, *err = NULL, *bad = NULL;
	struct strv *it;

	tmpl_set(&v, "G", "kvm");
	tmpl_set(&v, "ON", "1");
	tmpl_set(&v, "OFF", "");
	it = tmpl_add_item(&v, "usb");
	strv_push(it, "ID=046d");
	it = tmpl_add_item(&v, "usb");
	strv_push(it, "ID=1209");
	ck_assert_int_eq(tmpl_render("# {{G}}\n{{#usb}}id={{ID}} g={{G}}\n{{#none}}x\n{{?ON}}on\n"
				     "{{?OFF}}off\n",
				     &v, &out, &err),
			 0);
	ck_assert_str_eq(out, "# kvm\nid=046d g=kvm\nid=1209 g=kvm\non\n");
	ck_assert_int_eq(tmpl_render("{{NOPE}}\n", &v, &bad, &err), -EINVAL);
	free(err);
	err = NULL;
	tmpl_set(&v, "Q", "a\"b");
	ck_assert_int_eq(tmpl_render("x={{Q}}\n", &v, &bad, &err), -EINVAL);
	tmpl_vars_free(&v);
}
END_TEST

START_TEST(manifest_roundtrip)
{
	struct manifest m = { 0 }, r = { 0 };
	struct mf_file *f;
	_cleanup_free_ char *text = NULL, *text2 = NULL, *err = NULL;

	m.group = xstrdup("qemu-vm");
	m.group_state = GROUP_CREATED;
	strv_push(&m.users_added, "alice");
	strv_push(&m.params, "iommu=pt");
	strv_push(&m.dirs, "/etc/udev/rules.d");
	f = manifest_add(&m, "/etc/default/grub");
	hash_of(true, "a", 1, f->orig);
	hash_of(true, "b", 1, f->installed);
	f->mode = 0600;
	m.regen_pending = true;
	text = manifest_format(&m);
	ck_assert_int_eq(manifest_parse(text, &r, &err), 0);
	text2 = manifest_format(&r);
	ck_assert_str_eq(text, text2);
	ck_assert_uint_eq(manifest_find(&r, "/etc/default/grub")->mode, 0600);
	ck_assert(r.regen_pending);
	manifest_free(&m);
	manifest_free(&r);

	/* Every name uninstall hands to a program is checked again when the manifest is read. */
	{
		static const char *const tampered[] = {
			"group qemu-vm;reboot created\n",
			"group -r created\n",
			"group ../qemu-vm existed\n",
			"user -rf added\n",
			"user root,wheel added\n",
			"user Alice recorded\n",
			"user $(reboot) recorded\n",
			"param $(reboot)\n",
			"param a\\b\n",
			"id 10de:1b8\n",
			"id 10DE:1B81\n",
			"regen initramfs sh\n",
			"regen shell dracut\n",
			"dir /usr/bin\n",
		};
		for (size_t i = 0; i < ARRAY_SIZE(tampered); i++) {
			_cleanup_free_ char *t = xasprintf("# vfio-setup manifest\nversion 1\n%s",
							   tampered[i]);
			_cleanup_free_ char *e = NULL;
			struct manifest bad = { 0 };

			ck_assert_msg(manifest_parse(t, &bad, &e) == -EINVAL, "accepted: %s", tampered[i]);
			ck_assert_ptr_nonnull(strstr(e, "line 3: unexpected line"));
		}
	}
	{
		struct manifest good = { 0 };
		_cleanup_free_ char *e = NULL;

		ck_assert_int_eq(manifest_parse("# vfio-setup manifest\nversion 1\ngroup kvm_users "
						"existed\nuser bob added\nparam vfio-pci.ids=10de:1b81\n"
						"id 10de:1b81\nregen initramfs dracut\nregen bootloader "
						"grub\n",
						&good, &e),
				 0);
		ck_assert_str_eq(good.group, "kvm_users");
		manifest_free(&good);
	}

	ck_assert(manifest_path_ok("/etc/systemd/system/user@.service.d/50-qemu-vm-memlock.conf"));
	ck_assert(!manifest_path_ok("/etc/../root/.ssh/authorized_keys"));
	ck_assert(!manifest_path_ok("/usr/bin/sudo"));
	ck_assert(!manifest_path_ok("/etc/x y"));
	ck_assert(!manifest_path_ok("/etc/.hidden"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("setup");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, hash_like_sha256sum);
	tcase_add_test(tc, diff_like_gnu);
	tcase_add_test(tc, edit_cmdlines);
	tcase_add_test(tc, edit_module_lists);
	tcase_add_test(tc, edit_mkinitcpio_quotes);
	tcase_add_test(tc, template_render);
	tcase_add_test(tc, manifest_roundtrip);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
