#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Builds the guest kit: a Debian kernel and a busybox initramfs whose /init
# reports readiness to stdvmm and runs guest-side test scripts.
#
#   tools/guest-kit/build.sh --arch x86_64 --out DIR [--cache DIR] [--tests DIR]...
#       [--kernel-suite SUITE]
#
# Produces DIR/vmlinuz, DIR/initramfs.cpio.gz and DIR/kit.txt (what went in).
# Everything comes from Debian packages unpacked into the cache, never
# installed; a re-run with unchanged inputs only checks versions.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
LOG_TAG=guest-kit
# shellcheck source=tools/guest-kit/lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=tools/guest-kit/lib/oot_module.sh
. "$here/lib/oot_module.sh"

usage() {
  cat >&2 <<EOF
usage: $0 --arch x86_64 --out DIR [--cache DIR] [--tests DIR]... [--bin FILE]...
            [--kernel-suite SUITE]
  --cache DIR  download/unpack cache (default \$STDVMM_CACHE_DIR or $repo/build/cache)
  --kernel-suite SUITE
               the kernel from this suite of the same Debian mirror (e.g.
               bookworm-backports), everything else as without it
  --tests DIR  guest-side scripts shipped as /tests/*.sh (repeatable, a later DIR's
               script wins on a name clash; default tests/integration/guest)
  --bin FILE   a program of the kit's architecture for /usr/bin (repeatable; test helpers)
  --foreign PACKAGE:PATH
               a file of a Debian package of the kit's architecture, at PATH (repeatable;
               a foreign program and its libraries, added to the arch's own list)
EOF
  exit 2
}

arch="" out="" cache=${STDVMM_CACHE_DIR:-$repo/build/cache} KERNEL_SUITE=""
tests=() bins=() foreign=()
while (($#)); do
  case $1 in
    --arch) arch=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    --tests) tests+=("${2:?}"); shift 2 ;;
    --bin) bins+=("$(cd "$(dirname "${2:?}")" && pwd)/$(basename "$2")"); shift 2 ;;
    --foreign) foreign+=("${2:?}"); shift 2 ;;
    --kernel-suite) KERNEL_SUITE=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) log "unknown argument $1"; usage ;;
  esac
done
[[ -n $arch && -n $out ]] || usage
((${#tests[@]})) || tests=("$repo/tests/integration/guest")
[[ -f $here/arch/$arch.sh ]] || die "unsupported --arch $arch (have: $(cd "$here/arch" && ls))"
# shellcheck source=tools/guest-kit/arch/x86_64.sh
. "$here/arch/$arch.sh"
[[ -v GUEST_PROGRAMS ]] || GUEST_PROGRAMS=() # optional in arch files
[[ -v GUEST_FOREIGN_FILES ]] || GUEST_FOREIGN_FILES=()
[[ -v GUEST_OOT_MODULES ]] || GUEST_OOT_MODULES=()
GUEST_FOREIGN_FILES+=("${foreign[@]}")

ensure_host_pkgs cpio kmod gzip
# GUEST_PROGRAMS entries are PACKAGE:PATH:DEST.
guest_pkgs=()
for spec in "${GUEST_PROGRAMS[@]}"; do guest_pkgs+=("${spec%%:*}"); done
if ((${#guest_pkgs[@]})); then ensure_host_pkgs "${guest_pkgs[@]}"; fi
mkdir -p "$out" "$cache"
out=$(cd "$out" && pwd)
cache=$(cd "$cache" && pwd)

# --kernel-suite: the kernel package alone comes from that suite, through a
# private apt state of its own (lib/common.sh apt_suite_state), refreshed
# once a day like the other private states. kernel_apt runs a command with
# it; callers run it in a subshell, so the rest of the kit keeps APT_OPTS.
kernel_apt() { "$@"; }
if [[ -n $KERNEL_SUITE ]]; then
  kernel_apt_dir=$cache/apt-$DEB_ARCH-$KERNEL_SUITE
  apt_suite_state "$kernel_apt_dir" "$DEB_ARCH" "$KERNEL_SUITE"
  KERNEL_APT_OPTS=("${SUITE_APT_OPTS[@]}")
  kernel_apt() {
    APT_OPTS=("${KERNEL_APT_OPTS[@]}")
    APT_STATE_DIR=$kernel_apt_dir
    "$@"
  }
  (kernel_apt apt_lists_update) || true
fi
kpkg=$(kernel_apt resolve_kernel_pkg "$KERNEL_META")
kver_pkg=$(kernel_apt deb_version "$kpkg")
bb_ver=$(deb_version "$BUSYBOX_PKG")

prog_vers=()
for p in "${guest_pkgs[@]}"; do prog_vers+=("$p=$(dpkg-query -W -f='${Version}' "$p")"); done
stamp=$(inputs_hash "$arch" "kernel-suite=$KERNEL_SUITE" "$kpkg=$kver_pkg" "$BUSYBOX_PKG=$bb_ver" "${prog_vers[@]}" \
  "${GUEST_FOREIGN_FILES[@]}" \
  "$here/build.sh" "$here/init" "$here/udhcpc.script" "$here/lib/common.sh" "$here/lib/oot_module.sh" \
  "$here/arch/$arch.sh" "${tests[@]}" "${bins[@]}")
if [[ -f $out/.stamp && $(<"$out/.stamp") == "$stamp" && -s $out/vmlinuz && -s $out/initramfs.cpio.gz ]]; then
  log "up to date: $out ($kpkg $kver_pkg)"
  exit 0
fi

read -r kdir kver < <(kernel_apt kernel_tree "$cache" "$kpkg")
bbdir=$(deb_unpack "$cache" "$BUSYBOX_PKG")

root=$(mktemp -d "$cache/guest-root.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc,root,tests}

cp -p "$bbdir/bin/busybox" "$root/bin/busybox"
# Applet links made here when the binary runs on the build machine; /init
# installs them at boot otherwise (a foreign-architecture kit).
if applets=$("$root/bin/busybox" --list-full 2>/dev/null); then
  while read -r a; do
    [[ -e $root/$a ]] || ln -s /bin/busybox "$root/$a"
  done <<<"$applets"
else
  ln -s busybox "$root/bin/sh"
fi

# Programs from the build machine's own Debian packages, with their
# libraries (only for a kit of the build machine's architecture).
for spec in "${GUEST_PROGRAMS[@]}"; do
  IFS=: read -r _ src dest <<<"$spec"
  rm -f "${root:?}/$dest" # may be a busybox applet link: never write through it
  add_binary "$root" "$src" "$dest"
done

# Files of the kit's architecture's own packages, when it is not the build
# machine's (no ldd there): PACKAGE:PATH[:DEST].
add_foreign_files "$root" "$cache" "${GUEST_FOREIGN_FILES[@]}"

for b in "${bins[@]}"; do
  [[ -x $b ]] || die "--bin $b is not an executable"
  rm -f "$root/usr/bin/${b##*/}"
  add_binary "$root" "$b" "/usr/bin/${b##*/}"
