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

# The runtime's virtio wiring (src/runtime/virtio_devices.c) on the same
# recording port, whose doorbells are eventfds: ioeventfd and irqfd per
# device, a notification in and an interrupt out, every doorbell taken back.
# The runtime's sources are compiled in: its library links the KVM port.
set(rt ${PROJECT_SOURCE_DIR}/src/runtime)
# The host layer's log sink (console.c needs the host layer): the null port and the
# sample kernel without stdvmm_test_support's log.
set(sup ${CMAKE_CURRENT_SOURCE_DIR}/support)
add_executable(test_virtio_wiring ${m}/test_virtio_wiring.c ${m}/test_hv_record.c
                                  ${sup}/test_hv_none.c ${sup}/bzimage_sample.c
                                  ${rt}/virtio_devices.c ${rt}/vcpu_park.c ${rt}/console.c)
target_include_directories(test_virtio_wiring PRIVATE ${CMOCKA_INCLUDE_DIR} ${PROJECT_SOURCE_DIR}/src
                                                      ${m} ${rt} ${sup})
target_link_libraries(test_virtio_wiring PRIVATE stdvmm_machine stdvmm_backends stdvmm_host
                                                 stdvmm_portable ${CMOCKA_LIBRARY})
add_test(NAME unit.test_virtio_wiring COMMAND test_virtio_wiring)
set_tests_properties(unit.test_virtio_wiring PROPERTIES LABELS unit TIMEOUT 120)
