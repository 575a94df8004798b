# SPDX-License-Identifier: BSD-2-Clause
# The riscv64 pure logic runs natively here, as the aarch64 one does
# (aarch64.cmake): the Image parser is compiled into its test program, since
# no build of this tree has src/arch/riscv64 in stdvmm_portable yet (the
# riscv64 port is issue #17's work in progress).
target_sources(test_rv64_image PRIVATE ${PROJECT_SOURCE_DIR}/src/arch/riscv64/image.c)
