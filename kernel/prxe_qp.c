// SPDX-License-Identifier: GPL-2.0-only
/*
 * Queue pair verbs: create, modify (the state machine and attributes),
 * query, destroy, and the doorbells (user QPs) or posting (kernel QPs).
 *
 * Locking: qp->mutex guards the QP's state, attributes and engines (see
 * prxe_qp.h; lock order: docs/ARCHITECTURE.md).  The QP table (prxe->qps)
 * is an xarray read under RCU by the receive path.
 */
#include <linux/log2.h>
#include <rdma/restrack.h>

#include "prxe.h"
#include "prxe_cq.h"
#include "prxe_hdr.h"
#include "prxe_mr.h"
#include "prxe_params.h"
#include "prxe_qp.h"
#include "prxe_ud.h"

void prxe_qp_table_init(struct prxe_dev *prxe)
{
	xa_init_flags(&prxe->qps, XA_FLAGS_ALLOC);
	prxe->next_qpn = PRXE_MIN_QPN;
}

static int prxe_qp_check_init(struct ib_device *ibdev,
			      struct ib_qp_init_attr *init, bool user)
{
	struct ib_qp_cap *cap = &init->cap;

	switch (init->qp_type) {
	case IB_QPT_RC:
		/* Kernel RC consumers would need memory registration WRs. */
		if (user)
			break;
		fallthrough;
	default:
		ibdev_dbg(ibdev, "create_qp: %s QP type %d not supported\n",
			  user ? "user" : "kernel", init->qp_type);
		return -EOPNOTSUPP;
	case IB_QPT_UD:
		break;
	case IB_QPT_GSI:
		/* The MAD layer's, one per port. */
		if (user || init->port_num != PRXE_PORT)
			return -EINVAL;
		break;
	}
	if (init->create_flags ||
	    (init->srq && init->srq->srq_type != IB_SRQT_BASIC))
		return -EOPNOTSUPP;
	/* 0 work requests: a send-only or receive-only QP. */
	if (cap->max_send_wr > PRXE_MAX_QP_WR ||
	    cap->max_recv_wr > PRXE_MAX_QP_WR ||
	    cap->max_send_sge > PRXE_MAX_SGE ||
	    cap->max_recv_sge > PRXE_MAX_SGE ||
	    cap->max_inline_data > PRXE_MAX_INLINE_DATA) {
		ibdev_dbg(ibdev,
			  "create_qp: caps wr %u/%u sge %u/%u inline %u beyond %u/%u/%u\n",
			  cap->max_send_wr, cap->max_recv_wr, cap->max_send_sge,
			  cap->max_recv_sge, cap->max_inline_data,
			  PRXE_MAX_QP_WR, PRXE_MAX_SGE, PRXE_MAX_INLINE_DATA);
		return -EINVAL;
	}
	return 0;
}

/* Size the rings and report the capacities they really have. */
static int prxe_qp_init_queues(struct prxe_qp *qp, struct ib_qp_init_attr *init,
			       struct ib_ucontext *uctx,
			       struct prxe_create_qp_resp *resp)
{
	struct ib_qp_cap *cap = &init->cap;
	u32 sge_space, inline_space, space, recv_sge;
	int err;

	sge_space = max_t(u32, cap->max_send_sge, 1) * sizeof(struct prxe_sge);
	inline_space = ALIGN(cap->max_inline_data, sizeof(struct prxe_sge));
	space = max(sge_space, inline_space);
	/* A queue of 0 work requests gets a ring of one entry, never used. */
	err = prxe_ring_init(&qp->sq, uctx,
			     roundup_pow_of_two(max_t(u32, cap->max_send_wr, 1)),
			     sizeof(struct prxe_send_wqe) + space, &resp->sq);
	if (err)
		return err;

