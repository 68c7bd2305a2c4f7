# SPDX-License-Identifier: GPL-2.0-only
# The ODP mirror's costs (kernel/prxe_odp.c): registration mirrors nothing,
# so it takes the same time at any size; the mirror fills as RDMA touches
# the region, one 8-byte entry for a 2 MiB (PMD) mapping, a 4 KiB leaf of
# 8-byte entries for a block mapped page by page.  With
# tests/progs/prxe_odp_mirror (see its header), every byte checked.
# timeout: 300

. /opt/prxe/guest/lib/rc.sh

MIRROR_SWEEP_SIZE=64m
MIRROR_SWEEP_BLOCKS=32		# 2 MiB blocks in MIRROR_SWEEP_SIZE

mirror_prog() { echo "$PRXE_TESTS/prxe_odp_mirror"; }

mirror_dev_up() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
}

# mirror_sweep TARGET [written]: prxe_odp_mirror sweep over TARGET (a
# file, a dax device, anon or anon4k) on prxe0; its output in SWEEP_OUT,
# and the mirror's state after it in PMD_BLOCKS, PAGE_BLOCKS, MIRROR_BYTES.
mirror_sweep() {
	local rc=0
	echo "+ prxe_odp_mirror sweep prxe0 $1 $MIRROR_SWEEP_SIZE $2"
	SWEEP_OUT=$(timeout -k 5 200 "$(mirror_prog)" sweep prxe0 \
		"$(rc_gid_index prxe0 "$IP_A")" "$1" "$MIRROR_SWEEP_SIZE" $2 2>&1) ||
		rc=$?
	printf '%s\n' "$SWEEP_OUT"
	[ $rc = 0 ] || fail "sweep over $1: exit $rc: $(grep -m 2 FAIL: <<<"$SWEEP_OUT")"
	PMD_BLOCKS=$(mirror_attr odp_pmd_blocks)
	PAGE_BLOCKS=$(mirror_attr odp_page_blocks)
	MIRROR_BYTES=$(mirror_attr odp_mirror_bytes)
	[ -n "$PMD_BLOCKS" ] && [ -n "$PAGE_BLOCKS" ] && [ -n "$MIRROR_BYTES" ] ||
		fail "no odp_* attributes in rdma resource show mr -dd"
	echo "ok: mirror of $1: $PMD_BLOCKS PMD blocks, $PAGE_BLOCKS page" \
		"blocks, $MIRROR_BYTES bytes"
}

# mirror_attr NAME: the value of the driver attribute NAME (drv_NAME) in
# the sweep's `rdma resource` lines.
mirror_attr() {
	tr -s ' ' '\n' <<<"$SWEEP_OUT" |
		awk -v k="drv_$1" 'prev == k { print; exit } { prev = $0 }'
}

# An ODP region as large as the pmem registers as fast as a 4 MiB one, and
# so does a 1 TiB one: nothing is allocated or walked per page up front.
t_registration_time_independent_of_size() {
	local f=$PMEM_MNT/whole-pmem avail out
	avail=$(df -B1 --output=avail "$PMEM_MNT" | tail -n 1)
	# All of the free space, in whole 2 MiB.
	run "fallocate the pmem" fallocate -l \
		$(((avail - (8 << 20)) / (2 << 20) * (2 << 20))) "$f"
	mirror_dev_up
	out=$("$(mirror_prog)" reg prxe0 "$f" 2>&1) ||
		fail "registration: $(grep -m 2 FAIL: <<<"$out")"
	printf '%s\n' "$out"
	expect_match "the whole pmem file registered" "reg $f .* us" "$out"
	expect_match "a 1 TiB region registered" "reg 1 TiB reservation" "$out"
	rm -f "$f"
}

# Anonymous memory mapped page by page (MADV_NOHUGEPAGE): every byte right
# cold and warm, one 4 KiB leaf per 2 MiB block, i.e. 8 bytes of mirror
# per 4 KiB page, plus the block's 8-byte slot.  With transparent huge
# pages (as the guest has them), 8 bytes per 2 MiB huge page.
t_anonymous_sweep_memory() {
	local pages=$((64 << 8))
	mirror_dev_up
	mirror_sweep anon4k
	expect_eq "blocks mirrored page by page" "$MIRROR_SWEEP_BLOCKS" "$PAGE_BLOCKS"
	expect_eq "mirror bytes for $pages pages" \
		$((pages * 8 + MIRROR_SWEEP_BLOCKS * 8)) "$MIRROR_BYTES"
	mirror_sweep anon
	[ "$MIRROR_BYTES" -le $((pages * 8 + MIRROR_SWEEP_BLOCKS * 8)) ] ||
		fail "mirror of $pages pages costs $MIRROR_BYTES bytes"
	[ "$PMD_BLOCKS" = 0 ] ||
		expect_eq "mirror bytes, $PMD_BLOCKS huge pages" \
			$((PMD_BLOCKS * 8 + PAGE_BLOCKS * 4104)) "$MIRROR_BYTES"
}

# A file on the fsdax mount, whose blocks are 2 MiB aligned (testbed.sh
# formats it so): the kernel maps it a PMD at a time, and the mirror takes
# each 2 MiB with one fault and keeps it in one 8-byte entry.  The data
# is checked through pread(), not through the region's mapping.
t_fsdax_pmd_sweep() {
	local f=$PMEM_MNT/odp-sweep before how
	mirror_dev_up
	before=$(rc_stat prxe0 odp_pmd_mappings)
	for how in "" written; do
		mirror_sweep "$f" $how
		rm -f "$f"
		[ "$PMD_BLOCKS" -gt 0 ] ||
			fail "no 2 MiB mapping mirrored as one entry ($PAGE_BLOCKS page blocks)"
		expect_eq "mirror bytes" \
			$((PMD_BLOCKS * 8 + PAGE_BLOCKS * 4104)) "$MIRROR_BYTES"
	done
	[ "$(rc_stat prxe0 odp_pmd_mappings)" -gt "$before" ] ||
		fail "odp_pmd_mappings did not grow"
}

# A device-dax namespace maps 2 MiB at a time, always: every block of the
# region is one PMD entry.
t_devdax_pmd_sweep() {
	[ -c "$DAX_DEV" ] || fail "no device-dax device $DAX_DEV"
	mirror_dev_up
	mirror_sweep "$DAX_DEV"
	expect_eq "blocks mirrored as PMDs" "$MIRROR_SWEEP_BLOCKS" "$PMD_BLOCKS"
	expect_eq "mirror bytes" $((MIRROR_SWEEP_BLOCKS * 8)) "$MIRROR_BYTES"
}
