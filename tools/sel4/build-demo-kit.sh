#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The guest kit for the seL4 demo: the aarch64 guest kit with the guest-side
# scripts of tests/sel4/guest (over the KVM ones of tests/integration/guest,
# for their shared parts such as iommu_lib.sh; its /init loads the out-of-tree virtio_iommu
# right after virtio_mmio, as the aarch64 kit's), its static helpers
# (stdvmm-wild, stdvmm-shm, stdvmm-hostile), a driver VM's
# block and network servers (stdvmm-blkserve, stdvmm-netserve: src/driver_vm),
# a driver VM's initramfs with qemu-storage-daemon besides
# (DIR/driver/initramfs.cpio.gz), and the read-only disk image of the virtio-blk check (DIR/disk.img).
#
#   tools/sel4/build-demo-kit.sh --out DIR [--cache DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out="" cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
while (($#)); do
  case $1 in
    --out) out=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    *) echo "usage: $0 --out DIR [--cache DIR]" >&2; exit 2 ;;
  esac
done
[[ -n $out ]] || { echo "usage: $0 --out DIR [--cache DIR]" >&2; exit 2; }
mkdir -p "$out"
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$out/stdvmm-wild" \
  "$repo/tests/sel4/guest/wild.c"
# Shared regions from guest user space (docs/memory.md), as in the KVM tests.
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$out/stdvmm-shm" \
  "$repo/tests/integration/helpers/stdvmm-shm.c"
# A hostile virtio driver (run-demo.py --scenario iommu): the KVM kit's, for
# the NIC behind the virtio-iommu (tests/sel4/guest/iommu.sh).
aarch64-linux-gnu-gcc -static -s -O2 -Wall -Wextra -Werror -o "$out/stdvmm-hostile" \
  "$repo/tests/integration/helpers/stdvmm-hostile.c"
# A driver VM's third-party backend: Debian's arm64 qemu-storage-daemon and
# its libraries (the C library is in the aarch64 kit already).
qsd=()
for f in qemu-system-common:/usr/bin/qemu-storage-daemon \
  libc6:/lib/aarch64-linux-gnu/libm.so.6 zlib1g:/lib/aarch64-linux-gnu/libz.so.1 \
  libfuse3-3:/lib/aarch64-linux-gnu/libfuse3.so.3 libaio1:/usr/lib/aarch64-linux-gnu/libaio.so.1 \
  libffi8:/usr/lib/aarch64-linux-gnu/libffi.so.8 libgmp10:/usr/lib/aarch64-linux-gnu/libgmp.so.10 \
  libglib2.0-0:/usr/lib/aarch64-linux-gnu/libglib-2.0.so.0 \
  libglib2.0-0:/usr/lib/aarch64-linux-gnu/libgmodule-2.0.so.0 \
  libgnutls30:/usr/lib/aarch64-linux-gnu/libgnutls.so.30 \
  libhogweed6:/usr/lib/aarch64-linux-gnu/libhogweed.so.6 \
  libidn2-0:/usr/lib/aarch64-linux-gnu/libidn2.so.0 libnettle8:/usr/lib/aarch64-linux-gnu/libnettle.so.8 \
  libnuma1:/usr/lib/aarch64-linux-gnu/libnuma.so.1 libp11-kit0:/usr/lib/aarch64-linux-gnu/libp11-kit.so.0 \
  libpcre2-8-0:/usr/lib/aarch64-linux-gnu/libpcre2-8.so.0 \
  libtasn1-6:/usr/lib/aarch64-linux-gnu/libtasn1.so.6 \
  libunistring2:/usr/lib/aarch64-linux-gnu/libunistring.so.2 \
  liburing2:/usr/lib/aarch64-linux-gnu/liburing.so.2 libzstd1:/usr/lib/aarch64-linux-gnu/libzstd.so.1; do
  qsd+=(--foreign "$f")
done
src=$repo/src
aarch64-linux-gnu-gcc -static -O2 -std=gnu17 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$repo/include" \
  -I"$src" -I"$src/driver_vm" -o "$out/stdvmm-blkserve" "$src/driver_vm/stdvmm-blkserve.c" \
  "$src/driver_vm/vmm_link.c" "$src/driver_vm/vhu_blk.c" "$src/channel/channel_stream.c" "$src/backends/vhost_user/vhost_user.c" \
  "$src/backends/vhost_user/vhost_user_msg.c" "$src/drivers/virtio/virtio_driver.c" \
  "$src/core/error.c" "$src/host/linux/log.c"
aarch64-linux-gnu-gcc -static -O2 -std=gnu17 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$repo/include" \
  -I"$src" -I"$src/driver_vm" -o "$out/stdvmm-netserve" "$src/driver_vm/stdvmm-netserve.c" \
  "$src/driver_vm/vmm_link.c" "$src/channel/channel_stream.c"
"$repo/tools/guest-kit/build.sh" --arch aarch64 --out "$out" --cache "$cache" \
  --tests "$repo/tests/integration/guest" --tests "$repo/tests/sel4/guest" \
  --bin "$out/stdvmm-wild" \
  --bin "$out/stdvmm-blkserve" --bin "$out/stdvmm-netserve" --bin "$out/stdvmm-shm" \
  --bin "$out/stdvmm-hostile"
# The driver VM's initramfs (DIR/driver/): the same, with qemu-storage-daemon,
# whose libraries would not leave a 128 MiB guest room to unpack its own.
"$repo/tools/guest-kit/build.sh" --arch aarch64 --out "$out/driver" --cache "$cache" \
  --tests "$repo/tests/sel4/guest" --bin "$out/stdvmm-wild" --bin "$out/stdvmm-blkserve" "${qsd[@]}"
# The read-only disk of the `blk` VM: an ext4 image holding a greeting, 2 MiB
# of random data and that data's SHA-256, so the guest can check every byte
# it read through virtio-blk against the checksum stored beside it.
disk_root=$(mktemp -d)
trap 'rm -rf "$disk_root"' EXIT
echo "hello from a read-only disk served by the seL4 VMM" >"$disk_root/hello.txt"
head -c 2M /dev/urandom >"$disk_root/data.bin"
(cd "$disk_root" && sha256sum data.bin | cut -d' ' -f1 >data.sha256)
rm -f "$out/disk.img"
mke2fs -q -t ext4 -d "$disk_root" -L sel4-demo "$out/disk.img" 8M
