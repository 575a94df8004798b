# SPDX-License-Identifier: BSD-2-Clause
# The library as integrators get it: installed into a temporary prefix, and
# examples/custom-vmm built out of tree against it through pkg-config
# (tools/install_example_check.sh). The integration case custom_vmm boots the
# guest kit with the binary it leaves behind.
set(STDVMM_EXAMPLE_WORK ${CMAKE_CURRENT_BINARY_DIR}/install_example)
set(STDVMM_EXAMPLE_BIN ${STDVMM_EXAMPLE_WORK}/example/custom-vmm CACHE INTERNAL
    "custom-vmm built against the installed library, for the integration case")
add_test(NAME unit.install_example
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/install_example_check.sh ${CMAKE_COMMAND}
                 ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR} ${STDVMM_EXAMPLE_WORK}
                 ${CMAKE_C_COMPILER})
set_tests_properties(unit.install_example PROPERTIES LABELS unit TIMEOUT 300)
