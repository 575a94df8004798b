#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# seL4 benchmark (not a test; issue #20 item 5): boot to readiness of the
# same guest under au-ts/libvmm's examples/simple and under stdvmm's seL4
# port, or (--example virtio) one VM's block MB/s under libvmm's
# examples/virtio and under stdvmm, alternating, in the same QEMU (TCG,
# cortex-a53, 2 GiB), and the medians with their ratio. docs/benchmarks.md "seL4: beside au-ts/libvmm"
# says what was measured and why this pairing.
#
#   bench/sel4/libvmm.sh --libvmm DIR --microkit DIR --sel4 DIR --kit DIR
#       --stdvmm-image IMAGE [--example simple|virtio] [--cache DIR]
#       [--stdvmm-driver-image IMAGE] [--runs N] [--work DIR] [--build-only]
#
# --example virtio (block MB/s instead of boot time) is described below the
# simple one.
#
# Nothing is fetched here; the caller provides every tree:
#   --libvmm    au-ts/libvmm at 4ab57df8 ("Update to Microkit 1.4.1"), with
#               dep/sddf holding au-ts/sddf at 3c38dab4 (its submodule commit)
#   --microkit  seL4/microkit at tag 1.4.1
#   --sel4      seL4/seL4 at 4cae30a6 (the revision microkit 1.4.1 names)
#   --kit       stdvmm's seL4 guest kit (tools/sel4/build-demo-kit.sh)
#   --stdvmm-image  stdvmm's seL4 image built as README.md "Running on seL4"
#               says, with -DSTDVMM_SEL4_SYSTEM=bench/sel4/one-vm.yaml and
#               -DSTDVMM_GUEST_KIT=the same kit
# The trees are copied into WORK and only the copies are changed:
# - the Microkit tool (Rust: roxmltree, serde, serde_json) builds offline
#   against Debian's packaged crates (librust-roxmltree-dev and friends,
#   /usr/share/cargo/registry): its version requirements are loosened, and
#   Node::range().start (roxmltree >= 0.18) becomes Node::position()
#   (Debian 12 has 0.16); it needs a rustc that takes edition 2021 code;
# - Arm's aarch64-none-elf toolchain is stood in for by Debian's
#   aarch64-linux-gnu gcc/binutils (WORK/bin, -fno-pie -fno-stack-protector);
# - the SDK is built for qemu_virt_aarch64, config debug (its seL4: MCS,
#   debug printing; stdvmm's default kernel is debug, non-MCS);
# - examples/simple gets the kit's kernel and initramfs as its guest images,
#   bootargs "console=ttyAMA0 quiet panic=-1" (stdvmm's: ttyS0), the
#   initrd's real end in its device tree, and one VM-fault handler that
#   takes the guest /init's write to 0x9010000 (stdvmm's boot-timer byte)
#   so that /init goes on to its readiness line;
# - libvmm's virtual GIC (both examples, fix_libvmm_vgic) no longer drops an
#   interrupt that comes while the guest has it disabled, which a GIC does
#   not do either (docs/benchmarks.md says more):
#   - src/arch/aarch64/fault.c leaves a virtual-timer PPI that the guest has
#     not enabled yet masked instead of acknowledging it: unchanged, the
#     level-triggered timer fires again at once and the Debian kernel never
#     gets past its timer set-up; the guest's enable of the PPI acknowledges
#     it (vgic_dist_enable_irq);
#   - vdist.h keeps any other (shared) interrupt that comes while disabled
#     and delivers it when the guest enables it: unchanged, the block-driver
#     VM's UIO interrupt (which uio_pdrv_genirq disables in its handler until
#     the driver has served the queue) is lost and the client waits for ever.
# Readiness: the kit's "stdvmm-guest: ready" (printed by /init after its
# drivers are loaded), timed from QEMU's start. Run it under the lock, as
# the other benchmarks: flock /tmp/qemu.lock bench/sel4/libvmm.sh ...
#
# --example virtio: sequential read and write MB/s of one VM's virtio-blk
# disk, the kit's tests/sel4/guest/blkbench.sh (the kit must be one built
# with it) timing dd over the whole disk by the guest's clock, under
# libvmm's examples/virtio and under stdvmm, alternating. libvmm's side:
# two client VMs, sDDF's block virtualiser, and a block-driver VM running
# libvmm's UIO driver (tools/linux/uio_drivers/blk) over QEMU's
# virtio-blk-device; each client gets one partition of the disk. The
# example's own guest images were never in its repository; here all three
# VMs run the kit's Debian kernel and initramfs:
# - the driver VM's initramfs is the kit's plus uio.ko (Debian's) and
#   uio_pdrv_genirq.ko, which Debian's arm64 kernel leaves out
#   (CONFIG_UIO_PDRV_GENIRQ unset): built out of tree from Debian's
#   linux-source against the kit's kernel (tools/guest-kit/lib/oot_module.sh,
#   the Debian packages from --cache, default $STDVMM_CACHE_DIR), bound to
#   the example's generic-uio node with of_id=generic-uio as libvmm's
#   bootargs do; its /tests/libvmm_blk_driver.sh loads them and runs the
#   example's uio_blk_driver (built by the example's makefiles with Debian's
#   aarch64-linux-gnu gcc, -static, for `zig cc`) on /dev/vda;
# - the clients' bootargs run blkbench; the second client's partition starts
#   with LIBVMMIDLE, so it stays idle and one client measures, as stdvmm's
#   one VM does; blkbench.queue=128,12 (128 KiB requests, 12 in flight, on
#   both sides) keeps the client's requests inside its 2 MiB data region
#   (tests/sel4/guest/blkbench.sh says why);
# - both VMMs get the boot-timer handler of examples/simple (the kit's /init
#   writes 0x9010000).
# stdvmm's side: --stdvmm-image built with
# -DSTDVMM_SEL4_SYSTEM=bench/sel4/one-blk.yaml (one VM, a 64 MiB region of
# the board's disk through the block server) and the same kit. Both disks
# are 64 MiB per measuring VM, files in WORK made afresh for each boot.
# --stdvmm-driver-image adds a third side, shaped like libvmm's: an image
# built from bench/sel4/driver-blk.yaml, where a Linux driver VM owns the
# disk (passthrough) and serves the measuring VM's region with
# stdvmm-blkserve (src/driver_vm), as libvmm's driver VM serves its clients.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
libvmm="" microkit="" sel4="" kit="" image="" driver_image="" runs=3 work="" build_only=0
example=simple cache=${STDVMM_CACHE_DIR:-}
usage() {
  sed -n '10,12p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
  exit 2
}
while (($#)); do
  case $1 in
    --libvmm) libvmm=${2:?}; shift 2 ;;
    --microkit) microkit=${2:?}; shift 2 ;;
    --sel4) sel4=${2:?}; shift 2 ;;
    --kit) kit=${2:?}; shift 2 ;;
    --stdvmm-image) image=${2:?}; shift 2 ;;
    --stdvmm-driver-image) driver_image=${2:?}; shift 2 ;;
    --example) example=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --work) work=${2:?}; shift 2 ;;
    --build-only) build_only=1; shift ;;
    *) usage ;;
  esac
