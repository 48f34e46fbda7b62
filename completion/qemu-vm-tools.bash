# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for qemu-vm and vfio-setup (installed under both names): the words come from
# the program's own __complete, which reads its command table and the host; this only hands it
# the words and takes the answer.
_qemu_vm_tools() {
	local words cword cur pre IFS=$'\n'
	if declare -F _get_comp_words_by_ref >/dev/null; then
		_get_comp_words_by_ref -n : words cword
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	# shellcheck disable=SC2207
	COMPREPLY=($("$1" __complete "${words[@]:1:cword}" 2>/dev/null))
	# bash replaces only what follows the last ':' of the word (01:00.0, 046d:c52b).
	cur=${words[cword]}
	if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
		pre=${cur%"${cur##*:}"}
		COMPREPLY=("${COMPREPLY[@]#"$pre"}")
	fi
}
complete -o default -F _qemu_vm_tools qemu-vm vfio-setup
