#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build prxe.ko, the provider and the test programs inside the Debian 13 tree,
# against its kernel headers and rdma-core, into $BUILD_DIR/install (a
# DESTDIR tree that image.sh lays over the guest root).
set -euo pipefail
. "$(dirname "$0")/common.sh"

kver=$(cat "$BUILD_DIR/kernel/version")
src=$ROOTFS/build/src
install=$BUILD_DIR/install

log "building prxe.ko and the provider for $kver"
mkdir -p "$src"
# By content, and with new times for what changed: the copy may come from
# another work tree whose files are older than the objects built here, and
# make must still rebuild what differs.
rsync -rlp --checksum --delete --exclude=/build/ --exclude=/.git/ \
	"$SRC_DIR/" "$src/"

# kbuild_clean LOG BAD_REGEX WHAT MAKE_ARGS...: build prxe.ko against the
# guest kernel's headers; fail if make fails or its output matches
# BAD_REGEX (any warning fails the build).
kbuild_clean() {
	local log=$BUILD_DIR/$1 bad=$2 what=$3
	shift 3
	in_root make -s -C "/usr/src/linux-headers-$kver" M=/build/src "$@" \
		>"$log" 2>&1 || {
		cat "$log" >&2
		die "$what failed"
	}
	if grep -Eq "$bad" "$log"; then
		cat "$log" >&2
		die "$what reports problems in prxe.ko"
	fi
}

# The kernel module with W=1, then sparse on every file (C=2); a test
# build (PRXE_TEST_HOOKS=1): with the fault-injection switches the
# power-cut test needs (test_skip_flush_sync), off unless a test turns
# them on.
kbuild_clean kbuild.log 'warning:' "kernel module build (W=1)" W=1 \
	PRXE_TEST_HOOKS=1
kbuild_clean sparse.log 'warning:|error:' "sparse (C=2)" C=2 \
	PRXE_TEST_HOOKS=1

# Provider and test programs, installed as the guest will have them.
in_root sh -ec '
	cmake -S /build/src -B /build/cmake -DCMAKE_INSTALL_PREFIX=/usr \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRXE_WERROR=ON >/build/cmake.log
	cmake --build /build/cmake -j2 >>/build/cmake.log 2>&1
	rm -rf /build/install
	DESTDIR=/build/install cmake --install /build/cmake >>/build/cmake.log' || {
	cat "$ROOTFS/build/cmake.log" >&2
	die "provider build failed"
}
release_root

rm -rf "$install"
cp -a "$ROOTFS/build/install" "$install"
mkdir -p "$install/usr/lib/modules/$kver/updates"
cp "$src/kernel/prxe.ko" "$install/usr/lib/modules/$kver/updates/"
log "built into $install"