done
[[ -n $libvmm && -n $microkit && -n $sel4 && -n $kit && -n $image ]] || usage
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "libvmm.sh: --runs wants a positive number" >&2; exit 2; }
die() { echo "libvmm.sh: $*" >&2; exit 1; }
[[ $example == simple || $example == virtio ]] || die "--example is simple or virtio"
if [[ $example == virtio ]]; then
  [[ -n $cache ]] || die "--example virtio wants --cache (the guest kit's Debian package cache)"
  [[ $(zcat "$kit/initramfs.cpio.gz" | cpio -t --quiet 2>/dev/null) == *$'\n'tests/blkbench.sh$'\n'* ]] ||
    die "$kit has no tests/blkbench.sh (build it again with tools/sel4/build-demo-kit.sh)"
  for t in sfdisk cpio depmod make; do
    command -v "$t" >/dev/null || die "$t is missing"
  done
fi
[[ $(cat "$microkit/VERSION" 2>/dev/null) == 1.4.1 ]] || die "$microkit is not microkit 1.4.1 (VERSION)"
[[ -f $libvmm/vmm.mk && -f $libvmm/examples/simple/vmm.c ]] || die "$libvmm is not a libvmm tree"
[[ -d $libvmm/dep/sddf/include ]] || die "$libvmm/dep/sddf is empty (au-ts/sddf at 3c38dab4 goes there)"
[[ -f $sel4/CMakeLists.txt ]] || die "$sel4 is not a seL4 tree"
[[ -f $kit/vmlinuz && -f $kit/initramfs.cpio.gz ]] || die "$kit has no vmlinuz and initramfs.cpio.gz"
[[ -f $image ]] || die "no stdvmm image $image"
[[ -z $driver_image || ( $example == virtio && -f $driver_image ) ]] ||
  die "--stdvmm-driver-image wants --example virtio and an image file"
