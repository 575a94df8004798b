# SPDX-License-Identifier: BSD-2-Clause
"""The VMM's side of a driver VM program's connection (docs/backend-channel.md,
"Streams"), played by the tests of stdvmm-blkserve and stdvmm-netserve over a
Unix socket (their --unix PREFIX): listens at PREFIX<port>, where the program
dials, and speaks the channel's stream form."""
import os
import select
import socket
import struct

REQ, RSP = 0x51524473, 0x53524473


def hdr(magic, id_, code, length, arg=0):
    return struct.pack("<IIIIQ", magic, id_, code, length, arg)


class Peer:
    def __init__(self, d, port):
        self.path = os.path.join(d, f"vmm{port}")
        self.conn = None
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1)
        self.listener.settimeout(20)

    def accept(self):
        self.conn, _ = self.listener.accept()
        self.conn.settimeout(20)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            part = self.conn.recv(n - len(buf))
            if not part:
                raise EOFError("the program closed the connection")
            buf += part
        return buf

    def response(self):
        """(id, status, answer bytes) of the next response."""
        magic, id_, status, length, _ = struct.unpack("<IIIIQ", self.recv_exact(24))
        assert magic == RSP, hex(magic)
        return id_, status, self.recv_exact(length) if length else b""

    def request(self, id_, op, length, arg=0, payload=b""):
        """Sends a request and returns its answer: (status, bytes)."""
        self.conn.sendall(hdr(REQ, id_, op, length, arg) + payload)
        rid, status, body = self.response()
        assert rid == id_, rid
        return status, body

    def quiet(self, seconds):
        """Nothing arrives for this long."""
        r, _, _ = select.select([self.conn], [], [], seconds)
        return not r

    def close(self):
        for s in (self.conn, self.listener):
            if s is not None:
                s.close()