	if (init->srq) {
		/*
		 * Receive WQEs come from the SRQ.  The QP still gets a receive
		 * ring of one entry, never mapped and so always empty, which
		 * lets every path that looks at qp->rq work unchanged; resp->rq
		 * stays all zero: the provider maps nothing.
		 */
		recv_sge = to_prxe_srq(init->srq)->max_sge;
		err = prxe_ring_init(&qp->rq, NULL, 1,
				     sizeof(struct prxe_recv_wqe), NULL);
		cap->max_recv_wr = 0;
		cap->max_recv_sge = 0;
	} else {
		recv_sge = max_t(u32, cap->max_recv_sge, 1);
		err = prxe_ring_init(&qp->rq, uctx,
				     roundup_pow_of_two(max_t(u32, cap->max_recv_wr, 1)),
				     sizeof(struct prxe_recv_wqe) +
				     recv_sge * sizeof(struct prxe_sge), &resp->rq);
	}
	if (err)
		goto err_sq;

	qp->max_send_sge = space / sizeof(struct prxe_sge);
	qp->max_inline = min_t(u32, space, PRXE_MAX_INLINE_DATA);
	qp->max_recv_sge = recv_sge;
	qp->swqe_size = ALIGN(sizeof(struct prxe_swqe) + space, 8);
	qp->swqes = kvcalloc(qp->sq.num_entries, qp->swqe_size,
			     GFP_KERNEL_ACCOUNT);
	qp->resp.rwqe = kzalloc(struct_size(qp->resp.rwqe, sge, recv_sge),
				GFP_KERNEL_ACCOUNT);
	if (!qp->swqes || !qp->resp.rwqe) {
		err = -ENOMEM;
		goto err_rq;
	}

	if (cap->max_send_wr)
		cap->max_send_wr = qp->sq.num_entries;
	if (cap->max_recv_wr)
		cap->max_recv_wr = qp->rq.num_entries;
	qp->max_send_wr = cap->max_send_wr;
	qp->max_recv_wr = cap->max_recv_wr;
	cap->max_send_sge = min_t(u32, qp->max_send_sge, PRXE_MAX_SGE);
	if (init->srq)
		qp->max_recv_sge = 0;	/* the SRQ's own */
	cap->max_recv_sge = qp->max_recv_sge;
	cap->max_inline_data = qp->max_inline;
	qp->max_send_sge = cap->max_send_sge;
	return 0;

err_rq:
	kvfree(qp->swqes);
	kfree(qp->resp.rwqe);
	prxe_ring_cleanup(&qp->rq);
err_sq:
	prxe_ring_cleanup(&qp->sq);
	return err;
}

int prxe_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		   struct ib_udata *udata)
{
	struct prxe_dev *prxe = to_prxe_dev(ibqp->device);
	struct prxe_qp *qp = to_prxe_qp(ibqp);
	struct prxe_create_qp_resp resp = {};
	struct ib_ucontext *uctx = NULL;
	u32 qpn;
	int err;

	err = prxe_qp_check_init(ibqp->device, init, udata != NULL);
	if (err)
		return err;
	if (udata) {
		if (udata->outlen < sizeof(resp))
			return -EINVAL;
		uctx = &rdma_udata_to_drv_context(udata, struct prxe_ucontext,
						  ibuc)->ibuc;
	}

	qp->prxe = prxe;
	mutex_init(&qp->mutex);
	spin_lock_init(&qp->kpost_lock);
	qp->state = IB_QPS_RESET;
	qp->sq_sig_all = init->sq_sig_type == IB_SIGNAL_ALL_WR;
	qp->path_mtu = IB_MTU_1024;
	qp->mtu = ib_mtu_enum_to_int(qp->path_mtu);
	skb_queue_head_init(&qp->req_pkts);
	skb_queue_head_init(&qp->rsp_pkts);
	INIT_WORK(&qp->task, prxe_qp_task);
	timer_setup(&qp->retrans_timer, prxe_retrans_timer_fn, 0);
	timer_setup(&qp->rnr_timer, prxe_rnr_timer_fn, 0);

	err = prxe_qp_fault_init(qp);
	if (err)
		return err;
	err = dst_cache_init(&qp->route, GFP_KERNEL);
	if (err)
		goto err_fault;
	err = prxe_qp_init_queues(qp, init, uctx, &resp);
	if (err)
		goto err_route;

	if (init->qp_type == IB_QPT_GSI) {
		qpn = PRXE_GSI_QPN;
		err = xa_insert(&prxe->qps, qpn, qp, GFP_KERNEL);
	} else {
		err = xa_alloc_cyclic(&prxe->qps, &qpn, qp,
				      XA_LIMIT(PRXE_MIN_QPN, PRXE_MAX_QPN),
				      &prxe->next_qpn, GFP_KERNEL);
	}
	if (err < 0)
		goto err_queues;
	ibqp->qp_num = qpn;

	if (udata) {
		err = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (err)
			goto err_xa;
	}
	return 0;

err_xa:
	xa_erase(&prxe->qps, qpn);
	synchronize_rcu();
err_queues:
	kvfree(qp->swqes);
	kfree(qp->resp.rwqe);
	prxe_ring_cleanup(&qp->rq);
	prxe_ring_cleanup(&qp->sq);
err_route:
	dst_cache_destroy(&qp->route);
err_fault:
	prxe_qp_fault_release(qp);
	return err;
}

