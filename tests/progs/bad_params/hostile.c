// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_bad_params 8, white box: a hostile struct prxe_send_wqe written
 * straight into the send ring (unknown opcode, too many SGEs, too much
 * inline data, a bad lkey, an SGE beyond its MR, an SGE whose address
 * wraps), followed by a valid SEND through ibv_post_send: the hostile
 * request completes in error and the valid one is flushed.
 */
#include <string.h>

#include <rdma/prxe-abi.h>

#include "prxe.h"
#include "ring.h"

#include "bad_params.h"

struct prxe_send_wqe *sq_ring_entry(struct ibv_qp *qp)
{
	struct prxe_uring *ring = &to_prxe_qp(qp)->sq.ring;
	struct prxe_send_wqe *wqe;

	wqe = prxe_uring_entry(ring, prxe_uring_producer(ring));
	memset(wqe, 0, ring->entry_size);
	return wqe;
}

void sq_ring_publish(struct ibv_qp *qp)
{
	struct prxe_uring *ring = &to_prxe_qp(qp)->sq.ring;

	prxe_uring_publish_producer(ring, prxe_uring_producer(ring) + 1);
}

enum hostile {
	H_OPCODE,
	H_NUM_SGE,
	H_INLINE,
	H_BAD_LKEY,
	H_BEYOND_MR,
	H_WRAP,
	H_COUNT
};

static const char *const hostile_names[H_COUNT] = {
	[H_OPCODE] = "opcode 0xee",
	[H_NUM_SGE] = "num_sge 1000",
	[H_INLINE] = "IBV_SEND_INLINE with inline_len 60000",
	[H_BAD_LKEY] = "SEND with lkey 0xdeadbeef",
	[H_BEYOND_MR] = "SEND of 4096 bytes from 8 bytes before the MR's end",
	[H_WRAP] = "SEND of 0x2000 bytes at 0xfffffffffffff000",
};

static void hostile_fill(const struct env *e, struct prxe_send_wqe *wqe,
			 enum hostile h, uint64_t wr_id)
{
	struct prxe_sge *sge = prxe_send_wqe_sge(wqe);

	wqe->wr_id = wr_id;
	wqe->opcode = IBV_WR_SEND;
	wqe->send_flags = IBV_SEND_SIGNALED;
	wqe->num_sge = 1;
	sge->addr = (uintptr_t)e->buf + SEND_OFF;
	sge->length = 64;
	sge->lkey = e->mr->lkey;

	switch (h) {
	case H_OPCODE:
		wqe->opcode = 0xee;
		break;
	case H_NUM_SGE:
		wqe->num_sge = 1000;
		break;
	case H_INLINE:
		wqe->send_flags |= IBV_SEND_INLINE;
		wqe->num_sge = 0;
		wqe->inline_len = 60000;
		break;
	case H_BAD_LKEY:
		sge->lkey = 0xdeadbeef;
		break;
	case H_BEYOND_MR:
		sge->addr = (uintptr_t)e->mr->addr + e->mr->length - 8;
		sge->length = 4096;
		break;
	case H_WRAP:
		sge->addr = 0xfffffffffffff000ull;
		sge->length = 0x2000;
		break;
	case H_COUNT:
		break;
	}
}

static void check_hostile_one(struct env *e, enum hostile h)
{
	const char *name = hostile_names[h];
	uint64_t wr_id = WR_ID_HOSTILE + h;
	struct ibv_sge sge;
	struct loop l;
	int ret;

	if (loop_new(e, &l, 0))
		return;
	ret = post_recv_64(e, l.qp, 1);
	if (!expect_err(0, ret, "hostile WQE (%s): post_recv", name))
		goto out;

	/* The hostile entry, published as the provider would. */
	hostile_fill(e, sq_ring_entry(l.qp), h, wr_id);
	sq_ring_publish(l.qp);

	/* A valid SEND behind it, which rings the doorbell. */
	sge_at(e, &sge, SEND_OFF, 1);
	ret = post_send_one(l.qp, WR_ID_VALID, IBV_WR_SEND, &sge, 0, 0);
	if (!expect_err(0, ret, "hostile WQE (%s): post_send of a valid SEND behind it",
			name))
		goto out;

	expect_wc(l.scq, &(struct wc_want){ .wr_id = wr_id, .any_error = true },
		  NULL, "hostile WQE (%s) completes in error", name);
	expect_wc(l.scq, &(struct wc_want){ .wr_id = WR_ID_VALID,
					    .status = IBV_WC_WR_FLUSH_ERR },
		  NULL, "valid SEND behind the hostile WQE (%s) is flushed", name);
out:
	loop_free(&l);
}

void check_hostile(struct env *e)
{
	int h;

	for (h = 0; h < H_COUNT; h++)
		check_hostile_one(e, h);
}
