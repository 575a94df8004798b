# SPDX-License-Identifier: BSD-2-Clause
# Cross-building stdvmm for riscv64 Linux (STDVMM_RISCV64_SYSROOT): see
# cmake/toolchain-linux-gnu.cmake, or run tools/cross/build.sh --arch riscv64.
set(STDVMM_CROSS_ARCH riscv64)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-linux-gnu.cmake)
