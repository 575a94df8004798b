#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Prints a directory holding the riscv64 Debian -dev packages stdvmm's build
# needs, for cmake/toolchain-riscv64-linux-gnu.cmake (STDVMM_RISCV64_SYSROOT),
# as aarch64-sysroot.sh does for arm64. Debian 12 has no riscv64 port, so
# they come from Debian 13 (trixie), through a private apt state under the
# cache (its own sources list naming the mirror this machine's apt uses, its
# own lists, an empty dpkg status): the system's sources, lists and dpkg
# architectures are never touched; nothing is installed.
#
#   tools/cross/riscv64-sysroot.sh [--cache DIR]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
LOG_TAG=cross
# shellcheck source=tools/guest-kit/lib/common.sh
. "$here/../guest-kit/lib/common.sh"

cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
while (($#)); do
  case $1 in
    --cache) cache=${2:?}; shift 2 ;;
    *) die "usage: $0 [--cache DIR]" ;;
  esac
done
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

DEB_ARCH=riscv64
suite=${STDVMM_RISCV64_SUITE:-trixie}
# The first Debian mirror the system's apt names (deb822 or one-line format).
mirror=$({ sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)[[:space:]]*$/\1/p;
                 s/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\/debian\)[[:space:]].*/\2/p' \
           /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
           2>/dev/null || true; } | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}
apt_dir=$cache/apt-$DEB_ARCH-$suite
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
printf 'deb [arch=%s] %s %s main\n' "$DEB_ARCH" "$mirror" "$suite" >"$apt_dir/sources.list"
APT_OPTS=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "APT::Architectures::=$DEB_ARCH" -o "APT::Architecture=$DEB_ARCH"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
  -o Dir::State::status=/dev/null
)
# Refreshed once a day, as the guest kit's arm64 lists are.
if [[ -z $(find "$apt_dir" -maxdepth 1 -name .updated -mmin -1440 -print 2>/dev/null) ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" update -qq >&2 ||
    die "apt-get update of $suite/$DEB_ARCH from $mirror failed"
  touch "$apt_dir/.updated"
fi

ensure_host_pkgs gcc-riscv64-linux-gnu libc6-dev-riscv64-cross pkg-config
# The same libraries as aarch64-sysroot.sh (keep the two lists alike).
pkgs=(libfdt-dev libyaml-dev libjansson-dev libseccomp-dev)
dirs=() ids=()
for p in "${pkgs[@]}"; do
  dirs+=("$(deb_unpack "$cache" "$p")")
  ids+=("$p=$(deb_version "$p")")
done
sysroot=$cache/sysroot-$DEB_ARCH-$(inputs_hash "${ids[@]}" | cut -c1-16)
if [[ ! -d $sysroot ]]; then
  tmp=$(mktemp -d "$cache/.sysroot.XXXXXX")
  for d in "${dirs[@]}"; do cp -a "$d/." "$tmp/"; done
  mv "$tmp" "$sysroot"
fi
[[ -f $sysroot/usr/include/libfdt.h ]] || die "no libfdt.h in $sysroot"
printf '%s\n' "$sysroot"
