# SPDX-License-Identifier: GPL-2.0-or-later
"""A tiny QMP client (JSON over a unix socket) for the real-QEMU tests; stdlib only."""

import json
import os
import socket
import time


class QMPError(Exception):
    """QEMU answered a command with an error object, or the connection broke."""


class QMP:
    def __init__(self, path, proc=None, timeout=15.0):
        """Connects to QEMU's QMP server socket at PATH, waiting up to TIMEOUT seconds for
        it to appear (QEMU creates it during start-up). PROC, a Popen, ends the wait early
        when QEMU exits instead."""
        deadline = time.monotonic() + timeout
        while True:
            if proc is not None and proc.poll() is not None:
                raise QMPError("QEMU exited with status %d before QMP was up" % proc.returncode)
            if os.path.exists(path):
                try:
                    self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    self.sock.settimeout(timeout)
                    self.sock.connect(path)
                    break
                except OSError:
                    self.sock.close()
            if time.monotonic() > deadline:
                raise QMPError("no QMP socket at %s after %.0f s" % (path, timeout))
            time.sleep(0.05)
        self.file = self.sock.makefile("rw", encoding="utf-8", newline="\n")
        self.events = []
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPError("not a QMP greeting: %r" % greeting)
        self.version = greeting["QMP"]["version"]["qemu"]
        self.cmd("qmp_capabilities")

    def _read(self):
        try:
            line = self.file.readline()
        except OSError as e:
            raise QMPError("reading from QMP: %s" % e) from e
        if not line:
            raise QMPError("QEMU closed the QMP connection")
        return json.loads(line)

    def cmd(self, name, **arguments):
        """Runs one command and returns its "return" value; events that arrive meanwhile
        are kept in self.events."""
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        try:
            self.file.write(json.dumps(msg) + "\n")
            self.file.flush()
        except OSError as e:
            raise QMPError("%s: writing to QMP: %s" % (name, e)) from e
        while True:
            r = self._read()
            if "event" in r:
                self.events.append(r)
            elif "error" in r:
                raise QMPError("%s: %s" % (name, r["error"].get("desc", r["error"])))
            elif "return" in r:
                return r["return"]

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass
