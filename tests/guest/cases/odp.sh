# SPDX-License-Identifier: GPL-2.0-only
# On-demand-paging memory regions (IB_ACCESS_ON_DEMAND, kernel/prxe_odp.c):
# nothing pinned, pages faulted in when an operation first touches them.
# Every byte verified by tests/progs/prxe_rc_test --odp, on every kind of
# memory a process maps: anonymous memory, shmem (tmpfs), a page-cache
# file (ext4 on a loop device), files of the fsdax mounts (ext4 and xfs,
# -o dax, which pinned registration cannot use) and device-dax.
# timeout: 300

. /opt/prxe/guest/lib/rc.sh
. /opt/prxe/guest/lib/apps.sh

ODP_SIZES=0,1,4095,4096,4097,1m

# perftest_odp_files DIR: ib_write_bw, ib_read_bw, ib_send_bw --odp with
# each end's buffer in a file of DIR (--mmap).
perftest_odp_files() {
	local prog
	# perftest maps the file as it is: give it room for its buffers.
	truncate -s 64M "$1/pt-server" "$1/pt-client"
	PT_SERVER_ARGS=(--mmap="$1/pt-server")
	PT_CLIENT_ARGS=(--mmap="$1/pt-client")
	for prog in ib_write_bw ib_read_bw ib_send_bw; do
		perftest "$prog" 65536 200 --odp
	done
	PT_SERVER_ARGS=() PT_CLIENT_ARGS=()
	rm -f "$1/pt-server" "$1/pt-client"
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
		"SUPPORT_SEND.*SUPPORT_RECV.*SUPPORT_WRITE.*SUPPORT_READ.*SUPPORT_ATOMIC.*SUPPORT_SRQ" \
		"$(sed -n '/rc_odp_caps:/,/uc_odp_caps:/p' <<<"$out" | tr '\n' ' ')"
	expect_match "UD ODP caps" "SUPPORT_SEND.*SUPPORT_RECV" \
		"$(sed -n '/ud_odp_caps:/,/xrc_odp_caps:/p' <<<"$out" | tr '\n' ' ')"
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
	prxe_pair_up
	for op in send write read; do
		rc_test_pair prxe_a prxe_b --odp -o "$op" -s "$ODP_SIZES" -n 2
		rc_pass "$op between ODP regions of two devices"
	done
	rc_test_pair prxe_a prxe_b --odp -o write -S 5 -s 65536 -n 4
	rc_pass "write from 5 SGEs"
}

# A file on the fsdax ext4 mount: DAX pages, mapped straight from pmem.
t_fsdax_ext4() {
	expect_match "pmem mounted with dax" "dax" \
		"$(awk -v m="$PMEM_MNT" '$2 == m { print $4 }' /proc/mounts)"
	odp_mapping "an fsdax (ext4 -o dax) file mapping" "$PMEM_MNT/odp-buf"
	rm -f "$PMEM_MNT/odp-buf"
}

