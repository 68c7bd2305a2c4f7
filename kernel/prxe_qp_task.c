// SPDX-License-Identifier: GPL-2.0-only
/*
 * The task of a QP: one work item that runs the QP's completer, responder
 * and requester until none has anything left to do, and flushes the QP's
 * work requests once it is in the error state.
 *
 * Everything that happens on a QP's wire protocol happens here, under
 * qp->mutex, one QP task at a time (a work item never runs concurrently
 * with itself).  Doorbells, the receive softirq, timers and modify_qp
 * only schedule it.
 *
 * Lock order: qp->mutex -> cq->lock.
 */
#include "prxe.h"
#include "prxe_cq.h"
#include "prxe_mr.h"
#include "prxe_net.h"
#include "prxe_opcode.h"
#include "prxe_qp.h"

/* Work items per QP before the task yields the CPU to others. */
#define PRXE_TASK_BUDGET	64

static struct workqueue_struct *prxe_wq;

/*
 * A per-CPU workqueue, and each QP's task always queued on the same CPU:
 * packets a QP sends from one CPU enter the peer's receive backlog of that
 * CPU in order.  From several CPUs they could overtake each other, which
 * the peer would take for loss.
 */
int prxe_task_init(void)
{
	prxe_wq = alloc_workqueue("prxe", WQ_MEM_RECLAIM, 0);
	return prxe_wq ? 0 : -ENOMEM;
}

void prxe_task_exit(void)
{
	destroy_workqueue(prxe_wq);
}

void prxe_qp_schedule(struct prxe_qp *qp)
{
	queue_work_on(qp->cpu, prxe_wq, &qp->task);
}

/*
 * Add a completion for @qp to @cq.  An overrun CQ loses it and puts the QP
 * in the error state.
 */
int prxe_qp_complete(struct prxe_qp *qp, struct prxe_cq *cq,
		     struct prxe_cqe *cqe, bool solicited)
{
	int err;

	cqe->qp_num = qp->ibqp.qp_num;
	cqe->port_num = PRXE_PORT;
	err = prxe_cq_post(cq, cqe, solicited);
	if (err)
		prxe_qp_error(qp);
	return err;
}

static u32 prxe_wc_opcode_of_wr(u32 wr_opcode)
{
	switch (wr_opcode) {
	case IB_UVERBS_WR_RDMA_WRITE:
	case IB_UVERBS_WR_RDMA_WRITE_WITH_IMM:
		return IB_WC_RDMA_WRITE;
	case IB_UVERBS_WR_RDMA_READ:
		return IB_WC_RDMA_READ;
	case IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
		return IB_WC_COMP_SWAP;
	case IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD:
		return IB_WC_FETCH_ADD;
	default:
		return IB_WC_SEND;
	}
}

/*
 * The completion of send WQE @idx, the oldest (taken or not yet taken from
 * the ring).  The slot is released before the completion is visible: an
 * application that polls it may post again at once.
 */
void prxe_qp_complete_send(struct prxe_qp *qp, u32 idx, u32 status)
{
	struct prxe_cqe cqe = { .status = status };
	bool signaled = true;
	u32 opcode;

	if (idx - qp->sq.kidx < qp->req.next - qp->sq.kidx) {
		struct prxe_swqe *swqe = prxe_swqe(qp, idx);

		cqe.wr_id = swqe->wr.wr_id;
		opcode = swqe->wr.opcode;
		signaled = swqe->signaled || status != IB_WC_SUCCESS;
		if (status == IB_WC_SUCCESS &&
		    opcode == IB_UVERBS_WR_RDMA_READ)
			cqe.byte_len = swqe->length;
	} else {
		struct prxe_send_wqe *wqe = prxe_ring_entry(&qp->sq, idx);

		cqe.wr_id = READ_ONCE(wqe->wr_id);
		opcode = READ_ONCE(wqe->opcode);
	}
	cqe.opcode = prxe_wc_opcode_of_wr(opcode);

	/* The slot's next work request is a new one. */
	prxe_swqe(qp, idx)->started = false;
	prxe_ring_consume(&qp->sq, 1);
	if (qp->req.next - qp->sq.kidx > qp->sq.num_entries)
		qp->req.next = qp->sq.kidx;

	if (signaled)
		prxe_qp_complete(qp, to_prxe_cq(qp->ibqp.send_cq), &cqe, false);
}

