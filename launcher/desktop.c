// SPDX-License-Identifier: GPL-2.0-or-later
/* qemu-vm desktop: a desktop entry that starts a profile's VM from the application menu. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sys/stat.h>
#include "commands.h"
#include "fsutil.h"
#include "plan.h"

/* The Desktop Entry Specification's reserved characters in an Exec argument. */
static const char exec_reserved[] = " \t\n\"'\\><~|&;$*?#()`";

/* One Exec argument: double-quoted when it holds a reserved character, with ", `, $ and \
 * escaped inside the quotes; % doubled everywhere (a lone % starts a field code). */
static void put_exec_arg(FILE *out, const char *s)
{
	bool quote = s[0] == '\0' || s[strcspn(s, exec_reserved)] != '\0';

	if (quote)
		fputc('"', out);
	for (const char *c = s; *c; c++) {
		if (quote && strchr("\"`$\\", *c))
			fputc('\\', out);
		if (*c == '%')
			fputc('%', out);
		fputc(*c, out);
	}
	if (quote)
		fputc('"', out);
}

/* A string value: the spec's escapes for backslash and the white space a line cannot hold. The
 * Exec value gets this too, after its own quoting, which is why a backslash inside a quoted
 * argument ends up as four. */
static char *escape_value(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		abort();
	for (const char *c = s; *c; c++) {
		if (*c == '\\')
			fputs("\\\\", out);
		else if (*c == '\n')
			fputs("\\n", out);
		else if (*c == '\t')
			fputs("\\t", out);
		else if (*c == '\r')
			fputs("\\r", out);
		else if (*c == ' ' && c == s)
			fputs("\\s", out);
		else
			fputc(*c, out);
	}
	fclose(out);
	return buf;
}

/* "EXE ARG…" as an Exec value, quoted and escaped. */
static char *exec_value(const char *exe, const char *cmd, const char *arg)
{
	_cleanup_free_ char *raw = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&raw, &len);

	if (!out)
		abort();
	put_exec_arg(out, exe);
	fprintf(out, " %s ", cmd);
	put_exec_arg(out, arg);
	fclose(out);
	return escape_value(raw);
}

/* What `run` and `stop` are given from the menu: the name when the user gave a name (found again
 * in the profile directories at each start, as on the command line), else the profile's absolute
 * path, which also keeps a name that starts with '-' from reading as an option. */
static char *profile_arg(const char *typed, const struct profile *p)
{
	char *abs;

	if (!profile_name_is_path(typed))
		return xstrdup(typed);
	abs = realpath(p->path, NULL);
	return abs ? abs : xstrdup(p->path);
}

/* Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF): a desktop
 * entry is UTF-8, and a file name need not be. */
