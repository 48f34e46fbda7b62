/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM's copy of the UEFI vars, and the record of the firmware it was made for. */
#pragma once

#include "host.h"

enum vars_state {
	VARS_NEW, /* no copy yet: run copies the template */
	VARS_OURS, /* made for this firmware (its record says so) */
	VARS_UNRECORDED, /* no record (made before records were kept): kept unless the firmware has
			  * Secure Boot, which no copy without a record was made for */
	VARS_FOREIGN, /* made for another firmware: run keeps it aside and copies afresh */
};

/* The record beside the copy: VARS_PATH.firmware. */
char *vars_record_path(const char *vars_path);

/* What the copy at @vars_path is to the firmware @fw; for VARS_FOREIGN the executable it was
 * made for in *@ret_made_for (malloc'd). Reads only. */
enum vars_state vars_inspect(const char *vars_path, const struct firmware_pair *fw, char **ret_made_for);

/* Makes the copy at @vars_path fit for @fw as @state says: a foreign copy and its record are
 * renamed to VARS_PATH.YYYYmmdd-HHMMSS (its path in *@ret_aside), then the template (under
 * @root) is copied and the record written. 0 or -errno with the reason in *@ret_error. */
int vars_prepare(const char *root, const char *vars_path, const struct firmware_pair *fw,
		 enum vars_state state, char **ret_aside, char **ret_error);
