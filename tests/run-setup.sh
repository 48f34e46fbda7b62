#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vfio-setup install/uninstall on Arch, Fedora and Debian seed trees: expected trees, idempotence,
# byte-identical uninstall, drift and symlink refusal, pinned dry runs, and real tools reading
# the written files (modprobe -C, bash, pam_limits field rules).
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
VS=$PWD/$B/vfio-setup
. tests/testlib.sh # runnable_by; this suite counts with its own ok and fail
. tests/setup/args.sh
[ -x "$VS" ] || { echo "SKIP: $VS not built (make B=$B)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: the expected trees record owner 0:0; run as root"; exit 77; }

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

for s in $SEEDS; do
	T=$W/$s
	args=$(seed_args "$s")

	# --dry-run: the pinned diff, and nothing written.
	seed_copy "$s" "$T"
	# shellcheck disable=SC2086
	if "$VS" install --root "$T" $args --dry-run >"$W/out" 2>&1 &&
		diff -u "tests/setup/pinned/$s-dry-run.txt" "$W/out" && diff -r "tests/setup/seeds/$s" "$T" >/dev/null; then
		ok "$s: dry run pinned, nothing written"
	else fail "$s: dry run"; fi

	# install: the expected tree; edited files keep their mode.
	# shellcheck disable=SC2086
	if "$VS" install --root "$T" $args >"$W/out" 2>&1 && diff -r "tests/setup/expected/$s" "$T"; then
		ok "$s: install gives the expected tree"
	else fail "$s: install"; cat "$W/out"; fi
	# kernel-install: every installed kernel's entry (not the leftover 6.4.12 without an
	# image), said and not run under --root.
	if [ "$s" = fedora ]; then
		k=$(sed -n 's/^not run under --root: kernel-install add \([^ ]*\) .*/\1/p' "$W/out" | tr '\n' ' ')
		[ "$k" = "6.5.6-300.fc39.x86_64 6.6.9-200.fc39.x86_64 6.10.3-100.fc39.x86_64 " ] &&
			ok "$s: kernel-install add for each installed kernel: $k" || fail "$s: kernel-install for: $k"
	fi
	if [ "$s" = arch ] && [ "$(stat -c %a "$T/etc/default/grub")" != 600 ]; then fail "$s: mode of grub not kept"; fi

	# install again: nothing changes, and it says so.
	cp -a "$T" "$W/before"
	# shellcheck disable=SC2086
	if "$VS" install --root "$T" $args >"$W/out" 2>&1 && grep -q "^nothing to change" "$W/out" &&
		diff -r "$W/before" "$T" >/dev/null; then
		ok "$s: second install changes nothing"
	else fail "$s: second install"; cat "$W/out"; fi
	rm -rf "$W/before"

	# status: files in place, reboot pending (the seed's running cmdline lacks the new words).
	"$VS" status --root "$T" >"$W/out" 2>&1
	rc=$?
	if [ $rc = 1 ] && grep -q ": ok$" "$W/out" && grep -q "^pending: the running kernel" "$W/out" &&
		! grep -q "CHANGED" "$W/out"; then
		ok "$s: status shows the install and the pending reboot"
	else fail "$s: status rc=$rc"; cat "$W/out"; fi

	# uninstall --dry-run: the pinned diff back to the seed, and nothing written.
	cp -a "$T" "$W/before"
	if "$VS" uninstall --root "$T" --dry-run >"$W/out" 2>&1 &&
		diff -u "tests/setup/pinned/$s-uninstall-dry-run.txt" "$W/out" && diff -r "$W/before" "$T" >/dev/null; then
		ok "$s: uninstall --dry-run pinned, nothing written"
	else fail "$s: uninstall --dry-run"; fi

	# status names a file changed since install and one removed since, and says it was not done.
	cp -a "$T" "$W/st"
	echo "# mine" >>"$W/st/etc/udev/rules.d/65-qemu-vm.rules"
	rm "$W/st/etc/security/limits.d/95-qemu-vm-memlock.conf"
	"$VS" status --root "$W/st" >"$W/out" 2>&1
	rc=$?
	if [ $rc = 1 ] && grep -qx "created  /etc/udev/rules.d/65-qemu-vm.rules: CHANGED since install (drift)" "$W/out" &&
		grep -qx "created  /etc/security/limits.d/95-qemu-vm-memlock.conf: MISSING (removed since install)" "$W/out" &&
		grep -qx "created  /etc/modprobe.d/qemu-vm-kvm.conf: ok" "$W/out" && ! grep -q "everything is in place" "$W/out"; then
		ok "$s: status shows a CHANGED and a MISSING file"
	else fail "$s: status with drift rc=$rc"; cat "$W/out"; fi
	rm -rf "$W/st" "$W/before"

	# Real tools read what was written.
	if modprobe -C "$T/etc/modprobe.d" --showconfig >"$W/mp" 2>/dev/null; then
		grep -q "^options kvm ignore_msrs=1 report_ignored_msrs=0" "$W/mp" || fail "$s: modprobe: kvm options"
		grep -q "^options vfio_pci ids=" "$W/mp" || fail "$s: modprobe: vfio_pci ids"
		grep -Eq "^softdep (nvidia|amdgpu) pre: vfio-pci" "$W/mp" || fail "$s: modprobe: softdep"
		ok "$s: modprobe -C --showconfig has the options and softdeps"
	else fail "$s: modprobe -C failed"; fi
	awk '!/^[[:space:]]*(#|$)/ {
		if (NF != 4 || $1 !~ /^@[a-z_][a-z0-9_-]*$/ || ($2 != "soft" && $2 != "hard" && $2 != "-") ||
		    $3 != "memlock" || ($4 !~ /^[0-9]+$/ && $4 != "unlimited")) bad = 1; n++ }
		END { exit (bad || n != 2) }' "$T/etc/security/limits.d/95-qemu-vm-memlock.conf" &&
		ok "$s: limits file follows the pam_limits field rules" || fail "$s: limits file"
	case $s in
	arch)
		m=$(bash -c 'source "$1"; echo "${MODULES[*]}"' _ "$T/etc/mkinitcpio.conf")
		[ "$m" = "vfio_pci vfio vfio_iommu_type1 btrfs crc32c" ] &&
			ok "$s: sourced mkinitcpio.conf: MODULES=($m)" || fail "$s: MODULES=($m)"
		g=$(bash -c 'source "$1"; echo "$GRUB_CMDLINE_LINUX_DEFAULT"' _ "$T/etc/default/grub")
		[ "$g" = "loglevel=3 quiet iommu=pt default_hugepagesz=1G hugepagesz=1G hugepages=8" ] &&
			ok "$s: sourced grub: $g" || fail "$s: grub: $g"
		;;
	debian)
		g=$(bash -c 'source "$1" 2>/dev/null; echo "$GRUB_CMDLINE_LINUX_DEFAULT"' _ "$T/etc/default/grub")
		[ "$g" = "quiet intel_iommu=on iommu=pt" ] && ok "$s: sourced grub: $g" || fail "$s: grub: $g"
		;;
	arch-dropin)
		# mkinitcpio.conf stays as it is; the drop-ins are read after it, in name order.
		m=$(bash -c 'source "$1"; for f in "$2"/*.conf; do source "$f"; done; echo "${MODULES[*]}"' _ \
			"$T/etc/mkinitcpio.conf" "$T/etc/mkinitcpio.conf.d")
		if cmp -s "$T/etc/mkinitcpio.conf" "tests/setup/seeds/$s/etc/mkinitcpio.conf" &&
			[ "$m" = "vfio_pci vfio vfio_iommu_type1 btrfs crc32c nvme" ]; then
			ok "$s: mkinitcpio.conf untouched; with the drop-ins MODULES=($m)"
		else fail "$s: drop-in: MODULES=($m)"; fi
		;;
	booster)
		y=$(python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(d["modules_force_load"], d["compress"])' \
			"$T/etc/booster.yaml" 2>&1)
		[ "$y" = "nvme,vfio_pci,vfio,vfio_iommu_type1 zstd -9 -T0" ] &&
			ok "$s: booster.yaml parses: modules_force_load $y" || fail "$s: booster.yaml: $y"
		for l in arch arch-lts; do
			o=$(sed -n 's/^options //p' "$T/boot/loader/entries/$l.conf")
			case $o in
			*" intel_iommu=on iommu=pt") ok "$s: $l.conf: options $o" ;;
			*) fail "$s: $l.conf: options $o" ;;
			esac
		done
		;;
	esac
	# vfio_virqfd is never listed, even when the running kernel (debian: 6.1) still has it: the
	# image is built for every installed kernel, and 6.2+ has no such module.
	if grep -rqw vfio_virqfd "$T/etc"; then fail "$s: vfio_virqfd listed for the initramfs"
	else ok "$s: vfio_virqfd not listed for the initramfs"; fi

	# A user edit after install: uninstall (and install) refuse, name the file, show the diff.
	cp -a "$T/etc/modprobe.d/qemu-vm-kvm.conf" "$W/kvm.conf"
	echo "# my own change" >>"$T/etc/modprobe.d/qemu-vm-kvm.conf"
	cp -a "$T" "$W/before"
	if ! "$VS" uninstall --root "$T" >"$W/out" 2>&1 && grep -q "qemu-vm-kvm.conf' was changed" "$W/out" &&
		grep -q "^+# my own change" "$W/out" && diff -r "$W/before" "$T" >/dev/null; then
		ok "$s: uninstall refuses a file changed by hand, names it, shows the diff"
	else fail "$s: drift refusal"; cat "$W/out"; fi
	# shellcheck disable=SC2086
	if ! "$VS" install --root "$T" $args >"$W/out" 2>&1 && diff -r "$W/before" "$T" >/dev/null; then
		ok "$s: install refuses it too"
	else fail "$s: install over drift"; fi
	rm -rf "$W/before"
	cp -a "$W/kvm.conf" "$T/etc/modprobe.d/qemu-vm-kvm.conf"

	# uninstall: byte for byte the seed again (and modes).
	if "$VS" uninstall --root "$T" >"$W/out" 2>&1 && diff -r "tests/setup/seeds/$s" "$T"; then
		ok "$s: uninstall restores the seed tree exactly"
	else fail "$s: uninstall"; cat "$W/out"; fi
	if [ "$s" = arch ] && [ "$(stat -c %a "$T/etc/default/grub")" != 600 ]; then fail "$s: mode not restored"; fi

	# An edited file keeps its mode and owner through install and uninstall.
	case $s in
	debian | arch-dropin) e=etc/default/grub ;; arch) e=etc/mkinitcpio.conf ;;
	fedora) e=etc/kernel/cmdline ;; booster) e=etc/booster.yaml ;;
	esac
	seed_copy "$s" "$T"
	chown 1000:1001 "$T/$e" && chmod 640 "$T/$e"
	# shellcheck disable=SC2086
	"$VS" install --root "$T" $args >"$W/out" 2>&1 || { fail "$s: install with an owned file"; cat "$W/out"; }
	a=$(stat -c '%a %u:%g' "$T/$e")
	cmp -s "$T/$e" "tests/setup/expected/$s/$e" || fail "$s: /$e not edited"
	"$VS" uninstall --root "$T" >"$W/out" 2>&1 || { fail "$s: uninstall with an owned file"; cat "$W/out"; }
	u=$(stat -c '%a %u:%g' "$T/$e")
	if [ "$a" = "640 1000:1001" ] && [ "$u" = "640 1000:1001" ] && cmp -s "$T/$e" "tests/setup/seeds/$s/$e"; then
		ok "$s: /$e keeps mode and owner 640 1000:1001 through install and uninstall"
	else fail "$s: /$e mode and owner: after install '$a', after uninstall '$u'"; fi

	# --force: a changed file is replaced anyway, the user's version kept next to it and said.
	seed_copy "$s" "$T"
	# shellcheck disable=SC2086
	"$VS" install --root "$T" $args >/dev/null 2>&1
	R=etc/udev/rules.d/65-qemu-vm.rules
	echo "# mine" >>"$T/$R"
	cp "$T/$R" "$W/mine"
	# shellcheck disable=SC2086
	if "$VS" install --root "$T" $args --force >"$W/out" 2>&1 && cmp -s "$T/$R" "tests/setup/expected/$s/$R" &&
		cmp -s "$T/$R.vfio-setup-old" "$W/mine" && grep -qx "kept your version of /$R as /$R.vfio-setup-old" "$W/out"; then
		ok "$s: install --force replaces a change, keeps it as NAME.vfio-setup-old"
	else fail "$s: install --force"; cat "$W/out"; fi
	rm -f "$T/$R.vfio-setup-old"
	echo "# mine again" >>"$T/$R"
	cp "$T/$R" "$W/mine"
	if "$VS" uninstall --root "$T" --force >"$W/out" 2>&1 && cmp -s "$T/$R.vfio-setup-old" "$W/mine" &&
		grep -qx "kept your version of /$R as /$R.vfio-setup-old" "$W/out" && rm "$T/$R.vfio-setup-old" &&
		# the directories install made stay for the kept file; without it, the seed
		(cd "$T" && rmdir -p --ignore-fail-on-non-empty "${R%/*}") && diff -r "tests/setup/seeds/$s" "$T"; then
		ok "$s: uninstall --force restores over a change, keeps it as NAME.vfio-setup-old"
	else fail "$s: uninstall --force"; cat "$W/out"; fi

	# A symlink at a target is refused, never followed.
	seed_copy "$s" "$T"
	mkdir -p "$T/etc/modprobe.d"
	echo "untouched" >"$W/victim"
	ln -s "$W/victim" "$T/etc/modprobe.d/qemu-vm-kvm.conf"
	# shellcheck disable=SC2086
	if ! "$VS" install --root "$T" $args >"$W/out" 2>&1 && grep -q "symlink" "$W/out" &&
		[ "$(cat "$W/victim")" = untouched ] && [ -L "$T/etc/modprobe.d/qemu-vm-kvm.conf" ] &&
		[ ! -e "$T/var/lib/vfio-setup" ]; then
		ok "$s: a symlinked target is refused before anything is written"
	else fail "$s: symlink"; cat "$W/out"; fi

	# A symlinked directory on the way to a target, or to the manifest and backups, is refused
	# too: nothing lands in the directory it points to, nothing changes in the tree.
	for d in etc/modprobe.d var/lib/vfio-setup; do
		seed_copy "$s" "$T"
		rm -rf "$W/victimdir" "$T/$d" && mkdir -p "$W/victimdir" "$(dirname "$T/$d")"
		ln -s "$W/victimdir" "$T/$d"
		cp -a "$T" "$W/before"
		# shellcheck disable=SC2086
		if ! "$VS" install --root "$T" $args >"$W/out" 2>&1 &&
			grep -q "'/$d' is a symlink: refusing to follow it (hint: replace it with a .*directory," "$W/out" &&
			[ -z "$(ls -A "$W/victimdir")" ] && diff -r --no-dereference "$W/before" "$T"; then
			ok "$s: a symlinked /$d is refused, nothing written through it"
		else fail "$s: symlinked /$d"; cat "$W/out"; ls -lA "$W/victimdir"; fi
		rm -rf "$W/before"
	done
	# uninstall does not trust a manifest reached through a symlink.
	seed_copy "$s" "$T"
	# shellcheck disable=SC2086
	"$VS" install --root "$T" $args >/dev/null 2>&1
	rm -rf "$W/state" && mv "$T/var/lib/vfio-setup" "$W/state" && ln -s "$W/state" "$T/var/lib/vfio-setup"
	cp -a "$T" "$W/before"
	if ! "$VS" uninstall --root "$T" >"$W/out" 2>&1 &&
		grep -q "'/var/lib/vfio-setup' is a symlink: refusing to follow it (hint: replace it with a directory, or remove it)" "$W/out" &&
		diff -r --no-dereference "$W/before" "$T" && [ -f "$W/state/manifest" ]; then
		ok "$s: uninstall refuses a symlinked state directory"
	else fail "$s: uninstall through a symlinked state directory"; cat "$W/out"; fi
	rm -rf "$W/before"
