// SPDX-License-Identifier: GPL-2.0-or-later
/* qemu-vm usb attach|detach: USB passthrough changed while the VM runs, over QMP. */
#include <errno.h>
#include "commands.h"
#include "plan.h"

#define USB_USAGE "usage: qemu-vm usb attach|detach NAME [DEVICE...]  (DEVICE: vendor:product or bus-port)"

/* One device to attach or detach, and the qdev id it has in the running VM. */
struct usb_target {
	struct usb_entry e;
	char what[48]; /* 046d:c52b or 1-4.2, as the profile writes it */
	char id[48];
};

static void target_name(struct usb_target *t)
{
	if (t->e.by_port)
		snprintf(t->what, sizeof(t->what), "%u-%s", t->e.bus, t->e.port);
	else
		snprintf(t->what, sizeof(t->what), "%04x:%04x", t->e.id.vendor, t->e.id.device);
}

static bool entry_matches(const struct usb_entry *a, const struct usb_entry *b)
{
	if (a->by_port != b->by_port)
		return false;
	if (a->by_port)
		return a->bus == b->bus && streq(a->port, b->port);
	return a->id.vendor == b->id.vendor && a->id.device == b->id.device;
}

/* A profile entry keeps the id the plan gives it at start (usb<index>), so a device present
 * at start can be detached and comes back under the same id. Anything else gets an id derived
 * from the device itself: the same DEVICE always finds what an earlier attach added. */
static void target_id(struct usb_target *t, const struct profile *p)
{
	for (unsigned i = 0; i < p->n_usb; i++)
		if (entry_matches(&p->usb[i], &t->e)) {
			plan_usb_id(i, t->id, sizeof(t->id));
			return;
		}
	if (t->e.by_port)
		snprintf(t->id, sizeof(t->id), "usb-%u-%s", t->e.bus, t->e.port);
	else
		snprintf(t->id, sizeof(t->id), "usb-%04x-%04x", t->e.id.vendor, t->e.id.device);
}

/* DEVICE with the profile parser's own value parsers, so it reads exactly like [usb]. */
static int parse_device(const char *s, struct usb_target *ret)
{
	struct usb_target t = { 0 };

	if (parse_pci_id(s, &t.e.id) < 0) {
		t.e.by_port = true;
		if (parse_usb_port(s, &t.e.bus, t.e.port, sizeof(t.e.port)) < 0)
			return -EINVAL;
	}
	target_name(&t);
	*ret = t;
	return 0;
}

/* The ids of the devices created with -device or device_add: /machine/peripheral's children. */
static int peripheral_ids(struct qmp *q, struct strv *ret, char **ret_error)
{
	struct json_object *list = NULL, *arg = json_object_new_object();
	struct strv ids = { 0 };
	int r;

	json_object_object_add(arg, "path", json_object_new_string("/machine/peripheral"));
	r = qmp_execute(q, "qom-list", arg, &list, ret_error);
	json_object_put(arg);
	if (r < 0)
		return r;
	for (size_t i = 0; json_object_is_type(list, json_type_array) && i < json_object_array_length(list);
	     i++) {
		struct json_object *name, *type, *o = json_object_array_get_idx(list, i);

		/* Children are "child<TYPE>"; the rest are the container's own properties. */
		if (json_object_object_get_ex(o, "name", &name) &&
		    json_object_object_get_ex(o, "type", &type) &&
		    startswith(json_object_get_string(type), "child<"))
			strv_push(&ids, json_object_get_string(name));
	}
	json_object_put(list);
	*ret = ids;
	return 0;
}

static int usb_attach(struct qmp *q, const char *vm, const char *arg, const struct usb_target *t)
{
	struct json_object *a = json_object_new_object();
	_cleanup_free_ char *err = NULL;
	int r;

	json_object_object_add(a, "driver", json_object_new_string("usb-host"));
	json_object_object_add(a, "id", json_object_new_string(t->id));
	json_object_object_add(a, "bus", json_object_new_string(PLAN_USB_BUS));
	if (t->e.by_port) {
		json_object_object_add(a, "hostbus", json_object_new_int((int)t->e.bus));
		json_object_object_add(a, "hostport", json_object_new_string(t->e.port));
	} else {
		json_object_object_add(a, "vendorid", json_object_new_int(t->e.id.vendor));
		json_object_object_add(a, "productid", json_object_new_int(t->e.id.device));
	}
	r = qmp_execute(q, "device_add", a, NULL, &err);
	json_object_put(a);
	if (r < 0) {
		fprintf(stderr,
			"qemu-vm: %s: attaching '%s': %s (qemu-vm check %s shows what the device needs)\n",
			vm, t->what, err ? err : strerror(-r), arg);
		return r;
	}
	/* QEMU waits for a device that is not plugged in yet and takes it when it appears. */
	printf("%s: '%s' attached as %s\n", vm, t->what, t->id);
	return 0;
}

