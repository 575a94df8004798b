#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of virtio_console: which terminal this shell writes to.
echo "stdvmm-test: console=$(readlink /proc/$$/fd/1)"
