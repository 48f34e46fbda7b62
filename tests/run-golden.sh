#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden files: each example profile's argv (show) and check output against the fake hosts,
# compared with diff -u. UPDATE=1 rewrites them (read the diff before committing).
set -u
cd "$(dirname "$0")/.."
. tests/testlib.sh
B=${B:-build}
T=$(mktemp -d /tmp/qvm-golden.XXXXXX)
trap 'rm -rf "$T"' EXIT
tests/hosts/build-all.sh "$T/hosts" >/dev/null || { echo "FAIL building the fake hosts"; exit 1; }

# The user's own files the profiles name (ROM, SSDT, images) live in a home of the test's.
mkdir -p "$T/home/vm"
for f in gtx1050.rom ssdt-battery.aml win10.qcow2 minimal.qcow2 data,1.qcow2 virtio-win.iso; do echo "$f" > "$T/home/vm/$f"; done
# QEMU comes from each fake host's usr/bin (found on PATH under --host-root); everything.ini
# names one of the user's own instead. Under a --host-root other than / neither is asked for its
# audio drivers (nothing is run there), so backend = pipewire gets a warning, never a probe.
mkdir -p "$T/home/bin"
cat > "$T/home/bin/qemu-system-x86_64" <<'SH'
#!/bin/sh
[ "$*" = "-audiodev help" ] && printf 'Available audio drivers:\nnone\npa\npipewire\n'
exit 0
SH
chmod 755 "$T/home/bin/qemu-system-x86_64"
run() { launcher_on_host "$@"; } # run HOST ARGS...: the launcher in a fixed environment; $T shows as @T@

