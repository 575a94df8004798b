#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# Usage: acpi_iasl_check.sh <acpi_tables_dump> <work directory>
#
# Checks the generated ACPI tables with an independent implementation:
# iasl (Debian package acpica-tools) disassembles each table, the
# disassembly must show the expected objects and values, and compiling it
# again must give back the same bytes. Exits 77 (skipped) without iasl.
set -u

IASL=${IASL:-iasl}
if ! command -v "$IASL" >/dev/null 2>&1; then
    echo "SKIP: $IASL not found (install acpica-tools)"
    exit 77
fi
dump=$1
dir=$2
case $dump in /*) ;; *) dump=$PWD/$dump ;; esac
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# expect <file> <fixed string> [count]
expect() {
    n=$(grep -cF -- "$2" "$1")
    if [ "${3:-}" ]; then
        [ "$n" -eq "$3" ] || fail "$1: expected $3 line(s) with '$2', found $n"
    else
        [ "$n" -ge 1 ] || fail "$1: no line with '$2'"
    fi
}

rm -rf "$dir" && mkdir -p "$dir/rt" && cd "$dir" || exit 1
"$dump" . || { echo "FAIL: $dump"; exit 1; }

for t in xsdt facp apic dsdt; do
    if ! "$IASL" -d "$t.dat" >"$t.log" 2>&1; then
        cat "$t.log"
        fail "iasl -d $t.dat exited with an error"
        continue
    fi
    # iasl notes bad checksums, short tables and unknown fields inline.
    if grep -inE 'incorrect|invalid|error|warning|terminates|unknown|mismatch' "$t.log" "$t.dsl"; then
        fail "iasl complained about $t"
    fi
done

expect xsdt.dsl 'ACPI Table Address' 2

expect facp.dsl 'Revision : 06'
expect facp.dsl 'Hardware Reduced (V5) : 1'
expect facp.dsl 'Reset Register Supported (V2) : 1'
expect facp.dsl 'VGA Not Present (V4) : 1'
expect facp.dsl 'CMOS RTC Not Present (V5) : 1'
expect facp.dsl '8042 Present on ports 60/64 (V2) : 0'
expect facp.dsl 'Space ID : 01 [SystemIO]' 3
expect facp.dsl 'Address : 00000000000003C0'
expect facp.dsl 'Address : 00000000000003C1'
expect facp.dsl 'Address : 00000000000003C2'
expect facp.dsl 'Value to cause reset : 01'
expect facp.dsl 'Hypervisor ID : 00004D4D56445453'
expect facp.dsl 'FACS Address : 00000000' 2

expect apic.dsl 'Local Apic Address : FEE00000'
expect apic.dsl 'PC-AT Compatibility : 0'
expect apic.dsl '[Processor Local APIC]' 2
expect apic.dsl 'Local Apic ID : 01'
expect apic.dsl 'Processor Enabled : 1' 2
expect apic.dsl '[I/O APIC]' 1
expect apic.dsl 'Address : FEC00000'

expect dsdt.dsl 'DefinitionBlock ("", "DSDT", 2, "STDVMM", "STDVMM  "'
expect dsdt.dsl '_S5_'
expect dsdt.dsl 'Scope (\_SB)'
expect dsdt.dsl 'Device (' 8
expect dsdt.dsl 'Name (_HID, EisaId ("PNP0501")' 1
expect dsdt.dsl 'Name (_HID, "QEMU0001")' 1
expect dsdt.dsl 'Name (_HID, "LNRO0005")' 3
expect dsdt.dsl 'Name (_UID, 0x02)' 1
expect dsdt.dsl 'IO (Decode16' 2
expect dsdt.dsl '0x03F8,             // Range Minimum'
expect dsdt.dsl '0x0505,             // Range Maximum'
expect dsdt.dsl 'Memory32Fixed (ReadWrite' 4
# A shared region: its register page, its memory above 4 GiB, a level line.
expect dsdt.dsl 'Name (_HID, "SVMM0001")' 1
expect dsdt.dsl 'QWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite' 1
expect dsdt.dsl '0x0000000100000000, // Range Minimum' 1
expect dsdt.dsl '0x00000001001FFFFF, // Range Maximum' 1
expect dsdt.dsl '0x0000000000200000, // Length' 1
expect dsdt.dsl 'Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive' 1
expect dsdt.dsl '0xD0002000,         // Address Base'
expect dsdt.dsl '0x00000200,         // Address Length' 3
expect dsdt.dsl 'Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive' 5
for irq in 4 5 6 7; do
    expect dsdt.dsl "0x0000000$irq," 1
done
expect dsdt.dsl 'Method (_STA, 0, NotSerialized)' 6
# The power button: a GED on GSI 23 whose _EVT notifies PNP0C0C.
expect dsdt.dsl 'Name (_HID, EisaId ("PNP0C0C")' 1
expect dsdt.dsl 'Name (_HID, "ACPI0013" /* Generic Event Device */)' 1
expect dsdt.dsl '0x00000017,' 1
expect dsdt.dsl 'Method (_EVT, 1, NotSerialized)' 1
expect dsdt.dsl 'Notify (\_SB.PWRB, 0x80)' 1
expect dsdt.dsl 'Return (0x0F)' 6
# Name (\_S5, Package (0x02) { 0x05, Zero })
grep -A3 'Name (\\_S5' dsdt.dsl | grep -qF '0x05,' || fail "dsdt.dsl: \\_S5_ is not { 5, 0 }"

# Round trip: iasl's own encoding (optimisations off, so \_S5_ stays
# root-relative) must equal ours after the header, which names the creator.
# The one accepted difference is the EndTag checksum, which iasl leaves 0.
for t in xsdt facp apic dsdt; do
    if ! "$IASL" -oa -p "rt/$t" "$t.dsl" >"rt/$t.log" 2>&1; then
        cat "rt/$t.log"
        fail "iasl could not compile the disassembly of $t"
        continue
    fi
    tail -c +37 "$t.dat" >"rt/$t.ours"
    tail -c +37 "rt/$t.aml" >"rt/$t.iasl"
    if [ "$(wc -c <"rt/$t.ours")" -ne "$(wc -c <"rt/$t.iasl")" ]; then
        fail "$t: iasl's recompiled table has a different length"
        continue
    fi
    cmp -l "rt/$t.ours" "rt/$t.iasl" >"rt/$t.cmp"
    while read -r off ours theirs; do
        prev=$(od -An -tu1 -j $((off - 2)) -N1 "rt/$t.ours" | tr -d ' ')
        if [ "$t" != dsdt ] || [ "$theirs" != 0 ] || [ "$prev" != 121 ]; then
            fail "$t: byte $((off + 35)) is octal $ours, iasl encodes octal $theirs"
        fi
    done <"rt/$t.cmp"
done

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed; files in $dir"
    exit 1
fi
echo "PASS: iasl disassembles and recompiles xsdt, facp, apic and dsdt identically"
