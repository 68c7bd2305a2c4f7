// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_bad_params: the buffer's SGEs and QPs connected to themselves or to
 * each other, through the device's own GID.
 */
#include <string.h>

#include "bad_params.h"

void sge_at(const struct env *e, struct ibv_sge *sge, size_t off, uint32_t len)
{
	sge->addr = (uintptr_t)e->buf + off;
	sge->length = len;
	sge->lkey = e->mr->lkey;
}

/* One receive of 64 bytes at RECV_OFF; 0 or the errno of ibv_post_recv. */
int post_recv_64(const struct env *e, struct ibv_qp *qp, uint64_t wr_id)
{
	struct ibv_sge sge;

	sge_at(e, &sge, RECV_OFF, 64);
	return post_recv_one(qp, wr_id, &sge);
}

/* An RC QP of QP_WR work requests each way, no inline data. */
void rc_qp_init_attr(struct ibv_qp_init_attr *init, struct ibv_cq *scq,
		     struct ibv_cq *rcq)
{
	qp_init_attr_fill(init, IBV_QPT_RC, scq, rcq, NULL, QP_WR, QP_WR);
}

void loop_free(struct loop *l)
{
	if (l->qp)
		ibv_destroy_qp(l->qp);
	if (l->scq)
		ibv_destroy_cq(l->scq);
	if (l->rcq)
		ibv_destroy_cq(l->rcq);
	memset(l, 0, sizeof(*l));
}

/* A QP of @type on its own CQs, in RESET. */
static int loop_make(struct env *e, struct loop *l, enum ibv_qp_type type,
		     uint32_t max_inline)
{
	struct ibv_qp_init_attr init;

	memset(l, 0, sizeof(*l));
	l->scq = cq_create(&e->dev, CQ_DEPTH);
	l->rcq = cq_create(&e->dev, CQ_DEPTH);
	if (!l->scq || !l->rcq)
		goto err;
	qp_init_attr_fill(&init, type, l->scq, l->rcq, NULL, QP_WR, QP_WR);
	init.cap.max_inline_data = max_inline;
	l->qp = qp_create(&e->dev, &init);
	if (!l->qp)
		goto err;
	l->cap = init.cap;
	return 0;
err:
	loop_free(l);
	return -1;
}

int loop_create(struct env *e, struct loop *l, uint32_t max_inline)
{
	return loop_make(e, l, IBV_QPT_RC, max_inline);
}

int ud_loop_create(struct env *e, struct loop *l)
{
	return loop_make(e, l, IBV_QPT_UD, 0);
}

/* ... connected to itself, in RTS. */
int loop_new(struct env *e, struct loop *l, uint32_t max_inline)
{
	struct rc_attr r;

	if (loop_create(e, l, max_inline))
		return -1;
	rc_attr_default(&r, &e->dev, l->qp->qp_num);
	if (!rc_connect(l->qp, &r)) {
		loop_free(l);
		return -1;
	}
	return 0;
}

/*
 * Two QPs connected to each other: for errors the responder reports,
 * which put the responder's QP (a self-connected QP would be both) in
 * the error state.
 */
int loop_pair_new(struct env *e, struct loop *a, struct loop *b)
{
	struct rc_attr ra, rb;

	if (loop_create(e, a, 0))
		return -1;
	if (loop_create(e, b, 0)) {
		loop_free(a);
		return -1;
	}
	rc_attr_default(&ra, &e->dev, b->qp->qp_num);
	rc_attr_default(&rb, &e->dev, a->qp->qp_num);
	if (!rc_connect(a->qp, &ra) || !rc_connect(b->qp, &rb)) {
		loop_free(a);
		loop_free(b);
		return -1;
	}
	return 0;
}