static int usb_detach(struct qmp *q, const char *vm, const char *arg, const struct usb_target *t)
{
	struct json_object *a = json_object_new_object();
	_cleanup_free_ char *err = NULL;
	int r;

	/* A USB device leaves at once (no guest handshake as with PCI): gone when device_del returns. */
	json_object_object_add(a, "id", json_object_new_string(t->id));
	r = qmp_execute(q, "device_del", a, NULL, &err);
	json_object_put(a);
	if (r < 0) {
		fprintf(stderr, "qemu-vm: %s: detaching '%s' (%s): %s (qemu-vm stop %s frees every device)\n",
			vm, t->what, t->id, err ? err : strerror(-r), arg);
		return r;
	}
	printf("%s: '%s' detached (%s)\n", vm, t->what, t->id);
	return 0;
}

static void no_controller(const struct profile *p, const char *arg)
{
	if (plan_has_usb_controller(p))
		fprintf(stderr,
			"qemu-vm: %s has no USB controller (xhci.0): it was started before the profile had one "
			"(restart it: qemu-vm stop %s, then qemu-vm run %s)\n",
			p->name, arg, arg);
	else
		fprintf(stderr,
			"qemu-vm: %s has no USB controller (xhci.0): its profile has no [usb] section and no USB "
			"pointer (add a [usb] section to '%s', then restart the VM)\n",
			p->name, p->path);
}

/* Attaches or detaches each of @t in the running VM; the number that failed. */
static unsigned usb_apply(const struct profile *p, const char *op, const char *arg,
			  const struct usb_target *t, unsigned n)
{
	bool attach = streq(op, "attach");
	unsigned failed = 0;
	struct qmp q;

	if (vm_qmp_open(p->name, &q) < 0)
		return n;
	for (unsigned i = 0; i < n; i++) {
		_cleanup_free_ char *err = NULL;
		struct strv ids = { 0 };

		if (peripheral_ids(&q, &ids, &err) < 0) {
			fprintf(stderr,
				"qemu-vm: %s: asking QEMU for its devices: %s (is it still running? qemu-vm "
				"usb %s %s tries again)\n",
				p->name, err ? err : "the connection broke", op, arg);
			failed += n - i;
			break;
		}
		if (!strv_contains(&ids, PLAN_USB_CONTROLLER)) {
			no_controller(p, arg);
			strv_clear(&ids);
			failed += n - i;
			break;
		}
		if (attach && strv_contains(&ids, t[i].id))
			printf("%s: '%s' is already attached (%s)\n", p->name, t[i].what, t[i].id);
		else if (attach)
			failed += usb_attach(&q, p->name, arg, &t[i]) < 0;
		else if (!strv_contains(&ids, t[i].id)) {
			fprintf(stderr,
				"qemu-vm: %s: '%s' is not attached (no device '%s'; qemu-vm usb attach %s %s "
				"attaches it)\n",
				p->name, t[i].what, t[i].id, arg, t[i].what);
			failed++;
		} else
			failed += usb_detach(&q, p->name, arg, &t[i]) < 0;
		strv_clear(&ids);
	}
	qmp_close(&q);
	return failed;
}

int cmd_usb(const struct global *g, int argc, char **argv)
{
	_cleanup_free_ struct usb_target *t = NULL;
	const char *op, *arg;
	unsigned n = 0;
	struct profile p;
	int r = 1;

	if (argc < 3 || (!streq(argv[1], "attach") && !streq(argv[1], "detach")) ||
	    argc - 3 > PROFILE_MAX_DEVICES) {
		fprintf(stderr, "%s\n", USB_USAGE);
		return 2;
	}
	op = argv[1];
	arg = argv[2];
	t = xcalloc(PROFILE_MAX_DEVICES, sizeof(*t));
	for (int i = 2; i < argc; i++)
		if (argv[i][0] == '-') {
			fprintf(stderr, "%s\n", USB_USAGE);
			return 2;
		}
	for (int i = 3; i < argc; i++)
		if (parse_device(argv[i], &t[n++]) < 0) {
			_cleanup_free_ char *shown = escape_control(argv[i]);

			/* The profile's device = and port = messages, in one. */
			fprintf(stderr,
				"qemu-vm: usb: DEVICE: expected vendor:product in hex like 046d:c52b, or bus-port "
				"like 1-4 or 3-1.2: bus 1-255, ports 1-31, at most 7 deep (qemu-vm devices lists "
				"them), got '%s'\n%s\n",
				shown, USB_USAGE);
			return 2;
		}
	if (refuse_privileged(g, streq(op, "attach") ? "attach USB devices" : "detach USB devices"))
		return 1;
	if (load_profile(g, arg, &p) < 0)
		return 1;
	/* Without DEVICE: the profile's [usb] entries, in file order. */
	if (argc == 3)
		for (; n < p.n_usb; n++) {
			t[n].e = p.usb[n];
			target_name(&t[n]);
		}
	if (n == 0)
		fprintf(stderr,
			"qemu-vm: '%s' has no [usb] device = or port = to %s (name one: qemu-vm usb %s %s 046d:c52b; "
			"qemu-vm devices lists them)\n",
			p.path, op, op, arg);
	else {
		for (unsigned i = 0; i < n; i++)
			target_id(&t[i], &p);
		r = usb_apply(&p, op, arg, t, n) ? 1 : 0;
	}
	profile_free(&p);
	return r;
}