static int prxe_qp_check_attr(struct prxe_qp *qp, struct ib_qp_attr *attr,
			      int mask)
{
	struct ib_device *ibdev = qp->ibqp.device;

	if ((mask & IB_QP_PORT) && attr->port_num != PRXE_PORT)
		return -EINVAL;
	if ((mask & IB_QP_PKEY_INDEX) && attr->pkey_index >= 1)
		return -EINVAL;
	if ((mask & IB_QP_PATH_MTU) &&
	    (attr->path_mtu < IB_MTU_256 || attr->path_mtu > IB_MTU_4096)) {
		ibdev_dbg(ibdev, "modify_qp: path MTU %d not in 256..4096\n",
			  attr->path_mtu);
		return -EINVAL;
	}
	if ((mask & IB_QP_MAX_QP_RD_ATOMIC) &&
	    attr->max_rd_atomic > PRXE_MAX_RD_ATOMIC)
		return -EINVAL;
	if ((mask & IB_QP_MAX_DEST_RD_ATOMIC) &&
	    attr->max_dest_rd_atomic > PRXE_MAX_RD_ATOMIC)
		return -EINVAL;
	if ((mask & IB_QP_TIMEOUT) && attr->timeout > 31)
		return -EINVAL;
	if ((mask & IB_QP_RETRY_CNT) && attr->retry_cnt > 7)
		return -EINVAL;
	if ((mask & IB_QP_RNR_RETRY) && attr->rnr_retry > 7)
		return -EINVAL;
	if ((mask & IB_QP_MIN_RNR_TIMER) && attr->min_rnr_timer > 31)
		return -EINVAL;
	if ((mask & IB_QP_DEST_QPN) && attr->dest_qp_num > PRXE_MAX_QPN)
		return -EINVAL;
	return 0;
}

/*
 * Forget all protocol state and queued work (to RESET).  A WQE taken from
 * an SRQ for a message still in progress is the SRQ's: it goes back there.
 */
static void prxe_qp_reset(struct prxe_qp *qp)
{
	struct prxe_srq *srq = prxe_qp_srq(qp);

	if (srq && qp->resp.have_rwqe)
		prxe_srq_give_back(srq, qp->resp.rwqe);
	qp->last_wqe_reached = false;
	prxe_ring_reset(&qp->sq);
	prxe_ring_reset(&qp->rq);
	memset(qp->swqes, 0, qp->sq.num_entries * qp->swqe_size);
	memset(&qp->req, 0, sizeof(qp->req));
	memset(&qp->comp, 0, sizeof(qp->comp));
	prxe_resp_release(qp);
	qp->resp.in_msg = 0;
	qp->resp.have_rwqe = false;
	qp->resp.nak_sent = false;
	qp->resp.msn = 0;
	memset(qp->resp.atomics, 0, sizeof(qp->resp.atomics));
	qp->resp.atomic_next = 0;
	prxe_qp_pkts_discard(qp, &qp->req_pkts);
	prxe_qp_pkts_discard(qp, &qp->rsp_pkts);
	qp->av_valid = false;
}

