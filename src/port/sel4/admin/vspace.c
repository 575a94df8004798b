/* SPDX-License-Identifier: BSD-2-Clause */
/* Retyping from a budget and mapping into address spaces, for the admin. */
#include <string.h>

#include "admin.h"

seL4_CPtr slot_take(struct slot_range *r)
{
    if (r->next >= r->end)
        return seL4_CapNull;
    return r->next++;
}

seL4_Error ut_retype(struct ut_alloc *a, seL4_Word type, seL4_Word size_arg, unsigned obj_bits,
                     seL4_CPtr *slot)
{
    uint64_t size = 1ull << obj_bits;
    /* The kernel places each object at its natural alignment above the watermark. */
    uint64_t off = (a->used + size - 1) & ~(size - 1);

    if (obj_bits > a->bits || off > (1ull << a->bits) - size) {
        console_printf("admin: budget of 2^%u bytes exhausted (object of 2^%u at %llu used)\n",
                       a->bits, obj_bits, (unsigned long long)a->used);
        return seL4_NotEnoughMemory;
    }
    seL4_CPtr s = slot_take(a->slots);
    if (s == seL4_CapNull) {
        console_printf("admin: out of capability slots for this budget\n");
        return seL4_RangeError;
    }
    seL4_Error err =
        seL4_Untyped_Retype(a->ut, type, size_arg, seL4_CapInitThreadCNode, 0, 0, s, 1);
    if (err != seL4_NoError) {
        console_printf("admin: retype of type %lu (2^%u bytes) failed: error %d\n",
                       (unsigned long)type, obj_bits, err);
        return err;
    }
    a->used = off + size;
    *slot = s;
    return seL4_NoError;
}

seL4_Error vs_map(seL4_CPtr vspace, seL4_CPtr frame, uint64_t va, seL4_CapRights_t rights,
                  seL4_ARM_VMAttributes attr, struct ut_alloc *pt)
{
    /* At most one page table per missing level: level 1, 2 and 3 below the root. */
    for (int level = 0; level < 4; level++) {
        seL4_Error err = seL4_ARM_Page_Map(frame, vspace, va, rights, attr);
        if (err != seL4_FailedLookup)
            return err;
        seL4_CPtr table;
        err = ut_retype(pt, seL4_ARM_PageTableObject, 0, seL4_PageTableBits, &table);
        if (err != seL4_NoError)
            return err;
        err = seL4_ARM_PageTable_Map(table, vspace, va, seL4_ARM_Default_VMAttributes);
        if (err != seL4_NoError) {
            console_printf("admin: page table for 0x%llx: error %d\n", (unsigned long long)va, err);
            return err;
        }
    }
    return seL4_FailedLookup;
}

seL4_Error vs_fill_frame(seL4_CPtr frame, const void *data, uint64_t len)
{
    if (len > (1u << seL4_PageBits))
        return seL4_RangeError;
    seL4_Error err = vs_map(seL4_CapInitThreadVSpace, frame, ADMIN_SCRATCH_VA, seL4_ReadWrite,
                            seL4_ARM_Default_VMAttributes, &admin.own);
    if (err != seL4_NoError)
        return err;
    memcpy((void *)(uintptr_t)ADMIN_SCRATCH_VA, data, len);
    /* The frame may hold code: make it visible to instruction fetch. */
    seL4_ARM_Page_Clean_Data(frame, 0, 1u << seL4_PageBits);
    seL4_ARM_Page_Unify_Instruction(frame, 0, 1u << seL4_PageBits);
    return seL4_ARM_Page_Unmap(frame);
}
