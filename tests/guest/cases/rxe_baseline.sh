# SPDX-License-Identifier: GPL-2.0-only
# Baseline of the RC tester (tests/progs/prxe_rc_test) on the kernel's own
# rdma_rxe: it proves the tester before it judges prxe.  Stock rdma_rxe
# only works with its device in the initial network namespace (its UDP
# socket lives there), so every run here is on one rxe device, rxe0 on veth
# rxa: loopback (both QPs in one process) or client and server both on rxe0
# talking to its own address.
#
# Where rdma_rxe itself deviates from the verbs semantics the tester
# asserts, the test is a SKIP naming the deviation; the assertion stays.

RXE=rxe0

rxe_up() {
	trap rxe_initial_cleanup EXIT
	rxe_initial_setup
}

# rxe_loop WHAT ARGS...: a loopback run on rxe0 that must pass.
rxe_loop() {
	local what=$1
	shift
	rc_loopback "$RXE" "$@"
	rc_pass "$what"
}

# rxe_loop_deviant WHAT [REGEX REASON]... -- ARGS...: a loopback run that
# must pass, unless it fails exactly the way rdma_rxe (or rdma-core's rxe
# provider) is known to deviate, which a REGEX matches in the tester's
# first FAIL line: then its REASON is noted and the test goes on;
# rxe_deviations ends it as a SKIP.  Pairs with an empty REGEX are ignored.
RXE_DEVIATIONS=
rxe_loop_deviant() {
	local what=$1 args=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args+=("$1" "$2")
		shift 2
	done
	shift
	rc_loopback "$RXE" "$@"
	rxe_pass_or_deviant "$what" "${args[@]}"
}

