/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the plan's files share: the builder they append argv words and checks to, and its helpers. */
#pragma once

#include "plan.h"
#include "qopt.h"

struct builder {
	const struct profile *p;
	const struct vm_facts *f;
	struct plan *pl;
};

/* A check of @level; @fix is copied (NULL for none). */
_printf_(4, 5) void plan_check(struct builder *b, enum check_level level, const char *fix, const char *fmt,
			       ...);
void plan_arg(struct builder *b, const char *s);
/* Appends the finished option @o to argv. */
void plan_arg_opt(struct builder *b, struct qopt *o);
const char *plan_size_str(uint64_t bytes, char *buf, size_t len);
/* vfio-setup install for every device the profile names, then whatever @then says. */
char *plan_install_profile_fix(const struct vm_facts *f, const char *then);
/* A file the profile names: readable (and writable when rw), with file:line in the message. */
void plan_check_file(struct builder *b, const struct host_file *hf, const struct loc *loc, const char *key,
		     const char *what, bool rw);

/* plan-machine.c */
void plan_machine(struct builder *b);
void plan_check_machine(struct builder *b);

/* plan-pci.c */
/* The host device a [pci] section names, or NULL. */
const struct pci_dev_info *plan_section_device(const struct builder *b, const struct pci_section *s);
void plan_pci(struct builder *b);

/* plan-handover.c: the checks of a handover = on device that is not on vfio-pci yet; false when
 * the usual checks apply (not handover, or on vfio-pci already). */
bool plan_check_handover(struct builder *b, const struct pci_section *s, const struct pci_dev_info *d);

/* plan-devices.c */
void plan_devices(struct builder *b);
/* A shared-memory device: -object memory-backend-file,id=@id-mem,… and -device ivshmem-plain,id=@id. */
void plan_ivshmem(struct builder *b, const char *id, const char *path, uint64_t size);
/* The check of a shared-memory file in /dev/shm or elsewhere (not a kvmfr device) that QEMU
 * creates when missing and grows when too small; @loc is its path = line, else the section's. */
void plan_check_shm_file(struct builder *b, const struct host_file *hf, const char *section, const char *path,
			 uint64_t size, const struct loc *loc);

/* plan-scream.c */
void plan_scream(struct builder *b);

/* plan-spice.c */
void plan_spice(struct builder *b);
/* Whether the client qemu-vm viewer starts is there (a warning when not). */
void plan_check_viewer(struct builder *b);
/* plan-tpm.c */
void plan_tpm(struct builder *b);
