// SPDX-License-Identifier: GPL-2.0-or-later
/* Users and groups: who exists and who is a member (NSS on the host, the tree's own
 * /etc/passwd and /etc/group under --root), and the shadow-utils tools that change them. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include "engine.h"
#include "fsutil.h"

/* The line of @name (its first field) in the tree's @file (/etc/passwd, /etc/group) into
 * *@ret_line without its newline: 1 found, 0 not there, -ENOENT when there is no such file. */
static int db_line(const struct setup_opts *o, const char *file, const char *name, char **ret_line)
{
	_cleanup_free_ char *p = under_root(o, file);
	_cleanup_fclose_ FILE *fp = fopen(p, "re");
	char line[8192];
	size_t n = strlen(name);

	if (!fp)
		return -ENOENT;
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			line[strcspn(line, "\n")] = '\0';
			if (ret_line)
				*ret_line = xstrdup(line);
			return 1;
		}
	return 0;
}

int user_exists(const struct setup_opts *o, const char *name)
{
	if (o->root_given)
		return db_line(o, "/etc/passwd", name, NULL);
	return getpwnam(name) ? 1 : 0;
}

int group_exists(const struct setup_opts *o, const char *name)
{
	if (o->root_given)
		return db_line(o, "/etc/group", name, NULL);
	return getgrnam(name) ? 1 : 0;
}

bool user_in_group(const struct setup_opts *o, const char *user, const char *group)
{
	_cleanup_free_ char *line = NULL;
	char *members;

	if (!o->root_given) {
		struct group *g = getgrnam(group);
		struct passwd *pw = getpwnam(user);

		if (!g)
			return false;
		if (pw && pw->pw_gid == g->gr_gid)
			return true;
		for (char **m = g->gr_mem; *m; m++)
			if (streq(*m, user))
				return true;
		return false;
	}
	if (db_line(o, "/etc/group", group, &line) <= 0)
		return false;
	members = strrchr(line, ':') + 1;
	for (char *save = NULL, *w = strtok_r(members, ",", &save); w; w = strtok_r(NULL, ",", &save))
		if (streq(w, user))
			return true;
	return false;
}

/* Group and membership tools act on the host, or on --root with their own --root when run as
 * root on a tree that has a user database; otherwise the step is recorded and said. */
bool can_run_account_tools(const struct setup_opts *o)
{
	_cleanup_free_ char *p = under_root(o, "/etc/group");

	if (!o->root_given)
		return true;
	return geteuid() == 0 && file_kind(p) == 1;
}

int run_account_tool(const struct setup_opts *o, const char *const *args)
{
	const char *argv[10];
	size_t n = 0;
	int r;

	argv[n++] = args[0];
	if (o->root_given) {
		argv[n++] = "--root";
		argv[n++] = o->root;
	}
	for (size_t i = 1; args[i] && n < ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	r = setup_run(o, argv, true);
	if (r != 0)
		setup_log_error("%s %s: %s", args[0], args[1], r < 0 ? strerror(-r) : "failed");
	return r == 0 ? 0 : -EIO;
}
