// SPDX-License-Identifier: GPL-2.0-or-later
/* The plan for [scream]: a second ivshmem device beside Looking Glass's, for Scream's audio. */
#include "plan-build.h"

/* Scream's Windows driver writes the guest's sound into this memory and the host's receiver
 * (scream -m PATH) reads it; a run without [scream] (p->scream false) has none. */
void plan_scream(struct builder *b)
{
	const struct profile *p = b->p;

	if (!p->scream)
		return;
	plan_ivshmem(b, "scream", p->scream_path, p->scream_size);
	plan_check_shm_file(b, &b->f->scream, "scream", p->scream_path, p->scream_size, &p->scream_loc);
}
