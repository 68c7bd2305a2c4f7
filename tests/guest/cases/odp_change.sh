# SPDX-License-Identifier: GPL-2.0-only
# ODP invalidation while traffic runs: the mapping under an on-demand-paging
# region changes (munmap, ftruncate, punched hole, mremap, mprotect, fork,
# unlink) while RDMA operations stream into or out of it, between prxe_b
# (requester, netns pb) and prxe_a (responder, netns pa) over the veth.
# tests/progs/prxe_odp_change drives both QPs from one process and checks
# every word: no stale page is read or written, memory that is gone fails
# cleanly (IBV_WC_REM_ACCESS_ERR at the requester; a local protection
# error where the requester's own buffer or a receive buffer is lost), and
# a canary made after the change (it may get the freed pages or blocks)
# never changes.  run-tests fails a test on any kernel WARNING/BUG/oops.
# timeout: 150

. /opt/prxe/guest/lib/rc.sh

CHG_TIMEOUT=${CHG_TIMEOUT:-60}

chg_pair_up() {
	prxe_pair_up
	CHG_GIDS=(-g "$(rc_gid_index prxe_b "$IP_B")"
		  -G "$(rc_gid_index prxe_a "$IP_A")")
}

# chg_prog ARGS...: one run from prxe_b to prxe_a; CHG_STATUS, CHG_OUT.
chg_prog() {
	echo "+ prxe_odp_change -d prxe_b -D prxe_a $*"
	CHG_STATUS=0
	CHG_OUT=$(timeout -k 5 "$CHG_TIMEOUT" "$PRXE_TESTS/prxe_odp_change" \
		-d prxe_b -D prxe_a "${CHG_GIDS[@]}" --dir "$PMEM_MNT" "$@" \
		2>&1) || CHG_STATUS=$?
	printf '%s\n' "$CHG_OUT"
	echo "+ exit $CHG_STATUS"
}

# chg_expect REGEX...: what every round of the next chg_run must say.
CHG_EXPECT=()
chg_expect() {
	CHG_EXPECT=("$@")
}

# chg_run WHAT ARGS...: CHG_ROUNDS runs (the change comes at a random
# moment of the traffic each time); every one must pass (exit 0, the
# "prxe_odp_change: PASS" line) and say what chg_expect asked for.
CHG_ROUNDS=${CHG_ROUNDS:-3}
chg_run() {
	local what=$1 i re
	shift
	for i in $(seq "$CHG_ROUNDS"); do
		chg_prog "$@"
		if [ "$CHG_STATUS" != 0 ]; then
			rc_dump_counters
			fail "$what (round $i): exit $CHG_STATUS: $(grep -E -m 3 'FAIL:|SKIP:|error:' <<<"$CHG_OUT" | tr '\n' ' ')"
		fi
		grep -q '^prxe_odp_change: PASS$' <<<"$CHG_OUT" ||
			fail "$what (round $i): no PASS line"
		for re in "${CHG_EXPECT[@]}"; do
			grep -Eq -- "$re" <<<"$CHG_OUT" ||
				fail "$what (round $i): no /$re/ in the output"
		done
	done
	CHG_EXPECT=()
	echo "ok: $what ($CHG_ROUNDS rounds)"
}

# chg_seen WHAT REGEX: the last run's output says REGEX.
chg_seen() {
	expect_match "$1" "$2" "$CHG_OUT"
}

CHG_REM_ERR="completed with remote access error, the rest flushed"
CHG_LOC_ERR="completed with local (protection|access) error, the rest flushed"
CHG_WENT_ON="traffic went on: [0-9]+ work requests after the [a-z]+, all successful"

# The mirror of the responder did drop pages: at least N invalidations.
chg_invalidated() {
	local n
	n=$(rc_stat "$1" odp_invalidations)
	[ "$n" != missing ] && [ "$n" -ge "$2" ] ||
		fail "$1: odp_invalidations $n, expected at least $2"
	echo "ok: $1 odp_invalidations $n"
}

t_munmap_under_write() {
	chg_pair_up
	chg_expect "$CHG_REM_ERR" "ok: canary mapping .* unchanged"
	chg_run "WRITEs into a region unmapped under them" -c munmap -o write
	chg_invalidated prxe_a 1
}

t_munmap_under_read() {
	chg_pair_up
	chg_expect "$CHG_REM_ERR" "ok: canary mapping .* unchanged"
	chg_run "READs from a region unmapped under them" -c munmap -o read
}

