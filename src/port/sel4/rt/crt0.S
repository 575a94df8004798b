/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entry of the root task and of every VMM protection domain. seL4 starts a
 * thread with no stack: take our own from .bss, keep x0 (the root task's
 * seL4_BootInfo, a VMM's argument page) and go to C.
 */
    .section .text.sel4rt_start, "ax"
    .global _sel4_start
    .type _sel4_start, %function
_sel4_start:
    adrp    x19, sel4rt_stack_top
    add     x19, x19, :lo12:sel4rt_stack_top
    mov     sp, x19
    mov     x29, xzr
    mov     x30, xzr
    bl      sel4rt_start
1:  b       1b
    .size _sel4_start, . - _sel4_start

    .bss
    .balign 16
    .space  0x20000
    .global sel4rt_stack_top
sel4rt_stack_top:
