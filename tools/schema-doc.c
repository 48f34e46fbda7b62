// SPDX-License-Identifier: GPL-2.0-or-later
/* Prints the profile key reference from the schema table (make keyref puts it in README.md). */
#include <stdio.h>
#include "profile-schema.h"

int main(int argc, char **argv)
{
	if (argc == 2 && streq(argv[1], "markdown")) {
		schema_write_markdown(stdout);
		return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	}
	fprintf(stderr, "usage: schema-doc markdown\n");
	return 2;
}
