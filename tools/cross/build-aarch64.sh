#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tools/cross/build.sh --arch aarch64, under the name the seL4 scripts and docs use.
exec "$(dirname "${BASH_SOURCE[0]}")/build.sh" --arch aarch64 "$@"
