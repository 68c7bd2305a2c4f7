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
rsync -a --delete --exclude=/build/ --exclude=/.git/ "$SRC_DIR/" "$src/"

# The kernel module, warning-free with W=1 (a warning fails the build).
in_root make -s -C "/usr/src/linux-headers-$kver" M=/build/src W=1 \
	>"$BUILD_DIR/kbuild.log" 2>&1 || {
	cat "$BUILD_DIR/kbuild.log" >&2
	die "kernel module build failed"
}
if grep -q 'warning:' "$BUILD_DIR/kbuild.log"; then
	cat "$BUILD_DIR/kbuild.log" >&2
	die "kernel module build has warnings"
fi
# sparse on every file (C=2), also warning-free.
in_root make -s -C "/usr/src/linux-headers-$kver" M=/build/src C=2 \
	>"$BUILD_DIR/sparse.log" 2>&1 || {
	cat "$BUILD_DIR/sparse.log" >&2
	die "sparse run failed"
}
if grep -Eq 'warning:|error:' "$BUILD_DIR/sparse.log"; then
	cat "$BUILD_DIR/sparse.log" >&2
	die "sparse reports problems in prxe.ko"
fi

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
