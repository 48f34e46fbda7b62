// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the manifest parser. Text it accepts formats into text it accepts again, and
 * that text is a fixed point: parse → format → parse → format gives the same text twice. Text
 * it refuses comes back with a message. */
#include <stdint.h>
#include "fuzz.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_string(data, size), *err = NULL, *once = NULL, *twice = NULL;
	struct manifest m = { 0 }, again = { 0 };
	int r;

	r = manifest_parse(text, &m, &err);
	if (r < 0) {
		if (!err || !*err)
			fuzz_fail("manifest refused (%d) without a message", r);
		return 0;
	}
	if (err)
		fuzz_fail("manifest accepted with a message: %s", err);
	once = manifest_format(&m);
	r = manifest_parse(once, &again, &err);
	if (r < 0)
		fuzz_fail("manifest_format wrote what manifest_parse refuses (%s):\n%s", err, once);
	twice = manifest_format(&again);
	if (!streq(once, twice))
		fuzz_fail("the manifest does not round-trip:\n%s\n---\n%s", once, twice);
	manifest_free(&m);
	manifest_free(&again);
	return 0;
}
