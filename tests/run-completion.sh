#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shell completion as each shell runs it, from where make install puts it: bash (COMP_WORDS and
# the function, COMPREPLY read back), zsh (the autoloaded function with compadd captured) and fish
# (complete -C). Commands, options, profile names, running VMs, PCI and USB devices of a fake host,
# and vfio-setup's commands, options and choices.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
. tests/testlib.sh
require_tools "apt-get install bash" bash
shells=bash
for sh in zsh fish; do
	if command -v $sh >/dev/null; then shells="$shells $sh"; else echo "note: $sh is not installed: its completion is not tested"; fi
done
T=$(mktemp -d /tmp/qvm-completion.XXXXXX)
trap 'rm -rf "$T"' EXIT
tests/hosts/build-all.sh "$T/hosts" >/dev/null || { echo "FAIL building the fake hosts"; exit 1; }
D=$T/dest
make -s install B="$B" DESTDIR="$D" PREFIX=/usr >"$T/install.log" 2>&1 || { echo "FAIL make install: $(cat "$T/install.log")"; exit 1; }
bashdir=$D$(pkg-config --define-variable=datadir=/usr/share --variable=completionsdir bash-completion 2>/dev/null ||
	echo /usr/share/bash-completion/completions)

# The completion scripts run the programs from PATH: the ones just built.
export PATH=$PWD/$B:/usr/bin:/bin HOME=$T/home XDG_CONFIG_HOME=$T/config XDG_RUNTIME_DIR=$T/run
mkdir -p "$HOME" "$T/config/qemu-vm" "$T/run/qemu-vm/gaming" "$T/run/qemu-vm/stale"
printf '[vm]\nmemory = 1G\n' >"$T/config/qemu-vm/gaming.ini"
printf '[vm]\nmemory = 1G\n' >"$T/config/qemu-vm/office.ini"
# A running VM has its QMP socket; a stale directory without one is not offered.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/run/qemu-vm/gaming/qmp.sock"
H=$T/hosts/desktop
usb_ids=$(ls "$H/sys/bus/usb/devices" >/dev/null 2>&1 && "$B/qemu-vm" --host-root "$H" devices |
	sed -n 's/^  [0-9][0-9.-]* \+\([0-9a-f]\{4\}:[0-9a-f]\{4\}\) .*/\1/p' | head -1)

