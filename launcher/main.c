// SPDX-License-Identifier: GPL-2.0-or-later
/* qemu-vm: global options and the command table. */
#include <getopt.h>
#include "commands.h"

#ifndef VERSION
#error "VERSION comes from the Makefile"
#endif

static const struct command_option global_options[] = {
	{ "host-root", "DIR", "read /sys, /dev, /proc and /etc under DIR (bug reports, tests)", ARG_DIR },
	{ "allow-root", NULL, "run, check and usb even as root or with a capability", ARG_NONE },
	{ "help", NULL, "this help", ARG_NONE },
	{ "version", NULL, "the version", ARG_NONE },
	{ NULL, NULL, NULL, ARG_NONE },
};

#define MAINTENANCE_HELP "the same VM without [pci], evdev and Looking Glass, with a display"

static const struct command_option show_opts[] = {
	{ "oneline", NULL, "the command line on one line", ARG_NONE },
	{ "json", NULL, "{ name, argv: [...] }", ARG_NONE },
	{ "maintenance", NULL, MAINTENANCE_HELP, ARG_NONE },
	{ NULL, NULL, NULL, ARG_NONE },
};
static const struct command_option check_opts[] = {
	{ "json", NULL, "{ name, ready, problems, warnings, checks: [{ level, what, fix }] }", ARG_NONE },
	{ "maintenance", NULL, MAINTENANCE_HELP, ARG_NONE },
	{ NULL, NULL, NULL, ARG_NONE },
};
static const struct command_option list_opts[] = {
	{ "json", NULL, "[{ name, title, path, where, valid }]", ARG_NONE },
	{ NULL, NULL, NULL, ARG_NONE },
};
static const struct command_option devices_opts[] = {
	{ "json", NULL, "{ pci: [{ address, iommu_group, class, ... }], usb: [{ port, vendor, ... }] }",
	  ARG_NONE },
	{ NULL, NULL, NULL, ARG_NONE },
};
static const struct command_option stop_opts[] = {
	{ "force", NULL, "quit QEMU when the guest has not powered off after the timeout", ARG_NONE },
	{ "timeout", "SECONDS", "how long to wait for the guest (default 60, at most 3600)", ARG_NONE },
	{ NULL, NULL, NULL, ARG_NONE },
};
static const struct command_option run_opts[] = {
	{ "detach", NULL, "return once QMP answers; the supervisor goes on in the background", ARG_NONE },
	{ "maintenance", NULL, MAINTENANCE_HELP, ARG_NONE },
	{ NULL, NULL, NULL, ARG_NONE },
};
static const struct command_option viewer_opts[] = {
	{ "maintenance", NULL, "the viewer of a VM that run --maintenance started", ARG_NONE },
	{ NULL, NULL, NULL, ARG_NONE },
};
static const struct command_option desktop_opts[] = {
	{ "print", NULL, "print the entry instead of installing it", ARG_NONE },
	{ "remove", NULL, "remove the entry", ARG_NONE },
	{ NULL, NULL, NULL, ARG_NONE },
};

/* ARG_DIR: a path, which the shells complete themselves. */
static const struct command_option new_opts[] = {
	{ "gpu", "BDF", "pass this card (again for another; default: the GPU that is not the boot GPU)",
	  ARG_PCI },
	{ "disk", "PATH[:SIZE]", "the system disk; with SIZE a new qcow2 image (never over a file)",
	  ARG_DIR },
	{ "iso", "FILE", "an installer ISO, as a CD-ROM", ARG_DIR },
	{ "virtio-iso", "FILE", "the virtio-win drivers ISO, as a second CD-ROM", ARG_DIR },
	{ "windows", "11", "a Windows 11 guest: a TPM 2.0 ([tpm]) and secure-boot = on", ARG_NONE },
	{ NULL, NULL, NULL, ARG_NONE },
};

static int cmd_help(const struct global *g, int argc, char **argv);
static int cmd_complete(const struct global *g, int argc, char **argv);

