# SPDX-License-Identifier: BSD-2-Clause
add_test(NAME unit.freestanding_portable_layers
         COMMAND ${PROJECT_SOURCE_DIR}/tools/check-freestanding.sh layers)
set_tests_properties(unit.freestanding_portable_layers PROPERTIES LABELS unit SKIP_RETURN_CODE 77
                     TIMEOUT 300)
