// SPDX-License-Identifier: GPL-2.0-or-later
/* vfio-setup scan: IOMMU state, groups and their devices, which GPU can be passed, and how. */
#include <errno.h>
#include <json-c/json.h>
#include "hostmem.h"
#include "setup.h"

struct iommu_state {
	bool enabled;
	unsigned units;
	const char *remap; /* "yes", "no", "unknown" */
	char hint[160];
};

static void read_iommu(const struct setup_opts *o, const struct setup_facts *f, struct iommu_state *s)
{
	_cleanup_free_ char *groups = under_root(o, "/sys/kernel/iommu_groups");
	_cleanup_free_ char *units = under_root(o, "/sys/class/iommu");
	_cleanup_closedir_ DIR *gd = opendir(groups);
	_cleanup_closedir_ DIR *ud = opendir(units);
	struct dirent *de;
	bool intel_unit = false, amd_unit = false, ir = false, ir_known = false;

	*s = (struct iommu_state){ .remap = "unknown" };
	while (gd && (de = readdir(gd)))
		if (de->d_name[0] != '.')
			s->enabled = true;
	while (ud && (de = readdir(ud))) {
		if (de->d_name[0] == '.')
			continue;
		s->units++;
		if (startswith(de->d_name, "dmar")) {
			_cleanup_free_ char *rel = xasprintf("/sys/class/iommu/%s/intel-iommu/ecap",
							     de->d_name);
			_cleanup_free_ char *p = under_root(o, rel);
			uint64_t ecap;

			intel_unit = true;
			/* VT-d extended capability bit 3: interrupt remapping. All units must have it. */
			if (read_u64_file(p, 16, &ecap) >= 0) {
				ir = ir_known ? ir && (ecap & 8) : (ecap & 8) != 0;
				ir_known = true;
			}
		} else if (startswith(de->d_name, "ivhd"))
			amd_unit = true;
	}
	if (intel_unit && ir_known)
		s->remap = ir ? "yes" : "no";
	else if (amd_unit)
		s->remap = "yes"; /* AMD-Vi always remaps interrupts when it is on */
	/* The hardware may have it and the kernel not use it (intremap=off, a firmware bug). */
	if (s->units && interrupts_remapped(o) == 0)
		s->remap = "no";
	if (s->enabled)
		return;
	if (f->cpu == CPU_INTEL)
		snprintf(s->hint, sizeof(s->hint),
			 "enable VT-d in the firmware and boot with "
			 "intel_iommu=on (vfio-setup install adds it)");
	else if (f->cpu == CPU_AMD)
		snprintf(s->hint, sizeof(s->hint),
			 "enable AMD-Vi/IOMMU in the firmware; the kernel "
			 "turns it on by default");
	else
		snprintf(s->hint, sizeof(s->hint), "enable the IOMMU in the firmware");
}

static const char *short_addr(const struct pci_addr *a, char *buf, size_t len)
{
	if (a->domain)
		return pci_addr_fmt(a, buf, len);
	snprintf(buf, len, "%02x:%02x.%x", a->bus, a->slot, a->func);
	return buf;
}

/* Passable alone: every other member of its group is a bridge or a function of the card. */
static bool gpu_viable(const struct pci_host *h, const struct pci_dev_info *g,
		       const struct pci_dev_info **ret_blocker)
{
	if (g->iommu_group < 0)
		return false;
	for (size_t i = 0; i < h->n; i++) {
		const struct pci_dev_info *d = &h->dev[i];
		if (d->iommu_group != g->iommu_group || d->is_bridge || pci_addr_in_card(&g->addr, &d->addr))
			continue;
		*ret_blocker = d;
		return false;
	}
	return true;
}

static bool boot_vga(const struct setup_opts *o, const struct pci_dev_info *d)
{
	char b[32];
	uint64_t v;
	_cleanup_free_ char *rel = xasprintf("/sys/bus/pci/devices/%s/boot_vga",
					     pci_addr_fmt(&d->addr, b, sizeof(b)));
	_cleanup_free_ char *p = under_root(o, rel);

	return read_u64_file(p, 10, &v) >= 0 && v == 1;
}

static json_object *dev_json(const struct setup_opts *o, const struct pci_dev_info *d)
{
	json_object *j = json_object_new_object();
	char b[32];

	json_object_object_add(j, "address", json_object_new_string(pci_addr_fmt(&d->addr, b, sizeof(b))));
	snprintf(b, sizeof(b), "%06x", d->class);
	json_object_object_add(j, "class", json_object_new_string(b));
	snprintf(b, sizeof(b), "%04x:%04x", d->vendor, d->device);
	json_object_object_add(j, "id", json_object_new_string(b));
	snprintf(b, sizeof(b), "%04x:%04x", d->sub_vendor, d->sub_device);
	json_object_object_add(j, "subsystem_id", json_object_new_string(b));
	json_object_object_add(j, "driver", d->driver ? json_object_new_string(d->driver) : NULL);
	json_object_object_add(j, "name", json_object_new_string(d->name));
	json_object_object_add(j, "bridge", json_object_new_boolean(d->is_bridge));
	json_object_object_add(j, "gpu", json_object_new_boolean(pci_class_is_gpu(d->class)));
	json_object_object_add(j, "boot_vga", json_object_new_boolean(boot_vga(o, d)));
	return j;
}

