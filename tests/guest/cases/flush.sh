# SPDX-License-Identifier: GPL-2.0-only
# RDMA FLUSH (opcode 0x1C) and ATOMIC WRITE (0x1D), IBTA 1.5 (issue 11),
# between prxe devices and with rdma_rxe: every byte verified by
# tests/progs/prxe_rc_test (-o flush: WRITE + FLUSH of it; -o
# atomic_write: 8-byte words stored as sent; -o persist: record, FLUSH,
# ATOMIC WRITE of a commit word, FLUSH), every completion's opcode and
# byte_len checked; persistent FLUSHes into device-dax (pinned and ODP)
# and DAX files of ext4 and xfs (ODP, MAP_SHARED, also a sparse file whose
# blocks the device's writes allocate, and MAP_SYNC); the error cases
# with their exact statuses; loss; interoperation with rdma_rxe; the
# counters.
#
# What the tests hold prxe to (besides rdma_rxe's wire behaviour):
#   - a persistent FLUSH into ODP memory that is not pmem completes
#     IBV_WC_REM_OP_ERR; a pinned MR with IBV_ACCESS_FLUSH_PERSISTENT on
#     memory that is not pmem is refused with EOPNOTSUPP;
#   - `rdma statistic` of the responder's device counts `flushes` and
#     `atomic_writes` executed (duplicates answered from memory are not
#     executed again), `flush_wb_bytes` the bytes its persistent FLUSHes
#     wrote back from the CPU cache, `flush_syncs` the file syncs they
#     made (a FLUSH of a file's blocks that the device's own page faults
#     allocated, in a mapping without MAP_SYNC, must sync the file).
# timeout: 600

. /opt/prxe/guest/lib/rc.sh

FLUSH_SIZES=0,1,4095,4096,4097,65536,1m

# flush_counter DEV NAME: the counter's value; fails if DEV has none.
flush_counter() {
	local v
	v=$(rc_stat "$1" "$2")
	[ "$v" != missing ] || fail "$1 has no counter $2 in rdma statistic"
	echo "$v"
}

# The device reports FLUSH_GLOBAL, FLUSH_PERSISTENT and ATOMIC_WRITE in
# ibv_query_device_ex()'s device_cap_flags_ex, and its QPs take both
# operations (prxe_rc_test creates RC QPs asking for them).
t_caps() {
	local out
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
	out=$("$(rc_prog)" -d prxe0 caps 2>&1) ||
		fail "prxe_rc_test caps: $(grep -m 3 FAIL <<<"$out" | tr '\n' ' ')"
	printf '%s\n' "$out"
	expect_match "caps pass" "PASS: FLUSH and ATOMIC WRITE capabilities" "$out"
	rc_loopback prxe0 -o atomic_write -n 4
	rc_pass "ATOMIC WRITE in loopback"
	rc_loopback prxe0 -o flush --flush-type global -s 1,4096 -n 2
	rc_pass "WRITE + FLUSH (global) in loopback"
}

# Pinned DRAM: WRITEs, each followed by a global FLUSH of its range, from
# 0 bytes (a FLUSH of nothing) to 1 MiB, several SGEs, unsignaled WRITEs.
t_write_flush_pinned() {
	prxe_pair_up
	rc_test_pair prxe_a prxe_b -o flush --flush-type global -s "$FLUSH_SIZES" -n 2
	rc_pass "WRITE + FLUSH (global) between two devices"
	rc_test_pair prxe_a prxe_b -o flush --flush-type global -S 3 -u 2 \
		-s 1023,65536 -n 4 --offset 5
	rc_pass "WRITE from 3 SGEs + FLUSH, every 2nd message signaled, odd offset"
}

# Persistent FLUSHes into device-dax: the responder's buffer pinned (pmem
# pages, so FLUSH_PERSISTENT registers), then on demand.
t_persist_devdax() {
	[ -c "$DAX_DEV" ] || fail "$DAX_DEV is not a character device"
	prxe_pair_up
	RC_SERVER_ARGS=(--mmap "$DAX_DEV")
	rc_test_pair prxe_a prxe_b -o persist -s "$FLUSH_SIZES" -n 2
	rc_pass "persist into pinned device-dax"
	rc_test_pair prxe_a prxe_b -o flush --flush-type both -s 4096,1m -n 2
	rc_pass "WRITE + FLUSH (global and persistent) into pinned device-dax"
	rc_test_pair prxe_a prxe_b --odp -o persist -s "$FLUSH_SIZES" -n 2
	rc_pass "persist into device-dax on demand"
	RC_SERVER_ARGS=()
}