static const struct command commands[] = {
	{ "run", cmd_run, "[--detach] [--maintenance] NAME", "check, then start the VM and supervise it",
	  run_opts, "qemu-vm run --detach gaming", .pos = { ARG_PROFILE } },
	{ "check", cmd_check, "[--json] [--maintenance] NAME", "every precondition, each with its fix",
	  check_opts, "qemu-vm check gaming", .pos = { ARG_PROFILE } },
	{ "show", cmd_show, "[--oneline|--json] [--maintenance] NAME",
	  "the QEMU command line, shell-quoted; nothing started", show_opts, "qemu-vm show --oneline gaming",
	  .pos = { ARG_PROFILE } },
	{ "stop", cmd_stop, "[--force] [--timeout SECONDS] NAME",
	  "ACPI power button; --force quits QEMU after the timeout", stop_opts,
	  "qemu-vm stop --timeout 120 gaming", .pos = { ARG_RUNNING } },
	{ "usb",
	  cmd_usb,
	  "attach|detach NAME [DEVICE...]",
	  "USB passthrough, live (DEVICE: vendor:product or bus-port)",
	  NULL,
	  "qemu-vm usb attach gaming 046d:c52b",
	  { ARG_WORDS, ARG_RUNNING, ARG_USB },
	  "attach|detach" },
	{ "log", cmd_log, "NAME", "the last run's log", .example = "qemu-vm log gaming",
	  .pos = { ARG_PROFILE } },
	{ "viewer", cmd_viewer, "[--maintenance] NAME",
	  "opens a running VM: Looking Glass's client, or a SPICE viewer", viewer_opts,
	  "qemu-vm viewer gaming", .pos = { ARG_RUNNING } },
	{ "list", cmd_list, "[--json]", "the profiles found", list_opts, .example = "qemu-vm list" },
	{ "devices", cmd_devices, "[--json]", "PCI devices by IOMMU group, and USB devices", devices_opts,
	  .example = "qemu-vm devices --json" },
	{ "desktop", cmd_desktop, "[--print|--remove] NAME", "an application menu entry that starts NAME",
	  desktop_opts, "qemu-vm desktop gaming", .pos = { ARG_PROFILE } },
	{ "new", cmd_new,
	  "[--gpu BDF]... [--disk PATH[:SIZE]] [--iso FILE] [--virtio-iso FILE] [--windows 11] NAME",
	  "a commented profile made from this host's devices", new_opts,
	  "qemu-vm new --gpu 01:00 --disk ~/vm/win11.qcow2:128G --iso ~/Win11.iso gaming",
	  .pos = { ARG_NONE } },
	{ "help", cmd_help, "[COMMAND]", "this overview, or a command's options and an example",
	  .example = "qemu-vm help stop", .pos = { ARG_COMMAND } },
};

/* Not in the table: shown by no help, used by the shell completion scripts. */
static const struct command complete_command = { "__complete", cmd_complete, "WORD... CURRENT", "",
						 .example = "" };

static void usage(FILE *out)
{
	fprintf(out, "usage: qemu-vm [--host-root DIR] [--allow-root] COMMAND [ARGS]\n"
		     "       qemu-vm --version | --help | COMMAND --help\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strlen(commands[i].args) > 40) /* the help goes below a long synopsis */
			fprintf(out, "  %-8s %s\n  %-8s %-40s %s\n", commands[i].name, commands[i].args, "",
				"", commands[i].help);
		else
			fprintf(out, "  %-8s %-40s %s\n", commands[i].name, commands[i].args,
				commands[i].help);
	fprintf(out, "\nProfiles: $XDG_CONFIG_HOME/qemu-vm/NAME.ini, /etc/qemu-vm/NAME.ini, or a path.\n"
		     "Exit status: 0 done, 1 failed (or check found a problem), 2 usage error.\n"
		     "More: qemu-vm help COMMAND, man qemu-vm, man qemu-vm.ini\n");
}

static void print_option(FILE *out, const struct command_option *o)
{
	_cleanup_free_ char *lhs = xasprintf("--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");

	fprintf(out, "  %-22s %s\n", lhs, o->help);
}

static void command_help(const struct command *c, FILE *out)
{
	fprintf(out, "usage: qemu-vm %s%s%s\n\n%s\n\nOptions:\n", c->name, *c->args ? " " : "", c->args,
		c->help);
	for (const struct command_option *o = c->opts; o && o->name; o++)
		print_option(out, o);
	fprintf(out, "  %-22s %s\n\nExample:\n  %s\n", "-h, --help", "this help", c->example);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(name, commands[i].name))
			return &commands[i];
	return streq(name, complete_command.name) ? &complete_command : NULL;
}

static void unknown_command(const char *typed)
{
	const char *names[ARRAY_SIZE(commands)], *near;
	_cleanup_free_ char *shown = escape_control(typed);

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		names[i] = commands[i].name;
	near = nearest_word(typed, names, ARRAY_SIZE(names));
	if (near)
		fprintf(stderr, "qemu-vm: unknown command '%s' (did you mean '%s'?)\n", shown, near);
	else
		fprintf(stderr, "qemu-vm: unknown command '%s' (qemu-vm help lists them)\n", shown);
}

