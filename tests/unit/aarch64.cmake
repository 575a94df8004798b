# SPDX-License-Identifier: BSD-2-Clause
# The aarch64 pure logic runs natively here: the Image parser, PSCI decoding,
# the panic record and the device tree builder. On an x86_64 build they are
# not part of stdvmm_portable, so their sources are compiled into their own
# test programs; on an aarch64 build the library already has them.
find_path(TEST_LIBFDT_INCLUDE_DIR libfdt.h REQUIRED)            # Debian libfdt-dev
find_library(TEST_LIBFDT_LIBRARY NAMES libfdt.a fdt REQUIRED)

set(a64_src ${PROJECT_SOURCE_DIR}/src/arch/aarch64)
set(fdt_src ${PROJECT_SOURCE_DIR}/src/firmware/fdt)
if(NOT STDVMM_ARCH STREQUAL "aarch64")
  target_sources(test_a64_image PRIVATE ${a64_src}/image.c)
  target_sources(test_a64_psci PRIVATE ${a64_src}/psci.c)
  target_sources(test_a64_panic_record PRIVATE ${a64_src}/panic_record.c)
  # The arch hooks whole, against the test's own recording port.
  target_sources(test_a64_arch PRIVATE ${a64_src}/arch_aarch64.c ${a64_src}/memory_limits.c ${a64_src}/image.c
                                       ${a64_src}/panic_record.c ${fdt_src}/dtb.c)
  target_include_directories(test_a64_arch PRIVATE ${TEST_LIBFDT_INCLUDE_DIR})
  target_link_libraries(test_a64_arch PRIVATE ${TEST_LIBFDT_LIBRARY})
endif()

add_library(stdvmm_test_dtb_sample OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/support/dtb_sample.c)
target_link_libraries(stdvmm_test_dtb_sample PUBLIC stdvmm_portable)
target_include_directories(stdvmm_test_dtb_sample PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/support)
add_executable(dtb_dump ${CMAKE_CURRENT_SOURCE_DIR}/tools/dtb_dump.c
                        ${CMAKE_CURRENT_SOURCE_DIR}/support/test_log.c)
target_link_libraries(dtb_dump PRIVATE stdvmm_test_dtb_sample stdvmm_portable)
target_link_libraries(test_dtb PRIVATE stdvmm_test_dtb_sample)
if(NOT STDVMM_ARCH STREQUAL "aarch64")
  foreach(t test_dtb dtb_dump)
    target_sources(${t} PRIVATE ${fdt_src}/dtb.c)
    target_include_directories(${t} PRIVATE ${TEST_LIBFDT_INCLUDE_DIR})
    target_link_libraries(${t} PRIVATE ${TEST_LIBFDT_LIBRARY})
  endforeach()
  target_include_directories(stdvmm_test_dtb_sample PRIVATE ${TEST_LIBFDT_INCLUDE_DIR})
endif()

add_test(NAME unit.dtb_dtc
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/dtb_dtc_check.sh $<TARGET_FILE:dtb_dump>
                 ${CMAKE_CURRENT_BINARY_DIR}/dtb_dtc)
set_tests_properties(unit.dtb_dtc PROPERTIES LABELS unit TIMEOUT 60 SKIP_RETURN_CODE 77)
