# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# shellcheck disable=SC2154 # the variables libvmm.sh sets before sourcing this
# bench/sel4/libvmm.sh --example virtio: sourced by it once the Microkit SDK
# is built ($work, $sdk, $libvmm, $kit, $image, $cache, $runs, $build_only,
# $here, $log and die() are set). What it measures and what it changes in the
# copy of libvmm's tree: the comment at the top of libvmm.sh.

# The Debian packages of the kit's kernel, and uio_pdrv_genirq.ko built out of
# tree for it, through the guest kit's own helpers.
kver=$(sed -n 's/^kernel_release=//p' "$kit/kit.txt")
[[ -n $kver ]] || die "$kit/kit.txt names no kernel_release"
(
  # shellcheck disable=SC2034 # read by the sourced helpers
  LOG_TAG=libvmm.sh
  # shellcheck source=tools/guest-kit/lib/common.sh
  . "$here/../../tools/guest-kit/lib/common.sh"
  # shellcheck source=tools/guest-kit/lib/oot_module.sh
  . "$here/../../tools/guest-kit/lib/oot_module.sh"
  # shellcheck source=tools/guest-kit/arch/aarch64.sh
  . "$here/../../tools/guest-kit/arch/aarch64.sh"
  kdir=$(deb_unpack "$cache" "linux-image-$kver")
  ko=$(build_oot_module "$cache" "$kver" uio_pdrv_genirq drivers/uio/uio_pdrv_genirq.c)
  mkdir -p "$work/uio"
  cp "$kdir/lib/modules/$kver/kernel/drivers/uio/uio.ko" "$ko" "$work/uio/"
) >>"$log" 2>&1 || die "uio.ko or uio_pdrv_genirq.ko for $kver: see $log"

# libvmm's examples/virtio from a copy of the libvmm tree.
lv=$work/libvmm
rm -rf "$lv"
cp -a "$libvmm" "$lv"
fix_libvmm_vgic "$lv"
ex=$lv/examples/virtio
board=$ex/board/qemu_virt_aarch64
[[ -f $ex/blk_driver_vmm.c && -f $board/virtio.system ]] || die "$libvmm has no examples/virtio"
for vm in client_vm blk_driver_vm; do
  cp "$kit/vmlinuz" "$board/$vm/linux"
