// SPDX-License-Identifier: GPL-2.0-or-later
/* Huge pages on demand: the supervisor grows a pool by what a VM lacks before QEMU starts and
 * shrinks it by exactly that after, with a lock and an accounting file shared by the user's VMs. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>
#include "fsutil.h"
#include "hugepages.h"
#include "inspect.h"

#define HUGE_STEPS 8 /* progress lines per reservation, at most */

int huge_book_parse(const char *text, struct huge_book *ret, unsigned *ret_line)
{
	struct huge_book b = { 0 };
	unsigned line = 0;

	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		_cleanup_free_ char *s = nl ? xstrndup(l, (size_t)(nl - l)) : xstrdup(l);
		struct huge_entry *e = &b.e[b.n];
		unsigned long long size, need, added;
		char name[128];
		int pid, end = 0;

		line++;
		l = nl ? nl + 1 : NULL;
		if (!*s)
			continue;
		if (b.n == HUGE_MAX_ENTRIES ||
		    sscanf(s, "%llu %llu %llu %d %127s%n", &size, &need, &added, &pid, name, &end) != 5 ||
		    s[end] || pid <= 0 || size == 0 || added > need) {
			*ret_line = line;
			return -EINVAL;
		}
		*e = (struct huge_entry){ .size_kb = size, .need = need, .added = added, .pid = pid };
		memcpy(e->name, name, sizeof(name));
		b.n++;
	}
	*ret = b;
	return 0;
}

char *huge_book_format(const struct huge_book *b)
{
	char *s = xstrdup("");

	for (unsigned i = 0; i < b->n; i++) {
		const struct huge_entry *e = &b->e[i];
		char *n = xasprintf("%s%" PRIu64 " %" PRIu64 " %" PRIu64 " %d %s\n", s, e->size_kb, e->need,
				    e->added, (int)e->pid, e->name);
		free(s);
		s = n;
	}
	return s;
}

/* Pages mapped (or reserved for a mapping) now: what lowering the pool cannot take. */
static uint64_t huge_in_use(const struct huge_counts *c)
{
	return c->nr - (c->free < c->nr ? c->free : c->nr) + c->resv;
}

uint64_t huge_outstanding(const struct huge_book *b, uint64_t size_kb, const char *except,
			  const struct huge_counts *c)
{
	uint64_t promised = 0, held = huge_in_use(c);

	for (unsigned i = 0; i < b->n; i++)
		if (b->e[i].size_kb == size_kb && !(except && streq(b->e[i].name, except)))
			promised += b->e[i].need;
	return promised > held ? promised - held : 0;
}

uint64_t huge_shortfall(uint64_t need, const struct huge_counts *c, uint64_t outstanding)
{
	uint64_t avail = c->free > c->resv ? c->free - c->resv : 0;

	avail = avail > outstanding ? avail - outstanding : 0;
	return need > avail ? need - avail : 0;
}

uint64_t huge_release_target(const struct huge_counts *c, uint64_t added, uint64_t outstanding)
{
	uint64_t in_use = huge_in_use(c);
	uint64_t floor = in_use + outstanding, target = c->nr > added ? c->nr - added : 0;

	if (floor > c->nr)
		floor = c->nr;
	return target > floor ? target : floor;
}

int huge_grow(const struct huge_io *io, uint64_t size_kb, uint64_t count, huge_progress_fn progress, void *ud,
	      uint64_t *ret_added, uint64_t *ret_reached)
{
	struct huge_counts c;
	uint64_t base, got = 0, step = (count + HUGE_STEPS - 1) / HUGE_STEPS;
	int r;

	r = io->read(io->ud, size_kb, &c);
	if (r < 0)
		return r;
	base = c.nr;
	while (got < count) {
		uint64_t want = got + step < count ? got + step : count;
		unsigned tries = 0;

		for (;;) {
			r = io->write_nr(io->ud, size_kb, base + want);
			if (r < 0)
				break;
			r = io->read(io->ud, size_kb, &c);
			if (r < 0)
				break;
			got = c.nr > base ? c.nr - base : 0;
			if (got >= want || ++tries > HUGE_RETRIES)
				break;
		}
		if (r < 0 || got < want)
			break;
		if (progress && count > 1)
			progress(ud, got, count);
	}
	if (r >= 0 && got >= count) {
		*ret_added = count;
		return 0;
	}
	/* Short, or a write failed: give back what this call got. */
	if (io->read(io->ud, size_kb, &c) >= 0 && c.nr > base)
		(void)io->write_nr(io->ud, size_kb, base);
	*ret_reached = got;
	return r < 0 ? r : -ENOMEM;
}

