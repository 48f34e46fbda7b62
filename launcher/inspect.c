// SPDX-License-Identifier: GPL-2.0-or-later
/* Gathers the host facts one profile needs (files it names, device nodes), read-only. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include "inspect.h"
#include "viewer.h"
#include "plan.h"
#include "qemu-caps.h"
#include "tpm.h"

/* Only for the hints in messages: $USER as the session set it, else the password database. */
static char *user_name(void)
{
	const char *u = secure_getenv("USER");
	struct passwd *pw = strempty(u) ? getpwuid(getuid()) : NULL;

	return xstrdup(!strempty(u) ? u : pw ? pw->pw_name : "$USER");
}

/* Paths of the host (devices, sockets) are read under the host root; the user's own files
 * (ROMs, tables, images in the home directory) are read where they are. */
static const char *root_for(const char *root, const char *path)
{
	static const char *const host_dirs[] = { "/dev/", "/sys/", "/proc/", "/run/" };

	for (size_t i = 0; i < ARRAY_SIZE(host_dirs); i++)
		if (startswith(path, host_dirs[i]))
			return root;
	return "/";
}

static uint64_t kvmfr_static_size(const char *root, const char *dev)
{
	_cleanup_free_ char *path = host_path(root, "/sys/module/kvmfr/parameters/static_size_mb");
	_cleanup_free_ char *s = NULL;
	unsigned idx = 0, i = 0;
	char *save = NULL;

	/* static_size_mb is a comma-separated list, one size per /dev/kvmfrN. */
	if (sscanf(dev, "/dev/kvmfr%u", &idx) != 1 || read_small_file(path, &s) < 0)
		return 0;
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save), i++) {
		uint64_t mb;
		if (i == idx && parse_u64(t, 10, &mb) == 0)
			return mb << 20;
	}
	return 0;
}

/* A VFIO group is opened by one process at a time: on this system, an open that fails with
 * EBUSY is what tells that another holds it, and only then are processes searched for the
 * holder. A tree (another root) is never opened into: its proc, if any, is all there is. */
static bool group_busy(const char *root, bool foreign_root, const char *node)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;

	if (foreign_root)
		return true;
	path = host_path(root, node);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	return fd < 0 && errno == EBUSY;
}

char *runtime_base(bool *ret_fallback)
{
	const char *rt = secure_getenv("XDG_RUNTIME_DIR");

	*ret_fallback = strempty(rt) || rt[0] != '/';
	if (!*ret_fallback)
		return xstrdup(rt);
	return xasprintf("/tmp/qemu-vm-%u", (unsigned)getuid());
}

int inspect(const char *root, const struct profile *p, const char *profile_arg, const char *no_run,
	    struct vm_facts *ret)
{
	/* Filled in place: a copy of this large struct costs its pages, and a launch pays for each. */
	struct vm_facts *f = ret;
	_cleanup_free_ char *rt = NULL;
	_cleanup_free_ char *data = expand_path("$XDG_DATA_HOME");
	int r;

