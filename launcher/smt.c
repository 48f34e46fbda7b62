// SPDX-License-Identifier: GPL-2.0-or-later
/* SMT siblings of the host and check's warning when a guest core is split over two host cores. */
#include <errno.h>
#include <stdio.h>
#include "plan-build.h"
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

void plan_check_smt(struct builder *b)
{
	const struct profile *p = b->p;
	struct smt_split split[8];
	size_t n = smt_splits(&p->pin, p->threads, &b->f->smt, split, ARRAY_SIZE(split));
	_cleanup_free_ char *pairs = NULL, *groups = NULL, *fix = NULL;

	if (!n)
		return;
	for (size_t i = 0; i < n && i < ARRAY_SIZE(split); i++) {
		char *s = xasprintf("%s%svCPUs %u,%u on CPUs %u,%u", pairs ? pairs : "", pairs ? "; " : "",
				    split[i].vcpu[0], split[i].vcpu[1], split[i].cpu[0], split[i].cpu[1]);
		free(pairs);
		pairs = s;
	}
	groups = smt_sibling_groups(&b->f->smt);
	if (groups)
		fix = xasprintf("at %s:%u, put each guest core's vCPUs on SMT siblings; the host's are %s "
				"(lscpu -e lists them)",
				p->pin_loc.file, p->pin_loc.line, groups);
	else
		fix = xasprintf("threads = 1 in %s: the host has no SMT siblings", p->pin_loc.file);
	plan_check(b, CHECK_WARN, fix,
		   "%s:%u: pin: guest cores (threads = %u) split over host cores: %s%s are not SMT siblings",
		   p->pin_loc.file, p->pin_loc.line, p->threads, pairs, n > ARRAY_SIZE(split) ? "; …" : "");
}