# After every batch both ends have the kernel invalidate their buffers'
# mappings (write-protect and back; a file mapping also loses its page
# table entries): the mirror drops the pages and faults them in again,
# and no byte is read or written through a stale page.
t_invalidate_and_refault() {
	local op d f=$PMEM_MNT/odp-inval
	prxe_pair_up
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
	perftest_odp_files "$PMEM_MNT"
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
	prxe_pair_up
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

# odp_mapping WHAT FILE: SEND, WRITE and READ between ODP regions in
# shared mappings of FILE (a regular file or a device-dax device): in
# loopback (both buffers in FILE), then between two devices with the
# requester's buffer in FILE, then the responder's (one end at a time: a
# device-dax device has no room for two buffers at the same offset).
# Each device's mirror must have faulted pages in.
odp_mapping() {
	local what=$1 f=$2 op d
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
	for op in send write read; do
		rc_loopback prxe0 --odp --mmap "$f" -o "$op" -s "$ODP_SIZES" -n 2
		rc_pass "$op in $what, loopback"
	done
	[ "$(rc_stat prxe0 odp_page_faults)" -gt 0 ] ||
		fail "prxe0: odp_page_faults $(rc_stat prxe0 odp_page_faults)"
	run "delete prxe0" rdma link delete prxe0
	prxe_pair_up
	for op in send write read; do
		rc_test_pair prxe_a prxe_b --odp --mmap "$f" -o "$op" \
			-s 1,4097,65536,1m -n 2
		rc_pass "$op with the requester's buffer in $what"
	done
	RC_SERVER_ARGS=(--mmap "$f")
	for op in send write read; do
		rc_test_pair prxe_a prxe_b --odp -o "$op" -s 1,4097,65536,1m -n 2
		rc_pass "$op with the responder's buffer in $what"
	done
	rc_test_pair prxe_a prxe_b --odp --invalidate -o write -s 4096,1m -n 3
	rc_pass "write into $what, invalidated between batches"
	RC_SERVER_ARGS=()
	for d in prxe_a prxe_b; do
		[ "$(rc_stat "$d" odp_page_faults)" -gt 0 ] ||
			fail "$d: odp_page_faults $(rc_stat "$d" odp_page_faults)"
	done
}

# shmem: a file on /dev/shm (tmpfs) mapped shared, as POSIX shm memory is.
t_shmem() {
	expect_eq "/dev/shm file system" tmpfs "$(stat -f -c %T /dev/shm)"
	odp_mapping "a shmem (tmpfs) mapping" /dev/shm/odp-buf
	rm -f /dev/shm/odp-buf
}

# shmem as memfd_create(2) gives it, a file of no file system's.
t_memfd() {
	odp_mapping "a memfd mapping" memfd:
}

# A page-cache file: ext4 without DAX on a loop device.  The mapping's
# pages are page-cache pages, written back to the file system.
t_pagecache() {
	expect_no_match "page-cache mount without dax" "dax" \
		"$(awk -v m="$PAGECACHE_MNT" '$2 == m { print $4 }' /proc/mounts)"
	odp_mapping "a page-cache (ext4 on loop) file mapping" \
		"$PAGECACHE_MNT/odp-buf"
	run "sync" sync
	rm -f "$PAGECACHE_MNT/odp-buf"
}

# tracefs, for the fs_dax events.
dax_trace_start() {
	local t=/sys/kernel/tracing
	[ -e "$t/trace" ] || mount -t tracefs tracefs "$t" ||
		fail "cannot mount tracefs"
	echo 0 >"$t/tracing_on"
	: >"$t/trace"
	echo 1 >"$t/events/fs_dax/dax_pmd_fault_done/enable"
	echo 1 >"$t/tracing_on"
}

# dax_pmd_mapped DEV: 2 MiB DAX mappings inserted for a file of block
# device DEV (MAJ:MIN) since dax_trace_start; tracing stops.
dax_pmd_mapped() {
	local t=/sys/kernel/tracing
	echo 0 >"$t/tracing_on"
	echo 0 >"$t/events/fs_dax/dax_pmd_fault_done/enable"
	grep -c "dax_pmd_fault_done: dev $1 .*NOPAGE" "$t/trace"
}

# A file on the fsdax xfs mount (xfs -o dax=always, 2 MiB stripe unit):
# the file's pages are pmem, mapped with 2 MiB entries where aligned.
t_fsdax_xfs() {
	local f=$PMEM_XFS_MNT/odp-buf dev n
	expect_match "xfs mounted with dax" "dax=always" \
		"$(awk -v m="$PMEM_XFS_MNT" '$2 == m && $3 == "xfs" { print $4 }' /proc/mounts)"
	dev=$(mountpoint -d "$PMEM_XFS_MNT")
	dax_trace_start
	odp_mapping "an fsdax (xfs) file mapping" "$f"
	n=$(dax_pmd_mapped "$dev")
	[ "$n" -gt 0 ] || fail "no 2 MiB DAX mapping of a file on $PMEM_XFS_MNT"
	echo "ok: $n 2 MiB DAX mappings of files on $PMEM_XFS_MNT ($dev)"
	rm -f "$f"
}

# Device-dax: the whole namespace as one character device, mapped in
# 2 MiB units; no file system, no page cache, pages of pmem.
t_devdax() {
	[ -c "$DAX_DEV" ] || fail "$DAX_DEV is not a character device"
	expect_eq "$DAX_DEV alignment" "$DAX_ALIGN" \
		"$(cat /sys/bus/dax/devices/"${DAX_DEV#/dev/}"/align)"
	odp_mapping "a device-dax mapping" "$DAX_DEV"
}

# The file, not only the mapping: the bytes a remote WRITE or SEND put
# into a file mapping are read back with pread(2) and through a second
# mapping of the file, and a remote READ fetches contents written with
# pwrite(2) (prxe_rc_test --file-io at both ends, one file each), on both
# fsdax mounts and the page-cache one.
t_file_io() {
	local m f op
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
	for m in "$PMEM_MNT" "$PMEM_XFS_MNT" "$PAGECACHE_MNT"; do
		for op in write read; do
			rc_loopback prxe0 --odp --mmap "$m/odp-fileio" --file-io \
				-o "$op" -s 1,4097,65536 -n 2
			rc_pass "$op in loopback on $m, data by pwrite, checked by pread and a second mapping"
		done
	done
	run "delete prxe0" rdma link delete prxe0
	prxe_pair_up
	for m in "$PMEM_MNT" "$PMEM_XFS_MNT" "$PAGECACHE_MNT"; do
		f=$m/odp-fileio
		RC_SERVER_ARGS=(--mmap "$f.server" --file-io)
		for op in write read send; do
			rc_test_pair prxe_a prxe_b --odp --mmap "$f.client" --file-io \
				-o "$op" -s 1,4097,65536,1m -n 2
			rc_pass "$op between files on $m, data by pwrite, checked by pread and a second mapping"
		done
		RC_SERVER_ARGS=()
		rm -f "$m/odp-fileio" "$f.server" "$f.client"
	done
}

# perftest --odp with its buffers in files on the fsdax xfs mount.
t_apps_odp_xfs() {
	apps_pair_up
	perftest_odp_files "$PMEM_XFS_MNT"
}

# Invalidation under traffic on the other kinds of mapping: while 8 MiB
# move each way, both ends' buffers lose their page table entries every
# 0.5 ms (prxe_rc_test --storm); on the page-cache file system the clean
# page cache is also dropped (sync, drop_caches) over and over, so the
# pages themselves go and come back from the file.
t_storm_mappings() {
	local op what cfile sfile i
	prxe_pair_up
	for what in shmem pagecache xfs devdax; do
		case $what in
		shmem) cfile=/dev/shm/storm-client sfile=/dev/shm/storm-server ;;
		pagecache) cfile=$PAGECACHE_MNT/storm-client
			   sfile=$PAGECACHE_MNT/storm-server ;;
		xfs) cfile=$PMEM_XFS_MNT/storm-client
		     sfile=$PMEM_XFS_MNT/storm-server ;;
		devdax) cfile=/dev/shm/storm-client sfile=$DAX_DEV ;;
		esac
		# The reclaim loop ends by itself (at most ~30 s) if the
		# test does not get to stop it.
		if [ "$what" = pagecache ]; then
			touch /tmp/odp-reclaim
			( for i in $(seq 600); do
				[ -e /tmp/odp-reclaim ] || break
				sync; echo 1 >/proc/sys/vm/drop_caches
				sleep 0.05
			done ) &
		fi
		RC_SERVER_ARGS=(--mmap "$sfile")
		for op in write read; do
			rc_test_pair prxe_a prxe_b --odp --storm --mmap "$cfile" \
				-o "$op" -s 4096,65536,1m --total 8m
			[ "$RC_STATUS$RC_SERVER_STATUS" = 00 ] ||
				rm -f /tmp/odp-reclaim
			rc_pass "$op of 8 MiB under an invalidation storm ($what: $sfile <- $cfile)"
		done
		RC_SERVER_ARGS=()
		rm -f /tmp/odp-reclaim
		wait
		rm -f /dev/shm/storm-* "$PAGECACHE_MNT"/storm-* \
			"$PMEM_XFS_MNT"/storm-*
	done
}

