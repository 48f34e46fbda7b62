// SPDX-License-Identifier: GPL-2.0-or-later
/* install: plan, compare with what is there, then write in an order that a crash at any point
 * leaves undoable (manifest first, backups before targets). */
#include <errno.h>
#include <sys/stat.h>
#include "edit.h"
#include "engine.h"
#include "fsutil.h"
#include "hostmem.h"

void setup_install_read(struct setup_opts *o)
{
	o->inputs = xmalloc(sizeof(*o->inputs));
	install_facts_read(o, NULL, o->inputs);
}

void setup_inputs_free(struct setup_opts *o)
{
	if (!o->inputs)
		return;
	install_facts_free(o->inputs);
	free(o->inputs);
	o->inputs = NULL;
}

/* An edit of GRUB's defaults must keep every word GRUB saw and add ours, as sh reads it. */
static int check_grub(const struct engine *e, const struct change *c, const struct setup_plan *p)
{
	_cleanup_free_ char *base = NULL, *after = NULL, *err = NULL, *words = NULL;
	const char *before, *path = c->path;
	int r;

	if (c->t->kind == TGT_GRUB) {
		before = c->orig_exists ? c->orig : "";
		after = xstrdup(c->want);
	} else if (c->t->kind == TGT_GRUB_DROPIN) {
		path = "/etc/default/grub";
		r = check_path(e, path, S_IFREG);
		if (r < 0)
			return r;
		r = read_file_beneath(e->root_fd, path, &base, NULL, NULL);
		if (r < 0 && r != -ENOENT) {
			setup_log_error("'%s': %s", path, strerror(-r));
			return r;
		}
		before = base ? base : "";
		after = xasprintf("%s\n%s", before, c->want);
	} else
		return 0;
	r = grub_check_edit(before, after, &p->params, &err);
	if (r >= 0)
		return 0;
	words = join_words(&p->params, " ");
	setup_log_error("'%s': %s; nothing was changed (hint: add '%s' to GRUB_CMDLINE_LINUX_DEFAULT "
			"by hand, then run vfio-setup install again with --no-cmdline)",
			path, err, words);
	return -EINVAL;
}

