// SPDX-License-Identifier: GPL-2.0-or-later
/* qemu-vm: global options and the command table. */
#include <getopt.h>
#include "commands.h"

static const struct command {
	const char *name;
	int (*fn)(const struct global *g, int argc, char **argv);
	const char *args;
	const char *help;
} commands[] = {
	{ "run", cmd_run, "[--detach] NAME", "check, then start the VM and supervise it" },
	{ "check", cmd_check, "NAME", "every precondition, each with its fix" },
	{ "show", cmd_show, "[--oneline] NAME", "the QEMU command line, shell-quoted; nothing started" },
	{ "stop", cmd_stop, "[--force] NAME", "ACPI power button; --force quits QEMU after the timeout" },
	{ "usb", cmd_usb, "attach|detach NAME [DEV]", "USB passthrough, live (DEV: vendor:product or bus-port)" },
	{ "log", cmd_log, "NAME", "the last run's log" },
	{ "list", cmd_list, "", "the profiles found" },
	{ "devices", cmd_devices, "", "PCI devices by IOMMU group, and USB devices" },
	{ "desktop", cmd_desktop, "[--print|--remove] NAME", "an application menu entry that starts NAME" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: qemu-vm [--host-root DIR] [--allow-root] COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-8s %-24s %s\n", commands[i].name, commands[i].args, commands[i].help);
	fprintf(out, "\nProfiles: $XDG_CONFIG_HOME/qemu-vm/NAME.ini, /etc/qemu-vm/NAME.ini, or a path.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host-root", required_argument, NULL, 'r' },
		{ "allow-root", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct global g = { .root = "/" };
	int c;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			g.root = optarg;
			break;
		case 'A':
			g.allow_root = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (refuse_elevated())
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(argv[optind], commands[i].name))
			return commands[i].fn(&g, argc - optind, argv + optind);
	fprintf(stderr, "qemu-vm: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
