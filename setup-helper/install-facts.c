// SPDX-License-Identifier: GPL-2.0-or-later
/* Reads what install's plan needs beyond the host facts: users, profiles, PCI devices, the
 * drivers' modules and the templates, so that the plan itself does no I/O. */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include "fsutil.h"
#include "install-plan.h"

/* Every template install may render. */
static const char *const template_names[INSTALL_TEMPLATES] = {
	"udev/65-qemu-vm.rules.in",
	"limits/95-qemu-vm-memlock.conf.in",
	"limits/user@.service.d-memlock.conf.in",
	"limits/60-qemu-vm-hugepages.conf.in",
	"modprobe/qemu-vm-vfio.conf.in",
	"modprobe/qemu-vm-kvm.conf.in",
	"modprobe/mkinitcpio-vfio.conf.in",
	"modprobe/dracut-vfio.conf.in",
	"systemd/qemu-vm-handover@.service.in",
	"polkit/50-qemu-vm-handover.rules.in",
};

static bool usable_template_file(const char *path)
{
	struct stat st;

	/* Root reads these: only files nobody but root (or whoever runs us) can change. */
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && !(st.st_mode & 022) &&
	       (st.st_uid == 0 || st.st_uid == geteuid());
}

static bool has_templates(const char *dir)
{
	_cleanup_free_ char *probe = xasprintf("%s/udev/65-qemu-vm.rules.in", dir);
	return usable_template_file(probe);
}

char *templates_dir(const struct setup_opts *o)
{
	char exe[PATH_MAX];
	ssize_t n;
	static const char *const rel[] = { "/../share/qemu-vm", "/..", "/../.." };

	if (o->templates)
		return xstrdup(o->templates);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
			_cleanup_free_ char *d = xasprintf("%s%s", exe, rel[i]);
			if (has_templates(d))
				return TAKE_PTR(d);
		}
	}
	/* A binary built or copied elsewhere: where make install put them. */
	if (has_templates(TEMPLATES_DATADIR))
		return xstrdup(TEMPLATES_DATADIR);
	return NULL;
}

struct tmpl_file *install_facts_template(const struct install_facts *f, const char *name)
{
	for (size_t i = 0; i < INSTALL_TEMPLATES; i++)
		if (f->templates[i].name && streq(f->templates[i].name, name))
			return (struct tmpl_file *)&f->templates[i];
	return NULL;
}

static void read_template(const char *dir, const char *name, struct tmpl_file *ret)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	int r;

	*ret = (struct tmpl_file){ .name = name };
	if (!usable_template_file(path)) {
		ret->error = xasprintf("template '%s' missing, or writable by others than root", path);
		return;
	}
	r = read_file_full(path, &ret->text, NULL);
	if (r < 0)
		ret->error = xasprintf("template '%s': %s", path, strerror(-r));
	ret->path = TAKE_PTR(path);
}

const char *install_facts_module(const struct install_facts *f, const char *driver)
{
	size_t n = strlen(driver);

	for (size_t i = 0; i < f->driver_modules.n; i++)
		if (strncmp(f->driver_modules.v[i], driver, n) == 0 && f->driver_modules.v[i][n] == '=')
			return f->driver_modules.v[i] + n + 1;
	return NULL;
}

static bool profiles_name_devices(const struct install_facts *f)
{
	for (size_t i = 0; i < f->n_profiles; i++)
		if (f->profiles[i].r >= 0 && f->profiles[i].prof.n_pci)
			return true;
	return false;
}

void install_facts_read(const struct setup_opts *o, const struct setup_facts *host, struct install_facts *ret)
{
	struct install_facts f = { .host = host };

	for (size_t i = 0; i < o->users.n && i < SETUP_MAX_ITEMS; i++)
		f.users[i] = valid_user_name(o->users.v[i]) < 0 ? 0 : user_exists(o, o->users.v[i]);

	f.profiles = xcalloc(o->profiles.n ? o->profiles.n : 1, sizeof(*f.profiles));
	for (size_t i = 0; i < o->profiles.n; i++) {
		struct profile_facts *pf = &f.profiles[f.n_profiles++];
		struct profile_errors perr = { 0 };

		pf->path = o->profiles.v[i];
		pf->r = profile_load(pf->path, &pf->prof, &perr);
		if (pf->r < 0) {
			for (size_t j = 0; j < perr.msgs.n; j++)
				strv_push(&pf->errors, perr.msgs.v[j]);
			profile_free(&pf->prof);
			pf->prof = (struct profile){ 0 };
		}
		profile_errors_free(&perr);
	}

	if (o->devices.n || o->ids.n || profiles_name_devices(&f)) {
		f.pci_read = true;
		f.pci_error = pci_host_scan_ids(o->root, &f.pci);
		for (size_t i = 0; f.pci_error >= 0 && i < f.pci.n; i++) {
			const char *drv = f.pci.dev[i].driver;
			_cleanup_free_ char *mod = NULL;

			if (!drv || streq(drv, "vfio-pci") || install_facts_module(&f, drv))
				continue;
			mod = pci_driver_module(o->root, drv);
			if (mod)
				strv_pushf(&f.driver_modules, "%s=%s", drv, mod);
		}
	}

	f.templates_dir = templates_dir(o);
	for (size_t i = 0; f.templates_dir && i < INSTALL_TEMPLATES; i++)
		read_template(f.templates_dir, template_names[i], &f.templates[i]);
	*ret = f;
}

void install_facts_free(struct install_facts *f)
{
	for (size_t i = 0; i < f->n_profiles; i++) {
		if (f->profiles[i].r >= 0)
			profile_free(&f->profiles[i].prof);
		strv_clear(&f->profiles[i].errors);
	}
	free(f->profiles);
	if (f->pci_read && f->pci_error >= 0)
		pci_host_free(&f->pci);
	strv_clear(&f->driver_modules);
	free(f->templates_dir);
	free(f->hooks_error);
	for (size_t i = 0; i < INSTALL_TEMPLATES; i++) {
		free(f->templates[i].path);
		free(f->templates[i].text);
		free(f->templates[i].error);
	}
	*f = (struct install_facts){ 0 };
}
