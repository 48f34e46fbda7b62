// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: profile text → profile_load_string() → plan_build() on the hand-made laptop of
 * the plan tests. Every option word the plan builds must split, by QEMU's rules, into exactly
 * the elements the builder appended: a value never opens a key of its own. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "fuzz.h"
#include "plan-facts.h"
#include "plan.h"
#include "qopt.h"

/* The options qopt built during one plan_build(), with the names of their elements. */
static struct strv traced_opts;
static struct strv traced_names[4096];

static void trace(const char *opt, const struct strv *names)
{
	size_t i = traced_opts.n;

	if (i >= ARRAY_SIZE(traced_names))
		fuzz_fail("more than %zu options in one plan", ARRAY_SIZE(traced_names));
	strv_push(&traced_opts, opt);
	traced_names[i] = (struct strv){ 0 };
	for (size_t k = 0; k < names->n; k++)
		strv_push(&traced_names[i], names->v[k]);
}

static void trace_clear(void)
{
	for (size_t i = 0; i < traced_opts.n; i++)
		strv_clear(&traced_names[i]);
	strv_clear(&traced_opts);
}

/* Past a value at @p: to the comma that ends it ("," alone), or to the end. */
static const char *skip_value(const char *p)
{
	for (;;) {
		p += strcspn(p, ",");
		if (p[0] == ',' && p[1] == ',')
			p += 2;
		else
			return p;
	}
}

/* The element names QEMU's option parser (QemuOpts: opts_do_parse, get_opt_name_value) reads
 * from @s: up to the first '=' or ',' is a name; a '=' starts a value in which ",," is a
 * literal comma and "," ends it; no '=' makes the element a flag, or, for the first element
 * of an option with an implied key, that key's value (named "" here). */
static void qemu_split(const char *s, bool implied_first, struct strv *ret)
{
	bool first = true;

	for (const char *p = s; *p;) {
		size_t len = strcspn(p, "=,");

		if (p[len] != '=' && first && implied_first) {
			strv_push(ret, "");
			p = skip_value(p);
		} else if (p[len] != '=') {
			strv_pushf(ret, "%.*s", (int)len, p);
			p += len;
		} else {
			strv_pushf(ret, "%.*s", (int)len, p);
			p = skip_value(p + len + 1);
		}
		first = false;
		if (*p)
			p++;
	}
}

/* Words the plan writes as literals after an option: whole, they hold a ',' or '='. */
static bool known_literal(const char *s)
{
	static const char *const lit[] = {
		"VGA,id=vga0",
		"virtio-vga,id=vga0",
		"virtio-serial-pci,id=vser0",
		"spicevmc,id=vdagent,name=vdagent",
		"virtserialport,bus=vser0.0,chardev=vdagent,name=com.redhat.spice.0",
		"mon:stdio",
		"ivshmem-plain,id=lg,memdev=lg-mem",
		"pipewire,id=snd0",
		"ich9-intel-hda,id=sound0",
		"intel-hda,id=sound0",
		"hda-duplex,id=sound0-codec0,bus=sound0.0,cad=0,audiodev=snd0",
		"qemu-xhci,id=xhci,p2=15,p3=15",
		"base=localtime",
		"ICH9-LPC.disable_s3=1",
		"ICH9-LPC.disable_s4=1",
		"driver=cfi.pflash01,property=secure,value=on",
	};

	for (size_t i = 0; i < ARRAY_SIZE(lit); i++)
		if (streq(s, lit[i]))
			return true;
	return !strpbrk(s, ",=");
}

static void check_option(const char *flag, const char *word, size_t *next_trace)
{
	_cleanup_(strv_clear) struct strv got = { 0 };
	const struct strv *want;
	size_t t;

	for (t = *next_trace; t < traced_opts.n; t++)
		if (streq(traced_opts.v[t], word))
			break;
	if (t == traced_opts.n) {
		if (!known_literal(word))
			fuzz_fail("%s '%s': not built by qopt, and not a known literal", flag, word);
		return;
	}
	*next_trace = t + 1;
	want = &traced_names[t];
	/* -cpu is split by the CPU model's own parser, on every comma: ",," cannot escape one. */
	if (streq(flag, "-cpu") && strstr(word, ",,"))
		fuzz_fail("-cpu '%s': a comma in a value, which -cpu cannot escape", word);
	qemu_split(word, want->n && streq(want->v[0], ""), &got);
	if (got.n != want->n)
		fuzz_fail("%s '%s': QEMU reads %zu elements, the plan appended %zu", flag, word, got.n,
			  want->n);
	for (size_t i = 0; i < got.n; i++)
		if (!streq(got.v[i], want->v[i]))
			fuzz_fail("%s '%s': element %zu reads as '%s', the plan meant '%s'", flag, word, i,
				  got.v[i], want->v[i]);
}

static void file_ok(struct host_file *hf, const char *path)
{
	free(hf->path);
	*hf = (struct host_file){ .path = xstrdup(path), .state = ACC_OK };
}

/* What inspect() adds for the profile's own files: here every one is there and readable. */
static void profile_facts(const struct profile *p, struct vm_facts *f)
{
	for (unsigned i = 0; i < p->n_pci; i++) {
		const struct pci_section *s = &p->pci[i];
		const struct pci_dev_info *d = s->has_host ? pci_host_find(&f->host.pci, &s->host)
							   : pci_host_find_id(&f->host.pci, &s->ids);

		if (d && d->iommu_group >= 0) {
			_cleanup_free_ char *node = xasprintf("/dev/vfio/%d", d->iommu_group);

			file_ok(&f->vfio_group[i], node);
		}
		if (s->romfile)
			file_ok(&f->rom[i], s->romfile);
	}
	for (unsigned i = 0; i < p->n_disk; i++)
		file_ok(&f->disk[i], p->disk[i].path);
	for (size_t i = 0; i < p->acpi_tables.n; i++)
		file_ok(&f->acpi[i], p->acpi_tables.v[i]);
	for (size_t i = 0; i < p->fwcfg_files.n; i++)
		file_ok(&f->fwcfg[i], p->fwcfg_files.v[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_string(data, size);
	struct profile_errors errs = { 0 };
	struct profile p;
	struct vm_facts f;
	struct plan pl;
	size_t next = 0;

	qopt_trace = trace;
	if (profile_load_string("/home/alice/.config/qemu-vm/fuzz.ini", text, &p, &errs) < 0) {
		if (errs.msgs.n == 0 && size <= PROFILE_MAX_FILE)
			fuzz_fail("profile refused without a message");
		profile_errors_free(&errs);
		return 0;
	}
	profile_errors_free(&errs);
	laptop_facts(&f, "vfio-pci");
	profile_facts(&p, &f);
	plan_build(&p, &f, &pl);
	/* argv[0] is QEMU; [qemu] args come last, as the user wrote them. */
	for (size_t i = 1; i + 1 < pl.argv.n - p.extra_args.n; i++) {
		const char *flag = pl.argv.v[i];

		if (flag[0] != '-')
			fuzz_fail("argv word %zu '%s': where an option was expected", i, flag);
		if (streq(flag, "-nodefaults") || streq(flag, "-no-user-config") || streq(flag, "-S"))
			continue;
		check_option(flag, pl.argv.v[++i], &next);
	}
	trace_clear();
	plan_free(&pl);
	for (int i = 1; i < PROFILE_MAX_DEVICES; i++)
		free(f.vfio_group[i].path);
	for (int i = 0; i < PROFILE_MAX_DEVICES; i++)
		free(f.disk[i].path);
	free_facts(&f);
	profile_free(&p);
	return 0;
}
