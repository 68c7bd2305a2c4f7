#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# prxe test bed: one command from a fresh Debian machine to a qemu guest with
# emulated persistent memory and prxe loaded.
#
#   testbed.sh demo          boot the guest, set everything up, show it
#   testbed.sh shell         the same, then an interactive shell
#   testbed.sh test [RE]     run the guest tests (those matching RE), then
#                            the power-cut test (PRXE_POWERCUT=0: not;
#                            with RE only if RE matches "powercut/");
#                            ends with "N passed, N failed"
#   testbed.sh powercut      the power-cut test alone (tests/testbed/
#                            powercut.sh: PRXE_POWERCUT_CYCLES=50 for a soak)
#   testbed.sh bench [RE]    the benchmark (tests/bench): perftest on prxe
#                            and rdma_rxe in one boot, with ratios, into
#                            build/bench.txt (measurements matching RE)
#
# Everything is built under build/ (PRXE_BUILD_DIR); the Debian 13 tree is
# cached there and remade when its package list changes.
set -euo pipefail
. "$(dirname "$0")/common.sh"

mode=${1:-}
case "$mode" in
test | bench | demo | shell | powercut) ;;
*)
	sed -n '4,17s/^# \{0,1\}//p' "$0" >&2
	exit 2
	;;
esac

[ "$(id -u)" = 0 ] || die "run as root: it installs packages, uses debootstrap and chroot"

host_packages=(qemu-system-x86 debootstrap rsync e2fsprogs cpio gzip xz-utils)
missing=()
for p in "${host_packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing host packages: ${missing[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >/dev/null
fi

"$TESTBED_DIR/build-env.sh"
"$TESTBED_DIR/build.sh"
"$TESTBED_DIR/image.sh"

rc=0
case "$mode" in
test)
	"$TESTBED_DIR/boot.sh" test "${2:-}" || rc=$?
	logs=("$BUILD_DIR/results.log" "$BUILD_DIR/console.log")
	if [ "${PRXE_POWERCUT:-1}" != 0 ] &&
	   grep -Eq -- "${2:-.}" <<<powercut/; then
		"$TESTBED_DIR/powercut.sh" || log "the power-cut test ended early"
		logs+=("$BUILD_DIR/powercut/results.log"
		       "$BUILD_DIR/powercut/console.log")
	fi
	exec "$TESTBED_DIR/report.sh" "$rc" "${logs[@]}"
	;;
powercut)
	"$TESTBED_DIR/powercut.sh" || log "the power-cut test ended early"
	exec "$TESTBED_DIR/report.sh" 0 "$BUILD_DIR/powercut/results.log" \
		"$BUILD_DIR/powercut/console.log"
	;;
bench)
	"$TESTBED_DIR/boot.sh" bench "${2:-}" || rc=$?
	exec "$SRC_DIR/tests/bench/report.sh" "$rc"
	;;
*) exec "$TESTBED_DIR/boot.sh" "$mode" ;;
esac
