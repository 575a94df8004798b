/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"

int host_file_image_load(struct host_file_image *img, const char *path, const char *what)
{
    struct stat st;
    int fd;

    memset(img, 0, sizeof(*img));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        LOG_ERR("%s %s: cannot open: %s", what, path, strerror(e));
        return -e;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        LOG_ERR("%s %s: not a regular file", what, path);
        close(fd);
        return -STDVMM_EINVAL;
    }
    if (st.st_size == 0) {
        LOG_ERR("%s %s: the file is empty", what, path);
        close(fd);
        return -STDVMM_EINVAL;
    }
    /* Private mapping: later changes to the file cannot race with loading it. */
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        int e = errno;
        LOG_ERR("%s %s: cannot map: %s", what, path, strerror(e));
        return -e;
    }
    img->data = p;
    img->size = (uint64_t)st.st_size;
    img->path = path;
    return 0;
}

void host_file_image_release(struct host_file_image *img)
{
    if (img->data != NULL)
        munmap((void *)img->data, (size_t)img->size);
    memset(img, 0, sizeof(*img));
}
