// SPDX-License-Identifier: GPL-2.0-or-later
/* Reads and writes the manifest, a line-based text file that uninstall trusts only after checks. */
#include <ctype.h>
#include <errno.h>
#include "manifest.h"
#include "profile.h"
#include "setup.h"
#include "util.h"

bool manifest_path_ok(const char *path)
{
	if (!startswith(path, "/etc/") && !startswith(path, "/boot/") && !startswith(path, "/efi/"))
		return false;
	if (strlen(path) > 512 || strstr(path, "//") || strstr(path, "/./") || strstr(path, "/../"))
		return false;
	for (const char *p = path; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("/._-@+", *p)))
			return false;
	/* No hidden files, no "." or ".." components, no directory. */
	return path[strlen(path) - 1] != '/' && !strstr(path, "/.");
}

/* "/var", "/var/lib": directories above the state directory that install may have made. */
static bool state_parent_ok(const char *path)
{
	size_t n = strlen(path);

	return n > 1 && path[0] == '/' && n < strlen(SETUP_STATE_DIR) &&
	       strncmp(SETUP_STATE_DIR, path, n) == 0 && SETUP_STATE_DIR[n] == '/';
}

static bool hash_ok(const char *s)
{
	if (streq(s, "-"))
		return true;
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
			return false;
	return true;
}

/* What uninstall hands to groupdel, gpasswd and the regeneration step: the manifest may have
 * been edited, so each value is checked again as install checked it. */
static bool regen_ok(const char *what, const char *name)
{
	static const char *const initramfs[] = { "mkinitcpio", "dracut", "initramfs-tools", "booster" };
	static const char *const bootloader[] = { "grub", "kernel-install", "loader-entries" };
	const char *const *v = streq(what, "initramfs") ? initramfs : bootloader;
	size_t n = streq(what, "initramfs") ? ARRAY_SIZE(initramfs) : ARRAY_SIZE(bootloader);

	if (!streq(what, "initramfs") && !streq(what, "bootloader"))
		return false;
	for (size_t i = 0; i < n; i++)
		if (streq(v[i], name))
			return true;
	return false;
}

static bool id_ok(const char *s)
{
	struct pci_id id;
	char buf[16];

	if (parse_pci_id(s, &id) < 0)
		return false;
	snprintf(buf, sizeof(buf), "%04x:%04x", id.vendor, id.device);
	return streq(buf, s);
}

static void set_hash(char dst[SHA256_HEX_LEN], const char *s)
{
	snprintf(dst, SHA256_HEX_LEN, "%s", streq(s, "-") ? "" : s);
}

struct mf_file *manifest_find(struct manifest *m, const char *path)
{
	for (size_t i = 0; i < m->n_files; i++)
		if (streq(m->files[i].path, path))
			return &m->files[i];
	return NULL;
}

struct mf_file *manifest_add(struct manifest *m, const char *path)
{
	struct mf_file *f = manifest_find(m, path);

	if (f)
		return f;
	if (m->n_files == MANIFEST_MAX_FILES)
		return NULL;
	f = &m->files[m->n_files++];
	*f = (struct mf_file){ .path = xstrdup(path) };
	return f;
}

static int parse_line(struct manifest *m, char *line, char **ret_error)
{
	char *words[9] = { 0 };
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(line, " ", &save); w && n < ARRAY_SIZE(words); w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	if (n == 0 || words[0][0] == '#')
		return 0;
	if (streq(words[0], "version") && n == 2 && streq(words[1], "1"))
		return 0;
	if (streq(words[0], "group") && n == 3 && valid_user_name(words[1]) == 0) {
		free(m->group);
		m->group = xstrdup(words[1]);
		if (streq(words[2], "created"))
			m->group_state = GROUP_CREATED;
		else if (streq(words[2], "existed"))
			m->group_state = GROUP_EXISTED;
		else if (streq(words[2], "recorded"))
			m->group_state = GROUP_RECORDED;
		else
			goto bad;
		return 0;
	}
	if (streq(words[0], "user") && n == 3 && valid_user_name(words[1]) < 0)
		goto bad;
	if (streq(words[0], "user") && n == 3 && streq(words[2], "added")) {
		strv_push(&m->users_added, words[1]);
		return 0;
	}
	if (streq(words[0], "user") && n == 3 && streq(words[2], "recorded")) {
		strv_push(&m->users_recorded, words[1]);
		return 0;
	}
	if (streq(words[0], "param") && n == 2 && valid_module_or_param(words[1]) == 0) {
		strv_push(&m->params, words[1]);
		return 0;
	}
	if (streq(words[0], "id") && n == 2 && id_ok(words[1])) {
		strv_push(&m->ids, words[1]);
		return 0;
	}
	if (streq(words[0], "regen") && n == 3 && regen_ok(words[1], words[2])) {
		strv_pushf(&m->regen, "%s %s", words[1], words[2]);
		return 0;
	}
	if (streq(words[0], "regen-pending") && n == 1) {
		m->regen_pending = true;
		return 0;
	}
	if (streq(words[0], "dir") && n == 2 && (manifest_path_ok(words[1]) || state_parent_ok(words[1]))) {
		strv_push(&m->dirs, words[1]);
		return 0;
	}
	if (streq(words[0], "file") && n == 8) {
		unsigned mode, uid, gid;
		struct mf_file *f;

		if (!hash_ok(words[1]) || !hash_ok(words[2]) || !hash_ok(words[3]) ||
		    parse_uint(words[4], 8, 07777, &mode) < 0 ||
		    parse_uint(words[5], 10, 0x7fffffff, &uid) < 0 ||
		    parse_uint(words[6], 10, 0x7fffffff, &gid) < 0 || !manifest_path_ok(words[7]) ||
		    manifest_find(m, words[7]))
			goto bad;
		f = manifest_add(m, words[7]);
		if (!f)
			goto bad;
		set_hash(f->orig, words[1]);
		set_hash(f->installed, words[2]);
		set_hash(f->alt, words[3]);
		f->mode = mode;
		f->uid = uid;
		f->gid = gid;
		return 0;
	}
bad:
	*ret_error = xasprintf("unexpected line starting with '%s'", words[0]);
	return -EINVAL;
}

