#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: aarch64
# A kernel file without the arm64 Image header runs raw (as kvm-unit-tests'
# .flat files do): loaded 512 KiB into RAM and entered at its first byte
# with the device tree in x0. The program below checks both, prints a line
# on the UART and powers off through PSCI (a wrong entry or x0 resets
# instead: exit 4 under --no-reboot). Compressed kernels are still refused.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
raw=$TEST_TMP/raw.bin
# Assembled with aarch64-linux-gnu-as, linked at 0x40080000, objcopy -O binary:
#   adr x6, _start; ldr x7, =0x40080000; cmp x6, x7; b.ne bad
#   ldr w1, [x0]; ldr w2, =0xedfe0dd0; cmp w1, w2; b.ne bad   // FDT magic, big-endian
#   adr x3, msg; ldr x4, =0x09000000                          // the 16550A's THR
#   1: ldrb w5, [x3], #1; cbz w5, done; strb w5, [x4]; b 1b
#   done: ldr x0, =0x84000008; hvc #0                          // PSCI SYSTEM_OFF
#   bad:  ldr x0, =0x84000009; hvc #0                          // PSCI SYSTEM_RESET
#   literal pool, then msg: .asciz "stdvmm.raw: ..."
{
	printf '\006\000\000\020\147\002\000\130\337\000\007\353\241\001\000\124'
	printf '\001\000\100\271\242\001\000\030\077\000\002\153\041\001\000\124'
	printf '\203\002\000\020\244\001\000\130\145\024\100\070\145\000\000\064'
	printf '\205\000\000\071\375\377\377\027\100\001\000\130\002\000\000\324'
	printf '\100\001\000\130\002\000\000\324\320\015\376\355\000\000\000\000'
	printf '\000\000\010\100\000\000\000\000\000\000\000\011\000\000\000\000'
	printf '\010\000\000\204\000\000\000\000\011\000\000\204\000\000\000\000'
	printf 'stdvmm.raw: entered at 0x40080000 with the DTB in x0\n\000'
} >"$raw"
[ "$(wc -c <"$raw")" -eq 166 ] || fail "the test program is $(wc -c <"$raw") bytes, not 166"

echo "+ stdvmm run --kernel raw.bin --memory 128M --no-reboot"
VM_RC=0
timeout -k 5 60 "$STDVMM" run --kernel "$raw" --cmdline "" --memory 128M \
	--serial "file=$SERIAL_LOG" --no-reboot </dev/null 2>"$STDERR_LOG" || VM_RC=$?
cat "$STDERR_LOG" "$SERIAL_LOG"
expect_line "stdvmm.raw: entered at 0x40080000 with the DTB in x0"
expect_rc 0 "the raw program powered off"

# --kernel-format image insists on the header.
VM_RC=0
"$STDVMM" run --kernel "$raw" --kernel-format image --serial off 2>"$STDERR_LOG" || VM_RC=$?
cat "$STDERR_LOG"
expect_rc 1 "a headerless file refused as an Image"
grep -q 'is not "ARM\\x64"' "$STDERR_LOG" || fail "no message naming the missing magic"

# A gzip-compressed kernel is neither an Image nor raw code.
gz=$TEST_TMP/Image.gz
gzip -c "$raw" >"$gz"
VM_RC=0
"$STDVMM" run --kernel "$gz" --serial off 2>"$STDERR_LOG" || VM_RC=$?
cat "$STDERR_LOG"
expect_rc 1 "a compressed kernel refused"
grep -q 'gzip-compressed' "$STDERR_LOG" || fail "the refusal does not say the file is gzip data"
# A program linked elsewhere (non-relocatable): the same code with the
# address it checks against (the 8-byte literal at offset 80) set to 4 GiB,
# loaded there with --kernel-addr in the second region of a memory map. Its
# message is the same text; reaching it proves it ran where it was linked
# (elsewhere it resets: exit 4).
fixed=$TEST_TMP/raw-4g.bin
cp "$raw" "$fixed"
printf '\000\000\000\000\001\000\000\000' | dd of="$fixed" bs=1 seek=80 conv=notrunc 2>/dev/null
echo "+ stdvmm run --kernel raw-4g.bin --memory-map 128M@1G,64M@4G --kernel-addr 0x100000000"
VM_RC=0
timeout -k 5 60 "$STDVMM" run --kernel "$fixed" --kernel-format raw --cmdline "" \
	--memory-map 128M@1G,64M@4G --kernel-addr 0x100000000 \
	--serial "file=$SERIAL_LOG" --no-reboot </dev/null 2>"$STDERR_LOG" || VM_RC=$?
cat "$STDERR_LOG" "$SERIAL_LOG"
expect_line "stdvmm.raw: entered at 0x40080000 with the DTB in x0"
expect_rc 0 "the program linked at 4 GiB ran there"
# The same file at the default place: its address check fails and it resets.
VM_RC=0
timeout -k 5 60 "$STDVMM" run --kernel "$fixed" --kernel-format raw --cmdline "" \
	--memory-map 128M@1G,64M@4G --serial "file=$SERIAL_LOG" --no-reboot \
	</dev/null 2>"$STDERR_LOG" || VM_RC=$?
expect_rc 4 "the program linked at 4 GiB, loaded at the default place, reset"
echo "PASS"
