#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The generated device tree read back by an independent implementation: dtc
# (Debian package device-tree-compiler) decompiles it, must not warn, and
# must show the nodes and properties Linux looks for.
#
#   dtb_dtc_check.sh DTB_DUMP_PROGRAM WORKDIR
set -eu
dump=$1 work=$2
command -v dtc >/dev/null || { echo "dtc not found (Debian package device-tree-compiler)"; exit 77; }
mkdir -p "$work"
status=0
for v in v3 v2 v3-its-pmu; do
	"$dump" "$work/$v.dtb" "$v"
	dtc -I dtb -O dts -o "$work/$v.dts" "$work/$v.dtb" 2>"$work/$v.warnings"
	if [ -s "$work/$v.warnings" ]; then
		echo "dtc warns about the $v tree:"
		cat "$work/$v.warnings"
		status=1
	fi
	gic=arm,gic-v3
	[ $v = v2 ] && gic=arm,gic-400
	extra='#address-cells = <0x00>;'
	[ $v = v3-its-pmu ] && extra='msi-controller@8080000 {
compatible = "arm,gic-v3-its";
msi-controller;
#msi-cells = <0x01>;
reg = <0x00 0x8080000 0x00 0x20000>;
ranges;
#address-cells = <0x02>;
compatible = "arm,armv8-pmuv3";
interrupts = <0x01 0x07 0x04>;'
	echo "$extra" | while IFS= read -r want; do
		grep -qF "$want" "$work/$v.dts" || { echo "the $v tree lacks: $want"; exit 1; }
	done || status=1
	if [ $v != v3-its-pmu ] && grep -qF 'armv8-pmuv3' "$work/$v.dts"; then
		echo "the $v tree has a PMU it was not given"
		status=1
	fi
	for want in \
		'memory@40000000 {' 'device_type = "memory";' \
		'cpu@0 {' 'cpu@1 {' 'enable-method = "psci";' \
		'compatible = "arm,psci-1.0\0arm,psci-0.2";' 'method = "hvc";' \
		'compatible = "arm,armv8-timer\0arm,armv7-timer";' \
		"compatible = \"$gic\";" 'interrupt-controller;' \
		'bootargs = "console=ttyS0 earlycon panic=-1";' \
		'linux,initrd-start = <0x00 0x5f000000>;' 'linux,initrd-end = <0x00 0x5f1a2b3c>;' \
		'stdout-path = "/serial@9000000";' \
		'serial@9000000 {' 'compatible = "ns16550a";' 'clock-frequency = <0x1c2000>;' \
		'interrupts = <0x00 0x01 0x04>;' \
		'pvpanic@9020000 {' 'compatible = "qemu,pvpanic-mmio";' \
		'rtc@9030000 {' 'compatible = "arm,pl031\0arm,primecell";' 'clock-names = "apb_pclk";' \
		'interrupts = <0x00 0x02 0x04>;' 'compatible = "fixed-clock";' \
		'virtio_mmio@a000000 {' 'virtio_mmio@a001000 {' 'compatible = "virtio,mmio";' \
		'interrupts = <0x00 0x10 0x01>;' \
		'ramoops@5fc00000 {' 'compatible = "ramoops";' 'max-reason = <0x01>;'; do
		if ! grep -qF "$want" "$work/$v.dts"; then
			echo "the $v tree lacks: $want"
			status=1
		fi
	done
done
if [ $status -ne 0 ]; then
	for v in v3 v3-its-pmu; do
		echo "--- $work/$v.dts:"
		cat "$work/$v.dts"
	done
fi
exit $status