done

# A bare root without /var: install makes /var/lib/vfio-setup, and uninstall takes /var and
# /var/lib away again (they were recorded), leaving the tree as it was.
seed_copy debian "$W/novar"
rm -rf "$W/novar/var"
cp -a "$W/novar" "$W/novar.seed"
# shellcheck disable=SC2046
if "$VS" install --root "$W/novar" $(seed_args debian) >"$W/out" 2>&1 &&
	grep -qx "dir /var" "$W/novar/var/lib/vfio-setup/manifest" &&
	"$VS" uninstall --root "$W/novar" >>"$W/out" 2>&1 && diff -r "$W/novar.seed" "$W/novar"; then
	ok "a root without /var: uninstall removes the /var and /var/lib install made"
else fail "root without /var"; cat "$W/out"; fi
# One that something else put there since stays.
seed_copy debian "$W/novar" && rm -rf "$W/novar/var"
# shellcheck disable=SC2046
"$VS" install --root "$W/novar" $(seed_args debian) >/dev/null 2>&1
mkdir "$W/novar/var/lib/other"
if "$VS" uninstall --root "$W/novar" >"$W/out" 2>&1 && [ -d "$W/novar/var/lib/other" ] &&
	[ ! -e "$W/novar/var/lib/vfio-setup" ]; then
	ok "a directory added under /var/lib since install stays"
