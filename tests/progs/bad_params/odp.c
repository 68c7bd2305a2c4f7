// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_bad_params 9: ODP regions (IBV_ACCESS_ON_DEMAND): registrations
 * whose end or iova wraps; RDMA WRITE / READ beyond the region or wrapping
 * past 2^64, a local SGE that wraps; an ODP region over an unmapped range,
 * where WRITE and READ fail with IBV_WC_REM_ACCESS_ERR.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "bad_params.h"

#define WR_ID_ODP	0x0d9000ull

static int reg_iova_err(struct ibv_pd *pd, void *addr, size_t len,
			uint64_t iova, int access)
{
	struct ibv_mr *mr = ibv_reg_mr_iova(pd, addr, len, iova, access);

	if (!mr)
		return errno;
	ibv_dereg_mr(mr);
	return 0;
}

/*
 * One RDMA WRITE or READ (@opcode) of @len bytes from the local buffer to
 * @raddr of @rkey, from one of two fresh QPs connected to each other: it
 * must complete with @status.
 */
void odp_remote_one(struct env *e, enum ibv_wr_opcode opcode, uint64_t raddr,
		    uint32_t rkey, uint32_t len, enum ibv_wc_status status,
		    const char *what)
{
	struct ibv_sge sge;
	struct loop a, b;
	int ret;

	if (loop_pair_new(e, &a, &b))
		return;
	sge_at(e, &sge, SEND_OFF, len);
	ret = post_send_one(a.qp, WR_ID_ODP, opcode, &sge, raddr, rkey);
	if (expect_err(0, ret, "%s: post_send", what))
		expect_wc(a.scq, &(struct wc_want){ .wr_id = WR_ID_ODP,
						    .status = status },
			  NULL, "%s", what);
	loop_free(&a);
	loop_free(&b);
}

/* Registrations whose end or iova wraps. */
static void check_odp_reg_wraps(struct env *e)
{
	const uint64_t top = 0xfffffffffffff000ull;
	struct ibv_pd *pd = e->dev.pd;

	expect_err(EINVAL, reg_err(pd, (void *)(uintptr_t)top, 0x2000, ODP_ACCESS),
		   "ODP ibv_reg_mr(0x%" PRIx64 ", 0x2000): the end wraps", top);
	expect_err(EINVAL, reg_err(pd, (void *)(uintptr_t)top, 0x1000, ODP_ACCESS),
		   "ODP ibv_reg_mr(0x%" PRIx64 ", 0x1000): ends at 2^64", top);
	expect_err(EINVAL, reg_iova_err(pd, e->buf, 0x2000, top + 0x800, ODP_ACCESS),
		   "ODP ibv_reg_mr_iova(iova 0x%" PRIx64 ", 0x2000): iova + length wraps",
		   top + 0x800);
}

/* A local SGE of the ODP region @mr that wraps. */
static void check_odp_local_wrap(struct env *e, struct ibv_mr *mr)
{
	struct ibv_sge sge = {
		.addr = 0xfffffffffffff000ull, .length = 0x2000,
		.lkey = mr->lkey,
	};
	struct loop l;

	if (loop_new(e, &l, 0))
		return;
	if (expect_err(0, post_recv_64(e, l.qp, 1), "ODP local SGE: post_recv") &&
	    expect_err(0, post_send_one(l.qp, WR_ID_ODP, IBV_WR_SEND, &sge, 0, 0),
		       "ODP local SGE: post_send"))
		expect_wc(l.scq, &(struct wc_want){ .wr_id = WR_ID_ODP,
						    .status = IBV_WC_LOC_PROT_ERR },
			  NULL, "ODP: SEND from an SGE at 0xfffffffffffff000 (wraps)");
	loop_free(&l);
}

/*
 * An ODP region over a range with nothing mapped registers (nothing is
 * faulted then), and an access to it fails cleanly.
 */
static void check_odp_unmapped(struct env *e)
{
	struct ibv_mr *hole_mr;
	struct mapping hole;

	if (map_anon(&hole, BUF_SIZE))
		die("mmap of %d bytes: %s", BUF_SIZE, strerror(errno));
	munmap(hole.addr, BUF_SIZE);
	hole_mr = ibv_reg_mr(e->dev.pd, hole.addr, BUF_SIZE, ODP_ACCESS);
	if (!expect_err(0, hole_mr ? 0 : errno,
			"ODP ibv_reg_mr of an unmapped range"))
		return;
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)hole.addr, hole_mr->rkey,
		       64, IBV_WC_REM_ACCESS_ERR,
		       "ODP: RDMA WRITE into the unmapped range");
	odp_remote_one(e, IBV_WR_RDMA_READ, (uintptr_t)hole.addr, hole_mr->rkey,
		       64, IBV_WC_REM_ACCESS_ERR,
		       "ODP: RDMA READ of the unmapped range");
	ibv_dereg_mr(hole_mr);
}

void check_odp(struct env *e)
{
	const uint64_t top = 0xfffffffffffff000ull;
	struct ibv_mr *mr;

	check_odp_reg_wraps(e);
	mr = ibv_reg_mr(e->dev.pd, e->buf, BUF_SIZE, ODP_ACCESS);
	if (!expect_err(0, mr ? 0 : errno, "ODP ibv_reg_mr(a %d KiB buffer)",
			BUF_SIZE / 1024))
		return;

	/* Remote accesses beyond the region, and wrapping. */
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)e->buf + BUF_SIZE - 8,
		       mr->rkey, 4096, IBV_WC_REM_ACCESS_ERR,
		       "ODP: RDMA WRITE of 4096 bytes from 8 bytes before the end");
	guarded_check(&e->mem, "ODP: the WRITE beyond the region's end wrote nothing past it");
	odp_remote_one(e, IBV_WR_RDMA_WRITE, top, mr->rkey, 0x2000,
		       IBV_WC_REM_ACCESS_ERR,
		       "ODP: RDMA WRITE of 0x2000 bytes at 0xfffffffffffff000 (wraps)");
	odp_remote_one(e, IBV_WR_RDMA_READ, UINT64_MAX - 3, mr->rkey, 16,
		       IBV_WC_REM_ACCESS_ERR,
		       "ODP: RDMA READ of 16 bytes at 2^64 - 4 (wraps)");
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)e->buf + 4096, mr->rkey,
		       4096, IBV_WC_SUCCESS,
		       "ODP: RDMA WRITE of 4096 bytes inside the region");
	check_odp_local_wrap(e, mr);
	ibv_dereg_mr(mr);
	check_odp_unmapped(e);
}
