/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What install should make true: the facts it needs, read first, then a pure plan from them. */
#pragma once

#include "profile.h"
#include "setup.h"

#define INSTALL_TEMPLATES 10

#ifndef TEMPLATES_DATADIR
#define TEMPLATES_DATADIR "/usr/local/share/qemu-vm"
#endif
/* Where make install puts vfio-setup: the units that run it name it there. */
#ifndef SETUP_BINDIR
#define SETUP_BINDIR "/usr/local/bin"
#endif

/* One template file as read: its text, or why it cannot be used. */
struct tmpl_file {
	const char *name; /* "udev/65-qemu-vm.rules.in" */
	char *path; /* where it was read, for messages */
	char *text; /* NULL: see error */
	char *error;
};

/* One --profile as loaded: the profile, or its errors. */
struct profile_facts {
	const char *path;
	int r; /* profile_load()'s result */
	struct profile prof;
	struct strv errors;
};

/* Everything install_plan_build() reads, gathered beforehand (install_facts_read) or made by
 * hand in tests. Nothing in the plan reads a file or asks a database. */
struct install_facts {
	const struct setup_facts *host;
	int users[SETUP_MAX_ITEMS]; /* user_exists() of each --user, in order */
	struct profile_facts *profiles;
	size_t n_profiles;
	bool pci_read;
	int pci_error; /* < 0: the PCI devices could not be read */
	struct pci_host pci;
	struct strv driver_modules; /* "DRIVER=MODULE" for the drivers bound now */
	char *templates_dir; /* NULL: not found */
	struct tmpl_file templates[INSTALL_TEMPLATES];
	bool hooks_lack_modconf; /* mkinitcpio.conf's HOOKS, as before the first install */
	char *hooks_error; /* "FILE:LINE: …": HOOKS lacks modconf and cannot be edited */
};

/* Reads the users, profiles, PCI devices, modules and templates @o names. */
void install_facts_read(const struct setup_opts *o, const struct setup_facts *host,
			struct install_facts *ret);
void install_facts_free(struct install_facts *f);
/* The template @name of @f, NULL when it is not one install uses. */
struct tmpl_file *install_facts_template(const struct install_facts *f, const char *name);
/* The kernel module of a bound @driver, or NULL. */
const char *install_facts_module(const struct install_facts *f, const char *driver);

enum target_kind {
	TGT_TEMPLATE, /* a file vfio-setup owns, rendered from a template */
	TGT_MKINITCPIO, /* MODULES=(…) of mkinitcpio.conf */
	TGT_GRUB, /* /etc/default/grub */
	TGT_GRUB_DROPIN, /* /etc/default/grub.d/99-qemu-vm.cfg, where that directory exists */
	TGT_KCMDLINE, /* /etc/kernel/cmdline */
	TGT_LOADER, /* a boot loader entry */
	TGT_MODLINES, /* /etc/initramfs-tools/modules */
	TGT_BOOSTER, /* /etc/booster.yaml */
	TGT_MKINITCPIO_HOOKS, /* HOOKS=(…) of mkinitcpio.conf alone, beside a mkinitcpio.conf.d drop-in */
};

struct target {
	char *path; /* root-relative */
	enum target_kind kind;
	char *content; /* TGT_TEMPLATE: the rendered file */
};

struct setup_plan {
	char *group;
	struct strv users;
	struct strv ids; /* vfio-pci IDs, "10de:1b81", in the order found, unique */
	struct strv softdeps;
	struct strv handover; /* PCI functions left to their host driver at boot, "0000:01:00.0" */
	struct strv params; /* kernel command line words to add */
	struct strv modules; /* initramfs modules */
	uint64_t memlock; /* bytes */
	uint64_t huge_count, huge_size;
	struct target *targets;
	size_t n_targets, n_alloc;
	const char *initramfs; /* to regenerate, or NULL */
	const char *bootloader; /* to update, or NULL */
	char *grub_mkconfig;
	struct strv notes; /* said before acting: what is skipped and why */
	struct strv held; /* functions a profile skips, "0000:01:00.1": held on no driver */
	bool huge_on_demand; /* the group may grow the huge page pools */
	bool add_modconf; /* to mkinitcpio.conf's HOOKS */
};

/* Validates every input and computes the plan from @f alone (no I/O); on -EINVAL every
 * problem is in @errors. */
int install_plan_build(const struct install_facts *f, const struct setup_opts *o, struct setup_plan *ret,
		       struct strv *errors);
void install_plan_free(struct setup_plan *p);
/* Adds a target at @path (root-relative) to @p. */
struct target *install_plan_add_target(struct setup_plan *p, const char *path, enum target_kind kind);
bool install_plan_has_target(const struct setup_plan *p, const char *path);

/* The wanted content of @t given its original content (NULL when it did not exist). */
int install_plan_content(const struct target *t, const struct setup_plan *p, const struct setup_facts *f,
			 const char *orig, char **ret, char **ret_error);

/* Where the templates are: --templates, else next to the binary (installed or build tree),
 * else $(DATADIR)/qemu-vm as the Makefile installs them. */
char *templates_dir(const struct setup_opts *o);
