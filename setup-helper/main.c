// SPDX-License-Identifier: GPL-2.0-or-later
/* vfio-setup: option parsing and the command table; the commands live in their own files. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "complete.h"
#include "profile.h"
#include "setup.h"
#include "hostmem.h"

enum {
	OPT_ROOT = 0x100,
	OPT_DRY_RUN,
	OPT_FORCE,
	OPT_JSON,
	OPT_USER,
	OPT_GROUP,
	OPT_DEVICE,
	OPT_IDS,
	OPT_PROFILE,
	OPT_MEMLOCK,
	OPT_HUGEPAGES,
	OPT_NO_INITRAMFS,
	OPT_NO_CMDLINE,
	OPT_NO_IGNORE_MSRS,
	OPT_CMDLINE_IDS,
	OPT_INITRAMFS,
	OPT_BOOTLOADER,
	OPT_TEMPLATES,
	OPT_HUGEPAGES_ON_DEMAND,
	OPT_OPEN_AT_BOOT,
	OPT_ALLOW_UNSAFE_INTERRUPTS,
};

#ifndef VERSION
#error "VERSION comes from the Makefile"
#endif

/* Every option once: getopt's table is made from it, help and completion read it. */
static const struct setup_option {
	const char *name;
	const char *arg; /* NULL: takes none */
	int code;
	const char *help;
} options[] = {
	{ "root", "DIR", OPT_ROOT, "act on the system under DIR (image builds, tests)" },
	{ "dry-run", NULL, OPT_DRY_RUN, "print unified diffs, write nothing" },
	{ "force", NULL, OPT_FORCE, "overwrite files changed since install, replace a foreign entry" },
	{ "json", NULL, OPT_JSON, "machine-readable output" },
	{ "user", "NAME", OPT_USER, "a user who runs VMs (repeatable)" },
	{ "group", "NAME", OPT_GROUP, "the group that gets the devices (default qemu-vm)" },
	{ "device", "BDF", OPT_DEVICE, "a PCI device to hand to vfio-pci at boot (repeatable)" },
	{ "ids", "VEN:DEV,...", OPT_IDS, "vendor:device IDs for vfio-pci (repeatable)" },
	{ "profile", "FILE|NAME", OPT_PROFILE, "take devices and sizes from a qemu-vm profile (repeatable)" },
	{ "memlock", "SIZE|auto", OPT_MEMLOCK, "the locked-memory limit for the group" },
	{ "hugepages", "COUNTxSIZE", OPT_HUGEPAGES, "reserve huge pages at boot, e.g. 16x1G" },
	{ "no-initramfs", NULL, OPT_NO_INITRAMFS, "leave the initramfs generator alone" },
	{ "no-cmdline", NULL, OPT_NO_CMDLINE, "leave the kernel command line alone" },
	{ "no-ignore-msrs", NULL, OPT_NO_IGNORE_MSRS, "do not set kvm ignore_msrs" },
	{ "cmdline-ids", NULL, OPT_CMDLINE_IDS, "put vfio-pci.ids= on the kernel command line too" },
	{ "initramfs", "NAME", OPT_INITRAMFS, "mkinitcpio, dracut, initramfs-tools or booster" },
	{ "bootloader", "NAME", OPT_BOOTLOADER, "grub, kernel-install or loader-entries" },
	{ "templates", "DIR", OPT_TEMPLATES, "where the udev, limits and modprobe templates are" },
	{ "hugepages-on-demand", NULL, OPT_HUGEPAGES_ON_DEMAND,
	  "let the group grow the huge page pools (a profile with hugepages asks for it too)" },
	{ "open-at-boot", "BDF", OPT_OPEN_AT_BOOT,
	  "open this vfio-pci device through VFIO once at boot (repeatable)" },
	{ "allow-unsafe-interrupts", NULL, OPT_ALLOW_UNSAFE_INTERRUPTS,
	  "let VFIO assign devices without interrupt remapping (vfio-setup scan says when)" },
};

struct command {
	const char *name;
	int (*run)(const struct setup_opts *o);
	const int *allowed; /* option codes this command takes, 0-terminated */
	const char *usage;
	const char *help;
	const char *example;
	void (*read_inputs)(struct setup_opts *o); /* before privileges are dropped, or NULL */
	bool takes_bdf; /* one operand: a PCI function */
};

