// SPDX-License-Identifier: GPL-2.0-or-later
/* --json of list, devices, check and show: the same facts as the text, under stable keys. */
#include <json-c/json.h>
#include <time.h>
#include "commands.h"
#include "vmstate.h"

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *hex4(unsigned v)
{
	char b[8];

	snprintf(b, sizeof(b), "%04x", v & 0xffff);
	return json_object_new_string(b);
}

json_object *json_out_new_array(void)
{
	return json_object_new_array();
}

void json_out_print(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void json_out_profile(json_object *list, const char *name, const char *title, const char *path,
		      const char *where, bool valid, const struct vm_state *run)
{
	json_object *o = json_object_new_object();
	const char *state = !run ? "stopped" : run->phase[0] ? run->phase : "running";
	char since[32] = "";
	time_t t = run ? (time_t)run->since : 0;
	struct tm tm;

	if (run && gmtime_r(&t, &tm))
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "title", str_or_null(title));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "where", json_object_new_string(where));
	json_object_object_add(o, "valid", json_object_new_boolean(valid));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "qemu_pid", run && run->qemu > 0 ? json_object_new_int(run->qemu) : NULL);
	json_object_object_add(o, "since", since[0] ? json_object_new_string(since) : NULL);
	json_object_array_add(list, o);
}

void json_out_devices(const struct pci_dev_info *const *pci, size_t n_pci, const struct usb_host *usb)
{
	json_object *root = json_object_new_object(), *p = json_object_new_array(),
		    *u = json_object_new_array();

	for (size_t i = 0; i < n_pci; i++) {
		const struct pci_dev_info *d = pci[i];
		json_object *o = json_object_new_object();
		char a[16], cls[8];

		pci_addr_fmt(&d->addr, a, sizeof(a));
		snprintf(cls, sizeof(cls), "%04x", d->class >> 8);
		json_object_object_add(o, "address", json_object_new_string(a));
		json_object_object_add(o, "iommu_group",
				       d->iommu_group >= 0 ? json_object_new_int(d->iommu_group) : NULL);
		json_object_object_add(o, "class", json_object_new_string(cls));
		json_object_object_add(o, "class_name", json_object_new_string(d->class_name));
		json_object_object_add(o, "vendor", hex4(d->vendor));
		json_object_object_add(o, "device", hex4(d->device));
		json_object_object_add(o, "subsystem_vendor", hex4(d->sub_vendor));
		json_object_object_add(o, "subsystem_device", hex4(d->sub_device));
		json_object_object_add(o, "driver", str_or_null(d->driver));
		json_object_object_add(o, "name", json_object_new_string(d->name));
		json_object_object_add(o, "gpu", json_object_new_boolean(pci_class_is_gpu(d->class)));
		json_object_array_add(p, o);
	}
	for (size_t i = 0; i < usb->n; i++) {
		const struct usb_dev_info *d = &usb->dev[i];
		json_object *o = json_object_new_object();
		char port[48];

		snprintf(port, sizeof(port), "%u-%s", d->bus, d->port);
		json_object_object_add(o, "port", json_object_new_string(port));
		json_object_object_add(o, "vendor", hex4(d->vendor));
		json_object_object_add(o, "product", hex4(d->product));
		json_object_object_add(o, "name", json_object_new_string(d->name));
		json_object_array_add(u, o);
	}
	json_object_object_add(root, "pci", p);
	json_object_object_add(root, "usb", u);
	json_out_print(root);
}

void json_out_check(const char *name, const struct plan *pl)
{
	static const char *const level[] = { "ok", "warn", "fail" };
	json_object *root = json_object_new_object(), *checks = json_object_new_array();
	int fails = 0, warns = 0;

	for (size_t i = 0; i < pl->n_checks; i++) {
		const struct check *c = &pl->checks[i];
		json_object *o = json_object_new_object();

		fails += c->level == CHECK_FAIL;
		warns += c->level == CHECK_WARN;
		json_object_object_add(o, "level", json_object_new_string(level[c->level]));
		json_object_object_add(o, "what", json_object_new_string(c->what));
		json_object_object_add(o, "fix", c->level != CHECK_OK ? str_or_null(c->fix) : NULL);
		json_object_array_add(checks, o);
	}
	json_object_object_add(root, "name", json_object_new_string(name));
	json_object_object_add(root, "ready", json_object_new_boolean(fails == 0));
	json_object_object_add(root, "problems", json_object_new_int(fails));
	json_object_object_add(root, "warnings", json_object_new_int(warns));
	json_object_object_add(root, "checks", checks);
	json_out_print(root);
}

void json_out_show(const char *name, const struct plan *pl)
{
	json_object *root = json_object_new_object(), *argv = json_object_new_array();

	for (size_t i = 0; i < pl->argv.n; i++)
		json_object_array_add(argv, json_object_new_string(pl->argv.v[i]));
	json_object_object_add(root, "name", json_object_new_string(name));
	json_object_object_add(root, "argv", argv);
	json_out_print(root);
}
