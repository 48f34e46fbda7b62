// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the profile schema table: its rows, enums, hints, and the README it writes. */
#include "check-main.h"
#include <errno.h>
#include <stdlib.h>
#include "fsutil.h"
#include "profile-internal.h"

/* Applies one row to @value in a fresh profile, as the loader would; returns the error count. */
static size_t apply_one(const struct schema_key *k, const char *value, struct profile *p,
			struct profile_errors *e)
{
	struct ini_doc doc = { .file = "t.ini", .errs = e };
	struct ini_rec r = { .key = (char *)(k->key ? k->key : "opt/a"), .value = (char *)value, .line = 1 };
	struct schema_ctx c = { .doc = &doc, .p = p, .r = &r, .loc = { "t.ini", 1 } };
	void *base = schema_sections[k->section].base == BASE_PCI    ? (void *)&p->pci[0]
		     : schema_sections[k->section].base == BASE_DISK ? (void *)&p->disk[0]
								     : (void *)p;

	p->path = xstrdup("/tmp/t.ini");
	schema_apply(&c, k, base);
	ini_doc_free(&doc);
	return e->msgs.n;
}

static void reset(struct profile *p, struct profile_errors *e)
{
	for (unsigned i = 0; i < PROFILE_MAX_DEVICES; i++) {
		free(p->pci[i].romfile);
		free(p->disk[i].path);
	}
	profile_free(p);
	profile_errors_free(e);
}

START_TEST(every_example_parses)
{
	ck_assert_uint_gt(schema_n_keys, 50);
	for (size_t i = 0; i < schema_n_keys; i++) {
		const struct schema_key *k = &schema_keys[i];
		struct profile p = { 0 };
		struct profile_errors e = { 0 };

		ck_assert_msg(k->doc && k->example, "row %zu has no doc or example", i);
		if (apply_one(k, k->example, &p, &e))
			ck_abort_msg("%s: example '%s' does not parse: %s", schema_key_name(k), k->example,
				     e.msgs.v[0]);
		if (k->type == ST_ENUM)
			ck_assert_int_eq(*(int *)((char *)(k->section == SEC_PCI    ? (void *)&p.pci[0]
							   : k->section == SEC_DISK ? (void *)&p.disk[0]
										    : (void *)&p) +
						  k->off),
					 schema_enum_value(k->choices, k->example));
		reset(&p, &e);
	}
}
END_TEST

/* A row whose type checks a value must refuse one that no key takes. */
START_TEST(every_default_parses)
{
	struct profile p = { 0 };
	struct profile_errors e = { 0 };

	for (size_t i = 0; i < schema_n_keys; i++) {
		const struct schema_key *k = &schema_keys[i];

		if (!k->def || (k->type == ST_TOGGLE && streq(k->def, "auto")))
			continue;
		if (apply_one(k, k->def, &p, &e))
			ck_abort_msg("%s: default '%s' does not parse: %s", schema_key_name(k), k->def,
				     e.msgs.v[0]);
		reset(&p, &e);
	}
	/* What an empty profile and bare sections get from the table. */
	ck_assert_int_eq(
		profile_load_string("/tmp/t.ini", "[pci g]\nhost = 01:00.0\n[disk d]\npath = /x\n", &p, &e),
		0);
	ck_assert_uint_eq(p.memory, 4ULL << 30);
	ck_assert_int_eq(p.accel, ACCEL_KVM);
	ck_assert_int_eq(p.hyperv, T_ON);
	ck_assert_int_eq(p.hide_hypervisor, T_OFF);
	ck_assert_str_eq(p.qemu, "qemu-system-x86_64");
	ck_assert_uint_eq(p.qemu_loc.line, 0); /* a default has no line */
	ck_assert_str_eq(p.cpu_model, "host");
	ck_assert_int_eq(p.audio_model, AUDIO_ICH9);
	ck_assert(p.grab_all && p.repeat && p.mac_auto);
	ck_assert_int_eq(p.pci[0].rombar, T_AUTO);
	ck_assert_int_eq(p.pci[0].hotplug, T_AUTO);
	ck_assert_int_eq(p.pci[0].subids, SUBIDS_OFF);
	ck_assert_int_eq(p.disk[0].bus, DISK_VIRTIO);
	ck_assert(!p.disk[0].cdrom);
	profile_free(&p);
}
END_TEST

START_TEST(every_row_refuses_garbage)
{
	static const char *const free_text[] = { "title", "server", "table", "arg", "keyboard", "mouse" };

	for (size_t i = 0; i < schema_n_keys; i++) {
		const struct schema_key *k = &schema_keys[i];
		struct profile p = { 0 };
		struct profile_errors e = { 0 };
		bool any = k->type == ST_PATH || !k->key;

		for (size_t j = 0; j < ARRAY_SIZE(free_text); j++)
			any |= k->key && streq(k->key, free_text[j]);
		if (any)
			continue; /* a path or any text: nothing to refuse */
		ck_assert_msg(apply_one(k, "%%no such value%%", &p, &e) == 1, "%s took garbage",
			      schema_key_name(k));
		ck_assert_ptr_nonnull(strstr(e.msgs.v[0], "t.ini:1: "));
		reset(&p, &e);
	}
}
END_TEST