# bash: what COMPREPLY holds for the words, the last one being the word under the cursor.
bash_complete() { # bash_complete PROGRAM WORD...
	local prog=$1
	shift
	bash --norc --noprofile -c '
		source "$1/$2"
		shift 2
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		# The function complete -p names, called as bash calls it: command, word, previous word.
		fn=$(complete -p "${COMP_WORDS[0]}" | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		$fn "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$bashdir" "$prog" "$prog" "$@" | sort | tr '\n' ' '
}
zsh_complete() { # zsh_complete PROGRAM WORD...
	local prog=$1
	shift
	zsh -f -c '
		fpath=("$1" $fpath)
		autoload -Uz "_$2"
		compadd() { [[ $1 == -a ]] && print -l -- ${(P)2} }
		_files() { print -- "(files)" }
		words=("${@[3,-1]}")
		CURRENT=${#words}
		"_$2"' _ "$D/usr/share/zsh/site-functions" "$prog" "$prog" "$@" | sort | tr '\n' ' '
}
fish_complete() { # fish_complete COMMANDLINE: what fish completes at its end
	fish --no-config -c 'set fish_complete_path $argv[1] $fish_complete_path; complete -C $argv[2]' \
		"$D/usr/share/fish/vendor_completions.d" "$1" | cut -f1 | sort | tr '\n' ' '
}
expect() { # expect WHAT GOT WANT
	if [ "$2" = "$3" ]; then ok "$1: $3"; else bad "$1: got '$2', want '$3'"; fi
}

for sh in bash zsh; do
	[[ " $shells " == *" $sh "* ]] || continue
	c=${sh}_complete
	expect "$sh: qemu-vm d" "$($c qemu-vm d)" "desktop devices "
	expect "$sh: qemu-vm (all commands)" "$($c qemu-vm '' | wc -w)" "12"
	expect "$sh: qemu-vm --al" "$($c qemu-vm --al)" "--allow-root "
	expect "$sh: qemu-vm run" "$($c qemu-vm run '')" "gaming office "
	expect "$sh: qemu-vm check o" "$($c qemu-vm check o)" "office "
	expect "$sh: qemu-vm show --" "$($c qemu-vm show --)" "--help --json --maintenance --oneline "
	expect "$sh: qemu-vm stop" "$($c qemu-vm stop '')" "gaming "
	expect "$sh: qemu-vm viewer (running VMs)" "$($c qemu-vm viewer '')" "gaming "
	expect "$sh: qemu-vm stop --timeout 5" "$($c qemu-vm stop --timeout 5 '')" "gaming "
	expect "$sh: qemu-vm usb" "$($c qemu-vm usb '')" "attach detach "
	expect "$sh: qemu-vm usb attach" "$($c qemu-vm usb attach '')" "gaming "
	expect "$sh: qemu-vm help s" "$($c qemu-vm help s)" "show stop "
	expect "$sh: vfio-setup" "$($c vfio-setup '')" "bind help install open scan status unbind uninstall "
	expect "$sh: vfio-setup scan --" "$($c vfio-setup scan --)" "--help --json --root "
	expect "$sh: vfio-setup install --bootloader" "$($c vfio-setup install --bootloader '')" \
		"grub kernel-install loader-entries "
	expect "$sh: vfio-setup install --profile" "$($c vfio-setup install --profile '')" "gaming office "
	expect "$sh: qemu-vm new --gpu (the fake host's GPU)" \
		"$($c qemu-vm --host-root "$H" new --gpu 01 | grep -o '01:00.0')" "01:00.0"
	expect "$sh: qemu-vm new --gpu 00:1f (the five functions of the fake host's slot 00:1f)" \
		"$($c qemu-vm --host-root "$H" new --gpu 00:1f | wc -w)" "5"
	expect "$sh: vfio-setup install --device (the fake host's GPU)" \
		"$($c vfio-setup install --root "$H" --device 01 | grep -o '01:00.0')" "01:00.0"
	# A USB device of the fake host, by vendor:product, as bash leaves it after its ':' split.
	got=$($c qemu-vm --host-root "$H" usb attach gaming "${usb_ids%%:*}")
	if [ -n "$usb_ids" ] && grep -qw -- "${usb_ids}" <<<"$got"; then
		ok "$sh: usb attach offers the host's $usb_ids"
	else
		bad "$sh: usb attach on $H: '$got' lacks '$usb_ids'"
	fi
done
[[ " $shells " != *" zsh "* ]] ||
	expect "zsh: qemu-vm --host-root (file names)" "$(zsh_complete qemu-vm --host-root '')" "(files) "

# bash splits 046d:c52b at ':' and replaces only what follows it.
expect "bash: after '${usb_ids%%:*}:' only the product is offered" \
	"$(bash --norc -c 'source "$1/qemu-vm"; COMP_WORDS=(qemu-vm --host-root "$2" usb attach gaming "$3"); COMP_CWORD=6; _qemu_vm_tools qemu-vm "$3" gaming; printf "%s\n" "${COMPREPLY[@]}"' _ "$bashdir" "$H" "$usb_ids" | head -1)" \
	"${usb_ids#*:}"

if [[ " $shells " == *" fish "* ]]; then
	expect "fish: qemu-vm r" "$(fish_complete 'qemu-vm r')" "run "
	expect "fish: qemu-vm stop " "$(fish_complete 'qemu-vm stop ')" "gaming "
	expect "fish: qemu-vm show --o" "$(fish_complete 'qemu-vm show --o')" "--oneline "
	expect "fish: qemu-vm viewer " "$(fish_complete 'qemu-vm viewer ')" "gaming "
	expect "fish: qemu-vm desktop " "$(fish_complete 'qemu-vm desktop ')" "gaming office "
	expect "fish: vfio-setup un" "$(fish_complete 'vfio-setup un')" "unbind uninstall "
	expect "fish: vfio-setup install --initramfs d" "$(fish_complete 'vfio-setup install --initramfs d')" "dracut "
fi

summary run-completion
