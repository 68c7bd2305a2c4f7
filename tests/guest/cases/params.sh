# SPDX-License-Identifier: GPL-2.0-only
# Bad parameters from an application get a clean errno, and hostile send
# ring contents an error completion, never an oops: tests/progs/
# prxe_bad_params (see its top comment for the checks).

. /opt/prxe/guest/lib/rc.sh

t_bad_params_clean_errors() {
	local out rc=0 gid
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
	gid=$(rc_gid_index prxe0 "$IP_A")
	echo "+ prxe_bad_params prxe0 $gid $PMEM_MNT"
	out=$(timeout -k 5 100 ip netns exec "$NS_A" \
		"$PRXE_TESTS/prxe_bad_params" prxe0 "$gid" "$PMEM_MNT" 2>&1) || rc=$?
	printf '%s\n' "$out"
	echo "+ exit $rc"
	[ "$rc" = 0 ] && grep -q '^prxe_bad_params: PASS$' <<<"$out" && return 0
	fail "prxe_bad_params (exit $rc): $(grep -m 1 'FAIL:' <<<"$out" ||
		tail -n 1 <<<"$out")"
}
