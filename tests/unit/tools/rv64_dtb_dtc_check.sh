#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The riscv64 device tree read back by an independent implementation, as
# dtb_dtc_check.sh does for Arm: dtc decompiles it, must not warn, and must
# show what Linux's riscv code and AIA (or PLIC) drivers look for.
#
#   rv64_dtb_dtc_check.sh RV64_DTB_DUMP_PROGRAM WORKDIR
set -eu
dump=$1 work=$2
command -v dtc >/dev/null || { echo "dtc not found (Debian package device-tree-compiler)"; exit 77; }
mkdir -p "$work"
status=0

# decompile NAME HARTS [plic]: $t.dts from the dumped tree; dtc's warnings
# and an interrupt parent at the root (it would also be the harts' local
# controllers' parent: Linux then finds no root controller) are reported;
# $ext is how the harts' interrupts-extended begins.
decompile() {
	t=$work/$1
	"$dump" "$t.dtb" "$2" ${3:-}
	dtc -I dtb -O dts -o "$t.dts" "$t.dtb" 2>"$t.warnings"
	if [ -s "$t.warnings" ]; then
		echo "dtc warns about $1:"
		cat "$t.warnings"
		status=1
	fi
	if grep -q "^$(printf '\t')interrupt-parent" "$t.dts"; then
		echo "$1 names an interrupt parent at its root"
		status=1
	fi
	ext='<0x10 0x09 0x11 0x09' # 64 harts: the list goes on to 0x4f
	[ "$2" = 1 ] && ext='<0x10 0x09>;'
	[ "$2" = 2 ] && ext='<0x10 0x09 0x11 0x09>;'
	return 0
}

# expect NAME TEXT...: each TEXT is somewhere in $t.dts.
expect() {
	name=$1
	shift
	for want in "$@"; do
		if ! grep -qF "$want" "$t.dts"; then
			echo "$name lacks: $want"
			status=1
		fi
	done
}

for harts in 1 2 64; do
	decompile harts$harts $harts
	last=$(printf '%x' $((harts - 1)))
	expect "the $harts-hart tree" \
		'memory@80000000 {' 'device_type = "memory";' 'reg = <0x00 0x80000000 0x00 0x20000000>;' \
		'timebase-frequency = <0x989680>;' \
		'cpu@0 {' "cpu@$last {" 'compatible = "riscv";' 'status = "okay";' \
		'riscv,isa = "rv64imafdc_zicsr_zifencei_sstc";' 'riscv,isa-base = "rv64i";' \
		'riscv,isa-extensions = "i\0m\0a\0f\0d\0c\0zicsr\0zifencei\0sstc";' \
		'mmu-type = "riscv,sv48";' 'compatible = "riscv,cpu-intc";' \
		'imsics@28000000 {' 'compatible = "riscv,imsics";' 'msi-controller;' \
		'riscv,num-ids = <0xff>;' "interrupts-extended = $ext" \
		'aplic@d000000 {' 'compatible = "riscv,aplic";' 'msi-parent = <0x01>;' \
		'riscv,num-sources = <0x40>;' '#interrupt-cells = <0x02>;' \
		'interrupt-parent = <0x02>;' \
		'bootargs = "console=ttyS0 earlycon panic=-1";' \
		'linux,initrd-start = <0x00 0x9f000000>;' 'linux,initrd-end = <0x00 0x9f1a2b3c>;' \
		'stdout-path = "/serial@9000000";' \
		'serial@9000000 {' 'compatible = "ns16550a";' 'interrupts = <0x01 0x04>;' \
		'pvpanic@9020000 {' \
		'virtio_mmio@a000000 {' 'virtio_mmio@a001000 {' 'compatible = "virtio,mmio";' \
		'interrupts = <0x10 0x01>;' 'interrupts = <0x11 0x01>;'
	if grep -qE 'riscv,isa = "[^"]*h' "$t.dts" || grep -qF 'psci' "$t.dts"; then
		echo "the $harts-hart tree names H or PSCI"
		status=1
	fi
done
# With stdvmm's PLIC (no in-kernel AIA): what Linux's irq-sifive-plic reads,
# one S-mode context per hart, one-cell interrupt specifiers, no AIA nodes.
for harts in 1 2 64; do
	decompile plic$harts $harts plic
	size=$(printf '0x%x' $((0x200000 + 0x1000 * harts)))
	expect "the $harts-hart PLIC tree" \
		'plic@c000000 {' 'compatible = "sifive,plic-1.0.0\0riscv,plic0";' \
		"reg = <0x00 0xc000000 0x00 $size>;" "interrupts-extended = $ext" \
		'riscv,ndev = <0x3f>;' '#interrupt-cells = <0x01>;' 'interrupt-controller;' \
		'interrupt-parent = <0x03>;' 'phandle = <0x03>;' \
		'interrupts = <0x01>;' 'interrupts = <0x10>;' 'interrupts = <0x11>;'
	if grep -qE 'aplic|imsics' "$t.dts"; then
		echo "the $harts-hart PLIC tree has AIA nodes"
		status=1
	fi
done
[ $status -eq 0 ] || { echo "--- $work/harts2.dts:"; cat "$work/harts2.dts"; echo "--- $work/plic2.dts:"; cat "$work/plic2.dts"; }
exit $status
