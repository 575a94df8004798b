#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Prints how many processors the guest kernel brought up; the host-side case
# compares it with --cpus.
set -eu
echo "stdvmm-test: cpus=$(grep -c '^processor' /proc/cpuinfo)"
