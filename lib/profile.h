/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The profile: a hand-edited INI file parsed into a validated struct, every error with file:line. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "strv.h"

/* Hard caps on what one profile may ask for. */
#define PROFILE_MAX_DEVICES 64
#define PROFILE_MAX_ERRORS 200
#define PROFILE_MAX_FILE (1024 * 1024)
#define CPUSET_MAX 1024
#define PROFILE_MAX_EVDEV 16 /* keyboard = and mouse = lines, together */

struct pci_addr {
	unsigned domain, bus, slot, func;
};

struct pci_id {
	uint16_t vendor, device;
};

struct cpuset {
	unsigned n;
	uint16_t cpu[CPUSET_MAX]; /* in the order written */
};

enum toggle3 { T_AUTO = -1, T_OFF = 0, T_ON = 1 };
enum hugepages { HUGE_OFF, HUGE_2M, HUGE_1G };
enum firmware { FW_UEFI, FW_BIOS };
enum accel { ACCEL_KVM, ACCEL_TCG, ACCEL_AUTO };
enum display { DISPLAY_AUTO, DISPLAY_NONE, DISPLAY_GTK, DISPLAY_SDL, DISPLAY_SPICE };
enum console { CONSOLE_NONE, CONSOLE_STDIO };
enum subids { SUBIDS_OFF, SUBIDS_AUTO, SUBIDS_EXPLICIT };
enum rootport { ROOTPORT_AUTO, ROOTPORT_MIRROR, ROOTPORT_NONE };
enum diskbus { DISK_VIRTIO, DISK_NVME, DISK_SATA };
enum diskcache { CACHE_NONE, CACHE_WRITEBACK, CACHE_WRITETHROUGH, CACHE_UNSAFE, CACHE_DIRECTSYNC };
enum diskaio { AIO_AUTO, AIO_NATIVE, AIO_IO_URING, AIO_THREADS };
enum diskformat { FMT_AUTO, FMT_RAW, FMT_QCOW2 };
enum audio_backend { AUDIO_NONE, AUDIO_PULSE, AUDIO_PIPEWIRE, AUDIO_AUTO };
enum audio_model { AUDIO_HDA, AUDIO_ICH9 };
enum missing { MISSING_FAIL, MISSING_SKIP };
enum pointer { POINTER_USB_TABLET, POINTER_USB_MOUSE, POINTER_PS2, POINTER_NONE };
enum netmode { NET_USER, NET_BRIDGE, NET_NONE };
enum netmodel { NIC_VIRTIO, NIC_E1000E, NIC_RTL8139 };
enum inhibit { INHIBIT_AUTO, INHIBIT_SLEEP_IDLE, INHIBIT_SLEEP, INHIBIT_NONE };
enum tpm_version { TPM_2_0 };

/* Every value keeps the line it came from, so later stages (check, plan) can name it. */
struct loc {
	const char *file; /* points into struct profile.path */
	unsigned line;
};

struct pci_section {
	char *name;
	struct loc loc;
	bool has_host;
	struct pci_addr host; /* host = 01:00.0 */
	bool has_ids;
	struct pci_id ids; /* ids = 10de:1b81 */
	struct loc host_loc;
	char *romfile; /* expanded path, or NULL */
	struct loc romfile_loc;
	enum toggle3 rombar;
	enum subids subids;
	struct pci_id sub; /* when SUBIDS_EXPLICIT */
	enum rootport rootport;
	enum toggle3 hotplug;
	uint8_t skip_functions; /* bit n set: function n is left out */
	bool primary; /* x-vga=on; only meaningful with -vga none */
	bool has_vendor_id, has_device_id; /* IDs function 0 shows the guest instead of its own */
	uint16_t vendor_id, device_id;
	bool handover; /* on a host driver until the VM starts, moved to vfio-pci by the unit */
};

struct disk_section {
	char *name;
	struct loc loc;
	char *path;
	struct loc path_loc;
	enum diskbus bus;
	enum diskcache cache;
	enum diskaio aio;
	enum diskformat format;
	bool readonly;
	bool discard;
	bool cdrom;
};

/* An evdev device passed through with input-linux ([input] keyboard = or mouse =). */
struct evdev_entry {
	char *path;
	struct loc loc;
	bool keyboard;
};

struct usb_entry {
	struct loc loc;
	bool by_port;
	struct pci_id id; /* vendor:product when !by_port */
	unsigned bus; /* by_port: 1-4.2 → bus 1, port "4.2" */
	char port[32];
};

struct profile {
	char *path; /* the file read */
	char *name; /* NAME: basename without .ini */

	/* [vm] */
	char *title;
	uint64_t memory; /* bytes */
	unsigned cpus, cores, threads, sockets;
	struct cpuset pin;
	struct loc pin_loc;
	struct cpuset emulator_pin; /* the emulator's other threads; n == 0: host CPUs not in pin */
	struct loc emulator_pin_loc;
	struct cpuset io_pin; /* iothreads; n == 0: as emulator_pin */
	struct loc io_pin_loc;
	unsigned shutdown_timeout; /* seconds from the ACPI power button to quit */
	enum inhibit inhibit; /* auto: sleep and idle when a PCI device or evdev input is passed */
	enum hugepages hugepages;
	enum firmware firmware;
	bool secure_boot; /* the firmware with Secure Boot on and Microsoft's keys enrolled */
	struct loc secure_boot_loc;
	enum accel accel; /* auto: KVM when /dev/kvm is usable, else TCG */
	enum toggle3 hyperv;
	enum toggle3 hide_hypervisor;
	char *hv_vendor_id; /* at most 12 characters */
	char *qemu; /* binary name or path */
	struct loc qemu_loc; /* line 0: the default */
	char *cpu_model; /* default "host" */
	enum display display;
	enum console console;

