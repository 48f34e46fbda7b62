// SPDX-License-Identifier: GPL-2.0-or-later
/* The VM's UEFI vars copy: which firmware it was made for, and a fresh copy for another one. */
#include <errno.h>
#include <fcntl.h>
#include <sha2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include "dl.h"
#include "firmware-vars.h"
#include "fsutil.h"

/* libmd's SHA256File, opened when a vars copy is made: the starts that make none (all but a
 * VM's first, or its first after a firmware change) do not map libmd. NULL, errno ENOSYS, when
 * it cannot be loaded. */
static char *sha256_file(const char *path, char *digest)
{
	static const struct dl_sym syms[] = { { "SHA256File", 0 } };
	static struct dl_once once;
	static struct {
		__typeof__(SHA256File) *SHA256File;
	} fns;

	return dl_load_once(&once, "libmd.so.0", syms, ARRAY_SIZE(syms), &fns) ? fns.SHA256File(path, digest)
									       : NULL;
}

char *vars_record_path(const char *vars_path)
{
	return xasprintf("%s.firmware", vars_path);
}

/* The value of "KEY=" in the record's text, malloc'd, or NULL. */
static char *record_value(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, klen) == 0 && l[klen] == '=') {
			const char *v = l + klen + 1;
			return xstrndup(v, strcspn(v, "\n"));
		}
	return NULL;
}

enum vars_state vars_inspect(const char *vars_path, const struct firmware_pair *fw, char **ret_made_for)
{
	_cleanup_free_ char *rec = vars_record_path(vars_path), *text = NULL, *code = NULL, *tmpl = NULL;
	struct stat st;

	if (stat(vars_path, &st) < 0)
		return VARS_NEW;
	if (read_small_file(rec, &text) < 0)
		return fw->secure_boot ? (*ret_made_for = xstrdup("an unrecorded firmware"), VARS_FOREIGN)
				       : VARS_UNRECORDED;
	code = record_value(text, "code");
	tmpl = record_value(text, "template");
	if (code && tmpl && streq(code, fw->code) && streq(tmpl, fw->vars))
		return VARS_OURS;
	*ret_made_for = code ? TAKE_PTR(code) : xstrdup("an unrecorded firmware");
	return VARS_FOREIGN;
}

/* @path renamed to a name beside it that does not exist yet; the new name in *@ret. */
static int keep_aside(const char *path, const char *stamp, char **ret)
{
	for (unsigned n = 0; n < 100; n++) {
		_cleanup_free_ char *to = n ? xasprintf("%s.%s-%u", path, stamp, n)
					    : xasprintf("%s.%s", path, stamp);

		if (renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE) == 0) {
			*ret = TAKE_PTR(to);
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int vars_prepare(const char *root, const char *vars_path, const struct firmware_pair *fw,
		 enum vars_state state, char **ret_aside, char **ret_error)
{
	_cleanup_free_ char *dir = xstrdup(vars_path), *template = host_path(root, fw->vars);
	_cleanup_free_ char *rec = vars_record_path(vars_path), *text = NULL, *aside = NULL;
	char digest[SHA256_DIGEST_STRING_LENGTH];
	int r;

	if (state == VARS_OURS)
		return 0;
	*strrchr(dir, '/') = '\0';
	r = mkdir_parents(dir, 0700);
	if (r < 0)
		return set_error(ret_error, r, "%s: %s (hint: check that your home directory is writable)",
				 dir, strerror(-r));
	if (state == VARS_FOREIGN) {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		r = keep_aside(vars_path, stamp, &aside);
		if (r < 0)
			return set_error(ret_error, r, "keeping %s aside: %s", vars_path, strerror(-r));
		{
			_cleanup_free_ char *rec_to = xasprintf("%s.firmware", aside);
			if (rename(rec, rec_to) < 0 && errno != ENOENT)
				return set_error(ret_error, -errno, "keeping %s aside: %s", rec,
						 strerror(errno));
		}
	}
	if (state != VARS_UNRECORDED) {
		r = copy_file_atomic(template, vars_path, 0600);
		if (r < 0)
			return set_error(ret_error, r, "copying the UEFI vars template %s to %s: %s",
					 fw->vars, vars_path, strerror(-r));
	}
	/* The hash says which build of the template it was; only the paths decide a match, so
	 * that a firmware package update keeps the guest's boot entries and keys. */
	if (!sha256_file(template, digest))
		return errno == ENOSYS
			       ? set_error(ret_error, -ENOSYS,
					   "libmd.so.0 cannot be loaded, for the SHA-256 of %s "
					   "(hint: sudo apt-get install libmd0)",
					   fw->vars)
			       : set_error(ret_error, -errno, "reading %s: %s", fw->vars, strerror(errno));
	text = xasprintf("# qemu-vm: the firmware this vars copy was made for; another firmware gets a "
			 "fresh copy\ncode=%s\ntemplate=%s\ntemplate-sha256=%s\n",
			 fw->code, fw->vars, digest);
	r = write_file_atomic(rec, text, strlen(text), 0600);
	if (r < 0)
		return set_error(ret_error, r, "writing %s: %s", rec, strerror(-r));
	if (aside && ret_aside)
		*ret_aside = TAKE_PTR(aside);
	return 0;
}