static const int scan_opts[] = { OPT_ROOT, OPT_JSON, 0 };
static const int install_opts[] = { OPT_ROOT,
				    OPT_DRY_RUN,
				    OPT_FORCE,
				    OPT_USER,
				    OPT_GROUP,
				    OPT_DEVICE,
				    OPT_IDS,
				    OPT_PROFILE,
				    OPT_MEMLOCK,
				    OPT_HUGEPAGES,
				    OPT_NO_INITRAMFS,
				    OPT_NO_CMDLINE,
				    OPT_NO_IGNORE_MSRS,
				    OPT_CMDLINE_IDS,
				    OPT_INITRAMFS,
				    OPT_BOOTLOADER,
				    OPT_TEMPLATES,
				    OPT_HUGEPAGES_ON_DEMAND,
				    OPT_OPEN_AT_BOOT,
				    OPT_ALLOW_UNSAFE_INTERRUPTS,
				    0 };
static const int uninstall_opts[] = { OPT_ROOT, OPT_DRY_RUN, OPT_FORCE, OPT_TEMPLATES, 0 };
/* status, bind, unbind and open */
static const int root_opts[] = { OPT_ROOT, 0 };

static const struct command commands[] = {
	{ "scan", setup_cmd_scan, scan_opts, "[--json] [--root DIR]",
	  "IOMMU groups, GPUs, drivers and what to pass (needs no root)", "vfio-setup scan", NULL, false },
	{ "install", setup_cmd_install, install_opts,
	  "[--user NAME]... [--group NAME] [--device BDF|--ids VEN:DEV,...]... [--profile FILE|NAME]...\n"
	  "              [--memlock SIZE|auto] [--hugepages COUNTxSIZE] [--no-initramfs]\n"
	  "              [--no-cmdline] [--cmdline-ids] [--no-ignore-msrs] [--initramfs NAME]\n"
	  "              [--bootloader grub|kernel-install|loader-entries] [--templates DIR]\n"
	  "              [--hugepages-on-demand] [--open-at-boot BDF]... [--allow-unsafe-interrupts]\n"
	  "              [--root DIR] [--dry-run] [--force]",
	  "set the host up for VFIO passthrough: group, udev rules, limits, modprobe.d, initramfs, "
	  "kernel command line",
	  "sudo vfio-setup install --user alice --profile gaming", setup_install_read, false },
	{ "uninstall", setup_cmd_uninstall, uninstall_opts, "[--root DIR] [--dry-run] [--force]",
	  "put every file install changed back as it was", "sudo vfio-setup uninstall", NULL, false },
	{ "open", setup_cmd_open, root_opts, "[--root DIR] BDF",
	  "open a device on vfio-pci through VFIO (container, group, device) and close it again: "
	  "what the unit of install --open-at-boot runs",
	  "sudo vfio-setup open 01:00.0", NULL, true },
	{ "status", setup_cmd_status, root_opts, "[--root DIR]",
	  "whether what install wrote is in place (0), drifted or awaits a reboot (1), or absent (3)",
	  "vfio-setup status", NULL, false },
	{ "bind", setup_cmd_bind, root_opts, "BDF [--root DIR]",
	  "move the IOMMU group of BDF to vfio-pci, unless the host still uses the card (what the "
	  "handover unit runs)",
	  "sudo vfio-setup bind 0000:01:00.0", NULL, true },
	{ "unbind", setup_cmd_unbind, root_opts, "BDF [--root DIR]",
	  "give the functions bind moved back to the drivers they had", "sudo vfio-setup unbind 0000:01:00.0",
	  NULL, true },
};

static void usage(FILE *out)
{
	fprintf(out, "usage:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  vfio-setup %s %s\n", commands[i].name, commands[i].usage);
	fprintf(out, "  vfio-setup help [COMMAND]\n  vfio-setup --help | --version\n"
		     "\nscan needs no privileges; install and uninstall need root unless --root.\n"
		     "Exit status: 0 done, 1 failed, 2 usage error; status: 1 on drift or a pending "
		     "reboot, 3 when not installed.\n");
}