	memset(f, 0, sizeof(*f));
	f->profile_arg = profile_arg;
	f->qemu_has_pipewire = f->qemu_has_display = f->qemu_has_spice = -1;
	rt = runtime_base(&f->runtime_fallback);
	r = host_facts_read(root, &f->host);
	if (r < 0)
		return r;
	/* The descriptors are read and parsed for a UEFI guest only: nothing else asks for them. */
	if (p->firmware == FW_UEFI)
		f->host.has_firmware = firmware_find(f->host.root, p->secure_boot, &f->host.firmware,
						     &f->host.firmware_error) == 0;
	f->user = user_name();
	f->foreign_root = !host_root_is_system(root);
	f->no_run = f->foreign_root ? "the host root is not the running system, and nothing is run from it"
				    : no_run;
	{
		/* Found on PATH, QEMU is the host's; an explicit path is read where it is, as the
		 * profile's other files are. */
		const char *qroot = strchr(p->qemu, '/') ? root_for(root, p->qemu) : root;

		f->qemu_path = find_program_under(qroot, p->qemu);
		if (f->qemu_path)
			f->qemu_file = host_path(qroot, f->qemu_path);
		else
			f->qemu_err = errno;
		f->qemu_in_tree = f->foreign_root && !streq(qroot, "/");
	}
	/* auto picks the driver by it; an explicit pipewire fails without it. Another root is a
	 * tree to read (a bug report's, say), never the system QEMU would run on: asking a QEMU
	 * there would run the tree's code, and one outside it is not the host's, so none is asked.
	 * Nor is one asked for show, or by root: qemu = may name any program of the profile's
	 * owner, and looking at a profile must not run it. */
	if (f->qemu_file && !f->foreign_root && (p->audio == AUDIO_AUTO || p->audio == AUDIO_PIPEWIRE))
		f->qemu_has_pipewire = qemu_has_pipewire(f->qemu_file, !f->no_run);
	/* auto may be gtk (the plan decides): ask about the one the profile may get. */
	if (f->qemu_file && !f->foreign_root && p->display != DISPLAY_NONE && p->display != DISPLAY_SPICE)
		f->qemu_has_display = qemu_has_display(f->qemu_file,
						       p->display == DISPLAY_SDL ? "sdl" : "gtk", !f->no_run);
	if (f->qemu_file && !f->foreign_root && p->display == DISPLAY_SPICE)
		f->qemu_has_spice = qemu_has_spice(f->qemu_file, !f->no_run);
	if (viewer_client(p))
		f->viewer_path = find_program_under(root, viewer_client(p));
	if (p->threads > 1 && p->pin.n)
		smt_read(root, f->host.n_cpus, &f->smt);
	f->gui_session = gui_session();
	f->run_dir = xasprintf("%s/qemu-vm/%s", rt, p->name);
	{
		_cleanup_free_ char *seats = host_path(root, "/run/systemd/seats");
		f->logind = access(seats, F_OK) == 0;
	}
	if (data) {
		/* Named by format: after a switch to a qcow2 firmware a raw copy is not taken for one. */
		_cleanup_free_ char *vars = xasprintf("%s/qemu-vm/%s/OVMF_VARS.%s", data, p->name,
						      f->host.firmware.vars_format == FLASH_QCOW2 ? "qcow2"
												  : "fd");
		/* The VM's own files live in the user's home, never under the host root. */
		if (f->host.has_firmware)
			f->vars_state = vars_inspect(vars, &f->host.firmware, &f->vars_made_for);
		f->vars_path = TAKE_PTR(vars);
	}

