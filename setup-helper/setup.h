/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vfio-setup's commands, options and the host facts they read (all under --root). */
#pragma once

#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "pci.h"
#include "strv.h"

#define SETUP_MAX_ITEMS 64 /* users, devices, IDs, profiles: each at most this many */
#define SETUP_DEFAULT_GROUP "qemu-vm"
#define SETUP_STATE_DIR "/var/lib/vfio-setup"

struct install_facts;

struct setup_opts {
	const char *root; /* "/" unless --root; absolute */
	bool root_given;
	bool dry_run, force, json;
	const char *group;
	struct strv users, devices, ids, profiles;
	const char *memlock; /* NULL: auto */
	const char *hugepages; /* "16x1G" */
	bool no_initramfs, no_cmdline, no_ignore_msrs, cmdline_ids;
	const char *initramfs; /* forced generator */
	const char *bootloader; /* forced boot loader */
	const char *templates; /* template directory override */
	bool hugepages_on_demand, allow_unsafe_interrupts;
	struct strv open_at_boot; /* --open-at-boot BDFs */
	const char *bdf; /* bind, unbind, open: the PCI function */
	/* install: its inputs (profiles, templates, devices), read while the process still has
	 * the privileges to read them (setup_install_read), then used after they are dropped. */
	struct install_facts *inputs;
};

enum cpu_vendor { CPU_UNKNOWN, CPU_INTEL, CPU_AMD };

struct setup_facts {
	enum cpu_vendor cpu;
	uint64_t mem_total; /* bytes, 0 unknown */
	const char *initramfs; /* "mkinitcpio", "dracut", "initramfs-tools", "booster" or NULL */
	char *initramfs_error; /* several found: the message */
	bool mkinitcpio_dropin;
	const char *bootloader; /* "grub", "kernel-install", "loader-entries" or NULL */
	char *grub_mkconfig; /* "update-grub", "grub-mkconfig", "grub2-mkconfig" */
	bool grub_dropin; /* /etc/default/grub.d is a directory: grub-mkconfig reads *.cfg */
	struct strv loader_entries; /* root-relative paths of BLS entries */
	struct strv kernels; /* installed kernel releases (with a vmlinuz), version order */
	struct strv kernel_images; /* their images, root-relative, in the same order */
	char *proc_cmdline; /* the running kernel's command line, or NULL */
	bool systemd_booted; /* /run/systemd/system is there: systemd runs (sd_booted()) */
};

/* Root-relative path → the path to open. */
char *under_root(const struct setup_opts *o, const char *path);

int setup_facts_read(const struct setup_opts *o, struct setup_facts *ret);
void setup_facts_free(struct setup_facts *f);
const char *cpu_vendor_name(enum cpu_vendor v);

/* Validation of everything a user hands over; each returns 0 or -EINVAL. */
int valid_user_name(const char *s);
int valid_module_or_param(const char *s);
int valid_udev_value(const char *s);
/* Does user/group @name exist (ROOT/etc/passwd or ROOT/etc/group under --root, NSS on /)?
 * 1 yes, 0 no, -ENOENT when there is no database to ask. */
int user_exists(const struct setup_opts *o, const char *name);
int group_exists(const struct setup_opts *o, const char *name);

/* Runs @argv (no shell, found in PATH) with @acts (may be NULL) and @envp (NULL: ours), and
 * waits; returns its exit status or -errno. */
int spawn_wait(const char *const *argv, const posix_spawn_file_actions_t *acts, char *const *envp);
/* Runs @argv (no shell) and waits; returns its exit status or -errno. Refused under --root
 * (-EPERM) unless @ok_under_root: programs that take --root themselves. */
int setup_run(const struct setup_opts *o, const char *const *argv, bool ok_under_root);

/* Capabilities: keeps only what @cmd needs; fails naming the missing ones. */
int setup_caps_drop(const char *cmd, const struct setup_opts *o);

/* install's inputs, read before privileges are dropped: a --dry-run keeps none of them, and a
 * profile in a 0700 home is then out of reach. setup_inputs_free() frees them. */
void setup_install_read(struct setup_opts *o);
void setup_inputs_free(struct setup_opts *o);

/* The commands. Each returns the process exit status. */
int setup_cmd_scan(const struct setup_opts *o);
int setup_cmd_install(const struct setup_opts *o);
int setup_cmd_uninstall(const struct setup_opts *o);
int setup_cmd_status(const struct setup_opts *o);
/* [pci] handover = on (bind.c): the device's IOMMU group to vfio-pci, and back. */
int setup_cmd_bind(const struct setup_opts *o);
int setup_cmd_unbind(const struct setup_opts *o);

/* Test-only: VFIO_SETUP_TEST_RUN_UNDER_ROOT=1 runs the regeneration programs under --root too
 * (found in PATH: the tests put stubs there). Never set it in production. */
bool test_run_under_root(void);

/* Test-only crash hook: VFIO_SETUP_TEST_CRASH_AFTER=N kills the process with SIGKILL right
 * before the N+1-th file write. Never set it in production; it exists for the crash tests. */
void crash_hook_before_write(void);

/* Messages. */
void setup_log_error(const char *fmt, ...) _printf_(1, 2);
/* Not a failure: the run goes on and its exit status is unchanged. */
void setup_log_warning(const char *fmt, ...) _printf_(1, 2);
void setup_log_info(const char *fmt, ...) _printf_(1, 2);
