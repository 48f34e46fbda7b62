#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The lab's session inside L1, one part per boot, written as the owner of a machine with a spare
# GPU would type it:
#   boot 1  (root) vfio-setup scan; vfio-setup install; reboot
#   boot 2  (labuser) qemu-vm check, run (the GPU handed over, hugepages reserved, threads
#           pinned, sleep inhibited), stop (all given back); what check says when things are
#           wrong; (root) vfio-setup uninstall; reboot
#   boot 3  the devices are back on their own drivers
# Each step's verdict goes to the host as one file in out/steps/ (STATUS, seconds, name, reason);
# its commands and their output go to out/bootN/STEP.log, and to the console when it fails.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8
# Root's login environment, as sudo or a root shell has it; systemd starts this without $HOME.
export HOME=/root
boot=${1:?usage: session.sh BOOT}
lab=/lab
out=$lab/out
here=$lab/guest
logs=$out/boot$boot
rec=$out/boot1 # what boot 1 recorded before install
mkdir -p "$logs" "$out/steps"

user=labuser
home=/home/$user
profile=$home/.config/qemu-vm/lab.ini
# Where lab/run.sh puts the devices. The GPU stand-in: a VGA function and an HD Audio function,
# handed over at start (handover = on); edu on vfio-pci from boot, the ES1370 beside it held on
# no driver (skipped by the profile); the NIC stays with L1.
gpu=0000:01:00.0 gpu_audio=0000:01:00.1 edu=0000:02:00.0 nic=0000:03:00.0
held=0000:02:00.1
passed=("$edu")
all_devs=("$gpu" "$gpu_audio" "$edu" "$held" "$nic")
handover_unit=qemu-vm-handover@$gpu.service
pool=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
vm_log=$home/.local/state/qemu-vm/lab/qemu.log
nested_mem_kib=$(((256 + 1024) * 1024)) # the profile's memory + 1G, what --memlock auto gives

seq=0
why=""

# step NAME FUNCTION: runs it with its output in the step's log and reports the verdict.
step() {
	local name=$1 t0=${EPOCHREALTIME/./} st el
	why=""
	echo "lab: -- $name"
	if "$2" >"$logs/$name.log" 2>&1; then st=PASS; else st=FAIL; fi
	el=$(((${EPOCHREALTIME/./} - t0) / 1000))
	[ -n "$why" ] || why="(no reason given; see $name.log)"
	seq=$((seq + 1))
	printf '%s\t%d.%d\t%s\t%s\n' "$st" $((el / 1000)) $((el % 1000 / 100)) "$name" "$why" >"$out/.step"
	mv "$out/.step" "$(printf '%s/steps/%d%02d-%s' "$out" "$boot" "$seq" "$name")"
	echo "lab: $st $name: $why"
	if [ "$st" = FAIL ]; then
		echo "lab: last lines of $name.log:"
		tail -n 25 "$logs/$name.log" | sed 's/^/lab: | /'
	fi
	[ "$st" = PASS ]
}

fail() {
	why=$*
	echo "FAIL: $*"
	return 1
}

# Shows a command and runs it; its exit status is the command's.
run() {
	echo "# $*" >&2
	"$@"
}

# As labuser, through a login (PAM limits, groups), in a login shell.
as_user() {
	echo "$user\$ $*" >&2
	runuser -l "$user" -c "$*"
}

driver_of() {
	local d
	d=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) && basename "$d" || echo none
}

group_of() {
	basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"
}

kernel_initrd() {
	echo "/boot/initrd.img-$(uname -r)"
}

# What the next boot needs from this one: update-grub's grub.cfg and the initramfs.
hand_over_boot_files() {
	local d=$out/boot$boot.next-boot
	mkdir -p "$d"
	cp /boot/grub/grub.cfg "$d/grub.cfg" && cp "$(kernel_initrd)" "$d/initrd.img"
}

# Hashes of every file under /etc and of grub.cfg, and the list of directories under /etc.
snapshot() {
	find /etc /boot/grub/grub.cfg -xdev -type f -print0 2>/dev/null | LC_ALL=C sort -z |
		xargs -0 sha256sum >"$1.sha256"
	find /etc -xdev -type d | LC_ALL=C sort >"$1.dirs"
}

# A user's login session has a runtime directory: logind makes it at a login and removes it a
# little after the last one ends; made here too, for the steps that look into it from outside.
runtime_dir() {
	local uid
	uid=$(id -u "$user")
	install -d -m 0700 -o "$user" -g "$user" "/run/user/$uid"
}

# ---- boot 1 ----------------------------------------------------------------------------------

