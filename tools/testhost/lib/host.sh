# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# The outer side of the test host: builds its initramfs (a cached base with
# kernel modules and busybox, plus a per-run payload with stdvmm, the guest
# kit and the test scripts), boots it under QEMU TCG and parses the result
# protocol written by tools/testhost/init on the host's second serial port.
#
# Sourced by run-suite.sh, run-interactive.sh and bench scripts, which set
# testhost_dir (this tool's directory) first.

# shellcheck source=tools/guest-kit/lib/common.sh
: "${testhost_dir:?set by the sourcing script}"
. "$testhost_dir/../guest-kit/lib/common.sh"

# th_init ARCH CACHE: loads the architecture's configuration and makes sure
# the build machine has what booting it needs.
th_init() {
  th_arch=$1
  th_cache=$2
  [[ -f $testhost_dir/arch/$th_arch.sh ]] ||
    die "unsupported --arch $th_arch (have: $(cd "$testhost_dir/arch" && ls))"
  # shellcheck source=tools/testhost/arch/x86_64.sh
  . "$testhost_dir/arch/$th_arch.sh"
  ensure_host_pkgs "$QEMU_PKG" cpio kmod gzip
  mkdir -p "$th_cache"
  th_cache=$(cd "$th_cache" && pwd)
}

# th_guest_kit [DIR]: prints the guest kit directory, building it into the
# cache when no prebuilt one is given.
th_guest_kit() {
  local dir=${1:-}
  if [[ -z $dir ]]; then
    dir=$th_cache/guest-kit/$th_arch
    "$testhost_dir/../guest-kit/build.sh" --arch "$th_arch" --out "$dir" --cache "$th_cache" >&2
  fi
  [[ -s $dir/vmlinuz && -s $dir/initramfs.cpio.gz ]] ||
    die "guest kit $dir lacks vmlinuz or initramfs.cpio.gz"
  (cd "$dir" && pwd)
}

# th_base: prints the directory holding the host's vmlinuz and the cached
# base initramfs (busybox, KVM modules, /init). Rebuilt only when a package
# version or one of these scripts changes.
th_base() {
  local kpkg kver_pkg bb_ver stamp dir kdir kver bbdir root a
  kpkg=$(resolve_kernel_pkg "$KERNEL_META")
  kver_pkg=$(deb_version "$kpkg")
  bb_ver=$(deb_version "$BUSYBOX_PKG")
  dir=$th_cache/testhost/$th_arch
  local progs=() p
  [[ -v HOST_PROGRAMS ]] || HOST_PROGRAMS=()
  for a in "${HOST_PROGRAMS[@]}"; do
    p=${a%%:*}
    ensure_host_pkgs "$p"
    progs+=("$p=$(dpkg-query -W -f='${Version}' "$p")")
  done
  [[ -v HOST_FOREIGN_FILES ]] || HOST_FOREIGN_FILES=()
  stamp=$(inputs_hash "$th_arch" "$kpkg=$kver_pkg" "$BUSYBOX_PKG=$bb_ver" "${progs[@]}" \
    "${HOST_FOREIGN_FILES[@]}" \
    "$testhost_dir/init" "$testhost_dir/lib/host.sh" "$testhost_dir/arch/$th_arch.sh" \
    "$testhost_dir/kvm-hold.c" \
    "$testhost_dir/../guest-kit/lib/common.sh")
  if [[ -f $dir/.stamp && $(<"$dir/.stamp") == "$stamp" && -s $dir/base.cpio.gz ]]; then
    printf '%s\n' "$dir"
    return 0
  fi
  log "building the $th_arch test host ($kpkg $kver_pkg)"
  read -r kdir kver < <(kernel_tree "$th_cache" "$kpkg")
  bbdir=$(deb_unpack "$th_cache" "$BUSYBOX_PKG")
  mkdir -p "$dir"
  rm -f "$dir/kallsyms.gz" # another kernel's, perhaps
  root=$(mktemp -d "$th_cache/host-root.XXXXXX")
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc,opt,root}
  cp -p "$bbdir/bin/busybox" "$root/bin/busybox"
  # A foreign-architecture busybox cannot list its applets here: /init
  # installs them at boot then (as the guest kit's does).
  if applets=$("$root/bin/busybox" --list-full 2>/dev/null); then
    while read -r a; do
      [[ -e $root/$a ]] || ln -s /bin/busybox "$root/$a"
    done <<<"$applets"
  else
    ln -s busybox "$root/bin/sh"
  fi
  add_modules "$root" "$kdir" "$kver" "${HOST_MODULES[@]}"
  # Tools the test cases use on the host side, from the build machine's
  # packages (same architecture only), as PACKAGE:PATH[:DEST].
  for a in "${HOST_PROGRAMS[@]}"; do
    IFS=: read -r _ src dest <<<"$a"
    rm -f "${root:?}/${dest:-$src}" # may be a busybox applet link: never write through it
    add_binary "$root" "$src" "${dest:-$src}"
  done
  # The same tools for a host of another architecture, from its own
  # packages (PACKAGE:PATH[:DEST], libraries and loader listed).
  add_foreign_files "$root" "$th_cache" "${HOST_FOREIGN_FILES[@]}"
  install -m 0755 "$testhost_dir/init" "$root/init"
  ensure_host_pkgs "${HOST_CC_PKGS[@]}"
  "$HOST_CC" -O2 -Wall -Wextra -Werror -static -o "$root/bin/kvm-hold" "$testhost_dir/kvm-hold.c"
  mk_cpio "$root" "$dir/base.cpio.gz" gzip
  rm -rf "$root"
  cp "$(kernel_image_path "$kdir" "$kver")" "$dir/vmlinuz"
  printf '%s\n' "$stamp" >"$dir/.stamp"
  printf '%s\n' "$dir"
}

