/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The manifest in /var/lib/vfio-setup: every file install created or edited, with hashes. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <sha2.h>
#include "strv.h"

#define MANIFEST_MAX_FILES 256
/* A SHA-256 digest in lowercase hex (libmd), as sha256sum(1) prints it, with its NUL. */
#define SHA256_HEX_LEN SHA256_DIGEST_STRING_LENGTH

enum group_state { GROUP_NONE, GROUP_CREATED, GROUP_EXISTED, GROUP_RECORDED };

struct mf_file {
	char *path; /* root-relative, absolute */
	char orig[SHA256_HEX_LEN]; /* "" when the file did not exist before install */
	char installed[SHA256_HEX_LEN]; /* "" when install removes it (only while changing) */
	char alt[SHA256_HEX_LEN]; /* a previous install's content, while an install runs */
	mode_t mode; /* of the original, or of the created file */
	uid_t uid;
	gid_t gid;
};

struct manifest {
	char *group;
	enum group_state group_state;
	struct strv users_added; /* added to the group by install */
	struct strv users_recorded; /* would have been added (--root without a user database) */
	struct strv params; /* kernel command line words install added */
	struct strv ids; /* vfio-pci IDs */
	struct strv regen; /* "initramfs NAME", "bootloader NAME": rerun on uninstall */
	bool regen_pending; /* written before the regen programs run, cleared after: a
				     * run killed in between is finished by the next one */
	struct strv dirs; /* directories install created, in creation order: under
				     * /etc, /boot, /efi, and those above SETUP_STATE_DIR */
	struct mf_file files[MANIFEST_MAX_FILES];
	size_t n_files;
};

/* Parses a manifest's text: 0, or -EINVAL with a message for a damaged one. */
int manifest_parse(const char *text, struct manifest *ret, char **ret_error);
char *manifest_format(const struct manifest *m);
void manifest_free(struct manifest *m);
struct mf_file *manifest_find(struct manifest *m, const char *path);
struct mf_file *manifest_add(struct manifest *m, const char *path);

/* A path vfio-setup may touch: absolute, under /etc, /boot or /efi, no ".." or odd bytes. */
bool manifest_path_ok(const char *path);
