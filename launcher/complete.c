// SPDX-License-Identifier: GPL-2.0-or-later
/* Shell completion's one source: the words that fit where the cursor is, from the command table
 * and the host, so that the bash, zsh and fish scripts only call qemu-vm __complete. */
#include <sys/stat.h>
#include "commands.h"
#include "complete.h"

static void offer_running(const char *cur)
{
	_cleanup_free_ char *rt = NULL, *dir = NULL;
	struct dirent **names = NULL;
	bool fallback;
	int n;

	rt = runtime_base(&fallback);
	dir = xasprintf("%s/qemu-vm", rt);
	n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *sock = xasprintf("%s/%s/qmp.sock", dir, names[i]->d_name);
		struct stat st;

		if (names[i]->d_name[0] != '.' && lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			complete_offer(names[i]->d_name, cur);
		free(names[i]);
	}
	free(names);
}

static void offer_kind(const struct global *g, enum arg_kind kind, const char *words,
		       const struct command *cmds, size_t n_cmds, const char *cur)
{
	switch (kind) {
	case ARG_PROFILE: {
		_cleanup_free_ char *user = expand_path("$XDG_CONFIG_HOME/qemu-vm");
		_cleanup_free_ char *sys = host_path(g->root, "/etc/qemu-vm");

		complete_ini_stems(user, cur);
		complete_ini_stems(sys, cur);
		break;
	}
	case ARG_RUNNING:
		offer_running(cur);
		break;
	case ARG_PCI:
		complete_pci(g->root, cur);
		break;
	case ARG_USB: {
		struct usb_host usb;

		if (usb_host_scan(g->root, &usb) < 0)
			break;
		for (size_t i = 0; i < usb.n; i++) {
			char w[48];
			snprintf(w, sizeof(w), "%04x:%04x", usb.dev[i].vendor, usb.dev[i].product);
			complete_offer(w, cur);
			snprintf(w, sizeof(w), "%u-%s", usb.dev[i].bus, usb.dev[i].port);
			complete_offer(w, cur);
		}
		usb_host_free(&usb);
		break;
	}
	case ARG_COMMAND:
		for (size_t i = 0; i < n_cmds; i++)
			complete_offer(cmds[i].name, cur);
		break;
	case ARG_WORDS:
		complete_words_of(words, cur);
		break;
	case ARG_NONE:
	case ARG_DIR:
		break;
	}
}

static const struct command_option *find_option(const struct command_option *opts, const char *arg)
{
	size_t len = strcspn(arg + 2, "=");

	for (const struct command_option *o = opts; o && o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, arg + 2, len) == 0)
			return o;
	return NULL;
}

static void offer_options(const struct command_option *opts, bool help, const char *cur)
{
	for (const struct command_option *o = opts; o && o->name; o++) {
		_cleanup_free_ char *w = xasprintf("--%s", o->name);
		complete_offer(w, cur);
	}
	if (help)
		complete_offer("--help", cur);
}

/* Walks the words before the cursor: the global options, the command, its options (and their
 * arguments) and its positional arguments; then offers what fits the cursor's place. */
int complete_words(const struct global *g, const struct command_option *globals, const struct command *cmds,
		   size_t n_cmds, int argc, char **argv)
{
	const char *cur = argc > 0 ? argv[argc - 1] : "";
	const struct command *c = NULL;
	const struct command_option *o;
	struct global gg = *g;
	int i = 0, pos = 0, last = argc - 1;

	for (; i < last && argv[i][0] == '-'; i++) {
		o = startswith(argv[i], "--") ? find_option(globals, argv[i]) : NULL;
		if (o && o->arg && !strchr(argv[i], '=')) {
			if (++i == last)
				return 0; /* a directory: the shell's own file completion */
			if (streq(o->name, "host-root"))
				gg.root = argv[i];
		}
	}
	if (i >= last) {
		if (cur[0] == '-')
			offer_options(globals, false, cur);
		else
			offer_kind(&gg, ARG_COMMAND, NULL, cmds, n_cmds, cur);
		return 0;
	}
	for (size_t k = 0; k < n_cmds; k++)
		if (streq(cmds[k].name, argv[i]))
			c = &cmds[k];
	if (!c)
		return 0;
	for (i++; i < last; i++) {
		if (streq(argv[i], "--"))
			continue;
		if (argv[i][0] != '-') {
			pos++;
			continue;
		}
		o = startswith(argv[i], "--") ? find_option(c->opts, argv[i]) : NULL;
		if (o && o->arg && !strchr(argv[i], '=') && ++i == last) {
			offer_kind(&gg, o->kind, NULL, cmds, n_cmds, cur);
			return 0;
		}
	}
	if (cur[0] == '-') {
		offer_options(c->opts, true, cur);
		return 0;
	}
	/* The last positional repeats when the synopsis says so ("DEV]..."). */
	if (pos >= (int)ARRAY_SIZE(c->pos))
		pos = strstr(c->args, "...") ? (int)ARRAY_SIZE(c->pos) - 1 : -1;
	if (pos >= 0)
		offer_kind(&gg, c->pos[pos], c->words, cmds, n_cmds, cur);
	return 0;
}
