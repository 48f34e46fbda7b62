/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test SSDT for the Optimus profile: a fake battery and a _ROM stub for the GPU behind 00:01.0. */
DefinitionBlock ("", "SSDT", 2, "QEMUVM", "OPTIMUS", 0x00000001)
{
	External (\_SB_.PCI0, DeviceObj)

	/* The NVIDIA laptop driver refuses to load without a battery: give it one that is
	 * always full and on AC. */
	Device (\_SB.BAT0)
	{
		Name (_HID, EisaId ("PNP0C0A"))
		Name (_UID, One)

		Method (_STA, 0, NotSerialized)
		{
			Return (0x1F) /* present, enabled, shown, functioning, battery present */
		}

		Method (_BIF, 0, NotSerialized)
		{
			Return (Package (0x0D)
			{
				One,        /* power unit: mA, mAh */
				0x1770,     /* design capacity: 6000 */
				0x1770,     /* last full charge capacity */
				One,        /* rechargeable */
				0x2B5C,     /* design voltage: 11100 mV */
				0x0258,     /* warning capacity */
				0x012C,     /* low capacity */
				0x3C,       /* granularity 1 */
				0x3C,       /* granularity 2 */
				"QVM-BAT",  /* model */
				"0001",     /* serial */
				"LION",     /* type */
				"qemu-vm"   /* OEM */
			})
		}

		Method (_BST, 0, NotSerialized)
		{
			Return (Package (0x04)
			{
				Zero,       /* neither charging nor discharging */
				Zero,       /* present rate */
				0x1770,     /* remaining capacity: full */
				0x2B5C      /* present voltage */
			})
		}
	}

	/* The GPU at guest 01:00.0 behind the root port at 00:01.0, as on the host. The driver
	 * asks _ROM for the VBIOS in pieces of at most 4K; this stub answers with zeros. A real
	 * table reads opt/com.lion328/nvidia-rom from fw_cfg (I/O ports 0x510/0x511) instead. */
	Scope (\_SB.PCI0)
	{
		Device (RP01)
		{
			Name (_ADR, 0x00010000)

			Device (GFX0)
			{
				Name (_ADR, Zero)

				Method (_ROM, 2, NotSerialized)
				{
					Local0 = Arg1
					If ((Local0 > 0x1000))
					{
						Local0 = 0x1000
					}

					Local1 = Buffer (Local0) {}
					Return (Local1)
				}
			}
		}
	}
}
