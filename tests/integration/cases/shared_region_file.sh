#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64 aarch64 riscv64
# --shared-region with path=FILE, no manager (docs/memory.md): the guest
# finds both regions through its firmware (arm64, riscv64: the device
# tree's shared-region nodes; x86_64: ACPI), reads the note this host left in one
# and writes 1 MiB into it, which the host reads back from the file with
# the checksum the guest computed; its write to the read-only region is
# refused (the file is unchanged, the VMM says so) and the VM goes on to
# power off. A region that does not fit its file is refused at start.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
rw=$TEST_TMP/shm-rw ro=$TEST_TMP/shm-ro
rm -f "$rw" "$ro"
truncate -s 2M "$rw"
truncate -s 2M "$ro"
printf 'hello from host' | dd of="$rw" conv=notrunc 2>/dev/null
printf 'read only' | dd of="$ro" conv=notrunc 2>/dev/null
VM_MEMORY=256M
run_vm "stdvmm.test=shm_file" \
	--shared-region "name=host,gpa=4G,size=2M,path=$rw" \
	--shared-region "name=ro,gpa=0x140000000,size=2M,path=$ro,access=ro"
expect_rc 0 "guest powered off"
[ "$(serial_value regions)" = "host ro " ] || fail "the guest sees regions '$(serial_value regions)'"
case "$(serial_value host)" in
"member=0 members=1 gpa=0x100000000 size=2097152 flags=1 "*) ;;
*) fail "the host region's registers: $(serial_value host)" ;;
esac
[ "$(serial_value note)" = "hello from host" ] || fail "the guest read '$(serial_value note)'"
want=$(serial_value sha)
got=$(dd if="$rw" bs=1048576 skip=1 count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
echo "guest wrote $want; the file holds $got"
[ -n "$want" ] && [ "$want" = "$got" ] || fail "the file does not hold what the guest wrote"
[ "$(serial_value ro_note)" = "read only" ] || fail "the guest read '$(serial_value ro_note)' in ro"
[ "$(serial_value poke)" = "before=114 after=114" ] || fail "the guest's write to ro: $(serial_value poke)"
[ "$(dd if="$ro" bs=9 count=1 2>/dev/null)" = "read only" ] || fail "the read-only file changed"
grep -q "shared region 'ro': the guest wrote 1 bytes at offset 0x0 of memory it may only read: refused" \
	"$STDERR_LOG" || fail "the VMM did not report the refused write"

# A region bigger than its file would be SIGBUS at the guest's first touch: refused at start.
truncate -s 1M "$ro"
run_vm "stdvmm.test=shm_file" --shared-region "name=ro,gpa=4G,size=2M,path=$ro,access=ro"
[ "$VM_RC" -ne 0 ] || fail "a 2M region over a 1M file was accepted"
grep -q "shared region ro: its memory holds 1048576 bytes, not 2097152" "$STDERR_LOG" ||
	fail "the VMM did not say why it refused the region"
rm -f "$rw" "$ro"
echo "PASS: the host's note read, 1 MiB written back, the read-only region's write refused"
