#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tools/cross/sysroot.sh --arch aarch64, under the name the seL4 build and docs use.
exec "$(dirname "${BASH_SOURCE[0]}")/sysroot.sh" --arch aarch64 "$@"
