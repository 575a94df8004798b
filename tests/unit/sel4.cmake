# SPDX-License-Identifier: BSD-2-Clause
# The seL4 port's portable pieces (src/port/sel4/portable: vGICv2 distributor,
# ESR decoding, HVC/SMC glue, planning) run natively here. They are not part
# of stdvmm_portable (the seL4 build compiles them), so their sources are
# added to their tests. A second test compiles them freestanding for aarch64,
# with the same compiler, flags and headers as the seL4 build (tools/check-freestanding.sh).
set(sel4p ${PROJECT_SOURCE_DIR}/src/port/sel4/portable)
target_sources(test_sel4_esr PRIVATE ${sel4p}/esr.c)
target_sources(test_sel4_vgic PRIVATE ${sel4p}/vgic_v2.c)
target_sources(test_sel4_plan PRIVATE ${sel4p}/sel4_plan.c)
target_sources(test_sel4_colour PRIVATE ${sel4p}/colour.c)
target_sources(test_sel4_guest_call PRIVATE ${sel4p}/guest_call.c ${sel4p}/esr.c)
if(NOT STDVMM_ARCH STREQUAL "aarch64")
  target_sources(test_sel4_guest_call PRIVATE ${PROJECT_SOURCE_DIR}/src/arch/aarch64/psci.c)
endif()

add_test(NAME unit.sel4_portable_freestanding
         COMMAND ${PROJECT_SOURCE_DIR}/tools/check-freestanding.sh sel4)
set_tests_properties(unit.sel4_portable_freestanding PROPERTIES LABELS unit SKIP_RETURN_CODE 77
                     TIMEOUT 120)

# The generator of the seL4 VM table: its placement and scheduling rules.
find_program(STDVMM_PYTHON3 python3 REQUIRED)
add_test(NAME unit.sel4_gen_vm_table
         COMMAND ${STDVMM_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/tools/test_gen_vm_table.py)
set_tests_properties(unit.sel4_gen_vm_table PROPERTIES LABELS unit TIMEOUT 60)

# The seL4 runtime's memcpy/memset, natively and under other names (the
# test binary keeps the C library's own).
set(sel4_rt_string ${PROJECT_SOURCE_DIR}/src/port/sel4/rt/string.c)
target_sources(test_sel4_rt_string PRIVATE ${sel4_rt_string})
set_source_files_properties(${sel4_rt_string} PROPERTIES
                            COMPILE_DEFINITIONS "memcpy=rt_memcpy;memset=rt_memset"
                            COMPILE_OPTIONS "-fno-builtin")
