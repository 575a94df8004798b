#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of virtio_vsock: an echo server on port 5000 for one host
# connection, then a connection to the host's port 6000.
set -eu
dmesg -n 1
stdvmm-vsock listen 5000 >/tmp/listen.out &
listener=$!
n=0
until grep -q listening /tmp/listen.out 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 50 ] || break
	sleep 0.1
done
echo "stdvmm-test: guest listening"
wait $listener || echo "stdvmm-test: listener failed"
dd if=/dev/urandom of=/tmp/blob bs=65536 count=16 2>/dev/null
timeout 60 stdvmm-vsock connect 2 6000 </tmp/blob >/tmp/back || echo "stdvmm-test: connect failed"
echo "stdvmm-test: g2h_sent=$(sha256sum /tmp/blob | cut -d' ' -f1)"
echo "stdvmm-test: g2h_back=$(sha256sum /tmp/back | cut -d' ' -f1)"
echo "stdvmm-test: g2h_bytes=$(wc -c </tmp/back)"
echo "stdvmm-test: virtio_vsock ok"
