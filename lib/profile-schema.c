// SPDX-License-Identifier: GPL-2.0-or-later
/* The profile schema: its sections, its enums' names and one table row per key. */
#include <stddef.h>
#include "profile-internal.h"

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
// clang-format off
#define C(n, v) { .name = n, .value = v }
// clang-format on
#define ENUM(name, ...)                                                       \
	static const struct schema_choice name##_choices[] = { __VA_ARGS__ }; \
	const struct schema_enum name = { name##_choices, ARRAY_SIZE(name##_choices) }

/* The enums' names, in the order of their values where plan.c indexes by value. */
ENUM(schema_hugepages, C("off", HUGE_OFF), C("2M", HUGE_2M), C("1G", HUGE_1G));
ENUM(schema_firmware, C("uefi", FW_UEFI), C("bios", FW_BIOS));
ENUM(schema_accel, C("kvm", ACCEL_KVM), C("tcg", ACCEL_TCG), C("auto", ACCEL_AUTO));
ENUM(schema_display, C("auto", DISPLAY_AUTO), C("none", DISPLAY_NONE), C("gtk", DISPLAY_GTK),
     C("sdl", DISPLAY_SDL), C("spice", DISPLAY_SPICE));
ENUM(schema_console, C("none", CONSOLE_NONE), C("stdio", CONSOLE_STDIO));
ENUM(schema_inhibit, C("auto", INHIBIT_AUTO), C("sleep,idle", INHIBIT_SLEEP_IDLE), C("sleep", INHIBIT_SLEEP),
     C("none", INHIBIT_NONE));
ENUM(schema_rootport, C("auto", ROOTPORT_AUTO), C("mirror", ROOTPORT_MIRROR), C("none", ROOTPORT_NONE));
ENUM(schema_diskbus, C("virtio", DISK_VIRTIO), C("nvme", DISK_NVME), C("sata", DISK_SATA));
ENUM(schema_diskcache, C("none", CACHE_NONE), C("writeback", CACHE_WRITEBACK),
     C("writethrough", CACHE_WRITETHROUGH), C("unsafe", CACHE_UNSAFE), C("directsync", CACHE_DIRECTSYNC));
ENUM(schema_diskaio, C("auto", AIO_AUTO), C("native", AIO_NATIVE), C("io_uring", AIO_IO_URING),
     C("threads", AIO_THREADS));
ENUM(schema_diskformat, C("auto", FMT_AUTO), C("raw", FMT_RAW), C("qcow2", FMT_QCOW2));
ENUM(schema_audio_backend, C("none", AUDIO_NONE), C("pulseaudio", AUDIO_PULSE), C("pipewire", AUDIO_PIPEWIRE),
     C("auto", AUDIO_AUTO), { .name = "pulse", .value = AUDIO_PULSE, .alias = true });
ENUM(schema_audio_model, C("hda", AUDIO_HDA), C("ich9", AUDIO_ICH9));
ENUM(schema_missing, C("fail", MISSING_FAIL), C("skip", MISSING_SKIP));
ENUM(schema_pointer, C("usb-tablet", POINTER_USB_TABLET), C("usb-mouse", POINTER_USB_MOUSE),
     C("ps2", POINTER_PS2), C("none", POINTER_NONE));
ENUM(schema_netmode, C("user", NET_USER), C("bridge", NET_BRIDGE), C("none", NET_NONE));
ENUM(schema_netmodel, C("virtio", NIC_VIRTIO), C("e1000e", NIC_E1000E), C("rtl8139", NIC_RTL8139));
ENUM(schema_media, C("disk", 0), C("cdrom", 1));
/* QEMU's input-linux grab-toggle values; kept as the string QEMU takes. */
ENUM(schema_grab_toggle, C("ctrl-ctrl", 0), C("alt-alt", 1), C("shift-shift", 2), C("meta-meta", 3),
     C("scrolllock", 4), C("ctrl-scrolllock", 5));
ENUM(schema_tpm_version, C("2.0", TPM_2_0));

const char *schema_enum_name(const struct schema_enum *e, int value)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->choices[i].value == value && !e->choices[i].alias)
			return e->choices[i].name;
	return NULL;
}

int schema_enum_value(const struct schema_enum *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (streq(e->choices[i].name, name))
			return e->choices[i].value;
	return -1;
}

