#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of custom_vmm: what the example's disk holds, and its serial.
set -u
echo "stdvmm-test: disk_head=$(head -n 1 /dev/vda)"
echo "stdvmm-test: read_sha256=$(sha256sum /dev/vda | cut -d' ' -f1)"
echo "stdvmm-test: serial=$(cat /sys/block/vda/serial 2>/dev/null)"
