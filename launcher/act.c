// SPDX-License-Identifier: GPL-2.0-or-later
/* Act: what run prepares in the user's files before the supervisor starts QEMU: the vars copy. */
#include <errno.h>
#include <sys/stat.h>
#include "act.h"
#include "fsutil.h"

static int prepare_vars(const struct profile *p, const struct vm_facts *f, char **ret_error)
{
	_cleanup_free_ char *aside = NULL;
	int r;

	if (p->firmware != FW_UEFI || !f->vars_path || !f->host.has_firmware)
		return 0;
	r = vars_prepare(f->host.root, f->vars_path, &f->host.firmware, f->vars_state, &aside, ret_error);
	if (r == 0 && aside)
		fprintf(stderr,
			"qemu-vm: %s was made for the firmware %s: kept aside as %s, and a fresh copy made "
			"from %s\n",
			f->vars_path, f->vars_made_for, aside, f->host.firmware.vars);
	return r;
}

int act_prepare(const struct profile *p, const struct vm_facts *f, const struct plan *pl, char **ret_error)
{
	int r = prepare_vars(p, f, ret_error);

	if (r < 0)
		return r;
	/* The plan refuses a QEMU inspect did not find; this is what inspect found. */
	if (!f->qemu_file)
		return set_error(
			ret_error, -ENOENT,
			"%s: not found on PATH (hint: sudo apt-get install qemu-system-x86, or set qemu = in [vm])",
			pl->argv.v[0]);
	return 0;
}