# rxe_pass_or_deviant WHAT [REGEX REASON]...: judge the last run (loopback
# or pair) as rxe_loop_deviant does.
rxe_pass_or_deviant() {
	local what=$1 re=() why=() line i
	shift
	while [ $# -gt 0 ]; do
		re+=("$1")
		why+=("$2")
		shift 2
	done
	line=$(grep -m 1 'FAIL:' <<<"$RC_OUT")
	for i in "${!re[@]}"; do
		[ "$RC_STATUS" = 1 ] && [ -n "${re[i]}" ] || continue
		grep -Eq -- "${re[i]}" <<<"$line" || continue
		echo "known rdma_rxe deviation: $what: ${why[i]}"
		grep -q -F -- "${why[i]}" <<<"$RXE_DEVIATIONS" ||
			RXE_DEVIATIONS="${RXE_DEVIATIONS:+$RXE_DEVIATIONS; }${why[i]}"
		return 0
	done
	rc_pass "$what"
}

# rxe_deviations: SKIP if a run deviated the known way, else pass.
rxe_deviations() {
	[ -z "$RXE_DEVIATIONS" ] || skip "$RXE_DEVIATIONS"
}

# The major version of the installed rdma-core (libibverbs1 56.1-1: 56).
rdma_core_major() {
	dpkg-query -W -f='${Version}' libibverbs1 | cut -d. -f1
}

# rdma-core < 64: the rxe provider's ibv_wr_set_sge_list() and
# ibv_wr_set_inline_data_list() set a wrong message length (fixed in v64.0
# by 406cd2ad0 "rxe: Fix dma.length computation in wr_set_sge_list" and
# 1e8ed0aff "providers/rxe: Fix missing length accumulation in
# wr_set_inline_data_list").  The receiver then sees the wrong byte_len.
rxe_wr_list_bug() {
	[ "$(rdma_core_major)" -lt 64 ] &&
		echo '(requester|responder) completions: completion [0-9]+ of [0-9]+: byte_len: expected [0-9]+, seen [0-9]+'
}
rxe_wr_list_why() {
	echo "rdma-core $(rdma_core_major)'s rxe provider sets dma.length wrongly in ibv_wr_set_sge_list (num_sge x the first length) and ibv_wr_set_inline_data_list (0); fixed in rdma-core v64.0"
}

# The rxe provider's ibv_wr_set_inline_data*() copy the data but leave the
# work request's IBV_SEND_INLINE unset (ibv_wr_post(3) lists no such
# wr_flags bit: the setters are the API), so rdma_rxe gathers from the
# empty SGE list and fails the request, which it then reports flushed.
RXE_WR_INLINE_BUG='requester completions: completion 1 of [0-9]+: status: expected success, seen Work Request Flushed Error'
RXE_WR_INLINE_WHY="rdma-core's rxe provider does not mark a work request inline in ibv_wr_set_inline_data[_list] (only IBV_SEND_INLINE in wr_flags does, which ibv_wr_post(3) does not ask for): rdma_rxe then reads the empty SGE list and the request completes IBV_WC_WR_FLUSH_ERR"

# rdma-core's rxe provider posts receives into the shared queue without a
# system call, and rdma_rxe flushes a QP's receive queue when the QP
# enters the error state, not later: a receive posted to a QP that
# rdma_rxe itself put in error (here: after a bad rkey) never completes.
RXE_LATE_RECV_BUG="a receive posted after the device's error: 0 of 1 completions"
RXE_LATE_RECV_WHY="a receive posted to a QP rdma_rxe put in the error state is never flushed (rdma-core's rxe provider posts it without telling the kernel, which flushed the receive queue only on entering the state)"

# The tester catches what it is there to catch: damage to one received
# message makes the run fail, saying where and what it saw.
t_tester_detects_damage() {
	rxe_up
	rc_loopback "$RXE" -o write -s 4096 -n 2 --inject corrupt
	expect_eq "exit status with a corrupted byte" 1 "$RC_STATUS"
	expect_match "corrupted byte reported" \
		"FAIL: message 1 \(size 4096, slot 0\): data, byte 2048 of the message: .*expected .*seen .*\(unrecognised: corrupt\)" "$RC_OUT"
	rc_loopback "$RXE" -o send -S 3 -s 1000 -n 1 --inject stale
	expect_eq "exit status with data never written" 1 "$RC_STATUS"
	expect_match "stale data reported" "data, byte 0 of the message: .*\(poison: never written\)" "$RC_OUT"
	rc_loopback "$RXE" -o read -s 1000 -n 1 --inject shift
	expect_eq "exit status with misplaced data" 1 "$RC_STATUS"
	expect_match "misplaced data reported" \
		"data, byte 8 of the message: .*\(this message's bytes from its offset 0 \(misplaced\)\)" "$RC_OUT"
	rc_loopback "$RXE" -o write_imm -s 1000 -n 1 --inject overrun
	expect_eq "exit status with an overrun" 1 "$RC_STATUS"
	expect_match "overrun reported" "guard after the message, byte 0: " "$RC_OUT"
}

t_send() {
	rxe_up
	rxe_loop "send, sizes 0..1 MiB" -o send -s 0,1,63,1023,1024,1025,4096,65536,1m -n 3
}

t_send_imm() {
	rxe_up
	rxe_loop "send_imm" -o send_imm -s 0,1,1023,1024,1025,65536 -n 3
}

t_write() {
	rxe_up
	rxe_loop "write, sizes 0..1 MiB" -o write -s 0,1,63,1023,1024,1025,4096,65536,1m -n 3
}

t_write_imm() {
	rxe_up
	rxe_loop "write_imm" -o write_imm -s 0,1,1023,1024,1025,65536,1m -n 3
}

t_read() {
	rxe_up
	rxe_loop "read, sizes 0..1 MiB" -o read -s 0,1,63,1023,1024,1025,4096,65536,1m -n 3
}

t_atomics() {
	rxe_up
	rxe_loop "cmp_swp" -o cmp_swp -n 16
	rxe_loop "fetch_add" -o fetch_add -n 16 --offset 24
}

# Uneven scatter/gather pieces with gaps, split differently at each end.
t_sges() {
	local op
	rxe_up
	for op in send write_imm read; do
		rxe_loop "$op with 3 SGEs" -o "$op" -S 3 -s 3,1000,4097,65536 -n 2
	done
	rxe_loop "send with 16 SGEs" -o send -S 16 -s 16,5000,65536 -n 2
	rxe_loop "write with 7 SGEs, unaligned" -o write -S 7 -s 7,9999 -n 2 --offset 5
}

# Inline: data must be taken at post time (the tester spoils the source
# right after posting); sizes around the QP's inline limit.
t_inline() {
	local op
	rxe_up
	for op in send send_imm write write_imm; do
		rxe_loop "$op inline" -o "$op" -I --max-inline 128 -s 0,1,64,127,128,129,1000 -n 2
	done
	rxe_loop "send inline with 4 SGEs" -o send -I --max-inline 128 -S 4 -s 4,100,128 -n 2
}

# Only every 4th work request signaled, 16 in flight.
t_unsignaled() {
	local op
	rxe_up
	for op in send write read; do
		rxe_loop "$op, 1 in 4 signaled" -o "$op" -u 4 -q 16 -s 1,1500 -n 16
	done
}

# The extended QP API (ibv_wr_*) for every opcode, one SGE (ibv_wr_set_sge,
# ibv_wr_set_inline_data).
t_ex_api() {
	local op
	rxe_up
	for op in send send_imm write write_imm read; do
		rxe_loop "$op through ibv_wr_*" --ex -o "$op" -s 0,1,4097,65536 -n 2
	done
	rxe_loop "cmp_swp through ibv_wr_*" --ex -o cmp_swp -n 4
	rxe_loop "fetch_add through ibv_wr_*" --ex -o fetch_add -n 4 -u 2
}

# Several SGEs through ibv_wr_set_sge_list.
t_ex_sge_list() {
	local why
	why=$(rxe_wr_list_why)
	rxe_up
	rxe_loop_deviant "write_imm through ibv_wr_set_sge_list" "$(rxe_wr_list_bug)" \
		"$why" -- --ex -o write_imm -S 2 -s 2,4097 -n 2
	rxe_loop_deviant "send through ibv_wr_set_sge_list" "$(rxe_wr_list_bug)" \
		"$why" -- --ex -o send -S 3 -s 3,4097 -n 2
	rxe_loop_deviant "read into ibv_wr_set_sge_list" "$(rxe_wr_list_bug)" \
		"$why" -- --ex -o read -S 3 -s 3,4097 -n 2
	rxe_deviations
}

# Inline data through ibv_wr_set_inline_data and _list: the source is
# spoiled right after posting, so the data must have been copied.
t_ex_inline() {
	rxe_up
	rxe_loop_deviant "send_imm through ibv_wr_set_inline_data" \
		"$RXE_WR_INLINE_BUG" "$RXE_WR_INLINE_WHY" \
		-- --ex -I -o send_imm -s 1,100 -n 2
	rxe_loop_deviant "write through ibv_wr_set_inline_data" \
		"$RXE_WR_INLINE_BUG" "$RXE_WR_INLINE_WHY" \
		-- --ex -I -o write -s 1,100 -n 2
	rxe_loop_deviant "send through ibv_wr_set_inline_data_list" \
		"$RXE_WR_INLINE_BUG" "$RXE_WR_INLINE_WHY" \
		"$(rxe_wr_list_bug)" "$(rxe_wr_list_why)" \
		-- --ex -I -o send -S 2 -s 2,100 -n 2
	rxe_deviations
}

# Completion channel instead of polling; solicited-only arming must not
# wake the responder for unsolicited completions, and must for the last.
t_events() {
	local op
	rxe_up
	for op in send write_imm read; do
		rxe_loop "$op with completion events" --events -o "$op" -s 1,4097 -n 4
	done
	for op in send send_imm write_imm write; do
		rxe_loop "$op, solicited-only events" --events=solicited -o "$op" -s 1,4097 -n 2 -q 3
	done
}

# Path MTUs from 256 to 4096 (netdev MTU raised for 4096), and a PSN
# starting just before the 24-bit wrap.
t_mtu_and_psn_wrap() {
	local mtu
	rxe_up
	for mtu in 256 512 2048; do
		rxe_loop "write_imm at MTU $mtu" -m "$mtu" -o write_imm -s 1,$((mtu - 1)),$mtu,$((mtu + 1)),20000 -n 2
	done
	run "netdev MTU 9000" ip link set "$RXE_NETDEV" mtu 9000
	wait_for 10 "rxe0 active MTU 4096" sh -c \
		"ibv_devinfo -d $RXE | grep -q 'active_mtu:.*4096'"
	rxe_loop "send at MTU 4096" -m 4096 -o send -s 4095,4096,4097,65536 -n 2
	rxe_loop "read across the PSN wrap" -m 256 --psn 0xfffff0 -o read -s 8192 -n 2
	rxe_loop "write across the PSN wrap" -m 256 --psn 0xfffffe -o write -s 8192 -n 2
}

# 64 MiB in 1 MiB messages (once: the guest moves ~50 MB/s).
t_total_64m() {
	rxe_up
	rxe_loop "64 MiB written and verified" -o write_imm --total 64m -s 1m
}

# Client and server processes, QP information over TCP, both on rxe0.
t_client_server() {
	rxe_up
	rc_pair - "$RXE" - "$RXE" "$RXE_IP" -o write_imm -S 2 -s 0,1,4097,65536 -n 3
	rc_pass "client/server write_imm"
	expect_match "server verified" "server\| .*responder: PASS" "$RC_OUT"
	rc_pair - "$RXE" - "$RXE" "$RXE_IP" -o send --events=solicited -s 1,2000 -n 2 -q 4
	rc_pass "client/server send, solicited events"
	rc_pair - "$RXE" - "$RXE" "$RXE_IP" -o read --ex -s 100,65536 -n 2
	rc_pass "client/server read through ibv_wr_*"
	# Error scenarios: each end asserts its part; two QP pairs in turn
	# for the last two.
	rc_pair - "$RXE" - "$RXE" "$RXE_IP" --expect bad_rkey
	rxe_pass_or_deviant "client/server bad_rkey" "$RXE_LATE_RECV_BUG" \
		"$RXE_LATE_RECV_WHY"
	rc_pair - "$RXE" - "$RXE" "$RXE_IP" --expect rnr
	rc_pass "client/server rnr"
	rc_pair - "$RXE" - "$RXE" "$RXE_IP" --expect write_too_long
	rc_pass "client/server write_too_long"
	rc_pair - "$RXE" - "$RXE" "$RXE_IP" --destroy-inflight -o write_imm -s 65536 -q 16
	rc_pass "client/server destroy-inflight"
	rxe_deviations
}

# Buffers in a shared file mapping: on tmpfs; on the fsdax pmem mount.
t_mmap() {
	rxe_up
	rxe_loop "write into a tmpfs file mapping" --mmap /tmp/rc-buf -o write -s 1,65536 -n 2
	rxe_loop "send from a tmpfs file mapping" --mmap /tmp/rc-buf -o send -S 3 -s 1,65536 -n 2
	rm -f /tmp/rc-buf
}

t_mmap_pmem() {
	rxe_up
	rc_loopback "$RXE" --mmap "$PMEM_MNT/rc-buf" -o write -s 1,65536 -n 2
	rm -f "$PMEM_MNT/rc-buf"
	rc_unsupported_or_pass "write into an fsdax (pmem) file mapping"
}

t_odp() {
	rxe_up
	rc_loopback "$RXE" --odp -o write -s 1,65536 -n 2
	rc_unsupported_or_pass "write with ODP memory regions"
}

t_expect_bad_rkey() {
	rxe_up
	rxe_loop_deviant "bad rkey" "$RXE_LATE_RECV_BUG" "$RXE_LATE_RECV_WHY" \
		-- --expect bad_rkey
	rxe_deviations
}

t_expect_rnr() {
	rxe_up
	rxe_loop "RNR with rnr_retry 0" --expect rnr
}

t_expect_write_too_long() {
	rxe_up
	rxe_loop "WRITE beyond the remote MR" --expect write_too_long
	rxe_loop "the same, single packet" --expect write_too_long -s 200
}

# rdma_rxe 6.12: copy_data() fails a receive too small with -EINVAL, not
# -ENOSPC, so send_data_in() takes RESPST_ERR_MALFORMED_WQE instead of
# RESPST_ERR_LENGTH.
t_expect_send_too_long() {
	local size re why
	re="status: expected remote invalid request error, seen remote operation error"
	why="rdma_rxe $(uname -r | cut -d- -f1) answers a SEND longer than the receive with IBV_WC_REM_OP_ERR (responder IBV_WC_LOC_QP_OP_ERR), not IBV_WC_REM_INV_REQ_ERR / IBV_WC_LOC_LEN_ERR: copy_data() returns -EINVAL, not -ENOSPC"
	rxe_up
	for size in 200 2500; do
		rxe_loop_deviant "SEND of $((size + 1)) bytes into $size" "$re" "$why" \
			-- --expect send_too_long -s "$size"
	done
	rxe_deviations
}

# rdma_rxe 6.12: the SGE fails mr_check_range() with -EINVAL, which
# rxe_requester() turns into IB_WC_LOC_QP_OP_ERR (only -EFAULT gives
# LOC_PROT_ERR), and its rxe_qp_error() makes rxe_completer() flush that
# very work request: it completes with IBV_WC_WR_FLUSH_ERR.
t_expect_local_len() {
	local size re why
	re="completion 1 of 2: status: expected local protection error, seen Work Request Flushed Error"
	why="rdma_rxe $(uname -r | cut -d- -f1) completes a send whose SGE goes beyond its MR with IBV_WC_WR_FLUSH_ERR, not IBV_WC_LOC_PROT_ERR: mr_check_range() gives -EINVAL (LOC_QP_OP_ERR) and rxe_qp_error() then flushes the failed WQE"
	rxe_up
	for size in 200 2500; do
		rxe_loop_deviant "SEND with an SGE of $size bytes, half beyond the MR" \
			"$re" "$why" -- --expect local_len -s "$size"
	done
	rxe_deviations
}

t_destroy_inflight() {
	local op
	rxe_up
	for op in send write read; do
		rxe_loop "destroy with $op in flight" --destroy-inflight -o "$op" -s 65536 -q 16
	done
}

# rdma-core's rxe provider (56) checks nothing in ibv_wr_flush() (length,
# wrap, placement type, level: the batch is posted as it is) and posts
# IBV_WR_ATOMIC_WRITE / IBV_WR_FLUSH through ibv_post_send() with
# parameters ibv_send_wr cannot carry (convert_send_wr() has no case for
# them) instead of refusing them.
RXE_WR_FLUSH_ARGS_BUG="ibv_wr_complete\(\) expected EINVAL, returned 0"
RXE_WR_FLUSH_ARGS_WHY="rdma-core's rxe provider does not check ibv_wr_flush()'s arguments (a range wrapping past 2^64, a length over 2^31, placement type and level): ibv_wr_complete() posts them"
RXE_POST_AW_BUG="ibv_post_send\(RDMA_WRITE, IBV_WR_ATOMIC_WRITE\): expected EINVAL, returned 0"
RXE_POST_AW_WHY="rdma-core's rxe provider posts IBV_WR_ATOMIC_WRITE through ibv_post_send(), whose ibv_send_wr has no field for its 8 bytes, rather than refusing it"

# FLUSH and ATOMIC WRITE (rdma_rxe implements both on pinned memory, and
# rdma-core 56's rxe provider ibv_wr_flush / ibv_wr_atomic_write): the
# capabilities, verified transfers of both FLUSH types and levels, the
# persist pattern into device-dax (pmem: rdma_rxe registers it for
# persistence), and the tester catching damage in a FLUSHed range.
t_flush_atomic_write() {
	local out
	rxe_up
	out=$("$(rc_prog)" -d "$RXE" caps 2>&1) ||
		fail "prxe_rc_test caps on $RXE: $(grep -m 3 FAIL <<<"$out" | tr '\n' ' ')"
	printf '%s\n' "$out"
	rxe_loop "write + flush (global)" -o flush --flush-type global \
		-s 0,1,4095,4096,4097,65536,1m -n 2
	rxe_loop "write + flush (global) of the whole MR" -o flush \
		--flush-type global --flush-level mr -s 0,4096,65536 -n 2
	rxe_loop "write + flush (global), every 2nd message signaled" -o flush \
		--flush-type global -u 2 -s 1023,65536 -n 4 --offset 5
	rxe_loop "atomic_write" -o atomic_write -n 16 --offset 40
	rxe_loop "atomic_write, every 3rd message signaled" -o atomic_write -n 16 -u 3
	rxe_loop "persist (global) into DRAM" -o persist --flush-type global \
		-s 0,1,4097,65536 -n 2
	rxe_loop "persist (persistent) into device-dax" --mmap "$DAX_DEV" \
		-o persist -s 0,1,4097,65536,1m -n 2
	rxe_loop "write + flush (both types) of the whole device-dax MR" \
		--mmap "$DAX_DEV" -o flush --flush-type both --flush-level mr \
		-s 1,65536 -n 2
	rc_pair - "$RXE" - "$RXE" "$RXE_IP" -o persist -s 1,65536 -n 2 \
		--flush-type global
	rc_pass "client/server persist (global)"
	rc_loopback "$RXE" -o flush --flush-type global -s 4096 -n 2 --inject corrupt
	expect_eq "exit status with a corrupted byte in a FLUSHed range" 1 "$RC_STATUS"
	expect_match "corrupted byte reported" \
		"FAIL: message 1 \(size 4096, slot 0\): data, byte 2048 of the message: .*\(unrecognised: corrupt\)" "$RC_OUT"
}

# The FLUSH and ATOMIC WRITE error scenarios on rdma_rxe: statuses, the
# requests behind flushed, the responder's memory untouched (rdma_rxe's
# late-receive deviation is the last check of those that have one), the
# pinned persistent registration of DRAM refused (EINVAL on rdma_rxe),
# UD QPs refused; the rxe provider's unchecked arguments noted.
t_expect_flush() {
	local sc
	rxe_up
	for sc in flush_no_mr_access flush_beyond_mr flush_no_qp_access \
		  atomic_write_misaligned atomic_write_no_access; do
		rxe_loop_deviant "--expect $sc" "$RXE_LATE_RECV_BUG" \
			"$RXE_LATE_RECV_WHY" -- --expect "$sc"
	done
	rxe_loop "--expect persist_not_pmem (registration)" --expect persist_not_pmem
	RC_SERVER_ARGS=(--mmap "$DAX_DEV")	# pmem: persistent registers
	rc_pair - "$RXE" - "$RXE" "$RXE_IP" --expect flush_no_qp_access --flush-type both
	RC_SERVER_ARGS=()
	rxe_pass_or_deviant "client/server flush_no_qp_access" "$RXE_LATE_RECV_BUG" \
		"$RXE_LATE_RECV_WHY"
	rxe_loop_deviant "--expect flush_ud_refused" "$RXE_POST_AW_BUG" \
		"$RXE_POST_AW_WHY" -- --expect flush_ud_refused
	expect_match "UD QPs refused FLUSH and ATOMIC WRITE" \
		"UD QP with send_ops_flags IBV_QP_EX_WITH_ATOMIC_WRITE refused" "$RC_OUT"
	for sc in flush_wrap flush_bad_args; do
		rxe_loop_deviant "--expect $sc" "$RXE_WR_FLUSH_ARGS_BUG" \
			"$RXE_WR_FLUSH_ARGS_WHY" -- --expect "$sc"
	done
	rxe_deviations
}