# A page fault that waits for a slow disk: buffers in a file on ext4 over
# dm-delay (every I/O 1 s late), written back and dropped from the page
# cache before each batch (prxe_rc_test --evict), so a page must be read
# from the disk before the device can write it.  Such a
# fault outlasts the requester's local ACK timeout and retries
# (prxe_rc_test: 67 ms, 7 retries).  The responder must not sit in it:
# it hands the fault to a worker and RNR NAKs the request meanwhile
# (odp_fault_rnr_naks), and WRITE and SEND go through, every byte
# verified.  The READ has the requester's buffer there: the requester's
# own slow faults (placing responses) must not use up its retries either.
SLOW_MNT=/mnt/slow
SLOW_DM=prxe-slow

slow_disk_delay() {
	dmsetup suspend "$SLOW_DM" &&
		dmsetup reload "$SLOW_DM" --table "0 $2 delay $1 0 $3" &&
		dmsetup resume "$SLOW_DM"
}

slow_disk_cleanup() {
	dmsetup resume "$SLOW_DM" 2>/dev/null
	umount "$SLOW_MNT" 2>/dev/null
	dmsetup remove "$SLOW_DM" 2>/dev/null
	[ -n "${SLOW_LOOP:-}" ] && losetup -d "$SLOW_LOOP"
	rm -f /tmp/slow.img
}

# slow_disk_make FILE MIB: ext4 on a dm device (a delay target, 0 ms for
# now) over a 64 MiB loop device, mounted on $SLOW_MNT, with FILE there
# holding MIB MiB of data on the disk (a fault must read it: a hole would
# not); SLOW_SECTORS its size.  Cleaned up when the test exits.
slow_disk_make() {
	trap slow_disk_cleanup EXIT
	run "modules for dm-delay" modprobe -a dm-mod dm-delay
	run "disk image" truncate -s 64M /tmp/slow.img
	SLOW_LOOP=$(losetup -f --show /tmp/slow.img) || fail "losetup failed"
	SLOW_SECTORS=$(blockdev --getsz "$SLOW_LOOP")
	run "mkfs" mkfs.ext4 -q -F -b 4096 -E nodiscard "$SLOW_LOOP"
	run "dm-delay device" dmsetup create "$SLOW_DM" \
		--table "0 $SLOW_SECTORS delay $SLOW_LOOP 0 0"
	dmsetup mknodes "$SLOW_DM"
	mkdir -p "$SLOW_MNT"
	run "mount" mount "/dev/mapper/$SLOW_DM" "$SLOW_MNT"
	run "$1" dd if=/dev/urandom of="$SLOW_MNT/$1" bs=1M count="$2" \
		status=none
	sync
}

