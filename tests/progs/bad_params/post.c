// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_bad_params 5, 6: ibv_post_send in RESET, with too many SGEs, too
 * much inline data, an unknown opcode, a bad request after a good one in
 * a chain, and on a full send queue; ibv_post_recv with too many SGEs and
 * on a full receive queue.
 */
#include <errno.h>
#include <stdlib.h>

#include "bad_params.h"

/* Post max_send_wr work requests that never complete, then one more. */
static void check_sq_full(struct env *e)
{
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sge;
	struct rc_attr r;
	unsigned int i;
	struct loop l;
	int ret = 0;

	if (loop_create(e, &l, 0))
		return;
	/* No such QP: nothing is acknowledged, and timeout 0 never gives up. */
	rc_attr_default(&r, &e->dev, 0xabcde);
	r.timeout = 0;
	if (!rc_connect(l.qp, &r))
		goto out;

	sge_at(e, &sge, SEND_OFF, 1);
	send_wr_fill(&wr, 0, IBV_WR_RDMA_WRITE, &sge, 1);
	wr.send_flags = 0;
	send_wr_remote(&wr, (uintptr_t)e->buf + RECV_OFF, e->mr->rkey);
	for (i = 0; i < l.cap.max_send_wr; i++) {
		wr.wr_id = i;
		bad = NULL;
		ret = ibv_post_send(l.qp, &wr, &bad);
		if (ret)
			break;
	}
	if (!expect_err(0, ret,
			"post_send of max_send_wr = %u unsignaled RDMA WRITEs to a QP that never answers (stopped at %u)",
			l.cap.max_send_wr, i))
		goto out;
	bad = NULL;
	wr.wr_id = i;
	ret = ibv_post_send(l.qp, &wr, &bad);
	expect_post(ENOMEM, ret, bad, &wr,
		    "post_send of one more on the full send queue");
out:
	loop_free(&l);
}

static void check_post_send_reset(struct env *e)
{
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sge;
	struct loop l;
	int ret;

	if (loop_create(e, &l, 0))
		return;
	sge_at(e, &sge, SEND_OFF, 1);
	send_wr_fill(&wr, WR_ID_VALID, IBV_WR_SEND, &sge, 1);
	bad = NULL;
	ret = ibv_post_send(l.qp, &wr, &bad);
	expect_post(EINVAL, ret, bad, &wr, "post_send on a QP in RESET");
	loop_free(&l);
}

/* Bad requests on a QP in RTS (connected to itself). */
static void check_post_send_rts(struct env *e)
{
	struct ibv_send_wr wr, wr2, *bad;
	struct ibv_sge *sges, sge;
	unsigned int i, n;
	struct loop l;
	int ret;

	if (loop_new(e, &l, 64))
		return;
	note("RTS QP granted max_send_wr %u max_send_sge %u max_inline_data %u",
	     l.cap.max_send_wr, l.cap.max_send_sge, l.cap.max_inline_data);

	/* More SGEs than the QP has. */
	n = l.cap.max_send_sge + 1;
	sges = calloc(n, sizeof(*sges));
	if (!sges)
		die("allocating %u SGEs", n);
	for (i = 0; i < n; i++)
		sge_at(e, &sges[i], SEND_OFF + i, 1);
	send_wr_fill(&wr, WR_ID_VALID, IBV_WR_SEND, sges, n);
	bad = NULL;
	ret = ibv_post_send(l.qp, &wr, &bad);
	expect_post(EINVAL, ret, bad, &wr,
		    "post_send with num_sge = max_send_sge + 1 = %u", n);
	free(sges);

	/* More inline data than the QP has room for. */
	sge_at(e, &sge, SEND_OFF, l.cap.max_inline_data + 1);
	send_wr_fill(&wr, WR_ID_VALID, IBV_WR_SEND, &sge, 1);
	wr.send_flags |= IBV_SEND_INLINE;
	bad = NULL;
	ret = ibv_post_send(l.qp, &wr, &bad);
	expect_post(EINVAL, ret, bad, &wr,
		    "post_send IBV_SEND_INLINE of max_inline_data + 1 = %u bytes",
		    l.cap.max_inline_data + 1);

	/* No such opcode. */
	sge_at(e, &sge, SEND_OFF, 1);
	send_wr_fill(&wr, WR_ID_VALID, (enum ibv_wr_opcode)99, &sge, 1);
	bad = NULL;
	ret = ibv_post_send(l.qp, &wr, &bad);
	expect_post(EINVAL, ret, bad, &wr, "post_send with opcode 99");

	/* A chain whose second request is bad: the first goes, and completes. */
	ret = post_recv_64(e, l.qp, 1);
	if (!expect_err(0, ret, "post_recv for the chain's SEND"))
		goto out;
	send_wr_fill(&wr, WR_ID_VALID, IBV_WR_SEND, &sge, 1);
	send_wr_fill(&wr2, WR_ID_VALID + 1, (enum ibv_wr_opcode)99, &sge, 1);
	wr.next = &wr2;
	bad = NULL;
	ret = ibv_post_send(l.qp, &wr, &bad);
	expect_post(EINVAL, ret, bad, &wr2,
		    "post_send of a chain whose second request has opcode 99");
	expect_wc(l.scq, &(struct wc_want){ .wr_id = WR_ID_VALID,
					    .status = IBV_WC_SUCCESS },
		  NULL, "the chain's first request completes");
out:
	loop_free(&l);
}

void check_post_send(struct env *e)
{
	check_post_send_reset(e);
	check_post_send_rts(e);
	check_sq_full(e);
}

void check_post_recv(struct env *e)
{
	struct ibv_recv_wr wr, *bad;
	struct ibv_sge *sges, sge;
	struct ibv_qp_attr a;
	struct ibv_qp *qp;
	struct rc_attr r;
	unsigned int i, n;
	struct loop l;
	int ret = 0;

	if (loop_create(e, &l, 0))
		return;
	qp = l.qp;
	rc_attr_default(&r, &e->dev, qp->qp_num);
	if (!expect_err(0, ibv_modify_qp(qp, &a, qp_attr_to_init(&a, &r)),
			"post_recv QP: modify_qp to INIT"))
		goto out;

	n = l.cap.max_recv_sge + 1;
	sges = calloc(n, sizeof(*sges));
	if (!sges)
		die("allocating %u SGEs", n);
	for (i = 0; i < n; i++)
		sge_at(e, &sges[i], RECV_OFF + i, 1);
	wr = (struct ibv_recv_wr){ .sg_list = sges, .num_sge = n };
	bad = NULL;
	ret = ibv_post_recv(qp, &wr, &bad);
	expect_post(EINVAL, ret, bad, &wr,
		    "post_recv with num_sge = max_recv_sge + 1 = %u", n);
	free(sges);

	sge_at(e, &sge, RECV_OFF, 64);
	wr.sg_list = &sge;
	wr.num_sge = 1;
	for (i = 0; i < l.cap.max_recv_wr; i++) {
		wr.wr_id = i;
		bad = NULL;
		ret = ibv_post_recv(qp, &wr, &bad);
		if (ret)
			break;
	}
	if (!expect_err(0, ret,
			"post_recv of max_recv_wr = %u receives (stopped at %u)",
			l.cap.max_recv_wr, i))
		goto out;
	bad = NULL;
	ret = ibv_post_recv(qp, &wr, &bad);
	expect_post(ENOMEM, ret, bad, &wr,
		    "post_recv of one more on the full receive queue");
out:
	loop_free(&l);
}
