# SPDX-License-Identifier: BSD-2-Clause
# The Linux backends (src/backends/linux) under their real device models,
# on the runtime's event loop: test_blk_file drives a raw image through
# virtio-blk (io_uring, or the synchronous path without it); test_net_slirp
# user networking through virtio-net (no TAP, no privilege); test_vsock_unix
# host and guest connections through virtio-vsock on real Unix sockets;
# test_rng_getrandom the entropy backend (through virtio-rng: test_virtio_wiring);
# test_vhost_iotlb the kernel vhost IOTLB messages (pure, no kernel).
if(NOT TARGET stdvmm_backends)
  return()
endif()
add_executable(test_blk_file ${CMAKE_CURRENT_SOURCE_DIR}/backends/test_blk_file.c
                             ${CMAKE_CURRENT_SOURCE_DIR}/support/test_hv_none.c
                             ${CMAKE_CURRENT_SOURCE_DIR}/support/stderr_capture.c)
target_include_directories(test_blk_file PRIVATE ${CMOCKA_INCLUDE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}
                                                 ${CMAKE_CURRENT_SOURCE_DIR}/support)
# The host layer's own log sink (the event loop needs it): the null port without
# stdvmm_test_support's log.
target_link_libraries(test_blk_file PRIVATE stdvmm_backends ${CMOCKA_LIBRARY})
add_test(NAME unit.test_blk_file COMMAND test_blk_file)
set_tests_properties(unit.test_blk_file PROPERTIES LABELS unit TIMEOUT 120)

# The other backends, each under its real device model (and the same log sink).
foreach(name test_net_slirp test_vsock_unix test_rng_getrandom test_vhost_iotlb)
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/backends/${name}.c
                         ${CMAKE_CURRENT_SOURCE_DIR}/support/test_hv_none.c
                         ${CMAKE_CURRENT_SOURCE_DIR}/support/stderr_capture.c)
  target_include_directories(${name} PRIVATE ${CMOCKA_INCLUDE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}
                                             ${CMAKE_CURRENT_SOURCE_DIR}/support)
  target_link_libraries(${name} PRIVATE stdvmm_backends ${CMOCKA_LIBRARY})
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT 120)
endforeach()
