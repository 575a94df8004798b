#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The board's disk of an seL4 build and the writable image files packed into it.

On seL4 a VM's writable disk is a region of the board's one disk (QEMU's
virtio-blk-device), served by the block server PD. A description's writable
image file (disks: [{path: db.img}]) is given a region by gen-vm-table.py,
which writes the layout to BUILD/gen/board-disk.json; this tool copies the
files into a raw image for QEMU before a run, and their regions back into
the files after it:

  tools/sel4/board-disk.py pack   LAYOUT IMAGE [--size SIZE]
  tools/sel4/board-disk.py unpack LAYOUT IMAGE

pack makes IMAGE (at least the layout's size, or SIZE bytes) with zeros
outside the files. unpack replaces each file with its region, whole files
only (a file's region is rounded up to 512 bytes; the tail is not copied).
"""
import argparse
import json
import os
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        layout = json.load(f)
    for e in layout.get("files", []):
        if not (isinstance(e.get("offset"), int) and isinstance(e.get("size"), int)
                and e["offset"] >= 0 and e["size"] > 0 and isinstance(e.get("path"), str)):
            sys.exit(f"board-disk: {path}: a malformed entry {e!r}")
    return layout


def pack(layout, image, size):
    need = max([layout["size"], size] + [e["offset"] + e["size"] for e in layout["files"]])
    with open(image, "wb") as out:
        out.truncate(need)
        for e in layout["files"]:
            with open(e["path"], "rb") as f:
                data = f.read()
            if len(data) != e["size"]:
                sys.exit(f"board-disk: {e['path']} is {len(data)} bytes now, {e['size']} when "
                         "the system was built; build again")
            out.seek(e["offset"])
            out.write(data)
            print(f"board-disk: {e['vm']}: {e['path']} at {e['offset']} ({e['size']} bytes)")


def unpack(layout, image):
    with open(image, "rb") as f:
        for e in layout["files"]:
            f.seek(e["offset"])
            data = f.read(e["size"])
            if len(data) != e["size"]:
                sys.exit(f"board-disk: {image} ends inside {e['vm']}'s region")
            tmp = e["path"] + ".board-disk.tmp"
            with open(tmp, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, e["path"])
            print(f"board-disk: {e['vm']}: {e['path']} from {e['offset']} ({e['size']} bytes)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=("pack", "unpack"))
    ap.add_argument("layout", help="BUILD/gen/board-disk.json")
    ap.add_argument("image", help="the board's disk (a raw image)")
    ap.add_argument("--size", type=int, default=0, help="pack: the image's least size, bytes")
    args = ap.parse_args()
    layout = load(args.layout)
    if args.action == "pack":
        pack(layout, args.image, args.size)
    else:
        unpack(layout, args.image)


if __name__ == "__main__":
    main()
