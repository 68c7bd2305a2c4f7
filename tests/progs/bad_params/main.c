// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_bad_params: bad parameters from an application get a clean errno,
 * and hostile contents of a send ring get an error completion, never an
 * oops.
 *
 * Usage: prxe_bad_params DEVICE GID_INDEX [FSDAX_DIR]
 *
 * GID_INDEX is the index of DEVICE's RoCEv2 GID on port 1; the QPs that
 * need a peer are connected to themselves through it (loopback, path MTU
 * 1024).  The limits come from ibv_query_device().  Checks:
 *
 *  1. ibv_create_cq with 0, -1 and max_cqe + 1 entries; max_cqe works.
 *  2. ibv_create_qp (RC) beyond max_qp_wr, max_sge, the inline limit;
 *     a send-only and a receive-only QP (0 work requests) work.
 *  3. ibv_reg_mr of NULL, of 0 bytes, REMOTE_WRITE without LOCAL_WRITE,
 *     beyond max_mr_size, of an unmapped range; 64 KiB works.
 *  4. ibv_modify_qp through RESET, INIT, RTR and RTS with each attribute
 *     out of range, and a transition the state machine does not have.
 *  5. ibv_post_send in RESET, with too many SGEs, too much inline data, an
 *     unknown opcode, a bad request after a good one in a chain, and on a
 *     full send queue.
 *  6. ibv_post_recv with too many SGEs and on a full receive queue.
 *  7. Destroying a CQ a QP uses and a PD an MR uses: EBUSY.
 *  8. White box: a hostile struct prxe_send_wqe written straight into the
 *     send ring (unknown opcode, too many SGEs, too much inline data, a
 *     bad lkey, an SGE beyond its MR, an SGE whose address wraps), followed
 *     by a valid SEND through ibv_post_send: the hostile request completes
 *     in error and the valid one is flushed.
 *  9. ODP regions (IBV_ACCESS_ON_DEMAND): registrations whose end or iova
 *     wraps; RDMA WRITE / READ beyond the region or wrapping past 2^64, a
 *     local SGE that wraps; an ODP region over an unmapped range, where
 *     WRITE and READ fail with IBV_WC_REM_ACCESS_ERR.
 * 10. ODP regions whose mapping changes: anonymous memory made read-only
 *     (WRITE fails, READ works, nothing written), writable again,
 *     unmapped (both fail), mapped again at the same place (the region
 *     follows); with FSDAX_DIR, a file there: WRITEs read back with
 *     pread(), truncated (beyond the end fails, before it works), a hole
 *     punched and written again.
 * 11. UD QPs and address handles: an AH for a GID index that holds no GID
 *     (ENODATA); SENDs longer than the MTU (IBV_WC_LOC_LEN_ERR), through
 *     an AH of another PD, and, white box, naming an AH number that does
 *     not exist or an RDMA WRITE: each completes in error, the QP goes to
 *     the error state and the SEND behind it is flushed; a UD QP sends
 *     to itself and receives its datagram behind a GRH.
 *
 * The buffer the checks use has guards around it: at the end of the ODP
 * group and of the run nothing may have been written there.
 *
 * One line per check and a summary (tests/progs/lib/check.h); exits 0 if
 * all passed, 1 if any failed, 2 on a usage error or when the device
 * cannot be set up.  One file per check group: see bad_params.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bad_params.h"

static void env_open(struct env *e, const char *name, int gid_index)
{
	memset(e, 0, sizeof(*e));
	dev_open(&e->dev, name);
	dev_use_gid(&e->dev, gid_index);
	e->attr = &e->dev.attr.orig_attr;
	if (guarded_map(&e->mem, BUF_SIZE, BUF_GUARD))
		die("a guarded buffer of %d bytes: %s", BUF_SIZE,
		    strerror(errno));
	e->buf = e->mem.addr;
	memset(e->buf, 0x5a, BUF_SIZE);
	e->mr = ibv_reg_mr(e->dev.pd, e->buf, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	if (!e->mr)
		die("ibv_reg_mr of %d bytes: %s", BUF_SIZE, strerror(errno));
	note("%s, GID index %d; max_cqe %d max_qp_wr %d max_sge %d max_mr_size %" PRIu64,
	     name, gid_index, e->attr->max_cqe, e->attr->max_qp_wr,
	     e->attr->max_sge, (uint64_t)e->attr->max_mr_size);
}

static void env_close(struct env *e)
{
	if (e->mr)
		ibv_dereg_mr(e->mr);
	guarded_unmap(&e->mem);
	dev_close(&e->dev);
}

int main(int argc, char **argv)
{
	struct env e;
	char *end;
	long gid;

	check_init("prxe_bad_params");
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s DEVICE GID_INDEX [FSDAX_DIR]\n", argv[0]);
		return EXIT_SETUP;
	}
	gid = strtol(argv[2], &end, 0);
	if (*argv[2] == '\0' || *end || gid < 0 || gid > 0xffff)
		die("bad GID index '%s'", argv[2]);
	env_open(&e, argv[1], gid);

	check_cq(&e);
	check_qp_create(&e);
	check_mr(&e);
	check_modify(&e);
	check_post_send(&e);
	check_post_recv(&e);
	check_in_use(&e);
	check_hostile(&e);
	check_odp(&e);
	check_odp_anon_changes(&e);
	check_ud(&e);
	if (argc == 4)
		check_odp_file_changes(&e, argv[3]);
	guarded_check(&e.mem, "the checks' buffer: nothing written around it");

	env_close(&e);
	return check_summary();
}
