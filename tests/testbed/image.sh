#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Make the guest's boot files from the Debian 13 tree:
#   guest-root.ext4  the tree trimmed of build tools, plus the guest kernel's
#                    modules, the build output (install/), tests/guest
#                    and tests/bench (in /opt/prxe)
#   initramfs.gz     busybox and the modules needed to mount that root
set -euo pipefail
. "$(dirname "$0")/common.sh"

kver=$(cat "$BUILD_DIR/kernel/version")
groot=$BUILD_DIR/guest-root
initrd=$BUILD_DIR/initramfs

log "making the guest root"
# Build tools, headers, docs and package caches are not needed to run.
rsync -a --delete \
	--exclude=/build/ --exclude=/usr/src/ --exclude=/usr/include/ \
	--exclude=/usr/lib/gcc/ --exclude=/usr/libexec/gcc/ \
	--exclude=/usr/share/doc/ --exclude=/usr/share/man/ \
	--exclude=/usr/share/info/ --exclude=/usr/share/locale/ \
	--exclude='/usr/share/cmake-*/' --exclude=/usr/lib/x86_64-linux-gnu/perl/ \
	--exclude='/var/cache/apt/*' --exclude='/var/lib/apt/lists/*' \
	--exclude=/.prxe-env-stamp \
	"$ROOTFS/" "$groot/"
rsync -a "$BUILD_DIR/kernel/usr/lib/modules/" "$groot/usr/lib/modules/"
rsync -a "$BUILD_DIR/install/" "$groot/"
mkdir -p "$groot/opt/prxe"
rsync -a --delete "$SRC_DIR/tests/guest/" "$groot/opt/prxe/guest/"
rsync -a --delete "$SRC_DIR/tests/bench/" "$groot/opt/prxe/bench/"
echo prxe-guest >"$groot/etc/hostname"
chroot "$groot" depmod "$kver"

size_mb=$(( $(du -sm "$groot" | cut -f1) * 5 / 4 + 256 ))
rm -f "$BUILD_DIR/guest-root.ext4"
mke2fs -q -t ext4 -L prxe-root -d "$groot" "$BUILD_DIR/guest-root.ext4" \
	"${size_mb}M"

log "making the initramfs"
rm -rf "$initrd"
mkdir -p "$initrd"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$groot/usr/bin/busybox" "$initrd/bin/busybox"
cp "$TESTBED_DIR/initramfs-init" "$initrd/init"
chmod +x "$initrd/init"
# Modules to mount an ext4 root on virtio-blk, in load order, uncompressed
# (busybox insmod does not decompress).
chroot "$groot" modprobe -S "$kver" --show-depends -a virtio_blk ext4 |
	awk '$1 == "insmod" { print $2 }' | while read -r mod; do
		name=$(basename "$mod")
		case "$name" in
		*.xz) xz -dc "$groot$mod" >"$initrd/lib/modules/${name%.xz}" ;;
		*) cp "$groot$mod" "$initrd/lib/modules/$name" ;;
		esac
		echo "${name%.xz}" >>"$initrd/lib/modules/load-order"
	done
(cd "$initrd" && find . | cpio -o -H newc --quiet | gzip -1) \
	>"$BUILD_DIR/initramfs.gz"
log "guest image ready (root ${size_mb} MiB)"
