// SPDX-License-Identifier: GPL-2.0-or-later
/* Writes the profile key reference from the schema table (the README's; a man page later). */
#include "profile-schema.h"

/* What a key takes, in words: "one of `off`, `2M`, `1G`", "size, 128M to 4T"; else its expect. */
char *schema_value_text(const struct schema_key *k)
{
	char lo[32], hi[32], al[32];

	format_size(k->min, lo, sizeof(lo));
	format_size(k->max, hi, sizeof(hi));
	format_size(k->align, al, sizeof(al));
	if (k->choices) {
		struct strv names = { 0 };
		_cleanup_free_ char *list = NULL;

		for (size_t i = 0; i < k->choices->n; i++)
			if (!k->choices->choices[i].alias)
				strv_pushf(&names, "`%s`", k->choices->choices[i].name);
		list = strv_join_list(&names, ", ");
		strv_clear(&names);
		return xasprintf("one of %s", list);
	}
	switch (k->type) {
	case ST_TEXT:
	case ST_CPULIST:
	case ST_ENUM:
	case ST_CUSTOM:
		break;
	case ST_UINT:
		return xasprintf("number, %u to %u", (unsigned)k->min, (unsigned)k->max);
	case ST_SIZE:
		return xasprintf("%s, %s to %s%s%s", k->pow2 ? "size, a power of two" : "size", lo, hi,
				 k->align ? ", a multiple of " : "", k->align ? al : "");
	case ST_PCI_ADDR:
		return xstrdup("PCI address like 01:00.0");
	case ST_PCI_ID:
		return xstrdup("vendor:device");
	case ST_BOOL:
	case ST_TOGGLE:
		return xstrdup("`on` or `off`");
	case ST_PATH:
		return xstrdup("path");
	}
	return xstrdup(k->expect);
}

const char *schema_key_name(const struct schema_key *k)
{
	return k->key ? k->key : "opt/NAME";
}

/* A table cell: a '|' would end it. */
static void cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', out);
		fputc(*s, out);
	}
}

void schema_write_markdown(FILE *out)
{
	fprintf(out, "| section | key | value | default | what it does | example |\n");
	fprintf(out, "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < schema_n_keys; i++) {
		const struct schema_key *k = &schema_keys[i];
		const struct schema_section_def *s = &schema_sections[k->section];
		_cleanup_free_ char *value = schema_value_text(k);

		fprintf(out, "| `[%s%s]` | `%s`%s | ", s->name, s->named ? " NAME" : "", schema_key_name(k),
			k->repeat ? " (repeats)" : "");
		cell(out, value);
		if (k->def) {
			fputs(" | `", out);
			cell(out, k->def);
			fputs("` | ", out);
		} else
			fputs(" | | ", out);
		cell(out, k->doc);
		fputs(" | `", out);
		cell(out, k->example);
		fputs("` |\n", out);
	}
}
