// SPDX-License-Identifier: GPL-2.0-or-later
/* Privileges through libcap: keeps only the capabilities a command needs, right after start,
 * and names any missing one. */
#include <errno.h>
#include <sys/capability.h>
#include "setup.h"

static const cap_value_t writer_caps[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER };
/* bind and unbind write root's sysfs files and /run as uid 0, and read every process's open
 * files (/proc/PID/fd of other users needs CAP_SYS_PTRACE) to say who holds the card. */
static const cap_value_t bind_caps[] = { CAP_SYS_PTRACE };

/*
 * install/uninstall on the host write root-owned files in /etc and keep owners: CAP_CHOWN,
 * CAP_DAC_OVERRIDE, CAP_FOWNER. Everything else is dropped from the effective and permitted
 * sets. The bounding set is left alone on purpose: the programs install runs (groupadd,
 * update-grub, mkinitcpio, udevadm) are started as uid 0 and get their capabilities from it,
 * and what they need is theirs to decide.
 */
int setup_caps_drop(const char *cmd, const struct setup_opts *o)
{
	bool writes = (streq(cmd, "install") || streq(cmd, "uninstall")) && !o->dry_run;
	bool binds = streq(cmd, "bind") || streq(cmd, "unbind");
	const cap_value_t *keep = binds ? bind_caps : writer_caps;
	size_t n_keep = binds ? ARRAY_SIZE(bind_caps) : ARRAY_SIZE(writer_caps);
	cap_t now = cap_get_proc(), want = cap_init();
	char missing[128] = "";
	int r = 0;

	if (!now || !want) {
		cap_free(now);
		cap_free(want);
		return -ENOMEM;
	}
	if (binds && !o->root_given && geteuid() != 0) {
		setup_log_error("%s needs root (hint: sudo vfio-setup %s BDF; qemu-vm runs it through the "
				"qemu-vm-handover@ unit)",
				cmd, cmd);
		r = -EPERM;
	}
	for (size_t i = 0; (writes || binds) && i < n_keep; i++) {
		cap_flag_value_t v = CAP_CLEAR;

		cap_get_flag(now, keep[i], CAP_PERMITTED, &v);
		if (v == CAP_SET) {
			cap_set_flag(want, CAP_PERMITTED, 1, &keep[i], CAP_SET);
			cap_set_flag(want, CAP_EFFECTIVE, 1, &keep[i], CAP_SET);
		} else if (!o->root_given && !binds) {
			char *name = cap_to_name(keep[i]);
			size_t l = strlen(missing);

			snprintf(missing + l, sizeof(missing) - l, "%s%s", l ? ", " : "", name ? name : "?");
			cap_free(name);
		}
	}
	if (r >= 0 && *missing) {
		setup_log_error("%s needs %s, which this process does not have (hint: sudo vfio-setup %s "
				"…, or --root DIR to act on another tree)",
				cmd, missing, cmd);
		r = -EPERM;
	} else if (r >= 0 && cap_compare(now, want) != 0 && cap_set_proc(want) < 0)
		r = -errno;
	cap_free(now);
	cap_free(want);
	return r;
}
