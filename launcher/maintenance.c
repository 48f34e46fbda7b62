// SPDX-License-Identifier: GPL-2.0-or-later
/* run --maintenance: the profile's VM without passthrough, for repairs and driver installs. */
#include "maintenance.h"

void profile_maintenance(struct profile *p)
{
	bool gui = !strempty(secure_getenv("DISPLAY")) || !strempty(secure_getenv("WAYLAND_DISPLAY"));

	for (unsigned i = 0; i < p->n_pci; i++) {
		free(p->pci[i].name);
		free(p->pci[i].romfile);
	}
	p->n_pci = 0;
	p->lg = false;
	p->scream = false;
	/* The grab toggle goes with the evdev devices it switches. */
	for (unsigned i = 0; i < p->n_evdev; i++)
		free(p->evdev[i].path);
	p->n_evdev = 0;
	free(p->toggle);
	p->toggle = NULL;
	p->display = gui ? DISPLAY_GTK : DISPLAY_SPICE;
	p->pointer = POINTER_USB_TABLET;
	p->maintenance = true;
}
