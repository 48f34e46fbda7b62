// SPDX-License-Identifier: GPL-2.0-or-later
/* Prints the profile key reference from the schema table: markdown for README.md (make keyref),
 * scdoc for the KEYS section of qemu-vm.ini(5). */
#include <stdio.h>
#include "profile-schema.h"

/* scdoc reads * and _ as emphasis, and \ as an escape; a `literal` (the schema's markdown) is
 * set in bold. */
static void put_scdoc(const char *s)
{
	for (; *s; s++) {
		if (*s == '`') {
			putchar('*');
			continue;
		}
		if (*s == '*' || *s == '_' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
}

static void write_scdoc(void)
{
	for (int sec = 0; sec < _SEC_MAX; sec++) {
		const struct schema_section_def *d = &schema_sections[sec];

		printf("## [");
		put_scdoc(d->name);
		printf("%s]\n\n", d->named ? " NAME" : "");
		if (d->doc) {
			put_scdoc(d->doc);
			printf("%s\n\n", d->named ? ". The section may repeat, one per NAME." : "");
		}
		for (size_t i = 0; i < schema_n_keys; i++) {
			const struct schema_key *k = &schema_keys[i];
			_cleanup_free_ char *value = NULL;

			if ((int)k->section != sec)
				continue;
			value = schema_value_text(k);
			printf("*");
			put_scdoc(schema_key_name(k));
			printf("* = ");
			put_scdoc(value ? value : "VALUE");
			printf("%s\n", k->repeat ? " (repeatable: each line adds one)" : "");
			if (k->doc) {
				printf("\t");
				put_scdoc(k->doc);
				printf("%s\n", k->example ? " ++" : ""); /* ++: a line break */
			}
			if (k->example) {
				printf("\tExample: *");
				put_scdoc(schema_key_name(k));
				printf(" = ");
				put_scdoc(k->example);
				printf("*\n");
			}
			printf("\n");
		}
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && streq(argv[1], "markdown"))
		schema_write_markdown(stdout);
	else if (argc == 2 && streq(argv[1], "scdoc"))
		write_scdoc();
	else {
		fprintf(stderr, "usage: schema-doc markdown|scdoc\n");
		return 2;
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
