#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Boots the test host with its console on this terminal and runs
#   stdvmm run --kernel <guest kernel> --initramfs <guest initramfs> [ARGS...]
# in the foreground there, so you get the guest's shell. The host powers off
# when stdvmm exits; this script exits with stdvmm's status.
#
#   tools/testhost/run-interactive.sh --arch x86_64 --stdvmm PATH [options] -- [ARGS...]
#     --guest-kit DIR  prebuilt guest kit (default: built into the cache)
#     --cache DIR      download/build cache (default $STDVMM_CACHE_DIR or build/cache)
#     --standin-qemu   run the guest under QEMU microvm instead of stdvmm
#                      (ARGS go to QEMU), to check the host without stdvmm
#     --shell          a host shell instead (STDVMM, GUEST_KERNEL, ... set)
#
# Keys go to the guest (Ctrl-C included) and to stdvmm's console (Ctrl-A x
# stops the VM). The emulated host's own escape is Ctrl-] : Ctrl-] x kills
# it at once, Ctrl-] h lists the rest.
set -euo pipefail

testhost_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$testhost_dir/../.." && pwd)
LOG_TAG=testhost
# shellcheck source=tools/testhost/lib/host.sh
. "$testhost_dir/lib/host.sh"

usage() {
  awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

arch="" stdvmm="" kit="" what=stdvmm
cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
while (($#)); do
  case $1 in
    --arch) arch=${2:?}; shift 2 ;;
    --stdvmm) stdvmm=${2:?}; shift 2 ;;
    --guest-kit) kit=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    --standin-qemu) what=qemu; shift ;;
    --shell) what=shell; shift ;;
    --) shift; break ;;
    -h | --help) usage ;;
    *) log "unknown argument $1"; usage ;;
  esac
done
[[ -n $arch ]] || usage
[[ $what != stdvmm || -n $stdvmm ]] || die "--stdvmm PATH is required (or --standin-qemu / --shell)"

# sh_quote WORD: single-quoted for the host's busybox sh.
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

th_init "$arch" "$cache"
kit=$(th_guest_kit "$kit")
base=$(th_base)

stage=$(mktemp -d "$th_cache/stage.XXXXXX")
work=$(mktemp -d "$th_cache/interactive.XXXXXX")
trap 'rm -rf "$stage" "$work"' EXIT
if [[ -n $stdvmm ]]; then th_stage_stdvmm "$stage" "$stdvmm"; fi
th_stage_guest "$stage" "$kit"
case $what in
  stdvmm)
    words=(/opt/stdvmm/bin/stdvmm run --kernel /opt/guest/vmlinuz
      --initramfs /opt/guest/initramfs.cpio.gz "$@")
    mode=interactive
    ;;
  qemu)
    th_stage_qemu "$stage"
    words=(/opt/qemu/bin/qemu -L /opt/qemu/share -enable-kvm -M microvm -cpu host -m 256
      -nodefaults -no-user-config -display none -no-reboot -serial stdio
      -kernel /opt/guest/vmlinuz -initrd /opt/guest/initramfs.cpio.gz
      -append "console=ttyS0 panic=-1")
    words+=("$@")
    mode=interactive
    ;;
  shell) words=() mode=shell ;;
esac
{
  echo '#!/bin/sh'
  printf 'exec'
  for w in "${words[@]}"; do printf ' %s' "$(sh_quote "$w")"; done
  echo
} >"$stage/opt/interactive.sh"
th_stage_conf "$stage" "$mode" 0
initrd=$th_cache/testhost/$arch/initrd-interactive.img
th_initrd "$stage" "$base" "$initrd"

mapfile -t cmd < <(th_qemu_cmd "$base" "$initrd" "")
log "booting the $arch test host (Ctrl-] x kills it)"
qrc=0
# -echr 0x1d: QEMU's default escape, Ctrl-A, belongs to stdvmm's console.
"${cmd[@]}" -echr 0x1d -chardev stdio,id=con,mux=on,signal=off -serial chardev:con \
  -mon chardev=con,mode=readline -serial "file:$work/protocol.txt" || qrc=$?
th_parse "$work" <"$work/protocol.txt" 2>/dev/null
if [[ -s $work/.exit ]]; then
  rc=$(<"$work/.exit")
  log "the VMM exited with status $rc"
  exit "$rc"
fi
[[ $mode == shell && -e $work/.host-end ]] && exit 0
log "the test host ended without reporting an exit status (QEMU status $qrc)"
exit 2
