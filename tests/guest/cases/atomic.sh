# SPDX-License-Identifier: GPL-2.0-only
# RC atomics (CMP_SWAP, FETCH_ADD) between prxe devices: the original
# values returned and the memory left behind checked by
# tests/progs/prxe_rc_test, on pinned and on ODP memory; a misaligned
# target is a clean error; duplicates (lost ATOMIC ACKNOWLEDGEs) are
# answered from the responder's replay memory, not done twice; perftest's
# ib_atomic_bw / ib_atomic_lat run.
# timeout: 300

. /opt/prxe/guest/lib/rc.sh
. /opt/prxe/guest/lib/apps.sh

t_cmp_swp_fetch_add() {
	local op
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
	expect_match "atomic_cap" "ATOMIC_HCA" "$(devinfo_field prxe0 atomic_cap)"
	for op in cmp_swp fetch_add; do
		rc_loopback prxe0 -o "$op" -n 16
		rc_pass "$op in loopback"
	done
	run "delete prxe0" rdma link delete prxe0
	prxe_pair_up
	for op in cmp_swp fetch_add; do
		rc_test_pair prxe_a prxe_b -o "$op" -n 64 --offset 24
		rc_pass "$op between two devices"
		rc_test_pair prxe_a prxe_b --ex -o "$op" -n 8 -u 2
		rc_pass "$op through ibv_wr_*, every 2nd signaled"
	done
}

# On demand: the responder's target word and the requester's result buffer
# are ODP, on anonymous memory and on an fsdax file.
t_odp_atomics() {
	local op f=$PMEM_MNT/atomic-odp
	prxe_pair_up
	for op in cmp_swp fetch_add; do
		rc_test_pair prxe_a prxe_b --odp -o "$op" -n 32
		rc_pass "$op on ODP memory"
		rc_test_pair prxe_a prxe_b --odp --invalidate --mmap "$f" \
			-o "$op" -n 8
		rc_pass "$op on an fsdax file, invalidated between batches"
	done
	rm -f "$f"
}

# An atomic on a word that is not 8-byte aligned: the responder answers
# with an invalid-request NAK, the requester's work request completes
# with IBV_WC_REM_INV_REQ_ERR, the next ones are flushed, nothing changed.
t_misaligned() {
	prxe_pair_up
	rc_test_pair prxe_a prxe_b --expect misaligned_atomic
	rc_pass "--expect misaligned_atomic"
	expect_match "a misaligned FETCH_ADD was posted" "not 8-byte aligned" "$RC_OUT"
}

# Loss and reordering (netem both ways): ATOMIC ACKNOWLEDGEs are lost, the
# requester asks again, and the responder must answer from its replay
# memory: a FETCH_ADD done twice would leave a different sum and return
# different originals, which prxe_rc_test checks for every one.
t_replay_under_loss() {
	local netem=(netem loss 10% delay 1ms reorder 75% 50%) before op
	prxe_pair_up
	run "netem on $NETDEV_A" in_a tc qdisc add dev "$NETDEV_A" root "${netem[@]}"
	run "netem on $NETDEV_B" in_b tc qdisc add dev "$NETDEV_B" root "${netem[@]}"
	before=$(rc_stat prxe_a dup_req)
	for op in fetch_add cmp_swp; do
		RC_RUN_TIMEOUT=150 rc_test_pair prxe_a prxe_b -o "$op" -n 400
		rc_pass "$op x 400 under 10% loss"
	done
	rc_dump_counters
	[ "$(rc_stat prxe_a dup_req)" -gt "$before" ] ||
		fail "no duplicate request reached the responder: replay untested"
	echo "ok: the responder saw $(($(rc_stat prxe_a dup_req) - before)) duplicates"
}

# Unmodified applications: perftest's atomic tests, both operations.
t_perftest_atomic() {
	apps_pair_up
	perftest ib_atomic_bw 8 500
	perftest ib_atomic_bw 8 500 -A CMP_AND_SWAP
	perftest ib_atomic_lat 8 500
	perftest ib_atomic_bw 8 500 --odp
}
