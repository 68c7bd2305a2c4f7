// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * CQs, QPs, SRQs, address handles and the QP state walks: see qp.h.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "qp.h"

struct ibv_cq *cq_create(struct dev *d, int cqe)
{
	struct ibv_cq *cq = ibv_create_cq(d->ctx, cqe, NULL, NULL, 0);

	if (!cq)
		expect_err(0, errno, "ibv_create_cq(%d)", cqe);
	return cq;
}

void qp_init_attr_fill(struct ibv_qp_init_attr *init, enum ibv_qp_type type,
		       struct ibv_cq *send_cq, struct ibv_cq *recv_cq,
		       struct ibv_srq *srq, uint32_t send_wr, uint32_t recv_wr)
{
	memset(init, 0, sizeof(*init));
	init->send_cq = send_cq;
	init->recv_cq = recv_cq;
	init->srq = srq;
	init->qp_type = type;
	init->cap.max_send_wr = send_wr;
	init->cap.max_recv_wr = srq ? 0 : recv_wr;
	init->cap.max_send_sge = 1;
	init->cap.max_recv_sge = srq ? 0 : 1;
}

struct ibv_qp *qp_create(struct dev *d, struct ibv_qp_init_attr *init)
{
	struct ibv_qp *qp = ibv_create_qp(d->pd, init);

	if (!qp)
		expect_err(0, errno, "ibv_create_qp(%s%s, %u send WRs, %u receive WRs)",
			   init->qp_type == IBV_QPT_UD ? "UD" : "RC",
			   init->srq ? " on an SRQ" : "", init->cap.max_send_wr,
			   init->cap.max_recv_wr);
	return qp;
}

struct ibv_srq *srq_create(struct dev *d, uint32_t max_wr, uint32_t max_sge)
{
	struct ibv_srq_init_attr a = {
		.attr = { .max_wr = max_wr, .max_sge = max_sge },
	};
	struct ibv_srq *srq = ibv_create_srq(d->pd, &a);

	if (!srq) {
		expect_err(0, errno, "ibv_create_srq(max_wr %u, max_sge %u)",
			   max_wr, max_sge);
		return NULL;
	}
	if (a.attr.max_wr < max_wr || a.attr.max_sge < max_sge) {
		check_fail(strf("at least max_wr %u, max_sge %u", max_wr, max_sge),
			   strf("max_wr %u, max_sge %u", a.attr.max_wr,
				a.attr.max_sge),
			   "ibv_create_srq: what was granted");
		ibv_destroy_srq(srq);
		return NULL;
	}
	return srq;
}

void rc_attr_default(struct rc_attr *r, const struct dev *d,
		     uint32_t dest_qpn)
{
	memset(r, 0, sizeof(*r));
	r->dest_qpn = dest_qpn;
	r->dgid = d->gid;
	r->sgid_index = d->gid_index;
	r->path_mtu = IBV_MTU_1024;
	r->timeout = 14;
	r->retry_cnt = 7;
	r->rnr_retry = 7;
	r->min_rnr_timer = 12;
	r->max_rd_atomic = 1;
	r->max_dest_rd_atomic = 1;
	r->access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
}

int qp_attr_to_init(struct ibv_qp_attr *a, const struct rc_attr *r)
{
	*a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_INIT, .pkey_index = 0, .port_num = DEV_PORT,
		.qp_access_flags = r->access,
	};
	return IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
	       IBV_QP_ACCESS_FLAGS;
}

int qp_attr_to_rtr(struct ibv_qp_attr *a, const struct rc_attr *r)
{
	*a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTR, .path_mtu = r->path_mtu,
		.dest_qp_num = r->dest_qpn, .rq_psn = r->rq_psn,
		.max_dest_rd_atomic = r->max_dest_rd_atomic,
		.min_rnr_timer = r->min_rnr_timer,
	};
	ah_attr_global(&a->ah_attr, &r->dgid, r->sgid_index);
	return IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
	       IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
}

int qp_attr_to_rts(struct ibv_qp_attr *a, const struct rc_attr *r)
{
	*a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTS, .sq_psn = r->sq_psn,
		.timeout = r->timeout, .retry_cnt = r->retry_cnt,
		.rnr_retry = r->rnr_retry, .max_rd_atomic = r->max_rd_atomic,
	};
	return IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
	       IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC;
}

