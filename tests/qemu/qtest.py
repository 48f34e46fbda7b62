# SPDX-License-Identifier: GPL-2.0-or-later
"""A qtest client (QEMU's line-based test protocol) that reads fw_cfg files through the I/O ports.

QEMU started with `-qtest unix:PATH` connects to PATH as a client, so the test listens first.
Each command line gets one answer line, "OK [value]" or "FAIL reason"; answers come in order,
so commands can be sent in batches. Debian's QEMU 7.2 has no qtest accelerator module
(`-accel qtest` is refused), so the machine is also started with -S: no vCPU ever runs, and
nothing but this client touches the fw_cfg selector.
"""

import os
import socket
import struct
import time


class QTestError(Exception):
    """QEMU answered FAIL, closed the connection, or never connected."""


class QTestServer:
    """The listening end; accept() returns a QTest once QEMU has connected."""

    def __init__(self, path):
        if os.path.exists(path):
            os.unlink(path)
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)

    def accept(self, proc, timeout=15.0):
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.1)
        while True:
            try:
                conn, _ = self.sock.accept()
                break
            except socket.timeout:
                if proc.poll() is not None:
                    raise QTestError("QEMU exited with status %d before connecting to qtest"
                                     % proc.returncode)
                if time.monotonic() > deadline:
                    raise QTestError("QEMU did not connect to %s within %.0f s" % (self.path, timeout))
        conn.settimeout(timeout)
        return QTest(conn)

    def close(self):
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


class QTest:
    def __init__(self, conn):
        self.conn = conn
        self.file = conn.makefile("rw", encoding="ascii", newline="\n")

    def batch(self, lines):
        """Sends LINES and returns the value part of each answer ('' for a bare OK)."""
        self.file.write("".join(line + "\n" for line in lines))
        self.file.flush()
        out = []
        for line in lines:
            r = self.file.readline()
            if not r:
                raise QTestError("QEMU closed the qtest connection at %r" % line)
            r = r.rstrip("\n")
            while r.startswith("IRQ "):  # only sent after irq_intercept_*; not used here
                r = self.file.readline().rstrip("\n")
            if r != "OK" and not r.startswith("OK "):
                raise QTestError("%r: %s" % (line, r))
            out.append(r[3:])
        return out

    def cmd(self, line):
        return self.batch([line])[0]

    def close(self):
        try:
            self.file.close()
            self.conn.close()
        except OSError:
            pass


# fw_cfg on x86 (QEMU docs/specs/fw_cfg.rst): a 16-bit selector register at I/O port 0x510
# and an 8-bit data register at 0x511; each read of the data port returns the next byte of
# the selected item. Item 0x0019 is the file directory: a big-endian u32 count, then one
# 64-byte entry per file: u32 size (BE), u16 selector key (BE), u16 reserved, char name[56].
FW_CFG_SELECTOR = 0x510
FW_CFG_DATA = 0x511
FW_CFG_SIGNATURE = 0x0000
FW_CFG_FILE_DIR = 0x0019


class FwCfg:
    def __init__(self, qtest):
        self.qt = qtest

    def select(self, key):
        self.qt.cmd("outw 0x%x 0x%x" % (FW_CFG_SELECTOR, key))

    def read(self, n, chunk=2048):
        """The next N bytes of the selected item, batched so QEMU's answers never pile up."""
        out = bytearray()
        while len(out) < n:
            k = min(chunk, n - len(out))
            for v in self.qt.batch(["inb 0x%x" % FW_CFG_DATA] * k):
                out.append(int(v, 16))
        return bytes(out)

    def item(self, key, n):
        self.select(key)
        return self.read(n)

    def files(self):
        """The file directory as {name: (size, key)}."""
        self.select(FW_CFG_FILE_DIR)
        (count,) = struct.unpack(">I", self.read(4))
        raw = self.read(64 * count)
        files = {}
        for i in range(count):
            size, key, _reserved, name = struct.unpack(">IHH56s", raw[64 * i:64 * (i + 1)])
            files[name.split(b"\0", 1)[0].decode("ascii", "replace")] = (size, key)
        return files

    def file(self, name):
        """The content of the fw_cfg file NAME, or None when the directory does not list it."""
        entry = self.files().get(name)
        if entry is None:
            return None
        return self.item(entry[1], entry[0])
