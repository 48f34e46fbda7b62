/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the profile's own files share: applying a schema row to one record, and small helpers. */
#pragma once

#include "profile-ini.h"
#include "profile-schema.h"

/* What one value is checked against: the record, where it goes, where errors go. */
struct schema_ctx {
	struct ini_doc *doc;
	struct profile *p;
	const struct ini_rec *r;
	struct loc loc;
};

/* Parses c->r's value by @k into the section's struct at @base. Errors go to c->doc. */
void schema_apply(struct schema_ctx *c, const struct schema_key *k, void *base);

/* The parsers of ST_CUSTOM rows (profile-apply.c). With off 0 they get the section's struct. */
void parse_qemu(struct schema_ctx *c, void *dst);
void parse_subids(struct schema_ctx *c, void *dst);
void parse_skip_functions(struct schema_ctx *c, void *dst);
void parse_media(struct schema_ctx *c, void *dst);
void parse_resolution(struct schema_ctx *c, void *dst);
void parse_server(struct schema_ctx *c, void *dst);
void parse_usb_device(struct schema_ctx *c, void *dst);
void parse_usb_port_key(struct schema_ctx *c, void *dst);
void parse_grab_toggle(struct schema_ctx *c, void *dst);
void parse_mac_key(struct schema_ctx *c, void *dst);
void parse_acpi_table(struct schema_ctx *c, void *dst);
void parse_evdev(struct schema_ctx *c, void *dst);
void parse_id16(struct schema_ctx *c, void *dst);
void parse_fwcfg(struct schema_ctx *c, void *dst);
void parse_qemu_arg(struct schema_ctx *c, void *dst);

/* Shared inside the profile code. */
_printf_(2, 3) void schema_bad(struct schema_ctx *c, const char *fmt, ...);
bool valid_device_name(const char *s);
/* $VAR when it is absolute, else $HOME/@home_suffix (NULL: none); allocated, or NULL. */
char *xdg_dir(const char *var, const char *home_suffix);
