// SPDX-License-Identifier: GPL-2.0-or-later
/* The plan for display = spice: a SPICE server on a socket in the run directory, the vdagent
 * channel, and the checks that QEMU has SPICE and that a client is there to open it. */
#include "plan-build.h"
#include "viewer.h"

/* Looking Glass's client takes keyboard, mouse and clipboard through this SPICE server: its
 * documentation asks for no emulated video device beside the passed GPU and for relative mouse
 * input (a PS/2 or virtio mouse, no tablet). */
static void check_spice(struct builder *b)
{
	const struct vm_facts *f = b->f;

	if (f->qemu_has_spice == 0)
		plan_check(
			b, CHECK_FAIL,
			"install a QEMU built with SPICE (Debian: qemu-system-x86; Fedora: qemu-ui-spice-core "
			"qemu-char-spice), or set display = none in [vm]",
			"display: %s has no SPICE server (-spice help: no such option)", f->qemu_path);
	else if (f->qemu_has_spice == 1)
		plan_check(b, CHECK_OK, NULL, "display: QEMU has SPICE, on %s/%s", f->run_dir,
			   PLAN_SPICE_SOCKET);
	else if (f->qemu_path && f->no_run)
		plan_check(b, CHECK_WARN, NULL, "display: whether %s has SPICE was not probed: %s",
			   f->qemu_path, f->no_run);
	else if (f->qemu_path)
		plan_check(b, CHECK_WARN, NULL,
			   "display: could not learn whether %s has SPICE (-spice help: %s)", f->qemu_path,
			   strerror(-f->qemu_has_spice));
}

void plan_spice(struct builder *b)
{
	_cleanup_free_ char *sock = xasprintf("%s/%s", b->f->run_dir, PLAN_SPICE_SOCKET);
	struct qopt *o = qopt_new(NULL);

	/* A remote display: no window of QEMU's own. */
	plan_arg(b, "-display");
	plan_arg(b, "none");
	/* No password: the socket is in the user's 0700 run directory, as the QMP sockets are. */
	qopt_flag(o, "unix", true);
	qopt_add(o, "addr", sock);
	qopt_flag(o, "disable-ticketing", true);
	plan_arg(b, "-spice");
	plan_arg_opt(b, o);
	/* The guest agent's port (clipboard, and the client's mouse mode), by its well-known name. */
	plan_arg(b, "-device");
	plan_arg(b, "virtio-serial-pci,id=vser0");
	plan_arg(b, "-chardev");
	plan_arg(b, "spicevmc,id=vdagent,name=vdagent");
	plan_arg(b, "-device");
	plan_arg(b, "virtserialport,bus=vser0.0,chardev=vdagent,name=com.redhat.spice.0");
	if (!b->f->foreign_root)
		check_spice(b);
	if (b->p->lg && b->p->pointer == POINTER_USB_TABLET)
		plan_check(
			b, CHECK_WARN, "pointer = ps2 in [input]",
			"[looking-glass]: pointer = usb-tablet: Looking Glass sends relative mouse motion over "
			"SPICE, which a tablet (absolute) does not take");
}

void plan_check_viewer(struct builder *b)
{
	const char *client = viewer_client(b->p);

	if (!client)
		return;
	if (b->f->viewer_path)
		plan_check(b, CHECK_OK, NULL, "viewer: %s", b->f->viewer_path);
	else
		plan_check(b, CHECK_WARN, viewer_package_hint(client),
			   "viewer: '%s' is not on PATH: qemu-vm viewer %s needs it", client, b->p->name);
}