# th_stage_stdvmm STAGE PATH: the VMM under test with its ldd closure, and
# the manager (stdvmmd) and the switch (stdvmm-switch) when they were built
# next to it; cases find them as ${STDVMM%/*}/stdvmmd and .../stdvmm-switch.
th_stage_stdvmm() {
  [[ -x $2 ]] || die "stdvmm binary $2 is not executable"
  add_binary "$1" "$2" /opt/stdvmm/bin/stdvmm
  if [[ -x ${2%/*}/stdvmmd ]]; then
    add_binary "$1" "${2%/*}/stdvmmd" /opt/stdvmm/bin/stdvmmd
  fi
  if [[ -x ${2%/*}/stdvmm-switch ]]; then
    add_binary "$1" "${2%/*}/stdvmm-switch" /opt/stdvmm/bin/stdvmm-switch
  fi
}

# th_stage_guest STAGE KITDIR [NAME]: the kit as /opt/NAME (default guest).
th_stage_guest() {
  local name=${3:-guest}
  mkdir -p "$1/opt/$name"
  cp "$2/vmlinuz" "$2/initramfs.cpio.gz" "$1/opt/$name/"
}

# th_stage_suite STAGE DIR: the whole directory (helpers included); only
# its top-level *.sh are run, in name order.
th_stage_suite() {
  mkdir -p "$1/opt/suite"
  cp -a "$2/." "$1/opt/suite/"
}

# th_stage_qemu STAGE: the build machine's QEMU as a stand-in VMM, with its
# ldd closure and the firmware of the microvm machine (used with -L); for a
# host of another architecture, that architecture's QEMU package
# (STANDIN_QEMU_FOREIGN, PACKAGE:PATH) with its library closure.
th_stage_qemu() {
  local f src
  if [[ -n ${STANDIN_QEMU_FOREIGN:-} ]]; then
    add_foreign_program "$1" "$th_cache" "$STANDIN_QEMU_FOREIGN" /opt/qemu/bin/qemu
  else
    [[ -n $STANDIN_QEMU_BIN ]] || die "no QEMU for a $th_arch test host (--with-qemu)"
    add_binary "$1" "$STANDIN_QEMU_BIN" /opt/qemu/bin/qemu
  fi
  mkdir -p "$1/opt/qemu/share"
  for f in "${STANDIN_QEMU_FIRMWARE[@]}"; do
    src=$(find -L /usr/share/qemu /usr/share/seabios -maxdepth 1 -name "$f" -print -quit 2>/dev/null)
    [[ -n $src ]] || die "QEMU firmware $f not found"
    cp -L "$src" "$1/opt/qemu/share/$f"
  done
}

# th_stage_conf STAGE MODE TIMEOUT [TEST...]: read by the host's /init,
# which in suite mode runs the named tests in that order.
# A suite's host sends its kernel symbols when the base's cache lacks them.
th_stage_conf() {
  local stage=$1 mode=$2 t=$3
  shift 3
  cat >"$stage/opt/testhost.conf" <<EOF
MODE=$mode
SEND_KALLSYMS=$([[ $mode != suite || -s $th_cache/testhost/$th_arch/kallsyms.gz ]] && echo 0 || echo 1)
ARCH=$th_arch
TIMEOUT=$t
TESTS="$*"
RESULTS_TTY=$HOST_RESULTS_TTY
HOST_MODULES="${HOST_MODULES[*]}"
EOF
}

# th_initrd STAGE BASEDIR OUT: the payload goes first, uncompressed (it is
# mostly compressed images already, and re-packing it must stay cheap); the
# kernel unpacks concatenated archives in order.
th_initrd() {
  mk_cpio "$1" "$3.payload" none
  cat "$3.payload" "$2/base.cpio.gz" >"$3"
  rm -f "$3.payload"
}

# th_qemu_cmd BASEDIR INITRD APPEND: prints the QEMU command, one word per
# line (without serial back-ends).
th_qemu_cmd() {
  printf '%s\n' "${STDVMM_TESTHOST_QEMU_BIN:-$QEMU_BIN}"
  # STDVMM_TESTHOST_APPEND adds host kernel arguments for post-mortems
  # (e.g. "loglevel=7 softlockup_all_cpu_backtrace=1").
  # nokaslr: a frozen host's instruction pointers map onto the kallsyms
  # it sent at an earlier boot. sysrq: th_postmortem asks the kernel for backtraces.
  host_qemu_args "$1/vmlinuz" "$2" \
    "quiet panic=-1 nokaslr sysrq_always_enabled=1 $3 ${STDVMM_TESTHOST_APPEND:-}"
  # shellcheck disable=SC2086
  [[ -z ${STDVMM_TESTHOST_QEMU_ARGS:-} ]] || printf '%s\n' $STDVMM_TESTHOST_QEMU_ARGS
}

# th_parse RESULTS: reads protocol lines on stdin, writes RESULTS/<name>.log
# and .status as each test ends, prints progress. Markers for the caller:
# RESULTS/.host-end (the host finished), RESULTS/.kvm (yes|no reason),
# RESULTS/.exit (interactive mode's stdvmm status).
th_parse() {
  local results=$1 line cur="" rest name status extra t0=${EPOCHREALTIME}
  local b64=$results/.log.b64
  elapsed() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%6.1fs", b - a }'; }
  while IFS= read -r line; do
    line=${line%$'\r'}
    if [[ -n $cur ]]; then
      if [[ $line == "STDVMM-HOST LOG-END $cur" ]]; then
        if [[ $cur == @* ]]; then name=host-${cur#@}; else name=$cur; fi
        base64 -di <"$b64" >"$results/$name.log" 2>/dev/null || true
        cur=""
      else
        printf '%s\n' "$line" >>"$b64"
      fi
      continue
    fi
    [[ $line == "STDVMM-HOST "* ]] || continue
    rest=${line#STDVMM-HOST }
    case $rest in
      "BEGIN "*) log "$(elapsed) host /init started: ${rest#BEGIN }" ;;
      "KVM "*)
        printf '%s\n' "${rest#KVM }" >"$results/.kvm"
        log "$(elapsed) kvm: ${rest#KVM }"
        ;;
      "TEST-BEGIN "*)
        # Which test a host that stops answering was in.
        printf '%s\n' "${rest#TEST-BEGIN }" >"$results/.running"
        log "$(elapsed) run  ${rest#TEST-BEGIN }"
        ;;
      "LOG-BEGIN "*)
        cur=${rest#LOG-BEGIN }
        : >"$b64"
        ;;
      "TEST-END "*)
        read -r name status extra <<<"${rest#TEST-END }"
        printf '%s\n' "$status" >"$results/$name.status"
        rm -f "$results/.running"
        log "$(elapsed) $status $name ($extra)"
        # The suite's own output is what CI shows when the suite itself
        # fails (e.g. its backstop timeout), and then no per-case test runs
        # to show the log: a failed case explains itself here too.
        if [[ $status == fail && -f $results/$name.log ]]; then
          { grep -m3 '^FAIL' "$results/$name.log" || true
            echo "--- last lines of $name.log:"
            tail -n 12 "$results/$name.log"; } | sed "s/^/testhost:   | /" >&2
        fi
        ;;
      "EXIT "*) printf '%s\n' "${rest#EXIT rc=}" >"$results/.exit" ;;
      END)
        : >"$results/.host-end"
        log "$(elapsed) host finished"
        ;;
    esac
  done
  rm -f "$b64"
}

# th_monitor SOCKET COMMAND...: runs QEMU monitor commands (HMP), prints
# their output.
th_monitor() {
  local sock=$1
  shift
  printf '%s\n' "$@" | timeout 20 socat -t 5 - "UNIX-CONNECT:$sock" 2>&1 |
    tr -d '\r' | grep -v -e '^(qemu)' -e '^QEMU .* monitor - type' || true
}

# th_keep_kallsyms RESULTS BASEDIR: keeps the kernel symbols a host sent
# (the kernel and its addresses are the same for every boot of this base).
th_keep_kallsyms() {
  [[ -s $1/host-kallsyms.gz.log ]] || return 0
  mv "$1/host-kallsyms.gz.log" "$2/kallsyms.gz"
}

# th_postmortem SOCKET BASEDIR CONSOLE: what a host that stopped answering
# was doing. The kernel is asked for backtraces of its CPUs and blocked
# tasks (sysrq l and w on the emulated keyboard, answered on CONSOLE if it
# still takes interrupts); then each CPU's state as QEMU sees it, with the
# kernel function its instruction pointer is in (kallsyms, nokaslr; a CPU
# running a nested guest shows the guest's instead).
th_postmortem() {
  local sock=$1 map=$2/kallsyms.gz console=$3 before
  before=$(wc -l <"$console" 2>/dev/null || echo 0)
  th_monitor "$sock" "sendkey alt-sysrq-l" "sendkey alt-sysrq-w" >/dev/null
  sleep 10
  echo "== host console after sysrq l and w (empty: the kernel did not answer)"
  tail -n +"$((before + 1))" "$console" 2>/dev/null | head -n 400
  echo "== QEMU: info cpus"
  th_monitor "$sock" "info cpus"
  echo "== QEMU: info registers -a"
  th_monitor "$sock" "info registers -a" | tee "$console.regs" | grep -E '^(CPU#|RIP|RSP|EFL|CR0|CS )' || true
  # Per distinct RIP: the kernel function it is in, and what memory holds
  # there (a CPU looping on an instruction memory no longer holds runs a
  # stale translation).
  grep -o 'RIP=[0-9a-f]*' "$console.regs" | cut -d= -f2 | sort -u | while read -r ip; do
    echo "== at $ip"
    if [[ -s $map ]]; then
      # 16-digit hex strings sort as the numbers do; awk's doubles would not
      # hold 64-bit addresses exactly.
      gzip -dc "$map" | awk -v ip="$ip" '
        function hex(s,  i, v) { v = 0; s = tolower(s)
          for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
          return v }
        BEGIN { want = tolower(ip) }
        length($1) == 16 && $1 <= want && $1 > best { best = $1; name = $3 }
        END { if (name != "") printf "in %s+0x%x\n", name, hex(substr(want, 9)) - hex(substr(best, 9)) }'
    fi
    th_monitor "$sock" "x /3i 0x$ip"
  done
  rm -f "$console.regs"
}
