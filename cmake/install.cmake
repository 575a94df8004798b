# SPDX-License-Identifier: BSD-2-Clause
# What `cmake --install` gives an integrator who writes a VMM of their own
# (docs/api.md, examples/custom-vmm): the layers up to the Linux host as one
# static library libstdvmm.a, their public headers, stdvmm.pc for pkg-config
# and stdvmmConfig.cmake for find_package(stdvmm). The layers above
# (runtime, control, sched, description, manager) are not installed: they are
# the `stdvmm` and `stdvmmd` programs' own, and their headers stay in the tree.
#
# One archive rather than one per layer: the core and arch code call the
# port (hv.h) and every layer logs through the host's sink (stdvmm_log), so
# separate archives would have to be listed in an order an integrator must
# not need to know; a linker resolves references inside one archive
# whatever the order of its members.
include(GNUInstallDirs)

set(stdvmm_installed_layers stdvmm_portable stdvmm_machine stdvmm_port_kvm stdvmm_host
                            stdvmm_backends)
set(stdvmm_objects)
foreach(layer ${stdvmm_installed_layers})
  list(APPEND stdvmm_objects $<TARGET_OBJECTS:${layer}>)
endforeach()
add_library(stdvmm_lib STATIC ${stdvmm_objects})
set_target_properties(stdvmm_lib PROPERTIES OUTPUT_NAME stdvmm LINKER_LANGUAGE C)
install(TARGETS stdvmm_lib ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# Public headers of those layers only. vmm.h, placement.h, cpulist.h,
# system_config.h, manager.h and the control/, sched/, description/ folders
# belong to the layers above and would promise functions the archive lacks.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/stdvmm DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h"
        PATTERN "control" EXCLUDE PATTERN "sched" EXCLUDE PATTERN "description" EXCLUDE
        PATTERN "vmm.h" EXCLUDE PATTERN "placement.h" EXCLUDE PATTERN "cpulist.h" EXCLUDE
        PATTERN "system_config.h" EXCLUDE PATTERN "manager.h" EXCLUDE)

# -l and -L for a library found by full path; -L only outside the compiler's own paths.
function(stdvmm_pc_lib out path)
  get_filename_component(dir ${path} DIRECTORY)
  get_filename_component(name ${path} NAME_WE)
  string(REGEX REPLACE "^lib" "" name ${name})
  set(flags "${${out}}")
  if(NOT dir IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
    string(APPEND flags " -L${dir}")
  endif()
  set(${out} "${flags} -l${name}" PARENT_SCOPE)
endfunction()

# The compile definitions the public headers depend on: struct blk_file has
# an io_uring ring only when the library was built with liburing, so a
# program must see the same STDVMM_HAVE_LIBURING as the archive.
set(STDVMM_PC_CFLAGS "")
set(STDVMM_PC_LIBS "")
if(STDVMM_LIBURING_INCLUDE AND STDVMM_LIBURING_LIBRARY)
  string(APPEND STDVMM_PC_CFLAGS " -DSTDVMM_HAVE_LIBURING=1")
  if(NOT STDVMM_LIBURING_INCLUDE IN_LIST CMAKE_C_IMPLICIT_INCLUDE_DIRECTORIES)
    string(APPEND STDVMM_PC_CFLAGS " -I${STDVMM_LIBURING_INCLUDE}")
  endif()
  stdvmm_pc_lib(STDVMM_PC_LIBS ${STDVMM_LIBURING_LIBRARY})
endif()
if(STDVMM_SLIRP_INCLUDE AND STDVMM_SLIRP_LIBRARY)
  stdvmm_pc_lib(STDVMM_PC_LIBS ${STDVMM_SLIRP_LIBRARY})
endif()
if(LIBFDT_LIBRARY)
  stdvmm_pc_lib(STDVMM_PC_LIBS ${LIBFDT_LIBRARY})
endif()
if(STDVMM_SECCOMP_INCLUDE AND STDVMM_SECCOMP_LIBRARY)
  stdvmm_pc_lib(STDVMM_PC_LIBS ${STDVMM_SECCOMP_LIBRARY})
endif()
string(APPEND STDVMM_PC_LIBS " -pthread")
# A sanitized build's objects call the sanitizers' runtimes.
if(STDVMM_SANITIZE)
  string(APPEND STDVMM_PC_LIBS " -fsanitize=address,undefined")
endif()

file(RELATIVE_PATH STDVMM_PC_UP /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" STDVMM_PC_UP "${STDVMM_PC_UP}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/stdvmm.pc.in ${PROJECT_BINARY_DIR}/stdvmm.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/stdvmm.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The same for CMake: libraries by the full paths this build found them at.
set(STDVMM_CMAKE_DEFS "")
set(STDVMM_CMAKE_LIBS "")
if(STDVMM_LIBURING_INCLUDE AND STDVMM_LIBURING_LIBRARY)
  list(APPEND STDVMM_CMAKE_DEFS STDVMM_HAVE_LIBURING=1)
  list(APPEND STDVMM_CMAKE_LIBS ${STDVMM_LIBURING_LIBRARY})
endif()
if(STDVMM_SLIRP_INCLUDE AND STDVMM_SLIRP_LIBRARY)
  list(APPEND STDVMM_CMAKE_LIBS ${STDVMM_SLIRP_LIBRARY})
endif()
if(LIBFDT_LIBRARY)
  list(APPEND STDVMM_CMAKE_LIBS ${LIBFDT_LIBRARY})
endif()
if(STDVMM_SECCOMP_INCLUDE AND STDVMM_SECCOMP_LIBRARY)
  list(APPEND STDVMM_CMAKE_LIBS ${STDVMM_SECCOMP_LIBRARY})
endif()
list(APPEND STDVMM_CMAKE_LIBS Threads::Threads)
if(STDVMM_SANITIZE)
  list(APPEND STDVMM_CMAKE_LIBS -fsanitize=address,undefined)
endif()
set(stdvmm_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/stdvmm)
file(RELATIVE_PATH STDVMM_CMAKE_UP /prefix/${stdvmm_cmake_dir} /prefix)
configure_file(${CMAKE_CURRENT_LIST_DIR}/stdvmmConfig.cmake.in
               ${PROJECT_BINARY_DIR}/stdvmmConfig.cmake @ONLY)
include(CMakePackageConfigHelpers)
# No release has been made: any 0.x asks for the same minor version.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/stdvmmConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/stdvmmConfig.cmake
              ${PROJECT_BINARY_DIR}/stdvmmConfigVersion.cmake
        DESTINATION ${stdvmm_cmake_dir})
