// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_bad_params 1, 2: CQ and QP creation beyond the device's limits.
 */
#include <errno.h>

#include "bad_params.h"

/* 1. ibv_create_cq with 0, -1 and max_cqe + 1 entries; max_cqe works. */
void check_cq(struct env *e)
{
	const int bad[] = { 0, -1, e->attr->max_cqe + 1 };
	struct ibv_cq *cq;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		cq = ibv_create_cq(e->dev.ctx, bad[i], NULL, NULL, 0);
		expect_err(EINVAL, cq ? 0 : errno, "ibv_create_cq(cqe %d)",
			   bad[i]);
		if (cq)
			ibv_destroy_cq(cq);
	}
	cq = ibv_create_cq(e->dev.ctx, e->attr->max_cqe, NULL, NULL, 0);
	expect_err(0, cq ? 0 : errno, "ibv_create_cq(cqe %d = max_cqe)",
		   e->attr->max_cqe);
	if (cq)
		ibv_destroy_cq(cq);
}

enum qp_cap_field {
	CAP_SEND_WR,
	CAP_RECV_WR,
	CAP_SEND_SGE,
	CAP_RECV_SGE,
	CAP_INLINE,
};

static void set_cap(struct ibv_qp_cap *cap, enum qp_cap_field field,
		    uint32_t value)
{
	switch (field) {
	case CAP_SEND_WR:
		cap->max_send_wr = value;
		break;
	case CAP_RECV_WR:
		cap->max_recv_wr = value;
		break;
	case CAP_SEND_SGE:
		cap->max_send_sge = value;
		break;
	case CAP_RECV_SGE:
		cap->max_recv_sge = value;
		break;
	case CAP_INLINE:
		cap->max_inline_data = value;
		break;
	}
}

/* An RC QP with no receive queue (@send_only) or no send queue. */
static struct ibv_qp *one_way_qp(struct env *e, struct ibv_cq *cq,
				 bool send_only)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp *qp;

	rc_qp_init_attr(&init, cq, cq);
	if (send_only)
		init.cap.max_recv_wr = 0;
	else
		init.cap.max_send_wr = 0;
	qp = ibv_create_qp(e->dev.pd, &init);
	if (!expect_err(0, qp ? 0 : errno, "ibv_create_qp(RC, %s)",
			send_only ? "max_recv_wr = 0: send-only" :
			"max_send_wr = 0: receive-only"))
		return NULL;
	note("granted max_send_wr %u max_recv_wr %u", init.cap.max_send_wr,
	     init.cap.max_recv_wr);
	return qp;
}

/* Send-only: no receive can be posted, in any state but RESET too. */
static void check_send_only(struct env *e, struct ibv_cq *cq)
{
	struct ibv_recv_wr rwr, *bad_rwr;
	struct ibv_qp_attr a;
	struct ibv_sge sge;
	struct rc_attr r;
	struct ibv_qp *qp;
	int ret;

	qp = one_way_qp(e, cq, true);
	if (!qp)
		return;
	rc_attr_default(&r, &e->dev, qp->qp_num);
	ret = ibv_modify_qp(qp, &a, qp_attr_to_init(&a, &r));
	if (expect_err(0, ret, "send-only QP: modify_qp to INIT")) {
		sge_at(e, &sge, RECV_OFF, 64);
		rwr = (struct ibv_recv_wr){ .wr_id = 1, .sg_list = &sge,
					    .num_sge = 1 };
		bad_rwr = NULL;
		ret = ibv_post_recv(qp, &rwr, &bad_rwr);
		check((ret == ENOMEM || ret == EINVAL) && bad_rwr == &rwr,
		      "ENOMEM or EINVAL, bad_wr set",
		      strf("%s, bad_wr %s", errno_name(ret),
			   bad_rwr == &rwr ? "set" : "not set"),
		      "ibv_post_recv on a send-only QP (INIT)");
	}
	ibv_destroy_qp(qp);
}

static void check_receive_only(struct env *e, struct ibv_cq *cq)
{
	struct ibv_qp_init_attr qinit;
	struct ibv_qp_attr qattr;
	struct ibv_qp *qp;

	qp = one_way_qp(e, cq, false);
	if (!qp)
		return;
	if (expect_err(0, ibv_query_qp(qp, &qattr, IBV_QP_CAP, &qinit),
		       "ibv_query_qp of a receive-only QP"))
		expect_eq(0, qattr.cap.max_send_wr,
			  "ibv_query_qp of a receive-only QP: max_send_wr");
	ibv_destroy_qp(qp);
}

/*
 * 2. ibv_create_qp (RC) beyond max_qp_wr, max_sge, the inline limit; a
 * send-only and a receive-only QP (0 work requests) work.
 */
void check_qp_create(struct env *e)
{
	const struct {
		enum qp_cap_field field;
		uint32_t value;
		const char *what;
	} bad[] = {
		{ CAP_SEND_WR, e->attr->max_qp_wr + 1u, "max_send_wr = max_qp_wr + 1" },
		{ CAP_RECV_WR, UINT32_MAX, "max_recv_wr = UINT32_MAX" },
		{ CAP_SEND_SGE, e->attr->max_sge + 1u, "max_send_sge = max_sge + 1" },
		{ CAP_RECV_SGE, e->attr->max_sge + 1u, "max_recv_sge = max_sge + 1" },
		{ CAP_INLINE, 1u << 20, "max_inline_data = 1 MiB" },
	};
	struct ibv_qp_init_attr init;
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	unsigned int i;

	cq = cq_create(&e->dev, CQ_DEPTH);
	if (!cq)
		return;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		rc_qp_init_attr(&init, cq, cq);
		set_cap(&init.cap, bad[i].field, bad[i].value);
		qp = ibv_create_qp(e->dev.pd, &init);
		expect_err(EINVAL, qp ? 0 : errno, "ibv_create_qp(RC, %s = %u)",
			   bad[i].what, bad[i].value);
		if (qp)
			ibv_destroy_qp(qp);
	}
	check_send_only(e, cq);
	check_receive_only(e, cq);
	ibv_destroy_cq(cq);
}