else fail "uninstall removed a non-empty /var/lib"; cat "$W/out"; fi

# kernel-install: an image under --root is looked up in the tree, never through a symlink: an
# absolute vmlinuz symlink (or a symlinked version directory) would name the host's file.
seed_copy fedora "$W/klink"
echo host-image >"$W/host-vmlinuz" && mkdir -p "$W/host-modules/9.9.9-dir"
echo host-image >"$W/host-modules/9.9.9-dir/vmlinuz"
mkdir "$W/klink/usr/lib/modules/9.9.9-link"
ln -s "$W/host-vmlinuz" "$W/klink/usr/lib/modules/9.9.9-link/vmlinuz"
ln -s "$W/host-modules/9.9.9-dir" "$W/klink/usr/lib/modules/9.9.9-dir"
# shellcheck disable=SC2046
if "$VS" install --root "$W/klink" $(seed_args fedora) >"$W/out" 2>&1 &&
	[ "$(grep -c "^not run under --root: kernel-install add " "$W/out")" = 3 ] &&
	! grep -q "9\.9\.9" "$W/out"; then
	ok "kernel-install: a vmlinuz symlink out of the tree is no kernel of the tree"
else fail "kernel-install followed a symlink out of the tree"; cat "$W/out"; fi
# No kernel in the tree yet (an image build installs the kernel later): a warning, not an error.
seed_copy fedora "$W/nokernel"
rm -rf "$W/nokernel/usr/lib/modules"
# shellcheck disable=SC2046
if "$VS" install --root "$W/nokernel" $(seed_args fedora) >"$W/out" 2>&1 &&
	grep -qx "vfio-setup: warning: no kernel in /usr/lib/modules/\*/vmlinuz yet: a kernel installed into the tree later gets the command line from /etc/kernel/cmdline" "$W/out" &&
	[ "$(grep -c "^vfio-setup: " "$W/out")" = 1 ] && grep -q "^installed" "$W/out"; then
	ok "--root without a kernel yet: a warning, and install succeeds"
