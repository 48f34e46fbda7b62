// SPDX-License-Identifier: GPL-2.0-or-later
/* What vfio-setup reads about the host before planning: CPU vendor, kernels, boot chain. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "fsutil.h"
#include "setup.h"

extern char **environ;

_printf_(2, 0) static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void setup_log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("vfio-setup: ", fmt, ap);
	va_end(ap);
}

void setup_log_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("vfio-setup: warning: ", fmt, ap);
	va_end(ap);
}

void setup_log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void crash_hook_before_write(void)
{
	static long left = -2;

	if (left == -2) {
		const char *s = secure_getenv("VFIO_SETUP_TEST_CRASH_AFTER");
		uint64_t v;

		left = s && parse_u64(s, 10, &v) >= 0 && v < 100000 ? (long)v : -1;
	}
	if (left < 0)
		return;
	if (left == 0) {
		fflush(NULL);
		raise(SIGKILL);
	}
	left--;
}

bool test_run_under_root(void)
{
	const char *s = secure_getenv("VFIO_SETUP_TEST_RUN_UNDER_ROOT");

	return s && streq(s, "1");
}

char *under_root(const struct setup_opts *o, const char *path)
{
	return host_path(o->root, path);
}

const char *cpu_vendor_name(enum cpu_vendor v)
{
	switch (v) {
	case CPU_INTEL:
		return "Intel";
	case CPU_AMD:
		return "AMD";
	case CPU_UNKNOWN:
		break;
	}
	return "unknown";
}

static bool rexists(const struct setup_opts *o, const char *path, mode_t type)
{
	_cleanup_free_ char *p = under_root(o, path);
	struct stat st;

	return lstat(p, &st) == 0 && (!type || (st.st_mode & S_IFMT) == type);
}

static bool rprogram(const struct setup_opts *o, const char *name)
{
	static const char *const dirs[] = { "/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *p = xasprintf("%s%s", dirs[i], name);
		_cleanup_free_ char *rp = under_root(o, p);
		struct stat st;

		/* /bin may be a symlink to /usr/bin: stat, not lstat, for programs. */
		if (stat(rp, &st) == 0 && S_ISREG(st.st_mode))
			return true;
	}
	return false;
}

/* Line by line, not read whole: /proc/cpuinfo outgrows a small-file buffer on many cores. */
static void read_cpu_vendor(const struct setup_opts *o, struct setup_facts *f)
{
	_cleanup_free_ char *p = under_root(o, "/proc/cpuinfo");
	_cleanup_fclose_ FILE *fp = fopen(p, "re");
	char line[512];

	while (fp && fgets(line, sizeof(line), fp)) {
		if (!startswith(line, "vendor_id"))
			continue;
		if (strstr(line, "GenuineIntel"))
			f->cpu = CPU_INTEL;
		else if (strstr(line, "AuthenticAMD") || strstr(line, "HygonGenuine"))
			f->cpu = CPU_AMD;
		break;
	}
}

static void read_meminfo(const struct setup_opts *o, struct setup_facts *f)
{
	_cleanup_free_ char *p = under_root(o, "/proc/meminfo"), *text = NULL;
	const char *line;
	unsigned long long kb;

	if (read_small_file(p, &text) < 0)
		return;
	line = strstr(text, "MemTotal:");
	if (line && sscanf(line, "MemTotal: %llu kB", &kb) == 1 && kb < (1ull << 44))
		f->mem_total = kb * 1024;
}