static const struct setup_option *option_by_code(int code)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (options[i].code == code)
			return &options[i];
	return NULL;
}

static void command_help(const struct command *c)
{
	printf("usage: vfio-setup %s %s\n\n%s\n\nOptions:\n", c->name, c->usage, c->help);
	for (const int *a = c->allowed; *a; a++) {
		const struct setup_option *o = option_by_code(*a);
		_cleanup_free_ char *lhs = xasprintf("--%s%s%s", o->name, o->arg ? " " : "",
						     o->arg ? o->arg : "");
		printf("  %-24s %s\n", lhs, o->help);
	}
	printf("  %-24s %s\n\nExample:\n  %s\n", "-h, --help", "this help", c->example);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static void unknown_command(const char *typed)
{
	const char *names[ARRAY_SIZE(commands) + 1], *near;
	_cleanup_free_ char *shown = escape_control(typed);

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		names[i] = commands[i].name;
	names[ARRAY_SIZE(commands)] = "help";
	near = nearest_word(typed, names, ARRAY_SIZE(names));
	if (near)
		setup_log_error("unknown command '%s' (did you mean '%s'?)", shown, near);
	else
		setup_log_error("unknown command '%s' (hint: vfio-setup --help)", shown);
}

/* getopt has refused argv[optind - 1]: say so, with the nearest option the command takes. */
static void unknown_option(const struct command *c, const char *arg, int code)
{
	const char *names[ARRAY_SIZE(options)], *near = NULL;
	_cleanup_free_ char *shown = escape_control(arg), *word = NULL;
	size_t n = 0;

	if (code && option_by_code(code) && option_by_code(code)->arg && !strchr(arg, '=')) {
		setup_log_error("%s: option '--%s' needs %s", c->name, option_by_code(code)->name,
				option_by_code(code)->arg);
		return;
	}
	for (const int *a = c->allowed; *a; a++)
		names[n++] = option_by_code(*a)->name;
	if (startswith(arg, "--")) {
		word = xstrndup(arg + 2, strcspn(arg + 2, "="));
		near = nearest_word(word, names, n);
	}
	if (near)
		setup_log_error("%s: unknown option '%s' (did you mean '--%s'?)", c->name, shown, near);
	else
		setup_log_error("%s: unknown option '%s' (hint: vfio-setup %s --help)", c->name, shown,
				c->name);
}

/* vfio-setup __complete WORD... CURRENT: what the shell completion scripts offer. */
static int complete(int argc, char **argv)
{
	const char *cur = argc > 0 ? argv[argc - 1] : "", *root = "/";
	const struct command *c = argc > 1 ? find_command(argv[0]) : NULL;
	const struct setup_option *prev = NULL;

	if (argc <= 1) {
		for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
			complete_offer(commands[i].name, cur);
		complete_offer("help", cur);
		return 0;
	}
	if (!c)
		return 0;
	for (int i = 1; i < argc - 1; i++) {
		prev = NULL;
		for (const int *a = c->allowed; *a; a++)
			if (startswith(argv[i], "--") && streq(argv[i] + 2, option_by_code(*a)->name))
				prev = option_by_code(*a);
		if (prev && prev->code == OPT_ROOT && i + 1 < argc - 1)
			root = argv[i + 1];
		if (prev && prev->arg)
			i++;
	}
	if (prev && prev->arg && startswith(argv[argc - 2], "--") && streq(argv[argc - 2] + 2, prev->name)) {
		_cleanup_free_ char *profiles = NULL;

		switch (prev->code) {
		case OPT_DEVICE:
			complete_pci(root, cur);
			break;
		case OPT_PROFILE:
			profiles = expand_path("$XDG_CONFIG_HOME/qemu-vm");
			complete_ini_stems(profiles, cur);
			break;
		case OPT_INITRAMFS:
			complete_words_of("mkinitcpio|dracut|initramfs-tools|booster", cur);
			break;
		case OPT_BOOTLOADER:
			complete_words_of("grub|kernel-install|loader-entries", cur);
			break;
		default:
			break;
		}
		return 0;
	}
	for (const int *a = c->allowed; *a; a++) {
		_cleanup_free_ char *w = xasprintf("--%s", option_by_code(*a)->name);
		complete_offer(w, cur);
	}
	complete_offer("--help", cur);
	return 0;
}

static bool allowed(const struct command *c, int opt)
{
	for (const int *a = c->allowed; *a; a++)
		if (*a == opt)
			return true;
	return false;
}

static int push_capped(struct strv *s, const char *v, const char *what)
{
	if (s->n >= SETUP_MAX_ITEMS) {
		setup_log_error("%s: at most %d", what, SETUP_MAX_ITEMS);
		return -E2BIG;
	}
	if (strlen(v) > 4096) {
		setup_log_error("%s: value too long", what);
		return -E2BIG;
	}
	strv_push(s, v);
	return 0;
}

/* --profile NAME (not a path): NAME.ini in ~/.config/qemu-vm of the user who ran sudo (else of
 * the one --user), then in ROOT/etc/qemu-vm, as qemu-vm looks it up for that user. The path
 * replaces the name; -EINVAL, said on stderr, when there is none. */
static int resolve_profile(const struct setup_opts *o, char **inout)
{
	const char *name = *inout, *who = secure_getenv("SUDO_USER");
	_cleanup_free_ char *user_path = NULL, *sys_path = NULL;
	struct passwd *pw;

	if (profile_name_is_path(name))
		return 0;
	if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
			      strlen(name)) {
		_cleanup_free_ char *shown = escape_control(name);
		setup_log_error("--profile: '%s': a profile name has only letters, digits, - and _ (or give "
				"a path to a .ini file)",
				shown);
		return -EINVAL;
	}
	if (strempty(who) && o->users.n == 1)
		who = o->users.v[0];
	pw = strempty(who) ? NULL : getpwnam(who);
	if (pw && pw->pw_dir[0] == '/') {
		user_path = xasprintf("%s/.config/qemu-vm/%s.ini", pw->pw_dir, name);
		if (access(user_path, R_OK) == 0) {
			free(*inout);
			*inout = TAKE_PTR(user_path);
			return 0;
		}
	}
	sys_path = xasprintf("%s/etc/qemu-vm/%s.ini", streq(o->root, "/") ? "" : o->root, name);
	if (access(sys_path, R_OK) == 0) {
		free(*inout);
		*inout = TAKE_PTR(sys_path);
		return 0;
	}
	if (user_path)
		setup_log_error("--profile: no profile '%s' (looked for %s and %s; give a path, or "
				"qemu-vm list shows what there is)",
				name, user_path, sys_path);
	else
		setup_log_error("--profile: no profile '%s' in %s, and no user to look for it (run it "
				"through sudo as that user, give one --user, or give a path)",
				name, sys_path);
	return -ENOENT;
}

