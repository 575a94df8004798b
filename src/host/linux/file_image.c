/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"

int host_file_image_open(struct host_file_image *img, const char *path, const char *what)
{
    struct stat st;
    int fd;

    memset(img, 0, sizeof(*img));
    img->fd = -1;
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
    img->size = (uint64_t)st.st_size;
    img->path = path;
    img->what = what;
    img->fd = fd;
    return 0;
}

int host_file_image_read(struct host_file_image *img)
{
    /*
     * A copy in anonymous memory, not a mapping of the file: a MAP_PRIVATE
     * page not yet touched still follows the file, so replacing the file in
     * place would tear the next reboot's copy, and truncating it would
     * SIGBUS the VMM. Read once, the file can change as it likes.
     */
    size_t size = (size_t)img->size;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        LOG_ERR("%s %s: cannot allocate %zu bytes for it: %s", img->what, img->path, size,
                strerror(e));
        return -e;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = pread(img->fd, (uint8_t *)p + done, size - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : 0;
            LOG_ERR("%s %s: %s after %zu of %zu bytes", img->what, img->path,
                    e != 0 ? strerror(e) : "the file shrank while it was read", done, size);
            munmap(p, size);
            return e != 0 ? -e : -STDVMM_EIO;
        }
        done += (size_t)n;
    }
    close(img->fd);
    img->fd = -1;
    /* Read-only, as the mapping was: a stray write faults instead of changing the kernel. */
    mprotect(p, size, PROT_READ);
    img->data = p;
    return 0;
}

int host_file_image_load(struct host_file_image *img, const char *path, const char *what)
{
    int r = host_file_image_open(img, path, what);
    if (r == 0) {
        r = host_file_image_read(img);
        if (r < 0)
            host_file_image_release(img);
    }
    return r;
}

void host_file_image_release(struct host_file_image *img)
{
    if (img->data != NULL)
        munmap((void *)img->data, (size_t)img->size);
    else if (img->path != NULL && img->fd >= 0)
        close(img->fd);
    memset(img, 0, sizeof(*img));
    img->fd = -1;
}