static bool utf8_valid(const char *s)
{
	const unsigned char *c = (const unsigned char *)s;

	while (*c) {
		unsigned n, cp;

		if (*c < 0x80) {
			c++;
			continue;
		}
		if (*c >= 0xc2 && *c <= 0xdf)
			n = 1, cp = *c & 0x1f;
		else if (*c >= 0xe0 && *c <= 0xef)
			n = 2, cp = *c & 0x0f;
		else if (*c >= 0xf0 && *c <= 0xf4)
			n = 3, cp = *c & 0x07;
		else
			return false;
		for (unsigned i = 1; i <= n; i++) {
			if ((c[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (c[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		c += n + 1;
	}
	return true;
}

/* The name in the application menu: the profile's title, else the profile's name. */
static char *menu_title(const struct profile *p)
{
	return strempty(p->title) ? xasprintf("%s (qemu-vm)", p->name) : xstrdup(p->title);
}

/* The line that says which profile an entry belongs to: another profile's entry, or one the
 * user wrote, is never overwritten or removed. */
#define PROFILE_KEY "X-QemuVm-Profile="

/* The entry's text. Pure: the profile, the argument run and stop get (profile_arg()), and the
 * qemu-vm to start. */
static char *desktop_entry(const struct profile *p, const char *arg, const char *exe)
{
	_cleanup_free_ char *name = menu_title(p), *title = NULL, *run = NULL, *stop = NULL, *try_exec = NULL,
			    *comment = NULL, *owner = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	title = escape_value(name);
	/* The menu holds no process: run returns once QMP answers, the supervisor goes on. */
	run = exec_value(exe, "run --detach", arg);
	stop = exec_value(exe, "stop", arg);
	try_exec = escape_value(exe);
	comment = escape_value(p->path);
	owner = escape_value(arg);
	out = open_memstream(&buf, &len);
	if (!out)
		abort();
	fprintf(out,
		"[Desktop Entry]\n"
		"Type=Application\n"
		"Version=1.4\n"
		"Name=%s\n"
		"GenericName=Virtual Machine\n"
		"Comment=Starts the VM of %s with qemu-vm\n"
		"Icon=computer\n"
		"TryExec=%s\n"
		"Exec=%s\n"
		"Terminal=false\n"
		"StartupNotify=false\n"
		"Categories=System;Emulator;\n"
		"Keywords=VM;QEMU;VFIO;passthrough;\n"
		"Actions=stop;\n" PROFILE_KEY "%s\n"
		"\n"
		"[Desktop Action stop]\n"
		"Name=Shut Down\n"
		"Exec=%s\n",
		title, comment, try_exec, run, owner, stop);
	fclose(out);
	return buf;
}

/* The entry's file name: a desktop file ID keeps to letters, digits, - and _ (each other byte of
 * the profile name becomes _). */
static char *entry_file(const char *dir, const char *name)
{
	_cleanup_free_ char *id = xstrdup(name);

	for (char *c = id; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", *c))
			*c = '_';
	return xasprintf("%s/qemu-vm-%s.desktop", dir, id);
}

/* 0 when @file is missing or is this profile's entry (its PROFILE_KEY line names @arg); else
 * says whose it is and returns -EEXIST (or another -errno when it cannot be read). */
static int check_owner(const char *file, const char *arg)
{
	_cleanup_free_ char *text = NULL, *want = NULL, *esc = escape_value(arg);
	size_t len;
	int r = read_file_full(file, &text, &len);

	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		fprintf(stderr, "qemu-vm: %s: %s%s\n", file, strerror(-r),
			r == -ELOOP ? " (a symlink is never written through; remove it first)" : "");
		return r;
	}
	want = xasprintf("\n" PROFILE_KEY "%s\n", esc);
	if (strstr(text, want))
		return 0;
	const char *other = strstr(text, "\n" PROFILE_KEY);
	if (other) {
		other += strlen("\n" PROFILE_KEY);
		fprintf(stderr,
			"qemu-vm: %s belongs to the profile '%.*s', not '%s': left as it is (hint: "
			"qemu-vm desktop --remove with that profile, or rename this one)\n",
			file, (int)strcspn(other, "\n"), other, arg);
	} else
		fprintf(stderr,
			"qemu-vm: %s was not written by qemu-vm desktop: left as it is (hint: "
			"move it away if it is yours to lose)\n",
			file);
	return -EEXIST;
}

static const char usage_text[] = "usage: qemu-vm desktop [--print | --remove] NAME\n";

/* Installs, prints or removes the entry of the loaded profile @p; the exit status. */
static int desktop_for(const struct profile *p, const char *typed, bool print, bool remove)
{
	_cleanup_free_ char *data = expand_path("$XDG_DATA_HOME"), *dir = NULL, *file = NULL, *exe = NULL,
			    *entry = NULL, *title = NULL, *quoted = NULL, *arg = NULL;
	int r;

	if (!data && !print) {
		fprintf(stderr, "qemu-vm: neither XDG_DATA_HOME nor HOME is set: no place for the entry "
				"(hint: run it from your desktop session)\n");
		return 1;
	}
	if (data) {
		dir = xasprintf("%s/applications", data);
		file = entry_file(dir, p->name);
	}
	arg = profile_arg(typed, p);
	if (!utf8_valid(arg) || !utf8_valid(p->name) || !utf8_valid(p->path) ||
	    (p->title && !utf8_valid(p->title))) {
		fprintf(stderr,
			"qemu-vm: %s: the profile's name, path or title is not valid UTF-8, which a "
			"desktop entry must be (hint: rename the file)\n",
			p->path);
		return 1;
	}
	if (!print && check_owner(file, arg) < 0)
		return 1;

	if (remove) {
		r = remove_file_durable(file);
		if (r == -ENOENT)
			printf("%s: no desktop entry at %s, nothing to remove\n", p->name, file);
		else if (r < 0)
			fprintf(stderr, "qemu-vm: %s: %s\n", file, strerror(-r));
		else
			printf("%s: removed %s\n", p->name, file);
		return r < 0 && r != -ENOENT ? 1 : 0;
	}

	/* The menu starts the very qemu-vm that wrote the entry, whatever the session's PATH. */
	exe = realpath("/proc/self/exe", NULL);
	if (!exe) {
		fprintf(stderr, "qemu-vm: /proc/self/exe: %s (hint: is /proc mounted?)\n", strerror(errno));
		return 1;
	}
	entry = desktop_entry(p, arg, exe);
	if (print) {
		fputs(entry, stdout);
		return 0;
	}
	r = mkdir_parents(dir, 0755);
	if (r >= 0)
		r = write_file_atomic(file, entry, strlen(entry), 0644);
	if (r < 0) {
		fprintf(stderr, "qemu-vm: %s: %s%s\n", r == -ELOOP ? file : dir, strerror(-r),
			r == -ELOOP ? " (a symlink is never written through; remove it first)" : "");
		return 1;
	}
	title = menu_title(p);
	quoted = shell_quote(typed);
	printf("%s: installed %s ('%s' in the application menu; qemu-vm desktop --remove %s takes it "
	       "away)\n",
	       p->name, file, title, quoted);
	return 0;
}

/* The entry is written either way (the host may be fixed later); a start from the menu that
 * check refuses now would only end in a notification, so say so here, where someone reads it. */
static void warn_if_not_ready(const struct global *g, const struct profile *p, const char *typed)
{
	struct vm_facts f;
	struct plan pl;

	if (inspect(g->root, p, typed, "desktop runs nothing (check asks QEMU once)", &f) < 0)
		return;
	plan_build(p, &f, &pl);
	for (size_t i = 0; i < pl.n_checks; i++)
		if (pl.checks[i].level == CHECK_FAIL) {
			_cleanup_free_ char *quoted = shell_quote(typed);
			fprintf(stderr,
				"qemu-vm: warning: %s fails check now: %s%s%s (qemu-vm check %s shows every check; "
				"the entry works once it passes)\n",
				p->name, pl.checks[i].what, pl.checks[i].fix ? "; fix: " : "",
				pl.checks[i].fix ? pl.checks[i].fix : "", quoted);
			break;
		}
	if (!plan_has_display(p, &f)) {
		bool stdio = p->console == CONSOLE_STDIO;
		_cleanup_free_ char *quoted = shell_quote(typed);
		_cleanup_free_ char *term =
			stdio ? xasprintf("; its console shows in a terminal: qemu-vm run %s", quoted) : NULL;

		fprintf(stderr,
			"qemu-vm: warning: %s has nothing to show when started from the menu: no window "
			"(display = none%s), no [looking-glass] and no GPU passed (hint: display = gtk in [vm] "
			"of %s, or a [looking-glass] section%s)\n",
			p->name, stdio ? ", console = stdio" : "", p->path, term ? term : "");
	}
	plan_free(&pl);
	vm_facts_free(&f);
}

int cmd_desktop(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "print", no_argument, NULL, 'p' },
		{ "remove", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	bool print = false, remove = false;
	struct profile p;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'p')
			print = true;
		else if (c == 'r')
			remove = true;
		else {
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || (print && remove)) {
		fputs(usage_text, stderr);
		return 2;
	}
	/* A profile that does not parse would only fail from the menu, where nobody reads why. */
	if (load_profile(g, argv[optind], &p) < 0)
		return 1;
	r = desktop_for(&p, argv[optind], print, remove);
	if (r == 0 && !print && !remove)
		warn_if_not_ready(g, &p, argv[optind]);
	profile_free(&p);
	return r;
}
