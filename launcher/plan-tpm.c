// SPDX-License-Identifier: GPL-2.0-or-later
/* The plan for [tpm]: QEMU's TPM on swtpm's socket, and whether swtpm can run. */
#include <errno.h>
#include "plan-build.h"
#include "tpm.h"

static void check_program(struct builder *b, const char *path, const char *name)
{
	const struct loc *loc = &b->p->tpm_loc;

	if (!path)
		plan_check(b, CHECK_FAIL,
			   "sudo apt install swtpm swtpm-tools  (Fedora, Arch: swtpm), or remove [tpm]",
			   "%s:%u: [tpm]: '%s' is not on PATH", loc->file, loc->line, name);
}

void plan_tpm(struct builder *b)
{
	const struct vm_facts *f = b->f;
	_cleanup_free_ char *sock = NULL;
	struct qopt *o;

	if (!b->p->tpm)
		return;
	sock = xasprintf("%s/%s", f->run_dir, TPM_SOCKET);
	plan_arg(b, "-chardev");
	o = qopt_new("socket");
	qopt_add(o, "id", "tpm-chr");
	qopt_add(o, "path", sock);
	plan_arg_opt(b, o);
	plan_arg(b, "-tpmdev");
	o = qopt_new("emulator");
	qopt_add(o, "id", "tpm0");
	qopt_add(o, "chardev", "tpm-chr");
	plan_arg_opt(b, o);
	plan_arg(b, "-device");
	o = qopt_new("tpm-crb");
	qopt_add(o, "id", "tpm");
	qopt_add(o, "tpmdev", "tpm0");
	plan_arg_opt(b, o);

	check_program(b, f->swtpm_path, "swtpm");
	check_program(b, f->swtpm_setup_path, "swtpm_setup");
	if (!f->tpm_dir)
		plan_check(b, CHECK_FAIL, "set HOME (or XDG_DATA_HOME)",
			   "[tpm]: no place for the TPM's state: neither XDG_DATA_HOME nor HOME is set");
	else if (f->tpm_dir_err < 0) {
		_cleanup_free_ char *q = shell_quote(f->tpm_dir);
		_cleanup_free_ char *fix = f->tpm_dir_err == -ENOTDIR
						   ? xasprintf("move what is at %s out of the way", q)
						   : xasprintf("sudo chown -R %s %s", f->user, q);
		plan_check(b, CHECK_FAIL, fix, "[tpm]: the TPM's state directory %s: %s", f->tpm_dir,
			   strerror(-f->tpm_dir_err));
	} else if (f->swtpm_path && f->swtpm_setup_path)
		plan_check(b, CHECK_OK, NULL, "[tpm]: TPM 2.0 from %s, state in %s%s", f->swtpm_path,
			   f->tpm_dir,
			   f->tpm_manufactured ? "" : " (manufactured on first run, with EK certificates)");
}
