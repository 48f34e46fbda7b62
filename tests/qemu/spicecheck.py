# SPDX-License-Identifier: GPL-2.0-or-later
"""What a running VM's SPICE server says: query-spice and the vdagent chardev over QMP, and a
SPICE link handshake on its socket. Prints one line per fact; exit 1 on the first wrong one."""

import struct
import socket
import sys

from qmp import QMP


def link(path):
    """A SPICE client's first message on the main channel; the server's reply header."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(15)
    s.connect(path)
    # SpiceLinkMess: connection id 0, channel type 1 (main), channel id 0, no capabilities;
    # its caps offset is the size of those fields (18).
    body = struct.pack("<IBBIII", 0, 1, 0, 0, 0, 18)
    # SpiceLinkHeader: magic "REDQ", protocol 2.2, the body's size.
    s.sendall(b"REDQ" + struct.pack("<III", 2, 2, len(body)) + body)
    reply = b""
    while len(reply) < 16:
        chunk = s.recv(16 - len(reply))
        if not chunk:
            break
        reply += chunk
    s.close()
    return reply


def main():
    qmp_path, spice_path = sys.argv[1], sys.argv[2]
    q = QMP(qmp_path, timeout=15)
    sp = q.cmd("query-spice")
    if not sp.get("enabled") or sp.get("host") != spice_path or sp.get("auth") != "none":
        print("query-spice: %r" % sp)
        return 1
    print("query-spice: enabled on %s, auth none" % sp["host"])
    chardevs = {c["label"]: c["filename"] for c in q.cmd("query-chardev")}
    if chardevs.get("vdagent") != "spicevmc":
        print("query-chardev: %r" % chardevs)
        return 1
    print("query-chardev: vdagent is spicevmc")
    ports = [p for p in q.cmd("qom-list", path="/machine/peripheral-anon") if p["type"].startswith("child<virtserialport")]
    name = q.cmd("qom-get", path="/machine/peripheral-anon/" + ports[0]["name"], property="name") if ports else None
    if name != "com.redhat.spice.0":
        print("virtserialport: %r" % name)
        return 1
    print("virtserialport: com.redhat.spice.0")
    reply = link(spice_path)
    if len(reply) < 16 or reply[:4] != b"REDQ" or struct.unpack("<I", reply[4:8])[0] != 2:
        print("SPICE link reply: %r" % reply)
        return 1
    print("SPICE link reply: REDQ, protocol %d" % struct.unpack("<I", reply[4:8])[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
