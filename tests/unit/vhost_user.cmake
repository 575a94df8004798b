# SPDX-License-Identifier: BSD-2-Clause
# The vhost-user frontend (src/backends/vhost_user): its messages as bytes
# (test_vhost_user_msg, which reaches the private vhost_user_msg.h on
# purpose), and the frontend against QEMU's qemu-storage-daemon as a real
# vhost-user-blk backend (test_vhost_user_qsd; Debian: qemu-system-common,
# which tools/install-deps.sh brings with qemu-system-x86).
if(NOT TARGET stdvmm_backends)
  return()
endif()
add_executable(test_vhost_user_msg ${CMAKE_CURRENT_SOURCE_DIR}/backends/test_vhost_user_msg.c)
target_include_directories(test_vhost_user_msg PRIVATE ${CMOCKA_INCLUDE_DIR}
                                                       ${PROJECT_SOURCE_DIR}/src/backends/vhost_user)
target_link_libraries(test_vhost_user_msg PRIVATE stdvmm_backends stdvmm_test_support
                                                  ${CMOCKA_LIBRARY})
add_test(NAME unit.test_vhost_user_msg COMMAND test_vhost_user_msg)
set_tests_properties(unit.test_vhost_user_msg PROPERTIES LABELS unit TIMEOUT 120)

find_program(STDVMM_QEMU_STORAGE_DAEMON qemu-storage-daemon)
add_executable(test_vhost_user_qsd ${CMAKE_CURRENT_SOURCE_DIR}/backends/test_vhost_user_qsd.c)
target_include_directories(test_vhost_user_qsd PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_vhost_user_qsd PRIVATE stdvmm_backends stdvmm_test_support
                                                  ${CMOCKA_LIBRARY})
if(STDVMM_QEMU_STORAGE_DAEMON)
  add_test(NAME unit.test_vhost_user_qsd
           COMMAND test_vhost_user_qsd ${STDVMM_QEMU_STORAGE_DAEMON})
else()
  # Registered anyway, so that a machine without the daemon fails rather than skips.
  add_test(NAME unit.test_vhost_user_qsd COMMAND sh -c
           "echo 'qemu-storage-daemon not found (Debian: qemu-system-common)'; exit 1")
endif()
set_tests_properties(unit.test_vhost_user_qsd PROPERTIES LABELS unit TIMEOUT 120)

# The backend's side (stdvmm-switch): the frontend's requests as it decodes them.
add_executable(test_vhost_user_req ${CMAKE_CURRENT_SOURCE_DIR}/backends/test_vhost_user_req.c)
target_include_directories(test_vhost_user_req PRIVATE ${CMOCKA_INCLUDE_DIR}
                                                       ${PROJECT_SOURCE_DIR}/src/backends/vhost_user)
target_link_libraries(test_vhost_user_req PRIVATE stdvmm_backends stdvmm_test_support
                                                  ${CMOCKA_LIBRARY})
add_test(NAME unit.test_vhost_user_req COMMAND test_vhost_user_req)
set_tests_properties(unit.test_vhost_user_req PROPERTIES LABELS unit TIMEOUT 120)

# stdvmm-switch, the program, through its sockets with this frontend playing three guests.
if(TARGET stdvmm-switch)
  add_executable(test_stdvmm_switch ${CMAKE_CURRENT_SOURCE_DIR}/backends/test_stdvmm_switch.c)
  target_include_directories(test_stdvmm_switch PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(test_stdvmm_switch PRIVATE stdvmm_backends stdvmm_test_support
                                                   ${CMOCKA_LIBRARY})
  add_test(NAME unit.test_stdvmm_switch COMMAND test_stdvmm_switch $<TARGET_FILE:stdvmm-switch>)
  set_tests_properties(unit.test_stdvmm_switch PROPERTIES LABELS unit TIMEOUT 120)
endif()
# stdvmm-switch's receive queue: pure, linked from the tool's own source.
add_executable(test_switch_rx_queue ${CMAKE_CURRENT_SOURCE_DIR}/backends/test_switch_rx_queue.c
                                    ${PROJECT_SOURCE_DIR}/src/tools/stdvmm-switch/rx_queue.c)
target_include_directories(test_switch_rx_queue PRIVATE ${CMOCKA_INCLUDE_DIR}
                                                        ${PROJECT_SOURCE_DIR}/src/tools/stdvmm-switch)
target_link_libraries(test_switch_rx_queue PRIVATE ${CMOCKA_LIBRARY})
add_test(NAME unit.test_switch_rx_queue COMMAND test_switch_rx_queue)
set_tests_properties(unit.test_switch_rx_queue PROPERTIES LABELS unit TIMEOUT 120)
