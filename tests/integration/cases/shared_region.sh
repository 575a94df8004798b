#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# shared_regions under stdvmmd (docs/memory.md). Three VMs: shm-a and
# shm-b are the members of chan (2 MiB, rw, doorbells); shm-a (rw) and
# shm-c (ro) of board. The guests' own output must show: a's 1 MiB reaches
# b and b's reaches a, each announced by a doorbell and with the checksum
# its writer computed; each VM sees exactly the regions it is a member of
# (c has no chan); c reads a's note on board, and its write to it is
# refused: the note is unchanged and c's VMM says so, and c goes on.
set -eu
# shellcheck source=tests/integration/cases/lib/manager.sh
. "${0%/*}/lib/manager.sh"
CMD=$GUEST_BASE_CMDLINE
write_system <<EOF2
system: {memory: 700M, vcpus: 3, max_vms: 3}
shared_regions:
  - {name: chan, size: 2M, doorbell: true,
     members: [{vm: shm-a, gpa: 4G}, {vm: shm-b, gpa: 0x140000000}]}
  - {name: board, size: 64K,
     members: [{vm: shm-a, gpa: 0x180000000}, {vm: shm-c, gpa: 4G, access: ro}]}
vms:
  - {name: shm-a, kernel: $K, initramfs: $I, cmdline: "$CMD stdvmm.test=shm_a", memory: 256M,
     autostart: true}
  - {name: shm-b, kernel: $K, initramfs: $I, cmdline: "$CMD stdvmm.test=shm_b", memory: 256M,
     autostart: true}
  - {name: shm-c, kernel: $K, initramfs: $I, cmdline: "$CMD stdvmm.test=shm_c", memory: 128M,
     autostart: true}
EOF2
start=$(date +%s)
mgr_start

# A value the guest printed: "stdvmm-test: KEY=VALUE", the last one.
value() { # VM KEY
	tr -d '\r' <"$STATE/vms/$1/serial.log" | sed -n "s/.*stdvmm-test: $2=//p" | tail -n 1
}

wait_serial shm-b "stdvmm-test: shm_b done" 1 400
wait_serial shm-a "stdvmm-test: shm_a done" 1 120
wait_serial shm-c "stdvmm-test: shm_c done" 1 120
echo "all three guests done $(($(date +%s) - start)) s after the manager started"
for vm in shm-a shm-b shm-c; do
	echo "$vm: regions $(value $vm regions)"
done
echo "shm-a chan: $(value shm-a chan)"
echo "shm-b chan: $(value shm-b chan)"
echo "shm-c board: $(value shm-c board)"

[ "$(value shm-a regions)" = "board chan " ] || fail "shm-a sees regions '$(value shm-a regions)'"
[ "$(value shm-b regions)" = "chan " ] || fail "shm-b sees regions '$(value shm-b regions)'"
[ "$(value shm-c regions)" = "board " ] || fail "shm-c sees regions '$(value shm-c regions)'"
[ "$(value shm-c chan)" = absent ] || fail "shm-c, not a member, has chan"
case "$(value shm-a chan)" in
"member=0 members=2 gpa=0x100000000 size=2097152 flags=3 "*) ;;
*) fail "shm-a's chan registers: $(value shm-a chan)" ;;
esac
case "$(value shm-b chan)" in
"member=1 members=2 gpa=0x140000000 size=2097152 flags=3 "*) ;;
*) fail "shm-b's chan registers: $(value shm-b chan)" ;;
esac
case "$(value shm-c board)" in
"member=1 members=2 gpa=0x100000000 size=65536 flags=0 "*) ;;
*) fail "shm-c's board registers: $(value shm-c board)" ;;
esac

sha_a=$(value shm-a sha_a)
sha_b=$(value shm-b sha_b)
from_a=$(value shm-b from_a)
from_b=$(value shm-a from_b)
echo "a wrote $sha_a, b read ${from_a%% *}; b wrote $sha_b, a read ${from_b%% *}"
[ -n "$sha_a" ] && [ "${from_a%% *}" = "$sha_a" ] || fail "shm-b did not read shm-a's 1 MiB"
[ -n "$sha_b" ] && [ "${from_b%% *}" = "$sha_b" ] || fail "shm-a did not read shm-b's 1 MiB"
[ "${from_a#* }" = "rings=1" ] || fail "shm-b counted '${from_a#* }' doorbells, not 1"
[ "${from_b#* }" = "rings=1" ] || fail "shm-a counted '${from_b#* }' doorbells, not 1"

[ "$(value shm-c note)" = "board from a" ] || fail "shm-c read '$(value shm-c note)' on board"
[ "$(value shm-c poke)" = "before=98 after=98" ] || fail "shm-c's write to board: $(value shm-c poke)"
[ "$(value shm-c note_after)" = "board from a" ] || fail "board changed under shm-c's write"
grep -q "shared region 'board': the guest wrote 1 bytes at offset 0x0 of memory it may only read: refused" \
	"$STATE/vms/shm-c/vmm.log" || fail "shm-c's VMM did not report the refused write"
[ "$(vm_field shm-c state)" = running ] || fail "shm-c stopped after its refused write"
echo "PASS: chan carried 1 MiB each way with doorbells; board read-only for shm-c, its write refused"
