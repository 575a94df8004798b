#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# RAM in two regions with a hole between them (--memory-map): the guest's
# kernel finds exactly those two regions as System RAM and nothing in the
# hole, MemTotal fits their total, and a stress bigger than the lower region
# writes and reads back every word, with pages on both sides of the hole
# (guest-physical addresses from the guest's own pagemap). x86_64's kernel
# also runs its early memtest over all free RAM (memtest=1; Debian's arm64
# kernel has no CONFIG_MEMTEST; riscv64's is not tried). Then maps the
# arch refuses, from the command line and from a description file, are
# refused before any VM exists, the file's with its line.
# integration-arches: x86_64 aarch64 riscv64
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
case $(uname -m) in
x86_64)
	# Low memory at 0 (the boot protocol's), a hole from 192M to 1G.
	map=192M@0,256M@1G low_mib=192 split=0x40000000 extra=memtest=1
	want_ram="00000000-0009fbff|00001000-0009fbff"
	want_ram2="00100000-0bffffff,40000000-4fffffff"
	bad_map=192M@0,256M@3G bad_text="overlaps the 32-bit MMIO hole"
	yaml_low="{gpa: 0, size: 192M}" yaml_bad="{gpa: 0xc0000000, size: 256M}"
	;;
aarch64)
	# 256M at 1G (where the kernel goes), a hole from 1.25G to 4G.
	map=256M@1G,256M@4G low_mib=256 split=0x100000000 extra=
	want_ram="" want_ram2="40000000-4fffffff,100000000-10fffffff"
	bad_map=256M@1G,64M@128M bad_text="overlaps the device area"
	yaml_low="{gpa: 1G, size: 256M}" yaml_bad="{gpa: 128M, size: 64M}"
	;;
riscv64)
	# 256M at 2G (where the kernel goes), a hole from 2.25G to 8G.
	map=256M@2G,256M@8G low_mib=256 split=0x200000000 extra=
	# With RAM above 4 GiB the riscv64 kernel sets 64 MiB aside for a
	# swiotlb bounce buffer (measured: MemTotal 374 of 512 MiB, and the
	# stress was OOM-killed); virtio-mmio devices do not bounce.
	kargs=swiotlb=noforce
	want_ram="" want_ram2="80000000-8fffffff,200000000-20fffffff"
	bad_map=256M@2G,64M@128M bad_text="overlaps the device area"
	yaml_low="{gpa: 2G, size: 256M}" yaml_bad="{gpa: 128M, size: 64M}"
	;;
*) fail "no memory map for $(uname -m)" ;;
esac
kargs=${kargs:-}
VM_MEMORY=512M
[ "$(uname -m)" = x86_64 ] && VM_MEMORY=448M
stress_mib=$((low_mib + 96))
run_vm "stdvmm.test=memory_map stdvmm.memcheck=$stress_mib,$split $extra $kargs" --memory-map "$map"
expect_rc 0 "guest powered off"

ram=$(serial_value system_ram)
[ -n "$ram" ] || fail "the guest did not report its System RAM"
case $ram in
*"$want_ram2") ;;
*) fail "System RAM is '$ram', expected it to end with '$want_ram2'" ;;
esac
if [ -n "$want_ram" ]; then
	# The BIOS area's split: the low 640K (the first page may be reserved by the kernel).
	echo "$ram" | grep -qE "^($want_ram),$want_ram2\$" || fail "System RAM is '$ram'"
else
	[ "$ram" = "$want_ram2" ] || fail "System RAM is '$ram', expected exactly '$want_ram2'"
fi
kib=$(serial_value memtotal_kib)
total_mib=$((${VM_MEMORY%M}))
[ -n "$kib" ] || fail "the guest did not report MemTotal"
mib=$((kib / 1024))
# The kernel keeps up to ~100M for itself (arm64's image and page structures);
# the lower bound stays above either region alone, so both must count.
if [ "$mib" -lt $((total_mib - 128)) ] || [ "$mib" -gt "$total_mib" ]; then
	fail "MemTotal is $mib MiB, expected $((total_mib - 128))..$total_mib"
fi
if [ -n "$extra" ]; then
	[ "$(serial_value memtest_runs)" = 1 ] || fail "no early memtest in the guest's log"
	[ "$(serial_value memtest_bad)" = 0 ] || fail "the early memtest found bad memory"
fi
check=$(serial_value memcheck)
echo "memcheck: $check"
case $check in
"memcheck: ok mib=$stress_mib "*) ;;
*) fail "the memory stress failed: $check" ;;
esac
above=$(echo "$check" | sed -n 's/.* pages_above=\([0-9]*\).*/\1/p')
# More pages than the lower region holds: some must lie above the hole.
need=$(((stress_mib - low_mib) * 256))
[ "${above:-0}" -ge "$need" ] || fail "only ${above:-0} pages above $split, at least $need expected"

# Refused before any VM exists: exit 2, the reason on stderr.
VM_RC=0
"$STDVMM" run --kernel "$GUEST_KERNEL" --memory-map "$bad_map" --serial off \
	</dev/null 2>"$STDERR_LOG" || VM_RC=$?
cat "$STDERR_LOG"
expect_rc 2 "a map the arch refuses"
grep -qF "$bad_text" "$STDERR_LOG" || fail "no message saying '$bad_text'"

desc=$TEST_TMP/vm.yaml
cat >"$desc" <<EOT
kernel: $GUEST_KERNEL
memory_map:
  - $yaml_low
  - $yaml_bad
EOT
VM_RC=0
"$STDVMM" run --config "$desc" --serial off </dev/null 2>"$STDERR_LOG" || VM_RC=$?
cat "$STDERR_LOG"
expect_rc 2 "a description whose map the arch refuses"
grep -qF "vm.yaml:4: memory_map[1]: " "$STDERR_LOG" || fail "the refusal does not name line 4, memory_map[1]"
echo "PASS: System RAM $ram, MemTotal $mib MiB, $check"
