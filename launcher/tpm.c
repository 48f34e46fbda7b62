// SPDX-License-Identifier: GPL-2.0-or-later
/* [tpm]: swtpm for the guest's TPM 2.0, manufactured on the first run, running beside QEMU. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "fsutil.h"
#include "sandbox.h"
#include "tpm.h"
#include "vmstate.h"

/* Where swtpm finds its channels in the child: swtpm refuses a log on fd 2. */
#define CHILD_LOG_FD 10
#define CHILD_CTRL_FD 11

/* The nearest directory of @path that exists: -errno unless it is one we may create in. */
static int dir_writable(const char *path)
{
	_cleanup_free_ char *d = xstrdup(path);
	struct stat st;

	for (;;) {
		char *slash;

		if (stat(d, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
			return access(d, W_OK | X_OK) < 0 ? -errno : 0;
		}
		if (errno != ENOENT)
			return -errno;
		slash = strrchr(d, '/');
		if (!slash || slash == d)
			return -ENOENT;
		*slash = '\0';
	}
}

void tpm_inspect(const char *root, const struct profile *p, struct vm_facts *f)
{
	_cleanup_free_ char *data = NULL;

	if (!p->tpm)
		return;
	f->swtpm_path = find_program_under(root, "swtpm");
	f->swtpm_setup_path = find_program_under(root, "swtpm_setup");
	data = expand_path("$XDG_DATA_HOME");
	if (!data)
		return;
	/* The VM's own files live in the user's home, never under the host root. */
	f->tpm_dir = xasprintf("%s/qemu-vm/%s/tpm", data, p->name);
	{
		_cleanup_free_ char *state = xasprintf("%s/%s", f->tpm_dir, TPM_STATE_FILE);
		f->tpm_manufactured = access(state, F_OK) == 0;
	}
	f->tpm_dir_err = dir_writable(f->tpm_dir);
}

static void logf_(struct tpm_run *t, const char *fmt, ...) _printf_(2, 3);
static void logf_(struct tpm_run *t, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (t->log)
		t->log(t->ctx, msg);
}

/* Forks @argv[0] in @dir with its output on @out_fd and @ctrl_fd as CHILD_CTRL_FD (-1: none),
 * in its own process group (Ctrl-C on the terminal is the supervisor's), under the launcher's
 * no_new_privs and seccomp filter, dying with the supervisor. */
static pid_t spawn(const char *const argv[], const char *dir, int out_fd, int ctrl_fd, const sigset_t *mask)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid != 0)
		return pid;
	/* Only async-signal-safe calls from here on. */
	{
		/* Copies above the target numbers first: a source already at 10 or 11 would be
		 * overwritten by the other's dup2, or keep its close-on-exec when dup2'd onto itself. */
		int null = fcntl(open("/dev/null", O_RDWR | O_CLOEXEC), F_DUPFD_CLOEXEC, CHILD_CTRL_FD + 1);
		int out = fcntl(out_fd >= 0 ? out_fd : null, F_DUPFD_CLOEXEC, CHILD_CTRL_FD + 1);
		int ctrl = ctrl_fd >= 0 ? fcntl(ctrl_fd, F_DUPFD_CLOEXEC, CHILD_CTRL_FD + 1) : -1;

		if (null < 0 || out < 0 || (ctrl_fd >= 0 && ctrl < 0) || chdir(dir) < 0 ||
		    dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 ||
		    dup2(out, CHILD_LOG_FD) < 0 || (ctrl >= 0 && dup2(ctrl, CHILD_CTRL_FD) < 0))
			_exit(126);
	}
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigprocmask(SIG_SETMASK, mask, NULL);
	if (sandbox_apply() < 0)
		_exit(126);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