[[ -d /usr/share/cargo/registry ]] || die "no Debian crates (apt-get install librust-roxmltree-dev librust-serde-dev librust-serde-json-dev)"
for t in cargo clang ld.lld llvm-ar dtc aarch64-linux-gnu-gcc qemu-system-aarch64; do
  command -v "$t" >/dev/null || die "$t is missing"
done
/usr/bin/python3 -c "import pyfdt, ply, jinja2, yaml, lxml" 2>/dev/null ||
  die "seL4's build wants Debian's python3 with pyfdt on PYTHONPATH, python3-ply, -jinja2, -yaml, -lxml"
[[ -n $work ]] || work=$(mktemp -d /tmp/libvmm-bench.XXXXXX)
mkdir -p "$work"
work=$(cd "$work" && pwd)
log=$work/build.log
: >"$log"
echo "libvmm.sh: work in $work (build log $log)"

# The SDK, from a copy of the microkit tree.
mk=$work/microkit
rm -rf "$mk"
cp -a "$microkit" "$mk"
tool=$mk/tool/microkit
mkdir -p "$tool/.cargo"
cat >"$tool/.cargo/config.toml" <<'EOF'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
EOF
rm -f "$tool/Cargo.lock"
sed -i 's/^roxmltree = .*/roxmltree = "*"/; s/^serde = .*/serde = "1"/; s/^serde_json = .*/serde_json = "1"/' \
  "$tool/Cargo.toml"