else fail "--root without a kernel"; cat "$W/out"; fi

# A FIFO (or socket, device) at a target is refused by name, before anything is written.
seed_copy debian "$W/fifo"
mkdir -p "$W/fifo/etc/modprobe.d" && mkfifo "$W/fifo/etc/modprobe.d/qemu-vm-kvm.conf"
cp -a "$W/fifo" "$W/fifo.before"
# shellcheck disable=SC2046
if ! "$VS" install --root "$W/fifo" $(seed_args debian) >"$W/out" 2>&1 &&
	grep -qx "vfio-setup: '/etc/modprobe.d/qemu-vm-kvm.conf' is a FIFO, not a regular file (hint: move it away)" "$W/out" &&
	[ -p "$W/fifo/etc/modprobe.d/qemu-vm-kvm.conf" ] &&
	diff -r -x qemu-vm-kvm.conf "$W/fifo.before" "$W/fifo" >/dev/null; then
	ok "a FIFO at a target is refused by name, nothing written"
else fail "FIFO at a target"; cat "$W/out"; fi

# Invalid input is refused, with its own message, before anything is written. On a fake host
# (PCI devices in sysfs, a Debian /etc; its run/, which holds sockets, left out of the
# comparison) where the same install with valid values works, so each refusal is for the value
# given and not for something else missing.
H=$W/host
if python3 -S tests/hosts/mkhost.py -o "$W" tests/hosts/desktop.spec >"$W/out" 2>&1; then
	cp -a tests/setup/seeds/debian/etc tests/setup/seeds/debian/usr tests/setup/seeds/debian/var "$W/desktop/"
	mv "$W/desktop" "$H"
	cp -a "$H" "$W/host.before"
	base="--device 01:00.0 --memlock 17G"
	# shellcheck disable=SC2086
	if "$VS" install --root "$H" $base --dry-run >"$W/out" 2>&1 && grep -q "^+options vfio-pci ids=10de:1b81,10de:10f0" "$W/out"; then
		ok "fake host: the valid install works (--dry-run)"
	else fail "fake host: the valid install"; cat "$W/out"; fi
	while IFS='|' read -r a msg; do
		# shellcheck disable=SC2086
		if ! "$VS" install --root "$H" $base $a >"$W/out" 2>&1 && grep -qF -- "$msg" "$W/out" &&
			diff -r --no-dereference -x run "$W/host.before" "$H" >/dev/null; then
			ok "refused: $a"
		else fail "not refused as expected: $a (wanted: $msg)"; cat "$W/out"; fi
	done <<-'EOF'
		--device 1:2:3|--device: expected a PCI address like 01:00.0, got '1:2:3'
		--device 02:00.0|--device 02:00.0: no PCI device 0000:02:00.0 (hint: vfio-setup scan)
		--ids 10de:zzzz|--ids: expected VENDOR:DEVICE like 10de:1b81, got '10de:zzzz'
		--user Bad;Name|--user: 'Bad;Name' is not a valid user name
		--memlock lots|--memlock: expected a size like 17G or auto, got 'lots'
		--hugepages 8x3G|--hugepages: expected COUNTxSIZE with SIZE 2M or 1G, like 16x1G, got '8x3G'
		--group a"b|--group: 'a"b' is not a valid group name
	EOF
