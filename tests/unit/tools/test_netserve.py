#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""stdvmm-netserve, the driver VM's network server (src/driver_vm), run natively
on the loopback interface with its VMM side played here over Unix sockets
(--unix) instead of vsock: a client NIC's TX and RX channels in the channel's
stream form (docs/backend-channel.md, "Streams"). Loopback hands every frame
the server sends back to it as received, so a frame sent to the client's own
MAC, and a broadcast, must come back whole as answers to posted receive
requests; a frame for another MAC must not. Needs CAP_NET_RAW (root).

  test_netserve.py STDVMM_NETSERVE"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from stream_peer import REQ, Peer, hdr

NETSERVE = None
NET_TX, NET_RX, BLK_READ = 1, 2, 3
OK = 0
TX_PORT, RX_PORT = 7100, 7200  # client 0 (blk_abi.h)
MAC = bytes([0x02, 0x00, 0x5e, 0x10, 0x00, 0x01])
OTHER = bytes([0x02, 0x00, 0x5e, 0x10, 0x00, 0x02])
ETHERTYPE = b"\x88\xb5"  # IEEE local experimental: nothing on loopback answers it


def frame(dst, payload):
    return dst + MAC + ETHERTYPE + payload


class Netserve(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="netserve.")
        self.tx, self.rx = Peer(self.dir, TX_PORT), Peer(self.dir, RX_PORT)
        self.proc = subprocess.Popen([NETSERVE, "--unix", os.path.join(self.dir, "vmm"), "lo"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.tx.accept()
        self.rx.accept()

    def tearDown(self):
        self.proc.kill()
        out = self.proc.communicate()[0].decode(errors="replace")
        if self.proc.returncode not in (-9, None):
            print(out, file=sys.stderr)
        for p in (self.tx, self.rx):
            p.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def send_frame(self, id_, data):
        self.tx.conn.sendall(hdr(REQ, id_, NET_TX, len(data)) + data)
        rid, status, body = self.tx.response()
        self.assertEqual((rid, status, body), (id_, OK, b""))

    def test_frames_come_back_to_their_mac(self):
        for i in range(4):  # room for four frames
            self.rx.conn.sendall(hdr(REQ, 10 + i, NET_RX, 2048))
        mine = frame(MAC, os.urandom(200))  # its first frame also tells the server its MAC
        self.send_frame(1, mine)
        rid, status, got = self.rx.response()
        self.assertEqual((status, got), (OK, mine))
        self.assertEqual(rid, 10)
        bcast = frame(b"\xff" * 6, os.urandom(1000))
        self.send_frame(2, bcast)
        rid, status, got = self.rx.response()
        self.assertEqual((rid, status, got), (11, OK, bcast))
        self.send_frame(3, frame(OTHER, os.urandom(64)))  # another VM's: not delivered here
        self.assertTrue(self.rx.quiet(1.0), "a frame for another MAC reached the client")
        full = frame(MAC, os.urandom(1500))  # 1514 bytes: the largest frame
        self.send_frame(4, full)
        rid, status, got = self.rx.response()
        self.assertEqual((rid, status, got), (12, OK, full))

    def test_no_room_drops_the_frame(self):
        self.send_frame(1, frame(MAC, b"x" * 50))  # nothing posted: dropped, not queued
        self.rx.conn.sendall(hdr(REQ, 7, NET_RX, 2048))
        self.assertTrue(self.rx.quiet(1.0), "a frame that found no room was kept")
        later = frame(MAC, os.urandom(80))
        self.send_frame(2, later)
        self.assertEqual(self.rx.response(), (7, OK, later))

    def test_wrong_requests_end_the_stream(self):
        # A receive request on the TX stream, a disk op, a runt frame: another program.
        for bad in (hdr(REQ, 1, NET_RX, 2048), hdr(REQ, 1, BLK_READ, 512),
                    hdr(REQ, 1, NET_TX, 13) + b"x" * 13):
            self.tx.conn.sendall(bad)
            self.assertEqual(self.tx.conn.recv(1), b"", "the stream stayed open")
            self.tx.conn.close()
            self.tx.accept()  # it dials again


def main():
    global NETSERVE
    NETSERVE = sys.argv.pop(1)
    unittest.main()


if __name__ == "__main__":
    main()
