# Unit tests of the Linux-hosted libraries above the host layer
# (tests/unit/system/test_*.c): the system description (src/description),
# placement (src/sched) and the manager's request parser and state-dir
# logic (src/manager). They link the libraries they test instead of
# stdvmm_portable alone, and see only their public headers, except where
# noted below.
if(NOT TARGET stdvmm_description)
  return()
endif()
file(GLOB system_unit_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/system/test_*.c)
foreach(src ${system_unit_tests})
  get_filename_component(name ${src} NAME_WE)
  if(name STREQUAL "test_manager" AND NOT TARGET stdvmm_manager)
    continue()
  endif()
  if(name STREQUAL "test_host_files" AND NOT TARGET stdvmm_runtime)
    continue()
  endif()
  if(name STREQUAL "test_sandbox" AND NOT STDVMM_SECCOMP_LIBRARY)
    continue()
  endif()
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_compile_definitions(${name} PRIVATE
    EXAMPLE_SYSTEM="${PROJECT_SOURCE_DIR}/docs/examples/system.yaml"
    SEL4_NET_EXAMPLE="${PROJECT_SOURCE_DIR}/src/port/sel4/examples/net.yaml")
  target_link_libraries(${name} PRIVATE stdvmm_description ${CMOCKA_LIBRARY})
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT 120)
endforeach()
# test_manager drives the manager's pure parts (manager_request.h,
# manager_state.h), which are private to src/manager: it, and only it,
# links the test-only target that exposes them.
if(TARGET test_manager)
  target_link_libraries(test_manager PRIVATE stdvmm_manager_internals)
endif()
# test_host_files drives the runtime's console (src/runtime/console.h, that
# library's own header) and the host layer's file helpers.
if(TARGET test_host_files)
  target_link_libraries(test_host_files PRIVATE stdvmm_runtime stdvmm_portable stdvmm_port_kvm)
  target_include_directories(test_host_files PRIVATE ${PROJECT_SOURCE_DIR}/src/runtime)
endif()
# test_sandbox checks the seccomp lists themselves (src/host/linux/seccomp_lists.h,
# the host layer's own header) and loads filters in child processes.
if(TARGET test_sandbox)
  target_link_libraries(test_sandbox PRIVATE stdvmm_host)
  target_include_directories(test_sandbox PRIVATE ${PROJECT_SOURCE_DIR}/src/host/linux)
endif()

# The manager against a stand-in VMM (tests/manager/fake_vmm.c): its life
# cycle, restart policy, bounds, adoption and API robustness, in seconds and
# without KVM. The same behaviours with real guests run in the test host
# (tests/integration/cases/manager_*.sh).
if(TARGET stdvmmd AND TARGET stdvmm)
  add_executable(fake_vmm ${PROJECT_SOURCE_DIR}/tests/manager/fake_vmm.c)
  target_link_libraries(fake_vmm PRIVATE stdvmm_vm_client) # for jansson
  add_test(NAME unit.manager_local
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/manager/manager-local.sh
                   $<TARGET_FILE:stdvmmd> $<TARGET_FILE:stdvmm> $<TARGET_FILE:fake_vmm>
                   ${CMAKE_CURRENT_BINARY_DIR}/manager_local)
  set_tests_properties(unit.manager_local PROPERTIES LABELS unit TIMEOUT 300)
  # The networks' switches under the manager (the real stdvmm-switch, no guests).
  if(TARGET stdvmm-switch)
    add_test(NAME unit.manager_networks_local
             COMMAND bash ${PROJECT_SOURCE_DIR}/tests/manager/manager-networks-local.sh
                     $<TARGET_FILE:stdvmmd> $<TARGET_FILE:stdvmm> $<TARGET_FILE:fake_vmm>
                     $<TARGET_FILE:stdvmm-switch> ${CMAKE_CURRENT_BINARY_DIR}/manager_networks_local)
    set_tests_properties(unit.manager_networks_local PROPERTIES LABELS unit TIMEOUT 120)
  endif()
endif()
# test_vm_api serves the per-VM control socket (src/control) on a real Unix
# socket and talks to it through the manager's client.
if(TARGET test_vm_api)
  target_link_libraries(test_vm_api PRIVATE stdvmm_vm_api stdvmm_vm_client stdvmm_portable
                                            stdvmm_port_kvm)
endif()
# test_sched_policy applies placements to a thread of its own (src/sched).
if(TARGET test_sched_policy)
  target_link_libraries(test_sched_policy PRIVATE stdvmm_sched stdvmm_host stdvmm_portable
                                                  stdvmm_port_kvm)
endif()