static void find_initramfs(const struct setup_opts *o, struct setup_facts *f)
{
	struct {
		const char *name;
		bool found;
	} g[] = {
		{ "mkinitcpio", rprogram(o, "mkinitcpio") || rexists(o, "/etc/mkinitcpio.conf", S_IFREG) },
		{ "dracut", rprogram(o, "dracut") },
		{ "initramfs-tools", rprogram(o, "mkinitramfs") },
		{ "booster", rprogram(o, "booster") },
	};
	unsigned n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(g); i++) {
		if (o->initramfs && streq(o->initramfs, g[i].name))
			f->initramfs = g[i].name;
		n += g[i].found;
	}
	if (!o->initramfs) {
		for (size_t i = 0; i < ARRAY_SIZE(g); i++)
			if (g[i].found)
				f->initramfs = g[i].name;
		if (n > 1) {
			f->initramfs = NULL;
			f->initramfs_error = xstrdup("several initramfs generators are installed "
						     "(hint: pick one with --initramfs mkinitcpio|"
						     "dracut|initramfs-tools|booster)");
		}
	}
	f->mkinitcpio_dropin = rexists(o, "/etc/mkinitcpio.conf.d", S_IFDIR);
}

static void find_loader_entries(const struct setup_opts *o, struct setup_facts *f)
{
	static const char *const dirs[] = { "/boot/loader/entries", "/efi/loader/entries",
					    "/boot/efi/loader/entries" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *p = under_root(o, dirs[i]);
		struct dirent **names = NULL;
		int n = scandir(p, &names, NULL, alphasort);

		for (int j = 0; j < n; j++) {
			size_t l = strlen(names[j]->d_name);
			if (names[j]->d_name[0] != '.' && l > 5 && streq(names[j]->d_name + l - 5, ".conf"))
				strv_pushf(&f->loader_entries, "%s/%s", dirs[i], names[j]->d_name);
			free(names[j]);
		}
		free(names);
	}
}

static bool valid_kernel_release(const char *s)
{
	if (strempty(s) || strlen(s) > 128 || s[0] == '-' || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || strchr("._+-~", *s)))
			return false;
	return true;
}

/* Every kernel with an image in /usr/lib/modules/VERSION/vmlinuz (or /lib/modules: /lib is not
 * always a link to /usr/lib), the way kernel-install add-all (systemd 255+) finds them. Looked
 * up beneath the root without following any symlink: under --root, an absolute one would lead
 * onto the host and name the host's kernel as the tree's. Distributions that install the image
 * there ship a regular file; a symlinked image, like a missing one, gets no entry, and the
 * warning for "no kernel" names the command that adds it by hand. */
static void find_kernels(const struct setup_opts *o, struct setup_facts *f)
{
	static const char *const dirs[] = { "/usr/lib/modules", "/lib/modules" };
	_cleanup_close_ int root_fd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	for (size_t i = 0; root_fd >= 0 && i < ARRAY_SIZE(dirs); i++) {
		_cleanup_close_ int dfd = -1;
		struct dirent **names = NULL;
		int n;

		/* /lib -> usr/lib is refused here: /usr/lib/modules was read already. */
		if (open_dir_beneath(root_fd, dirs[i], &dfd, NULL) < 0)
			continue;
		n = scandirat(dfd, ".", &names, NULL, versionsort);
		for (int j = 0; j < n; j++) {
			const char *v = names[j]->d_name;
			_cleanup_free_ char *rel = xasprintf("%s/vmlinuz", v);
			struct stat st;

			if (valid_kernel_release(v) && !strv_contains(&f->kernels, v) &&
			    lstat_beneath(dfd, rel, &st, NULL) > 0 && S_ISREG(st.st_mode)) {
				strv_push(&f->kernels, v);
				strv_pushf(&f->kernel_images, "%s/%s", dirs[i], rel);
			}
			free(names[j]);
		}
		free(names);
	}
}

