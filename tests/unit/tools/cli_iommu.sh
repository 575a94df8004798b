#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# --iommu on the command line: on or off; anything else is bad usage (exit
# 2). On is refused with a datapath the IOMMU does not translate
# (vhost-user, virtio-fs), on every architecture (x86_64 too, whose ACPI
# VIOT describes it), and taken with vhost-net (whose IOTLB stdvmm serves).
# Nothing boots: a good line reaches the missing kernel (exit 1).
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
check 2 "a vhost-user disk has its datapath outside stdvmm" --iommu on \
	--disk "vhost-user=$work/s"
check 2 "a vhost-user network interface has its datapath outside stdvmm" --iommu on \
	--net "vhost-user=$work/n"
check 1 "no-kernel: cannot open" --iommu on --net "tap=t0,vhost=on"
check 1 "no-kernel: cannot open" --iommu on
exit $status