sed -i 's/\.range()\.start/.position()/g' "$tool"/src/*.rs
(cd "$tool" && cargo build --release) >>"$log" 2>&1 || die "the Microkit tool did not build (see $log)"
mkdir -p "$work/bin"
for t in as ld ar objcopy objdump strip nm ranlib readelf cpp; do
  ln -sf "$(command -v aarch64-linux-gnu-$t)" "$work/bin/aarch64-none-elf-$t"
done
cat >"$work/bin/aarch64-none-elf-gcc" <<'EOF'
#!/bin/sh
exec aarch64-linux-gnu-gcc -fno-pie -no-pie -fno-stack-protector "$@"
EOF
chmod +x "$work/bin/aarch64-none-elf-gcc"
export PATH=$work/bin:/usr/bin:$PATH
sdk=$mk/release/microkit-sdk-1.4.1
mkdir -p "$sdk/bin"
cp "$tool/target/release/microkit" "$sdk/bin/"
(cd "$mk" && python3 build_sdk.py --sel4="$sel4" --boards qemu_virt_aarch64 --configs debug \
  --skip-tool --skip-docs --skip-tar) >>"$log" 2>&1 || die "the SDK did not build (see $log)"

# add_boot_timer_handler VMM_C: a VM-fault handler that takes the kit's /init
# write to 0x9010000 (stdvmm's boot-timer byte, nothing there under libvmm).
add_boot_timer_handler() {
  python3 - "$1" <<'EOF'
import sys
path = sys.argv[1]
src = open(path).read()
hook = """
static bool boot_timer_write(size_t vcpu_id, size_t offset, size_t fsr,
                             seL4_UserContext *regs, void *data) {
    return true;
}
"""
for old, new in (("void init(void)", hook + "\nvoid init(void)"),
                 ("    guest_start(GUEST_VCPU_ID,",
                  "    fault_register_vm_exception_handler(0x9010000, 0x1000, boot_timer_write, NULL);\n"
                  "    guest_start(GUEST_VCPU_ID,")):
    if src.count(old) != 1:
        sys.exit(f"libvmm.sh: {path} has no single {old.strip()!r}")
    src = src.replace(old, new)
open(path, "w").write(src)
EOF
}

# fix_libvmm_vgic TREE: the two changes to libvmm's virtual GIC that the
# comment at the top describes, both about an interrupt that comes while the
# guest has it disabled (libvmm 4ab57df8 drops it; a GIC does not).
fix_libvmm_vgic() {
  python3 - "$1" <<'EOF'
import sys
tree = sys.argv[1]
def edit(rel, pairs):
    path = f"{tree}/{rel}"
    src = open(path).read()
    for old, new in pairs:
        if src.count(old) != 1:
            sys.exit(f"libvmm.sh: {rel} has no single {old.strip().splitlines()[0]!r}")
        src = src.replace(old, new)
    open(path, "w").write(src)
# The virtual timer's PPI: leave it masked rather than acknowledge it, so
# the level-triggered timer does not fire again at once; the guest's enable
# acknowledges it (vgic_dist_enable_irq).
edit("src/arch/aarch64/fault.c",
     [("        microkit_vcpu_arm_ack_vppi(vcpu_id, ppi_irq);\n", "")])
# Any other vIRQ: keep it pending while it is disabled and deliver it when
# the guest enables it, as a GIC's pending bit does. uio_pdrv_genirq
# disables its (level) interrupt in its handler and relies on that.
edit("include/libvmm/arch/aarch64/vgic/vdist.h", [
    ("static void vgic_dist_enable_irq(vgic_t *vgic, size_t vcpu_id, int irq)\n{\n",
     "/* SPIs that came while disabled (libvmm's pending bit means 'in a list register');\n"
     "   weak: one array for every file that includes this header. */\n"
     "__attribute__((weak)) uint32_t latched_spi[32];\n"
     "static bool vgic_dist_set_pending_irq(vgic_t *vgic, size_t vcpu_id, int irq);\n\n"
     "static void vgic_dist_enable_irq(vgic_t *vgic, size_t vcpu_id, int irq)\n{\n"),
    ("    if (virq_data->virq != VIRQ_INVALID) {\n        /* STATE b) */\n",
     "    if (virq_data->virq != VIRQ_INVALID && irq >= NUM_VCPU_LOCAL_VIRQS &&\n"
     "        (latched_spi[IRQ_IDX(irq)] & IRQ_BIT(irq))) {\n"
     "        latched_spi[IRQ_IDX(irq)] &= ~IRQ_BIT(irq);\n"
     "        vgic_dist_set_pending_irq(vgic, vcpu_id, irq);\n"
     "    } else if (virq_data->virq != VIRQ_INVALID) {\n        /* STATE b) */\n"),
    ("    if (virq_data->virq == VIRQ_INVALID || !vgic_dist_is_enabled(dist) || !is_enabled(dist, irq, vcpu_id)) {\n",
     "    if (virq_data->virq != VIRQ_INVALID && irq >= NUM_VCPU_LOCAL_VIRQS &&\n"
     "        vgic_dist_is_enabled(dist) && !is_enabled(dist, irq, vcpu_id)) {\n"
     "        latched_spi[IRQ_IDX(irq)] |= IRQ_BIT(irq);\n"
     "        return true;\n"
     "    }\n"
     "    if (virq_data->virq == VIRQ_INVALID || !vgic_dist_is_enabled(dist) || !is_enabled(dist, irq, vcpu_id)) {\n"),
])
EOF
}

