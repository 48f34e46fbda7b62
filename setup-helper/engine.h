/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The change engine shared by install, uninstall and status, and the state directory's upkeep. */
#pragma once

#include <sys/types.h>
#include "install-plan.h"
#include "manifest.h"

struct change {
	const struct target *t; /* NULL: an entry of an earlier install no longer wanted */
	char *path;
	struct mf_file *mf; /* the earlier install's entry, or NULL */
	bool now_exists, orig_exists, want_exists;
	char *now, *orig, *want;
	size_t now_len, orig_len, want_len;
	char now_hash[SHA256_HEX_LEN], orig_hash[SHA256_HEX_LEN], want_hash[SHA256_HEX_LEN];
	mode_t omode, wmode;
	uid_t ouid, wuid;
	gid_t ogid, wgid;
	bool backed_up; /* a backup with orig_hash is already stored */
};

struct engine {
	const struct setup_opts *o;
	int root_fd; /* every path below is resolved beneath it, symlinks refused */
	int lock_fd; /* the host's lock file, or -1 */
	struct setup_facts f;
	struct manifest old;
	bool have_old;
	char *old_text;
	struct change *ch;
	size_t n, n_alloc;
};

/* Root-relative path in the state directory: SETUP_STATE_DIR SUB PATH. */
char *state_path(const char *sub, const char *path);

/* Reads the host facts and the manifest; the engine is to be freed whatever this returns. */
int engine_init(struct engine *e, const struct setup_opts *o);
void engine_free(struct engine *e);
/* A new zeroed change at the end of e->ch (earlier pointers into e->ch become invalid). */
struct change *engine_add(struct engine *e);

/* Refuses @rel when it, or a directory on the way to it, is a symlink or not what it should
 * be (@type: S_IFREG or S_IFDIR); a missing @rel is fine. Nothing is written before these. */
int check_path(const struct engine *e, const char *rel, mode_t type);
/* The manifest's hash of a file's content: SHA-256 in hex, "" for an absent file. */
void hash_of(bool exists, const char *data, size_t len, char out[SHA256_HEX_LEN]);
/* Reads the target's current state; a symlink or anything but a regular file is refused. */
int load_now(struct engine *e, struct change *c);
/* The content before the first install: the backup, or the file itself when it still is. */
int load_orig(struct engine *e, struct change *c);
/* Changed by hand since the install that recorded it. */
bool drifted(const struct change *c);
bool change_needed(const struct change *c);

/* Every write goes through here (@rel beneath the root): the crash tests count them. */
int put_file(const struct engine *e, const char *rel, bool exists, const char *data, size_t len, mode_t mode,
	     uid_t uid, gid_t gid);
/* --force over a file changed by hand: its current content is kept next to it as
 * NAME.vfio-setup-old (a suffix none of the directories' readers picks up), and said. */
#define KEPT_SUFFIX ".vfio-setup-old"
int keep_user_version(const struct engine *e, const struct change *c);
/* Writes (or removes) c->path as c->want says, keeping a user's version first; logs failures. */
int put_change(const struct engine *e, const struct change *c);
/* Writes @text as the manifest of an existing state directory; logs failures. */
int put_manifest(const struct engine *e, const char *text);
/* A copy in the state directory's @sub (/orig, /new). */
int put_state(const struct engine *e, const char *sub, const char *path, const char *data, size_t len);
void print_diff(const char *path, const char *a, size_t alen, const char *b, size_t blen);
/* Missing parent directories of @path, outermost first, root-relative, appended to @ret. */
void missing_dirs(const struct engine *e, const char *path, struct strv *ret);

/* The state directory (state.c). */
/* Removes the files and directories under @rel (root-relative), and @rel itself with @self. */
void remove_tree(const struct engine *e, const char *rel, bool self);
/* Removes SUB of the state directory (/orig, /new) with all it holds. */
void remove_state_tree(const struct engine *e, const char *sub);
/* Removes what a crash left of put_first_manifest(). */
void remove_stale_tmp(const struct engine *e);
/* Removes what a write killed between its temporary file and the rename left next to @rel:
 * regular files ".BASE." and 12 hex digits, the names write_file_beneath() gives them. */
void remove_stale_temps(const struct engine *e, const char *rel);
/* The same for the manifest and every file of e->ch, and their copies in the state directory. */
void remove_stale_temps_of(const struct engine *e);
/* Writes @text as the manifest, making the state directory with it when missing. */
int put_first_manifest(const struct engine *e, const char *text);

/* Accounts (accounts.c). */
bool user_in_group(const struct setup_opts *o, const char *user, const char *group);
/* Group and membership tools act on the host, or on --root with their own --root when run as
 * root on a tree that has a user database; otherwise the step is recorded and said. */
bool can_run_account_tools(const struct setup_opts *o);
/* groupadd, usermod, gpasswd, groupdel with @args, given --root when there is one. */
int run_account_tool(const struct setup_opts *o, const char *const *args);

/* GRUB (grub-check.c): sources @before and @after with sh as grub-mkconfig does; 0 when every
 * kernel command line word of @before is still there (but those @params replace by key) and
 * every one of @params is; else -EINVAL and why in *@ret_error. */
int grub_check_edit(const char *before, const char *after, const struct strv *params, char **ret_error);

/* Regeneration (regen.c): printed instead of run under --root and in a dry run. */
void regen_commands(const struct setup_opts *o, const char *initramfs, const char *bootloader,
		    const char *grub_mkconfig, const struct setup_facts *f, bool dry_run, int *ret_failed);
void udev_reload(const struct setup_opts *o, bool dry_run);
/* systemctl daemon-reload, when systemd runs and the changes of @e write or remove a unit of
 * vfio-setup's (any of them when a killed run left the programs @pending). */
void systemd_reload(const struct engine *e, bool pending, bool dry_run);
/* Whether regen_commands() runs the programs (not under --root). */
bool regen_runs(const struct setup_opts *o);
