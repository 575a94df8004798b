# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Helpers shared by the guest kit and the test host: Debian package fetching
# (never installed system-wide, only unpacked into a cache), kernel module
# closures, dynamic-binary closures and cpio archives.
#
# Sourced, not executed. Callers set -euo pipefail themselves and may set
# APT_OPTS (an array) to fetch another architecture's packages.

if [[ -z ${APT_OPTS+x} ]]; then
  APT_OPTS=()
fi

log() { printf '%s: %s\n' "${LOG_TAG:-stdvmm-tools}" "$*" >&2; }
die() {
  log "error: $*"
  exit 2
}

# Installs Debian packages on the build machine only when one is missing, so
# a re-run costs a dpkg query instead of an apt round trip.
ensure_host_pkgs() {
  local missing=() p
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]}"
  [[ $(id -u) == 0 ]] || die "need root to apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Refreshes the lists of a private apt state (APT_STATE_DIR, set with
# APT_OPTS by the arch file; the system's own otherwise): once a day, or
# now with "force". Under a lock: the cross build and the guest kit read the
# same state at once (ctest -j), and a second apt-get update fails on
# apt's own lock instead of waiting for it.
apt_lists_update() {
  local force=${1:-}
  if [[ -z ${APT_STATE_DIR:-} ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" update -qq >&2
    return
  fi
  (
    flock 9
    if [[ $force == force ||
      -z $(find "$APT_STATE_DIR" -maxdepth 1 -name .updated -mmin -1440 -print 2>/dev/null) ]]; then
      DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" update -qq >&2 &&
        touch "$APT_STATE_DIR/.updated"
    fi
  ) 9>"$APT_STATE_DIR/.update.lock"
}

# apt_suite_state DIR DEB_ARCH SUITE: a private apt state in DIR for one
# suite (main) of the Debian mirror the system's apt uses, for DEB_ARCH
# only: its own sources list, lists, cache and an empty dpkg status, so the
# system's sources, lists and dpkg architectures are never touched. Sets
# SUITE_APT_OPTS (the apt options reading it). apt checks what it fetches
# as for the system's sources: the suite's Release signed by Debian's
# archive keys, the Packages file's hash in it, each .deb's SHA256 there.
apt_suite_state() {
  local dir=$1 arch=$2 suite=$3 mirror
  # The first Debian mirror the system's apt names (deb822 or one-line format).
  mirror=$({ sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)[[:space:]]*$/\1/p;
                    s/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\/debian\)[[:space:]].*/\2/p' \
              /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
              2>/dev/null || true; } | head -n 1)
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  printf 'deb [arch=%s] %s %s main\n' "$arch" "${mirror:-http://deb.debian.org/debian}" "$suite" \
    >"$dir/sources.list"
  # shellcheck disable=SC2034 # read by the caller
  SUITE_APT_OPTS=(
    -o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "APT::Architectures::=$arch" -o "APT::Architecture=$arch"
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
    -o Dir::State::status=/dev/null
  )
}

