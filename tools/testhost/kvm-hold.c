// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvm-hold: keeps one idle KVM VM open for the test host's whole life.
 *
 * Why: the host kernel rewrites its own hot code whenever the number of
 * VMs goes from 0 to 1 or back (KVM's preempt-notifier static key patches
 * __schedule and finish_task_switch; on x86 the in-kernel LAPIC's
 * "software disabled" key patches KVM's interrupt paths). QEMU TCG, which
 * emulates the test host, can keep running a stale translation of such code
 * on the other emulated CPU: a test host was seen with both CPUs looping
 * forever on an int3 in __schedule that memory no longer held (interrupts
 * off, nothing else ran; tools/testhost/README.md "When the test host
 * freezes"). Cases start and stop VMs all the time, so each one crossed
 * 0 <-> 1 several times. With this VM open from boot on, those keys are
 * switched once, before any case runs, and never again.
 *
 * It never runs its vCPU. Runs until killed; prints one line when ready.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        fprintf(stderr, "kvm-hold: /dev/kvm: %s\n", strerror(errno));
        return 1;
    }
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) {
        fprintf(stderr, "kvm-hold: KVM_CREATE_VM: %s\n", strerror(errno));
        return 1;
    }
#if defined(__x86_64__)
    /* A vCPU with an in-kernel LAPIC that stays software-disabled holds the
     * apic_sw_disabled key on; the irqchip first, or the vCPU would switch
     * kvm_has_noapic_vcpu instead. */
    if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 || ioctl(vm, KVM_CREATE_VCPU, 0) < 0) {
        fprintf(stderr, "kvm-hold: irqchip/vCPU: %s\n", strerror(errno));
        return 1;
    }
#endif
    printf("kvm-hold: holding a VM open (pid %d)\n", (int)getpid());
    fflush(stdout);
    for (;;)
        pause();
}