static void find_bootloader(const struct setup_opts *o, struct setup_facts *f)
{
	bool sdboot = rexists(o, "/boot/loader/loader.conf", S_IFREG) ||
		      rexists(o, "/efi/loader/loader.conf", S_IFREG) ||
		      rexists(o, "/boot/efi/loader/loader.conf", S_IFREG);
	bool kinstall = rprogram(o, "kernel-install");
	/* Whatever it is: a symlink, FIFO or directory there is refused by name, not skipped. */
	bool grub = rexists(o, "/etc/default/grub", 0);

	if (rprogram(o, "update-grub"))
		f->grub_mkconfig = xstrdup("update-grub");
	else if (rprogram(o, "grub2-mkconfig"))
		f->grub_mkconfig = xstrdup("grub2-mkconfig");
	else if (rprogram(o, "grub-mkconfig"))
		f->grub_mkconfig = xstrdup("grub-mkconfig");
	else
		grub = false;
	f->grub_dropin = rexists(o, "/etc/default/grub.d", S_IFDIR);
	find_loader_entries(o, f);

	if (o->bootloader) {
		if (streq(o->bootloader, "grub"))
			f->bootloader = "grub";
		else if (streq(o->bootloader, "kernel-install"))
			f->bootloader = "kernel-install";
		else if (streq(o->bootloader, "loader-entries"))
			f->bootloader = "loader-entries";
	} else if (sdboot && kinstall && rexists(o, "/etc/kernel/cmdline", S_IFREG))
		f->bootloader = "kernel-install";
	else if (grub)
		f->bootloader = "grub";
	else if (sdboot && kinstall)
		f->bootloader = "kernel-install";
	else if (f->loader_entries.n)
		f->bootloader = "loader-entries";
}

int setup_facts_read(const struct setup_opts *o, struct setup_facts *ret)
{
	struct setup_facts f = { 0 };
	_cleanup_free_ char *p = under_root(o, "/proc/cmdline");

	read_cpu_vendor(o, &f);
	read_meminfo(o, &f);
	find_initramfs(o, &f);
	find_bootloader(o, &f);
	find_kernels(o, &f);
	f.systemd_booted = rexists(o, "/run/systemd/system", S_IFDIR);
	if (read_small_file(p, &f.proc_cmdline) < 0)
		f.proc_cmdline = NULL;
	*ret = f;
	return 0;
}

void setup_facts_free(struct setup_facts *f)
{
	free(f->initramfs_error);
	free(f->grub_mkconfig);
	free(f->proc_cmdline);
	strv_clear(&f->loader_entries);
	strv_clear(&f->kernels);
	strv_clear(&f->kernel_images);
	*f = (struct setup_facts){ 0 };
}

int valid_user_name(const char *s)
{
	/* The portable subset shadow-utils accepts: [a-z_][a-z0-9_-]*[$]?, at most 32. */
	size_t n = strlen(s);

	if (n == 0 || n > 32 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return -EINVAL;
	for (size_t i = 1; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_' ||
		      s[i] == '-' || (s[i] == '$' && i == n - 1)))
			return -EINVAL;
	return 0;
}

int valid_module_or_param(const char *s)
{
	if (strempty(s) || strlen(s) > 256)
		return -EINVAL;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || strchr("_-.,:=", *s)))
			return -EINVAL;
	return 0;
}

int valid_udev_value(const char *s)
{
	/* by-id names, UUIDs, serials: no quotes, no globs, nothing that ends the match. */
	if (strempty(s) || strlen(s) > 200)
		return -EINVAL;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || strchr("_-.:+@=/", *s)))
			return -EINVAL;
	return 0;
}

int spawn_wait(const char *const *argv, const posix_spawn_file_actions_t *acts, char *const *envp)
{
	_cleanup_free_ char *path = find_program(argv[0]);
	pid_t pid;
	int status, r;

	if (!path)
		return -errno;
	fflush(NULL);
	r = posix_spawn(&pid, path, acts, NULL, (char *const *)argv, envp ? envp : environ);
	if (r != 0)
		return -r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int setup_run(const struct setup_opts *o, const char *const *argv, bool ok_under_root)
{
	if (o->root_given && !ok_under_root && !test_run_under_root())
		return -EPERM;
	return spawn_wait(argv, NULL, NULL);
}
