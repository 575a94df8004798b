#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs one fuzzer for a bounded time from its seeds and a growing corpus;
# any crash, leak, sanitizer report or slow input fails the test, and the
# input that caused it is kept next to the corpus (crash-*, leak-*, ...).
#   run-fuzzer.sh FUZZER SEEDS CORPUS SECONDS
set -eu
fuzzer=$1
seeds=$2
corpus=$3
seconds=$4
if [ ! -x "$fuzzer" ]; then
    echo "SKIP: $fuzzer was not built (see the fuzz.build test)"
    exit 77
fi
mkdir -p "$corpus"
cd "$(dirname "$corpus")"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 "$corpus" "$seeds"
