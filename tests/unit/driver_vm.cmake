# SPDX-License-Identifier: BSD-2-Clause
# The driver VM's block server (src/driver_vm), natively: its stream to the
# VMM's side over a Unix socket, a plain file and a real qemu-storage-daemon
# vhost-user-blk export as its disk.
if(TARGET stdvmm-blkserve)
  find_program(STDVMM_PYTHON3 python3 REQUIRED)
  add_test(NAME unit.driver_vm_blkserve
           COMMAND ${STDVMM_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/tools/test_blkserve.py
                   $<TARGET_FILE:stdvmm-blkserve>)
  set_tests_properties(unit.driver_vm_blkserve PROPERTIES LABELS unit TIMEOUT 60)
endif()
# Its network server, on the loopback interface (a packet socket: root).
if(TARGET stdvmm-netserve)
  find_program(STDVMM_PYTHON3 python3 REQUIRED)
  add_test(NAME unit.driver_vm_netserve
           COMMAND ${STDVMM_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/tools/test_netserve.py
                   $<TARGET_FILE:stdvmm-netserve>)
  set_tests_properties(unit.driver_vm_netserve PROPERTIES LABELS unit TIMEOUT 60)
endif()