int prxe_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_udata *udata)
{
	struct prxe_qp *qp = to_prxe_qp(ibqp);
	enum ib_qp_state cur, new;
	struct prxe_av av;
	int err;

	if (mask & ~IB_QP_ATTR_STANDARD_BITS)
		return -EOPNOTSUPP;
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;

	mutex_lock(&qp->mutex);
	cur = (mask & IB_QP_CUR_STATE) ? attr->cur_qp_state : qp->state;
	new = (mask & IB_QP_STATE) ? attr->qp_state : cur;
	if (!ib_modify_qp_is_ok(cur, new, ibqp->qp_type, mask)) {
		ibdev_dbg(ibqp->device,
			  "modify_qp %u: %d -> %d with mask %#x not allowed\n",
			  ibqp->qp_num, cur, new, mask);
		err = -EINVAL;
		goto out;
	}
	err = prxe_qp_check_attr(qp, attr, mask);
	if (err)
		goto out;
	if (mask & IB_QP_AV) {
		err = prxe_av_from_ah_attr(&av, &attr->ah_attr);
		if (err)
			goto out;
	}

	if (mask & IB_QP_ACCESS_FLAGS)
		qp->access = attr->qp_access_flags;
	if (mask & IB_QP_AV) {
		qp->av = av;
		qp->av_valid = true;
		/* The task is not running (qp->mutex): no one uses the cache. */
		dst_cache_reset(&qp->route);
	}
	if (mask & IB_QP_PATH_MTU) {
		qp->path_mtu = attr->path_mtu;
		qp->mtu = ib_mtu_enum_to_int(attr->path_mtu);
	}
	if (mask & IB_QP_TIMEOUT)
		qp->timeout = attr->timeout;
	if (mask & IB_QP_RETRY_CNT)
		qp->retry_cnt = attr->retry_cnt;
	if (mask & IB_QP_RNR_RETRY)
		qp->rnr_retry = attr->rnr_retry;
	if (mask & IB_QP_MIN_RNR_TIMER)
		qp->min_rnr_timer = attr->min_rnr_timer;
	if (mask & IB_QP_MAX_QP_RD_ATOMIC)
		qp->max_rd_atomic = attr->max_rd_atomic;
	if (mask & IB_QP_MAX_DEST_RD_ATOMIC)
		qp->max_dest_rd_atomic = attr->max_dest_rd_atomic;
	if (mask & IB_QP_DEST_QPN)
		qp->dest_qpn = attr->dest_qp_num;
	if (mask & IB_QP_QKEY)
		qp->qkey = attr->qkey;
	if (mask & IB_QP_RQ_PSN) {
		qp->rq_psn = attr->rq_psn & PRXE_PSN_MASK;
		qp->resp.epsn = qp->rq_psn;
	}
	if (mask & IB_QP_SQ_PSN) {
		qp->sq_psn = attr->sq_psn & PRXE_PSN_MASK;
		qp->req.psn = qp->sq_psn;
		qp->req.max_psn = qp->sq_psn;
		qp->comp.psn = qp->sq_psn;
	}
	if (mask & IB_QP_EN_SQD_ASYNC_NOTIFY)
		qp->sqd_notify = attr->en_sqd_async_notify;

	if (new == IB_QPS_RESET) {
		prxe_qp_reset(qp);
		prxe_qp_fault_reset(qp);
	}
	/* To SQD: the task drains the send queue and says when (SQ_DRAINED). */
	if (new == IB_QPS_SQD && cur != IB_QPS_SQD)
		qp->sq_drained = false;
	if (new == IB_QPS_RTS && cur != IB_QPS_RTS) {
		qp->comp.retry_left = qp->retry_cnt;
		qp->comp.rnr_retry_left = qp->rnr_retry;
	}
	qp->state = new;
out:
	mutex_unlock(&qp->mutex);
	if (!err)
		prxe_qp_schedule(qp);	/* flushes on ERR, resumes on RTS */
	return err;
}

