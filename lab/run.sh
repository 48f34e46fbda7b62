#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make lab: boots a Debian guest (L1) under QEMU with a virtual IOMMU and GPU-like devices, and
# runs vfio-setup and qemu-vm inside it, three boots in a row, as a user would on real hardware.
# Prints one line per step (PASS, FAIL or SKIP, its time, the reason) and closes with
# "lab: N passed, N failed, N skipped"; exits 1 on any FAIL. Everything lands in build/lab/.
#
# LAB_ACCEL=kvm      -accel kvm -cpu host, for hosts with a KVM that runs guests normally
#                    (default: TCG, -cpu max: nested KVMs abort on -cpu host and hang in the
#                    kernel's decompressor with other models)
# LAB_MIRROR=URL     the Debian mirror for the image (default: the one in the apt sources)
# LAB_STRICT=1       a skipped lab counts as a failure
# LAB_TIME_SCALE=N   multiply every timeout by N (slow machines)
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
L=$B/lab
accel=${LAB_ACCEL:-tcg}
scale=${LAB_TIME_SCALE:-1}
suite=bookworm

# Steps in the order they run; the session inside L1 reports those of its boot.
host_steps=(image)
boot_steps=(
	""
	"prepare scan install"
	"bound-at-boot held-at-boot open-at-boot vfio-nodes memlock check bind-refused run given-back fail-memlock fail-vfio-access fail-held-driver fail-no-device uninstall"
	"host-drivers"
)

pass=0 fail=0 skip=0
declare -A done_step=()
t_run=${EPOCHREALTIME/./}

ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

record() { # STATUS NAME SECONDS REASON
	case $1 in
	PASS) pass=$((pass + 1)) ;;
	FAIL) fail=$((fail + 1)) ;;
	*) skip=$((skip + 1)) ;;
	esac
	done_step[$2]=1
	printf '%-4s  %-18s %7ss  %s\n' "$1" "$2" "$3" "$4"
}

# Every step not reported yet is skipped for REASON.
skip_rest() {
	local s
	for s in "${host_steps[@]}" boot-1 ${boot_steps[1]} boot-2 ${boot_steps[2]} boot-3 ${boot_steps[3]}; do
		[ -n "${done_step[$s]:-}" ] || record SKIP "$s" 0.0 "$1"
	done
}

finish() {
	local total=$(((${EPOCHREALTIME/./} - t_run) / 1000))
	if [ -e "$L/console-boot1.log" ]; then
		echo "lab: total $(secs "$total") s; L1's console in $L/console-boot*.log, its results in $L/out/"
	else
		echo "lab: total $(secs "$total") s"
	fi
	if [ "${LAB_STRICT:-0}" = 1 ] && [ "$skip" -gt 0 ] && [ "$fail" -eq 0 ]; then
		echo "lab: LAB_STRICT=1: skipped steps count as a failure"
		fail=$((fail + 1))
	fi
	echo "lab: $pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
	exit
}

# The Debian mirror the machine's own apt sources use, unless LAB_MIRROR names one.
find_mirror() {
	if [ -n "${LAB_MIRROR:-}" ]; then
		echo "$LAB_MIRROR"
	else
		tools/debian-mirror.sh "$suite"
	fi
}

# --- the image -------------------------------------------------------------------------------

need_tools() {
	local t
	for t in qemu-system-x86_64 qemu-img mkfs.ext4 debugfs; do
		command -v "$t" >/dev/null || { echo "$t"; return; }
	done
}

mkdir -p "$L"
missing=$(need_tools)
if [ -n "$missing" ]; then
	record SKIP image 0.0 "$missing not found (apt-get install qemu-system-x86 qemu-utils e2fsprogs)"
	skip_rest "no image"
	finish
fi
for p in "$B/qemu-vm" "$B/vfio-setup"; do
	if [ ! -x "$p" ]; then
		record FAIL image 0.0 "$p is not built (make all)"
		skip_rest "nothing to test"
		finish
	fi
done

recipe=$(lab/recipe-hash.sh)
img=$L/image
t=$(ms)
if [ -s "$img/root.img" ] && [ "$(cat "$img/recipe" 2>/dev/null)" = "$recipe" ]; then
	record PASS image 0.0 "cached $img/root.img (recipe ${recipe:0:12})"
