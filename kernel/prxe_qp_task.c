// SPDX-License-Identifier: GPL-2.0-only
/*
 * The task of a QP: one work item that runs the QP's completer, responder
 * and requester until none has anything left to do, and flushes the QP's
 * work requests once it is in the error state.
 *
 * Everything that happens on a QP's wire protocol happens here, under
 * qp->mutex: in the task (a work item never runs concurrently with
 * itself), or in the send doorbell's system call when the QP is idle
 * (prxe_qp_doorbell()).  The receive softirq, timers and modify_qp only
 * schedule the task.
 *
 * Each engine asserts qp->mutex where it is entered; the lock order is in
 * docs/ARCHITECTURE.md.  Event handlers are called under qp->mutex only.
 */
#include "prxe.h"
#include "prxe_cq.h"
#include "prxe_mr.h"
#include "prxe_net.h"
#include "prxe_opcode.h"
#include "prxe_qp.h"
#include "prxe_ud.h"

/* Work items per QP before the task yields the CPU to others. */
#define PRXE_TASK_BUDGET	64

static struct workqueue_struct *prxe_wq;

/*
 * An unbound workqueue: a QP's task runs wherever the scheduler finds room
 * (next to a busy-polling application, often the other CPU).  Binding each
 * QP's task to one CPU was tried and cost latency (docs/PERFORMANCE.md).
 * A QP's packets still arrive in order from whichever CPU they leave:
 * one to a local address is queued for its QP within prxe_pkt_xmit(), and
 * on veth each prxe_pkt_xmit() processes its CPU's receive backlog when it
 * re-enables BHs, before the task sends again from anywhere else.
 * (Only when softirq work is pushed to ksoftirqd under load may a packet
 * be overtaken; the peer then NAKs and the requester resends: slower,
 * never wrong.)
 */
int prxe_task_init(void)
{
	prxe_wq = alloc_workqueue("prxe", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	return prxe_wq ? 0 : -ENOMEM;
}

void prxe_task_exit(void)
{
	destroy_workqueue(prxe_wq);
}

void prxe_qp_schedule(struct prxe_qp *qp)
{
	queue_work(prxe_wq, &qp->task);
}

/* Other work of the QPs (the responder's page faults). */
void prxe_queue_work(struct work_struct *work)
{
	queue_work(prxe_wq, work);
}

/*
 * Add a completion for @qp to @cq.  An overrun CQ loses it and puts the QP
 * in the error state; as no completion can tell of that, the QP's consumer
 * gets IB_EVENT_QP_FATAL (and the CQ's IB_EVENT_CQ_ERR, prxe_cq.c).
 */
int prxe_qp_complete(struct prxe_qp *qp, struct prxe_cq *cq,
		     struct prxe_cqe *cqe, bool solicited)
{
	int err;

	cqe->qp_num = qp->ibqp.qp_num;
	cqe->port_num = PRXE_PORT;
	err = prxe_cq_post(cq, cqe, solicited);
	if (err)
		prxe_qp_error_event(qp, IB_EVENT_QP_FATAL);
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
	case IB_UVERBS_WR_FLUSH:
		return IB_WC_FLUSH;
	case IB_UVERBS_WR_ATOMIC_WRITE:
		return IB_WC_ATOMIC_WRITE;
	default:
		return IB_WC_SEND;
	}
}

/*
 * byte_len of a successful send completion: what a READ or an atomic
 * placed, the range a FLUSH flushed, ATOMIC WRITE's 8 bytes (as rdma_rxe
 * reports them); 0 for what was sent (IBTA leaves it undefined).
 */
static u32 prxe_swqe_byte_len(const struct prxe_swqe *swqe)
{
	switch (swqe->wr.opcode) {
	case IB_UVERBS_WR_FLUSH:
		return swqe->wr.wr.flush.length;
	case IB_UVERBS_WR_ATOMIC_WRITE:
		return sizeof(u64);
	default:
		return prxe_swqe_is_read(swqe) ? swqe->length : 0;
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
		if (status == IB_WC_SUCCESS)
			cqe.byte_len = prxe_swqe_byte_len(swqe);
	} else {
		struct prxe_send_wqe *wqe = prxe_ring_entry(&qp->sq, idx);

		cqe.wr_id = READ_ONCE(wqe->wr_id);
		opcode = READ_ONCE(wqe->opcode);
	}
	cqe.opcode = prxe_wc_opcode_of_wr(opcode);

	/* The slot's next work request is a new one. */
	prxe_swqe(qp, idx)->started = false;
	prxe_swqe(qp, idx)->local_status = 0;
	prxe_ring_consume(&qp->sq, 1);
	if (qp->req.next - qp->sq.kidx > qp->sq.num_entries)
		qp->req.next = qp->sq.kidx;

	if (signaled)
		prxe_qp_complete(qp, to_prxe_cq(qp->ibqp.send_cq), &cqe, false);
}

/* The flushed completion of receive WQE @wr_id. */
static void prxe_qp_flush_recv(struct prxe_qp *qp, u64 wr_id)
{
	struct prxe_cqe cqe = {
		.wr_id = wr_id,
		.status = IB_WC_WR_FLUSH_ERR,
		.opcode = IB_WC_RECV,
		.qp_num = qp->ibqp.qp_num,
		.port_num = PRXE_PORT,
	};

	/* An overrun here changes nothing: the QP is in error already. */
	prxe_cq_post(to_prxe_cq(qp->ibqp.recv_cq), &cqe, false);
}

