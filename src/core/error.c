/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/error.h"

const char *stdvmm_strerror(int err)
{
    switch (err < 0 ? -err : err) {
    case 0:
        return "success";
    case STDVMM_EPERM:
        return "EPERM";
    case STDVMM_ENOENT:
        return "ENOENT";
    case STDVMM_EIO:
        return "EIO";
    case STDVMM_E2BIG:
        return "E2BIG";
    case STDVMM_ENOEXEC:
        return "ENOEXEC";
    case STDVMM_EAGAIN:
        return "EAGAIN";
    case STDVMM_ENOMEM:
        return "ENOMEM";
    case STDVMM_EFAULT:
        return "EFAULT";
    case STDVMM_EBUSY:
        return "EBUSY";
    case STDVMM_EEXIST:
        return "EEXIST";
    case STDVMM_ENODEV:
        return "ENODEV";
    case STDVMM_EINVAL:
        return "EINVAL";
    case STDVMM_ENOSPC:
        return "ENOSPC";
    case STDVMM_ERANGE:
        return "ERANGE";
    case STDVMM_ENOSYS:
        return "ENOSYS";
    case STDVMM_EPROTO:
        return "EPROTO";
    case STDVMM_ENOTSUP:
        return "ENOTSUP";
    default:
        return "unknown error";
    }
}