static char *status_text(int status)
{
	if (WIFEXITED(status))
		return xasprintf("exit status %d", WEXITSTATUS(status));
	return xasprintf("signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
}

/* swtpm_setup's configuration and a CA of the VM's own in DIR/localca, as libvirt keeps one
 * for the host: the EK and platform certificates Windows looks for are signed by it. */
static int write_ca_config(const char *ca, char **ret_conf)
{
	_cleanup_free_ char *conf = xasprintf("%s/swtpm_setup.conf", ca),
			    *lconf = xasprintf("%s/swtpm-localca.conf", ca),
			    *lopts = xasprintf("%s/swtpm-localca.options", ca), *text = NULL;
	static const char opts[] = "--platform-manufacturer qemu-vm\n--platform-version 2.1\n"
				   "--platform-model QEMU\n";
	int r;

	text = xasprintf("create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = %s\n"
			 "create_certs_tool_options = %s\nactive_pcr_banks = sha256\n",
			 lconf, lopts);
	r = write_file_atomic(conf, text, strlen(text), 0600);
	if (r < 0)
		return r;
	free(text);
	text = xasprintf("statedir = %s\nsigningkey = %s/signkey.pem\nissuercert = %s/issuercert.pem\n"
			 "certserial = %s/certserial\n",
			 ca, ca, ca, ca);
	r = write_file_atomic(lconf, text, strlen(text), 0600);
	if (r < 0)
		return r;
	r = write_file_atomic(lopts, opts, strlen(opts), 0600);
	if (r < 0)
		return r;
	*ret_conf = TAKE_PTR(conf);
	return 0;
}

static int manufacture(struct tpm_run *t, const struct vm_facts *f, int out_fd, const sigset_t *mask,
		       char **ret_error)
{
	_cleanup_free_ char *ca = xasprintf("%s/localca", f->tpm_dir), *conf = NULL, *how = NULL;
	_cleanup_free_ char *state = xasprintf("%s/%s", f->tpm_dir, TPM_STATE_FILE);
	/* The state directory is the working directory: a ',' in its path would split swtpm's
	 * dir= option. */
	const char *argv[] = { f->swtpm_setup_path,
			       "--tpm2",
			       "--tpmstate",
			       ".",
			       "--config",
			       NULL,
			       "--createek",
			       "--create-ek-cert",
			       "--create-platform-cert",
			       "--lock-nvram",
			       "--not-overwrite",
			       NULL };
	int status = 0, r;
	pid_t pid;

	if (mkdir(ca, 0700) < 0 && errno != EEXIST)
		return set_error(ret_error, -errno, "%s: %s", ca, strerror(errno));
	r = write_ca_config(ca, &conf);
	if (r < 0)
		return set_error(ret_error, r, "writing swtpm_setup's configuration in %s: %s", ca,
				 strerror(-r));
	argv[5] = conf;
	logf_(t, "manufacturing the TPM in %s (swtpm_setup: EK, EK and platform certificates)", f->tpm_dir);
	pid = spawn(argv, f->tpm_dir, out_fd, -1, mask);
	if (pid < 0)
		return set_error(ret_error, -errno, "starting %s: %s", f->swtpm_setup_path, strerror(errno));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return set_error(ret_error, -errno, "waiting for swtpm_setup: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && access(state, F_OK) == 0) {
		logf_(t, "TPM manufactured: %s", state);
		return 0;
	}
	/* Half a TPM would be taken for a whole one next time. */
	unlink(state);
	how = status_text(status);
	return set_error(ret_error, -EIO,
			 "swtpm_setup failed (%s) manufacturing the TPM in %s (hint: its output "
			 "is in the log: qemu-vm log NAME)",
			 how, f->tpm_dir);
}

/* A listening socket at @path, made here so that QEMU can connect as soon as it starts. */
static int listen_at(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path); /* a crashed run's; the run directory is ours and locked */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int tpm_start(struct tpm_run *t, const struct profile *p, const struct vm_facts *f, int out_fd,
	      const sigset_t *mask, char **ret_error)
{
	char ctrl[64], log[64];
	/* By descriptor and working directory: no path of ours goes into swtpm's options, where a
	 * ',' would split them. */
	const char *argv[] = { f->swtpm_path,	  "socket", "--tpm2", "--tpmstate",
			       "dir=.,mode=0600", "--ctrl", ctrl,     "--terminate",
			       "--log",		  log,	    NULL };
	_cleanup_close_ int lfd = -1;
	int r;

	t->pid = 0;
	t->pidfd = -1;
	if (!p->tpm)
		return 0;
	if (f->foreign_root)
		return set_error(ret_error, -EPERM,
				 "swtpm is not run from a host tree other than / (--host-root "
				 "is for show, check and devices)");
	if (!f->swtpm_path || !f->swtpm_setup_path || !f->tpm_dir)
		return set_error(ret_error, -ENOENT,
				 "[tpm]: swtpm or swtpm_setup not found (hint: sudo apt install "
				 "swtpm swtpm-tools)");
	r = mkdir_parents(f->tpm_dir, 0700);
	if (r < 0)
		return set_error(ret_error, r, "%s: %s", f->tpm_dir, strerror(-r));
	if (access(f->tpm_dir, W_OK) < 0)
		return set_error(ret_error, -errno, "%s: %s", f->tpm_dir, strerror(errno));
	if (!f->tpm_manufactured) {
		r = manufacture(t, f, out_fd, mask, ret_error);
		if (r < 0)
			return r;
	}
	t->sock = vm_run_file(f->run_dir, TPM_SOCKET);
	r = listen_at(t->sock, &lfd);
	if (r < 0)
		return set_error(ret_error, r, "listening on %s: %s", t->sock, strerror(-r));
	snprintf(ctrl, sizeof(ctrl), "type=unixio,fd=%d", CHILD_CTRL_FD);
	snprintf(log, sizeof(log), "fd=%d,level=1,prefix=swtpm: ", CHILD_LOG_FD);
	t->pid = spawn(argv, f->tpm_dir, out_fd, lfd, mask);
	if (t->pid < 0) {
		t->pid = 0;
		return set_error(ret_error, -errno, "starting %s: %s", f->swtpm_path, strerror(errno));
	}
	t->pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (t->pidfd < 0) {
		/* Without it give-back could wait for swtpm for ever. */
		int e = errno;
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		t->pid = 0;
		return set_error(ret_error, -e, "watching swtpm (pidfd_open): %s", strerror(e));
	}
	logf_(t, "swtpm started, pid %d: TPM 2.0 with its state in %s, on %s", (int)t->pid, f->tpm_dir,
	      t->sock);
	return 0;
}

void tpm_reap(struct tpm_run *t, bool vm_running)
{
	_cleanup_free_ char *how = NULL;
	int status;

	if (t->pid <= 0 || t->exited || waitpid(t->pid, &status, WNOHANG) != t->pid)
		return;
	t->exited = true;
	how = status_text(status);
	/* Exit status 0 is swtpm's answer to QEMU closing the channel: QEMU is on its way out. */
	if (vm_running && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		logf_(t,
		      "swtpm (pid %d) exited (%s) while the VM runs: the guest's TPM no longer answers; "
		      "the VM goes on (shut it down and run it again for a TPM)",
		      (int)t->pid, how);
	else
		logf_(t, "swtpm exited (%s)", how);
}

/* Waits up to @ms for swtpm to exit; true when it did (reaped). */
/* swtpm reaped within @ms (-1: however long it takes); tpm_start made sure of its pidfd. */
static bool wait_exit(struct tpm_run *t, int ms)
{
	struct pollfd pfd = { .fd = t->pidfd, .events = POLLIN };

	while (poll(&pfd, 1, ms) < 0 && errno == EINTR)
		;
	tpm_reap(t, false);
	return t->exited;
}

void tpm_stop(struct tpm_run *t)
{
	if (t->pid > 0 && !t->exited && !wait_exit(t, 3000)) {
		logf_(t, "swtpm did not exit with QEMU: SIGTERM sent");
		kill(t->pid, SIGTERM);
		if (!wait_exit(t, 5000)) {
			logf_(t, "swtpm did not exit: SIGKILL sent");
			kill(t->pid, SIGKILL);
			wait_exit(t, -1);
		}
	}
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
	t->pid = 0;
	if (t->sock && unlink(t->sock) == 0)
		logf_(t, "removed %s", t->sock);
	free(t->sock);
	t->sock = NULL;
}
