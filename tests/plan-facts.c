// SPDX-License-Identifier: GPL-2.0-or-later
/* Hand-made host facts for plan_build(), shared by the plan unit tests and the plan fuzz target. */
#include "plan-facts.h"

struct pci_dev_info facts_dev(unsigned bus, unsigned slot, unsigned fn, uint16_t v, uint16_t d,
			      uint32_t class, const char *driver, int group)
{
	struct pci_dev_info i = { .addr = { 0, bus, slot, fn },
				  .vendor = v,
				  .device = d,
				  .class = class,
				  .driver = driver ? xstrdup(driver) : NULL,
				  .iommu_group = group };

	i.is_bridge = pci_class_is_bridge(class);
	if (bus) {
		i.has_parent = true;
		i.parent = (struct pci_addr){ 0, 0, 1, 0 };
	}
	return i;
}

/* The laptop of the seed case: GPU 01:00.0 + audio 01:00.1 behind 00:01.0, all in group 1. */
void laptop_facts(struct vm_facts *f, const char *gpu_driver)
{
	/* In the desktop session, with a QEMU that has every display. */
	*f = (struct vm_facts){ .user = xstrdup("alice"),
				.profile_arg = "laptop",
				.qemu_has_pipewire = -1,
				.qemu_has_display = 1,
				.gui_session = true };
	f->host.root = "/";
	f->qemu_path = xstrdup("/usr/bin/qemu-system-x86_64");
	f->qemu_file = xstrdup("/usr/bin/qemu-system-x86_64");
	f->host.pci.n = 4;
	f->host.pci.dev = xcalloc(4, sizeof(struct pci_dev_info));
	f->host.pci.dev[0] = facts_dev(0, 0, 0, 0x8086, 0x5910, 0x060000, NULL, 0);
	f->host.pci.dev[1] = facts_dev(0, 1, 0, 0x8086, 0x1901, 0x060400, "pcieport", 1);
	f->host.pci.dev[2] = facts_dev(1, 0, 0, 0x10de, 0x1c8d, 0x030000, gpu_driver, 1);
	f->host.pci.dev[2].sub_vendor = 0x1025;
	f->host.pci.dev[2].sub_device = 0x118b;
	f->host.pci.dev[3] = facts_dev(1, 0, 1, 0x10de, 0x0fb9, 0x040300, "vfio-pci", 1);
	f->host.pci.dev[3].sub_vendor = 0x1025;
	f->host.pci.dev[3].sub_device = 0x118b;
	f->host.memlock = 9ULL << 30;
	f->host.kvm = (struct host_file){ .path = xstrdup("/dev/kvm"), .state = ACC_OK };
	f->host.vfio = (struct host_file){ .path = xstrdup("/dev/vfio/vfio"), .state = ACC_OK };
	f->host.has_firmware = true;
	f->host.firmware.code = xstrdup("/usr/share/OVMF/OVMF_CODE_4M.fd");
	f->host.firmware.vars = xstrdup("/usr/share/OVMF/OVMF_VARS_4M.fd");
	f->vars_path = xstrdup("/home/alice/.local/share/qemu-vm/laptop/OVMF_VARS.fd");
	f->run_dir = xstrdup("/run/user/1000/qemu-vm/laptop");
	f->vfio_group[0] = (struct host_file){ .path = xstrdup("/dev/vfio/1"), .state = ACC_OK };
}

void free_facts(struct vm_facts *f)
{
	free(f->user);
	for (size_t i = 0; i < f->host.pci.n; i++)
		free(f->host.pci.dev[i].driver);
	free(f->host.pci.dev);
	free(f->host.kvm.path);
	free(f->host.vfio.path);
	free(f->host.firmware.code);
	free(f->host.firmware.vars);
	free(f->qemu_path);
	free(f->qemu_file);
	free(f->vars_path);
	free(f->run_dir);
	free(f->vfio_group[0].path);
	for (int i = 0; i < PROFILE_MAX_DEVICES; i++) {
		free(f->rom[i].path);
		free(f->acpi[i].path);
		free(f->fwcfg[i].path);
	}
}
