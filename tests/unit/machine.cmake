# SPDX-License-Identifier: BSD-2-Clause
# The machine layer (src/machine) against a recording port
# (tests/unit/machine/test_hv_record.c): the build sequence and its failure
# paths without a hypervisor. Built with the x86_64 arch hooks only.
if(NOT STDVMM_ARCH STREQUAL "x86_64")
  return()
endif()
set(m ${CMAKE_CURRENT_SOURCE_DIR}/machine)
add_executable(test_machine ${m}/test_machine.c ${m}/test_hv_record.c)
target_include_directories(test_machine PRIVATE ${CMOCKA_INCLUDE_DIR} ${PROJECT_SOURCE_DIR}/src ${m})
# stdvmm_host for host_file_image_load: the reboot test loads its kernel as the VMM does.
target_link_libraries(test_machine PRIVATE stdvmm_machine stdvmm_test_support stdvmm_host
                                           stdvmm_portable ${CMOCKA_LIBRARY})
add_test(NAME unit.test_machine COMMAND test_machine)
set_tests_properties(unit.test_machine PROPERTIES LABELS unit TIMEOUT 120)
