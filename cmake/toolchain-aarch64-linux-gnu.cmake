# SPDX-License-Identifier: BSD-2-Clause
# Cross-building stdvmm for aarch64 Linux (STDVMM_AARCH64_SYSROOT): see
# cmake/toolchain-linux-gnu.cmake, or run tools/cross/build.sh --arch aarch64.
set(STDVMM_CROSS_ARCH aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-linux-gnu.cmake)
