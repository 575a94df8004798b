/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a call wrote to stderr (the host layer's log), for tests that check
 * a message: file descriptor 2 goes to a temporary file between begin and
 * end, so the real logger runs unchanged.
 */
#ifndef STDVMM_TEST_STDERR_CAPTURE_H
#define STDVMM_TEST_STDERR_CAPTURE_H

#include <stddef.h>

struct stderr_capture {
    int saved_fd;
    int file_fd;
};

/* 0, or -1 when stderr could not be redirected. */
int stderr_capture_begin(struct stderr_capture *c);
/* Restores stderr; buf holds what was written (NUL-terminated, cut at size - 1). */
const char *stderr_capture_end(struct stderr_capture *c, char *buf, size_t size);

#endif
