/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A one-device SSDT for the lab's nested guest: proves the profile's [acpi] table reaches QEMU. */
DefinitionBlock ("", "SSDT", 2, "QEMUVM", "LAB", 0x00000001)
{
    Scope (\_SB)
    {
        Device (LAB0)
        {
            Name (_HID, "QVML0001")
            Name (_STA, 0x0F)
        }
    }
}
