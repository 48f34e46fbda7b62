/* SPDX-License-Identifier: GPL-2.0-or-later */
/* In-place edits of distribution files (mkinitcpio.conf, /etc/default/grub, kernel command
 * lines, module lists): pure string → string, everything else in the file kept byte for byte. */
#pragma once

#include "strv.h"

/* The items of @s with @sep between them, malloc'd. */
char *join_words(const struct strv *s, const char *sep);

/* Kernel command line words: what is added replaces a word with the same key (before '='),
 * everything else is kept in order. Returns a malloc'd string. */
char *cmdline_merge(const char *old, const struct strv *add);

/* The MODULES=(…) array of mkinitcpio.conf: @mods first, then the previous entries in order
 * (without duplicates of @mods). Appends a MODULES line when there is none. */
int edit_mkinitcpio(const char *in, const struct strv *mods, char **ret, char **ret_error);

/* The HOOKS=(…) array of mkinitcpio.conf with modconf added when it lacks it (after microcode,
 * autodetect, systemd, udev or base, the first found); *ret is a copy of @in when it has it,
 * on one line or several. One it lacks, and that spans lines, holds an expansion or a partly
 * quoted entry, is refused: -EINVAL, with the fix, and the line HOOKS starts on in *ret_line
 * when not NULL (0: HOOKS is not set). */
int edit_mkinitcpio_hooks(const char *in, char **ret, unsigned *ret_line, char **ret_error);

/* /etc/default/grub: merges @params into GRUB_CMDLINE_LINUX_DEFAULT (or GRUB_CMDLINE_LINUX
 * when only that one is set), keeping its quoting. */
int edit_grub_default(const char *in, const struct strv *params, char **ret, char **ret_error);

/* A file of one kernel command line (/etc/kernel/cmdline). */
int edit_kernel_cmdline(const char *in, const struct strv *params, char **ret, char **ret_error);

/* A boot loader entry (Boot Loader Specification): merges into its "options" line. */
int edit_loader_entry(const char *in, const struct strv *params, char **ret, char **ret_error);

/* initramfs-tools' modules file: appends each module that no line names yet, after a comment. */
int edit_module_lines(const char *in, const struct strv *mods, char **ret, char **ret_error);

/* booster.yaml: merges @mods into modules_force_load (a comma-separated list). */
int edit_booster(const char *in, const struct strv *mods, char **ret, char **ret_error);