static int sysfs_read(void *ud, uint64_t size_kb, struct huge_counts *ret)
{
	struct huge_sysfs *s = ud;
	_cleanup_free_ char *nr = xasprintf("%s/hugepages-%" PRIu64 "kB/nr_hugepages", s->dir, size_kb),
			    *fr = xasprintf("%s/hugepages-%" PRIu64 "kB/free_hugepages", s->dir, size_kb),
			    *rs = xasprintf("%s/hugepages-%" PRIu64 "kB/resv_hugepages", s->dir, size_kb);
	struct huge_counts c = { 0 };
	int r;

	r = read_u64_file(nr, 10, &c.nr);
	if (r >= 0)
		r = read_u64_file(fr, 10, &c.free);
	if (r < 0)
		return r;
	if (read_u64_file(rs, 10, &c.resv) < 0)
		c.resv = 0;
	*ret = c;
	return 0;
}

static int sysfs_write(void *ud, uint64_t size_kb, uint64_t nr)
{
	struct huge_sysfs *s = ud;
	_cleanup_free_ char *path = xasprintf("%s/hugepages-%" PRIu64 "kB/nr_hugepages", s->dir, size_kb);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", nr);

	if (fd < 0)
		return -errno;
	/* The kernel allocates what it can and keeps that: a short pool is no write error. */
	if (write(fd, buf, (size_t)n) < 0 && errno != ENOMEM)
		return -errno;
	return 0;
}

void huge_sysfs_io(struct huge_sysfs *s, const char *root, struct huge_io *ret)
{
	s->dir = host_path(root, "/sys/kernel/mm/hugepages");
	*ret = (struct huge_io){ .read = sysfs_read, .write_nr = sysfs_write, .ud = s };
}

void huge_sysfs_free(struct huge_sysfs *s)
{
	free(s->dir);
	s->dir = NULL;
}

/* The lock, then the book; -errno with the book left alone on a malformed file. */
static int book_open(const char *dir, int *ret_lock, struct huge_book *ret, char **ret_error)
{
	_cleanup_free_ char *lock = xasprintf("%s/hugepages.lock", dir),
			    *path = xasprintf("%s/hugepages.book", dir), *text = NULL;
	_cleanup_close_ int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t len;
	unsigned line = 0;
	int r;

	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		*ret_error = xasprintf("%s: %s", lock, strerror(errno));
		return -errno;
	}
	r = read_file_full(path, &text, &len);
	if (r == -ENOENT)
		*ret = (struct huge_book){ 0 };
	else if (r < 0) {
		*ret_error = xasprintf("%s: %s", path, strerror(-r));
		return r;
	} else if (huge_book_parse(text, ret, &line) < 0) {
		*ret_error = xasprintf("%s:%u: not a line of the huge page book (hint: stop every VM, "
				       "then remove the file)",
				       path, line);
		return -EINVAL;
	}
	*ret_lock = TAKE_FD(fd);
	return 0;
}

static int book_save(const char *dir, const struct huge_book *b)
{
	_cleanup_free_ char *path = xasprintf("%s/hugepages.book", dir), *text = huge_book_format(b);

	if (b->n == 0)
		return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	return write_file_atomic(path, text, strlen(text), 0600);
}

