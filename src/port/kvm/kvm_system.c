/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Opening /dev/kvm, with the checks that turn "KVM_RUN failed" hours later
 * into a one-line reason now: missing device, missing permission, too old an
 * API, and a KVM that cannot run standard guests (PVM).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_internal.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#if defined(__x86_64__)
static bool path_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* True when /proc/cpuinfo lists vmx or svm: KVM then uses hardware virtualization. */
static bool cpu_has_hw_virt(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096];
    bool found = false;

    if (f == NULL)
        return true; /* cannot tell: do not block on a guess */
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "flags", 5) == 0)
            found = strstr(line, " vmx") != NULL || strstr(line, " svm") != NULL;
    }
    fclose(f);
    return found;
}
#endif

int kvm_open_system(int *kvm_fd)
{
    static const int required_caps[] = {
        KVM_CAP_USER_MEMORY,
#if !defined(__riscv)
        /* riscv64 KVM has one only with the AIA; without it stdvmm emulates a PLIC. */
        KVM_CAP_IRQCHIP,
#endif
        KVM_CAP_IMMEDIATE_EXIT,
        KVM_CAP_IOEVENTFD,
        KVM_CAP_IRQFD
    };
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            LOG_ERR("/dev/kvm does not exist: this host has no KVM (load kvm-intel or "
                    "kvm-amd, or run inside the test host: see README)");
        else if (e == EACCES || e == EPERM)
            LOG_ERR("/dev/kvm: permission denied (add yourself to the 'kvm' group)");
        else
            LOG_ERR("/dev/kvm: cannot open: %s", strerror(e));
        return -e;
    }
    if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        LOG_ERR("/dev/kvm: unsupported KVM API version");
        close(fd);
        return -STDVMM_ENOTSUP;
    }
#if defined(__x86_64__)
    /*
     * PVM (kvm_pvm) offers /dev/kvm without VMX/SVM, by shadow paging and
     * emulating guest kernel mode. It answers every ioctl we make, but a
     * standard Linux kernel never reaches user space under it.
     */
    if (path_exists("/sys/module/kvm_pvm") && !cpu_has_hw_virt()) {
        LOG_ERR("/dev/kvm is PVM (kvm_pvm loaded, no vmx/svm in /proc/cpuinfo): it cannot run "
                "standard Linux guests; use a host with hardware virtualization, or the test "
                "host (tools/testhost) - see README");
        close(fd);
        return -STDVMM_ENOTSUP;
    }
#endif
    for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
        if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i]) <= 0) {
            LOG_ERR("/dev/kvm lacks capability %d that stdvmm needs", required_caps[i]);
            close(fd);
            return -STDVMM_ENOTSUP;
        }
    }
    *kvm_fd = fd;
    return 0;
}