/* ---- the schema ---- */

const struct schema_section_def schema_sections[_SEC_MAX] = {
	[SEC_VM] = { "vm", false, BASE_PROFILE, "the machine: memory, CPUs, firmware, QEMU" },
	[SEC_PCI] = { "pci", true, BASE_PCI, "a host PCI device passed through (every function of it)" },
	[SEC_DISK] = { "disk", true, BASE_DISK, "a block device or image file" },
	[SEC_LG] = { "looking-glass", false, BASE_PROFILE, "shared memory for the Looking Glass client" },
	[SEC_SCREAM] = { "scream", false, BASE_PROFILE, "shared memory for Scream's audio from the guest" },
	[SEC_AUDIO] = { "audio", false, BASE_PROFILE, "sound through the desktop's sound server" },
	[SEC_USB] = { "usb", false, BASE_PROFILE, "host USB devices passed through" },
	[SEC_INPUT] = { "input", false, BASE_PROFILE, "evdev keyboard and mouse, and the pointer device" },
	[SEC_NETWORK] = { "network", false, BASE_PROFILE, "the network card" },
	[SEC_ACPI] = { "acpi", false, BASE_PROFILE, "extra ACPI tables" },
	[SEC_FWCFG] = { "fw_cfg", false, BASE_PROFILE, "files handed to the firmware" },
	[SEC_QEMU] = { "qemu", false, BASE_PROFILE, "extra QEMU arguments" },
	[SEC_TPM] = { "tpm", false, BASE_PROFILE, "a TPM the guest sees, emulated by swtpm" },
};

/*
 * One row per key. To add a key: add its field to the section's struct in profile.h, then one
 * row here: section, key, type, VM/PCI/DISK(field), and what the type needs (limits, charset,
 * choices, or a parse function for ST_CUSTOM), its default as a profile would write it (when
 * it is not zero), a one-line doc and an example that parses. A new enum gets an
 * ENUM() list above. Error messages, unknown-key hints, the README's key reference and the
 * unit tests (every example parses, every enum round-trips) follow from the row.
 */
#define VM(field) offsetof(struct profile, field)
#define PCI(field) offsetof(struct pci_section, field)
#define DISK(field) offsetof(struct disk_section, field)

