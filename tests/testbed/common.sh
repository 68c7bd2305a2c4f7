# SPDX-License-Identifier: GPL-2.0-only
# Shared settings and helpers of the host-side test bed scripts (sourced).

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$TESTBED_DIR/../.." && pwd)
BUILD_DIR=${PRXE_BUILD_DIR:-$SRC_DIR/build}
ROOTFS=$BUILD_DIR/trixie-root
MIRROR=${PRXE_DEBIAN_MIRROR:-http://deb.debian.org/debian}

log() { printf '[testbed %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[testbed] error: %s\n' "$*" >&2; exit 1; }

# Run a command inside the build tree.  Only /proc is mounted: debootstrap
# made the device nodes a build needs, and nothing of the host's /dev or /sys
# is ever exposed to (or deletable through) the tree.
in_root() {
	mountpoint -q "$ROOTFS/proc" || mount -t proc proc "$ROOTFS/proc"
	chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 "$@"
}

# Lazily if a process still runs in the tree: nothing is left mounted.
release_root() {
	if mountpoint -q "$ROOTFS/proc"; then
		umount "$ROOTFS/proc" 2>/dev/null || umount -l "$ROOTFS/proc"
	fi
}

# Version of the guest kernel: the one linux-headers-amd64 points at in the tree.
guest_kver() {
	chroot "$ROOTFS" dpkg-query -W -f='${Depends}' linux-headers-amd64 |
		sed -n 's/.*linux-headers-\([^ ,]*\).*/\1/p'
}