else fail "tests/hosts/mkhost.py desktop"; cat "$W/out"; fi

# A binary away from the source tree and not installed finds no templates: one error that says
# where it looked (next to itself, then the install path), not one per template. Where make
# install did put them there, it finds them.
mkdir -p "$W/elsewhere/bin"
cp "$VS" "$W/elsewhere/bin/vfio-setup"
seed_copy debian "$W/tmpl"
# shellcheck disable=SC2046
if "$W/elsewhere/bin/vfio-setup" install --root "$W/tmpl" $(seed_args debian) >"$W/out" 2>&1; then
	grep -q "^installed" "$W/out" && ok "a binary elsewhere finds the installed templates" ||
		fail "binary elsewhere"
elif [ "$(grep -c "templates not found" "$W/out")" = 1 ] &&
	grep -q "templates not found next to the program nor in /.*/qemu-vm (hint: --templates DIR" "$W/out" &&
	diff -r tests/setup/seeds/debian "$W/tmpl" >/dev/null; then
	ok "a binary elsewhere without templates says so once, naming the install path"
else fail "templates not found"; cat "$W/out"; fi

# nobody runs a copy when the checkout is closed to it (under root's 0700 home).
R=$(mktemp -d /tmp/qvm-reach.XXXXXX)
trap 'rm -rf "$W" "$R"' EXIT
NVS=$(runnable_by 65534 "$VS" "$R") || fail "no copy of vfio-setup nobody can run"

