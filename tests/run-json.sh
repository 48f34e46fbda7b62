#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --json of list, devices, check and show, parsed with python3's json: the documented keys with
# their types, and the same facts as the text output of the same command on the same host.
set -u
cd "$(dirname "$0")/.."
. tests/testlib.sh
B=${B:-build}
require_tools "apt-get install python3" python3
T=$(mktemp -d /tmp/qvm-json.XXXXXX)
trap 'rm -rf "$T"' EXIT
tests/hosts/build-all.sh "$T/hosts" >/dev/null || { echo "FAIL building the fake hosts"; exit 1; }
mkdir -p "$T/home/vm" "$T/config/qemu-vm"
for f in gtx1050.rom ssdt-battery.aml win10.qcow2 minimal.qcow2; do echo "$f" >"$T/home/vm/$f"; done
cp profiles/minimal.ini "$T/config/qemu-vm/"
printf '[vm]\ntitle = With "quotes" \\ and \xc3\xa9\nmemory = 1G\n' >"$T/config/qemu-vm/quoted.ini"
printf '[vm]\nmemory = lots\n' >"$T/config/qemu-vm/broken.ini"
qvm() { # qvm HOST ARGS...
	local host=$1
	shift
	env -i HOME="$T/home" XDG_CONFIG_HOME="$T/config" XDG_RUNTIME_DIR="$T/run" PATH=/usr/bin:/bin \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
		"$B/qemu-vm" --host-root "$T/hosts/$host" --allow-root "$@"
}
# py NAME CODE: runs CODE with the JSON on stdin as j and the text output in file $T/text; CODE
# raises (assert) on a mismatch.
py() {
	local what=$1 code=$2
	if err=$(python3 -c "
import json, sys, shlex
j = json.load(sys.stdin)
text = open('$T/text').read()
$code" 2>&1 <"$T/json"); then ok "$what"; else bad "$what: $err"; fi
}

# list
qvm desktop list --json >"$T/json"
rc=$?
qvm desktop list >"$T/text" 2>/dev/null
[ $rc -eq 0 ] && ok "list --json: exit 0" || bad "list --json: exit $rc"
py "list --json: name, title, path, where, valid, state for each profile, as list says" '
assert [p["name"] for p in j] == ["broken", "minimal", "quoted"], j
for p in j:
    assert set(p) == {"name", "title", "path", "where", "valid", "state", "qemu_pid", "since"}, p
    assert (p["state"], p["qemu_pid"], p["since"]) == ("stopped", None, None), p
    assert p["path"] == p["where"] + "/" + p["name"] + ".ini"
assert [p["valid"] for p in j] == [False, True, True]
assert j[2]["title"] == "With \"quotes\" \\ and \u00e9", j[2]["title"]
assert j[0]["title"] is None
for p in j:
    assert any(l.split()[0] == p["name"] for l in text.splitlines()), p'

# devices, on both fake hosts
for host in desktop laptop; do
	qvm "$host" devices --json >"$T/json"
	rc=$?
	qvm "$host" devices >"$T/text"
	[ $rc -eq 0 ] && ok "devices --json on $host: exit 0" || bad "devices --json on $host: exit $rc"
	py "devices --json on $host: every PCI and USB device of the text, with the documented keys" '
keys = {"address", "iommu_group", "class", "class_name", "vendor", "device", "subsystem_vendor",
        "subsystem_device", "driver", "name", "gpu"}
assert set(j) == {"pci", "usb"}
assert j["pci"] and all(set(d) == keys for d in j["pci"])
for d in j["pci"]:
    line = [l for l in text.splitlines() if l.startswith("  " + d["address"][5:] + " ")]
    assert len(line) == 1, d["address"]
    assert "%s:%s  sub %s:%s" % (d["vendor"], d["device"], d["subsystem_vendor"], d["subsystem_device"]) in line[0]
    assert ("[%s]" % d["class"]) in line[0] and (d["driver"] or "-") in line[0].split()
    assert d["gpu"] == ("<- GPU" in line[0])
    assert d["iommu_group"] is None or isinstance(d["iommu_group"], int)
usb_text = text.split("USB (")[1].splitlines()[1:]
assert len(j["usb"]) == len(usb_text)
for d, l in zip(j["usb"], usb_text):
    assert set(d) == {"port", "vendor", "product", "name"}
    assert l.split()[:2] == [d["port"], d["vendor"] + ":" + d["product"]], (d, l)'
done

# check and show of each example profile on its host
for pair in desktop@desktop laptop@laptop desktop@broken minimal@desktop; do
	prof=${pair%@*} host=${pair#*@}
	qvm "$host" check --json "profiles/$prof.ini" >"$T/json" 2>/dev/null
	rc=$?
	qvm "$host" check "profiles/$prof.ini" >"$T/text" 2>/dev/null
	rc_text=$?
	[ $rc -eq $rc_text ] && ok "check --json $prof on $host: exit $rc, as check" ||
		bad "check --json $prof on $host: exit $rc, text $rc_text"
	py "check --json $prof on $host: the checks, fixes and counts of the text" '
assert set(j) == {"name", "ready", "problems", "warnings", "checks"}
assert j["name"] == "'"$prof"'"
want = []
for l in text.splitlines():
    if l.startswith("      fix: "):
        want[-1][2] = l[len("      fix: "):]
    elif l[:4] in ("ok  ", "warn", "FAIL"):
        want.append([{"ok  ": "ok", "warn": "warn", "FAIL": "fail"}[l[:4]], l[6:], None])
got = [[c["level"], c["what"], c["fix"]] for c in j["checks"]]
assert got == want, (got, want)
assert j["problems"] == sum(c["level"] == "fail" for c in j["checks"])
assert j["warnings"] == sum(c["level"] == "warn" for c in j["checks"])
assert j["ready"] == (j["problems"] == 0)'
	qvm "$host" show --json "profiles/$prof.ini" >"$T/json" 2>/dev/null
	rc=$?
	qvm "$host" show --oneline "profiles/$prof.ini" >"$T/text" 2>/dev/null
	[ $rc -eq 0 ] && ok "show --json $prof on $host: exit 0" || bad "show --json $prof on $host: exit $rc"
	py "show --json $prof on $host: argv is show's, word for word" '
assert set(j) == {"name", "argv"}
assert j["argv"] == shlex.split(text), (j["argv"][:5], shlex.split(text)[:5])'
done

# Usage errors stay usage errors.
qvm desktop show --json --oneline profiles/minimal.ini >/dev/null 2>&1
[ $? -eq 2 ] && ok "show --json --oneline: usage error" || bad "show --json --oneline"
qvm desktop list --json extra >/dev/null 2>&1
[ $? -eq 2 ] && ok "list --json extra: usage error" || bad "list --json extra"
summary run-json
