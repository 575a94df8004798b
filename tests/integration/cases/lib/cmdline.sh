# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# The start of every test guest's command line, for lib/guest.sh and
# lib/manager.sh alike. "quiet" keeps the kernel's console to errors and
# worse: on x86 each console byte costs the guest a port-I/O exit (its LSR
# poll), which inside a test host's nested KVM is a quarter of a boot
# (19.0 s -> 14.3 s measured, 22 661 -> 850 exits). The kernel's whole log
# stays in its ring (dmesg); a case that reads kernel messages from the
# console appends loglevel=7, which overrides quiet.
# shellcheck disable=SC2034 # read by the files that source this one
GUEST_BASE_CMDLINE="console=ttyS0 panic=-1 quiet"
