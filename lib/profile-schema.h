/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The profile schema as data: every section and key, its parser, limits and documentation. */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include "profile.h"

enum schema_section {
	SEC_VM,
	SEC_PCI,
	SEC_DISK,
	SEC_LG,
	SEC_SCREAM,
	SEC_AUDIO,
	SEC_USB,
	SEC_INPUT,
	SEC_NETWORK,
	SEC_ACPI,
	SEC_FWCFG,
	SEC_QEMU,
	SEC_TPM,
	_SEC_MAX,
};

/* Where a section's keys land: struct profile, or one struct pci_section / disk_section. */
enum schema_base { BASE_PROFILE, BASE_PCI, BASE_DISK };

struct schema_section_def {
	const char *name;
	bool named; /* [pci NAME] may repeat; the others appear once */
	enum schema_base base;
	const char *doc;
};

/* One allowed value of an enum key. An alias is accepted but never listed or printed. */
struct schema_choice {
	const char *name;
	int value;
	bool alias;
};

struct schema_enum {
	const struct schema_choice *choices;
	size_t n;
};

enum schema_type {
	ST_TEXT, /* a string of min..max bytes, from charset when set */
	ST_UINT, /* a whole number min..max */
	ST_SIZE, /* 16G: min..max, a multiple of align, or a power of two with pow2 */
	ST_CPULIST, /* 2-5,8-11 into struct cpuset */
	ST_PCI_ADDR, /* 01:00.0, or 01:00 for function 0, into struct pci_addr */
	ST_PCI_ID, /* 10de:1b81 into struct pci_id */
	ST_BOOL, /* on/off into bool */
	ST_TOGGLE, /* on/off into enum toggle3, whose default may be auto */
	ST_ENUM, /* one of choices, into an enum */
	ST_PATH, /* ~ and $XDG_* expanded, made absolute, into a malloc'd char * */
	ST_CUSTOM, /* parse() does it all */
};

struct schema_ctx;

struct schema_key {
	enum schema_section section;
	const char *key; /* NULL: any key (fw_cfg's opt/NAME) */
	enum schema_type type;
	size_t off; /* where the value goes, in the section's struct */
	size_t loc_off; /* a struct loc set to the key's line; 0: none */
	size_t has_off; /* a bool set once the value parsed; 0: none */
	uint64_t min, max, align;
	bool pow2;
	const char *charset; /* ST_TEXT */
	const struct schema_enum *choices; /* ST_ENUM */
	void (*parse)(struct schema_ctx *c, void *dst); /* ST_CUSTOM */
	bool repeat; /* another line means another one, not "set again" */
	/* The default, as a profile would write it (ST_TOGGLE: also "auto"); NULL: zero, or set
	 * by a rule across keys (the doc says which). */
	const char *def;
	const char *expect; /* what a bad value was expected to be: "a size like 16G or 512M" */
	const char *why; /* appended to a limit error: "(ivshmem needs one)" */
	const char *doc; /* one line, for the README, the man page, completion */
	const char *example;
};

extern const struct schema_section_def schema_sections[_SEC_MAX];
extern const struct schema_key schema_keys[];
extern const size_t schema_n_keys;

/* The enums plan.c and the docs print by name. */
extern const struct schema_enum schema_hugepages, schema_firmware, schema_accel, schema_display,
	schema_console, schema_inhibit, schema_rootport, schema_diskbus, schema_diskcache, schema_diskaio,
	schema_diskformat, schema_audio_backend, schema_audio_model, schema_missing, schema_pointer,
	schema_netmode, schema_netmodel, schema_media, schema_grab_toggle, schema_tpm_version;

/* The name of @value in @e (never an alias); NULL when it has none. */
const char *schema_enum_name(const struct schema_enum *e, int value);
/* The value named @name (aliases included); -1 when none. */
int schema_enum_value(const struct schema_enum *e, const char *name);

/* The row for @key in @section: the exact key, else the any-key row; NULL when unknown. */
const struct schema_key *schema_find(enum schema_section section, const char *key);
/* The known key in @section nearest to @key by edit distance, when close enough to be a typo. */
const char *schema_nearest(enum schema_section section, const char *key);

/* Renders the key reference as a markdown table (the README's). */
void schema_write_markdown(FILE *out);

/* For the docs: what @k takes, in words (malloc'd), and its name ("opt/NAME" for any key). */
char *schema_value_text(const struct schema_key *k);
const char *schema_key_name(const struct schema_key *k);