# Without the capabilities it needs, install names them (as nobody: nothing could be written).
if setpriv --reuid=65534 --regid=65534 --clear-groups "$NVS" install --ids 10de:1b81 >"$W/out" 2>&1; then
	fail "install without capabilities ran"
elif grep -q "cap_dac_override" "$W/out"; then ok "install without privileges names the capabilities"
else fail "capability message"; cat "$W/out"; fi

# --root works for an unprivileged user (an image build, a test): nobody, on a tree nobody owns.
U=$W/unpriv
seed_copy debian "$U"
chown -R 65534:65534 "$U"
chmod 755 "$W"
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
# shellcheck disable=SC2046
if [ "$(asnobody id -u)" = 65534 ] &&
	asnobody "$NVS" install --root "$U" $(seed_args debian) >"$W/out" 2>&1 &&
	diff -r "tests/setup/expected/debian/etc" "$U/etc" &&
	[ "$(stat -c %u:%g "$U/var/lib/vfio-setup/manifest")" = 65534:65534 ] &&
	asnobody "$NVS" uninstall --root "$U" >>"$W/out" 2>&1 &&
	diff -r tests/setup/seeds/debian "$U"; then
	ok "--root as an unprivileged user: install and uninstall"
else fail "--root unprivileged"; cat "$W/out"; fi

# A root with a user database: the group is made and the user added by the distribution's own
# tools (groupadd/usermod --root), and uninstall takes the group away again.
G=$W/groups
seed_copy debian "$G"
mkdir -p "$G/etc"
printf 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n' > "$G/etc/passwd"
printf 'root:x:0:\nalice:x:1000:\n' > "$G/etc/group"
printf 'root:*:19000::::::\nalice:!:19000::::::\n' > "$G/etc/shadow"
printf 'root:*::\nalice:!::\n' > "$G/etc/gshadow"
chmod 600 "$G/etc/shadow" "$G/etc/gshadow"
cp "$G/etc/group" "$W/group.before"
# shellcheck disable=SC2046
if "$VS" install --root "$G" --user alice $(seed_args debian) >"$W/out" 2>&1 &&
	grep -q '^qemu-vm:x:[0-9]*:alice$' "$G/etc/group" &&
	"$VS" uninstall --root "$G" >>"$W/out" 2>&1 && ! grep -q '^qemu-vm:' "$G/etc/group" &&
	grep -q '^alice:x:1000:$' "$G/etc/group"; then
	ok "groupadd/usermod --root: group 'qemu-vm' with alice, gone after uninstall"