done

# Modules built out of tree are not in the kernel package: add_modules skips
# them, they go to updates/ and depmod runs again. One that fails to build
# is reported and left out (only the tests that need it will fail).
oot_names=() oot_files=()
for spec in "${GUEST_OOT_MODULES[@]}"; do
  IFS=: read -r file mod srcs <<<"$spec"
  IFS=, read -r -a src_list <<<"$srcs"
  if ko=$(build_oot_module "$cache" "$kver" "$file" "${src_list[@]}"); then
    oot_names+=("$mod")
    oot_files+=("$ko")
  else
    log "warning: out-of-tree module $file not built; the kit goes without it"
  fi
done
in_tree=()
for m in "${GUEST_MODULES[@]}"; do
  is_oot=0
  for spec in "${GUEST_OOT_MODULES[@]}"; do
    IFS=: read -r _ mod _ <<<"$spec"
    [[ $m == "$mod" ]] && is_oot=1
  done
  ((is_oot)) || in_tree+=("$m")
done
add_modules "$root" "$kdir" "$kver" "${in_tree[@]}"
if ((${#oot_files[@]})); then
  mkdir -p "$root/lib/modules/$kver/updates"
  cp "${oot_files[@]}" "$root/lib/modules/$kver/updates/"
  depmod -b "$root" "$kver"
fi
printf '%s\n' "${GUEST_MODULES[@]}" >"$root/etc/stdvmm-modules"

install -m 0755 "$here/init" "$root/init"
install -D -m 0755 "$here/udhcpc.script" "$root/etc/udhcpc/default.script"
install -m 0755 "$repo/tools/guest-agent/stdvmm-irq-affinity" "$root/usr/bin/stdvmm-irq-affinity"
cat >"$root/etc/profile" <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PS1='guest# '
EOF
for t in "${tests[@]}"; do
  [[ -d $t ]] || die "--tests $t is not a directory"
  find "$t" -maxdepth 1 -name '*.sh' -exec install -m 0755 -t "$root/tests" {} +
done

mk_cpio "$root" "$out/initramfs.cpio.gz" gzip
cp "$(kernel_image_path "$kdir" "$kver")" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
cat >"$out/kit.txt" <<EOF
arch=$arch
kernel_package=$kpkg
kernel_package_version=$kver_pkg
kernel_suite=${KERNEL_SUITE:-default}
kernel_release=$kver
busybox_package=$BUSYBOX_PKG
busybox_version=$bb_ver
modules=${GUEST_MODULES[*]}
out_of_tree=${oot_names[*]}
programs=${prog_vers[*]}
EOF
printf '%s\n' "$stamp" >"$out/.stamp"
log "built $out: $kpkg $kver_pkg, initramfs $(du -h "$out/initramfs.cpio.gz" | cut -f1)"