prepare() {
	# sudo make install, as the README says; then what a Debian install with GRUB has already:
	# a grub.cfg (GRUB's own postinst runs update-grub).
	run install -m 0755 "$lab/bin/qemu-vm" "$lab/bin/vfio-setup" /usr/local/bin/ &&
		run mkdir -p /usr/local/share/qemu-vm &&
		run cp -r "$lab/share/qemu-vm/." /usr/local/share/qemu-vm/ ||
		{ fail "could not copy the programs and templates from the share to /usr/local"; return 1; }
	run /usr/local/bin/qemu-vm --help >/dev/null ||
		{ fail "qemu-vm does not run in L1 (built against other libraries?)"; return 1; }
	run update-grub || { fail "update-grub failed before anything was installed"; return 1; }
	# labuser's own files: the profile, the SSDT compiled with iasl, the fw_cfg blob.
	install -d -o "$user" -g "$user" "$home/lab" "$home/.config" "$home/.config/qemu-vm"
	install -m 0644 -o "$user" -g "$user" "$here/lab.ini" "$here/ghost.ini" "$home/.config/qemu-vm/"
	install -m 0644 -o "$user" -g "$user" "$here/ssdt-lab.dsl" "$home/lab/"
	grep -q XDG_RUNTIME_DIR "$home/.profile" ||
		echo 'export XDG_RUNTIME_DIR=/run/user/$(id -u)' >>"$home/.profile"
	as_user "iasl -p ~/lab/ssdt-lab ~/lab/ssdt-lab.dsl && echo 'qemu-vm lab' >~/lab/fw_cfg-lab.txt" ||
		{ fail "iasl could not compile the lab's SSDT"; return 1; }
	# The devices' drivers before anything is installed, for boot 3.
	for d in "${all_devs[@]}"; do echo "$d $(driver_of "$d")"; done | tee "$logs/drivers.txt"
	lspci -nnk
	why="qemu-vm and vfio-setup in /usr/local, grub.cfg, labuser's profile, SSDT and fw_cfg file; drivers: $(cut -d' ' -f2 "$logs/drivers.txt" | paste -sd' ')"
}

scan() {
	local r
	run vfio-setup scan || { fail "vfio-setup scan failed"; return 1; }
	run vfio-setup scan --json >"$logs/scan.json" || { fail "vfio-setup scan --json failed"; return 1; }
	r=$(python3 "$here/labtool.py" scan-check "$logs/scan.json" "01:00.0,01:00.1" "02:00.0,02:00.1" "03:00.0")
	local st=$?
	echo "$r"
	why="vfio-setup scan: $r"
	[ $st -eq 0 ]
}

