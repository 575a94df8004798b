# SPDX-License-Identifier: BSD-2-Clause
# The core's vCPU loop (src/core/vcpu_loop.c) against a scripted port of its
# own (tests/unit/vcpu_loop/test_vcpu_loop.c), so not with test_hv_none.c:
# exits come from a script and buffered writes from a queue the test fills.
set(v ${CMAKE_CURRENT_SOURCE_DIR}/vcpu_loop)
add_executable(test_vcpu_loop ${v}/test_vcpu_loop.c ${CMAKE_CURRENT_SOURCE_DIR}/support/test_log.c)
target_include_directories(test_vcpu_loop PRIVATE ${CMOCKA_INCLUDE_DIR} ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_vcpu_loop PRIVATE stdvmm_portable ${CMOCKA_LIBRARY})
add_test(NAME unit.test_vcpu_loop COMMAND test_vcpu_loop)
set_tests_properties(unit.test_vcpu_loop PROPERTIES LABELS unit TIMEOUT 120)
