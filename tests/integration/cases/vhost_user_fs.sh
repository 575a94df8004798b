#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# virtio-fs over vhost-user: QEMU's virtiofsd serves a host directory; the
# guest mounts it by tag (mount -t virtiofs), reads a host file's checksum
# and writes a file that the host then finds with the same checksum.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/vhost.sh
. "${0%/*}/lib/vhost.sh"
share=$TEST_TMP/share sock=$TEST_TMP/fs.sock flog=$TEST_TMP/virtiofsd.log
rm -rf "$share" "$sock" "$flog"
mkdir -p "$share"
dd if=/dev/urandom of="$share/host.bin" bs=65536 count=16 2>/dev/null
host_sha=$(sha256sum "$share/host.bin" | cut -d' ' -f1)
# The test host's root is an initramfs, where virtiofsd's default sandbox
# (a mount namespace and pivot_root) cannot work: chroot instead.
"$VIRTIOFSD" --socket-path="$sock" -o source="$share" -o sandbox=chroot -o cache=none \
	>"$flog" 2>&1 &
fpid=$!
wait_socket "$sock" "$fpid"
run_vm "stdvmm.test=vhost_user_fs" --fs "tag=hostshare,socket=$sock" --log-level info
stop_backend "$fpid"
echo "--- virtiofsd log:"
cat "$flog"
expect_line "stdvmm-test: vhost_user_fs ok"
expect_rc 0 "guest powered off"
echo "host file: host sha256 $host_sha, guest read $(serial_value host_sha256)"
[ "$(serial_value host_sha256)" = "$host_sha" ] || fail "the guest read other bytes of the host's file"
[ -f "$share/guest.bin" ] || fail "the guest's file is not in the host directory"
got=$(sha256sum "$share/guest.bin" | cut -d' ' -f1)
echo "guest file: guest sha256 $(serial_value guest_sha256), host reads $got"
[ "$got" = "$(serial_value guest_sha256)" ] || fail "the guest's file differs on the host"
echo "PASS: a host directory through virtiofsd, read and written by the guest"