	/* Only the devices the profile names, their cards and IOMMU groups are read: the cost of a
	 * launch does not grow with the host's bus. */
	for (unsigned i = 0; i < p->n_pci; i++) {
		const struct pci_section *s = &p->pci[i];
		struct pci_addr a = s->host;

		if (s->has_host || pci_find_id(root, &s->ids, &a) == 0)
			(void)pci_host_add_device(&f->host.pci, root, &a);
	}
	for (unsigned i = 0; i < p->n_pci; i++) {
		const struct pci_section *s = &p->pci[i];
		const struct pci_dev_info *d = s->has_host ? pci_host_find(&f->host.pci, &s->host)
							   : pci_host_find_id(&f->host.pci, &s->ids);
		if (d && d->iommu_group >= 0) {
			char node[32];
			snprintf(node, sizeof(node), "/dev/vfio/%d", d->iommu_group);
			host_stat(root, node, true, S_IFCHR, &f->vfio_group[i]);
			if (f->vfio_group[i].state == ACC_OK && group_busy(root, f->foreign_root, node))
				f->vfio_holder[i] = host_who_holds(root, node);
		}
		if (s->romfile)
			host_stat(root_for(root, s->romfile), s->romfile, false, S_IFREG, &f->rom[i]);
	}
	for (unsigned i = 0; i < p->n_disk; i++)
		host_stat(root_for(root, p->disk[i].path), p->disk[i].path,
			  !p->disk[i].readonly && !p->disk[i].cdrom, 0, &f->disk[i]);
	for (size_t i = 0; i < p->acpi_tables.n; i++)
		host_stat(root_for(root, p->acpi_tables.v[i]), p->acpi_tables.v[i], false, S_IFREG,
			  &f->acpi[i]);
	for (size_t i = 0; i < p->fwcfg_files.n; i++)
		host_stat(root_for(root, p->fwcfg_files.v[i]), p->fwcfg_files.v[i], false, S_IFREG,
			  &f->fwcfg[i]);
	for (unsigned i = 0; i < p->n_usb; i++) {
		struct usb_dev_info u;
		char node[32];

		if (usb_host_find(root, &p->usb[i], &u) < 0)
			continue;
		usb_host_add(&f->host.usb, &u);
		snprintf(node, sizeof(node), "/dev/bus/usb/%03u/%03u", u.bus, u.devnum);
		host_stat(root, node, true, S_IFCHR, &f->usb_node[i]);
	}
	if (p->lg) {
		bool kvmfr = startswith(p->lg_path, "/dev/kvmfr");
		host_stat(root_for(root, p->lg_path), p->lg_path, true, kvmfr ? S_IFCHR : S_IFREG, &f->lg);
		if (kvmfr)
			f->kvmfr_size = kvmfr_static_size(root, p->lg_path);
	}
	if (p->audio != AUDIO_NONE) {
		bool pipewire = plan_audio_backend(p->audio, f->qemu_has_pipewire) == AUDIO_PIPEWIRE;

		if (pipewire) {
			/* QEMU's pipewire driver takes no server: libpipewire connects to pipewire-0. */
			if (!f->runtime_fallback)
				f->audio_socket_path = xasprintf("%s/pipewire-0", rt);
		} else if (p->audio_server && startswith(p->audio_server, "tcp:")) {
			/* A server over the network: nothing on this host to look at. */
		} else if (p->audio_server)
			f->audio_socket_path = xstrdup(p->audio_server);
		else if (!f->runtime_fallback)
			f->audio_socket_path = xasprintf("%s/pulse/native", rt);
		if (f->audio_socket_path)
			host_stat(root_for(root, f->audio_socket_path), f->audio_socket_path, true, S_IFSOCK,
				  &f->audio_socket);
	}
	tpm_inspect(root, p, f);
	handover_inspect(root, p, &f->ho);
	for (unsigned i = 0; i < p->n_evdev; i++)
		host_stat(root_for(root, p->evdev[i].path), p->evdev[i].path, true, S_IFCHR, &f->evdev[i]);
	if (p->scream)
		host_stat(root_for(root, p->scream_path), p->scream_path, true, S_IFREG, &f->scream);
	return 0;
}

void vm_facts_free(struct vm_facts *f)
{
	host_facts_free(&f->host);
	free(f->user);
	free(f->run_dir);
	free(f->qemu_path);
	free(f->qemu_file);
	free(f->vars_path);
	free(f->vars_made_for);
	free(f->swtpm_path);
	free(f->swtpm_setup_path);
	free(f->tpm_dir);
	free(f->audio_socket_path);
	for (unsigned i = 0; i < PROFILE_MAX_DEVICES; i++) {
		host_file_free(&f->rom[i]);
		host_file_free(&f->vfio_group[i]);
		free(f->vfio_holder[i]);
		host_file_free(&f->disk[i]);
		host_file_free(&f->acpi[i]);
		host_file_free(&f->fwcfg[i]);
		host_file_free(&f->usb_node[i]);
	}
	host_file_free(&f->lg);
	host_file_free(&f->audio_socket);
	free(f->viewer_path);
	smt_free(&f->smt);
	for (unsigned i = 0; i < PROFILE_MAX_EVDEV; i++)
		host_file_free(&f->evdev[i]);
	host_file_free(&f->scream);
	handover_facts_free(&f->ho);
	*f = (struct vm_facts){ 0 };
}
