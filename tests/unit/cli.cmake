# SPDX-License-Identifier: BSD-2-Clause
# stdvmm run's command line, through the built program (no VM is created);
# cli_spellings also holds it against the description's reader (stdvmmd --check).
add_test(NAME unit.cli_arch_options
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_arch_options.sh $<TARGET_FILE:stdvmm>
                 ${STDVMM_ARCH} ${CMAKE_CURRENT_BINARY_DIR}/cli_arch_options)
set_tests_properties(unit.cli_arch_options PROPERTIES LABELS unit TIMEOUT 60)
# The checks that take stdvmm and a work directory alone.
foreach(name cli_rate_limits cli_net_user cli_net_vhost cli_shared_region)
  add_test(NAME unit.${name}
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/${name}.sh $<TARGET_FILE:stdvmm>
                   ${CMAKE_CURRENT_BINARY_DIR}/${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT 60)
endforeach()
if(TARGET stdvmmd)
  add_test(NAME unit.cli_spellings
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_spellings.sh $<TARGET_FILE:stdvmm>
                   $<TARGET_FILE:stdvmmd> ${CMAKE_CURRENT_BINARY_DIR}/cli_spellings)
  set_tests_properties(unit.cli_spellings PROPERTIES LABELS unit TIMEOUT 60)
endif()
add_test(NAME unit.cli_iommu
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_iommu.sh $<TARGET_FILE:stdvmm>
                 ${STDVMM_ARCH} ${CMAKE_CURRENT_BINARY_DIR}/cli_iommu)
set_tests_properties(unit.cli_iommu PROPERTIES LABELS unit TIMEOUT 60)
add_test(NAME unit.cli_memory_map
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_memory_map.sh $<TARGET_FILE:stdvmm>
                 ${STDVMM_ARCH} ${CMAKE_CURRENT_BINARY_DIR}/cli_memory_map)
set_tests_properties(unit.cli_memory_map PROPERTIES LABELS unit TIMEOUT 60)