# persist_fsdax MOUNT: persist and WRITE + persistent FLUSH between ODP
# regions, the responder's in a DAX file of MOUNT (mapped MAP_SHARED).
persist_fsdax() {
	local f=$1/flush-server
	rm -f "$f"
	prxe_pair_up
	RC_SERVER_ARGS=(--mmap "$f")
	rc_test_pair prxe_a prxe_b --odp -o persist -s "$FLUSH_SIZES" -n 2
	rc_pass "persist into a DAX file on $1"
	rc_test_pair prxe_a prxe_b --odp -o flush -s 4097,1m -n 3 --invalidate
	rc_pass "WRITE + FLUSH (persistent) into a DAX file on $1, invalidated between batches"
	RC_SERVER_ARGS=(--mmap "$f" --file-io)
	rc_test_pair prxe_a prxe_b --odp -o persist -s 1,65536 -n 2
	rc_pass "persist into a DAX file on $1, checked by pread and a second mapping"
	RC_SERVER_ARGS=()
	rm -f "$f"
}

t_persist_fsdax_ext4() {
	persist_fsdax "$PMEM_MNT"
}

t_persist_fsdax_xfs() {
	persist_fsdax "$PMEM_XFS_MNT"
}

# persist_sparse WHAT ARGS...: persist into a fresh sparse file on ext4
# -o dax, punched into a hole again before every batch (--holes): the
# blocks are allocated by the device's own page faults, never by a CPU
# store.  ARGS: the server's further options.  Sets SPARSE_SYNCS to the
# growth of prxe_a's flush_syncs.
persist_sparse() {
	local what=$1 f=$PMEM_MNT/flush-sparse before blocks
	shift
	rm -f "$f"
	prxe_pair_up
	before=$(flush_counter prxe_a flush_syncs)
	RC_SERVER_ARGS=(--mmap "$f" --holes "$@")
	rc_test_pair prxe_a prxe_b --odp -o persist -s 1,4097,65536,1m -n 2
	rc_pass "persist into a sparse DAX file ($what)"
	rc_test_pair prxe_a prxe_b --odp -o flush -s 65536,1m -n 2
	rc_pass "WRITE + FLUSH (persistent) into a sparse DAX file ($what)"
	RC_SERVER_ARGS=()
	blocks=$(stat -c %b "$f")
	[ "$blocks" -gt 0 ] || fail "$f has no blocks after the device wrote it"
	echo "ok: $f: $blocks blocks allocated by the device's writes"
	SPARSE_SYNCS=$(($(flush_counter prxe_a flush_syncs) - before))
	echo "prxe_a flush_syncs grew by $SPARSE_SYNCS"
	rm -f "$f"
}

# Plain MAP_SHARED: the blocks' metadata is not durable until the file is
# synced, so the persistent FLUSHes must have synced it.
t_persist_fsdax_sparse() {
	persist_sparse "MAP_SHARED"
	[ "$SPARSE_SYNCS" -gt 0 ] ||
		fail "persistent FLUSHes into blocks the device allocated made no file sync (flush_syncs)"
	echo "ok: the FLUSHes synced the file $SPARSE_SYNCS times"
}

# MAP_SYNC: the page faults make the metadata durable themselves.
t_persist_map_sync() {
	persist_sparse "MAP_SYNC" --map-sync
}

