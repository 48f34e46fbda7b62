// SPDX-License-Identifier: GPL-2.0-or-later
/* vfio-setup: option parsing and the command table; the commands live in their own files. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "setup.h"

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
	OPT_HELP,
};

static const struct option all_options[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "user", required_argument, NULL, OPT_USER },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "ids", required_argument, NULL, OPT_IDS },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "memlock", required_argument, NULL, OPT_MEMLOCK },
	{ "hugepages", required_argument, NULL, OPT_HUGEPAGES },
	{ "no-initramfs", no_argument, NULL, OPT_NO_INITRAMFS },
	{ "no-cmdline", no_argument, NULL, OPT_NO_CMDLINE },
	{ "no-ignore-msrs", no_argument, NULL, OPT_NO_IGNORE_MSRS },
	{ "cmdline-ids", no_argument, NULL, OPT_CMDLINE_IDS },
	{ "initramfs", required_argument, NULL, OPT_INITRAMFS },
	{ "bootloader", required_argument, NULL, OPT_BOOTLOADER },
	{ "templates", required_argument, NULL, OPT_TEMPLATES },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

struct command {
	const char *name;
	int (*run)(const struct setup_opts *o);
	const int *allowed; /* option codes this command takes, 0-terminated */
	const char *usage;
	void (*read_inputs)(struct setup_opts *o); /* before privileges are dropped, or NULL */
};

static const int scan_opts[] = { OPT_ROOT, OPT_JSON, 0 };
static const int install_opts[] = { OPT_ROOT, OPT_DRY_RUN, OPT_FORCE, OPT_USER, OPT_GROUP,
				    OPT_DEVICE, OPT_IDS, OPT_PROFILE, OPT_MEMLOCK, OPT_HUGEPAGES,
				    OPT_NO_INITRAMFS, OPT_NO_CMDLINE, OPT_NO_IGNORE_MSRS,
				    OPT_CMDLINE_IDS, OPT_INITRAMFS, OPT_BOOTLOADER, OPT_TEMPLATES,
				    0 };
static const int uninstall_opts[] = { OPT_ROOT, OPT_DRY_RUN, OPT_FORCE, OPT_TEMPLATES, 0 };
static const int status_opts[] = { OPT_ROOT, 0 };

static const struct command commands[] = {
	{ "scan", setup_cmd_scan, scan_opts, "[--json] [--root DIR]", NULL },
	{ "install", setup_cmd_install, install_opts,
	  "[--user NAME]… [--group NAME] [--device BDF|--ids VEN:DEV,…]… [--profile FILE]…\n"
	  "              [--memlock SIZE|auto] [--hugepages COUNTxSIZE] [--no-initramfs]\n"
	  "              [--no-cmdline] [--cmdline-ids] [--no-ignore-msrs] [--initramfs NAME]\n"
	  "              [--bootloader grub|kernel-install|loader-entries] [--templates DIR]\n"
	  "              [--root DIR] [--dry-run] [--force]",
	  setup_install_read },
	{ "uninstall", setup_cmd_uninstall, uninstall_opts, "[--root DIR] [--dry-run] [--force]",
	  NULL },
	{ "status", setup_cmd_status, status_opts, "[--root DIR]", NULL },
};

static void usage(FILE *out)
{
	fprintf(out, "usage:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  vfio-setup %s %s\n", commands[i].name, commands[i].usage);
	fprintf(out, "\nscan needs no privileges; install and uninstall need root unless --root.\n"
		     "status exits 0 when all is in place, 1 on drift or a pending reboot, 3 when "
		     "not installed.\n");
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

static int parse_options(const struct command *c, int argc, char **argv, struct setup_opts *o,
			 char **ret_root)
{
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", all_options, NULL)) != -1) {
		if (opt == 'h') {
			printf("usage: vfio-setup %s %s\n", c->name, c->usage);
			exit(0);
		}
		if (opt == '?')
			return -EINVAL;
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
				setup_log_error("--initramfs: expected mkinitcpio, dracut, initramfs-tools or "
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
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		setup_log_error("%s: unexpected argument '%s'", c->name, argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct setup_opts o = { .root = "/" };
	_cleanup_free_ char *root = NULL;
	const struct command *c = NULL;
	int r;

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h") || streq(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(argv[1], commands[i].name))
			c = &commands[i];
	if (!c) {
		setup_log_error("unknown command '%s' (hint: vfio-setup --help)", argv[1]);
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
	setup_inputs_free(&o);
	return r;
}
