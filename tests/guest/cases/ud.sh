# SPDX-License-Identifier: GPL-2.0-only
# UD queue pairs and address handles between prxe_a (netns pa) and prxe_b
# (pb): rdma-core's ibv_ud_pingpong with its buffer check, perftest's UD
# send tests.
# timeout: 300

. /opt/prxe/guest/lib/rc.sh
. /opt/prxe/guest/lib/apps.sh

# ud_pingpong SIZE ITERS [ARGS...]: ibv_ud_pingpong (which takes no MTU
# option) with its buffer check.
ud_pingpong() {
	pingpong ibv_ud_pingpong "$@"
}

# Up to the port's MTU (1024 on the 1500-byte veth), polling and events.
t_ud_pingpong() {
	apps_pair_up
	ud_pingpong 1 200
	ud_pingpong 1024 200
	ud_pingpong 512 200 -e
}

t_perftest_ud() {
	apps_pair_up
	perftest ib_send_bw 1024 500 -c UD
	perftest ib_send_lat 64 500 -c UD
	perftest ib_send_bw 1024 500 -c UD --use-srq
}

# Every byte and completion verified (prxe_rc_test --ud): sizes up to the
# MTU, several SGEs, inline, immediate data, the ibv_wr_* API, events;
# each datagram's GRH checked (IPv4 header, then over IPv6).
t_verified() {
	local args
	prxe_pair_up
	for args in "" "-o send_imm" "-S 3 -s 0,1,97,1024" "-I -s 1,64,200" \
		    "--ex -o send_imm" "--events" "-n 50 -q 16"; do
		# shellcheck disable=SC2086
		rc_test_pair prxe_a prxe_b --ud $args
		rc_pass "UD $args"
	done
	rc_loopback prxe_a --ud -o send_imm
	rc_pass "UD loopback"

	# The tester sees damage in the data and in the GRH.
	rc_loopback prxe_a --ud -s 1000 -n 1 --inject corrupt
	expect_eq "exit status with a corrupted byte" 1 "$RC_STATUS"
	expect_match "corrupted byte reported" "data, byte 500 of the message" "$RC_OUT"
	rc_loopback prxe_a --ud -s 1000 -n 1 --inject grh
	expect_eq "exit status with a damaged GRH" 1 "$RC_STATUS"
	expect_match "damaged GRH reported" "GRH of the datagram in slot 0: IPv4 source" "$RC_OUT"
}

# Datagrams a UD QP must not take are dropped and counted: a wrong Q_Key
# to the GSI QP (QP 1).  One with the right Q_Key but no MAD in it goes to
# ib_core's MAD layer, which drops it.  Neither disturbs rdma_cm after.
bad_qkey_is() {
	[ "$(rc_stat prxe_b rcvd_bad_qkey)" = "$1" ]
}

t_qkey_and_garbage() {
	prxe_pair_up
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	run "UD packet with a wrong Q_Key to QP 1" \
		sh -c "echo 'prxe_a $IP_A $IP_B 1 0x11' >/sys/kernel/debug/prxe/xmit_ud"
	wait_for 5 "prxe_b counts the drop (rcvd_bad_qkey 1)" bad_qkey_is 1
	run "UD packet with the GSI Q_Key to QP 1" \
		sh -c "echo 'prxe_a $IP_A $IP_B 1 0x80010000' >/sys/kernel/debug/prxe/xmit_ud"
	rc_test_pair prxe_a prxe_b --ud -n 2
	rc_pass "UD after the bad datagrams"
}

# gid6_index DEV GID: the index of DEV's RoCEv2 GID, written in full.
gid6_index() {
	local i
	for i in /sys/class/infiniband/"$1"/ports/1/gids/*; do
		[ "$(cat "$i" 2>/dev/null)" = "$2" ] || continue
		[ "$(cat "/sys/class/infiniband/$1/ports/1/gid_attrs/types/${i##*/}" 2>/dev/null)" = "RoCE v2" ] ||
			continue
		echo "${i##*/}"
		return 0
	done
	return 1
}

t_verified_ipv6() {
	local ga=fd77:0000:0000:0000:0000:0000:0000:0001
	local gb=fd77:0000:0000:0000:0000:0000:0000:0002
	prxe_pair_up
	run "IPv6 on $NETDEV_A" in_a ip -6 addr replace fd77::1/64 dev "$NETDEV_A" nodad
	run "IPv6 on $NETDEV_B" in_b ip -6 addr replace fd77::2/64 dev "$NETDEV_B" nodad
	trap 'in_a ip -6 addr del fd77::1/64 dev "$NETDEV_A"; in_b ip -6 addr del fd77::2/64 dev "$NETDEV_B"' EXIT
	wait_for 10 "prxe_a has its IPv6 GID" gid6_index prxe_a "$ga"
	wait_for 10 "prxe_b has its IPv6 GID" gid6_index prxe_b "$gb"
	RC_SERVER_ARGS=(-g "$(gid6_index prxe_a "$ga")")
	rc_pair "$NS_A" prxe_a "$NS_B" prxe_b fd77::1 --ud -o send_imm \
		-g "$(gid6_index prxe_b "$gb")"
	RC_SERVER_ARGS=()
	rc_pass "UD over IPv6"
}

# ODP buffers on both ends, on an fsdax file, with the page table entries
# dropped under traffic (--storm).
t_odp() {
	prxe_pair_up
	rc_test_pair prxe_a prxe_b --ud --odp -o send_imm -n 50
	rc_pass "UD, ODP anonymous memory"
	RC_SERVER_ARGS=(--mmap "$PMEM_MNT/ud-server")
	rc_test_pair prxe_a prxe_b --ud --odp --mmap "$PMEM_MNT/ud-client" \
		--storm -n 100
	RC_SERVER_ARGS=()
	rc_pass "UD, ODP fsdax files under an invalidation storm"
}