# ATOMIC WRITE on pinned and on ODP memory (anonymous, and a DAX file),
# loopback and between two devices.
t_atomic_write() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
	rc_loopback prxe0 -o atomic_write -n 16
	rc_pass "ATOMIC WRITE in loopback"
	run "delete prxe0" rdma link delete prxe0
	prxe_pair_up
	rc_test_pair prxe_a prxe_b -o atomic_write -n 64 --offset 40
	rc_pass "ATOMIC WRITE between two devices, pinned"
	rc_test_pair prxe_a prxe_b -o atomic_write -n 32 -u 3
	rc_pass "ATOMIC WRITE, every 3rd message signaled"
	rc_test_pair prxe_a prxe_b --odp -o atomic_write -n 32
	rc_pass "ATOMIC WRITE on ODP memory"
	RC_SERVER_ARGS=(--mmap "$PMEM_MNT/flush-aw")
	rc_test_pair prxe_a prxe_b --odp -o atomic_write -n 16 --invalidate
	rc_pass "ATOMIC WRITE into a DAX file on demand, invalidated between batches"
	RC_SERVER_ARGS=()
	rm -f "$PMEM_MNT/flush-aw"
}

# FLUSH of the whole MR (IBV_FLUSH_MR): the range posted is not the
# responder's business; the completion still reports it.
t_whole_mr() {
	prxe_pair_up
	rc_test_pair prxe_a prxe_b -o flush --flush-type global --flush-level mr \
		-s 0,4096,65536 -n 2
	rc_pass "WRITE + FLUSH (global) of the whole MR"
	RC_SERVER_ARGS=(--mmap "$DAX_DEV")
	rc_test_pair prxe_a prxe_b -o persist --flush-level mr -s 1,65536 -n 2
	rc_pass "persist with whole-MR FLUSHes into pinned device-dax"
	RC_SERVER_ARGS=(--mmap "$PMEM_XFS_MNT/flush-mr")
	rc_test_pair prxe_a prxe_b --odp -o persist --flush-level mr -s 1,65536 -n 2
	rc_pass "persist with whole-MR FLUSHes into a DAX file on demand"
	RC_SERVER_ARGS=()
	rm -f "$PMEM_XFS_MNT/flush-mr"
}

# A global FLUSH asks only for visibility: it succeeds on any memory.
t_global_everywhere() {
	prxe_pair_up
	rc_test_pair prxe_a prxe_b --odp -o flush --flush-type global -s 1,65536 -n 2
	rc_pass "global FLUSH into anonymous ODP memory"
	RC_SERVER_ARGS=(--mmap /dev/shm/flush-global)
	rc_test_pair prxe_a prxe_b --odp -o flush --flush-type global -s 1,65536 -n 2
	rc_pass "global FLUSH into /dev/shm ODP memory"
	RC_SERVER_ARGS=()
	rm -f /dev/shm/flush-global
	rc_test_pair prxe_a prxe_b -o persist --flush-type global -s 1,65536 -n 2
	rc_pass "persist pattern with global FLUSHes into pinned DRAM"
}

# Persistence cannot be promised for memory that is not pmem: a pinned
# registration asking for it is refused (EOPNOTSUPP), and a persistent
# FLUSH into such ODP memory (anonymous, /dev/shm) fails
# IBV_WC_REM_OP_ERR, writing nothing.
t_persist_refused() {
	prxe_pair_up
	rc_test_pair prxe_a prxe_b --expect persist_not_pmem
	rc_pass "pinned FLUSH_PERSISTENT registration of DRAM refused"
	expect_match "EOPNOTSUPP on prxe" "refused: Operation not supported" "$RC_OUT"
	rc_test_pair prxe_a prxe_b --odp --expect persist_not_pmem
	rc_pass "persistent FLUSH into anonymous ODP memory: IBV_WC_REM_OP_ERR"
	RC_SERVER_ARGS=(--mmap /dev/shm/flush-refused)
	rc_test_pair prxe_a prxe_b --odp --expect persist_not_pmem
	rc_pass "persistent FLUSH into /dev/shm ODP memory: IBV_WC_REM_OP_ERR"
	RC_SERVER_ARGS=()
	rm -f /dev/shm/flush-refused
}

