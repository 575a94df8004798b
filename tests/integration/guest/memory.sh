#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Prints MemTotal in KiB; the host-side case checks it against --memory.
set -eu
echo "stdvmm-test: memtotal_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