else
	mirror=$(find_mirror | head -n 1)
	why=""
	if [ "$(id -u)" -ne 0 ]; then
		why="building the image needs root (debootstrap); run make lab as root once"
	elif ! command -v debootstrap >/dev/null; then
		why="debootstrap not installed (apt-get install debootstrap)"
	elif [ -z "$mirror" ]; then
		why="no Debian mirror for $suite in the apt sources (set LAB_MIRROR=URL)"
	elif ! wget -q -T 20 -t 2 -O /dev/null "$mirror/dists/$suite/InRelease" 2>/dev/null; then
		why="the mirror $mirror is not reachable"
	fi
	if [ -n "$why" ]; then
		record SKIP image 0.0 "$why"
		skip_rest "no image"
		finish
	fi
	if lab/build-image.sh "$img" "$mirror" >"$L/build.log" 2>&1; then
		record PASS image "$(secs $(($(ms) - t)))" "built from $mirror ($(du -sh --apparent-size "$img/root.img" | cut -f1) image, $(du -sh "$img/root.img" | cut -f1) used; log $L/build.log)"
	else
		record FAIL image "$(secs $(($(ms) - t)))" "debootstrap or mkfs failed: $(tail -n 1 "$L/build.log") (log $L/build.log)"
		skip_rest "no image"
		finish
	fi
fi

# --- the share L1 reads over 9p: programs, templates, the session script; L1 writes out/ ------

