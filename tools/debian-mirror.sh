#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Prints the Debian mirror(s) this machine's own apt sources use for SUITE, one a line, first
# the one-line format (sources.list, *.list), then deb822 (*.sources). Nothing when there is none.
#
#   tools/debian-mirror.sh SUITE
#
# Used by the lab's image (lab/run.sh) and the newcomer's chroot (tests/newcomer.sh).
suite=${1:?usage: debian-mirror.sh SUITE}
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -r "$f" ] || continue
	awk -v suite="$suite" '$1 == "deb" {
		i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++
		if ($(i + 1) == suite) { print $i; exit }
	}' "$f"
done
for f in /etc/apt/sources.list.d/*.sources; do
	[ -r "$f" ] || continue
	awk -v suite="$suite" 'BEGIN { RS = ""; FS = "\n" } {
		types = uris = suites = ""; enabled = 1
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^Types:/) types = $i
			else if ($i ~ /^URIs:/) uris = $i
			else if ($i ~ /^Suites:/) suites = $i
			else if ($i ~ /^Enabled: *no/) enabled = 0
		}
		if (!enabled || types !~ /[ :]deb( |$)/ || (suites " ") !~ (" " suite " ")) next
		sub(/^URIs: */, "", uris); split(uris, u, " "); print u[1]; exit
	}' "$f"
done
