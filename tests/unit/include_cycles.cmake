# SPDX-License-Identifier: BSD-2-Clause
# The project's files include each other without cycles (see the script).
add_test(NAME unit.include_cycles COMMAND ${PROJECT_SOURCE_DIR}/tools/check-include-cycles.sh)
set_tests_properties(unit.include_cycles PROPERTIES LABELS unit TIMEOUT 60)
