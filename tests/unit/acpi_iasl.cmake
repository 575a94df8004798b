# SPDX-License-Identifier: BSD-2-Clause
# The generated ACPI tables checked by an independent implementation: iasl
# (Debian package acpica-tools) disassembles and recompiles them. Reported
# as skipped when iasl is not installed.
add_executable(acpi_tables_dump ${CMAKE_CURRENT_SOURCE_DIR}/tools/acpi_dump.c
                                ${CMAKE_CURRENT_SOURCE_DIR}/support/test_log.c)
target_link_libraries(acpi_tables_dump PRIVATE stdvmm_portable)

add_test(NAME unit.acpi_iasl
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/acpi_iasl_check.sh
                 $<TARGET_FILE:acpi_tables_dump> ${CMAKE_CURRENT_BINARY_DIR}/acpi_iasl)
set_tests_properties(unit.acpi_iasl PROPERTIES LABELS unit TIMEOUT 120 SKIP_RETURN_CODE 77)
