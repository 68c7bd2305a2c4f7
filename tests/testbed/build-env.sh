#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Create (or reuse) the cached Debian 13 tree: build chroot and guest root.
# The tree is rebuilt when packages.txt or this script changes.
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot)"

want=$(cat "$TESTBED_DIR/packages.txt" "$0" | sha256sum | cut -c1-16)
stamp=$ROOTFS/.prxe-env-stamp
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	log "build tree $ROOTFS is current ($want)"
	exit 0
fi

log "creating Debian 13 tree in $ROOTFS (package list $want)"
release_root 2>/dev/null || true
rm -rf --one-file-system "$ROOTFS"
mkdir -p "$BUILD_DIR"
pkgs=$(sed -e 's/#.*//' "$TESTBED_DIR/packages.txt" | xargs | tr ' ' ,)
debootstrap --variant=minbase --include="$pkgs" trixie "$ROOTFS" "$MIRROR" \
	>"$BUILD_DIR/debootstrap.log" 2>&1 ||
	die "debootstrap failed, see $BUILD_DIR/debootstrap.log"

# The guest kernel image comes from the same archive, unpacked (not
# installed) next to the tree: image, modules and headers share one version.
kver=$(guest_kver)
[ -n "$kver" ] || die "cannot tell the kernel version of linux-headers-amd64"
rm -rf "$BUILD_DIR/kernel"
mkdir -p "$BUILD_DIR/kernel"
in_root sh -c "cd /tmp && apt-get download -q linux-image-$kver" ||
	die "cannot download linux-image-$kver"
dpkg -x "$ROOTFS"/tmp/linux-image-"$kver"_*.deb "$BUILD_DIR/kernel"
rm -f "$ROOTFS"/tmp/linux-image-*.deb
release_root
echo "$kver" >"$BUILD_DIR/kernel/version"
echo "$want" >"$stamp"
log "build tree ready: kernel $kver"
