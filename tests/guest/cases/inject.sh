# SPDX-License-Identifier: GPL-2.0-only
# Hand-built packets against prxe's live QPs and memory regions
# (tests/progs/inject/prxe_inject): the device on va in netns pa, its RC
# QPs connected to a QP at 10.77.0.2 that no device has, which the program
# plays from netns pb (no device there, so it can listen on 4791).  Each
# test is one of the program's cases: the regression tests of the receive
# path's defects (issue 10), each with nothing written outside the regions.
# timeout: 120

inject_case() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
	prog_run -n "$NS_A" prxe_inject prxe0 "$NS_B" "$IP_B" "$1"
}

# A WRITE whose RETH asks for 2^32 - 4096 bytes (its 32-bit offset would
# wrap after 2^20 packets and write past the region), 2^31 + 1, 2^31.
t_write_wrap() { inject_case write_wrap; }
# READs of 2^32 - 1 and 2^31 + 1 bytes (the PSN count would wrap).
t_read_len() { inject_case read_len; }
# ibv_dereg_mr() while a peer holds a WRITE's FIRST packet: no hang.
t_dereg_mid_write() { inject_case dereg_mid_write; }
# RC packets not from the QP's peer: dropped, counted.
t_wrong_source() { inject_case wrong_source; }
t_pkey() { inject_case pkey; }
# SEND with Invalidate: refused, not taken as a SEND.
t_send_invalidate() { inject_case send_invalidate; }
# A misaligned atomic: refused, nothing changed.
t_atomic_align() { inject_case atomic_align; }
t_basics() { inject_case basics; }
