#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""stdvmm-blkserve, the driver VM's block server (src/driver_vm), run natively
with its VMM side played here over a Unix socket (--unix) instead of vsock:
the channel's stream form (docs/backend-channel.md, "Streams") in both
directions, with the disk a plain file and with a real qemu-storage-daemon
vhost-user-blk export behind it (the server as its vhost-user frontend).
The image file is read back to check that what was written is where the
request said.

  test_blkserve.py STDVMM_BLKSERVE"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from stream_peer import REQ, Peer, hdr

BLKSERVE = None
QSD = shutil.which("qemu-storage-daemon") or "/usr/bin/qemu-storage-daemon"
READ, WRITE, FLUSH, GET_ID = 3, 4, 5, 6
OK, IOERR, UNSUPP = 0, 1, 2
PORT = 7001
IMAGE_MIB = 8


class Blkserve(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="blkserve")
        self.image = os.path.join(self.dir, "disk.img")
        with open(self.image, "wb") as f:
            f.truncate(IMAGE_MIB << 20)
        self.procs = []
        self.vmm = Peer(self.dir, PORT)

    def tearDown(self):
        for p in self.procs:
            p.kill()
            p.wait()
            p.stdout.close()
        self.vmm.close()
        shutil.rmtree(self.dir)

    def start(self, *args):
        p = subprocess.Popen([BLKSERVE, "--unix", os.path.join(self.dir, "vmm"), *args],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.procs.append(p)
        self.vmm.accept()
        return p

    def round_trip(self):
        pattern = bytes((i * 7 + 3) & 0xff for i in range(65536))
        status, _ = self.vmm.request(1, WRITE, len(pattern), 16, pattern)
        self.assertEqual(status, OK)
        status, data = self.vmm.request(2, READ, len(pattern), 16)
        self.assertEqual(status, OK)
        self.assertEqual(data, pattern)
        self.assertEqual(self.vmm.request(3, FLUSH, 0)[0], OK)
        # Past the disk's end: an error, not a short answer.
        status, data = self.vmm.request(4, READ, 4096, (IMAGE_MIB << 11) - 4)
        self.assertEqual((status, data), (IOERR, b""))
        # What the VMM answers itself never reaches the server: refused as unsupported.
        self.assertEqual(self.vmm.request(5, GET_ID, 20)[0], UNSUPP)
        with open(self.image, "rb") as f:
            f.seek(16 * 512)
            self.assertEqual(f.read(len(pattern)), pattern)
            f.seek(0)
            self.assertEqual(f.read(16 * 512), bytes(16 * 512))

    def test_file(self):
        self.start(self.image)
        self.round_trip()

    def test_qemu_storage_daemon(self):
        # Installed with qemu-system-common (tools/install-deps.sh): no skipping it.
        self.assertTrue(os.access(QSD, os.X_OK), f"{QSD}: qemu-system-common is not installed")
        sock = os.path.join(self.dir, "qsd.sock")
        qsd = subprocess.Popen(
            [QSD, "--blockdev", f"driver=file,node-name=f0,filename={self.image}",
             "--export", f"type=vhost-user-blk,id=e0,node-name=f0,addr.type=unix,"
             f"addr.path={sock},writable=on"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.procs.append(qsd)
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        p = self.start("--vhost-user", sock)
        self.round_trip()
        line = p.stdout.readline()
        self.assertIn("vhost-user-blk backend", line)
        qsd.kill()
        qsd.wait()
        qsd.stdout.close()
        self.procs.remove(qsd)

    def test_broken_stream_ends_the_connection(self):
        p = self.start(self.image)
        self.vmm.conn.sendall(hdr(0x12345678, 1, READ, 512))
        self.assertEqual(self.vmm.conn.recv(1), b"")  # closed, nothing answered
        self.vmm.conn.close()
        self.vmm.accept()  # and it dials again
        self.assertEqual(self.vmm.request(1, FLUSH, 0)[0], OK)
        self.assertIsNone(p.poll())

    def test_vmm_gone_mid_answer(self):
        # The VMM resets the link when a client VM stops (vmm_drvback.c): the
        # answers then in flight meet a closed socket. The server must dial
        # again, not die of SIGPIPE and leave every other client unserved.
        p = self.start(self.image)
        for i in range(4):
            self.vmm.conn.sendall(b"".join(hdr(REQ, 10 + k, READ, 65536, 128 * k)
                                           for k in range(8)))
            self.vmm.conn.close()
            self.vmm.accept()
            self.assertIsNone(p.poll(), f"the server died after reset {i + 1}")
        self.round_trip()
        self.assertIsNone(p.poll())


if __name__ == "__main__":
    BLKSERVE = sys.argv.pop(1)
    unittest.main()