const struct schema_key schema_keys[] = {
	{ SEC_VM, "title", ST_TEXT, VM(title), .min = 1, .max = 120,
	  .expect = "a title of 1 to 120 characters",
	  .doc = "the name shown in the application menu and by list", .example = "Windows 11 (gaming)" },
	{ SEC_VM, "memory", ST_SIZE, VM(memory), .min = 128ULL << 20, .max = 4ULL << 40, .align = 2ULL << 20,
	  .expect = "a size like 16G or 512M", .def = "4G",
	  .doc = "guest RAM; memlock must cover it + 1G when a device is passed", .example = "8G" },
	{ SEC_VM, "cpus", ST_UINT, VM(cpus), .min = 1, .max = 255,
	  .doc = "vCPUs (default: one per pinned CPU, else 2)", .example = "6" },
	{ SEC_VM, "cores", ST_UINT, VM(cores), .min = 1, .max = 255,
	  .doc = "topology: sockets × cores × threads must make cpus", .example = "3" },
	{ SEC_VM, "threads", ST_UINT, VM(threads), .min = 1, .max = 2, .doc = "threads per core",
	  .example = "2" },
	{ SEC_VM, "sockets", ST_UINT, VM(sockets), .min = 1, .max = 8, .doc = "sockets", .example = "1" },
	{ SEC_VM, "pin", ST_CPULIST, VM(pin), VM(pin_loc),
	  .expect = "a list of host CPUs like 2-5,8-11, each once",
	  .doc = "host CPUs for the vCPU threads, one each, in vCPU order", .example = "2-7" },
	{ SEC_VM, "emulator-pin", ST_CPULIST, VM(emulator_pin), VM(emulator_pin_loc),
	  .expect = "a list of host CPUs like 0-1,6-7, each once",
	  .doc = "host CPUs for QEMU's other threads (default: those not in pin)", .example = "0-1" },
	{ SEC_VM, "io-pin", ST_CPULIST, VM(io_pin), VM(io_pin_loc),
	  .expect = "a list of host CPUs like 0-1, each once",
	  .doc = "host CPUs for the iothreads (default: as emulator-pin)", .example = "1" },
	{ SEC_VM, "shutdown-timeout", ST_UINT, VM(shutdown_timeout), .min = 1, .max = 3600, .def = "60",
	  .doc = "seconds from the ACPI power button to quit", .example = "60" },
	{ SEC_VM, "inhibit", ST_ENUM, VM(inhibit), .choices = &schema_inhibit, .def = "auto",
	  .doc = "a logind inhibitor while the VM runs (auto: sleep,idle when a PCI device or evdev input is passed)",
	  .example = "sleep,idle" },
	{ SEC_VM, "hugepages", ST_ENUM, VM(hugepages), .choices = &schema_hugepages, .def = "off",
	  .doc = "guest RAM from memfd-backed huge pages (no hugetlbfs mount needed)", .example = "1G" },
	{ SEC_VM, "firmware", ST_ENUM, VM(firmware), .choices = &schema_firmware, .def = "uefi",
	  .doc = "uefi is found through QEMU's firmware descriptors", .example = "uefi" },
	{ SEC_VM, "secure-boot", ST_BOOL, VM(secure_boot), VM(secure_boot_loc), .def = "off",
	  .doc = "UEFI with Secure Boot on and Microsoft's keys enrolled (Windows 11)", .example = "on" },
	{ SEC_VM, "accel", ST_ENUM, VM(accel), .choices = &schema_accel, .def = "kvm",
	  .doc = "auto: KVM when /dev/kvm is usable, else TCG", .example = "kvm" },
	{ SEC_VM, "hyperv", ST_TOGGLE, VM(hyperv), .def = "on", .doc = "Hyper-V enlightenments for Windows",
	  .example = "on" },
	{ SEC_VM, "hide-hypervisor", ST_TOGGLE, VM(hide_hypervisor), .def = "off",
	  .doc = "kvm=off and a vendor ID (NVIDIA Code 43 on old drivers)", .example = "on" },
	{ SEC_VM, "hv-vendor-id", ST_TEXT, VM(hv_vendor_id), .min = 1, .max = 12, .charset = ALNUM,
	  .expect = "1 to 12 letters or digits",
	  .doc = "the Hyper-V vendor ID shown with hide-hypervisor = on", .example = "0123456789ab" },
	{ SEC_VM, "qemu", ST_CUSTOM, VM(qemu), VM(qemu_loc), .parse = parse_qemu,
	  .expect = "a program name on PATH or an absolute path", .def = "qemu-system-x86_64",
	  .doc = "the QEMU binary: a name on PATH or a path", .example = "qemu-system-x86_64" },
	{ SEC_VM, "cpu", ST_TEXT, VM(cpu_model), .min = 1, .charset = ALNUM "-_.",
	  .expect = "a QEMU CPU model name like host or max", .def = "host",
	  .doc = "the CPU model QEMU emulates or passes through", .example = "host" },
	{ SEC_VM, "display", ST_ENUM, VM(display), .choices = &schema_display, .def = "auto",
	  .doc = "auto: none when a GPU is passed or console = stdio, else gtk; spice: a SPICE server on a "
		 "socket in the run directory, for qemu-vm viewer (and Looking Glass's input and clipboard)",
	  .example = "auto" },
	{ SEC_VM, "console", ST_ENUM, VM(console), .choices = &schema_console, .def = "none",
	  .doc = "stdio: the guest's serial port and QEMU's monitor on the terminal", .example = "none" },

	{ SEC_PCI, "host", ST_PCI_ADDR, PCI(host), PCI(host_loc), PCI(has_host),
	  .expect = "a PCI address like 01:00.0, 0000:01:00.0 or 01:00 (bus:slot.function in hex; "
		    "slot 00-1f, function 0-7; no function: the whole slot)",
	  .doc = "the device by address; every function of it comes along (01:00 or 01:00.0: the "
		 "whole card, 01:00.3: that function alone)",
	  .example = "01:00.0" },
	{ SEC_PCI, "ids", ST_PCI_ID, PCI(ids), PCI(host_loc), PCI(has_ids),
	  .expect = "vendor:device in hex like 10de:1b81",
	  .doc = "the device by vendor:device, instead of host", .example = "10de:1b81" },
	{ SEC_PCI, "romfile", ST_PATH, PCI(romfile), PCI(romfile_loc), .doc = "a VBIOS image for the device",
	  .example = "~/vm/gpu.rom" },
	{ SEC_PCI, "rombar", ST_TOGGLE, PCI(rombar), .def = "auto",
	  .doc = "expose the device's ROM BAR (auto: as QEMU decides)", .example = "off" },
	{ SEC_PCI, "sub-ids", ST_CUSTOM, 0, .parse = parse_subids,
	  .expect = "auto, off or vendor:device like 1025:118b", .def = "off",
	  .doc = "subsystem IDs: auto copies the host's", .example = "auto" },
	{ SEC_PCI, "root-port", ST_ENUM, PCI(rootport), .choices = &schema_rootport, .def = "auto",
	  .doc = "mirror: the host's bus number, for Optimus", .example = "auto" },
	{ SEC_PCI, "hotplug", ST_TOGGLE, PCI(hotplug), .def = "auto",
	  .doc = "hotplug on the root port (off: no _DSM for the driver to call)", .example = "off" },
	{ SEC_PCI, "skip-functions", ST_CUSTOM, PCI(skip_functions), .parse = parse_skip_functions,
	  .expect = "a list of functions 1-7 like 1 or 1,2",
	  .doc = "functions kept out of the VM (they must still stay off host drivers)", .example = "1" },
	{ SEC_PCI, "primary", ST_BOOL, PCI(primary), .def = "off",
	  .doc = "the guest's primary VGA device (x-vga=on)", .example = "on" },
	{ SEC_PCI, "vendor-id", ST_CUSTOM, PCI(vendor_id), 0, PCI(has_vendor_id), .parse = parse_id16,
	  .expect = "a vendor ID of 4 hex digits like 10de",
	  .doc = "the vendor ID function 0 shows the guest (x-pci-vendor-id)", .example = "10de" },
	{ SEC_PCI, "device-id", ST_CUSTOM, PCI(device_id), 0, PCI(has_device_id), .parse = parse_id16,
	  .expect = "a device ID of 4 hex digits like 1b81",
	  .doc = "the device ID function 0 shows the guest (x-pci-device-id)", .example = "1b81" },
	{ SEC_PCI, "handover", ST_BOOL, PCI(handover), .def = "off",
	  .doc = "the host keeps the device until the VM starts: it moves to vfio-pci then and back "
		 "after (the unit vfio-setup install adds; needs host =)",
	  .example = "on" },

	{ SEC_DISK, "path", ST_PATH, DISK(path), DISK(path_loc), .doc = "the block device or image file",
	  .example = "~/vm/windows.qcow2" },
	{ SEC_DISK, "bus", ST_ENUM, DISK(bus), .choices = &schema_diskbus, .def = "virtio",
	  .doc = "virtio comes with an iothread", .example = "virtio" },
	{ SEC_DISK, "cache", ST_ENUM, DISK(cache), .choices = &schema_diskcache, .def = "none",
	  .doc = "QEMU's cache mode", .example = "none" },
	{ SEC_DISK, "aio", ST_ENUM, DISK(aio), .choices = &schema_diskaio, .def = "auto",
	  .doc = "auto: native for block devices with cache none or directsync", .example = "native" },
	{ SEC_DISK, "format", ST_ENUM, DISK(format), .choices = &schema_diskformat, .def = "auto",
	  .doc = "auto: qcow2 for a .qcow2 file, else raw", .example = "auto" },
	{ SEC_DISK, "readonly", ST_BOOL, DISK(readonly), .def = "off", .doc = "the guest cannot write",
	  .example = "off" },
	{ SEC_DISK, "discard", ST_BOOL, DISK(discard), .def = "off", .doc = "pass the guest's TRIM through",
	  .example = "on" },
	{ SEC_DISK, "media", ST_CUSTOM, DISK(cdrom), .parse = parse_media, .choices = &schema_media,
	  .def = "disk", .doc = "cdrom: a read-only IDE CD-ROM", .example = "cdrom" },

	{ SEC_LG, "resolution", ST_CUSTOM, 0, .parse = parse_resolution,
	  .expect = "WIDTHxHEIGHT like 2560x1440 (320x200 to 16384x16384)",
	  .doc = "sizes the shared memory by Looking Glass's formula", .example = "2560x1440" },
	{ SEC_LG, "size", ST_SIZE, VM(lg_size), .min = 1ULL << 20, .max = 2ULL << 30, .pow2 = true,
	  .expect = "a size like 64M", .why = "(ivshmem needs one)",
	  .doc = "the shared memory's size, instead of resolution", .example = "64M" },
	{ SEC_LG, "path", ST_PATH, VM(lg_path), VM(lg_loc),
	  .doc = "the shared memory file (default /dev/shm/looking-glass)", .example = "/dev/kvmfr0" },

	{ SEC_SCREAM, "size", ST_SIZE, VM(scream_size), VM(scream_size_loc), .min = 1ULL << 20,
	  .max = 256ULL << 20, .pow2 = true, .expect = "a size like 2M", .why = "(ivshmem needs one)",
	  .def = "2M", .doc = "the shared memory's size (the guest driver's UseIVSHMEM, in MB)",
	  .example = "2M" },
	{ SEC_SCREAM, "path", ST_PATH, VM(scream_path), VM(scream_loc), .def = "/dev/shm/scream-ivshmem",
	  .doc = "the shared memory file the host's Scream receiver reads",
	  .example = "/dev/shm/scream-ivshmem" },

	{ SEC_AUDIO, "backend", ST_ENUM, VM(audio), VM(audio_loc), .choices = &schema_audio_backend,
	  .doc = "pulseaudio also reaches PipeWire's pulse socket; auto asks QEMU", .example = "pulseaudio" },
	{ SEC_AUDIO, "server", ST_CUSTOM, VM(audio_server), .parse = parse_server,
	  .expect = "auto, a path, unix:PATH or tcp:HOST[:PORT]", .def = "auto",
	  .doc = "the Pulse server: its socket (a path or unix:PATH), tcp:HOST[:PORT] over the network, or auto "
		 "(the desktop's socket)",
	  .example = "auto" },
	{ SEC_AUDIO, "model", ST_ENUM, VM(audio_model), .choices = &schema_audio_model, .def = "ich9",
	  .doc = "the emulated HD Audio controller", .example = "ich9" },

	{ SEC_USB, "device", ST_CUSTOM, 0, .parse = parse_usb_device, .repeat = true,
	  .expect = "vendor:product in hex like 046d:c52b", .doc = "a device by vendor:product",
	  .example = "046d:c52b" },
	{ SEC_USB, "port", ST_CUSTOM, 0, .parse = parse_usb_port_key, .repeat = true,
	  .expect = "bus-port like 1-4 or 3-1.2",
	  .doc = "whatever is plugged into that port (qemu-vm devices shows them)", .example = "1-4" },
	{ SEC_USB, "missing", ST_ENUM, VM(usb_missing), .choices = &schema_missing, .def = "fail",
	  .doc = "skip: an absent device is left out with a warning", .example = "skip" },

	{ SEC_INPUT, "keyboard", ST_CUSTOM, 0, .parse = parse_evdev, .repeat = true, .expect = "a path",
	  .doc = "an evdev keyboard passed through (another line: another keyboard)",
	  .example = "/dev/input/by-id/usb-kbd-event-kbd" },
	{ SEC_INPUT, "mouse", ST_CUSTOM, 0, .parse = parse_evdev, .repeat = true, .expect = "a path",
	  .doc = "an evdev mouse passed through (another line: another mouse)",
	  .example = "/dev/input/by-id/usb-mouse-event-mouse" },
	{ SEC_INPUT, "toggle", ST_CUSTOM, VM(toggle), .parse = parse_grab_toggle,
	  .choices = &schema_grab_toggle, .doc = "the keys that switch the grab between host and guest",
	  .example = "ctrl-ctrl" },
	{ SEC_INPUT, "grab-all", ST_BOOL, VM(grab_all), .def = "on",
	  .doc = "the toggle switches every evdev device at once", .example = "on" },
	{ SEC_INPUT, "repeat", ST_BOOL, VM(repeat), .def = "on", .doc = "key repeat for the evdev keyboard",
	  .example = "on" },
	{ SEC_INPUT, "pointer", ST_ENUM, VM(pointer), .choices = &schema_pointer, .def = "usb-tablet",
	  .doc = "the emulated pointer device", .example = "usb-tablet" },
	{ SEC_INPUT, "virtio", ST_BOOL, VM(input_virtio), .def = "off",
	  .doc = "virtio-keyboard and virtio-mouse too, beside USB and PS/2 (the guest needs virtio-input drivers)",
	  .example = "on" },
	{ SEC_INPUT, "ps2", ST_BOOL, VM(ps2), .def = "on",
	  .doc = "the PS/2 controller (off: no i8042, so Windows takes no PS/2 mouse for a touchpad)",
	  .example = "off" },

	{ SEC_NETWORK, "mode", ST_ENUM, VM(net), .choices = &schema_netmode, .def = "user",
	  .doc = "bridge goes through qemu-bridge-helper", .example = "user" },
	{ SEC_NETWORK, "model", ST_ENUM, VM(nic), .choices = &schema_netmodel, .def = "virtio",
	  .doc = "the emulated network card", .example = "virtio" },
	{ SEC_NETWORK, "mac", ST_CUSTOM, 0, .parse = parse_mac_key,
	  .expect = "auto or a unicast MAC like 52:54:00:12:34:56", .def = "auto",
	  .doc = "auto: stable, derived from the profile name", .example = "52:54:00:12:34:56" },
	{ SEC_NETWORK, "bridge", ST_TEXT, VM(bridge), .min = 1, .max = 15, .charset = ALNUM "-_.",
	  .expect = "a bridge interface name like br0 (at most 15 characters)",
	  .doc = "the bridge for mode = bridge (default br0)", .example = "br0" },

	{ SEC_ACPI, "table", ST_CUSTOM, 0, .parse = parse_acpi_table, .repeat = true, .expect = "a path",
	  .doc = "an ACPI table file (.aml) added to the guest's", .example = "~/vm/ssdt-battery.aml" },

	{ SEC_FWCFG, NULL, ST_CUSTOM, 0, .parse = parse_fwcfg, .expect = "a path",
	  .doc = "opt/NAME = file: a file the firmware reads by name", .example = "~/vm/gpu.rom" },

	{ SEC_QEMU, "arg", ST_CUSTOM, VM(extra_args), .parse = parse_qemu_arg, .repeat = true,
	  .expect = "one QEMU argument", .doc = "escape hatch: one argv word per line, appended verbatim",
	  .example = "-no-reboot" },

	{ SEC_TPM, "version", ST_ENUM, VM(tpm_version), .choices = &schema_tpm_version, .def = "2.0",
	  .doc = "the TPM's version (swtpm --tpm2; the only one for now)", .example = "2.0" },
};
const size_t schema_n_keys = ARRAY_SIZE(schema_keys);