# The receive buffers are the ODP region that goes: the responder's
# receive completes with a local error, the requester hears of it.
t_munmap_under_send_recv_buffers() {
	chg_pair_up
	chg_expect "receive into the lost buffer completed with local (protection|access) error" \
		"completed with remote (operation|access) error, the rest flushed"
	chg_run "SENDs into receive buffers unmapped under them" -c munmap -o send
}

# The requester's own ODP buffer goes: the WRITE or SEND source, the READ
# target; the requester's completion is a local protection error, and the
# work requests before it still complete in order.
chg_local() {
	chg_pair_up
	chg_expect "$CHG_LOC_ERR" "ok: canary mapping .* unchanged"
	CHG_ROUNDS=5 chg_run "$1 with the requester's buffer unmapped under it" \
		-c munmap --local -o "$1"
}

t_munmap_local_write_source() {
	chg_local write
}

t_munmap_local_send_source() {
	chg_local send
}

t_munmap_local_read_target() {
	chg_local read
}

t_truncate_under_write() {
	chg_pair_up
	chg_expect "$CHG_REM_ERR" "before the cut, pread" \
		"ok: canary file .* unchanged"
	chg_run "WRITEs into an fsdax file cut short under them" -c truncate -o write
	chg_expect "$CHG_REM_ERR" "ok: canary file .* unchanged"
	chg_run "READs from an fsdax file cut short under them" -c truncate -o read
}

t_punch_hole_under_write() {
	chg_pair_up
	chg_expect "$CHG_WENT_ON" "or zero in the hole" \
		"ok: canary file .* unchanged"
	chg_run "WRITEs into an fsdax file with a hole punched under them" \
		-c punch -o write
	chg_expect "$CHG_WENT_ON" "ok: canary file .* unchanged"
	chg_run "READs from an fsdax file with a hole punched under them" \
		-c punch -o read
}

t_mremap_under_write() {
	chg_pair_up
	chg_expect "$CHG_REM_ERR" \
		"\\(moved\\) hold the last write completed to them, nothing written after"
	chg_run "WRITEs into a region moved away under them" -c mremap -o write
}

t_mremap_local_write_source() {
	chg_pair_up
	chg_expect "$CHG_LOC_ERR" "nothing written after the change"
	CHG_ROUNDS=5 chg_run "WRITEs from the requester's buffer moved away under them" \
		-c mremap --local -o write
}

t_mprotect_read_only_under_write_and_read() {
	chg_pair_up
	chg_expect "$CHG_REM_ERR" "nothing written after the change"
	chg_run "WRITEs into a region made read-only under them" -c mprotect -o write
	chg_expect "$CHG_WENT_ON"
	chg_run "READs from a region made read-only under them" -c mprotect -o read
}

# MAP_PRIVATE anonymous region, the process forks under WRITEs: the
# parent's copy gets every write (copy-on-write broken by the write
# faults), the child's keeps the contents of the fork.
t_fork_cow_under_write() {
	chg_pair_up
	chg_expect "$CHG_WENT_ON" "the child's copy kept the pre-fork contents" \
		"16 chunks of the responder's buffer hold the last write"
	chg_run "WRITEs into a private region while the process forks" -c fork -o write
	chg_expect "$CHG_WENT_ON" "the child's copy kept the pre-fork contents" \
		"16 chunks of the responder's buffer hold the last write"
	chg_run "SENDs into private receive buffers while the process forks" \
		-c fork -o send
}

t_unlink_under_write() {
	chg_pair_up
	chg_expect "$CHG_WENT_ON" "16 chunks of the responder's buffer hold the last write" \
		"ok: canary file .* unchanged"
	chg_run "WRITEs into an fsdax file deleted under them" -c unlink -o write
}

# The checks can fail: a late write's word in the canary, a word of a work
# request that never reached the chunk in the buffer read at the end.
t_checks_can_fail() {
	chg_pair_up
	chg_prog -c munmap -o write --inject canary
	[ "$CHG_STATUS" = 1 ] || fail "injected canary damage: exit $CHG_STATUS, expected 1"
	chg_seen "canary damage seen" "FAIL: canary (file|mapping) .*seen 1 of"
	chg_prog -c unlink -o write --inject data
	[ "$CHG_STATUS" = 1 ] || fail "injected data damage: exit $CHG_STATUS, expected 1"
	chg_seen "data damage seen" "FAIL: end: chunk 7 word"
}