/* Complete every outstanding work request with IB_WC_WR_FLUSH_ERR. */
static void prxe_qp_flush(struct prxe_qp *qp)
{
	struct prxe_cq *rcq = to_prxe_cq(qp->ibqp.recv_cq);
	u32 n;

	del_timer(&qp->retrans_timer);
	del_timer(&qp->rnr_timer);
	skb_queue_purge(&qp->req_pkts);
	skb_queue_purge(&qp->rsp_pkts);
	prxe_resp_release(qp);

	for (n = prxe_ring_avail(&qp->sq); n; n--)
		prxe_qp_complete_send(qp, qp->sq.kidx, IB_WC_WR_FLUSH_ERR);
	qp->req.next = qp->sq.kidx;

	for (n = prxe_ring_avail(&qp->rq); n; n--) {
		struct prxe_recv_wqe *wqe = prxe_ring_entry(&qp->rq, qp->rq.kidx);
		struct prxe_cqe cqe = {
			.wr_id = READ_ONCE(wqe->wr_id),
			.status = IB_WC_WR_FLUSH_ERR,
			.opcode = IB_WC_RECV,
		};

		cqe.qp_num = qp->ibqp.qp_num;
		cqe.port_num = PRXE_PORT;
		prxe_ring_consume(&qp->rq, 1);
		/* An overrun here changes nothing: the QP is in error already. */
		prxe_cq_post(rcq, &cqe, false);
	}
	qp->resp.have_rwqe = false;
}

void prxe_qp_task(struct work_struct *work)
{
	struct prxe_qp *qp = container_of(work, struct prxe_qp, task);
	int budget;

	mutex_lock(&qp->mutex);
	for (budget = PRXE_TASK_BUDGET; budget > 0 && !qp->destroyed; budget--) {
		bool busy;

		if (qp->state == IB_QPS_ERR) {
			prxe_qp_flush(qp);
			break;
		}
		busy = prxe_comp_run(qp);
		busy |= prxe_resp_run(qp);
		busy |= prxe_req_run(qp);
		if (!busy)
			break;
	}
	mutex_unlock(&qp->mutex);
	if (budget <= 0)
		prxe_qp_schedule(qp);
}

/*
 * A new packet of @qp to its peer: BTH filled, extension headers zeroed,
 * @paylen bytes of payload and the pad left to the caller.
 */
struct sk_buff *prxe_qp_pkt_new(struct prxe_qp *qp, u8 opcode, u32 paylen,
				u32 psn, bool ack_req, bool se,
				struct prxe_bth **bthp)
{
	const struct prxe_opcode_info *info = prxe_opcode_info(opcode);
	u8 pad = prxe_pad_for(paylen);
	struct sk_buff *skb;
	u8 *hdr;

	skb = prxe_pkt_alloc(qp->prxe, &qp->av, info->length + paylen + pad,
			     GFP_KERNEL);
	if (!skb)
		return NULL;
	hdr = skb->data;
	memset(hdr, 0, info->length);
	memset(hdr + info->length + paylen, 0, pad);
	*bthp = (struct prxe_bth *)hdr;
	prxe_bth_init(*bthp, opcode, se, pad, PRXE_DEFAULT_PKEY, qp->dest_qpn,
		      ack_req, psn);
	return skb;
}

void prxe_qp_pkt_send(struct prxe_qp *qp, struct sk_buff *skb)
{
	prxe_pkt_xmit(qp->prxe, &qp->av, skb, qp->ibqp.qp_num, qp->dest_qpn);
}
