# SPDX-License-Identifier: BSD-2-Clause
# Targets of the seL4 build (included from CMakeLists.txt once the kernel,
# libsel4 and the elfloader are imported):
#   stdvmm-vmm   the VMM program, one protection domain per VM
#   stdvmm-switch, stdvmm-blkserver   the backend PDs (network, board's disk)
#   stdvmm-sel4  the root task (admin), embedding stdvmm-vmm, the guest
#                images and the VM table generated from the system description
#   images/stdvmm-sel4-image-arm-qemu-arm-virt   what QEMU boots (-kernel)

# picolibc (Debian package picolibc-aarch64-linux-gnu) is the C library of
# both programs; nothing of the cross toolchain's glibc is used.
set(PICOLIBC_DIR "/usr/lib/picolibc/aarch64-linux-gnu" CACHE PATH "picolibc for aarch64")
if(NOT EXISTS "${PICOLIBC_DIR}/lib/libc.a")
  message(FATAL_ERROR "stdvmm/sel4: no ${PICOLIBC_DIR}/lib/libc.a (apt-get install picolibc-aarch64-linux-gnu)")
endif()
# libfdt for aarch64 (the device tree builder): Debian's arm64 libfdt-dev,
# unpacked by tools/cross/aarch64-sysroot.sh.
set(STDVMM_AARCH64_SYSROOT "" CACHE PATH "tools/cross/aarch64-sysroot.sh output (arm64 libfdt)")
set(SEL4_LIBFDT_INCLUDE "${STDVMM_AARCH64_SYSROOT}/usr/include")
set(SEL4_LIBFDT "${STDVMM_AARCH64_SYSROOT}/usr/lib/aarch64-linux-gnu/libfdt.a")
if(NOT STDVMM_AARCH64_SYSROOT OR NOT EXISTS "${SEL4_LIBFDT}")
  message(FATAL_ERROR "stdvmm/sel4: give -DSTDVMM_AARCH64_SYSROOT=$(tools/cross/aarch64-sysroot.sh | tail -n1)")
endif()
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include OUTPUT_VARIABLE GCC_INCLUDE
                OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-libgcc-file-name OUTPUT_VARIABLE LIBGCC
                OUTPUT_STRIP_TRAILING_WHITESPACE)

set(SEL4_DIR ${CMAKE_CURRENT_LIST_DIR})
set(sel4_common_flags -std=gnu17 -nostdinc "SHELL:-isystem ${PICOLIBC_DIR}/include"
    "SHELL:-isystem ${GCC_INCLUDE}"
    -ftls-model=local-exec -fno-pic -fno-pie -mstrict-align -mno-outline-atomics -O2 -g
    -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes)

add_library(stdvmm_sel4_rt OBJECT ${SEL4_DIR}/rt/crt0.S ${SEL4_DIR}/rt/rt.c ${SEL4_DIR}/rt/string.c)
target_compile_options(stdvmm_sel4_rt PRIVATE ${sel4_common_flags})
target_link_libraries(stdvmm_sel4_rt PRIVATE sel4 sel4_autoconf)

set(sel4_link_flags -static -nostdlib -Wl,--gc-sections -Wl,-e,_sel4_start
    -Wl,-T,${TLS_ROOTSERVER} -Wl,--build-id=none -no-pie)
set(sel4_libs sel4 sel4_autoconf ${PICOLIBC_DIR}/lib/libc.a ${LIBGCC})