int prxe_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		  struct ib_qp_init_attr *init)
{
	struct prxe_qp *qp = to_prxe_qp(ibqp);

	memset(attr, 0, sizeof(*attr));
	memset(init, 0, sizeof(*init));

	mutex_lock(&qp->mutex);
	attr->qp_state = qp->state;
	attr->cur_qp_state = qp->state;
	attr->path_mtu = qp->path_mtu;
	attr->path_mig_state = IB_MIG_MIGRATED;
	attr->qp_access_flags = qp->access;
	attr->rq_psn = qp->resp.epsn;
	attr->sq_psn = qp->req.psn;
	attr->dest_qp_num = qp->dest_qpn;
	attr->qkey = qp->qkey;
	attr->port_num = PRXE_PORT;
	attr->timeout = qp->timeout;
	attr->retry_cnt = qp->retry_cnt;
	attr->rnr_retry = qp->rnr_retry;
	attr->min_rnr_timer = qp->min_rnr_timer;
	attr->max_rd_atomic = qp->max_rd_atomic;
	attr->max_dest_rd_atomic = qp->max_dest_rd_atomic;
	attr->en_sqd_async_notify = qp->sqd_notify;
	attr->sq_draining = qp->state == IB_QPS_SQD && !qp->sq_drained;
	if (qp->av_valid)
		prxe_av_to_ah_attr(&qp->av, ibqp->device, &attr->ah_attr);
	attr->cap.max_send_wr = qp->max_send_wr;
	attr->cap.max_recv_wr = qp->max_recv_wr;
	attr->cap.max_send_sge = qp->max_send_sge;
	attr->cap.max_recv_sge = qp->max_recv_sge;
	attr->cap.max_inline_data = qp->max_inline;
	mutex_unlock(&qp->mutex);

	init->qp_type = ibqp->qp_type;
	init->send_cq = ibqp->send_cq;
	init->recv_cq = ibqp->recv_cq;
	init->srq = ibqp->srq;
	init->cap = attr->cap;
	init->sq_sig_type = qp->sq_sig_all ? IB_SIGNAL_ALL_WR : IB_SIGNAL_REQ_WR;
	return 0;
}

/*
 * The engines' state for `rdma resource show qp -d`: what a stalled or
 * slow connection is waiting for.
 */
int prxe_fill_res_qp_entry(struct sk_buff *msg, struct ib_qp *ibqp)
{
	struct prxe_qp *qp = to_prxe_qp(ibqp);
	struct nlattr *table;
	int err;

	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		return -EMSGSIZE;
	mutex_lock(&qp->mutex);
	err = rdma_nl_put_driver_u32(msg, "sq_posted",
				     prxe_ring_avail(&qp->sq)) ?:
	      rdma_nl_put_driver_u32(msg, "sq_sent", qp->req.next - qp->sq.kidx) ?:
	      rdma_nl_put_driver_u32_hex(msg, "req_psn", qp->req.psn) ?:
	      rdma_nl_put_driver_u32_hex(msg, "req_max_psn", qp->req.max_psn) ?:
	      rdma_nl_put_driver_u32_hex(msg, "comp_psn", qp->comp.psn) ?:
	      rdma_nl_put_driver_u32(msg, "retry_left", qp->comp.retry_left) ?:
	      rdma_nl_put_driver_u32(msg, "rnr_wait", qp->comp.rnr_wait) ?:
	      rdma_nl_put_driver_u32(msg, "timer",
				     timer_pending(&qp->retrans_timer)) ?:
	      rdma_nl_put_driver_u32_hex(msg, "resp_epsn", qp->resp.epsn) ?:
	      rdma_nl_put_driver_u32(msg, "nak_sent", qp->resp.nak_sent) ?:
	      rdma_nl_put_driver_u32(msg, "rq_posted", prxe_ring_avail(&qp->rq)) ?:
	      rdma_nl_put_driver_u32(msg, "req_pkts", skb_queue_len(&qp->req_pkts)) ?:
	      rdma_nl_put_driver_u32(msg, "rsp_pkts", skb_queue_len(&qp->rsp_pkts));
	mutex_unlock(&qp->mutex);
	if (err) {
		nla_nest_cancel(msg, table);
		return err;
	}
	nla_nest_end(msg, table);
	return 0;
}