/*
 * A QP on an SRQ in ERR: the WQE it took for a message in progress is
 * flushed (the SRQ's other WQEs are not: they belong to no QP), after
 * which the QP will take no more, which IBTA (11.6.3.1) has the consumer
 * told of once per entry into ERR: IB_EVENT_QP_LAST_WQE_REACHED.
 */
static void prxe_qp_flush_srq(struct prxe_qp *qp)
{
	if (qp->resp.have_rwqe) {
		qp->resp.have_rwqe = false;
		prxe_qp_flush_recv(qp, qp->resp.rwqe->wr.wr_id);
	}
	if (!qp->last_wqe_reached) {
		qp->last_wqe_reached = true;
		prxe_qp_event(qp, IB_EVENT_QP_LAST_WQE_REACHED);
	}
}

/* Complete every outstanding work request with IB_WC_WR_FLUSH_ERR. */
static void prxe_qp_flush(struct prxe_qp *qp)
{
	u32 n;

	/*
	 * Tell the provider to ring the doorbell for what it posts from now
	 * on; the barrier orders the flag before the producer indices read
	 * below (prxe-abi.h, PRXE_RING_F_QP_ERR).
	 */
	WRITE_ONCE(qp->sq.hdr->kflags, PRXE_RING_F_QP_ERR);
	WRITE_ONCE(qp->rq.hdr->kflags, PRXE_RING_F_QP_ERR);
	smp_mb();

	del_timer(&qp->retrans_timer);
	del_timer(&qp->rnr_timer);
	prxe_qp_pkts_discard(qp, &qp->req_pkts);
	prxe_qp_pkts_discard(qp, &qp->rsp_pkts);
	prxe_resp_release(qp);

	for (n = prxe_ring_avail(&qp->sq); n; n--)
		prxe_qp_complete_send(qp, qp->sq.kidx, IB_WC_WR_FLUSH_ERR);
	qp->req.next = qp->sq.kidx;

	for (n = prxe_ring_avail(&qp->rq); n; n--) {
		struct prxe_recv_wqe *wqe = prxe_ring_entry(&qp->rq, qp->rq.kidx);
		u64 wr_id = READ_ONCE(wqe->wr_id);

		prxe_ring_consume(&qp->rq, 1);
		prxe_qp_flush_recv(qp, wr_id);
	}
	if (prxe_qp_srq(qp))
		prxe_qp_flush_srq(qp);
	qp->resp.have_rwqe = false;
}

/*
 * In SQD, once no work request is in flight any more (the requester
 * starts no new one there): tell the consumer, once, if it asked.
 */
static void prxe_qp_check_drained(struct prxe_qp *qp)
{
	if (qp->state != IB_QPS_SQD || qp->sq_drained ||
	    qp->sq.kidx != qp->req.next ||
	    (prxe_ring_avail(&qp->sq) && prxe_swqe(qp, qp->req.next)->started))
		return;
	qp->sq_drained = true;
	if (qp->sqd_notify)
		prxe_qp_event(qp, IB_EVENT_SQ_DRAINED);
}

/*
 * Run @qp's engines until none has anything left to do, or for @budget
 * steps; true if work is left.  Under qp->mutex.
 */
static bool prxe_qp_run(struct prxe_qp *qp, int budget)
{
	/* The engines may wait for a page fault a little (prxe_fault.c). */
	might_sleep();
	lockdep_assert_held(&qp->mutex);
	for (; budget > 0 && !qp->destroyed; budget--) {
		bool busy;

		if (qp->state == IB_QPS_ERR) {
			prxe_qp_flush(qp);
			return false;
		}
		if (prxe_qp_is_datagram(qp)) {
			busy = prxe_ud_recv_run(qp);
			busy |= prxe_ud_send_run(qp);
		} else {
			busy = prxe_comp_run(qp);
			busy |= prxe_resp_run(qp);
			busy |= prxe_req_run(qp);
		}
		if (!busy) {
			prxe_qp_check_drained(qp);
			return false;
		}
	}
	return budget <= 0;
}

void prxe_qp_task(struct work_struct *work)
{
	struct prxe_qp *qp = container_of(work, struct prxe_qp, task);
	bool more;

	mutex_lock(&qp->mutex);
	more = prxe_qp_run(qp, PRXE_TASK_BUDGET);
	mutex_unlock(&qp->mutex);
	if (more)
		prxe_qp_schedule(qp);
}

/*
 * The send doorbell, in the posting process's system call: if no one runs
 * the QP's engines right now, run them here, which spares a hand-off to a
 * worker on the way to the wire.  Otherwise (or for what is left after the
 * budget) the task does it.
 */
void prxe_qp_doorbell(struct prxe_qp *qp)
{
	bool more;

	if (!mutex_trylock(&qp->mutex)) {
		prxe_qp_schedule(qp);
		return;
	}
	more = prxe_qp_run(qp, PRXE_TASK_BUDGET);
	mutex_unlock(&qp->mutex);
	if (more)
		prxe_qp_schedule(qp);
}
