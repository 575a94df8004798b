# SPDX-License-Identifier: BSD-2-Clause
# Cross-building stdvmm for aarch64 Linux with Debian's gcc-aarch64-linux-gnu:
#
#   cmake -S . -B build-aarch64 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux-gnu.cmake \
#         -DSTDVMM_AARCH64_SYSROOT=$(tools/cross/aarch64-sysroot.sh --cache build/cache)
#
# STDVMM_AARCH64_SYSROOT holds Debian's arm64 libfdt-dev, libyaml-dev and
# libjansson-dev, unpacked (not installed: the build machine's dpkg
# architectures stay as they are); pkg-config looks only there. The C
# library is the cross compiler's own (libc6-dev-arm64-cross). stdvmm is
# linked statically, so the binary runs on any arm64 Linux (the test host's
# initramfs has no C library) without copying libraries along.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)

if(NOT STDVMM_AARCH64_SYSROOT AND DEFINED ENV{STDVMM_AARCH64_SYSROOT})
  set(STDVMM_AARCH64_SYSROOT $ENV{STDVMM_AARCH64_SYSROOT})
endif()
set(STDVMM_AARCH64_SYSROOT "${STDVMM_AARCH64_SYSROOT}" CACHE PATH
    "Unpacked arm64 Debian packages stdvmm links with (libfdt-dev)")
# try_compile projects read this file again and need the same search roots.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES STDVMM_AARCH64_SYSROOT)

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
if(STDVMM_AARCH64_SYSROOT)
  list(APPEND CMAKE_FIND_ROOT_PATH ${STDVMM_AARCH64_SYSROOT})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must describe the arm64 libraries, never the build machine's.
if(STDVMM_AARCH64_SYSROOT)
  set(ENV{PKG_CONFIG_LIBDIR} "${STDVMM_AARCH64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${STDVMM_AARCH64_SYSROOT}")
else()
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig")
endif()
set(ENV{PKG_CONFIG_PATH} "")

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
