#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Prints how many processors the guest kernel brought up, and whether its
# first CPU offers the local APIC's TSC-deadline timer (x86); the host-side
# case compares them with --cpus and with what the VMM must offer.
set -eu
echo "stdvmm-test: cpus=$(grep -c '^processor' /proc/cpuinfo)"
echo "stdvmm-test: tsc_deadline=$(awk '/^flags/ { print (/ tsc_deadline_timer( |$)/ ? 1 : 0); exit }' /proc/cpuinfo)"