int setup_cmd_install(const struct setup_opts *o)
{
	struct engine e;
	struct install_facts own = { 0 }, *facts = o->inputs;
	struct setup_plan p = { 0 };
	struct strv errors = { 0 }, dirs = { 0 };
	struct manifest m = { 0 };
	_cleanup_free_ char *pre_text = NULL, *final_text = NULL;
	bool files_change = false, group_todo = false, any_drift = false, regen = false;
	struct strv users_todo = { 0 };
	int r, failed = 0;

	r = engine_init(&e, o);
	if (r < 0)
		goto out;
	if (!facts) {
		install_facts_read(o, &e.f, &own);
		facts = &own;
	}
	facts->host = &e.f;
	mkinitcpio_hooks_read(&e, facts);
	r = install_plan_build(facts, o, &p, &errors);
	if (r < 0) {
		for (size_t i = 0; i < errors.n; i++)
			setup_log_error("%s", errors.v[i]);
		setup_log_error("nothing was changed");
		goto out;
	}

	/* What is there, what was there before the first install, what should be there. */
	for (size_t i = 0; i < p.n_targets; i++) {
		struct change *c = engine_add(&e);
		_cleanup_free_ char *err = NULL;

		c->t = &p.targets[i];
		c->path = xstrdup(p.targets[i].path);
		if (!manifest_path_ok(c->path)) {
			setup_log_error("'%s': not a path vfio-setup writes", c->path);
			r = -EINVAL;
			goto out;
		}
		c->mf = e.have_old ? manifest_find(&e.old, c->path) : NULL;
		r = load_now(&e, c);
		if (r >= 0)
			r = load_orig(&e, c);
		if (r < 0)
			goto out;
		r = install_plan_content(c->t, &p, &e.f, c->orig_exists ? c->orig : NULL, &c->want, &err);
		if (r < 0) {
			setup_log_error("'%s': %s", c->path, err ? err : strerror(-r));
			goto out;
		}
		r = check_grub(&e, c, &p);
		if (r < 0)
			goto out;
		c->want_exists = true;
		c->want_len = strlen(c->want);
		if (c->orig_exists)
			c->wmode = c->omode, c->wuid = c->ouid, c->wgid = c->ogid;
		else
			c->wmode = 0644, c->wuid = geteuid(), c->wgid = getegid();
	}
	for (size_t i = 0; e.have_old && i < e.old.n_files; i++) {
		struct mf_file *mf = &e.old.files[i];
		bool wanted = false;

		for (size_t j = 0; j < p.n_targets && !wanted; j++)
			wanted = streq(p.targets[j].path, mf->path);
		if (wanted)
			continue;
		struct change *c = engine_add(&e);
		c->path = xstrdup(mf->path);
		c->mf = mf;
		r = load_now(&e, c);
		if (r >= 0)
			r = load_orig(&e, c);
		if (r < 0)
			goto out;
		c->want_exists = c->orig_exists;
		if (c->orig_exists) {
			c->want = xmalloc(c->orig_len + 1);
			memcpy(c->want, c->orig, c->orig_len + 1);
			c->want_len = c->orig_len;
		}
		c->wmode = c->omode, c->wuid = c->ouid, c->wgid = c->ogid;
	}
	for (size_t i = 0; i < e.n; i++) {
		struct change *c = &e.ch[i];
		hash_of(c->want_exists, c->want, c->want_len, c->want_hash);
		if (drifted(c) && change_needed(c)) {
			setup_log_error("'%s' was changed after vfio-setup installed it%s", c->path,
					o->force ? "; --force: replacing it" : "");
			any_drift = true;
		}
		files_change |= change_needed(c);
	}
	if (e.n > MANIFEST_MAX_FILES) {
		setup_log_error("%zu files to write or restore: the manifest records at most %d; "
				"nothing was changed (hint: remove boot entries you do not use, or "
				"pass --no-cmdline and add the words by hand)",
				e.n, MANIFEST_MAX_FILES);
		r = -E2BIG;
		goto out;
	}
	if (any_drift && !o->force) {
		setup_log_error("refusing to overwrite changes made by hand (hint: vfio-setup status shows "
				"them; --force replaces them)");
		r = -EEXIST;
		goto out;
	}
	/* Where backups and copies will go: no symlink on the way there either. */
	for (size_t i = 0; i < e.n; i++) {
		_cleanup_free_ char *b = state_path("/orig", e.ch[i].path);
		_cleanup_free_ char *n = state_path("/new", e.ch[i].path);

		r = check_path(&e, b, S_IFREG);
		if (r >= 0)
			r = check_path(&e, n, S_IFREG);
		if (r < 0)
			goto out;
	}

	/* The new manifest. */
	m.group = xstrdup(p.group);
	if (e.have_old && e.old.group && streq(e.old.group, p.group) && e.old.group_state != GROUP_RECORDED)
		m.group_state = e.old.group_state;
	else {
		int g = group_exists(o, p.group);
		if (g > 0)
			m.group_state = GROUP_EXISTED;
		else if (can_run_account_tools(o)) {
			m.group_state = GROUP_CREATED;
			group_todo = true;
		} else
			m.group_state = GROUP_RECORDED;
	}
	if (e.have_old)
		for (size_t i = 0; i < e.old.users_added.n; i++)
			strv_push(&m.users_added, e.old.users_added.v[i]);
	for (size_t i = 0; i < p.users.n; i++) {
		const char *u = p.users.v[i];
		if (strv_contains(&m.users_added, u))
			continue;
		if (m.group_state == GROUP_RECORDED || !can_run_account_tools(o))
			strv_push(&m.users_recorded, u);
		else if (group_todo || !user_in_group(o, u, p.group)) {
			strv_push(&m.users_added, u);
			strv_push(&users_todo, u);
		}
	}
	for (size_t i = 0; i < p.params.n && p.bootloader; i++)
		strv_push(&m.params, p.params.v[i]);
	for (size_t i = 0; i < p.ids.n; i++)
		strv_push(&m.ids, p.ids.v[i]);
	if (p.initramfs)
		strv_pushf(&m.regen, "initramfs %s", p.initramfs);
	if (p.bootloader)
		strv_pushf(&m.regen, "bootloader %s", p.bootloader);
	if (e.have_old)
		for (size_t i = 0; i < e.old.dirs.n; i++)
			strv_push(&m.dirs, e.old.dirs.v[i]);
	/* In a bare root, /var and /var/lib too: made with the state directory, recorded before. */
	missing_dirs(&e, SETUP_STATE_DIR, &dirs);
	for (size_t i = 0; i < e.n; i++)
		if (e.ch[i].want_exists && change_needed(&e.ch[i]))
			missing_dirs(&e, e.ch[i].path, &dirs);
	for (size_t i = 0; i < dirs.n; i++)
		if (!strv_contains(&m.dirs, dirs.v[i]))
			strv_push(&m.dirs, dirs.v[i]);
	for (size_t i = 0; i < e.n; i++) {
		const struct change *c = &e.ch[i];
		struct mf_file *f;

		if (!c->t && !change_needed(c))
			continue; /* restored already: dropped from the manifest */
		f = manifest_add(&m, c->path);
		memcpy(f->orig, c->orig_hash, SHA256_HEX_LEN);
		memcpy(f->installed, c->want_hash, SHA256_HEX_LEN);
		if (c->mf && !streq(c->mf->installed, c->want_hash))
			memcpy(f->alt, c->mf->installed, SHA256_HEX_LEN);
		f->mode = c->orig_exists ? c->omode : c->wmode;
		f->uid = c->orig_exists ? c->ouid : c->wuid;
		f->gid = c->orig_exists ? c->ogid : c->wgid;
	}
	/* Regeneration is due when files change, or when a run was killed while it regenerated:
	 * recorded from the first manifest on, cleared once the programs ran. */
	regen = files_change || (e.have_old && e.old.regen_pending);
	m.regen_pending = regen && regen_runs(o);
	pre_text = manifest_format(&m);
	for (size_t i = 0; i < m.n_files; i++)
		m.files[i].alt[0] = '\0';
	{
		/* Entries being restored leave the final manifest. */
		size_t k = 0;
		for (size_t i = 0; i < m.n_files; i++) {
			bool restore = false;
			for (size_t j = 0; j < e.n; j++)
				if (!e.ch[j].t && streq(e.ch[j].path, m.files[i].path))
					restore = true;
			if (restore)
				free(m.files[i].path);
			else
				m.files[k++] = m.files[i];
		}
		m.n_files = k;
	}
	final_text = manifest_format(&m);

	for (size_t i = 0; i < p.notes.n; i++)
		printf("note: %s\n", p.notes.v[i]);
	/* What a write killed before its rename left: removed before anything else is written. */
	if (!o->dry_run)
		remove_stale_temps_of(&e);
	if (!regen && !group_todo && !users_todo.n && e.old_text && streq(e.old_text, final_text)) {
		printf("nothing to change: vfio-setup is installed with these settings\n");
		r = 0;
		goto out;
	}

	if (o->dry_run) {
		for (size_t i = 0; i < e.n; i++)
			if (change_needed(&e.ch[i]))
				print_diff(e.ch[i].path, e.ch[i].now_exists ? e.ch[i].now : NULL,
					   e.ch[i].now_len, e.ch[i].want_exists ? e.ch[i].want : NULL,
					   e.ch[i].want_len);
		if (group_todo)
			printf("would run: groupadd --system %s\n", p.group);
		for (size_t i = 0; i < users_todo.n; i++)
			printf("would run: usermod -a -G %s %s\n", p.group, users_todo.v[i]);
		if (m.group_state == GROUP_RECORDED)
			printf("would record: group '%s' to be created%s\n", p.group,
			       m.users_recorded.n ? " with its members" : "");
		printf("would record: %zu file(s) in " SETUP_STATE_DIR "/manifest\n", m.n_files);
		if (regen) {
			udev_reload(o, true);
			systemd_reload(&e, e.have_old && e.old.regen_pending, true);
			regen_commands(o, p.initramfs, p.bootloader, p.grub_mkconfig, &e.f, true, &failed);
		}
		printf("dry run: nothing was written\n");
		r = 0;
		goto out;
	}

	/* 1. the manifest, listing both possible contents of every file about to change */
	remove_stale_tmp(&e);
	if (!e.old_text || !streq(e.old_text, pre_text)) {
		r = put_first_manifest(&e, pre_text);
		if (r < 0) {
			setup_log_error(SETUP_STATE_DIR "/manifest: %s", strerror(-r));
			goto out;
		}
	}
	/* 2. directories, backups of originals, copies of what is installed */
	for (size_t i = 0; i < dirs.n; i++) {
		crash_hook_before_write();
		r = mkdir_beneath(e.root_fd, dirs.v[i], 0755, NULL, NULL);
		if (r < 0) {
			setup_log_error("'%s': %s", dirs.v[i], strerror(-r));
			goto out;
		}
	}
	for (size_t i = 0; i < e.n; i++) {
		struct change *c = &e.ch[i];
		if (!change_needed(c))
			continue;
		if (c->orig_exists && !c->backed_up) {
			r = put_state(&e, "/orig", c->path, c->orig, c->orig_len);
			if (r < 0) {
				setup_log_error("backup of '%s': %s", c->path, strerror(-r));
				goto out;
			}
		}
		if (c->t) {
			r = put_state(&e, "/new", c->path, c->want, c->want_len);
			if (r < 0) {
				setup_log_error("copy of '%s': %s", c->path, strerror(-r));
				goto out;
			}
		}
	}
	/* 3. the targets */
	for (size_t i = 0; i < e.n; i++) {
		struct change *c = &e.ch[i];

		if (!change_needed(c))
			continue;
		r = put_change(&e, c);
		if (r < 0)
			goto out;
		printf("%s %s\n",
		       !c->t	       ? (c->want_exists ? "restored" : "removed")
		       : c->now_exists ? "updated"
				       : "created",
		       c->path);
	}
	/* 4. state of entries no longer wanted, then the final manifest */
	for (size_t i = 0; i < e.n; i++) {
		if (e.ch[i].t)
			continue;
		_cleanup_free_ char *b = state_path("/orig", e.ch[i].path);
		_cleanup_free_ char *n = state_path("/new", e.ch[i].path);
		crash_hook_before_write();
		(void)remove_file_beneath(e.root_fd, b);
		(void)remove_file_beneath(e.root_fd, n);
	}
	if (!streq(pre_text, final_text)) {
		r = put_manifest(&e, final_text);
		if (r < 0)
			goto out;
	}

	/* 5. accounts and the programs that make it take effect */
	if (group_todo && run_account_tool(o, (const char *[]){ "groupadd", "--system", p.group, NULL }) < 0)
		failed = 1;
	for (size_t i = 0; i < users_todo.n; i++)
		if (run_account_tool(
			    o, (const char *[]){ "usermod", "-a", "-G", p.group, users_todo.v[i], NULL }) < 0)
			failed = 1;
	if (m.group_state == GROUP_RECORDED)
		printf("recorded, not done under --root (no user database there): groupadd --system "
		       "%s%s\n",
		       p.group, m.users_recorded.n ? " and the members" : "");
	if (regen) {
		int regen_failed = 0;

		udev_reload(o, false);
		systemd_reload(&e, e.have_old && e.old.regen_pending, false);
		regen_commands(o, p.initramfs, p.bootloader, p.grub_mkconfig, &e.f, false, &regen_failed);
		/* A failed program stays pending: the next install runs it again. */
		if (m.regen_pending && !regen_failed) {
			_cleanup_free_ char *done = NULL;

			m.regen_pending = false;
			done = manifest_format(&m);
			r = put_manifest(&e, done);
			if (r < 0)
				goto out;
		}
		failed |= regen_failed;
	}
	printf("installed; %s\n",
	       o->root_given ? "the tree is ready" : "reboot, then check with: qemu-vm check NAME");
	r = failed ? -EIO : 0;
out:
	strv_clear(&errors);
	strv_clear(&dirs);
	strv_clear(&users_todo);
	manifest_free(&m);
	install_plan_free(&p);
	install_facts_free(&own);
	engine_free(&e);
	return r < 0 ? 1 : 0;
}
