// SPDX-License-Identifier: GPL-2.0-or-later
/* qemu-vm viewer: starts the client that opens a running VM, Looking Glass's or a SPICE viewer. */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include "commands.h"
#include "maintenance.h"
#include "viewer.h"
#include "vmstate.h"

#define LG_CLIENT "looking-glass-client"
#define SPICE_CLIENT "remote-viewer"

const char *viewer_client(const struct profile *p)
{
	if (p->lg)
		return LG_CLIENT;
	return p->display == DISPLAY_SPICE ? SPICE_CLIENT : NULL;
}

const char *viewer_package_hint(const char *client)
{
	if (streq(client, LG_CLIENT))
		return "sudo apt-get install looking-glass-client  (or build it from looking-glass.io: its "
		       "version must match the host application in the guest)";
	return "sudo apt-get install virt-viewer  (dnf install virt-viewer, pacman -S virt-viewer)";
}

/* The client's argv. Looking Glass takes the shared memory file with -f, and the SPICE server as
 * -c HOST -p PORT, where port 0 makes HOST a UNIX socket's path; -s runs it without SPICE. */
static void client_argv(const struct profile *p, const char *client_path, const char *sock, struct strv *ret)
{
	strv_push(ret, client_path);
	if (p->lg) {
		strv_push(ret, "-f");
		strv_push(ret, p->lg_path);
		if (p->display == DISPLAY_SPICE) {
			strv_push(ret, "-c");
			strv_push(ret, sock);
			strv_push(ret, "-p");
			strv_push(ret, "0");
		} else
			strv_push(ret, "-s");
		return;
	}
	if (p->title) {
		strv_push(ret, "--title");
		strv_push(ret, p->title);
	}
	strv_pushf(ret, "spice+unix://%s", sock);
}

int cmd_viewer(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = { { "maintenance", no_argument, NULL, 'm' },
					      { NULL, 0, NULL, 0 } };
	_cleanup_free_ char *dir = NULL, *sock = NULL, *client_path = NULL;
	const char *client;
	struct vm_state st;
	struct profile p;
	struct strv cargv = { 0 };
	bool maintenance = false;
	struct stat sst;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'm') {
			fprintf(stderr, "usage: qemu-vm viewer [--maintenance] NAME\n");
			return 2;
		}
		maintenance = true;
	}
	if (optind != argc - 1 || argv[optind][0] == '-') {
		fprintf(stderr, "usage: qemu-vm viewer [--maintenance] NAME\n");
		return 2;
	}
	if (load_profile(g, argv[optind], &p) < 0)
		return 1;
	if (maintenance)
		profile_maintenance(&p);
	client = viewer_client(&p);
	if (!client) {
		fprintf(stderr,
			"qemu-vm: %s has nothing for a viewer: display = %s opens %s (set display = spice in "
			"[vm] for one, or add [looking-glass])\n",
			p.name,
			maintenance		    ? "gtk"
			: p.display == DISPLAY_NONE ? "none"
						    : "gtk or sdl",
			p.display == DISPLAY_NONE ? "no display" : "QEMU's own window");
		profile_free(&p);
		return 1;
	}
	r = vm_run_dir(p.name, false, &dir);
	if (r < 0 && r != -ENOENT) {
		profile_free(&p);
		return 1;
	}
	if (r == -ENOENT || !vm_running(dir, &st)) {
		fprintf(stderr, "qemu-vm: %s is not running (qemu-vm run %s%s starts it)\n", p.name,
			maintenance ? "--maintenance " : "", argv[optind]);
		profile_free(&p);
		return 1;
	}
	sock = vm_run_file(dir, PLAN_SPICE_SOCKET);
	if (p.display == DISPLAY_SPICE && (lstat(sock, &sst) < 0 || !S_ISSOCK(sst.st_mode))) {
		fprintf(stderr,
			"qemu-vm: %s: no SPICE socket at %s: the VM runs without display = spice (started "
			"before the profile said so%s?)\n",
			p.name, sock, maintenance ? "" : ", or with --maintenance in a desktop session");
		profile_free(&p);
		return 1;
	}
	client_path = find_program_under("/", client);
	if (!client_path) {
		fprintf(stderr, "qemu-vm: '%s' is not on PATH (hint: %s)\n", client,
			viewer_package_hint(client));
		profile_free(&p);
		return 1;
	}
	client_argv(&p, client_path, sock, &cargv);
	profile_free(&p);
	fflush(stdout);
	execv(client_path, cargv.v);
	fprintf(stderr, "qemu-vm: %s: %s\n", client_path, strerror(errno));
	strv_clear(&cargv);
	return 1;
}