for pair in desktop@desktop laptop@laptop minimal@desktop demo@desktop desktop@broken laptop@broken; do
	profile=${pair%@*} host=${pair#*@}
	compare "$pair.argv" < <(run "$host" show "profiles/$profile.ini")
	compare "$pair.check" < <(run "$host" check "profiles/$profile.ini")
done
compare "everything@desktop.argv" < <(run desktop show tests/golden/profiles/everything.ini)
compare "everything@desktop.check" < <(run desktop check tests/golden/profiles/everything.ini)
compare "slot@desktop.argv" < <(run desktop show tests/golden/profiles/slot.ini)
compare "spice@desktop.argv" < <(run desktop show tests/golden/profiles/spice.ini)
compare "spice@desktop.check" < <(run desktop check tests/golden/profiles/spice.ini)
# --maintenance: no [pci], evdev or Looking Glass; virtio-vga on SPICE outside a desktop session,
# on GTK in one; check asks nothing of VFIO or memlock.
for pair in desktop@desktop laptop@laptop demo@desktop; do
	profile=${pair%@*} host=${pair#*@}
	compare "$profile-maintenance@$host.argv" < <(run "$host" show --maintenance "profiles/$profile.ini")
	compare "$profile-maintenance@$host.check" < <(run "$host" check --maintenance "profiles/$profile.ini")
done
compare "everything-maintenance@desktop.argv" < <(run desktop show --maintenance tests/golden/profiles/everything.ini)
compare "everything-maintenance@desktop.check" < <(run desktop check --maintenance tests/golden/profiles/everything.ini)
compare "laptop-maintenance-gui@laptop.argv" < <(GOLDEN_DISPLAY=:0 run laptop show --maintenance profiles/laptop.ini)
# vCPUs of one guest core pinned on host CPUs that are not SMT siblings.
compare "smt@desktop.check" < <(run desktop check tests/golden/profiles/smt.ini)
compare "smt@laptop.check" < <(run laptop check tests/golden/profiles/smt.ini)
for g in scream input pci-ids; do
	compare "$g@desktop.argv" < <(run desktop show "tests/golden/profiles/$g.ini")
	compare "$g@desktop.check" < <(run desktop check "tests/golden/profiles/$g.ini")
done
compare "devices@desktop.txt" < <(run desktop devices)
compare "devices@laptop.txt" < <(run laptop devices)

# A regular file where the kvmfr device belongs (QEMU made it on a run without the module): the
# laptop host with one, read by the real inspect.
cp -a "$T/hosts/laptop" "$T/hosts/stale-kvmfr"
rm "$T/hosts/stale-kvmfr/dev/kvmfr0"
head -c 4096 /dev/zero > "$T/hosts/stale-kvmfr/dev/kvmfr0"
out=$(run stale-kvmfr check profiles/laptop.ini)
if grep -qx "FAIL  profiles/laptop.ini:[0-9]*: \[looking-glass\] path: '/dev/kvmfr0' is a regular file, not the kvmfr device (left over from a run without the module)" <<<"$out" &&
	grep -qx "      fix: sudo rm /dev/kvmfr0  (a stale file), then load kvmfr: sudo modprobe kvmfr static_size_mb=32" <<<"$out" &&
	grep -qx "exit 1" <<<"$out"; then
	ok "a stale regular file at /dev/kvmfr0 fails check, with the fix"
else
	bad "a stale regular file at /dev/kvmfr0:"
	echo "$out"
fi

# A tree that is not the running system is read, never run: a bug report's QEMU that would
# leave a mark when asked for its audio drivers, found on PATH under the tree (auto and
# pipewire both want to ask it), and named by path under the tree's /run.
cp -a "$T/hosts/desktop" "$T/hosts/evil"
for q in usr/bin/qemu-system-x86_64 run/qemu; do
	printf '#!/bin/sh\necho "$0 $*" >> %s/ran\nprintf "pipewire\\n"\n' "$T" > "$T/hosts/evil/$q"
	chmod 755 "$T/hosts/evil/$q"
done
for b in auto pipewire; do
	printf '[vm]\nmemory = 1G\nfirmware = bios\n[audio]\nbackend = %s\n' $b > "$T/home/$b.ini"
	printf '[vm]\nmemory = 1G\nfirmware = bios\nqemu = /run/qemu\n[audio]\nbackend = %s\n' $b > "$T/home/$b-path.ini"
done
evil_ok=true
for p in auto pipewire auto-path pipewire-path; do
	for cmd in show check run; do
		out=$(run evil $cmd "$T/home/$p.ini")
		if [ -e "$T/ran" ]; then
			echo "FAIL $cmd $p.ini under --host-root ran the tree's QEMU: $(cat "$T/ran")"
			evil_ok=false
			rm "$T/ran"
		fi
		case $cmd/$p in
		show/auto*) want='^pa,id=snd0,server=unix:/run/user/1000/pulse/native$' ;;
		check/auto*) want='^warn  \[audio\]: whether /.*qemu.* has the pipewire driver was not probed: the host root is not the running system, and nothing is run from it \(auto: pulseaudio\)$' ;;
		check/pipewire*) want='^warn  \[audio\]: whether /.*qemu.* has the pipewire driver was not probed: the host root is not the running system, and nothing is run from it$' ;;
		run/*) want="^qemu-vm: $p not started: QEMU '/.*qemu.*' would come from the host tree '$T/hosts/evil', and nothing in a tree other than / is run \(--host-root is for show, check and devices\)$" ;;
		*) want='' ;;
		esac
		if [ -n "$want" ] && ! grep -qE "$want" <<<"$out"; then
			echo "FAIL $cmd $p.ini under --host-root: no line like $want in:"
			echo "$out"
			evil_ok=false
		fi
	done
done
if $evil_ok; then
	ok "show, check and run under --host-root never run the tree's QEMU; auto means pulseaudio"
else
	bad "show, check or run under --host-root (the lines above)"
fi

# Every FAIL carries the one command or action that fixes it.
if [ "${UPDATE:-}" != 1 ]; then
	nofix=$(awk 'FNR == 1 { prev = "" } prev ~ /^FAIL  / && !/^      fix: / { print FILENAME ": " prev } { prev = $0 }
		END { if (prev ~ /^FAIL  /) print FILENAME ": " prev }' tests/golden/*.check)
	if [ -z "$nofix" ]; then
		ok "every FAIL in tests/golden/*.check has a fix: line"
	else
		bad "a FAIL without a fix: line:"
		echo "$nofix"
	fi
fi

# The README's broken-host example is this very output, with the test's home and profile path
# as a user would see them.
if [ "${UPDATE:-}" != 1 ]; then
	if diff -u <(sed -n '/^\$ qemu-vm check desktop$/,/^```$/p' README.md | sed '1d;$d') \
		<(sed -e '/^exit [0-9]*$/d' -e 's|@T@/home|/home/alice|g' -e 's|run profiles/desktop.ini|run desktop|' \
			tests/golden/desktop@broken.check); then
		ok "README's check example is desktop@broken.check"
	else
		bad "README's check example differs from desktop@broken.check"
	fi
fi

summary golden
