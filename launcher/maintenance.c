// SPDX-License-Identifier: GPL-2.0-or-later
/* run --maintenance: the profile's VM without passthrough, for repairs and driver installs. */
#include "maintenance.h"

void profile_maintenance(struct profile *p)
{
	profile_drop_pci(p);
	profile_drop_evdev(p);
	p->lg = false;
	p->scream = false;
	p->display = gui_session() ? DISPLAY_GTK : DISPLAY_SPICE;
	p->pointer = POINTER_USB_TABLET;
	p->maintenance = true;
}