# ---- the VMM program ------------------------------------------------------
set(portable ${STDVMM_TOP}/src)
add_executable(stdvmm-vmm
  ${SEL4_DIR}/vmm/main.c ${SEL4_DIR}/vmm/hv_sel4.c ${SEL4_DIR}/vmm/vmm_io.c
  ${SEL4_DIR}/portable/vgic_v2.c ${SEL4_DIR}/portable/esr.c ${SEL4_DIR}/portable/guest_call.c
  ${SEL4_DIR}/portable/sel4_plan.c
  ${portable}/core/bus.c ${portable}/core/error.c ${portable}/core/guest_memory.c
  ${portable}/core/memory_map.c ${portable}/arch/aarch64/memory_limits.c
  ${portable}/core/vcpu_loop.c ${portable}/core/vm.c ${portable}/core/kernel_image.c
  ${portable}/core/vm_options.c
  ${portable}/arch/aarch64/arch_aarch64.c ${portable}/arch/aarch64/image.c
  ${portable}/arch/aarch64/psci.c ${portable}/arch/aarch64/panic_record.c
  ${portable}/firmware/fdt/dtb.c ${portable}/machine/machine.c ${portable}/machine/virtio.c
  ${portable}/devices/virtio/virtio_device.c ${portable}/devices/virtio/virtio_mmio.c
  ${portable}/devices/virtio/virtqueue.c
  ${portable}/devices/virtio/virtio_console.c ${portable}/devices/virtio/virtio_blk.c
  ${portable}/devices/rate_limiter.c
  ${portable}/devices/virtio/virtio_net.c ${portable}/devices/virtio/virtio_rng.c
  ${portable}/devices/virtio/virtio_vsock.c ${portable}/devices/virtio/virtio_vhost.c
  ${portable}/devices/virtio/virtio_iommu.c ${portable}/devices/iommu_map.c ${portable}/devices/iommu_iotlb.c
  ${portable}/devices/serial_8250.c ${portable}/devices/boot_timer.c ${portable}/devices/pvpanic.c ${portable}/devices/shared_region.c
  ${portable}/devices/pl031.c
  ${SEL4_DIR}/vmm/vmm_net.c ${SEL4_DIR}/vmm/vmm_blk.c ${portable}/channel/channel_layout.c ${portable}/channel/channel_ring.c
  ${portable}/channel/channel_front.c
  ${SEL4_DIR}/vmm/vmm_drvback.c ${portable}/channel/channel_back.c
  ${portable}/channel/channel_stream.c ${portable}/channel/channel_relay.c
  ${portable}/blkserver/blk_region.c
  $<TARGET_OBJECTS:stdvmm_sel4_rt>)
target_include_directories(stdvmm-vmm PRIVATE ${STDVMM_TOP}/include ${STDVMM_TOP}/src ${SEL4_DIR}
                                              ${SEL4_LIBFDT_INCLUDE})
target_compile_options(stdvmm-vmm PRIVATE ${sel4_common_flags})
target_link_options(stdvmm-vmm PRIVATE ${sel4_link_flags}
                    -Wl,-Ttext-segment=0x400000)
target_link_libraries(stdvmm-vmm PRIVATE ${SEL4_LIBFDT} ${sel4_libs})

# ---- the switch program (one PD, when a VM has a NIC) ------------------------
add_executable(stdvmm-switch
  ${SEL4_DIR}/switch/main.c ${SEL4_DIR}/rt/backend_log.c
  ${portable}/vswitch/vswitch.c ${portable}/vswitch/mac_table.c
  ${portable}/channel/channel_layout.c ${portable}/channel/channel_ring.c
  ${portable}/channel/channel_back.c ${portable}/core/error.c
  $<TARGET_OBJECTS:stdvmm_sel4_rt>)
target_include_directories(stdvmm-switch PRIVATE ${STDVMM_TOP}/include ${STDVMM_TOP}/src ${SEL4_DIR})
target_compile_options(stdvmm-switch PRIVATE ${sel4_common_flags})
target_link_options(stdvmm-switch PRIVATE ${sel4_link_flags} -Wl,-Ttext-segment=0x400000)
target_link_libraries(stdvmm-switch PRIVATE ${sel4_libs})

# ---- the block server program (one PD, when a VM has a region of the board's disk) ----
add_executable(stdvmm-blkserver
  ${SEL4_DIR}/blkserver/main.c ${SEL4_DIR}/rt/backend_log.c
  ${portable}/drivers/virtio/virtio_driver.c ${portable}/blkserver/blk_region.c
  ${portable}/channel/channel_layout.c ${portable}/channel/channel_ring.c
  ${portable}/channel/channel_back.c ${portable}/core/error.c
  $<TARGET_OBJECTS:stdvmm_sel4_rt>)
target_include_directories(stdvmm-blkserver PRIVATE ${STDVMM_TOP}/include ${STDVMM_TOP}/src
                                                    ${SEL4_DIR})
target_compile_options(stdvmm-blkserver PRIVATE ${sel4_common_flags})
target_link_options(stdvmm-blkserver PRIVATE ${sel4_link_flags} -Wl,-Ttext-segment=0x400000)
target_link_libraries(stdvmm-blkserver PRIVATE ${sel4_libs})