else fail "group and membership under --root"; cat "$W/out"; cat "$G/etc/group"; fi

# Many boot entries: each one is a target, with no fixed cap that aborts; past what the manifest
# records, a refusal naming the limit and nothing written.
L=$W/entries
seed_copy booster "$L"
for i in $(seq 1 45); do
	printf 'title Linux %s\nlinux /vmlinuz-%s\noptions root=UUID=1234 rw\n' "$i" "$i" >"$L/boot/loader/entries/k$i.conf"
done
cp -a "$L" "$W/entries.seed"
# shellcheck disable=SC2046
"$VS" install --root "$L" $(seed_args booster) --bootloader loader-entries >"$W/out" 2>&1
rc=$?
n=$(grep -l '^options .* iommu=pt$' "$L"/boot/loader/entries/*.conf | wc -l)
if [ $rc = 0 ] && [ "$n" = 47 ] && "$VS" uninstall --root "$L" >>"$W/out" 2>&1 && diff -r "$W/entries.seed" "$L" >/dev/null; then
	ok "47 boot entries: each one edited, then restored"
else fail "47 boot entries: rc=$rc, $n edited"; tail -5 "$W/out"; fi
for i in $(seq 46 300); do
	printf 'title Linux %s\noptions root=UUID=1234 rw\n' "$i" >"$L/boot/loader/entries/k$i.conf"
done
rm -rf "$W/entries.seed" && cp -a "$L" "$W/entries.seed"
# shellcheck disable=SC2046
if ! "$VS" install --root "$L" $(seed_args booster) --bootloader loader-entries >"$W/out" 2>&1 &&
	grep -q "the manifest records at most 256" "$W/out" && diff -r "$W/entries.seed" "$L" >/dev/null; then
	ok "302 boot entries: refused naming the limit, nothing written"
else fail "302 boot entries"; tail -5 "$W/out"; fi
rm -rf "$L" "$W/entries.seed"

# GRUB shapes an in-place edit would break: install refuses, names the line and what to do by
# hand, and changes nothing. Then /etc/default/grub that is no regular file, and the drop-in
# directory grub-mkconfig reads after it.
Gr=$W/grub
grub_refused() { # $1: what, $2: grep pattern for the message
	cp -a "$Gr" "$W/grub.seed"
	# shellcheck disable=SC2046
	if ! "$VS" install --root "$Gr" $(seed_args debian) >"$W/out" 2>&1 && grep -q "$2" "$W/out" &&
		diff -r -x grub "$W/grub.seed" "$Gr" >/dev/null && [ ! -e "$Gr/var/lib/vfio-setup" ]; then
		ok "grub: $1: refused, nothing written"
	else fail "grub: $1"; cat "$W/out"; fi
	rm -rf "$W/grub.seed"
}
seed_copy debian "$Gr"
sed -i -e 's/^GRUB_CMDLINE_LINUX_DEFAULT=.*/export GRUB_CMDLINE_LINUX_DEFAULT="quiet cryptdevice=UUID=0a1b:root"/' \
	-e '/^GRUB_CMDLINE_LINUX=/d' "$Gr/etc/default/grub"
grub_refused "export-prefixed assignment" \
	"'/etc/default/grub': after the edit GRUB would lose 'quiet', from line 9: 'export GRUB_CMDLINE_LINUX_DEFAULT=.*hint: add 'intel_iommu=on iommu=pt' to GRUB_CMDLINE_LINUX_DEFAULT by hand"
seed_copy debian "$Gr"
echo 'GRUB_CMDLINE_LINUX_DEFAULT=$GRUB_CMDLINE_LINUX_DEFAULT" mitigations=off"' >>"$Gr/etc/default/grub"
grub_refused "self-referencing assignment" \
	"'/etc/default/grub': GRUB_CMDLINE_LINUX_DEFAULT: the value is partly quoted; make it one quoted string"
for kind in symlink fifo dir; do
	seed_copy debian "$Gr"
	mv "$Gr/etc/default/grub" "$Gr/etc/default/grub.real"
	case $kind in
	symlink) ln -s grub.real "$Gr/etc/default/grub"; m="'/etc/default/grub' is a symlink: refusing to follow it" ;;
	fifo) mkfifo "$Gr/etc/default/grub"; m="'/etc/default/grub' is a FIFO, not a regular file" ;;
	dir) mkdir "$Gr/etc/default/grub"; m="'/etc/default/grub' is a directory, not a regular file" ;;
	esac
	grub_refused "/etc/default/grub as a $kind" "$m"
