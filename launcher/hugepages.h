/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Huge pages on demand: the supervisor grows a pool by what a VM lacks before QEMU starts and
 * shrinks it by exactly that after, with a lock and an accounting file shared by the user's VMs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "strv.h"

#define HUGE_MAX_ENTRIES 64
#define HUGE_RETRIES 3

/* One VM's share of a pool, as the accounting file keeps it: "SIZE_KB NEED ADDED PID NAME". */
struct huge_entry {
	uint64_t size_kb, need, added;
	pid_t pid;
	char name[128];
};

struct huge_book {
	struct huge_entry e[HUGE_MAX_ENTRIES];
	unsigned n;
};

/* A pool as sysfs shows it. */
struct huge_counts {
	uint64_t nr, free, resv;
};

/* How the pools are read and grown, each by its page size: files under a root, or a test's
 * fake kernel. */
struct huge_io {
	int (*read)(void *ud, uint64_t size_kb, struct huge_counts *ret);
	/* The kernel may grant less: read it back. */
	int (*write_nr)(void *ud, uint64_t size_kb, uint64_t nr);
	void *ud;
};

/* ---- pure parts ---- */

/* Parses the accounting file's text; -EINVAL on a malformed line (*ret_line: its number). */
int huge_book_parse(const char *text, struct huge_book *ret, unsigned *ret_line);
char *huge_book_format(const struct huge_book *b);
/* Pages the other VMs of @size_kb in @b were promised and have not taken yet, given the pool:
 * what they need beyond what is in use or reserved in it (exact when only VMs use the pool). */
uint64_t huge_outstanding(const struct huge_book *b, uint64_t size_kb, const char *except,
			  const struct huge_counts *c);
/* Pages to add so that @need are free for this VM. */
uint64_t huge_shortfall(uint64_t need, const struct huge_counts *c, uint64_t outstanding);
/* nr_hugepages after giving back @added: lower by exactly that, never below what is in use or
 * reserved, nor below what other VMs still wait for. */
uint64_t huge_release_target(const struct huge_counts *c, uint64_t added, uint64_t outstanding);

/* ---- on the pool ---- */

typedef void (*huge_progress_fn)(void *ud, uint64_t done, uint64_t total);

/* Grows the pool of @size_kb by @count pages in steps, reporting each, retrying a short step
 * HUGE_RETRIES times. *ret_added: what it added (all of @count on success). On a short result it
 * lowers the pool again by what it got and returns -ENOMEM with *ret_reached set. */
int huge_grow(const struct huge_io *io, uint64_t size_kb, uint64_t count, huge_progress_fn progress, void *ud,
	      uint64_t *ret_added, uint64_t *ret_reached);

/* The files of the pools under @root. */
struct huge_sysfs {
	char *dir; /* ROOT/sys/kernel/mm/hugepages */
};
void huge_sysfs_io(struct huge_sysfs *s, const char *root, struct huge_io *ret);
void huge_sysfs_free(struct huge_sysfs *s);

/* What a running VM took, for huge_give_back. */
struct huge_hold {
	char *book_dir; /* where hugepages.lock and hugepages.book are, NULL: nothing taken */
	uint64_t size_kb, added;
	char name[128];
};

/* Before QEMU starts: under the lock in @book_dir, the pages @name lacks of @need × @size_kb are
 * added to the pool and booked. Entries of supervisors that died, and any in @name (its lock is
 * ours), are given back first, each to the pool of its own page size. Messages
 * and progress go to @say; on failure *ret_error says why, with the fixes. */
int huge_take(const struct huge_io *io, const char *book_dir, const char *name, uint64_t size_kb,
	      uint64_t need, huge_progress_fn progress, void *ud, struct huge_hold *ret,
	      struct strv *ret_said, char **ret_error);
/* After QEMU exits: gives back what @h added, as far as nobody else needs it; the lines said go
 * to @ret_said. */
void huge_give_back(const struct huge_io *io, struct huge_hold *h, struct strv *ret_said);

/* The supervisor's two steps, for a profile with hugepages = 2M or 1G (nothing otherwise): the
 * book lives beside the VMs' run directories; every line to log goes to @say, but a refusal,
 * which goes to *ret_error for the caller to report. */
struct profile;
struct vm_facts;
typedef void (*huge_say_fn)(void *ud, const char *line);
int huge_vm_take(const struct profile *p, const struct vm_facts *f, struct huge_hold *ret, huge_say_fn say,
		 void *ud, char **ret_error);
void huge_vm_give_back(const struct vm_facts *f, struct huge_hold *h, huge_say_fn say, void *ud);
