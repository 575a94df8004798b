#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# --iommu on the command line: on or off; anything else is bad usage (exit
# 2). On is taken with vhost-net (whose IOTLB stdvmm serves) and with
# vhost-user devices, whose backend must then keep an IOTLB (checked once
# connected: a missing backend is the error here, exit 1; one without
# IOTLB support is refused, the vhost_user_iommu
# integration case). Nothing boots: a good line reaches the missing kernel (exit 1).
#
#   cli_iommu.sh STDVMM ARCH WORKDIR
set -eu
stdvmm=$1 work=$3
mkdir -p "$work"
kernel=$work/no-kernel
# shellcheck source=tests/unit/tools/cli_check.sh
. "${0%/*}/cli_check.sh"
check 2 "--iommu maybe: expected on or off" --iommu maybe
check 1 "no-kernel: cannot open" --iommu off
check 1 "no usable vhost-user backend at $work/s" --iommu on --disk "vhost-user=$work/s"
check 1 "no usable vhost-user backend at $work/n" --iommu on --net "vhost-user=$work/n"
check 1 "no-kernel: cannot open" --iommu on --net "tap=t0,vhost=on"
check 1 "no-kernel: cannot open" --iommu on
exit $status