done
seed_copy debian "$Gr"
mkdir "$Gr/etc/default/grub.d"
echo 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT splash"' >"$Gr/etc/default/grub.d/50-local.cfg"
cp -a "$Gr" "$W/grub.seed"
# shellcheck disable=SC2046
"$VS" install --root "$Gr" $(seed_args debian) >"$W/out" 2>&1
rc=$?
g=$(sh -c '. "$1/etc/default/grub"; for f in "$1"/etc/default/grub.d/*.cfg; do . "$f"; done; echo "$GRUB_CMDLINE_LINUX_DEFAULT"' _ "$Gr" 2>/dev/null)
if [ $rc = 0 ] && cmp -s "$Gr/etc/default/grub" "$W/grub.seed/etc/default/grub" &&
	[ "$g" = "quiet splash intel_iommu=on iommu=pt" ] &&
	"$VS" uninstall --root "$Gr" >>"$W/out" 2>&1 && diff -r "$W/grub.seed" "$Gr" >/dev/null; then
	ok "grub: a grub.d drop-in, /etc/default/grub untouched: $g; uninstall removes it"
else fail "grub: drop-in: rc=$rc, '$g'"; cat "$W/out"; fi
rm -rf "$Gr" "$W/grub.seed"

# One vfio-setup at a time: while the tree is locked, install says it waits and writes nothing;
# then it finishes. And installs started together all succeed with nothing to undo by force.
K=$W/lock
seed_copy debian "$K"
exec 9<"$K"
flock -x 9
# shellcheck disable=SC2046
"$VS" install --root "$K" $(seed_args debian) >"$W/lock.out" 2>&1 9<&- &
pid=$!
for _ in $(seq 1 300); do grep -q "waiting for another vfio-setup" "$W/lock.out" && break; sleep 0.1; done
if grep -q "^vfio-setup: waiting for another vfio-setup on '$K' to finish" "$W/lock.out" && [ ! -e "$K/var/lib/vfio-setup" ]; then
	ok "lock: a second install waits, nothing written meanwhile"
else fail "lock: install did not wait"; cat "$W/lock.out"; fi
exec 9<&-
wait $pid
rc=$?
[ $rc = 0 ] && [ -f "$K/var/lib/vfio-setup/manifest" ] && ok "lock: it finishes once the lock is released" ||
	{ fail "lock: rc=$rc after the release"; cat "$W/lock.out"; }
for i in 1 2 3 4 5 6 7 8; do
	seed_copy debian "$K"
	# shellcheck disable=SC2046
	{ "$VS" install --root "$K" $(seed_args debian) >"$W/a.out" 2>&1 & a=$!; }
	# shellcheck disable=SC2046
	{ "$VS" install --root "$K" $(seed_args debian) >"$W/b.out" 2>&1 & b=$!; }
	wait $a; ra=$?
	wait $b; rb=$?
	"$VS" status --root "$K" >"$W/out" 2>&1
	if [ $ra != 0 ] || [ $rb != 0 ] || grep -q "CHANGED\|MISSING" "$W/out" || ! "$VS" uninstall --root "$K" >>"$W/out" 2>&1 ||
		! diff -r tests/setup/seeds/debian "$K" >/dev/null; then
		fail "lock: two installs at once, try $i: $ra $rb"; cat "$W/a.out" "$W/b.out" "$W/out"; break
	fi
	[ $i = 8 ] && ok "lock: two installs at once, 8 times: both succeed, status clean, uninstall restores"
done
rm -rf "$K"

# --dry-run keeps no privileges: profiles are read before they are dropped, so a profile in a
# user's 0700 home works in a dry run as it does in the install.
P=$W/home-nobody
mkdir -p "$P"
cp tests/setup/profiles/arch-gaming.ini tests/setup/profiles/small.ini "$P/"
chown -R 65534:65534 "$P" && chmod 700 "$P" && chmod 600 "$P"/*.ini
D=$W/private
seed_copy arch "$D"
# shellcheck disable=SC2046
if "$VS" install --root "$D" --profile "$P/arch-gaming.ini" --profile "$P/small.ini" --hugepages 8x1G --dry-run >"$W/out" 2>&1 &&
	grep -q "^dry run: nothing was written" "$W/out" && diff -r tests/setup/seeds/arch "$D" >/dev/null; then
	ok "--dry-run reads a profile in a 0700 home as install does"
else fail "--dry-run with a profile in a 0700 home"; cat "$W/out"; fi
rm -rf "$D" "$P"

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
exit 0
