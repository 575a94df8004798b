# SPDX-License-Identifier: BSD-2-Clause
# stdvmm run's command line, through the built program (no VM is created);
# cli_spellings also holds it against the description's reader (stdvmmd --check).
add_test(NAME unit.cli_arch_options
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_arch_options.sh $<TARGET_FILE:stdvmm>
                 ${STDVMM_ARCH} ${CMAKE_CURRENT_BINARY_DIR}/cli_arch_options)
set_tests_properties(unit.cli_arch_options PROPERTIES LABELS unit TIMEOUT 60)
add_test(NAME unit.cli_rate_limits
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_rate_limits.sh $<TARGET_FILE:stdvmm>
                 ${CMAKE_CURRENT_BINARY_DIR}/cli_rate_limits)
set_tests_properties(unit.cli_rate_limits PROPERTIES LABELS unit TIMEOUT 60)
add_test(NAME unit.cli_net_user
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_net_user.sh $<TARGET_FILE:stdvmm>
                 ${CMAKE_CURRENT_BINARY_DIR}/cli_net_user)
set_tests_properties(unit.cli_net_user PROPERTIES LABELS unit TIMEOUT 60)
if(TARGET stdvmmd)
  add_test(NAME unit.cli_spellings
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_spellings.sh $<TARGET_FILE:stdvmm>
                   $<TARGET_FILE:stdvmmd> ${CMAKE_CURRENT_BINARY_DIR}/cli_spellings)
  set_tests_properties(unit.cli_spellings PROPERTIES LABELS unit TIMEOUT 60)
endif()
add_test(NAME unit.cli_net_vhost
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_net_vhost.sh $<TARGET_FILE:stdvmm>
                 ${CMAKE_CURRENT_BINARY_DIR}/cli_net_vhost)
set_tests_properties(unit.cli_net_vhost PROPERTIES LABELS unit TIMEOUT 60)
add_test(NAME unit.cli_memory_map
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_memory_map.sh $<TARGET_FILE:stdvmm>
                 ${STDVMM_ARCH} ${CMAKE_CURRENT_BINARY_DIR}/cli_memory_map)
set_tests_properties(unit.cli_memory_map PROPERTIES LABELS unit TIMEOUT 60)
