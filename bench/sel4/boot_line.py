#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Start a command (a QEMU), copy its output with seconds since the start,
and stop it at the first line matching REGEX; exit 0 and print
"MATCH <seconds>" then, 1 on timeout or exit.

    boot_line.py REGEX TIMEOUT -- COMMAND...
"""
import os
import re
import select
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    rx, timeout, cmd = re.compile(sys.argv[1]), float(sys.argv[2]), sys.argv[4:]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    buf, rc = b"", 1
    try:
        while rc and time.monotonic() - t0 < timeout:
            ready, _, _ = select.select([p.stdout], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").rstrip("\r")
                now = time.monotonic() - t0
                print(f"[{now:7.2f}] {line}", flush=True)
                if rx.search(line):
                    print(f"MATCH {now:.2f}", flush=True)
                    rc = 0
                    break
    finally:
        p.kill()
        p.wait()
    sys.exit(rc)


if __name__ == "__main__":
    main()
