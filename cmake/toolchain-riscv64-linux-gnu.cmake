# SPDX-License-Identifier: BSD-2-Clause
# Cross-building stdvmm for riscv64 Linux with Debian's gcc-riscv64-linux-gnu:
#
#   cmake -S . -B build-riscv64 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-riscv64-linux-gnu.cmake \
#         -DSTDVMM_RISCV64_SYSROOT=DIR
#
# STDVMM_RISCV64_SYSROOT holds Debian 13 (trixie)'s riscv64 libfdt-dev,
# libyaml-dev and libjansson-dev (Debian 12 has no riscv64 port), unpacked
# (tools/cross/riscv64-sysroot.sh, the counterpart of aarch64-sysroot.sh, is
# issue #17's next step; until then tools/cross/check-riscv64.sh compiles
# without linking) (not installed: the build machine's dpkg
# architectures stay as they are); pkg-config looks only there. The C
# library is the cross compiler's own (libc6-dev-riscv64-cross). stdvmm is
# linked statically, so the binary runs on any riscv64 Linux (the test host's
# initramfs has no C library) without copying libraries along.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)

if(NOT STDVMM_RISCV64_SYSROOT AND DEFINED ENV{STDVMM_RISCV64_SYSROOT})
  set(STDVMM_RISCV64_SYSROOT $ENV{STDVMM_RISCV64_SYSROOT})
endif()
set(STDVMM_RISCV64_SYSROOT "${STDVMM_RISCV64_SYSROOT}" CACHE PATH
    "Unpacked riscv64 Debian packages stdvmm links with (libfdt-dev)")
# try_compile projects read this file again and need the same search roots.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES STDVMM_RISCV64_SYSROOT)

set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu)
if(STDVMM_RISCV64_SYSROOT)
  list(APPEND CMAKE_FIND_ROOT_PATH ${STDVMM_RISCV64_SYSROOT})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must describe the riscv64 libraries, never the build machine's.
if(STDVMM_RISCV64_SYSROOT)
  set(ENV{PKG_CONFIG_LIBDIR} "${STDVMM_RISCV64_SYSROOT}/usr/lib/riscv64-linux-gnu/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${STDVMM_RISCV64_SYSROOT}")
else()
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/riscv64-linux-gnu/pkgconfig")
endif()
set(ENV{PKG_CONFIG_PATH} "")

# Trixie's libjansson.a was built against glibc 2.41, whose headers send
# strtoll to the C23 variant (which also reads "0b" prefixes); the cross
# glibc is bookworm's 2.36, without it. jansson parses base 10 only, where
# the two agree.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -Wl,--defsym=__isoc23_strtoll=strtoll")
# rv64 has no byte-wide atomic instructions: gcc 12 calls libatomic for them.
set(CMAKE_C_STANDARD_LIBRARIES_INIT "-latomic")