START_TEST(every_enum_round_trips)
{
	size_t enums = 0;

	for (size_t i = 0; i < schema_n_keys; i++) {
		const struct schema_key *k = &schema_keys[i];

		if (!k->choices)
			continue;
		enums++;
		for (size_t j = 0; j < k->choices->n; j++) {
			const struct schema_choice *ch = &k->choices->choices[j];
			struct profile p = { 0 };
			struct profile_errors e = { 0 };

			ck_assert_int_eq(schema_enum_value(k->choices, ch->name), ch->value);
			if (!ch->alias)
				ck_assert_str_eq(schema_enum_name(k->choices, ch->value), ch->name);
			else
				ck_assert_ptr_nonnull(schema_enum_name(k->choices, ch->value));
			/* The parser takes every name, aliases too. */
			ck_assert_uint_eq(apply_one(k, ch->name, &p, &e), 0);
			reset(&p, &e);
		}
		ck_assert_ptr_null(schema_enum_name(k->choices, 1000));
		ck_assert_int_eq(schema_enum_value(k->choices, "no-such-name"), -1);
	}
	ck_assert_uint_ge(enums, 18);
	/* The names plan.c hands QEMU. */
	ck_assert_str_eq(schema_enum_name(&schema_diskcache, CACHE_WRITETHROUGH), "writethrough");
	ck_assert_str_eq(schema_enum_name(&schema_diskaio, AIO_IO_URING), "io_uring");
	ck_assert_str_eq(schema_enum_name(&schema_hugepages, HUGE_1G), "1G");
	ck_assert_str_eq(schema_enum_name(&schema_audio_backend, AUDIO_PULSE), "pulseaudio");
}
END_TEST

/* Each key appears once per section, and every section has its keys. */
START_TEST(keys_unique)
{
	for (size_t i = 0; i < schema_n_keys; i++)
		for (size_t j = i + 1; j < schema_n_keys; j++)
			ck_assert_msg(schema_keys[i].section != schema_keys[j].section ||
					      !schema_keys[i].key || !schema_keys[j].key ||
					      !streq(schema_keys[i].key, schema_keys[j].key),
				      "%s twice", schema_keys[i].key);
	for (int s = 0; s < _SEC_MAX; s++) {
		bool any = false;
		for (size_t i = 0; i < schema_n_keys; i++)
			any |= schema_keys[i].section == (enum schema_section)s;
		ck_assert_msg(any, "[%s] has no keys", schema_sections[s].name);
	}
}
END_TEST

static size_t load(const char *text, struct profile *p, struct profile_errors *e)
{
	int r = profile_load_string("/tmp/t.ini", text, p, e);

	ck_assert(r == 0 || r == -EINVAL);
	ck_assert_int_eq(r == 0, e->msgs.n == 0);
	return e->msgs.n;
}

START_TEST(unknown_key_nearest_hint)
{
	struct profile p = { 0 };
	struct profile_errors e = { 0 };

	ck_assert_uint_eq(load("[vm]\nmemroy = 8G\nram = 8G\n[disk d]\npath = /x\ncahce = none\n", &p, &e),
			  3);
	ck_assert_str_eq(
		e.msgs.v[0],
		"/tmp/t.ini:2: memroy: unknown key in [vm] (did you mean 'memory'? expected title, "
		"memory, cpus, cores, threads, sockets, pin, emulator-pin, io-pin, shutdown-timeout, "
		"inhibit, hugepages, firmware, secure-boot, accel, hyperv, hide-hypervisor, hv-vendor-id, qemu, cpu, "
		"display, console)");
	/* Nothing near: the list alone. */
	ck_assert_ptr_nonnull(strstr(e.msgs.v[1], ":3: ram: unknown key in [vm] (expected title,"));
	ck_assert_ptr_nonnull(strstr(e.msgs.v[2],
				     ":6: cahce: unknown key in [disk d] (did you mean 'cache'? "
				     "expected path, bus, cache, aio, format, readonly, discard, media)"));
	profile_errors_free(&e);
	ck_assert_str_eq(schema_nearest(SEC_VM, "hugepage"), "hugepages");
	ck_assert_str_eq(schema_nearest(SEC_QEMU, "args"), "arg");
	ck_assert_ptr_null(schema_nearest(SEC_VM, "ram"));
	ck_assert_ptr_null(schema_nearest(SEC_USB, "host"));
}
END_TEST

