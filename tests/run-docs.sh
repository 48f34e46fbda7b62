#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages and what make install puts where: each page formats without a groff warning,
# names every command and option the programs' help names, every key the parser takes, and every
# exit status; make install DESTDIR=… puts the pages and the three shells' completions in place
# and make uninstall takes them away again.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
. tests/testlib.sh
require_tools "apt-get install groff-base man-db bsdextrautils" groff man col
T=$(mktemp -d /tmp/qvm-docs.XXXXXX)
trap 'rm -rf "$T"' EXIT
M=$B/man

for page in qemu-vm.1 qemu-vm.ini.5 vfio-setup.8; do
	if [ ! -s "$M/$page" ]; then
		bad "$M/$page was not built"
		continue
	fi
	# -k: the page is UTF-8 (the schema's texts hold ×), which man-db also runs through preconv.
	warn=$(groff -k -man -ww -z "$M/$page" 2>&1)
	[ -z "$warn" ] && ok "$page: groff -k -man -ww is silent" || bad "$page: $warn"
	grep -q '^\.TH' "$M/$page" && ok "$page: a man page" || bad "$page: no .TH"
done

# The text as a reader sees it, one line per paragraph.
text() { MANWIDTH=1000 man -l "$M/$1" 2>/dev/null | col -b; }
q1=$(text qemu-vm.1)
v8=$(text vfio-setup.8)
ini=$(text qemu-vm.ini.5)

# Every command and option of the help is in the page, and every exit status.
cmds=$("$B/qemu-vm" help | sed -n 's/^  \([a-z]\+\) .*/\1/p')
for c in $cmds; do
	grep -Eq "^ +$c( |$)" <<<"$q1" || bad "qemu-vm.1 has no entry for '$c'"
	for o in $("$B/qemu-vm" "$c" --help | sed -n 's/^  \(--[a-z-]\+\).*/\1/p'); do
		grep -q -- "$o" <<<"$q1" || bad "qemu-vm.1 does not name '$c $o'"
	done
done
for o in $("$B/qemu-vm" --help | grep -o -- '--[a-z-]\+' | sort -u); do
	grep -q -- "$o" <<<"$q1" || bad "qemu-vm.1 does not name the global option '$o'"
done
[ "$fail" -eq 0 ] && ok "qemu-vm.1 names every command and option of qemu-vm help ($(wc -w <<<"$cmds") commands)"
vcmds=$("$B/vfio-setup" help | sed -n 's/^  vfio-setup \([a-z]\+\) .*/\1/p')
before=$fail
for c in $vcmds; do
	grep -Eq "^ +$c( |$)" <<<"$v8" || bad "vfio-setup.8 has no entry for '$c'"
	[ "$c" = help ] && continue
	for o in $("$B/vfio-setup" "$c" --help | sed -n 's/^  \(--[a-z-]\+\).*/\1/p'); do
		grep -q -- "$o" <<<"$v8" || bad "vfio-setup.8 does not name '$c $o'"
	done
done
[ "$fail" -eq "$before" ] && ok "vfio-setup.8 names every command and option of vfio-setup help"
exit_statuses() { sed -n '/^EXIT STATUS/,/^[A-Z]/p' <<<"$1" | grep -Eo '^ +[0-9]+$' | tr -d ' ' | tr '\n' ' '; }
[ "$(exit_statuses "$q1")" = "0 1 2 " ] && ok "qemu-vm.1: exit statuses 0 1 2" ||
	bad "qemu-vm.1 exit statuses: $(exit_statuses "$q1")"
[ "$(exit_statuses "$v8")" = "0 1 2 3 " ] && ok "vfio-setup.8: exit statuses 0 1 2 3" ||
	bad "vfio-setup.8 exit statuses: $(exit_statuses "$v8")"

# The key reference is the parser's table: every key a profile may hold is in the page, each
# section as its heading.
before=$fail
keys=$(grep -c '^\*[^*]*\* = ' "$M/qemu-vm.ini.5.scd")
for s in vm pci disk looking-glass scream audio usb input network acpi fw_cfg qemu; do
	grep -Eq "^ +\[$s( NAME)?\]" <<<"$ini" || bad "qemu-vm.ini.5: no section [$s]"
done
for k in title memory pin hugepages host sub-ids root-port skip-functions path bus resolution backend \
	server device port missing keyboard toggle pointer virtio ps2 vendor-id device-id mode mac table arg; do
	grep -Eq "^ +(• +)?$k( |$)" <<<"$ini" || bad "qemu-vm.ini.5: no key '$k'"
done
grep -q "%%KEY-REFERENCE%%" "$M/qemu-vm.ini.5" && bad "qemu-vm.ini.5: the reference was not filled in"
[ "$fail" -eq "$before" ] && ok "qemu-vm.ini.5: every section and key of the parser ($keys keys)"

# make install / uninstall under DESTDIR.
D=$T/dest
if make -s install B="$B" DESTDIR="$D" PREFIX=/usr >"$T/install.log" 2>&1; then
	ok "make install DESTDIR=… PREFIX=/usr"
else
	bad "make install: $(cat "$T/install.log")"
fi
bashdir=$(pkg-config --define-variable=datadir=/usr/share --variable=completionsdir bash-completion 2>/dev/null)
for f in usr/bin/qemu-vm usr/bin/vfio-setup usr/share/man/man1/qemu-vm.1 usr/share/man/man5/qemu-vm.ini.5 \
	usr/share/man/man8/vfio-setup.8 "${bashdir:-/usr/share/bash-completion/completions}/qemu-vm" \
	"${bashdir:-/usr/share/bash-completion/completions}/vfio-setup" usr/share/zsh/site-functions/_qemu-vm \
	usr/share/zsh/site-functions/_vfio-setup usr/share/fish/vendor_completions.d/qemu-vm.fish \
	usr/share/fish/vendor_completions.d/vfio-setup.fish; do
	[ -f "$D/${f#/}" ] && ok "installed: /${f#/}" || bad "not installed: /${f#/}"
done
MANPATH=$D/usr/share/man man -w qemu-vm.ini >/dev/null 2>&1 && ok "man finds qemu-vm.ini(5) under the prefix" ||
	bad "man -w qemu-vm.ini under $D"
make -s uninstall B="$B" DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
left=$(find "$D" -type f)
[ -z "$left" ] && ok "make uninstall removes every file it installed" || bad "left after uninstall: $left"

summary run-docs
