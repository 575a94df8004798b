# SPDX-License-Identifier: BSD-2-Clause
# The riscv64 pure logic runs natively here, as the aarch64 one does
# (aarch64.cmake): the Image parser, the ISA strings, the device tree
# builder and the arch hooks are compiled into their own test programs,
# since an x86_64 or aarch64 build's stdvmm_portable does not have them.
find_path(TEST_LIBFDT_INCLUDE_DIR libfdt.h REQUIRED)            # Debian libfdt-dev
find_library(TEST_LIBFDT_LIBRARY NAMES libfdt.a fdt REQUIRED)

set(rv64_src ${PROJECT_SOURCE_DIR}/src/arch/riscv64)
set(rv64_fdt ${PROJECT_SOURCE_DIR}/src/firmware/fdt/dtb_riscv64.c)
if(NOT STDVMM_ARCH STREQUAL "riscv64")
  target_sources(test_rv64_image PRIVATE ${rv64_src}/image.c)
  # The arch hooks whole, against the test's own recording port.
  target_sources(test_rv64_arch PRIVATE ${rv64_src}/arch_riscv64.c ${rv64_src}/memory_limits.c ${rv64_src}/image.c
                                        ${rv64_src}/isa.c ${rv64_fdt})
  target_sources(test_rv64_dtb PRIVATE ${rv64_src}/isa.c ${rv64_fdt})
  target_sources(test_rv64_sbi PRIVATE ${rv64_src}/sbi.c)
endif()
add_executable(rv64_dtb_dump ${CMAKE_CURRENT_SOURCE_DIR}/tools/rv64_dtb_dump.c
                             ${CMAKE_CURRENT_SOURCE_DIR}/support/test_log.c)
target_include_directories(rv64_dtb_dump PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(rv64_dtb_dump PRIVATE stdvmm_portable)
if(NOT STDVMM_ARCH STREQUAL "riscv64")
  target_sources(rv64_dtb_dump PRIVATE ${rv64_src}/isa.c ${rv64_fdt})
endif()
foreach(t test_rv64_arch test_rv64_dtb rv64_dtb_dump)
  target_include_directories(${t} PRIVATE ${TEST_LIBFDT_INCLUDE_DIR})
  target_link_libraries(${t} PRIVATE ${TEST_LIBFDT_LIBRARY})
endforeach()

add_test(NAME unit.rv64_dtb_dtc
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/rv64_dtb_dtc_check.sh
                 $<TARGET_FILE:rv64_dtb_dump> ${CMAKE_CURRENT_BINARY_DIR}/rv64_dtb_dtc)
set_tests_properties(unit.rv64_dtb_dtc PROPERTIES LABELS unit TIMEOUT 60 SKIP_RETURN_CODE 77)

# The riscv64 cross compiler over the portable layers (freestanding) and the
# riscv64 arch and KVM port (hosted, compiled without linking).
add_test(NAME unit.cross_riscv64 COMMAND ${PROJECT_SOURCE_DIR}/tools/cross/check-riscv64.sh)
set_tests_properties(unit.cross_riscv64 PROPERTIES LABELS unit SKIP_RETURN_CODE 77 TIMEOUT 300)