int manifest_parse(const char *text, struct manifest *ret, char **ret_error)
{
	_cleanup_free_ char *data = xstrdup(text);
	struct manifest m = { 0 };
	unsigned lineno = 0;
	int r;

	if (!startswith(data, "# vfio-setup manifest")) {
		*ret_error = xstrdup("not a vfio-setup manifest");
		return -EINVAL;
	}
	for (char *p = data, *nl; *p; p = nl + 1) {
		_cleanup_free_ char *err = NULL;

		nl = strchr(p, '\n');
		if (!nl) {
			*ret_error = xstrdup("truncated (no final newline)");
			manifest_free(&m);
			return -EINVAL;
		}
		*nl = '\0';
		lineno++;
		r = parse_line(&m, p, &err);
		if (r < 0) {
			*ret_error = xasprintf("line %u: %s", lineno, err);
			manifest_free(&m);
			return r;
		}
	}
	*ret = m;
	return 0;
}

char *manifest_format(const struct manifest *m)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	if (!out)
		abort();
	fputs("# vfio-setup manifest: what 'vfio-setup install' did; 'vfio-setup uninstall' "
	      "undoes it.\n# Edit nothing here.\nversion 1\n",
	      out);
	if (m->group)
		fprintf(out, "group %s %s\n", m->group,
			m->group_state == GROUP_CREATED	   ? "created"
			: m->group_state == GROUP_RECORDED ? "recorded"
							   : "existed");
	for (size_t i = 0; i < m->users_added.n; i++)
		fprintf(out, "user %s added\n", m->users_added.v[i]);
	for (size_t i = 0; i < m->users_recorded.n; i++)
		fprintf(out, "user %s recorded\n", m->users_recorded.v[i]);
	for (size_t i = 0; i < m->params.n; i++)
		fprintf(out, "param %s\n", m->params.v[i]);
	for (size_t i = 0; i < m->ids.n; i++)
		fprintf(out, "id %s\n", m->ids.v[i]);
	for (size_t i = 0; i < m->regen.n; i++)
		fprintf(out, "regen %s\n", m->regen.v[i]);
	if (m->regen_pending)
		fprintf(out, "regen-pending\n");
	for (size_t i = 0; i < m->dirs.n; i++)
		fprintf(out, "dir %s\n", m->dirs.v[i]);
	for (size_t i = 0; i < m->n_files; i++) {
		const struct mf_file *f = &m->files[i];
		fprintf(out, "file %s %s %s %04o %u %u %s\n", *f->orig ? f->orig : "-",
			*f->installed ? f->installed : "-", *f->alt ? f->alt : "-", (unsigned)f->mode & 07777,
			(unsigned)f->uid, (unsigned)f->gid, f->path);
	}
	fclose(out);
	return buf;
}

void manifest_free(struct manifest *m)
{
	free(m->group);
	strv_clear(&m->users_added);
	strv_clear(&m->users_recorded);
	strv_clear(&m->params);
	strv_clear(&m->ids);
	strv_clear(&m->regen);
	strv_clear(&m->dirs);
	for (size_t i = 0; i < m->n_files; i++)
		free(m->files[i].path);
	*m = (struct manifest){ 0 };
}
