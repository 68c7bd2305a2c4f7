# SPDX-License-Identifier: GPL-2.0-only
# On-demand-paging memory regions (IB_ACCESS_ON_DEMAND, kernel/prxe_odp.c):
# nothing pinned, pages faulted in when an operation first touches them.
# Every byte verified by tests/progs/prxe_rc_test --odp, on anonymous
# memory and on a file of the fsdax (ext4 -o dax) pmem mount, which pinned
# registration cannot use.
# timeout: 300

. /opt/prxe/guest/lib/rc.sh
. /opt/prxe/guest/lib/apps.sh

ODP_SIZES=0,1,4095,4096,4097,1m

odp_pair_up() {
	prxe_add prxe_a "$NS_A" "$NETDEV_A"
	prxe_add prxe_b "$NS_B" "$NETDEV_B"
	wait_for 10 "prxe_a has its RoCEv2 GID" rc_gid_ready prxe_a "$IP_A"
	wait_for 10 "prxe_b has its RoCEv2 GID" rc_gid_ready prxe_b "$IP_B"
}

# The device says what it can do on demand; applications check it.
t_odp_caps() {
	local out
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	out=$(devinfo prxe0)
	expect_match "general ODP caps" "general_odp_caps:" "$out"
	expect_match "ODP supported" "ODP_SUPPORT$" \
		"$(sed -n '/general_odp_caps:/,/rc_odp_caps:/p' <<<"$out")"
	expect_match "RC ODP caps" \
		"SUPPORT_SEND.*SUPPORT_RECV.*SUPPORT_WRITE.*SUPPORT_READ" \
		"$(sed -n '/rc_odp_caps:/,/uc_odp_caps:/p' <<<"$out" | tr '\n' ' ')"
}

t_anonymous_loopback() {
	local op
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
	for op in send send_imm write write_imm read; do
		rc_loopback prxe0 --odp -o "$op" -m 1024 -s "$ODP_SIZES" -n 2
		rc_pass "$op between ODP regions"
	done
}

t_anonymous_pair() {
	local op
	odp_pair_up
	for op in send write read; do
		rc_test_pair prxe_a prxe_b --odp -o "$op" -s "$ODP_SIZES" -n 2
		rc_pass "$op between ODP regions of two devices"
	done
	rc_test_pair prxe_a prxe_b --odp -o write -S 5 -s 65536 -n 4
	rc_pass "write from 5 SGEs"
}

# A file on the fsdax mount: DAX pages, mapped straight from pmem.
t_fsdax_ext4() {
	local op f=$PMEM_MNT/odp-buf
	expect_match "pmem mounted with dax" "dax" \
		"$(awk -v m="$PMEM_MNT" '$2 == m { print $4 }' /proc/mounts)"
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
	for op in send write read; do
		rc_loopback prxe0 --odp --mmap "$f" -o "$op" -s "$ODP_SIZES" -n 2
		rc_pass "$op in an fsdax file mapping"
	done
	run "delete prxe0" rdma link delete prxe0
	odp_pair_up
	rc_test_pair prxe_a prxe_b --odp --mmap "$f" -o write -s 1,65536,1m -n 2
	rc_pass "write from an fsdax file mapping to another device"
	rc_test_pair prxe_a prxe_b --odp --mmap "$f" -o read -s 1,65536,1m -n 2
	rc_pass "read into an fsdax file mapping from another device"
	rm -f "$f"
}

# After every batch both ends have the kernel invalidate their buffers'
# mappings (write-protect and back; a file mapping also loses its page
# table entries): the mirror drops the pages and faults them in again,
# and no byte is read or written through a stale page.
t_invalidate_and_refault() {
	local op d f=$PMEM_MNT/odp-inval
	odp_pair_up
	for op in write read send; do
		rc_test_pair prxe_a prxe_b --odp --invalidate -o "$op" \
			-s 4096,65536,1m -n 3
		rc_pass "$op with invalidations between batches"
	done
	rc_test_pair prxe_a prxe_b --odp --invalidate --mmap "$f" -o write \
		-s 4096,1m -n 3
	rc_pass "write from an fsdax mapping, invalidated between batches"
	rm -f "$f"
	# The mirrors did drop pages and fault them in again: each end's
	# device at least once per batch (3 + 3 + 3 + 2 batches).
	for d in prxe_a prxe_b; do
		[ "$(rc_stat "$d" odp_invalidations)" -ge 11 ] ||
			fail "$d: odp_invalidations $(rc_stat "$d" odp_invalidations)"
		[ "$(rc_stat "$d" odp_page_faults)" -gt 1000 ] ||
			fail "$d: odp_page_faults $(rc_stat "$d" odp_page_faults)"
		echo "ok: $d odp_invalidations $(rc_stat "$d" odp_invalidations)," \
			"odp_page_faults $(rc_stat "$d" odp_page_faults)"
	done
}

# Unmodified applications with ODP: perftest --odp on anonymous memory and
# on files of the fsdax mount (--mmap, one file per end), and
# ibv_rc_pingpong -o (its buffer check on).
t_apps_odp() {
	local prog size
	apps_pair_up
	for prog in ib_write_bw ib_read_bw ib_send_bw; do
		perftest "$prog" 65536 200 --odp
	done
	# perftest maps the file as it is: give it room for its buffers.
	truncate -s 64M "$PMEM_MNT/pt-server" "$PMEM_MNT/pt-client"
	PT_SERVER_ARGS=(--mmap="$PMEM_MNT/pt-server")
	PT_CLIENT_ARGS=(--mmap="$PMEM_MNT/pt-client")
	for prog in ib_write_bw ib_read_bw ib_send_bw; do
		perftest "$prog" 65536 200 --odp
	done
	PT_SERVER_ARGS=() PT_CLIENT_ARGS=()
	rm -f "$PMEM_MNT/pt-server" "$PMEM_MNT/pt-client"
	for size in 1 65536; do
		rc_pingpong "$size" 100 -o
	done
}

# Invalidation under traffic: while the transfers run, both ends' buffers
# (files on the fsdax mount) lose their page table entries every 0.5 ms
# (MADV_DONTNEED; the file keeps the data).  The mirrors drop pages in
# the middle of transfers and fault them in again; every byte must still
# be right.
t_invalidation_storm() {
	local op before
	odp_pair_up
	before=$(rc_stat prxe_b odp_invalidations)
	RC_SERVER_ARGS=(--mmap "$PMEM_MNT/storm-server")
	for op in write read send; do
		rc_test_pair prxe_a prxe_b --odp --storm \
			--mmap "$PMEM_MNT/storm-client" -o "$op" -s 4096,65536,1m \
			--total 16m
		rc_pass "$op of 16 MiB under an invalidation storm"
	done
	RC_SERVER_ARGS=()
	rm -f "$PMEM_MNT"/storm-*
	[ "$(rc_stat prxe_b odp_invalidations)" -gt $((before + 100)) ] ||
		fail "prxe_b: only $(rc_stat prxe_b odp_invalidations) invalidations"
	echo "ok: prxe_b odp_invalidations $(rc_stat prxe_b odp_invalidations)"
}