# The candidate version apt would download; it keys every cache entry, so a
# Debian point release invalidates exactly the packages it changed.
deb_version() {
  local v
  v=$(apt-cache "${APT_OPTS[@]}" policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
  if [[ -z $v || $v == "(none)" ]]; then
    # An empty package list is the usual cause on a fresh machine.
    apt_lists_update force || true
    v=$(apt-cache "${APT_OPTS[@]}" policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
  fi
  [[ -n $v && $v != "(none)" ]] || die "no candidate version for package $1"
  printf '%s\n' "$v"
}

# add_foreign_files ROOT CACHE SPEC...: files of the target architecture's
# own Debian packages, for a root that is not the build machine's
# architecture (no ldd for them here). SPEC is PACKAGE:PATH[:DEST]; the file
# goes to DEST (default PATH) with links followed.
add_foreign_files() {
  local root=$1 cache=$2 spec pkg path dest pdir
  shift 2
  for spec in "$@"; do
    IFS=: read -r pkg path dest <<<"$spec"
    dest=${dest:-$path}
    pdir=$(deb_unpack "$cache" "$pkg")
    [[ -e $pdir$path ]] || die "$pkg has no $path"
    rm -f "${root:?}$dest" # may be a busybox applet link: never write through it
    mkdir -p "$root${dest%/*}"
    cp -L "$pdir$path" "$root$dest"
  done
}

# add_foreign_program ROOT CACHE PACKAGE:PATH DEST: a dynamically linked
# program of the target architecture's package as DEST, with its loader and
# every library it needs, found by what the ELF files name (readelf reads a
# foreign ELF; ldd cannot run it). A library's package is the one that holds
# it on the build machine (dpkg -S): Debian names a library's package alike
# on every architecture, and the program's native package, installed here,
# pulls the same libraries in.
add_foreign_program() {
  local root=$1 cache=$2 pkg path dest=$4 pdir interp lib f owner native_ma ma
  IFS=: read -r pkg path <<<"$3"
  pdir=$(deb_unpack "$cache" "$pkg")
  [[ -e $pdir$path ]] || die "$pkg has no $path"
  rm -f "${root:?}$dest"
  mkdir -p "$root${dest%/*}"
  cp -L "$pdir$path" "$root$dest"
  interp=$(readelf -lW "$root$dest" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  [[ -n $interp ]] || return 0 # static
  native_ma=$(gcc -print-multiarch)
  ma=${interp#/lib/ld-linux-}
  ma=${ma%.so.*}-linux-gnu # ld-linux-aarch64.so.1 -> aarch64-linux-gnu
  add_foreign_files "$root" "$cache" "libc6:$interp"
  local todo=("$root$dest") seen=" "
  while ((${#todo[@]})); do
    f=${todo[0]}
    todo=("${todo[@]:1}")
    for lib in $(readelf -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      [[ $seen == *" $lib "* ]] && continue
      seen+="$lib "
      [[ -e $root/lib/$ma/$lib || $lib == "${interp##*/}" ]] && continue
      owner=$(dpkg -S "*/$native_ma/$lib" 2>/dev/null | awk -F: -v l="/$native_ma/$lib" \
        'index($0, l) == length($0) - length(l) + 1 { print $1; exit }' || true)
      [[ -n $owner ]] || die "no package on this machine holds $lib (needed by ${f##*/})"
      pdir=$(deb_unpack "$cache" "$owner")
      local src=$pdir/lib/$ma/$lib
      [[ -e $src ]] || src=$pdir/usr/lib/$ma/$lib
      [[ -e $src ]] || die "$owner ($DEB_ARCH) has no $lib"
      mkdir -p "$root/lib/$ma"
      cp -L "$src" "$root/lib/$ma/$lib"
      todo+=("$root/lib/$ma/$lib")
    done
  done
}

# linux-image-amd64 is a metapackage; the kernel lives in the versioned
# package it depends on (linux-image-6.1.0-NN-amd64).
resolve_kernel_pkg() {
  local meta=$1 dep
  deb_version "$meta" >/dev/null
  dep=$(apt-cache "${APT_OPTS[@]}" depends "$meta" |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')
  [[ -n $dep ]] || die "cannot resolve the kernel package behind $meta"
  printf '%s\n' "$dep"
}

# deb_unpack CACHE PKG -> prints the directory holding the unpacked package.
# The directory name carries the version, so an unchanged package is reused
# without any download.
deb_unpack() {
  local cache=$1 pkg=$2 ver key dir tmp deb
  ver=$(deb_version "$pkg")
  key="${pkg}_${ver//:/%3a}"
  # Foreign-architecture packages share names and versions with native ones.
  if [[ -n ${DEB_ARCH:-} && $DEB_ARCH != "$(dpkg --print-architecture)" ]]; then
    key+="_$DEB_ARCH"
  fi
  dir="$cache/pkgs/$key"
  if [[ ! -d $dir ]]; then
    mkdir -p "$cache/pkgs"
    tmp=$(mktemp -d "$cache/pkgs/.tmp.XXXXXX")
    log "downloading $pkg $ver"
    # Sandbox user root: the cache may live where _apt cannot write.
    (cd "$tmp" && apt-get "${APT_OPTS[@]}" -o APT::Sandbox::User=root -qq download "$pkg=$ver" >&2) ||
      die "apt-get download $pkg=$ver failed"
    deb=$(find "$tmp" -maxdepth 1 -name '*.deb' -print -quit)
    [[ -n $deb ]] || die "apt-get download $pkg produced no .deb"
    mkdir "$tmp/root"
    dpkg-deb -x "$deb" "$tmp/root"
    rm -f "$deb"
    # Debian 13 packages (merged /usr) put programs in usr/bin and usr/sbin:
    # the paths the kit and test host use (bin/busybox, ...) still work.
    local d
    for d in bin sbin; do
      if [[ -d $tmp/root/usr/$d && ! -e $tmp/root/$d ]]; then
        ln -s "usr/$d" "$tmp/root/$d"
      fi
    done
    mv "$tmp/root" "$dir"
    rmdir "$tmp"
  fi
  printf '%s\n' "$dir"
}

# kernel_tree CACHE PKG -> prints "DIR VERSION": the unpacked kernel package
# with a modules.dep (Debian ships none) so modprobe can resolve closures.
kernel_tree() {
  local cache=$1 pkg=$2 dir kver
  dir=$(deb_unpack "$cache" "$pkg")
  # Debian 13's kernels (merged /usr) ship /usr/lib/modules: give them the
  # /lib the tools below and bookworm's modprobe and depmod look in.
  if [[ ! -e $dir/lib && -d $dir/usr/lib/modules ]]; then
    ln -s usr/lib "$dir/lib"
  fi
  kver=$(find "$dir/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | head -n1)
  [[ -n $kver ]] || die "no lib/modules/<version> in $pkg"
  if [[ ! -s $dir/lib/modules/$kver/modules.dep ]]; then
    depmod -b "$dir" "$kver"
  fi
  printf '%s %s\n' "$dir" "$kver"
}

# add_modules ROOT KDIR KVER MODULE... copies each module and everything it
# depends on into ROOT (same relative paths) and writes ROOT's modules.dep, so
# the module loader inside the VM resolves order itself. A module that is
# built into the kernel needs nothing; an unknown one is only reported,
# because the guest tolerates missing drivers.
add_modules() {
  local root=$1 kdir=$2 kver=$3 m line path
  shift 3
  mkdir -p "$root/lib/modules/$kver"
  for m in "$@"; do
    if ! line=$(modprobe -d "$kdir" -S "$kver" --show-depends "$m" 2>/dev/null); then
      log "warning: module $m not in kernel $kver"
      continue
    fi
    while read -r kind path _; do
      [[ $kind == insmod ]] || continue
      path=${path#"$kdir"}
      mkdir -p "$root/$(dirname "$path")"
      cp -p "$kdir/$path" "$root/$path"
    done <<<"$line"
  done
  local f
  for f in modules.builtin modules.builtin.modinfo modules.order; do
    [[ -e $kdir/lib/modules/$kver/$f ]] && cp "$kdir/lib/modules/$kver/$f" "$root/lib/modules/$kver/"
  done
  depmod -b "$root" "$kver"
}

# add_binary ROOT FILE [DEST] copies a program and its ldd closure (libc,
# ld-linux, any .so) into ROOT, keeping library paths as ldd reports them so
# the dynamic loader finds them without a cache.
add_binary() {
  local root=$1 file=$2 dest=${3:-$2} lib
  mkdir -p "$root/$(dirname "$dest")"
  cp -pL "$file" "$root/$dest"
  # ldd prints "name => /path (addr)" or "/path (addr)"; static ones print
  # "not a dynamic executable" and need nothing more.
  while read -r lib; do
    [[ -e $root/$lib ]] && continue
    mkdir -p "$root/$(dirname "$lib")"
    cp -pL "$lib" "$root/$lib"
  done < <(ldd "$file" 2>/dev/null | awk '/=> \// {print $3} /^\t\// {print $1}')
  return 0
}

# mk_cpio ROOT OUT [gzip|none] writes a newc archive owned by root with
# sorted entries, so unchanged inputs give an identical archive.
mk_cpio() {
  local root=$1 out=$2 comp=${3:-gzip}
  local tmp="$out.tmp.$$"
  (cd "$root" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --reproducible --quiet) >"$tmp.cpio"
  case $comp in
    gzip) gzip -9n <"$tmp.cpio" >"$tmp" && rm -f "$tmp.cpio" ;;
    none) mv "$tmp.cpio" "$tmp" ;;
    *) die "mk_cpio: unknown compression $comp" ;;
  esac
  mv "$tmp" "$out"
}

# Hash of a list of files and strings: decides whether an output is current.
inputs_hash() {
  local x
  for x in "$@"; do
    if [[ -f $x ]]; then
      printf 'file %s\n' "$x"
      cat "$x"
    elif [[ -d $x ]]; then
      printf 'dir %s\n' "$x"
      (cd "$x" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
    else
      printf 'str %s\n' "$x"
    fi
  done | sha256sum | cut -d' ' -f1
}
