# SPDX-License-Identifier: BSD-2-Clause
# Cross-building stdvmm for another Linux architecture with Debian's
# gcc-ARCH-linux-gnu. Included by cmake/toolchain-ARCH-linux-gnu.cmake,
# which sets STDVMM_CROSS_ARCH (aarch64 or riscv64):
#
#   cmake -S . -B build-ARCH -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-ARCH-linux-gnu.cmake \
#         -DSTDVMM_ARCH_SYSROOT=$(tools/cross/sysroot.sh --arch ARCH --cache build/cache)
#
# (STDVMM_AARCH64_SYSROOT, STDVMM_RISCV64_SYSROOT.) The sysroot holds the
# architecture's Debian libfdt-dev, libyaml-dev, libjansson-dev and
# libseccomp-dev, unpacked (not installed: the build machine's dpkg
# architectures stay as they are); pkg-config looks only there. The C
# library is the cross compiler's own (libc6-dev-ARCH-cross). stdvmm is
# linked statically, so the binary runs on any Linux of that architecture
# (the test host's initramfs has no C library) without copying libraries
# along. tools/cross/build.sh does all of this.
if(NOT STDVMM_CROSS_ARCH MATCHES "^(aarch64|riscv64)$")
  message(FATAL_ERROR "use cmake/toolchain-aarch64-linux-gnu.cmake or -riscv64-")
endif()
string(TOUPPER "STDVMM_${STDVMM_CROSS_ARCH}_SYSROOT" _sysroot_var)
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${STDVMM_CROSS_ARCH})
set(CMAKE_C_COMPILER ${STDVMM_CROSS_ARCH}-linux-gnu-gcc)

if(NOT ${_sysroot_var} AND DEFINED ENV{${_sysroot_var}})
  set(${_sysroot_var} $ENV{${_sysroot_var}})
endif()
set(${_sysroot_var} "${${_sysroot_var}}" CACHE PATH
    "Unpacked ${STDVMM_CROSS_ARCH} Debian packages stdvmm links with (tools/cross/sysroot.sh)")
# try_compile projects read the toolchain file again and need the same search roots.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ${_sysroot_var})
set(_sysroot "${${_sysroot_var}}")

set(CMAKE_FIND_ROOT_PATH /usr/${STDVMM_CROSS_ARCH}-linux-gnu)
if(_sysroot)
  list(APPEND CMAKE_FIND_ROOT_PATH ${_sysroot})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must describe the target's libraries, never the build machine's.
if(_sysroot)
  set(ENV{PKG_CONFIG_LIBDIR} "${_sysroot}/usr/lib/${STDVMM_CROSS_ARCH}-linux-gnu/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${_sysroot}")
else()
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${STDVMM_CROSS_ARCH}-linux-gnu/pkgconfig")
endif()
set(ENV{PKG_CONFIG_PATH} "")

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
if(STDVMM_CROSS_ARCH STREQUAL "riscv64")
  # Trixie's libjansson.a was built against glibc 2.41, whose headers send
  # strtoll to the C23 variant (which also reads "0b" prefixes); the cross
  # glibc is bookworm's 2.36, without it. jansson parses base 10 only, where
  # the two agree.
  string(APPEND CMAKE_EXE_LINKER_FLAGS_INIT " -Wl,--defsym=__isoc23_strtoll=strtoll")
  # rv64 has no byte-wide atomic instructions: gcc 12 calls libatomic for them.
  set(CMAKE_C_STANDARD_LIBRARIES_INIT "-latomic")
endif()
unset(_sysroot)
unset(_sysroot_var)