# Every error scenario, each asserting its exact status, the requests
# behind it flushed and the responder's memory untouched.
t_bad_input() {
	local sc
	prxe_pair_up
	for sc in flush_no_mr_access flush_beyond_mr flush_no_qp_access \
		  atomic_write_misaligned atomic_write_no_access \
		  flush_ud_refused flush_wrap flush_bad_args; do
		rc_test_pair prxe_a prxe_b --expect "$sc"
		rc_pass "--expect $sc"
	done
	rc_test_pair prxe_a prxe_b --flush-type persistent --odp \
		--expect flush_no_mr_access
	rc_pass "--expect flush_no_mr_access, persistent, ODP"
	rc_test_pair prxe_a prxe_b --flush-type both --odp --expect flush_no_qp_access
	rc_pass "--expect flush_no_qp_access, both types, ODP"
	RC_SERVER_ARGS=(--mmap "$DAX_DEV")
	rc_test_pair prxe_a prxe_b --flush-type persistent --expect flush_beyond_mr
	rc_pass "--expect flush_beyond_mr, persistent, pinned device-dax"
	RC_SERVER_ARGS=()
}

# Loss and reordering (netem 10% both ways): lost ACKs make the requester
# send FLUSHes and ATOMIC WRITEs again; the responder answers duplicates
# without doing them twice, and every byte is right.
t_under_loss() {
	local netem=(netem loss 10% delay 1ms reorder 75% 50%) before
	local f=$PMEM_MNT/flush-loss
	prxe_pair_up
	run "netem on $NETDEV_A" in_a tc qdisc add dev "$NETDEV_A" root "${netem[@]}"
	run "netem on $NETDEV_B" in_b tc qdisc add dev "$NETDEV_B" root "${netem[@]}"
	before=$(rc_stat prxe_a dup_req)
	RC_SERVER_ARGS=(--mmap "$f")
	RC_RUN_TIMEOUT=200 rc_test_pair prxe_a prxe_b --odp -o persist \
		-s 1,4097,65536 -n 40 -t 30
	rc_pass "persist x 120 into a DAX file under 10% loss"
	RC_SERVER_ARGS=()
	RC_RUN_TIMEOUT=200 rc_test_pair prxe_a prxe_b -o atomic_write -n 200 -t 30
	rc_pass "ATOMIC WRITE x 800 under 10% loss"
	rc_dump_counters
	rm -f "$f"
	[ "$(rc_stat prxe_a dup_req)" -gt "$before" ] ||
		fail "no duplicate request reached the responder: replay untested"
	echo "ok: the responder saw $(($(rc_stat prxe_a dup_req) - before)) duplicates"
}

# flush_interop_pair DIRECTION WHAT ARGS...: one run, prxe -> rdma_rxe
# (DIRECTION "to_rxe": rxe0 the responder) or rdma_rxe -> prxe.
flush_interop_pair() {
	local dir=$1 what=$2
	shift 2
	if [ "$dir" = to_rxe ]; then
		rc_pair - rxe0 "$NS_C" prxe_c "$RXE_IP" "$@"
		rc_pass "$what, prxe -> rdma_rxe"
	else
		rc_pair "$NS_C" prxe_c - rxe0 "$IP_C" "$@"
		rc_pass "$what, rdma_rxe -> prxe"
	fi
}

