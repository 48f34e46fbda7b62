// SPDX-License-Identifier: GPL-2.0-or-later
/* SMT siblings of the host, and which guest cores pin = splits over two host cores. */
#include <errno.h>
#include <stdio.h>
#include "smt.h"
#include "strv.h"
#include "util.h"

int smt_read(const char *root, unsigned n_cpus, struct smt_host *ret)
{
	struct smt_host h = { .core = xmalloc(sizeof(int) * (n_cpus ? n_cpus : 1)), .n = n_cpus };

	for (unsigned c = 0; c < n_cpus; c++) {
		_cleanup_free_ char *rel = xasprintf(
			"/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", c);
		_cleanup_free_ char *path = host_path(root, rel), *s = NULL;
		struct cpuset set;
		int low = -1;

		if (read_small_file(path, &s) == 0 && parse_cpulist(s, &set) == 0)
			for (unsigned i = 0; i < set.n; i++)
				if (low < 0 || set.cpu[i] < low)
					low = set.cpu[i];
		h.core[c] = low;
	}
	*ret = h;
	return 0;
}

void smt_free(struct smt_host *h)
{
	free(h->core);
	*h = (struct smt_host){ 0 };
}

static int core_of(const struct smt_host *h, unsigned cpu)
{
	return cpu < h->n ? h->core[cpu] : -1;
}

size_t smt_splits(const struct cpuset *pin, unsigned threads, const struct smt_host *h, struct smt_split *ret,
		  size_t max)
{
	size_t n = 0;

	if (threads < 2)
		return 0;
	for (unsigned first = 0; first + 1 < pin->n; first += threads) {
		int core = core_of(h, pin->cpu[first]);

		for (unsigned v = first + 1; v < first + threads && v < pin->n; v++) {
			int other = core_of(h, pin->cpu[v]);

			if (core < 0 || other < 0 || other == core)
				continue;
			if (n < max)
				ret[n] = (struct smt_split){ { first, v }, { pin->cpu[first], pin->cpu[v] } };
			n++;
		}
	}
	return n;
}

char *smt_sibling_groups(const struct smt_host *h)
{
	_cleanup_free_ char *out = NULL;
	bool any = false;

	for (unsigned c = 0; c < h->n; c++) {
		_cleanup_free_ char *group = NULL;
		unsigned size = 0;

		if (h->core[c] != (int)c)
			continue; /* not the first CPU of its core */
		for (unsigned s = c; s < h->n; s++)
			if (h->core[s] == (int)c) {
				char *g = xasprintf("%s%s%u", group ? group : "", group ? "," : "", s);
				free(group);
				group = g;
				size++;
			}
		any |= size > 1;
		char *o = xasprintf("%s%s%s", out ? out : "", out ? " " : "", group);
		free(out);
		out = o;
	}
	return any ? TAKE_PTR(out) : NULL;
}
