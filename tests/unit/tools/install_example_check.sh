#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# stdvmm as an integrator gets it (docs/api.md): `cmake --install` into a
# fresh prefix, then, seeing only that prefix through pkg-config,
#   - every installed header compiles on its own (none needs a header that
#     stayed in the tree), and
#   - examples/custom-vmm, copied out of the tree, builds with its own
#     Makefile and runs (its usage message), and builds with its
#     CMakeLists.txt through find_package(stdvmm) too.
# The example binary is left in WORK/example/custom-vmm for the integration
# case that boots the guest with it (tests/integration/cases/custom_vmm.sh).
#
#   install_example_check.sh CMAKE BUILD_DIR SOURCE_DIR WORK_DIR CC
set -eu
cmake=$1 build=$2 src=$3 work=$4 cc=$5

rm -rf "$work"
mkdir -p "$work"
"$cmake" --install "$build" --prefix "$work/prefix" >"$work/install.log" ||
	{ cat "$work/install.log"; echo "FAIL: cmake --install"; exit 1; }
pc=$(find "$work/prefix" -name stdvmm.pc)
[ -n "$pc" ] || { echo "FAIL: no stdvmm.pc installed"; exit 1; }
PKG_CONFIG_PATH=${pc%/*}
export PKG_CONFIG_PATH
cflags=$(pkg-config --cflags stdvmm)
case $cflags in
*"$src/include"* | *"$src/src"*) echo "FAIL: stdvmm.pc points into the source tree: $cflags"; exit 1 ;;
esac

bad=0
for h in $(cd "$work/prefix/include" && find stdvmm -name '*.h' | sort); do
	printf '#include "%s"\n' "$h" >"$work/header.c"
	# shellcheck disable=SC2086 # cflags are words
	if ! "$cc" -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -fsyntax-only $cflags \
		"$work/header.c" 2>"$work/header.log"; then
		echo "FAIL: installed header $h does not compile alone:"
		cat "$work/header.log"
		bad=1
	fi
done
[ "$bad" = 0 ] || exit 1

mkdir -p "$work/example"
cp "$src/examples/custom-vmm/custom-vmm.c" "$src/examples/custom-vmm/Makefile" \
	"$src/examples/custom-vmm/CMakeLists.txt" "$work/example/"
make -C "$work/example" CC="$cc" >"$work/example.log" 2>&1 ||
	{ cat "$work/example.log"; echo "FAIL: the example does not build against the installed library"; exit 1; }
rc=0
"$work/example/custom-vmm" >/dev/null 2>"$work/usage.log" || rc=$?
if [ "$rc" != 2 ] || ! grep -q '^usage: ' "$work/usage.log"; then
	cat "$work/usage.log"
	echo "FAIL: custom-vmm without arguments exited $rc, not 2 with its usage"
	exit 1
fi
if ! { "$cmake" -S "$work/example" -B "$work/example-cmake" -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_PREFIX_PATH="$work/prefix" && "$cmake" --build "$work/example-cmake"; } \
	>"$work/example-cmake.log" 2>&1; then
	cat "$work/example-cmake.log"
	echo "FAIL: the example does not build with find_package(stdvmm)"
	exit 1
fi
echo "PASS: installed $(cd "$work/prefix/include" && find stdvmm -name '*.h' | wc -l) headers," \
	"each compiles alone; examples/custom-vmm built out of tree with" \
	"$(pkg-config --libs stdvmm) and with find_package(stdvmm)"
