#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# stdvmm run's arch options on the command line: a word outside the set is
# bad usage (exit 2) naming the words there are; a known word for what this
# architecture cannot do is an error (exit 1) before any VM exists.
#
#   cli_arch_options.sh STDVMM ARCH WORKDIR
set -eu
stdvmm=$1 arch=$2 work=$3
mkdir -p "$work"
kernel=$work/k
echo "not a kernel" >"$kernel"
. "$(dirname "$0")/cli_check.sh"
check 2 "--kernel-format zImage: expected auto, image or raw" --kernel-format zImage
check 2 "--irqchip gicv3-its: expected auto, gicv2 or gicv3" --irqchip gicv3-its
for f in pmu its sve pauth mte; do
	check 2 "--$f yes: expected auto, on or off" --$f yes
done
if [ "$arch" = x86_64 ]; then
	check 1 "x86_64 boots bzImages only" --kernel-format raw
	check 1 "not a kernel image stdvmm can boot" --kernel-format auto --pmu off
fi
exit $status
