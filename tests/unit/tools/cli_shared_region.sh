#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# --shared-region on the command line (docs/memory.md): every bad key or
# combination is bad usage (exit 2) saying why, before any VM exists; a
# good one passes the checks (the missing kernel is refused next).
#
#   cli_shared_region.sh STDVMM WORKDIR
set -eu
stdvmm=$1 work=$2
mkdir -p "$work"
kernel=$work/no-kernel
# shellcheck source=tests/unit/tools/cli_check.sh
. "${0%/*}/cli_check.sh"
f=$work/mem
: >"$f"
ok="name=r,gpa=4G,size=2M,path=$f"
check 2 "expected name=, gpa=, size=, fd=N or path=FILE" --shared-region "$ok,colour=3"
check 2 "expected access=rw or access=ro" --shared-region "$ok,access=wo"
check 2 "expected an address or size" --shared-region "$ok,gpa=lots"
check 2 "needs fd=N or path=FILE (one of them)" --shared-region "name=r,gpa=4G,size=2M"
check 2 "needs fd=N or path=FILE (one of them)" --shared-region "$ok,fd=3"
check 2 "gpa and size must be multiples of 4 KiB" --shared-region "name=r,gpa=4G,size=100,path=$f"
check 2 "gpa and size must be multiples of 4 KiB" --shared-region "name=r,gpa=0x1001,size=4K,path=$f"
check 2 "member 2 of 2" --shared-region "$ok,member=2,members=2"
check 2 "2 doorbells for 3 members" --shared-region "$ok,member=0,members=3,doorbells=5:6"
check 2 "expected doorbells=FD:FD:..." --shared-region "$ok,doorbells=5:x"
check 2 "needs name=NAME" --shared-region "gpa=4G,size=2M,path=$f"
check 2 "given twice" --shared-region "$ok" --shared-region "$ok"
check 2 "at most 8 regions" $(for i in 1 2 3 4 5 6 7 8 9; do echo --shared-region "name=r$i,gpa=${i}G,size=4K,path=$f"; done)
check 1 "no-kernel: cannot open" --shared-region "$ok"
check 1 "no-kernel: cannot open" --shared-region "$ok,access=ro,member=1,members=2"
exit $status