int setup_cmd_scan(const struct setup_opts *o)
{
	struct setup_facts f;
	struct pci_host h = { 0 };
	struct iommu_state s;
	_cleanup_free_ const struct pci_dev_info **order = NULL;
	json_object *root = NULL, *groups = NULL, *gpus = NULL, *cur = NULL;
	int r, last = -2;

	setup_facts_read(o, &f);
	read_iommu(o, &f, &s);
	r = pci_host_scan(o->root, &h);
	if (r < 0) {
		setup_log_error("cannot read PCI devices under '%s': %s", o->root, strerror(-r));
		setup_facts_free(&f);
		return 1;
	}
	order = pci_host_by_group(&h);

	if (o->json) {
		json_object *io = json_object_new_object();
		root = json_object_new_object();
		json_object_object_add(io, "enabled", json_object_new_boolean(s.enabled));
		json_object_object_add(io, "units", json_object_new_int((int)s.units));
		json_object_object_add(io, "interrupt_remapping", json_object_new_string(s.remap));
		json_object_object_add(io, "cpu_vendor", json_object_new_string(cpu_vendor_name(f.cpu)));
		json_object_object_add(io, "hint", *s.hint ? json_object_new_string(s.hint) : NULL);
		json_object_object_add(root, "iommu", io);
		groups = json_object_new_array();
		gpus = json_object_new_array();
		json_object_object_add(root, "groups", groups);
		json_object_object_add(root, "gpus", gpus);
	} else {
		printf("CPU: %s\n", cpu_vendor_name(f.cpu));
		printf("IOMMU: %s", s.enabled ? "on" : "off");
		if (s.units)
			printf(" (%u unit%s)", s.units, s.units == 1 ? "" : "s");
		if (*s.hint)
			printf(" (hint: %s)", s.hint);
		printf("\ninterrupt remapping: %s%s\n", s.remap, streq(s.remap, "no") ? NO_REMAP_HINT : "");
	}

	for (size_t i = 0; i < h.n; i++) {
		const struct pci_dev_info *d = order[i];
		char b[32];

		if (o->json) {
			if (d->iommu_group != last) {
				json_object *g = json_object_new_object();
				cur = json_object_new_array();
				json_object_object_add(
					g, "group",
					d->iommu_group < 0 ? NULL : json_object_new_int(d->iommu_group));
				json_object_object_add(g, "devices", cur);
				json_object_array_add(groups, g);
			}
			json_object_array_add(cur, dev_json(o, d));
		} else {
			if (d->iommu_group != last) {
				if (d->iommu_group < 0)
					printf("\nno IOMMU group:\n");
				else
					printf("\nIOMMU group %d:\n", d->iommu_group);
			}
			printf("  %s [%04x] %04x:%04x (sub %04x:%04x) %s%s%s%s\n",
			       short_addr(&d->addr, b, sizeof(b)), d->class >> 8, d->vendor, d->device,
			       d->sub_vendor, d->sub_device, *d->name ? d->name : d->class_name,
			       d->driver ? ", driver " : ", no driver", d->driver ? d->driver : "",
			       pci_class_is_gpu(d->class) ? "  <- GPU" : "");
		}
		last = d->iommu_group;
	}

	if (!o->json)
		printf("\nGPUs:\n");
	for (size_t i = 0; i < h.n; i++) {
		const struct pci_dev_info *d = &h.dev[i], *blocker = NULL;
		char b[32], bb[32];
		bool viable, host_display;

		if (!pci_class_is_gpu(d->class))
			continue;
		viable = s.enabled && gpu_viable(&h, d, &blocker);
		host_display = boot_vga(o, d);
		short_addr(&d->addr, b, sizeof(b));
		if (o->json) {
			json_object *g = json_object_new_object();
			_cleanup_free_ char *line = xasprintf("vfio-setup install --user \"$USER\" "
							      "--device %s",
							      b);
			json_object_object_add(g, "address", json_object_new_string(b));
			json_object_object_add(
				g, "group", d->iommu_group < 0 ? NULL : json_object_new_int(d->iommu_group));
			json_object_object_add(g, "viable", json_object_new_boolean(viable));
			json_object_object_add(g, "host_display", json_object_new_boolean(host_display));
			json_object_object_add(
				g, "blocked_by",
				blocker ? json_object_new_string(pci_addr_fmt(&blocker->addr, bb, sizeof(bb)))
					: NULL);
			json_object_object_add(g, "install", viable ? json_object_new_string(line) : NULL);
			json_object_array_add(gpus, g);
			continue;
		}
		printf("  %s %04x:%04x %s\n", b, d->vendor, d->device, *d->name ? d->name : "");
		if (!s.enabled)
			printf("    cannot be passed: the IOMMU is off\n");
		else if (!viable && blocker)
			printf("    cannot be passed alone: IOMMU group %d also holds %s [%04x:%04x], "
			       "which is not a bridge or a function of this card\n",
			       d->iommu_group, short_addr(&blocker->addr, bb, sizeof(bb)), blocker->vendor,
			       blocker->device);
		else if (!viable)
			printf("    cannot be passed: no IOMMU group\n");
		else {
			printf("    can be passed alone (group %d; bridges in it are fine)%s\n",
			       d->iommu_group, host_display ? "; it is the host's boot display" : "");
			printf("    sudo vfio-setup install --user \"$USER\" --device %s\n", b);
		}
	}
	if (o->json) {
		puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE |
								  JSON_C_TO_STRING_SPACED));
		json_object_put(root);
	}
	pci_host_free(&h);
	setup_facts_free(&f);
	return 0;
}