install_step() {
	local initrd_before f grubfile missing=()
	snapshot "$logs/pre-install"
	initrd_before=$(sha256sum <"$(kernel_initrd)")
	# The devices come from the profile: edu bound at boot (its ES1370 held on no driver), the
	# GPU handed over at start; edu opened through VFIO at boot, as a laptop's GPU would be.
	run vfio-setup install --user "$user" --profile "$profile" --open-at-boot 02:00.0 ||
		{ fail "vfio-setup install exited $?"; return 1; }
	run vfio-setup status
	snapshot "$logs/post-install"
	# Every file install touched: changed or created, with its hash before (or "absent").
	join -j 2 -a 1 -a 2 -e absent -o 0,1.1,2.1 \
		<(awk '{print $1, $2}' "$logs/pre-install.sha256" | sort -k 2) \
		<(awk '{print $1, $2}' "$logs/post-install.sha256" | sort -k 2) |
		awk '$2 != $3 { print $1, $2, $3 }' >"$logs/changed.txt"
	# groupadd and usermod keep the previous /etc/group as /etc/group- (and so on): theirs, not
	# vfio-setup's, and rewritten again by groupdel.
	grep -vE '^/etc/(group|gshadow|passwd|shadow)- |^/etc/\.pwd\.lock ' "$logs/changed.txt" >"$logs/touched.txt"
	comm -13 "$logs/pre-install.dirs" "$logs/post-install.dirs" >"$logs/created-dirs.txt"
	echo "== touched (path, hash before, hash after):"
	cat "$logs/touched.txt"
	echo "== directories created:"
	cat "$logs/created-dirs.txt"
	# With /etc/default/grub.d (Debian's grub2-common ships it) the words go to a drop-in there.
	grubfile=/etc/default/grub
	[ -d /etc/default/grub.d ] && grubfile=/etc/default/grub.d/99-qemu-vm.cfg
	for f in /etc/modprobe.d/qemu-vm-vfio.conf /etc/initramfs-tools/modules "$grubfile" \
		/etc/security/limits.d/95-qemu-vm-memlock.conf /etc/udev/rules.d/65-qemu-vm.rules \
		/boot/grub/grub.cfg /etc/group /etc/systemd/system/qemu-vm-handover@.service \
		/etc/polkit-1/rules.d/50-qemu-vm-handover.rules /etc/udev/rules.d/40-qemu-vm-hold.rules \
		/etc/tmpfiles.d/qemu-vm-hugepages.conf /etc/systemd/system/qemu-vm-open@.service; do
		grep -q "^$f " "$logs/touched.txt" || missing+=("$f")
	done
	[ ${#missing[@]} -eq 0 ] || { fail "install did not write ${missing[*]}"; return 1; }
	grep -q 'ids=.*1234:11e8' /etc/modprobe.d/qemu-vm-vfio.conf ||
		{ fail "modprobe.d does not give vfio-pci the ID of 02:00.0"; return 1; }
	# Handed over at start, held on no driver: none of them may be claimed at boot.
	grep -E '1234:1111|8086:2668|1274:5000|softdep (bochs|snd)' /etc/modprobe.d/qemu-vm-vfio.conf &&
		{ fail "modprobe.d claims 01:00.0, 01:00.1 or 02:00.1 at boot (ids= or softdep)"; return 1; }
	[ "$(sha256sum <"$(kernel_initrd)")" != "$initrd_before" ] ||
		{ fail "the initramfs was not regenerated"; return 1; }
	lsinitramfs "$(kernel_initrd)" >"$logs/initramfs.txt"
	grep -q 'etc/modprobe.d/qemu-vm-vfio.conf$' "$logs/initramfs.txt" &&
		grep -q '/vfio-pci.ko' "$logs/initramfs.txt" ||
		{ fail "the new initramfs lacks vfio-pci.ko or qemu-vm-vfio.conf"; return 1; }
	grep -E '^\s*linux\s' /boot/grub/grub.cfg | head -n 1
	grep -E '^\s*linux\s' /boot/grub/grub.cfg | head -n 1 | grep -qw 'iommu=pt' ||
		{ fail "update-grub's grub.cfg has no iommu=pt"; return 1; }
	id "$user" | grep -q '(qemu-vm)' || { fail "$user is not in group qemu-vm"; return 1; }
	hand_over_boot_files || { fail "could not hand grub.cfg and the initramfs to the host"; return 1; }
	why="$(wc -l <"$logs/touched.txt") files touched (hashes in boot1/touched.txt) with the handover unit, polkit rule, hold rule, hugepages tmpfiles line, open unit; ids= has edu's 1234:11e8 only; initramfs regenerated with vfio-pci and its modprobe.d, grub.cfg has iommu=pt"
}

# ---- boot 2 ----------------------------------------------------------------------------------

bound_at_boot() {
	local d drv mod bad=() races=() initrd_mods softdeps claimed root_mounted
	run cat /proc/cmdline
	grep -qw 'iommu=pt' /proc/cmdline || { fail "booted without iommu=pt: not grub.cfg's entry"; return 1; }
	run udevadm settle --timeout=60
	for d in "${all_devs[@]}"; do
		echo "$d $(driver_of "$d") override=$(cat "/sys/bus/pci/devices/$d/driver_override")"
	done
	dmesg >"$logs/dmesg.txt"
	grep -E 'vfio|bochs|drm|snd_hda|EXT4-fs \(vda\)|Run /init' "$logs/dmesg.txt"
	run cat /etc/modprobe.d/qemu-vm-vfio.conf
	# Which host drivers could still win: a module that udev loads for a passed device from the
	# initramfs, before load_modules gets to vfio-pci, unless a softdep loads vfio-pci first.
	initrd_mods=$(lsinitramfs "$(kernel_initrd)" | sed -n 's|.*/\([^/]*\)\.ko\(\.[a-z]*\)\{0,1\}$|\1|p' | tr - _)
	softdeps=$(sed -n 's/^softdep \([^ ]*\) pre:.*vfio[-_]pci.*/\1/p' /etc/modprobe.d/*.conf | tr - _)
	for d in "${passed[@]}"; do
		for mod in $(modprobe -R "$(cat "/sys/bus/pci/devices/$d/modalias")" 2>/dev/null | tr - _); do
			echo "${d#0000:}: its modalias loads $mod; in the initramfs: $(grep -qx "$mod" <<<"$initrd_mods" && echo yes || echo no); softdep: $(grep -qx "$mod" <<<"$softdeps" && echo yes || echo no)"
			grep -qx "$mod" <<<"$initrd_mods" && ! grep -qx "$mod" <<<"$softdeps" && races+=("$mod (${d#0000:})")
		done
		drv=$(driver_of "$d")
		[ "$(cat "/sys/bus/pci/devices/$d/driver_override")" = "(null)" ] || bad+=("${d#0000:} has a driver_override")
		if [ "$drv" != vfio-pci ]; then
			bad+=("${d#0000:} came up on $drv")
			# What its owner would do by hand, so that the steps after this one test something.
			set_driver "$d" vfio-pci >&2 || bad+=("and could not be moved to vfio-pci by hand")
		fi
	done
	[ "$(driver_of "$nic")" = e1000e ] || bad+=("${nic#0000:} is on $(driver_of "$nic"), not e1000e")
	# handover = on: the card serves the host until the VM starts.
	[ "$(driver_of "$gpu")" = bochs-drm ] || bad+=("${gpu#0000:} is on $(driver_of "$gpu"), not bochs-drm")
	[ "$(driver_of "$gpu_audio")" = snd_hda_intel ] ||
		bad+=("${gpu_audio#0000:} is on $(driver_of "$gpu_audio"), not snd_hda_intel")
	if [ ${#bad[@]} -ne 0 ] || [ ${#races[@]} -ne 0 ]; then
		why=""
		[ ${#bad[@]} -eq 0 ] || why="${bad[*]} (edu moved to vfio-pci by hand for the steps that follow); "
		[ ${#races[@]} -eq 0 ] || why+="the initramfs has ${races[*]} and modprobe.d no 'softdep MODULE pre: vfio-pci' for it: udev loads it before vfio-pci, which gets the device only when it wins that race (vfio-setup writes softdeps only for NVIDIA/AMD GPU drivers and snd_hda_intel)"
		fail "${why%; }"
		return 1
	fi
	claimed=$(grep -n 'vfio_pci: add \[1234:11e8' "$logs/dmesg.txt" | head -n 1 | cut -d: -f1)
	root_mounted=$(grep -n 'EXT4-fs (vda): mounted' "$logs/dmesg.txt" | head -n 1 | cut -d: -f1)
	[ -n "$claimed" ] || { fail "the kernel log never shows vfio-pci taking 1234:11e8"; return 1; }
	if [ -n "$root_mounted" ] && [ "$claimed" -lt "$root_mounted" ]; then
		why="02:00.0 on vfio-pci, no driver_override: vfio-pci took its ids= in the initramfs, before the root fs; no host driver there can race it; 01:00.0/01:00.1 (handover) on bochs-drm/snd_hda_intel; e1000e kept; cmdline from grub.cfg has iommu=pt"
	else
		why="02:00.0 on vfio-pci from modprobe.d (after the root fs was mounted, not in the initramfs); 01:00.0/01:00.1 (handover) on bochs-drm/snd_hda_intel; e1000e kept; cmdline has iommu=pt"
	fi
}

held_at_boot() {
	local drv ov
	drv=$(driver_of "$held")
	ov=$(cat "/sys/bus/pci/devices/$held/driver_override")
	run cat /etc/udev/rules.d/40-qemu-vm-hold.rules
	echo "${held#0000:}: driver $drv, driver_override $ov"
	lsmod | grep -E '^snd_ens1370 ' || echo "snd_ens1370 not loaded"
	[ "$drv" = none ] || { fail "${held#0000:} came up on $drv"; return 1; }
	[ "$ov" = none ] || { fail "${held#0000:} has driver_override '$ov', not none"; return 1; }
	why="${held#0000:} (ES1370, skipped) on no driver from boot, driver_override none (40-qemu-vm-hold.rules), not in ids=$(lsmod | grep -q '^snd_ens1370 ' && echo '; snd_ens1370 is loaded and did not take it')"
}

open_at_boot() {
	local unit=qemu-vm-open@$edu.service line res
	run systemctl cat "$unit"
	run systemctl status --no-pager "$unit"
	journalctl -b --no-pager -u "$unit" >"$logs/open-journal.txt" 2>&1
	cat "$logs/open-journal.txt"
	line=$(grep -m1 "opened $edu through VFIO" "$logs/open-journal.txt")
	res=$(systemctl show -p Result --value "$unit")
	[ -n "$line" ] || { fail "no 'opened $edu through VFIO' in the journal of $unit"; return 1; }
	[ "$res" = success ] || { fail "$unit: Result=$res"; return 1; }
	[ "$(driver_of "$edu")" = vfio-pci ] || { fail "${edu#0000:} is on $(driver_of "$edu") after the open unit"; return 1; }
	why="$unit ran at boot, result $res; journal: ${line#*: }; ${edu#0000:} on vfio-pci"
}

vfio_nodes() {
	local g n got bad=()
	for g in $(for d in "${passed[@]}"; do group_of "$d"; done | sort -un); do
		n=/dev/vfio/$g
		got=$(stat -c '%G %a %F' "$n" 2>&1)
		echo "$n: $got"
		[ "$got" = "qemu-vm 660 character special file" ] || bad+=("$n:$got")
	done
	run ls -l /dev/vfio
	[ ${#bad[@]} -eq 0 ] || { fail "not group qemu-vm 0660: ${bad[*]}"; return 1; }
	why="$(for d in "${passed[@]}"; do group_of "$d"; done | sort -un | sed 's|^|/dev/vfio/|' | paste -sd' ') are group qemu-vm, mode 0660 (udev rule)"
}

memlock() {
	local got
	run cat /etc/security/limits.d/95-qemu-vm-memlock.conf
	got=$(as_user 'ulimit -l; id')
	echo "$got"
	got=$(head -n 1 <<<"$got")
	[ "$got" = "$nested_mem_kib" ] ||
		{ fail "runuser -l $user: memlock $got KiB, expected $nested_mem_kib (profile memory + 1G)"; return 1; }
	why="runuser -l $user gets memlock $got KiB from limits.d (256M guest + 1G)"
}

check() {
	local o st handed huge
	runtime_dir
	o=$(as_user qemu-vm check lab)
	st=$?
	echo "$o"
	[ $st -eq 0 ] || { fail "qemu-vm check lab exited $st: $(grep -m1 FAIL <<<"$o")"; return 1; }
	handed=$(grep -m1 '01:00.0 .*on bochs-drm now: handed to vfio-pci at start, back after' <<<"$o") ||
		{ fail "check does not say 01:00.0 is handed over at start"; return 1; }
	huge=$(grep -m1 'hugepages: 128 × 2M needed, [0-9]* free: reserved at start' <<<"$o") ||
		{ fail "check does not say the 128 × 2M pages are reserved at start"; return 1; }
	[ "$(stat -c '%G %a' $pool)" = "qemu-vm 664" ] ||
		{ fail "$pool is $(stat -c '%U:%G %a' $pool), not group qemu-vm 0664 (tmpfiles.d)"; return 1; }
	why="qemu-vm check lab: $(grep -c '^ok' <<<"$o") ok, $(grep -c '^warn' <<<"$o") warnings, including '$(sed 's/^ok *//' <<<"$handed")' and '$(sed 's/^ok *//' <<<"$huge")' ($pool qemu-vm 0664); $(tail -n 1 <<<"$o")"
}

# The drivers of the handed-over pair, "bochs-drm snd_hda_intel" while the host has them.
handed_drivers() {
	echo "$(driver_of "$gpu") $(driver_of "$gpu_audio")"
}

# vfio-setup bind, run by the unit at start, while the host still uses the card: a process with
# /dev/dri/card0 open and the framebuffer console on its fb0. It must name both and move
# nothing; then the owner does what it says, as root, once.
bind_refused() {
	local holder o st vt fbcon="" c
	run ls -l "/sys/bus/pci/devices/$gpu/drm" "/sys/bus/pci/devices/$gpu/graphics"
	grep . /sys/class/vtconsole/vtcon*/name /sys/class/vtconsole/vtcon*/bind
	# The framebuffer console, when the kernel put one on bochs-drm's fb0.
	for c in /sys/class/vtconsole/vtcon*; do
		grep -q 'frame buffer' "$c/name" && [ "$(cat "$c/bind")" = 1 ] &&
			[ -e "/sys/bus/pci/devices/$gpu/graphics/fb0" ] && fbcon=${c##*/}
	done
	sleep 600 </dev/dri/card0 &
	holder=$!
	o=$(vfio-setup bind "$gpu" 2>&1)
	st=$?
	echo "# vfio-setup bind $gpu (exit $st)"
	echo "$o"
	kill "$holder"
	wait "$holder" 2>/dev/null
	if [ $st -eq 0 ]; then
		run vfio-setup unbind "$gpu"
		fail "vfio-setup bind exited 0 while $holder held /dev/dri/card0"
		return 1
	fi
	grep -q "process $holder (sleep) has /dev/dri/card0 open" <<<"$o" ||
		{ fail "the refusal does not name $holder (sleep) holding /dev/dri/card0"; return 1; }
	vt=$(sed -n 's/^  fix: echo 0 | sudo tee \/sys\/class\/vtconsole\/\(vtcon[0-9]*\)\/bind$/\1/p' <<<"$o")
	[ "$vt" = "$fbcon" ] ||
		{ fail "the refusal names the console '${vt:-none}' to unbind; bound to fb0: '${fbcon:-none}'"; return 1; }
	[ "$(handed_drivers)" = "bochs-drm snd_hda_intel" ] ||
		{ fail "the refused bind moved the card: $(handed_drivers)"; return 1; }
	[ ! -e "/run/vfio-setup/handover/$gpu" ] || { fail "the refused bind left a state file"; return 1; }
	# What the refusal says to do, so that the run can have the card.
	if [ -n "$vt" ]; then
		run sh -c "echo 0 >/sys/class/vtconsole/$vt/bind" || { fail "could not unbind $vt"; return 1; }
	fi
	why="refused, naming '$(grep -m1 'process ' <<<"$o" | sed 's/^ *//')'${vt:+ and the framebuffer console $vt}; drivers unchanged, no state${vt:+; $vt unbound as its fix says}"
}

qemu_pid() {
	pgrep -u "$user" -x 'qemu-vm:lab'
}

inhibitors() {
	systemd-inhibit --list --no-pager
}

# While the nested VM runs: the handed-over pair on vfio-pci through the unit, the pool grown by
# the VM's 128 pages, each vCPU thread on its CPU of pin = 0,1, the logind inhibitor listed.
while_running() {
	local sock=$1 o bad=()
	run loginctl list-sessions --no-pager
	run loginctl show-session --no-pager -p Seat -p VTNr -p Remote -p Type -p Class -p State \
		"$(loginctl list-sessions --no-legend | awk -v u="$user" '$3 == u && $4 == "seat0" { print $1; exit }')"
	o=$(python3 "$here/labtool.py" qmp-vcpus "$sock" 180 0,1) || bad+=("nested vCPU threads: $o")
	echo "$o"
	pins=$o
	run systemctl status --no-pager "$handover_unit"
	[ "$(handed_drivers)" = "vfio-pci vfio-pci" ] || bad+=("01:00.0/01:00.1 on $(handed_drivers) while the VM runs")
	[ "$(systemctl show -p ActiveState --value "$handover_unit")" = active ] || bad+=("$handover_unit is not active")
	[ "$(cat $pool)" = 128 ] || bad+=("nr_hugepages is $(cat $pool) while the VM runs, not 128")
	inhibitors | tee "$logs/inhibitors-running.txt"
	grep -q 'VM lab is running' "$logs/inhibitors-running.txt" ||
		bad+=("systemd-inhibit --list has no 'VM lab is running'")
	[ ${#bad[@]} -eq 0 ] || { fail "${bad[*]}"; return 1; }
}

run_vm() {
	local rt sock pid o st sub_ids edu_sub runner r=0 pins=""
	runtime_dir
	rt=/run/user/$(id -u "$user")
	sock=$rt/qemu-vm/lab/qmp.sock
	as_user qemu-vm show lab >"$logs/show.txt" 2>&1
	cat "$logs/show.txt"
	# Started from a desktop session: a display manager's login is on a seat, and logind lets a
	# seat's sessions take sleep inhibitors (polkit's allow_inactive); a seatless login, as over
	# ssh, gets "Permission denied" and the supervisor goes on without one. pam_systemd takes the
	# seat from the environment runuser opens the session with, as from a display manager's.
	echo "$user\$ exec qemu-vm run lab  (a login on seat0, vt7)" >&2
	XDG_SEAT=seat0 XDG_VTNR=7 runuser -l "$user" -c "exec qemu-vm run lab" >"$logs/run-stderr.txt" 2>&1 &
	runner=$!
	# Before QEMU starts, the supervisor has the unit bind the card and grows the pool.
	for _ in $(seq 360); do
		[ -S "$sock" ] || ! kill -0 "$runner" 2>/dev/null && break
		sleep 0.5
	done
	if [ -S "$sock" ] && kill -0 "$runner" 2>/dev/null; then
		o=$(python3 "$here/labtool.py" qmp-pci "$sock" 180 "$logs/query-pci.json")
		st=$?
	else
		o="qemu-vm run ended, or no QMP socket after 180 s"
		st=1
	fi
	echo "$o"
	pid=$(qemu_pid)
	echo "QEMU pid: ${pid:-none}"
	if [ -n "$pid" ]; then
		tr '\0' '\n' <"/proc/$pid/cmdline" >"$logs/argv.txt"
		grep -q -- '-sandbox' "$logs/argv.txt" || r=1
	fi
	if [ $st -ne 0 ]; then
		fail "nested QEMU: $o; its stderr: $(tail -n 2 "$logs/run-stderr.txt" | paste -sd' ')"
		r=1
	fi
	# The host's subsystem IDs, as the nested guest must see them.
	sub_ids=$(printf '%04x:%04x' "$(cat /sys/bus/pci/devices/$gpu/subsystem_vendor)" "$(cat /sys/bus/pci/devices/$gpu/subsystem_device)")
	# edu's profile sets sub-ids = 1025:118b: unlike the GPU's copied IDs, which equal what the
	# device reports anyway, the nested guest sees these only when QEMU's override works.
	edu_sub=1025:118b
	[ "$edu_sub" != "$(printf '%04x:%04x' "$(cat /sys/bus/pci/devices/$edu/subsystem_vendor)" "$(cat /sys/bus/pci/devices/$edu/subsystem_device)")" ] ||
		{ fail "edu's own subsystem IDs are $edu_sub: the override test proves nothing"; r=1; }
	if [ $r -eq 0 ]; then
		grep -E 'vfio-pci|pcie-root-port|acpitable|fw_cfg|ivshmem' "$logs/argv.txt"
		if ! grep -q "vfio-pci,host=0000:01:00.0,.*x-pci-sub-vendor-id=0x${sub_ids%:*},x-pci-sub-device-id=0x${sub_ids#*:}" "$logs/argv.txt"; then
			fail "QEMU's argv has no x-pci-sub-*-id=$sub_ids for 01:00.0 (sub-ids = auto)"
			r=1
		elif ! grep -q "vfio-pci,host=0000:02:00.0,.*x-pci-sub-vendor-id=0x${edu_sub%:*},x-pci-sub-device-id=0x${edu_sub#*:}" "$logs/argv.txt"; then
			fail "QEMU's argv has no x-pci-sub-*-id=$edu_sub for 02:00.0 (sub-ids = $edu_sub)"
			r=1
		elif grep -q 'host=0000:01:00.1' "$logs/argv.txt"; then
			fail "01:00.1 was passed although skip-functions = 1"
			r=1
		elif ! grep -q 'pcie-root-port,id=rp.gpu,bus=pcie.0,addr=01.0' "$logs/argv.txt" ||
			! grep -q '^file=.*ssdt-lab.aml' "$logs/argv.txt" ||
			! grep -q '^name=opt/org.qemu-vm/lab,file=' "$logs/argv.txt"; then
			fail "QEMU's argv lacks the mirrored root port, the SSDT or the fw_cfg file"
			r=1
		fi
	fi
	if [ $r -eq 0 ]; then
		# 01:00.0 behind the mirrored root port, the skipped 01:00.1 absent, edu on the next
		# root port, ivshmem (Looking Glass) on the root bus.
		o=$(python3 "$here/labtool.py" pci-expect "$logs/query-pci.json" \
			"01:00.0=1234:1111/$sub_ids" "01:00.1=absent" "02:00.0=1234:11e8/$edu_sub")
		st=$?
		echo "$o"
		python3 -c 'import json,sys
def walk(b):
  for d in b["devices"]:
    i=d["id"]; print("%02x:%02x.%x %04x:%04x sub %04x:%04x %s" % (d["bus"],d["slot"],d["function"],i["vendor"],i["device"],i.get("subsystem-vendor",0),i.get("subsystem",0),d.get("qdev_id","")))
    if d.get("pci_bridge") and "devices" in d["pci_bridge"]: walk(d["pci_bridge"])
for b in json.load(open(sys.argv[1])): walk(b)' "$logs/query-pci.json" | tee "$logs/query-pci.txt"
		grep -q ' 1af4:1110 ' "$logs/query-pci.txt" || { o="$o; no ivshmem (1af4:1110)"; st=1; }
		[ $st -eq 0 ] || { fail "query-pci: $o"; r=1; }
	fi
	if [ $r -eq 0 ] && [ -n "$pid" ]; then
		while_running "$sock" || r=1
	fi
	# Stop: qemu-vm stop presses the ACPI button; SeaBIOS without an OS ignores it, so --force
	# quits QEMU after the timeout.
	if [ -n "$pid" ]; then
		as_user qemu-vm stop --force --timeout 10 lab
		st=$?
		for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid"
			sleep 2
			[ $r -eq 0 ] && fail "qemu-vm stop --force exited $st and QEMU $pid still ran (SIGTERM sent)"
			r=1
		elif [ $st -ne 0 ] && [ $r -eq 0 ]; then
			fail "qemu-vm stop --force lab exited $st"
			r=1
		fi
	fi
	# The supervisor gives the card and the pages back after QEMU, then exits.
	for _ in $(seq 120); do kill -0 "$runner" 2>/dev/null || break; sleep 1; done
	if kill -0 "$runner" 2>/dev/null; then
		kill -TERM "$runner"
		[ $r -eq 0 ] && fail "qemu-vm run lab still ran 120 s after QEMU ended (SIGTERM sent)"
		r=1
	fi
	wait
	echo "== qemu-vm run's stderr:"
	cat "$logs/run-stderr.txt"
	[ $r -eq 0 ] || return 1
	why="nested QEMU up (pid $pid) under the supervisor; query-pci: $(sed 's/, / · /g' <<<"$o"), ivshmem present; argv has sub-ids $sub_ids (auto) and $edu_sub, the SSDT, the fw_cfg file; while it ran: 01:00.0/01:00.1 on vfio-pci through $handover_unit, nr_hugepages 128, inhibitor '$(grep -m1 'VM lab is running' "$logs/inhibitors-running.txt" | tr -s ' ')', $pins; qemu-vm stop --force ended it"
}

# After the run: the card back on its host drivers (the unit stopped), the pool back to 0, the
# inhibitor gone, and the run's log saying each of these.
given_back() {
	local bad=() l
	run systemctl status --no-pager "$handover_unit"
	journalctl -b --no-pager -u "$handover_unit" | tail -n 20
	cat "$vm_log" >"$logs/qemu.log"
	grep -E 'handover|hugepages|pinned|inhibitor|exit' "$vm_log"
	[ "$(handed_drivers)" = "bochs-drm snd_hda_intel" ] || bad+=("01:00.0/01:00.1 on $(handed_drivers) after the run")
	[ "$(systemctl show -p ActiveState --value "$handover_unit")" = inactive ] || bad+=("$handover_unit still $(systemctl show -p ActiveState --value "$handover_unit")")
	[ "$(cat $pool)" = 0 ] || bad+=("nr_hugepages is $(cat $pool) after the run, not 0 as at boot")
	inhibitors | tee "$logs/inhibitors-after.txt"
	grep -q 'VM lab is running' "$logs/inhibitors-after.txt" && bad+=("the inhibitor is still listed")
	for l in "$handover_unit started: \[pci gpu\] is on vfio-pci" "pinned vCPU 0 (thread [0-9]*) to CPU 0" \
		"pinned vCPU 1 (thread [0-9]*) to CPU 1" "holding a logind inhibitor (sleep:idle, block)" \
		"hugepages: added 128 2048kB pages to the pool" \
		"hugepages: gave back the 128 2048kB pages lab added (pool 0)" \
		"$handover_unit stopped: the device is back on its host driver"; do
		grep -q "$l" "$vm_log" || bad+=("no '$l' in the run's log")
	done
	[ ${#bad[@]} -eq 0 ] || { fail "${bad[*]}"; return 1; }
	why="01:00.0/01:00.1 back on bochs-drm/snd_hda_intel ($handover_unit stopped), nr_hugepages 0, no inhibitor listed; the log has the unit started and stopped, 128 pages added and given back, vCPU 0→CPU 0, vCPU 1→CPU 1"
}

# expect_check WHAT PATTERN FIX-PATTERN [runuser options] [command]: qemu-vm check must fail
# with a FAIL line matching PATTERN and a fix matching FIX-PATTERN, and run must refuse.
expect_check() {
	local what=$1 pat=$2 fixpat=$3 prefix=${4:-} name=${5:-lab} o st line fix
	runtime_dir
	o=$(runuser -l "$user" $prefix -c "${6:-}qemu-vm check $name" 2>&1)
	st=$?
	echo "$user\$ ${6:-}qemu-vm check $name  (runuser $prefix)"
	echo "$o"
	line=$(grep -m1 -E "^FAIL .*$pat" <<<"$o")
	fix=$(grep -A1 -m1 -E "^FAIL .*$pat" <<<"$o" | sed -n '2s/^ *fix: //p')
	[ $st -ne 0 ] || { fail "$what: qemu-vm check exited 0"; return 1; }
	[ -n "$line" ] || { fail "$what: no FAIL line matching '$pat'"; return 1; }
	[ -n "$fix" ] && grep -qE "$fixpat" <<<"$fix" || { fail "$what: the fix '$fix' does not match '$fixpat'"; return 1; }
	o=$(runuser -l "$user" $prefix -c "${6:-}qemu-vm run $name" 2>&1)
	st=$?
	echo "$user\$ ${6:-}qemu-vm run $name"
	echo "$o"
	[ $st -ne 0 ] && ! qemu_pid >/dev/null || { fail "$what: qemu-vm run did not refuse"; return 1; }
	# A refused run takes nothing of the host.
	[ "$(handed_drivers)" = "bochs-drm snd_hda_intel" ] && [ "$(cat $pool)" = 0 ] ||
		{ fail "$what: after the refused run, 01:00.0/01:00.1 on $(handed_drivers), nr_hugepages $(cat $pool)"; return 1; }
	why="$(sed 's/^FAIL *//' <<<"$line") — fix: $fix; run refuses, taking neither the card nor pages"
}

fail_memlock() {
	expect_check "memlock 64K" 'memlock: limit 64K is below' "vfio-setup install --user $user --memlock" \
		"" lab "ulimit -S -l 64; "
}

fail_vfio_access() {
	# A login from before install added labuser to qemu-vm: the same user without the group.
	expect_check "no group qemu-vm" '/dev/vfio/[0-9]+: Permission denied' \
		"vfio-setup install --user $user.*log in again" "-g $user"
}

set_driver() { # DEVICE DRIVER: moves a device to DRIVER with driver_override, as an admin would
	local d=$1 drv=$2 cur
	cur=$(driver_of "$d")
	[ "$cur" = none ] || run sh -c "echo $d >/sys/bus/pci/devices/$d/driver/unbind"
	run sh -c "echo $drv >/sys/bus/pci/devices/$d/driver_override" &&
		run sh -c "echo $d >/sys/bus/pci/drivers_probe"
	run sh -c "echo >/sys/bus/pci/devices/$d/driver_override"
	[ "$(driver_of "$d")" = "$drv" ]
}

# The skipped ES1370 beside edu taken by its host driver, as a modprobe by hand would: check must
# refuse the shared group; held on no driver again, check is clean.
fail_held_driver() {
	local r=0 saved o
	run modprobe snd_ens1370
	set_driver "$held" snd_ens1370 || { fail "could not bind 02:00.1 to snd_ens1370"; return 1; }
	expect_check "ES1370 on snd_ens1370" '02:00.1 \(1274:5000, snd_ens1370\) is bound to its host driver' \
		"vfio-setup install" || r=1
	saved=$why
	run sh -c "echo none >/sys/bus/pci/devices/$held/driver_override" &&
		run sh -c "echo $held >/sys/bus/pci/drivers/snd_ens1370/unbind"
	[ "$(driver_of "$held")" = none ] || { fail "could not take 02:00.1 off snd_ens1370 again"; return 1; }
	o=$(as_user qemu-vm check lab) || { echo "$o"; fail "check still fails with 02:00.1 on no driver"; return 1; }
	why="$saved; held on no driver again, check is clean"
	return $r
}

fail_no_device() {
	expect_check "no such device" 'no PCI device 07:00.0 on this host' 'qemu-vm devices' "" ghost
}

uninstall_step() {
	local path before after now bad=() gone=() created=0 d
	run vfio-setup uninstall || { fail "vfio-setup uninstall exited $?"; return 1; }
	while read -r path before after; do
		if [ "$before" = absent ]; then
			created=$((created + 1))
			[ ! -e "$path" ] || gone+=("$path")
		else
			now=$(sha256sum "$path" 2>/dev/null | cut -d' ' -f1)
			echo "$path before $before now ${now:-absent}"
			[ "$now" = "$before" ] || bad+=("$path")
		fi
	done <"$rec/touched.txt"
	while read -r d; do [ ! -e "$d" ] || gone+=("$d/"); done <"$rec/created-dirs.txt"
	[ ! -e /var/lib/vfio-setup ] || gone+=(/var/lib/vfio-setup)
	getent group qemu-vm && gone+=("group qemu-vm")
	snapshot "$logs/post-uninstall"
	echo "== /etc and grub.cfg: before install vs after uninstall"
	diff "$rec/pre-install.sha256" "$logs/post-uninstall.sha256"
	lsinitramfs "$(kernel_initrd)" | grep -E 'qemu-vm|vfio' && bad+=("initramfs still has vfio")
	[ ${#bad[@]} -eq 0 ] || { fail "not restored byte for byte: ${bad[*]}"; return 1; }
	[ ${#gone[@]} -eq 0 ] || { fail "left behind: ${gone[*]}"; return 1; }
	hand_over_boot_files || { fail "could not hand grub.cfg and the initramfs to the host"; return 1; }
	why="$(($(wc -l <"$rec/touched.txt") - created)) edited files byte-identical to boot 1's hashes, $created created files and $(wc -l <"$rec/created-dirs.txt") directories gone, group removed, initramfs without vfio"
}

# ---- boot 3 ----------------------------------------------------------------------------------

host_drivers() {
	local d want got bad=()
	run cat /proc/cmdline
	grep -qw 'iommu=pt' /proc/cmdline && bad+=("cmdline still has iommu=pt")
	run udevadm settle --timeout=60
	while read -r d want; do
		got=$(driver_of "$d")
		echo "$d: boot 1 $want, now $got"
		[ "$got" = "$want" ] || bad+=("$d:$got (was $want)")
	done <"$rec/drivers.txt"
	run ls /dev/vfio
	ls /dev/vfio 2>/dev/null | grep -q '^[0-9]' && bad+=("/dev/vfio still has groups")
	[ ${#bad[@]} -eq 0 ] || { fail "${bad[*]}"; return 1; }
	why="as in boot 1: $(while read -r d want; do echo "${d#0000:} $want"; done <"$rec/drivers.txt" | paste -sd, | sed 's/,/, /g'); no iommu=pt, no /dev/vfio groups"
}

# ---- the session -------------------------------------------------------------------------------

echo "lab: boot $boot, kernel $(uname -r), $(grep -m1 vendor_id /proc/cpuinfo)"
case $boot in
1)
	step prepare prepare && step scan scan && step install install_step &&
		echo reboot >"$out/boot1.next"
	;;
2)
	step bound-at-boot bound_at_boot
	step held-at-boot held_at_boot
	step open-at-boot open_at_boot
	step vfio-nodes vfio_nodes
	step memlock memlock
	step check check
	step bind-refused bind_refused
	step run run_vm
	step given-back given_back
	step fail-memlock fail_memlock
	step fail-vfio-access fail_vfio_access
	step fail-held-driver fail_held_driver
	step fail-no-device fail_no_device
	step uninstall uninstall_step && echo reboot >"$out/boot2.next"
	;;
3)
	step host-drivers host_drivers
	;;
esac
exit 0
