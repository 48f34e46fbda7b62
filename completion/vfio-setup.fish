# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for vfio-setup: the words come from vfio-setup __complete, which reads the command table
# and the host.
complete -c vfio-setup -f -a '(vfio-setup __complete (commandline -opc)[2..-1] (commandline -ct))'