bool rc_connect(struct ibv_qp *qp, const struct rc_attr *r)
{
	struct ibv_qp_attr a;
	int ret;

	ret = ibv_modify_qp(qp, &a, qp_attr_to_init(&a, r));
	if (ret)
		return expect_err(0, ret, "modify_qp of QP 0x%x to INIT",
				  qp->qp_num);
	ret = ibv_modify_qp(qp, &a, qp_attr_to_rtr(&a, r));
	if (ret)
		return expect_err(0, ret, "modify_qp of QP 0x%x to RTR (dest QPN 0x%x, MTU %u, GID index %d)",
				  qp->qp_num, r->dest_qpn, 128u << r->path_mtu,
				  r->sgid_index);
	ret = ibv_modify_qp(qp, &a, qp_attr_to_rts(&a, r));
	if (ret)
		return expect_err(0, ret, "modify_qp of QP 0x%x to RTS",
				  qp->qp_num);
	return true;
}

struct ibv_qp *rc_self_qp(struct dev *d, struct ibv_cq *cq, uint32_t wr)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp *qp;
	struct rc_attr r;

	qp_init_attr_fill(&init, IBV_QPT_RC, cq, cq, NULL, wr, wr);
	qp = qp_create(d, &init);
	if (!qp)
		die("cannot create an RC QP on %s", d->name);
	rc_attr_default(&r, d, qp->qp_num);
	if (!rc_connect(qp, &r))
		die("cannot connect an RC QP of %s to itself", d->name);
	return qp;
}

bool ud_ready(struct ibv_qp *qp, uint32_t qkey)
{
	struct ibv_qp_attr a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_INIT;
	a.port_num = DEV_PORT;
	a.qkey = qkey;
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			    IBV_QP_PORT | IBV_QP_QKEY);
	a.qp_state = IBV_QPS_RTR;
	ret = ret ?: ibv_modify_qp(qp, &a, IBV_QP_STATE);
	a.qp_state = IBV_QPS_RTS;
	ret = ret ?: ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN);
	if (ret)
		return expect_err(0, ret, "modify_qp of UD QP 0x%x to RTS",
				  qp->qp_num);
	return true;
}

int qp_to_state(struct ibv_qp *qp, enum ibv_qp_state state)
{
	struct ibv_qp_attr a = { .qp_state = state };

	return ibv_modify_qp(qp, &a, IBV_QP_STATE);
}

int qp_state(struct ibv_qp *qp)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr a;

	if (ibv_query_qp(qp, &a, IBV_QP_STATE, &init))
		return -1;
	return a.qp_state;
}

const char *qp_state_name(int state)
{
	static const char *const names[] = {
		[IBV_QPS_RESET] = "RESET", [IBV_QPS_INIT] = "INIT",
		[IBV_QPS_RTR] = "RTR", [IBV_QPS_RTS] = "RTS", [IBV_QPS_SQD] = "SQD",
		[IBV_QPS_SQE] = "SQE", [IBV_QPS_ERR] = "ERR",
	};

	if (state < 0 || state >= (int)(sizeof(names) / sizeof(names[0])) ||
	    !names[state])
		return "unknown";
	return names[state];
}

void ah_attr_global(struct ibv_ah_attr *a, const union ibv_gid *dgid,
		    int sgid_index)
{
	memset(a, 0, sizeof(*a));
	a->is_global = 1;
	a->grh.dgid = *dgid;
	a->grh.sgid_index = sgid_index;
	a->grh.hop_limit = 64;
	a->port_num = DEV_PORT;
}

struct ibv_ah *ah_create(struct ibv_pd *pd, const union ibv_gid *dgid,
			 int sgid_index)
{
	struct ibv_ah_attr a;
	struct ibv_ah *ah;

	ah_attr_global(&a, dgid, sgid_index);
	ah = ibv_create_ah(pd, &a);
	if (!ah)
		expect_err(0, errno, "ibv_create_ah(GID index %d)", sgid_index);
	return ah;
}
