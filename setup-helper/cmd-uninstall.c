// SPDX-License-Identifier: GPL-2.0-or-later
/* uninstall: every file back as it was before the first install, then the state removed. */
#include <errno.h>
#include <sys/stat.h>
#include "engine.h"
#include "fsutil.h"

int setup_cmd_uninstall(const struct setup_opts *o)
{
	struct engine e;
	bool any_drift = false, any_change = false;
	int r, failed = 0;
	const char *initramfs = NULL, *bootloader = NULL;

	r = engine_init(&e, o);
	if (r < 0)
		goto out;
	if (!e.have_old) {
		struct stat st;

		if (lstat_beneath(e.root_fd, SETUP_STATE_DIR, &st, NULL) > 0 && S_ISDIR(st.st_mode) &&
		    !o->dry_run) {
			/* An uninstall stopped after removing the manifest: finish it. */
			remove_tree(&e, SETUP_STATE_DIR, true);
		}
		if (!o->dry_run)
			remove_stale_tmp(&e); /* an install stopped before its first manifest */
		printf("nothing to uninstall: no " SETUP_STATE_DIR "/manifest\n");
		r = 0;
		goto out;
	}
	for (size_t i = 0; i < e.old.n_files; i++) {
		struct change *c = engine_add(&e);
		c->path = xstrdup(e.old.files[i].path);
		c->mf = &e.old.files[i];
		r = load_now(&e, c);
		if (r < 0)
			goto out;
		if (drifted(c)) {
			_cleanup_free_ char *np = state_path("/new", c->path);
			_cleanup_free_ char *inst = NULL;
			size_t len = 0;

			any_drift = true;
			setup_log_error("'%s' was changed after install%s:", c->path,
					o->force ? "; --force: restoring the original anyway" : "");
			if (read_file_beneath(e.root_fd, np, &inst, &len, NULL) >= 0)
				print_diff(c->path, inst, len, c->now_exists ? c->now : NULL, c->now_len);
		}
		r = load_orig(&e, c);
		if (r < 0 && !(streq(c->now_hash, c->orig_hash)))
			goto out;
		c->want_exists = c->orig_exists;
		if (c->orig_exists && c->orig) {
			c->want = xmalloc(c->orig_len + 1);
			memcpy(c->want, c->orig, c->orig_len + 1);
			c->want_len = c->orig_len;
		}
		c->wmode = c->omode, c->wuid = c->ouid, c->wgid = c->ogid;
		any_change |= change_needed(c);
	}
	if (any_drift && !o->force) {
		setup_log_error("refusing to undo files changed by hand; nothing was changed (hint: keep "
				"your change by copying it elsewhere, then vfio-setup uninstall --force)");
		r = -EEXIST;
		goto out;
	}
	for (size_t i = 0; i < e.old.regen.n; i++) {
		if (startswith(e.old.regen.v[i], "initramfs "))
			initramfs = e.old.regen.v[i] + strlen("initramfs ");
		else if (startswith(e.old.regen.v[i], "bootloader "))
			bootloader = e.old.regen.v[i] + strlen("bootloader ");
	}

	if (o->dry_run) {
		for (size_t i = e.n; i-- > 0;)
			if (change_needed(&e.ch[i]))
				print_diff(e.ch[i].path, e.ch[i].now_exists ? e.ch[i].now : NULL,
					   e.ch[i].now_len, e.ch[i].want_exists ? e.ch[i].want : NULL,
					   e.ch[i].want_len);
		for (size_t i = 0; i < e.old.users_added.n && e.old.group_state != GROUP_CREATED; i++)
			printf("would run: gpasswd -d %s %s\n", e.old.users_added.v[i], e.old.group);
		if (e.old.group_state == GROUP_CREATED)
			printf("would run: groupdel %s\n", e.old.group);
		if (any_change || e.old.regen_pending) {
			udev_reload(o, true);
			systemd_reload(&e, e.old.regen_pending, true);
			regen_commands(o, initramfs, bootloader, e.f.grub_mkconfig, &e.f, true, &failed);
		}
		printf("dry run: nothing was written\n");
		r = 0;
		goto out;
	}

	remove_stale_temps_of(&e);
	/* Recorded before the first file is put back: a run killed from here until the programs
	 * have run leaves the manifest saying so, and the next uninstall runs them. */
	any_change |= e.old.regen_pending;
	if (any_change && regen_runs(o) && !e.old.regen_pending) {
		_cleanup_free_ char *text = NULL;

		e.old.regen_pending = true;
		text = manifest_format(&e.old);
		r = put_manifest(&e, text);
		if (r < 0)
			goto out;
	}
	for (size_t i = e.n; i-- > 0;) {
		struct change *c = &e.ch[i];

		if (!change_needed(c))
			continue;
		if (c->want_exists && !c->orig) {
			setup_log_error("'%s': no backup to restore from", c->path);
			r = -EIO;
			goto out;
		}
		r = put_change(&e, c);
		if (r < 0)
			goto out;
		printf("%s %s\n", c->want_exists ? "restored" : "removed", c->path);
	}

	if (e.old.group_state == GROUP_CREATED && can_run_account_tools(o)) {
		if (group_exists(o, e.old.group) > 0 &&
		    run_account_tool(o, (const char *[]){ "groupdel", e.old.group, NULL }) < 0)
			failed = 1;
	} else if (e.old.group_state != GROUP_RECORDED && can_run_account_tools(o)) {
		for (size_t i = 0; i < e.old.users_added.n; i++)
			if (user_in_group(o, e.old.users_added.v[i], e.old.group) &&
			    run_account_tool(o, (const char *[]){ "gpasswd", "-d", e.old.users_added.v[i],
								  e.old.group, NULL }) < 0)
				failed = 1;
	}
	if (any_change) {
		udev_reload(o, false);
		systemd_reload(&e, e.old.regen_pending, false);
		regen_commands(o, initramfs, bootloader, e.f.grub_mkconfig, &e.f, false, &failed);
	}

	/* Backups go first: once the files are restored a rerun needs none of them. */
	remove_state_tree(&e, "/orig");
	remove_state_tree(&e, "/new");
	{
		_cleanup_free_ char *mp = state_path("/manifest", NULL);

		crash_hook_before_write();
		r = remove_file_beneath(e.root_fd, mp);
		if (r < 0 && r != -ENOENT) {
			setup_log_error(SETUP_STATE_DIR "/manifest: %s", strerror(-r));
			goto out;
		}
		remove_tree(&e, SETUP_STATE_DIR, true);
		/* After the state directory: /var/lib may be one of them. */
		for (size_t i = e.old.dirs.n; i-- > 0;)
			/* only when empty: anything added since stays */
			(void)rmdir_beneath(e.root_fd, e.old.dirs.v[i]);
	}
	printf("uninstalled%s\n", o->root_given ? "" : "; reboot to return to the host drivers");
	r = failed ? -EIO : 0;
out:
	engine_free(&e);
	return r < 0 ? 1 : 0;
}
