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
    /*
     * A copy in anonymous memory, not a mapping of the file: a MAP_PRIVATE
     * page not yet touched still follows the file, so replacing the file in
     * place would tear the next reboot's copy, and truncating it would
     * SIGBUS the VMM. Read once, the file can change as it likes.
     */
    size_t size = (size_t)st.st_size;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        LOG_ERR("%s %s: cannot allocate %zu bytes for it: %s", what, path, size, strerror(e));
        close(fd);
        return -e;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = pread(fd, (uint8_t *)p + done, size - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : 0;
            LOG_ERR("%s %s: %s after %zu of %zu bytes", what, path,
                    e != 0 ? strerror(e) : "the file shrank while it was read", done, size);
            munmap(p, size);
            close(fd);
            return e != 0 ? -e : -STDVMM_EIO;
        }
        done += (size_t)n;
    }
    close(fd);
    /* Read-only, as the mapping was: a stray write faults instead of changing the kernel. */
    mprotect(p, size, PROT_READ);
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