share=$L/share
out=$share/out
rm -rf "$share" "$L/out" "$L"/console-boot*.log "$L"/qemu-boot*.log
mkdir -p "$share/bin" "$share/share/qemu-vm" "$out/steps"
ln -s share/out "$L/out"
install -m 0755 "$B/qemu-vm" "$B/vfio-setup" "$share/bin/"
for d in udev limits modprobe systemd polkit; do
	install -d "$share/share/qemu-vm/$d"
	install -m 0644 "$d"/* "$share/share/qemu-vm/$d/"
done
cp -r lab/guest "$share/guest"
chmod -R a+rX,go-w "$share"

overlay=$L/overlay.qcow2
rm -f "$overlay"
if ! qemu-img create -q -f qcow2 -F raw -b "$(realpath "$img/root.img")" "$overlay"; then
	record FAIL boot-1 0.0 "qemu-img create failed"
	skip_rest "no overlay"
	finish
fi

# --- booting L1 -------------------------------------------------------------------------------

# The command line GRUB's 10_linux would build from the image's /etc/default/grub.
grub_default_cmdline() {
	local def linux=""
	def=$(debugfs -R 'cat /etc/default/grub' "$img/root.img" 2>/dev/null)
	linux=$(sed -n 's/^GRUB_CMDLINE_LINUX="\(.*\)"$/\1/p' <<<"$def")
	def=$(sed -n 's/^GRUB_CMDLINE_LINUX_DEFAULT="\(.*\)"$/\1/p' <<<"$def")
	echo "root=UUID=$(cat "$img/root.uuid") ro $linux $def" | tr -s ' '
}

# The default entry's command line from a grub.cfg that update-grub wrote inside L1.
grub_cfg_cmdline() {
	awk '$1 == "linux" { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "$1" | tr -s ' '
}
grub_cfg_kernel() {
	awk '$1 == "linux" { n = split($2, p, "/"); sub(/^vmlinuz-/, "", p[n]); print p[n]; exit }' "$1"
}

declare -A seen_file=()
report_steps() {
	local f st sec name why
	for f in "$out"/steps/*; do
		[ -f "$f" ] && [ -z "${seen_file[$f]:-}" ] || continue
		seen_file[$f]=1
		IFS=$'\t' read -r st sec name why <"$f"
		record "$st" "$name" "$sec" "$why"
	done
}

qemu_base=(qemu-system-x86_64 -name lab-l1 -nodefaults -no-user-config -display none -no-reboot)
if [ "$accel" = kvm ]; then
	# intremap=on needs the split irqchip under KVM.
	qemu_base+=(-machine q35,kernel-irqchip=split -accel kvm -cpu host)
else
	# TCG's max CPU includes SVM: L1 gets a /dev/kvm of its own for the nested QEMU.
	qemu_base+=(-machine q35 -accel tcg,thread=multi -cpu max)
fi
qemu_base+=(
	-smp 2 -m 3G
	-device intel-iommu,intremap=on,caching-mode=on
	-drive "file=$overlay,if=none,id=root,format=qcow2,cache=unsafe"
	-device virtio-blk-pci,drive=root,bus=pcie.0,addr=04.0
	-fsdev "local,id=lab,path=$share,security_model=none"
	-device virtio-9p-pci,fsdev=lab,mount_tag=lab,bus=pcie.0,addr=05.0
	# The GPU stand-in: a VGA function and an HD Audio function in one slot, like a card and
	# its HDMI audio, behind the root port 00:01.0 where a desktop's x16 slot is. One group.
	-device pcie-root-port,id=rp.gpu,bus=pcie.0,addr=01.0,chassis=1,port=0x10
	-device VGA,id=gpu,bus=rp.gpu,addr=00.0,multifunction=on
	-device intel-hda,id=gpu-audio,bus=rp.gpu,addr=00.1
	-audiodev none,id=snd0
	-device hda-output,bus=gpu-audio.0,audiodev=snd0
	# edu, bound to vfio-pci at boot, and e1000e, which stays with L1; each in a group of its own.
	-device pcie-root-port,id=rp.edu,bus=pcie.0,addr=02.0,chassis=2,port=0x11
	-device edu,id=edu,bus=rp.edu,addr=00.0,multifunction=on
	# Beside edu, in its group, a function the profile skips: it must stay on no driver from
	# boot (snd_ens1370, a module nothing else loads, would take it otherwise).
	-device ES1370,id=held,bus=rp.edu,addr=00.1,audiodev=snd0
	-device pcie-root-port,id=rp.nic,bus=pcie.0,addr=03.0,chassis=3,port=0x12
	-netdev user,id=net0,restrict=on
	-device e1000e,id=nic,netdev=net0,bus=rp.nic,addr=00.0,subsys_ven=0x17aa,subsys=0x2233
)

# An interrupted run takes its L1 with it.
pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; exit 130' INT TERM

# boot N KERNEL INITRD CMDLINE LIMIT: runs one boot of L1 to its end; 0 when it reached
# userspace and its session finished.
boot() {
	local n=$1 kernel=$2 initrd=$3 cmdline=$4 limit=$(($5 * scale * 1000)) up_limit=$((240 * scale * 1000))
	local console=$L/console-boot$n.log t0 up="" el st
	echo "$n" >"$share/boot"
	t0=$(ms)
	"${qemu_base[@]}" -kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
		-serial "file:$console" >"$L/qemu-boot$n.log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		el=$(($(ms) - t0))
		if [ -z "$up" ] && [ -e "$out/boot$n.up" ]; then
			up=$el
			record PASS "boot-$n" "$(secs "$up")" "L1 in userspace; kernel command line: $cmdline"
		fi
		report_steps
		if [ -z "$up" ] && [ "$el" -gt "$up_limit" ]; then
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			record FAIL "boot-$n" "$(secs "$el")" "no userspace after $(secs "$el") s (see $console)"
			return 1
		fi
		if [ "$el" -gt "$limit" ]; then
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			report_steps
			echo "      boot $n: killed after $(secs "$el") s (limit $(secs "$limit") s); see $console"
			return 1
		fi
		sleep 0.5
	done
	wait "$pid"
	st=$?
	report_steps
	el=$(($(ms) - t0))
	if [ -z "$up" ]; then
		record FAIL "boot-$n" "$(secs "$el")" "QEMU exited ($st) before userspace: $(tail -n 1 "$L/qemu-boot$n.log") (see $console)"
		return 1
	fi
	echo "      boot $n: L1 ran $(secs "$el") s in all (session rc $(cat "$out/boot$n.rc" 2>/dev/null || echo none))"
	[ -e "$out/boot$n.rc" ]
}

# Steps of boot N the session never reported.
check_reported() {
	local s
	for s in ${boot_steps[$1]}; do
		[ -n "${done_step[$s]:-}" ] || record FAIL "$s" 0.0 "not reported: the session stopped early (see $L/console-boot$1.log)"
	done
}

# Boot 1: the pristine image, as GRUB would boot it.
kver=$(cat "$img/kernel.release")
if ! boot 1 "$img/vmlinuz" "$img/initrd.img" "$(grub_default_cmdline)" 900; then
	check_reported 1
	skip_rest "boot 1 did not finish"
	finish
fi
check_reported 1

# Boots 2 and 3: what install (then uninstall) left, read back from L1 before it rebooted: the
# default entry of the grub.cfg update-grub wrote, and the initramfs update-initramfs rebuilt.
for n in 2 3; do
	prev=$((n - 1))
	cfg=$out/boot$prev.next-boot/grub.cfg
	initrd=$out/boot$prev.next-boot/initrd.img
	if [ ! -s "$cfg" ] || [ ! -s "$initrd" ]; then
		record FAIL "boot-$n" 0.0 "boot $prev left no grub.cfg and initramfs for the next boot in $out/boot$prev.next-boot"
		skip_rest "boot $n could not start"
		finish
	fi
	if [ "$(grub_cfg_kernel "$cfg")" != "$kver" ]; then
		record FAIL "boot-$n" 0.0 "grub.cfg's default entry boots '$(grub_cfg_kernel "$cfg")', not the image's $kver"
		skip_rest "boot $n could not start"
		finish
	fi
	if ! boot "$n" "$img/vmlinuz" "$initrd" "$(grub_cfg_cmdline "$cfg")" $((n == 2 ? 1200 : 600)); then
		check_reported "$n"
		skip_rest "boot $n did not finish"
		finish
	fi
	check_reported "$n"
done
finish