static bool alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* Lowers the pool by @added as far as nobody needs the pages; says what it did. */
static void give_back_locked(const struct huge_io *io, const struct huge_book *b, const char *name,
			     uint64_t size_kb, uint64_t added, struct strv *said)
{
	struct huge_counts c;
	uint64_t target;
	int r;

	if ((r = io->read(io->ud, size_kb, &c)) < 0) {
		strv_pushf(said,
			   "hugepages: cannot read the %" PRIu64 "kB pool to give back the %" PRIu64
			   " pages %s added: %s, ignoring",
			   size_kb, added, name, strerror(-r));
		return;
	}
	target = huge_release_target(&c, added, huge_outstanding(b, size_kb, name, &c));
	if (target < c.nr && (r = io->write_nr(io->ud, size_kb, target)) < 0) {
		strv_pushf(said, "hugepages: lowering the %" PRIu64 "kB pool to %" PRIu64 ": %s, ignoring",
			   size_kb, target, strerror(-r));
		return;
	}
	if (c.nr - target == added)
		strv_pushf(said,
			   "hugepages: gave back the %" PRIu64 " %" PRIu64 "kB pages %s added (pool %" PRIu64
			   ")",
			   added, size_kb, name, target);
	else
		strv_pushf(said,
			   "hugepages: gave back %" PRIu64 " of the %" PRIu64 " %" PRIu64
			   "kB pages %s added; the rest are in use by others (pool %" PRIu64 ")",
			   c.nr - target, added, size_kb, name, target);
}

static void drop_entry(struct huge_book *b, unsigned i)
{
	b->e[i] = b->e[--b->n];
}

int huge_take(const struct huge_io *io, const char *book_dir, const char *name, uint64_t size_kb,
	      uint64_t need, huge_progress_fn progress, void *ud, struct huge_hold *ret,
	      struct strv *ret_said, char **ret_error)
{
	_cleanup_close_ int lock = -1;
	struct huge_book b;
	struct huge_counts c;
	uint64_t lack, added = 0, reached = 0;
	int r;

	r = book_open(book_dir, &lock, &b, ret_error);
	if (r < 0)
		return r;
	/* A run that did not give its pages back: its supervisor is gone or, holding the VM's
	 * lock, we are that VM (an entry in our name whose pid was reused, maybe of the page size
	 * the profile had then). Each goes back to its own pool, and the sweep is saved at once,
	 * so that a refusal below cannot leave an entry to be given back a second time. */
	bool swept = false;
	for (unsigned i = 0; i < b.n;) {
		struct huge_entry stale = b.e[i];
		if (alive(stale.pid) && !streq(stale.name, name)) {
			i++;
			continue;
		}
		drop_entry(&b, i);
		if (stale.added)
			give_back_locked(io, &b, stale.name, stale.size_kb, stale.added, ret_said);
		swept = true;
	}
	if (swept) {
		r = book_save(book_dir, &b);
		if (r < 0) {
			*ret_error = xasprintf("%s/hugepages.book: %s", book_dir, strerror(-r));
			return r;
		}
	}
	if (b.n == HUGE_MAX_ENTRIES) {
		*ret_error = xasprintf("hugepages: %s/hugepages.book already books pages for %d running "
				       "VMs, the most it holds (hint: stop one of them first)",
				       book_dir, HUGE_MAX_ENTRIES);
		return -E2BIG;
	}
	r = io->read(io->ud, size_kb, &c);
	if (r < 0) {
		*ret_error = xasprintf("hugepages: cannot read the %" PRIu64 "kB pool: %s", size_kb,
				       strerror(-r));
		return r;
	}
	lack = huge_shortfall(need, &c, huge_outstanding(&b, size_kb, NULL, &c));
	if (lack) {
		r = huge_grow(io, size_kb, lack, progress, ud, &added, &reached);
		if (r == -ENOMEM) {
			*ret_error = xasprintf(
				"hugepages: reserved only %" PRIu64 " of the %" PRIu64 " %" PRIu64
				"kB pages %s lacks (host memory is too fragmented) and gave them back (hint: "
				"reserve them at boot: sudo vfio-setup install --hugepages %" PRIu64
				"x%s; or "
				"hugepages = 2M in [vm])",
				reached, lack, size_kb, name, need, size_kb == 1048576 ? "1G" : "2M");
			return r;
		}
		if (r < 0) {
			*ret_error = xasprintf("hugepages: growing the %" PRIu64
					       "kB pool: %s (hint: sudo vfio-setup "
					       "install --hugepages-on-demand, then reboot)",
					       size_kb, strerror(-r));
			return r;
		}
		strv_pushf(ret_said,
			   "hugepages: added %" PRIu64 " %" PRIu64 "kB pages to the pool (now %" PRIu64 ")",
			   added, size_kb, c.nr + added);
	}
	b.e[b.n] = (struct huge_entry){ .size_kb = size_kb, .need = need, .added = added, .pid = getpid() };
	snprintf(b.e[b.n].name, sizeof(b.e[b.n].name), "%s", name);
	b.n++;
	r = book_save(book_dir, &b);
	if (r < 0) {
		*ret_error = xasprintf("%s/hugepages.book: %s", book_dir, strerror(-r));
		b.n--;
		if (added)
			give_back_locked(io, &b, name, size_kb, added, ret_said);
		return r;
	}
	*ret = (struct huge_hold){ .book_dir = xstrdup(book_dir), .size_kb = size_kb, .added = added };
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	return 0;
}