static int parse_options(const struct command *c, int argc, char **argv, struct setup_opts *o,
			 char **ret_root)
{
	struct option all_options[ARRAY_SIZE(options) + 2] = { { "help", no_argument, NULL, 'h' } };
	int opt;

	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		all_options[i + 1] = (struct option){ options[i].name,
						      options[i].arg ? required_argument : no_argument, NULL,
						      options[i].code };
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", all_options, NULL)) != -1) {
		if (opt == 'h') {
			command_help(c);
			exit(0);
		}
		if (opt == '?') {
			unknown_option(c, argv[optind - 1], optopt);
			return -EINVAL;
		}
		if (!allowed(c, opt)) {
			setup_log_error("%s: option '%s' does not apply here", c->name, argv[optind - 1]);
			return -EINVAL;
		}
		switch (opt) {
		case OPT_ROOT: {
			char *r = realpath(optarg, NULL);
			struct stat st;

			if (!r || stat(r, &st) < 0 || !S_ISDIR(st.st_mode)) {
				setup_log_error("--root: '%s' is not a directory", optarg);
				free(r);
				return -EINVAL;
			}
			free(*ret_root);
			*ret_root = r;
			o->root = r;
			o->root_given = !streq(r, "/");
			break;
		}
		case OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_USER:
			if (push_capped(&o->users, optarg, "--user") < 0)
				return -EINVAL;
			break;
		case OPT_GROUP:
			o->group = optarg;
			break;
		case OPT_DEVICE:
			if (push_capped(&o->devices, optarg, "--device") < 0)
				return -EINVAL;
			break;
		case OPT_IDS:
			if (push_capped(&o->ids, optarg, "--ids") < 0)
				return -EINVAL;
			break;
		case OPT_PROFILE:
			if (push_capped(&o->profiles, optarg, "--profile") < 0)
				return -EINVAL;
			break;
		case OPT_MEMLOCK:
			o->memlock = optarg;
			break;
		case OPT_HUGEPAGES:
			o->hugepages = optarg;
			break;
		case OPT_NO_INITRAMFS:
			o->no_initramfs = true;
			break;
		case OPT_NO_CMDLINE:
			o->no_cmdline = true;
			break;
		case OPT_NO_IGNORE_MSRS:
			o->no_ignore_msrs = true;
			break;
		case OPT_CMDLINE_IDS:
			o->cmdline_ids = true;
			break;
		case OPT_INITRAMFS:
			if (!streq(optarg, "mkinitcpio") && !streq(optarg, "dracut") &&
			    !streq(optarg, "initramfs-tools") && !streq(optarg, "booster")) {
				setup_log_error(
					"--initramfs: expected mkinitcpio, dracut, initramfs-tools or "
					"booster, got '%s'",
					optarg);
				return -EINVAL;
			}
			o->initramfs = optarg;
			break;
		case OPT_BOOTLOADER:
			if (!streq(optarg, "grub") && !streq(optarg, "kernel-install") &&
			    !streq(optarg, "loader-entries")) {
				setup_log_error("--bootloader: expected grub, kernel-install or "
						"loader-entries, got '%s'",
						optarg);
				return -EINVAL;
			}
			o->bootloader = optarg;
			break;
		case OPT_TEMPLATES:
			o->templates = optarg;
			break;
		case OPT_HUGEPAGES_ON_DEMAND:
			o->hugepages_on_demand = true;
			break;
		case OPT_OPEN_AT_BOOT:
			if (push_capped(&o->open_at_boot, optarg, "--open-at-boot") < 0)
				return -EINVAL;
			break;
		case OPT_ALLOW_UNSAFE_INTERRUPTS:
			o->allow_unsafe_interrupts = true;
			break;
		default:
			return -EINVAL;
		}
	}
	if (c->takes_bdf && optind == argc - 1)
		o->bdf = argv[optind++];
	else if (c->takes_bdf) {
		setup_log_error(
			"%s: expected one PCI function like 0000:01:00.0 (hint: vfio-setup %s --help)",
			c->name, c->name);
		return -EINVAL;
	}
	if (optind < argc) {
		setup_log_error("%s: unexpected argument '%s'", c->name, argv[optind]);
		return -EINVAL;
	}
	for (size_t i = 0; i < o->profiles.n; i++)
		if (resolve_profile(o, &o->profiles.v[i]) < 0)
			return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct setup_opts o = { .root = "/" };
	_cleanup_free_ char *root = NULL;
	const struct command *c = NULL;
	int r;

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h") ||
	    (streq(argv[1], "help") && (argc == 2 || streq(argv[2], "help") || streq(argv[2], "--help")))) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (streq(argv[1], "--version")) {
		printf("vfio-setup %s\n", VERSION);
		return 0;
	}
	if (streq(argv[1], "__complete"))
		return complete(argc - 2, argv + 2);
	if (streq(argv[1], "help")) {
		c = argc == 3 ? find_command(argv[2]) : NULL;
		if (c)
			command_help(c);
		else if (argc == 3)
			unknown_command(argv[2]);
		else
			fprintf(stderr, "usage: vfio-setup help [COMMAND]\n");
		return c ? 0 : 2;
	}
	c = find_command(argv[1]);
	if (!c) {
		unknown_command(argv[1]);
		return 2;
	}
	r = parse_options(c, argc - 1, argv + 1, &o, &root);
	if (r >= 0 && c->read_inputs)
		c->read_inputs(&o);
	if (r >= 0)
		r = setup_caps_drop(c->name, &o);
	if (r < 0)
		r = 2;
	else
		r = c->run(&o);
	strv_clear(&o.users);
	strv_clear(&o.devices);
	strv_clear(&o.ids);
	strv_clear(&o.profiles);
	strv_clear(&o.open_at_boot);
	setup_inputs_free(&o);
	return r;
}