# prxe and rdma_rxe on the wire (pinned memory): FLUSH of both types and
# levels, ATOMIC WRITE, the persist pattern (persistent into device-dax
# where the responder can register it so, else global), and the error
# scenarios rdma_rxe answers alike, prxe requesting.
# Seen with rdma_rxe 6.12 (Debian 6.12.117): its RC_FLUSH opcode entry has
# no RXE_PAYLOAD offset, so payload_addr() is the BTH and its ICRC of a
# FLUSH covers the 32 header bytes a second time, unmasked, as payload:
# each side drops the other's FLUSHes as ICRC errors (prxe's
# rcvd_icrc_err; rdma_rxe counts nothing) and the requester ends in
# IBV_WC_RETRY_EXC_ERR.  Interoperating takes prxe computing (or at least
# accepting) that ICRC for FLUSH.
t_interop_rxe() {
	local dir type sc
	interop_up
	for dir in to_rxe to_prxe; do
		flush_interop_pair "$dir" "WRITE + FLUSH (global)" \
			-o flush --flush-type global -s 0,1,4096,65536 -n 2
		flush_interop_pair "$dir" "WRITE + FLUSH (global) of the whole MR" \
			-o flush --flush-type global --flush-level mr -s 1,4096 -n 2
		flush_interop_pair "$dir" "ATOMIC WRITE" -o atomic_write -n 16
		# Persistent needs the responder's memory to be pmem: device-dax.
		type=persistent
		RC_SERVER_ARGS=(--mmap "$DAX_DEV")
		if [ "$dir" = to_rxe ]; then
			rc_pair - rxe0 "$NS_C" prxe_c "$RXE_IP" -o persist -s 1,4096,65536 -n 2
		else
			rc_pair "$NS_C" prxe_c - rxe0 "$IP_C" -o persist -s 1,4096,65536 -n 2
		fi
		if [ "$RC_SERVER_STATUS" != 0 ] &&
		   grep -q 'server|.*ibv_reg_mr.*access 0x[0-9a-f]*: ' <<<"$RC_OUT"; then
			echo "note: the responder cannot register device-dax for persistent FLUSH: global instead"
			type=global
			RC_SERVER_ARGS=()
			flush_interop_pair "$dir" "persist (global)" -o persist \
				--flush-type global -s 1,4096,65536 -n 2
		else
			rc_pass "persist (persistent, device-dax), $dir"
			flush_interop_pair "$dir" "WRITE + FLUSH (persistent) of the whole MR" \
				-o flush --flush-level mr -s 1,65536 -n 2
		fi
		RC_SERVER_ARGS=()
		echo "ok: $dir: persistent FLUSH tested as $type"
	done
	for sc in flush_no_mr_access flush_beyond_mr flush_no_qp_access \
		  atomic_write_misaligned atomic_write_no_access; do
		flush_interop_pair to_rxe "--expect $sc" --expect "$sc"
	done
	# rdma_rxe refuses the pinned persistent registration with EINVAL.
	flush_interop_pair to_rxe "--expect persist_not_pmem" --expect persist_not_pmem
}

# The counters of the responder's device: flushes and atomic_writes grow
# by exactly the operations done, flush_wb_bytes by at least the bytes
# flushed persistently into pmem, and not at all for global FLUSHes.
t_counters() {
	local f0 a0 w0 f1 a1 w1 bytes
	prxe_pair_up
	f0=$(flush_counter prxe_a flushes)
	a0=$(flush_counter prxe_a atomic_writes)
	w0=$(flush_counter prxe_a flush_wb_bytes)
	flush_counter prxe_a flush_syncs >/dev/null
	# 4 records: 8 FLUSHes (4 of them of the 8-byte commit word), 4
	# ATOMIC WRITEs; 2 x 4096 + 2 x 65536 + 4 x 8 bytes persistently.
	RC_SERVER_ARGS=(--mmap "$DAX_DEV")
	rc_test_pair prxe_a prxe_b -o persist -s 4096,65536 -n 2
	rc_pass "persist x 4 into pinned device-dax"
	RC_SERVER_ARGS=()
	bytes=$((2 * 4096 + 2 * 65536 + 4 * 8))
	f1=$(flush_counter prxe_a flushes)
	a1=$(flush_counter prxe_a atomic_writes)
	w1=$(flush_counter prxe_a flush_wb_bytes)
	expect_eq "flushes after 8 FLUSHes" $((f0 + 8)) "$f1"
	expect_eq "atomic_writes after 4 ATOMIC WRITEs" $((a0 + 4)) "$a1"
	[ $((w1 - w0)) -ge "$bytes" ] ||
		fail "flush_wb_bytes grew by $((w1 - w0)), less than the $bytes bytes flushed persistently"
	echo "ok: flush_wb_bytes grew by $((w1 - w0)) >= $bytes"
	# 8 messages of 4 ATOMIC WRITEs; 3 global FLUSHes (and 3 WRITEs).
	rc_test_pair prxe_a prxe_b -o atomic_write -n 8
	rc_pass "ATOMIC WRITE x 32"
	rc_test_pair prxe_a prxe_b -o flush --flush-type global -s 4096 -n 3
	rc_pass "WRITE + FLUSH (global) x 3"
	expect_eq "atomic_writes after 32 more" $((a1 + 32)) \
		"$(flush_counter prxe_a atomic_writes)"
	expect_eq "flushes after 3 more" $((f1 + 3)) "$(flush_counter prxe_a flushes)"
	expect_eq "flush_wb_bytes after global FLUSHes only" "$w1" \
		"$(flush_counter prxe_a flush_wb_bytes)"
	rc_dump_counters
}
