/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which host CPUs share a core (SMT siblings), and whether each guest core's vCPUs are pinned onto one. */
#pragma once

#include <stddef.h>
#include "profile.h"

/* The host's cores as sysfs gives them: the core of CPU c is the lowest CPU of its
 * topology/thread_siblings_list, -1 where that could not be read. */
struct smt_host {
	int *core;
	unsigned n;
};

/* Reads ROOT/sys/devices/system/cpu/cpuN/topology/thread_siblings_list for CPUs 0..@n_cpus-1. */
int smt_read(const char *root, unsigned n_cpus, struct smt_host *ret);
void smt_free(struct smt_host *h);

/* Two vCPUs of one guest core on host CPUs of different cores. */
struct smt_split {
	unsigned vcpu[2];
	unsigned cpu[2];
};

/* The guest cores (@threads vCPUs each, in vCPU order, as QEMU numbers them) whose vCPUs
 * pin = puts on host CPUs that are not siblings: at most @max into @ret, the number found.
 * CPUs the host facts do not know are left out (check_pin names them). */
size_t smt_splits(const struct cpuset *pin, unsigned threads, const struct smt_host *h, struct smt_split *ret,
		  size_t max);

/* The host's SMT sibling groups, "0,4 1,5 2,6 3,7", or NULL when no CPU has a sibling. */
char *smt_sibling_groups(const struct smt_host *h);