# ---- the VM table and the embedded images ----------------------------------
set(STDVMM_SEL4_SYSTEM "${SEL4_DIR}/examples/two-vms.yaml" CACHE FILEPATH
    "system description (YAML or JSON) of the VMs the root task may run")
set(STDVMM_GUEST_KIT "" CACHE PATH "guest kit directory ($STDVMM_GUEST_KIT in the description)")
set(STDVMM_SEL4_PATH_ROOT "" CACHE PATH
    "directory under which the description's absolute paths are looked up (as in a chroot)")
if(KernelIsMCS)
  set(gen_mcs on)
else()
  set(gen_mcs off)
endif()
# A description the generator refuses (overlapping colours, a VM on a core the
# kernel lacks, ...) fails the configure step with its reason, not the build later.
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env STDVMM_GUEST_KIT=${STDVMM_GUEST_KIT}
          python3 ${STDVMM_TOP}/tools/sel4/gen-vm-table.py --check --system ${STDVMM_SEL4_SYSTEM}
          --mcs ${gen_mcs} --path-root=${STDVMM_SEL4_PATH_ROOT}
  RESULT_VARIABLE gen_check ERROR_VARIABLE gen_check_err OUTPUT_QUIET)
if(NOT gen_check EQUAL 0)
  message(FATAL_ERROR "${gen_check_err}")
endif()
set(gen ${CMAKE_CURRENT_BINARY_DIR}/gen)
add_custom_command(
  OUTPUT ${gen}/vm_table.c ${gen}/images.S ${gen}/images.d
  COMMAND ${CMAKE_COMMAND} -E env STDVMM_GUEST_KIT=${STDVMM_GUEST_KIT}
          python3 ${STDVMM_TOP}/tools/sel4/gen-vm-table.py --system ${STDVMM_SEL4_SYSTEM}
          --out ${gen} --vmm $<TARGET_FILE:stdvmm-vmm> --switch $<TARGET_FILE:stdvmm-switch>
          --blkserver $<TARGET_FILE:stdvmm-blkserver> --mcs ${gen_mcs} --path-root=${STDVMM_SEL4_PATH_ROOT}
  DEPENDS ${STDVMM_TOP}/tools/sel4/gen-vm-table.py ${STDVMM_SEL4_SYSTEM} stdvmm-vmm stdvmm-switch
          stdvmm-blkserver
  DEPFILE ${gen}/images.d
  COMMENT "VM table and images from ${STDVMM_SEL4_SYSTEM}")

# ---- the root task (admin) ---------------------------------------------------
add_executable(stdvmm-sel4
  ${SEL4_DIR}/admin/main.c ${SEL4_DIR}/admin/vspace.c ${SEL4_DIR}/admin/elf.c
  ${SEL4_DIR}/admin/vm.c ${SEL4_DIR}/admin/console.c ${SEL4_DIR}/admin/net.c
  ${SEL4_DIR}/admin/shared.c
  ${SEL4_DIR}/admin/blk.c ${SEL4_DIR}/admin/backend_pd.c
  ${SEL4_DIR}/admin/board.c ${SEL4_DIR}/admin/passthrough.c
  ${SEL4_DIR}/admin/driver_vm.c
  ${SEL4_DIR}/admin/handover.c ${SEL4_DIR}/admin/colour.c
  ${SEL4_DIR}/admin/colour_channel.c
  ${SEL4_DIR}/portable/sel4_plan.c ${SEL4_DIR}/portable/colour.c ${portable}/core/error.c
  ${gen}/vm_table.c ${gen}/images.S
  $<TARGET_OBJECTS:stdvmm_sel4_rt>)
target_include_directories(stdvmm-sel4 PRIVATE ${STDVMM_TOP}/include ${STDVMM_TOP}/src ${SEL4_DIR})
target_compile_options(stdvmm-sel4 PRIVATE ${sel4_common_flags})
target_link_options(stdvmm-sel4 PRIVATE -static -nostdlib -Wl,--gc-sections -Wl,--build-id=none
                    -no-pie)
target_link_libraries(stdvmm-sel4 PRIVATE ${sel4_libs})
DeclareRootserver(stdvmm-sel4)
