# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Out-of-tree kernel modules for the guest kit: a driver Debian's kernel
# source has but its kernel configuration leaves out (virtio-iommu on
# arm64), built from Debian's own linux-source against Debian's headers for
# the kit's exact kernel, so its vermagic and symbol versions match.
#
# Sourced by build.sh after lib/common.sh and the arch file (DEB_ARCH,
# APT_OPTS). Needs make and the kit architecture's gcc-12 cross compiler.

# oot_kernel_arch DEB_ARCH -> "KERNEL_ARCH CROSS_COMPILE"
oot_kernel_arch() {
  case $1 in
    arm64) echo "arm64 aarch64-linux-gnu-" ;;
    riscv64) echo "riscv riscv64-linux-gnu-" ;;
    amd64) echo "x86 -" ;;
    *) return 1 ;;
  esac
}

# build_oot_module CACHE KVER NAME FILE... -> prints the built NAME.ko.
# FILE...: paths inside the kernel source that make up the module (its .c
# and the private headers it includes). The result is cached per kernel
# release and source version.
build_oot_module() {
  local cache=$1 kver=$2 name=$3
  shift 3
  local series abi karch cross src_ver out work src hdr common kbuild f
  series=${kver%%-*} # 6.1.0
  series=${series%.*} # 6.1
  abi=${kver%-*}      # 6.1.0-57
  read -r karch cross < <(oot_kernel_arch "$DEB_ARCH") || die "no kernel arch for $DEB_ARCH"
  [[ $cross == - ]] && cross=""
  src_ver=$(deb_version "linux-source-$series")
  out="$cache/oot/$name-$kver-${src_ver//:/%3a}"
  if [[ -s $out/$name.ko ]]; then
    printf '%s\n' "$out/$name.ko"
    return 0
  fi
  ensure_host_pkgs make xz-utils
  [[ -z $cross ]] || command -v "${cross}gcc-12" >/dev/null || ensure_host_pkgs "gcc-12-${cross%-}"
  src=$(deb_unpack "$cache" "linux-source-$series")
  hdr=$(deb_unpack "$cache" "linux-headers-$kver")
  common=$(deb_unpack "$cache" "linux-headers-$abi-common")
  # The host-side build programs (fixdep, modpost) are the build machine's.
  kbuild=$(
    # shellcheck disable=SC2034 # read by deb_unpack
    APT_OPTS=()
    DEB_ARCH=""
    deb_unpack "$cache" "linux-kbuild-$series"
  )
  mkdir -p "$cache/oot"
  work=$(mktemp -d "$cache/oot/.tmp.XXXXXX")
  # One tree as Debian installs them: the headers' relative links to
  # ../../lib/linux-kbuild-SERIES then resolve, and only the arch Makefile's
  # absolute include of /usr/src/...-common needs pointing here.
  mkdir -p "$work/usr"
  for f in "$hdr" "$common" "$kbuild"; do cp -a "$f/usr/." "$work/usr/"; done
  sed -i "s#/usr/src/#$work/usr/src/#" "$work/usr/src/linux-headers-$kver/Makefile"
  mkdir -p "$work/mod"
  local members=()
  for f in "$@"; do members+=("linux-source-$series/$f"); done
  tar -xJf "$src/usr/src/linux-source-$series.tar.xz" -C "$work" "${members[@]}" ||
    die "linux-source-$series has no ${members[*]}"
  for f in "$@"; do cp "$work/linux-source-$series/$f" "$work/mod/"; done
  printf 'obj-m := %s.o\n' "$name" >"$work/mod/Kbuild"
  log "building $name.ko for $kver (linux-source-$series $src_ver)"
  make -s -C "$work/usr/src/linux-headers-$kver" ARCH="$karch" CROSS_COMPILE="$cross" \
    M="$work/mod" modules >&2 || die "building $name.ko failed"
  mkdir -p "$out"
  cp "$work/mod/$name.ko" "$out/$name.ko.tmp"
  "${cross}strip" --strip-debug "$out/$name.ko.tmp"
  mv "$out/$name.ko.tmp" "$out/$name.ko"
  rm -rf "$work"
  printf '%s\n' "$out/$name.ko"
}
