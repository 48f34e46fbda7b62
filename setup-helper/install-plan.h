/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What install should make true, computed from options, profiles and host facts (no writes). */
#pragma once

#include "setup.h"

#define PLAN_MAX_TARGETS 48

enum target_kind {
	TGT_TEMPLATE,   /* a file vfio-setup owns, rendered from a template */
	TGT_MKINITCPIO, /* MODULES=(…) of mkinitcpio.conf */
	TGT_GRUB,       /* /etc/default/grub */
	TGT_KCMDLINE,   /* /etc/kernel/cmdline */
	TGT_LOADER,     /* a boot loader entry */
	TGT_MODLINES,   /* /etc/initramfs-tools/modules */
	TGT_BOOSTER,    /* /etc/booster.yaml */
};

struct target {
	char *path; /* root-relative */
	enum target_kind kind;
	char *content; /* TGT_TEMPLATE: the rendered file */
};

struct setup_plan {
	char *group;
	struct strv users;
	struct strv ids;     /* vfio-pci IDs, "10de:1b81", in the order found, unique */
	struct strv softdeps;
	struct strv params;  /* kernel command line words to add */
	struct strv modules; /* initramfs modules */
	uint64_t memlock;    /* bytes */
	uint64_t huge_count, huge_size;
	struct target targets[PLAN_MAX_TARGETS];
	size_t n_targets;
	const char *initramfs;  /* to regenerate, or NULL */
	const char *bootloader; /* to update, or NULL */
	char *grub_mkconfig;
	struct strv notes; /* said before acting: what is skipped and why */
};

/* Validates every input and computes the plan; on -EINVAL every problem is in @errors. */
int install_plan_build(const struct setup_opts *o, const struct setup_facts *f, struct setup_plan *ret,
	       struct strv *errors);
void install_plan_free(struct setup_plan *p);

/* The wanted content of @t given its original content (NULL when it did not exist). */
int install_plan_content(const struct target *t, const struct setup_plan *p, const struct setup_facts *f,
		 const char *orig, char **ret, char **ret_error);

/* Where the templates are: --templates, else next to the binary (installed or build tree),
 * else $(DATADIR)/qemu-vm as the Makefile installs them. */
char *templates_dir(const struct setup_opts *o);