int prxe_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata)
{
	struct prxe_qp *qp = to_prxe_qp(ibqp);

	/* No new packets from the receive path once an RCU grace passed. */
	xa_erase(&qp->prxe->qps, ibqp->qp_num);
	synchronize_rcu();

	mutex_lock(&qp->mutex);
	qp->destroyed = true;
	mutex_unlock(&qp->mutex);
	timer_shutdown_sync(&qp->retrans_timer);
	timer_shutdown_sync(&qp->rnr_timer);
	/* A fault worker must not schedule the task from now on. */
	prxe_qp_fault_release(qp);
	cancel_work_sync(&qp->task);

	prxe_qp_reset(qp);
	kvfree(qp->swqes);
	kfree(qp->resp.rwqe);
	prxe_ring_cleanup(&qp->rq);
	prxe_ring_cleanup(&qp->sq);
	dst_cache_destroy(&qp->route);
	return 0;
}

/*
 * Send doorbell.  The provider writes work requests into the shared send
 * ring and then issues POST_SEND with no work requests; ib_uverbs passes
 * that on with @wr NULL.  Kernel consumers post work requests
 * (prxe_kverbs.c).
 */
int prxe_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		   const struct ib_send_wr **bad_wr)
{
	if (!ibqp->uobject)
		return prxe_kpost_send(to_prxe_qp(ibqp), wr, bad_wr);
	if (wr) {
		*bad_wr = wr;
		return -EOPNOTSUPP;
	}
	prxe_qp_doorbell(to_prxe_qp(ibqp));
	return 0;
}

/* Receive doorbell: only needed to flush receives posted in ERR. */
int prxe_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		   const struct ib_recv_wr **bad_wr)
{
	if (!ibqp->uobject)
		return prxe_kpost_recv(to_prxe_qp(ibqp), wr, bad_wr);
	if (wr) {
		*bad_wr = wr;
		return -EOPNOTSUPP;
	}
	prxe_qp_schedule(to_prxe_qp(ibqp));
	return 0;
}

/*
 * Move the QP to the error state (from the engines, under qp->mutex); the
 * error itself is reported by the completion that caused it, and the task
 * then flushes all other outstanding work requests.
 */
void prxe_qp_error(struct prxe_qp *qp)
{
	lockdep_assert_held(&qp->mutex);
	qp->state = IB_QPS_ERR;
}

/* An affiliated asynchronous event of @qp to its event handler. */
void prxe_qp_event(struct prxe_qp *qp, enum ib_event_type event)
{
	struct ib_event ev = {
		.device = qp->ibqp.device,
		.element.qp = &qp->ibqp,
		.event = event,
	};

	if (qp->ibqp.event_handler)
		qp->ibqp.event_handler(&ev, qp->ibqp.qp_context);
}

/*
 * Move the QP to the error state for a reason no completion reports (a
 * request the responder refused, a completion lost to an overrun CQ): the
 * consumer hears of it through @event, once, from the engine that put the
 * QP in ERR.  A QP already in ERR got its event, or was put there by the
 * application.
 */
void prxe_qp_error_event(struct prxe_qp *qp, enum ib_event_type event)
{
	lockdep_assert_held(&qp->mutex);
	if (qp->state == IB_QPS_ERR)
		return;
	prxe_qp_error(qp);
	prxe_qp_event(qp, event);
}