/* "--name" or "--name=value" against @opts: the option, NULL when unknown. A unique prefix counts,
 * as it does for getopt_long. Sets *ret_suggest to the nearest name when unknown. */
static const struct command_option *match_option(const char *arg, const struct command_option *opts,
						 const char **ret_suggest)
{
	const char *names[32];
	const struct command_option *prefixed = NULL;
	size_t len = strcspn(arg + 2, "="), n = 0, n_prefixed = 0;
	_cleanup_free_ char *word = xstrndup(arg + 2, len);

	for (const struct command_option *o = opts; o && o->name && n < ARRAY_SIZE(names); o++) {
		if (streq(o->name, word))
			return o;
		if (startswith(o->name, word)) {
			prefixed = o;
			n_prefixed++;
		}
		names[n++] = o->name;
	}
	if (n_prefixed == 1 && len > 0)
		return prefixed;
	*ret_suggest = nearest_word(word, names, n);
	return NULL;
}

/* Before a command runs: --help anywhere prints its help (exit 0); an unknown option is refused
 * with the nearest known one (exit 2). -1 when the command should run. */
static int precheck_options(const struct command *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *near = NULL;
		const struct command_option *o;

		if (streq(a, "--"))
			break;
		if (streq(a, "-h") || streq(a, "--help")) {
			command_help(c, stdout);
			return 0;
		}
		if (a[0] != '-' || a[1] == '\0')
			continue;
		o = a[1] == '-' ? match_option(a, c->opts, &near) : NULL;
		if (!o) {
			_cleanup_free_ char *shown = escape_control(a);

			fprintf(stderr, "qemu-vm %s: unknown option '%s'", c->name, shown);
			if (near)
				fprintf(stderr, " (did you mean '--%s'?)", near);
			fprintf(stderr, "\nusage: qemu-vm %s%s%s (qemu-vm %s --help)\n", c->name,
				*c->args ? " " : "", c->args, c->name);
			return 2;
		}
		if (o->arg && !strchr(a, '=') && ++i >= argc) {
			fprintf(stderr, "qemu-vm %s: option '--%s' needs %s\nusage: qemu-vm %s %s\n", c->name,
				o->name, o->arg, c->name, c->args);
			return 2;
		}
	}
	return -1;
}
static int cmd_help(const struct global *g, int argc, char **argv)
{
	const struct command *c;

	if (argc == 1) {
		usage(stdout);
		return 0;
	}
	if (argc > 2) {
		fprintf(stderr, "usage: qemu-vm help [COMMAND]\n");
		return 2;
	}
	c = find_command(argv[1]);
	if (!c || c == &complete_command) {
		unknown_command(argv[1]);
		return 2;
	}
	command_help(c, stdout);
	return 0;
}

static int cmd_complete(const struct global *g, int argc, char **argv)
{
	return complete_words(g, global_options, commands, ARRAY_SIZE(commands), argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host-root", required_argument, NULL, 'r' },
		{ "allow-root", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct global g = { .root = "/" };
	const struct command *cmd;
	int c, r;

	opterr = 0;
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
		case 'V':
			printf("qemu-vm %s\n", VERSION);
			return 0;
		default: {
			const char *a = argv[optind - 1], *near = NULL;
			_cleanup_free_ char *shown = escape_control(a);

			if (optopt == 'r' || (startswith(a, "--host") && !strchr(a, '=')))
				fprintf(stderr, "qemu-vm: option '%s' needs a directory\n", shown);
			else {
				if (startswith(a, "--"))
					match_option(a, global_options, &near);
				fprintf(stderr, "qemu-vm: unknown option '%s'", shown);
				if (near)
					fprintf(stderr, " (did you mean '--%s'?)", near);
				fputc('\n', stderr);
			}
			fprintf(stderr, "(qemu-vm --help lists the options)\n");
			return 2;
		}
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (refuse_elevated())
		return 1;
	cmd = find_command(argv[optind]);
	if (!cmd) {
		unknown_command(argv[optind]);
		return 2;
	}
	if (cmd != &complete_command) {
		r = precheck_options(cmd, argc - optind, argv + optind);
		if (r >= 0)
			return r;
	}
	r = optind;
	optind = 1;
	return cmd->fn(&g, argc - r, argv + r);
}