const struct schema_key *schema_find(enum schema_section section, const char *key)
{
	const struct schema_key *any = NULL;

	for (size_t i = 0; i < schema_n_keys; i++) {
		if (schema_keys[i].section != section)
			continue;
		if (!schema_keys[i].key)
			any = &schema_keys[i];
		else if (streq(schema_keys[i].key, key))
			return &schema_keys[i];
	}
	return any;
}

/* Edit distance counting a swap of two neighbours as one edit (optimal string alignment). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), w = lb + 1;
	_cleanup_free_ size_t *d = xcalloc((la + 1) * w, sizeof(size_t));

	for (size_t i = 0; i <= la; i++)
		d[i * w] = i;
	for (size_t j = 0; j <= lb; j++)
		d[j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[(i - 1) * w + j - 1] + (a[i - 1] != b[j - 1]);

			if (d[(i - 1) * w + j] + 1 < best)
				best = d[(i - 1) * w + j] + 1;
			if (d[i * w + j - 1] + 1 < best)
				best = d[i * w + j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[(i - 2) * w + j - 2] + 1 < best)
				best = d[(i - 2) * w + j - 2] + 1;
			d[i * w + j] = best;
		}
	return d[la * w + lb];
}

const char *schema_nearest(enum schema_section section, const char *key)
{
	/* One typo in a short key, two in a long one: beyond that a guess misleads. */
	size_t best = strlen(key) >= 6 ? 3 : 2;
	const char *found = NULL;

	for (size_t i = 0; i < schema_n_keys; i++) {
		size_t d;

		if (schema_keys[i].section != section || !schema_keys[i].key)
			continue;
		d = distance(key, schema_keys[i].key);
		if (d < best) {
			best = d;
			found = schema_keys[i].key;
		}
	}
	return found;
}
