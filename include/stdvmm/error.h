/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One error convention for all of stdvmm: functions return 0 on success and a
 * negative STDVMM_E* code on failure, after logging what failed and on which
 * input. The values equal Linux errno numbers so the KVM port can pass -errno
 * through unchanged, but portable code never includes <errno.h>.
 */
#ifndef STDVMM_ERROR_H
#define STDVMM_ERROR_H

#define STDVMM_EPERM 1
#define STDVMM_ENOENT 2
#define STDVMM_EIO 5
#define STDVMM_E2BIG 7
#define STDVMM_ENOEXEC 8
#define STDVMM_EAGAIN 11
#define STDVMM_ENOMEM 12
#define STDVMM_EFAULT 14
#define STDVMM_EBUSY 16
#define STDVMM_EEXIST 17
#define STDVMM_ENODEV 19
#define STDVMM_EINVAL 22
#define STDVMM_ENOSPC 28
#define STDVMM_ERANGE 34
#define STDVMM_ENOSYS 38
#define STDVMM_EPROTO 71 /* a peer (backend, VMM, other PD) broke a shared-memory protocol */
#define STDVMM_ENOTSUP 95

/* A short name for an error code, for log messages ("EINVAL"). */
const char *stdvmm_strerror(int err);

#endif