t_slow_fault() {
	local before op
	slow_disk_make server 16
	run "client file" cp "$SLOW_MNT/server" "$SLOW_MNT/client"
	sync
	run "1 s per I/O" slow_disk_delay "$SLOW_LOOP" "$SLOW_SECTORS" 1000

	prxe_pair_up
	before=$(rc_stat prxe_a odp_fault_rnr_naks)
	RC_SERVER_ARGS=(--mmap "$SLOW_MNT/server")
	for op in write send; do
		rc_test_pair prxe_a prxe_b --odp --evict -o "$op" \
			-s 4096,65536 -n 2
		rc_pass "$op into a file on a disk 1 s slow"
	done
	RC_SERVER_ARGS=()
	[ "$(rc_stat prxe_a odp_fault_rnr_naks)" -gt "$before" ] ||
		fail "prxe_a: odp_fault_rnr_naks did not grow"
	echo "ok: prxe_a odp_fault_rnr_naks $before -> $(rc_stat prxe_a odp_fault_rnr_naks)"
	rc_test_pair prxe_a prxe_b --odp --evict --mmap "$SLOW_MNT/client" \
		-o read -s 4096,65536 -n 2
	rc_pass "read into a file on a disk 1 s slow"
}

# An invalidation storm with no pause between rounds: a fault meets a
# changed range try after try, and must go on trying while that lasts,
# not fail the access (a fixed number of tries turned a long storm into
# a remote access error).  Every byte verified.
t_busy_storm() {
	prxe_pair_up
	RC_SERVER_ARGS=(--mmap /dev/shm/busy-server)
	for op in write read; do
		rc_test_pair prxe_a prxe_b --odp --busy-storm \
			--mmap /dev/shm/busy-client -o "$op" -s 65536,1m --total 4m
		rc_pass "$op of 4 MiB under a storm without pauses"
	done
	RC_SERVER_ARGS=()
	rm -f /dev/shm/busy-*
}

# A page fault that never ends: a file on a disk that stops answering
# (dm suspended with its I/O queued), under ODP regions of one process
# whose pages other QPs READ and FETCH_ADD, and from which it SENDs: 400
# faults that will not end, more than a workqueue has workers.  They must
# hold up nothing else (tests/progs/prxe_stuck_fault): other QPs, pinned
# and ODP, move verified data, rdma_cm (QP 1) and another process's RC
# traffic work, teardown and process exit do not wait, `rdma link delete`
# does not either, rmmod says the module is busy rather than hang, and
# once the disk answers again the faults end and the module goes.
t_stuck_fault() {
	local t0 out rc=0
	slow_disk_make stuck 4
	prxe_pair_up
	cat >/tmp/while-stalled.sh <<'EOS'
for l in /opt/prxe/guest/lib/*.sh; do . "$l"; done
CM_PORT=7471
cm_pair rping -s -a "$IP_A" -p "$CM_PORT" -C 10 -S 1024 -V -- \
	rping -c -a "$IP_A" -p "$CM_PORT" -C 10 -S 1024 -V
rc_test_pair prxe_a prxe_b -o write -s 4096,65536 -n 2
rc_pass "another process's RC traffic on prxe_a"
EOS
	prog_run -n "$NS_A" -t 200 prxe_stuck_fault \
		--stall "dmsetup suspend --noflush --nolockfs $SLOW_DM" \
		--while-stalled "bash /tmp/while-stalled.sh" \
		prxe_a "$SLOW_MNT/stuck"
	expect_match "the disk is still stopped" "State: *SUSPENDED" \
		"$(dmsetup info "$SLOW_DM")"
	echo "+ odp_fault_works $(rc_stat prxe_a odp_fault_works), odp_fault_waits $(rc_stat prxe_a odp_fault_waits)"

	t0=$(date +%s)
	run "rdma link delete prxe_a with its faults stuck" timeout 30 \
		rdma link delete prxe_a
	echo "ok: deleted in $(( $(date +%s) - t0 )) s"
	out=$(rmmod prxe 2>&1) || rc=$?
	expect_eq "rmmod while faults are stuck" "1 in use" \
		"$rc $(grep -o 'in use' <<<"$out")"
	run "the disk answers again" dmsetup resume "$SLOW_DM"
	wait_for 60 "the faults end and rmmod works" rmmod prxe
	run "modprobe prxe" modprobe prxe
}