	struct pci_section pci[PROFILE_MAX_DEVICES];
	unsigned n_pci;
	struct disk_section disk[PROFILE_MAX_DEVICES];
	unsigned n_disk;

	/* [looking-glass] */
	bool lg;
	struct loc lg_loc; /* path =, else the section */
	uint64_t lg_size; /* explicit or from resolution */
	unsigned lg_width, lg_height;
	char *lg_path;

	/* [audio] */
	enum audio_backend audio;
	enum audio_model audio_model;
	char *audio_server; /* NULL: auto */
	struct loc audio_loc; /* backend =, else the section */

	/* [usb] */
	struct usb_entry usb[PROFILE_MAX_DEVICES];
	unsigned n_usb;
	enum missing usb_missing;
	bool usb_controller; /* any [usb] section */

	/* [scream] */
	bool scream;
	struct loc scream_loc; /* path =, else the section */
	uint64_t scream_size;
	struct loc scream_size_loc; /* size =, else the section */
	char *scream_path;

	/* [input] */
	struct evdev_entry evdev[PROFILE_MAX_EVDEV]; /* keyboards and mice, in file order */
	unsigned n_evdev;
	char *toggle; /* grab-toggle value */
	bool grab_all, repeat;
	enum pointer pointer;
	bool input_virtio; /* virtio-keyboard-pci and virtio-mouse-pci too */
	bool ps2; /* the i8042 controller (PS/2 keyboard and mouse); off: -machine i8042=off */

	/* [network] */
	enum netmode net;
	enum netmodel nic;
	char *bridge;
	bool mac_auto;
	uint8_t mac[6];

	/* [acpi] */
	struct strv acpi_tables;
	struct loc acpi_loc[PROFILE_MAX_DEVICES];

	/* [fw_cfg] */
	struct strv fwcfg_names, fwcfg_files;
	struct loc fwcfg_loc[PROFILE_MAX_DEVICES];

	/* [qemu] */
	struct strv extra_args;

	/* Not a key: run --maintenance made this the same VM without passthrough (maintenance.c). */
	bool maintenance;
	/* [tpm] */
	bool tpm;
	struct loc tpm_loc;
	enum tpm_version tpm_version;
};

/* One collected error: "file:line: key: message". */
struct profile_errors {
	struct strv msgs;
};

/*
 * Parses and validates @path. Returns 0 and fills @ret, or -EINVAL with every problem in @errs
 * (formatted "file:line: key: …"), or another -errno when the file cannot be read.
 * @env_home etc. come from the environment through secure_getenv for ~ and $XDG_* expansion.
 */
int profile_load(const char *path, struct profile *ret, struct profile_errors *errs);
/* The same for a profile held in @text; @name stands for its path (messages, the VM's name,
 * relative paths). */
int profile_load_string(const char *name, const char *text, struct profile *ret, struct profile_errors *errs);
void profile_free(struct profile *p);
/* The [pci] sections gone; the evdev keyboards and mice gone, with the grab toggle that switches
 * them (run --maintenance). */
void profile_drop_pci(struct profile *p);
void profile_drop_evdev(struct profile *p);
void profile_errors_free(struct profile_errors *e);

/* The VM's name from a profile's path, or from NAME as the user typed it: the basename without
 * .ini. -EINVAL when that is empty, '.' or '..', or holds control characters. */
int profile_vm_name(const char *path, char **ret_name);

/* Whether NAME as the user typed it is a path (holds '/' or ends in .ini), not a profile name. */
bool profile_name_is_path(const char *name);

/* Finds NAME: an explicit path (contains '/' or ends in .ini), $XDG_CONFIG_HOME/qemu-vm/NAME.ini,
 * /etc/qemu-vm/NAME.ini (under @root). Returns a malloc'd path or NULL with errno set. */
char *profile_find(const char *name, const char *root);

/* Value parsers, exposed for tests and for vfio-setup's validation. All return 0 or -EINVAL. */
int parse_size(const char *s, uint64_t *ret);
int parse_cpulist(const char *s, struct cpuset *ret);
int parse_pci_addr(const char *s, struct pci_addr *ret);
int parse_pci_slot_or_addr(const char *s, struct pci_addr *ret);
int parse_pci_id(const char *s, struct pci_id *ret);
int parse_bool(const char *s, bool *ret);
int parse_usb_port(const char *s, unsigned *ret_bus, char *ret_port, size_t len);
/* A unicast MAC like 52:54:00:12:34:56; -EDOM for a multicast one. */
int parse_mac(const char *s, uint8_t mac[6]);
/* Expands a leading ~ and $HOME/$XDG_*; returns a malloc'd string or NULL (-EINVAL in errno). */
char *expand_path(const char *s);

/* Looking Glass B7: W*H*4*2 + 10 MiB rounded up to a power of two. */
uint64_t lg_size_for(unsigned width, unsigned height);
