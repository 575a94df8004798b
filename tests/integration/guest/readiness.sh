#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the readiness case: /init has already printed the readiness
# line; this only proves the test dispatch ran before /init powers off.
echo "stdvmm-test: readiness ok"