# alternate FUNCTION: FUNCTION NAME RUN QEMU-COMMAND... for each run, libvmm's
# QEMU (qemu_libvmm), stdvmm's (qemu_stdvmm) and, with --stdvmm-driver-image,
# stdvmm's with a driver VM (qemu_stdvmm_drv).
alternate() {
  local i
  for ((i = 1; i <= runs; i++)); do
    "$1" libvmm "$i" "${qemu_libvmm[@]}"
    "$1" stdvmm "$i" "${qemu_stdvmm[@]}"
    if [[ -n $driver_image ]]; then
      "$1" stdvmm_drv "$i" "${qemu_stdvmm_drv[@]}"
    fi
  done
}

if [[ $example == virtio ]]; then
  # shellcheck source=bench/sel4/libvmm_virtio.sh
  . "$here/libvmm_virtio.sh"
  exit
fi

# libvmm's examples/simple with the kit's guest, from a copy of the libvmm tree.
lv=$work/libvmm
rm -rf "$lv"
cp -a "$libvmm" "$lv"
ex=$lv/examples/simple
board=$ex/board/qemu_virt_aarch64
cp "$kit/vmlinuz" "$board/linux"
cp "$kit/initramfs.cpio.gz" "$board/rootfs.cpio.gz"
initrd_end=$(printf '0x%x' $((0x4d700000 + $(stat -c %s "$board/rootfs.cpio.gz"))))
sed -i "s|bootargs = \".*\";|bootargs = \"console=ttyAMA0 quiet panic=-1\";|;
  s|linux,initrd-end = <0x4d800000>;|linux,initrd-end = <$initrd_end>;|" "$board/overlay.dts"
grep -q "initrd-end = <$initrd_end>" "$board/overlay.dts" || die "examples/simple's overlay.dts is not as expected"
add_boot_timer_handler "$ex/vmm.c"
fix_libvmm_vgic "$lv"
make -C "$ex" MICROKIT_SDK="$sdk" MICROKIT_BOARD=qemu_virt_aarch64 MICROKIT_CONFIG=debug \
  BUILD_DIR="$work/simple" -j2 >>"$log" 2>&1 || die "libvmm's examples/simple did not build (see $log)"
loader=$work/simple/loader.img
[[ -f $loader ]] || die "no $loader"
if ((build_only)); then
  echo "libvmm.sh: built $loader"
  exit 0
fi

# Alternating boots; each QEMU is stopped at the readiness line.
qemu_libvmm=(qemu-system-aarch64 -machine "virt,virtualization=on,highmem=off,secure=off"
  -cpu cortex-a53 -m 2G -nographic -serial mon:stdio
  -device "loader,file=$loader,addr=0x70000000,cpu-num=0")
qemu_stdvmm=(qemu-system-aarch64 -machine "virt,virtualization=on" -cpu cortex-a53 -m 2G
  -nographic -kernel "$image")
results=$work/boot.log
: >"$results"
boot() { # NAME RUN COMMAND...
  local name=$1 run=$2 out
  shift 2
  out=$work/$name-$run.log
  if "$here/boot_line.py" 'stdvmm-guest: ready' 300 -- "$@" >"$out" 2>&1; then
    echo "DATA $name $run $(sed -n 's/^MATCH //p' "$out")" | tee -a "$results"
  else
    echo "FAIL $name $run (no readiness line within 300 s: $out)" | tee -a "$results"
  fi
}
alternate boot
python3 - "$results" <<'EOF'
import statistics
import sys
t = {"libvmm": [], "stdvmm": []}
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == "DATA":
        t[f[1]].append(float(f[3]))
if not t["libvmm"] or not t["stdvmm"]:
    sys.exit("libvmm.sh: no figure for one side; see the run logs")
m = {k: statistics.median(v) for k, v in t.items()}
print(f"QEMU start -> 'stdvmm-guest: ready' (median of {len(t['libvmm'])} and {len(t['stdvmm'])} runs):")
print(f"  libvmm examples/simple: {m['libvmm']:.2f} s  {t['libvmm']}")
print(f"  stdvmm one-vm.yaml:     {m['stdvmm']:.2f} s  {t['stdvmm']}")
print(f"  stdvmm/libvmm: {m['stdvmm'] / m['libvmm']:.2f}")
EOF