/* Every key that may not repeat is refused the second time, at the second line; the ones that
 * repeat are taken twice. */
START_TEST(duplicate_key)
{
	for (size_t i = 0; i < schema_n_keys; i++) {
		const struct schema_key *k = &schema_keys[i];
		const struct schema_section_def *s = &schema_sections[k->section];
		const char *key = k->key ? k->key : "opt/a";
		_cleanup_free_ char *text = xasprintf("[%s%s]\n%s = %s\n%s = %s\n", s->name,
						      s->named ? " x" : "", key, k->example, key, k->example);
		_cleanup_free_ char *want = xasprintf(
			"/tmp/t.ini:3: %s: set again; it was already set on line 2 "
			"(only device, port, keyboard, mouse, table and arg may repeat)",
			key);
		struct profile p = { 0 };
		struct profile_errors e = { 0 };
		bool found = false;

		load(text, &p, &e);
		for (size_t j = 0; j < e.msgs.n; j++) {
			found |= streq(e.msgs.v[j], want);
			ck_assert_msg(!strstr(e.msgs.v[j], ":3:") || streq(e.msgs.v[j], want) || k->repeat,
				      "%s: %s", key, e.msgs.v[j]);
		}
		ck_assert_msg(found != k->repeat, "%s: repeat is %d, errors: %zu", key, k->repeat, e.msgs.n);
		profile_free(&p);
		profile_errors_free(&e);
	}
}
END_TEST

START_TEST(control_bytes)
{
	struct profile p = { 0 };
	struct profile_errors e = { 0 };

	ck_assert_uint_eq(load("[vm]\ntitle = a\tb\n", &p, &e), 0);
	ck_assert_str_eq(p.title, "a\tb");
	profile_free(&p);
	ck_assert_uint_eq(load("[vm]\ntitle = a\033]0;x\007\ncpu = h\177\n[in\033put]\nk\033 = v\n", &p, &e),
			  3);
	ck_assert_str_eq(e.msgs.v[0], "/tmp/t.ini:2: title: expected a value without control characters, "
				      "got 'a\\x1b]0;x\\x07'");
	ck_assert_ptr_nonnull(
		strstr(e.msgs.v[1], ":3: cpu: expected a value without control characters, got 'h\\x7f'"));
	ck_assert_ptr_nonnull(strstr(e.msgs.v[2], ":4: [in\\x1bput]: unknown section"));
	for (size_t i = 0; i < e.msgs.n; i++)
		for (const char *t = e.msgs.v[i]; *t; t++)
			ck_assert_msg((unsigned char)*t >= 0x20 && *t != 0x7f, "raw control byte in '%s'",
				      e.msgs.v[i]);
	profile_errors_free(&e);
}
END_TEST

START_TEST(load_string)
{
	struct profile p = { 0 };
	struct profile_errors e = { 0 };

	ck_assert_uint_eq(load("", &p, &e), 0);
	ck_assert_str_eq(p.name, "t");
	ck_assert_uint_eq(p.memory, 4ULL << 30);
	profile_free(&p);
	ck_assert_uint_eq(load("[disk d]\npath = img.raw\n", &p, &e), 0);
	ck_assert_str_eq(p.disk[0].path, "/tmp/img.raw"); /* relative to the profile's directory */
	profile_free(&p);
}
END_TEST

/* README.md's key reference is what make keyref writes from the table. */
START_TEST(readme_agrees)
{
	_cleanup_free_ char *readme = NULL, *want = NULL;
	size_t want_len = 0, readme_len;
	FILE *f = open_memstream(&want, &want_len);
	const char *start, *end;

	/* The whole file: README.md outgrew read_small_file's 64 KiB. */
	ck_assert_int_eq(read_file_full("README.md", &readme, &readme_len), 0);
	schema_write_markdown(f);
	fclose(f);
	start = strstr(readme, "\n<!-- keyref start");
	ck_assert_msg(start, "README.md has no '<!-- keyref start' marker");
	start = strchr(start + 1, '\n') + 1;
	end = strstr(start, "<!-- keyref end");
	ck_assert_msg(end, "README.md has no '<!-- keyref end' marker");
	ck_assert_msg(strlen(want) == (size_t)(end - start) && !strncmp(start, want, want_len),
		      "README.md's key reference differs from the schema table: run make keyref");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, every_example_parses);
	tcase_add_test(tc, every_default_parses);
	tcase_add_test(tc, every_row_refuses_garbage);
	tcase_add_test(tc, every_enum_round_trips);
	tcase_add_test(tc, keys_unique);
	tcase_add_test(tc, unknown_key_nearest_hint);
	tcase_add_test(tc, duplicate_key);
	tcase_add_test(tc, control_bytes);
	tcase_add_test(tc, load_string);
	tcase_add_test(tc, readme_agrees);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