void huge_give_back(const struct huge_io *io, struct huge_hold *h, struct strv *ret_said)
{
	_cleanup_close_ int lock = -1;
	_cleanup_free_ char *err = NULL;
	struct huge_book b;

	if (!h->book_dir)
		return;
	if (book_open(h->book_dir, &lock, &b, &err) < 0) {
		strv_pushf(ret_said, "hugepages: %s; %" PRIu64 " pages not given back, ignoring", err,
			   h->added);
	} else {
		for (unsigned i = 0; i < b.n; i++)
			if (streq(b.e[i].name, h->name)) {
				drop_entry(&b, i);
				break;
			}
		if (h->added)
			give_back_locked(io, &b, h->name, h->size_kb, h->added, ret_said);
		book_save(h->book_dir, &b);
	}
	free(h->book_dir);
	*h = (struct huge_hold){ 0 };
}

struct vm_say {
	huge_say_fn say;
	void *ud;
	const char *size;
};

static void vm_progress(void *ud, uint64_t done, uint64_t total)
{
	struct vm_say *v = ud;
	_cleanup_free_ char *line = xasprintf("reserving %" PRIu64 " \xc3\x97 %s pages: %" PRIu64 "/%" PRIu64,
					      total, v->size, done, total);

	v->say(v->ud, line);
}

static void say_all(huge_say_fn say, void *ud, struct strv *said)
{
	for (size_t i = 0; i < said->n; i++)
		say(ud, said->v[i]);
	strv_clear(said);
}

int huge_vm_take(const struct profile *p, const struct vm_facts *f, struct huge_hold *ret, huge_say_fn say,
		 void *ud, char **ret_error)
{
	uint64_t size_kb = p->hugepages == HUGE_1G ? 1048576 : 2048;
	struct vm_say v = { say, ud, p->hugepages == HUGE_1G ? "1G" : "2M" };
	struct huge_sysfs sys;
	struct huge_io io;
	struct strv said = { 0 };
	_cleanup_free_ char *dir = NULL;
	char *slash;
	int r;

	*ret = (struct huge_hold){ 0 };
	if (p->hugepages == HUGE_OFF)
		return 0;
	dir = xstrdup(f->run_dir);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	huge_sysfs_io(&sys, f->host.root, &io);
	r = huge_take(&io, dir, p->name, size_kb, (p->memory + size_kb * 1024 - 1) / (size_kb * 1024),
		      vm_progress, &v, ret, &said, ret_error);
	say_all(say, ud, &said);
	huge_sysfs_free(&sys);
	return r;
}

void huge_vm_give_back(const struct vm_facts *f, struct huge_hold *h, huge_say_fn say, void *ud)
{
	struct huge_sysfs sys;
	struct huge_io io;
	struct strv said = { 0 };

	if (!h->book_dir)
		return;
	huge_sysfs_io(&sys, f->host.root, &io);
	huge_give_back(&io, h, &said);
	say_all(say, ud, &said);
	huge_sysfs_free(&sys);
}
