# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for qemu-vm: the words come from qemu-vm __complete, which reads the command table
# and the host.
complete -c qemu-vm -f -a '(qemu-vm __complete (commandline -opc)[2..-1] (commandline -ct))'