done
cp "$kit/initramfs.cpio.gz" "$board/client_vm/rootfs.cpio.gz"
# The driver VM's: the kit's with one more newc archive after it (the kernel
# unpacks them in turn, as libvmm's tools/packrootfs relies on too).
droot=$work/driver-root
rm -rf "$droot"
mkdir -p "$droot/lib/libvmm" "$droot/tests"
cp "$work"/uio/*.ko "$droot/lib/libvmm/"
cat >"$droot/tests/libvmm_blk_driver.sh" <<'EOF'
#!/bin/sh
# libvmm's block-driver VM: its UIO driver (the example's packrootfs puts it
# in /root) serves the clients from /dev/vda, QEMU's virtio-blk-device.
insmod /lib/libvmm/uio.ko
insmod /lib/libvmm/uio_pdrv_genirq.ko of_id=generic-uio
ls /dev/uio0 /dev/vda || echo "libvmm-driver: no /dev/uio0 or /dev/vda"
echo "libvmm-driver: serving /dev/vda"
exec /root/uio_blk_driver /dev/vda
EOF
chmod +x "$droot/tests/libvmm_blk_driver.sh"
{
  zcat "$kit/initramfs.cpio.gz"
  (cd "$droot" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
} | gzip -9n >"$board/blk_driver_vm/rootfs.cpio.gz"
# The kit's /init runs /tests/NAME.sh for stdvmm.test=NAME (its console on
# hvc0 once virtio_console is loaded); uio_pdrv_genirq's of_id goes to insmod.
set_bootargs() { # VM ARGS
  local f=$board/$1/dts/overlays/init.dts
  sed -i "s|bootargs = \".*\";|bootargs = \"$2\";|" "$f"
  grep -q "bootargs = \"$2\";" "$f" || die "$f has no bootargs line"
}
set_bootargs blk_driver_vm "console=hvc0 quiet panic=-1 stdvmm.test=libvmm_blk_driver"
set_bootargs client_vm "console=hvc0 quiet panic=-1 stdvmm.test=blkbench blkbench.queue=128,12"
add_boot_timer_handler "$ex/client_vmm.c"
add_boot_timer_handler "$ex/blk_driver_vmm.c"
# The example's Linux user-space programs with Debian's cross gcc, static,
# for `zig cc` (which also takes clang's -target).
cat >"$work/bin/aarch64-linux-static-cc" <<'EOF'
#!/bin/sh
for a; do
  shift
  case $skip$a in
  -target) skip=1 ;;
  1*) skip= ;;
  -Wno-unused-command-line-argument) ;;
  *) set -- "$@" "$a" ;;
  esac
done
exec aarch64-linux-gnu-gcc -static "$@"
EOF
chmod +x "$work/bin/aarch64-linux-static-cc"
build_virtio() {
  make -C "$ex" MICROKIT_SDK="$sdk" MICROKIT_BOARD=qemu_virt_aarch64 MICROKIT_CONFIG=debug \
    BUILD_DIR="$work/virtio" CC_USERLEVEL="$work/bin/aarch64-linux-static-cc" -j2 >>"$log" 2>&1 ||
    die "libvmm's examples/virtio did not build (see $log)"
}
build_virtio
# The device trees give each VM's initrd the example's 15 MiB slot; the
# kernel keeps all of it reserved while it unpacks, which a 128 MiB Debian
# guest (64 MiB of CMA, a 32 MiB kernel) cannot spare: give the initrd's real
# end, known once the example has packed its rootfs, and build again.
for vm in client_vm blk_driver_vm; do
  end=$(printf '0x%x' $((0x47000000 + $(stat -c %s "$work/virtio/$vm/rootfs.cpio.gz"))))
  f=$board/$vm/dts/overlays/init.dts
  sed -i "s|linux,initrd-end = <0x47f00000>;|linux,initrd-end = <$end>;|" "$f"
  grep -q "linux,initrd-end = <$end>;" "$f" || die "$f has no initrd-end line"
done
build_virtio
loader=$work/virtio/loader.img
[[ -f $loader ]] || die "no $loader"
if ((build_only)); then
  echo "libvmm.sh: built $loader"
  exit 0
fi

# The disks, made afresh before each boot (the write test overwrites them).
# libvmm's: an MBR with two 64 MiB partitions (the example's clients each
# get one; starts and sizes multiples of sDDF's 4 KiB transfer), the second
# marked idle. stdvmm's: 64 MiB, all of it the VM's region.
mib=64
disk_libvmm() {
  local d=$work/disk-libvmm.img
  rm -f "$d"
  truncate -s $(((2 * mib + 2) * 1048576)) "$d"
  printf 'label: dos\nstart=2048, size=%d, type=83\nstart=%d, size=%d, type=83\n' \
    $((mib * 2048)) $((2048 + mib * 2048)) $((mib * 2048)) | sfdisk -q "$d" ||
    die "sfdisk failed on $d"
  printf LIBVMMIDLE | dd of="$d" bs=512 seek=$((2048 + mib * 2048)) conv=notrunc status=none
}
disk_stdvmm() {
  rm -f "$work/disk-stdvmm.img"
  truncate -s $((mib * 1048576)) "$work/disk-stdvmm.img"
}
disk_stdvmm_drv() { disk_stdvmm; }
# shellcheck disable=SC2034 # alternate() (libvmm.sh) reads both
qemu_libvmm=(qemu-system-aarch64 -machine "virt,virtualization=on,secure=off" -cpu cortex-a53
  -serial mon:stdio -device "loader,file=$loader,addr=0x70000000,cpu-num=0" -m size=2G -nographic
  -drive "file=$work/disk-libvmm.img,format=raw,if=none,id=drive0"
  -device "virtio-blk-device,drive=drive0,id=virtblk0,num-queues=1")
# shellcheck disable=SC2034
qemu_stdvmm=(qemu-system-aarch64 -machine "virt,virtualization=on" -cpu cortex-a53 -m 2G
  -nographic -kernel "$image" -global virtio-mmio.force-legacy=false
  -drive "file=$work/disk-stdvmm.img,if=none,format=raw,id=disk0" -device "virtio-blk-device,drive=disk0")
# The driver VM's disk offers ACCESS_PLATFORM: its guest RAM is not where
# the device's DMA goes, and its DMA API translates through dma-ranges.
# shellcheck disable=SC2034
qemu_stdvmm_drv=(qemu-system-aarch64 -machine "virt,virtualization=on" -cpu cortex-a53 -m 2G
  -nographic -kernel "$driver_image" -global virtio-mmio.force-legacy=false
  -drive "file=$work/disk-stdvmm.img,if=none,format=raw,id=disk0"
  -device "virtio-blk-device,drive=disk0,iommu_platform=on")
results=$work/blk.log
: >"$results"
bench() { # NAME RUN COMMAND...
  local name=$1 run=$2 out line
  shift 2
  out=$work/$name-$run.log
  "disk_$name"
  if "$here/boot_line.py" 'BLKBENCH (bytes|error)' 300 -- "$@" >"$out" 2>&1 &&
    line=$(grep -ao 'BLKBENCH bytes=[0-9]* read_s=[0-9.]* write_s=[0-9.]*' "$out" | head -1) &&
    [[ -n $line ]]; then
    echo "DATA $name $run ${line#BLKBENCH }" | tee -a "$results"
  else
    echo "FAIL $name $run (no BLKBENCH figure within 300 s: $out)" | tee -a "$results"
  fi
}
alternate bench
python3 - "$results" <<'EOF'
import statistics
import sys
rate = {k: {"read": [], "write": []} for k in ("libvmm", "stdvmm", "stdvmm_drv")}
seen = set()  # the sides that ran, with a figure or without
for line in open(sys.argv[1]):
    f = line.split()
    seen.add(f[1])
    if f[0] != "DATA":
        continue
    kv = dict(x.split("=") for x in f[3:])
    mb = int(kv["bytes"]) / 1e6
    for op in ("read", "write"):
        s = float(kv[op + "_s"])
        if s > 0:
            rate[f[1]][op].append(mb / s)
ran = [k for k in rate if k in seen]
if not all(rate[k]["read"] and rate[k]["write"] for k in ran):
    sys.exit("libvmm.sh: no figure for one side; see the run logs")
name = {"libvmm": "libvmm examples/virtio", "stdvmm": "stdvmm one-blk.yaml",
        "stdvmm_drv": "stdvmm driver-blk.yaml"}
print("sequential MB/s of one VM's 64 MiB virtio-blk disk, guest clock, median of "
      + ", ".join(f"{len(rate[k]['read'])} ({k})" for k in ran) + " runs:")
for op in ("read", "write"):
    m = {k: statistics.median(rate[k][op]) for k in ran}
    for k in ran:
        ratio = "" if k == "libvmm" else f"  /libvmm: {m[k] / m['libvmm']:.2f}"
        print(f"  {op:5}  {name[k]:24} {m[k]:6.1f}{ratio:16}  {[round(x, 1) for x in rate[k][op]]}")
EOF
