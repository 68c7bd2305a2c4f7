// SPDX-License-Identifier: GPL-2.0-only
/*
 * The completer: acknowledgements, NAKs and RDMA READ responses coming back
 * to the requester; retiring work requests into completions; the
 * retransmit and RNR timers.
 *
 * Work requests retire in order.  An ACK for PSN p retires every SEND /
 * RDMA WRITE whose last PSN is at or before p; a READ retires when its last
 * response has been placed, an atomic when its ATOMIC ACKNOWLEDGE has (the
 * original remote data, into the local SGE).  Each READ in flight places
 * its responses on its own, a few ahead of a missing one; one far ahead (or
 * an ACK past the READ) asks again for the rest of that READ alone
 * (prxe_req_reread()).
 * NAK (PSN sequence error) and timeouts rewind the requester to the oldest
 * work request not retired (prxe_req_rewind()); an RNR NAK pauses the
 * requester for the time the responder asked for.
 * Errors the responder reports complete the work request with the matching
 * status and put the QP in the error state.
 *
 * A response whose data waits for a fault of the local ODP buffer stays
 * queued until the fault worker is done (prxe_qp_copy()); meanwhile, and
 * while the requester waits for one of a payload it sends, the retransmit
 * timer does not count against the peer (for 30 s of one fault at most).
 *
 * Runs in the QP task under qp->mutex; the timers only set an event bit
 * and schedule the task.
 */
#include <linux/jiffies.h>

#include "prxe.h"
#include "prxe_counters.h"
#include "prxe_mr.h"
#include "prxe_net.h"
#include "prxe_opcode.h"
#include "prxe_qp.h"

/*
 * READ responses placed ahead of the first missing one, at most (the bits
 * of prxe_swqe.read_ahead), and how far ahead one must be for the missing
 * one to count as lost rather than overtaken.
 */
#define PRXE_READ_AHEAD		64
#define PRXE_READ_REORDER	32

/* IBTA table 45: the RNR NAK timer codes, in microseconds. */
static const u32 prxe_rnr_timer_us[32] = {
	655360, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960,
	1280, 1920, 2560, 3840, 5120, 7680, 10240, 15360, 20480, 30720,
	40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520,
};

void prxe_retrans_timer_fn(struct timer_list *t)
{
	struct prxe_qp *qp = from_timer(qp, t, retrans_timer);

	set_bit(PRXE_COMP_TIMEOUT, &qp->comp.events);
	prxe_qp_schedule(qp);
}

void prxe_rnr_timer_fn(struct timer_list *t)
{
	struct prxe_qp *qp = from_timer(qp, t, rnr_timer);

	set_bit(PRXE_COMP_RNR_DONE, &qp->comp.events);
	prxe_qp_schedule(qp);
}

/*
 * Anything sent and not yet acknowledged?  Measured against the highest
 * PSN sent, so that ACKs still count while a rewind is resending.
 */
static bool prxe_comp_outstanding(struct prxe_qp *qp)
{
	return qp->sq.kidx != qp->req.next ||
	       prxe_psn_diff(qp->req.max_psn, qp->comp.psn) > 0;
}

/* Local ACK timeout: 4.096 us * 2^timeout; 0 means wait forever. */
void prxe_comp_arm_timer(struct prxe_qp *qp)
{
	unsigned long delay;

	if (!qp->timeout || timer_pending(&qp->retrans_timer))
		return;
	delay = max_t(unsigned long, nsecs_to_jiffies(4096ULL << qp->timeout),
		      1);
	mod_timer(&qp->retrans_timer, jiffies + delay);
}

/* Progress was made: a fresh timeout for what is still outstanding. */
static void prxe_comp_progress(struct prxe_qp *qp)
{
	qp->comp.retry_left = qp->retry_cnt;
	del_timer(&qp->retrans_timer);
	if (prxe_comp_outstanding(qp))
		prxe_comp_arm_timer(qp);
}

/* The oldest work request fails with @status; the QP goes to error. */
static void prxe_comp_fail(struct prxe_qp *qp, u32 status)
{
	/* Make sure the shadow copy is the one completed. */
	if (qp->req.next == qp->sq.kidx)
		qp->req.next = qp->sq.kidx + 1;
	prxe_qp_complete_send(qp, qp->sq.kidx, status);
	prxe_qp_error(qp);
}

/*
 * Retire, oldest first, the SEND / RDMA WRITE requests acknowledged up to
 * @psn and the READs whose responses have all been placed.
 */
static void prxe_comp_retire(struct prxe_qp *qp, u32 psn)
{
	while (qp->sq.kidx != qp->req.next && qp->state != IB_QPS_ERR) {
		struct prxe_swqe *swqe = prxe_swqe(qp, qp->sq.kidx);

		if (prxe_swqe_is_read(swqe) ?
		    !swqe->read_done :
		    prxe_psn_compare(swqe->last_psn, psn) > 0)
			break;
		if (prxe_swqe_is_read(swqe) &&
		    swqe->read_status != IB_WC_SUCCESS) {
			prxe_comp_fail(qp, swqe->read_status);
			break;
		}
		prxe_qp_complete_send(qp, qp->sq.kidx, IB_WC_SUCCESS);
	}
	if (prxe_psn_compare(psn, qp->comp.psn) >= 0)
		qp->comp.psn = prxe_psn_add(psn, 1);
	prxe_comp_local_failure(qp);
}

/*
 * The oldest work request failed in the requester (prxe_req_fail(): a
 * local SGE it could not read, a bad work request): now that those
 * before it completed, it completes with its error and the QP goes to
 * error, in the order the consumer posted them.
 */
void prxe_comp_local_failure(struct prxe_qp *qp)
{
	struct prxe_swqe *swqe;

	if (qp->state == IB_QPS_ERR || qp->sq.kidx != qp->req.next ||
	    !prxe_ring_avail(&qp->sq))
		return;
	swqe = prxe_swqe(qp, qp->sq.kidx);
	if (swqe->local_status)
		prxe_comp_fail(qp, swqe->local_status);
}

/*
 * The READ whose responses use @psn (or the atomic of @psn), among the
 * work requests taken from the send ring (sent, or sent and then rewound);
 * NULL if none.
 */
static struct prxe_swqe *prxe_comp_read_of(struct prxe_qp *qp, u32 psn)
{
	u32 idx, n = prxe_ring_avail(&qp->sq);

	for (idx = qp->sq.kidx; idx - qp->sq.kidx < n; idx++) {
		struct prxe_swqe *swqe = prxe_swqe(qp, idx);

		if (!swqe->started ||
		    prxe_psn_compare(swqe->first_psn, psn) > 0)
			break;
		if (prxe_swqe_is_read(swqe) &&
		    prxe_psn_compare(psn, swqe->last_psn) <= 0)
			return swqe;
	}
	return NULL;
}

/*
 * An acknowledgement of @psn: the responder has answered every READ
 * before it.  Responses of those that did not all arrive were lost.
 */
static void prxe_comp_reads_lost(struct prxe_qp *qp, u32 psn)
{
	u32 idx;

	for (idx = qp->sq.kidx; idx != qp->req.next; idx++) {
		struct prxe_swqe *swqe = prxe_swqe(qp, idx);

		if (prxe_psn_compare(swqe->last_psn, psn) > 0)
			break;
		if (prxe_swqe_is_read(swqe) &&
		    !swqe->read_done && !swqe->read_gap) {
			prxe_counter_inc(qp->prxe, PRXE_CNT_RETRANSMITS);
			prxe_req_reread(qp, swqe);
		}
	}
}

static void prxe_comp_timeout(struct prxe_qp *qp)
{
	if (!prxe_comp_outstanding(qp))
		return;
	/*
	 * The answer came and waits for our own buffer's page fault, or the
	 * next packet does (a slow disk, an invalidation storm that takes the
	 * pages again): the peer was not silent, we were.  A fault that has
	 * not ended after PRXE_FAULT_PATIENCE_MS counts as silence would, so
	 * that its request fails in bounded time (IB_WC_RETRY_EXC_ERR).
	 */
	if ((qp->comp.fault_wait || qp->req.fault_wait) &&
	    !prxe_qp_job_stuck(qp)) {
		prxe_comp_arm_timer(qp);
		return;
	}
	prxe_counter_inc(qp->prxe, PRXE_CNT_ACK_TIMEOUTS);
	if (!qp->comp.retry_left) {
		prxe_counter_inc(qp->prxe, PRXE_CNT_COMP_RETRY_EXCEEDED);
		prxe_comp_fail(qp, IB_WC_RETRY_EXC_ERR);
		return;
	}
	qp->comp.retry_left--;
	prxe_counter_inc(qp->prxe, PRXE_CNT_RETRANSMITS);
	prxe_req_flush_timeout(qp);
	prxe_req_rewind(qp);
	/* Armed again even if the requester cannot send right now. */
	prxe_comp_arm_timer(qp);
}

static void prxe_comp_rnr_nak(struct prxe_qp *qp, u32 psn, u8 syn)
{
	prxe_counter_inc(qp->prxe, PRXE_CNT_RNR_NAKS_RCVD);
	/* rnr_retry 7 means retry forever. */
	if (qp->rnr_retry != 7) {
		if (!qp->comp.rnr_retry_left) {
			prxe_comp_fail(qp, IB_WC_RNR_RETRY_EXC_ERR);
			return;
		}
		qp->comp.rnr_retry_left--;
	}
	qp->comp.psn = psn;
	qp->comp.rnr_wait = true;
	del_timer(&qp->retrans_timer);
	mod_timer(&qp->rnr_timer, jiffies + max_t(unsigned long, 1,
		  usecs_to_jiffies(prxe_rnr_timer_us[prxe_aeth_value(syn)])));
}

static void prxe_comp_ack(struct prxe_qp *qp, u32 psn, u8 syn)
{
	switch (prxe_aeth_type(syn)) {
	case PRXE_AETH_ACK:
		prxe_comp_retire(qp, psn);
		prxe_comp_reads_lost(qp, psn);
		prxe_comp_progress(qp);
		return;
	case PRXE_AETH_RNR_NAK:
		prxe_comp_retire(qp, prxe_psn_add(psn, PRXE_PSN_MASK));
		prxe_comp_rnr_nak(qp, psn, syn);
		return;
	}

	/* NAK: everything before @psn was received. */
	prxe_comp_retire(qp, prxe_psn_add(psn, PRXE_PSN_MASK));
	switch (syn) {
	case PRXE_AETH_NAK_PSN_SEQ_ERR:
		prxe_counter_inc(qp->prxe, PRXE_CNT_SEQ_NAKS_RCVD);
		prxe_counter_inc(qp->prxe, PRXE_CNT_RETRANSMITS);
		qp->comp.psn = psn;
		prxe_req_rewind(qp);
		prxe_comp_progress(qp);
		break;
	case PRXE_AETH_NAK_INVALID_REQ:
		prxe_comp_fail(qp, IB_WC_REM_INV_REQ_ERR);
		break;
	case PRXE_AETH_NAK_REM_ACCESS_ERR:
		prxe_comp_fail(qp, IB_WC_REM_ACCESS_ERR);
		break;
	default:
		prxe_comp_fail(qp, IB_WC_REM_OP_ERR);
		break;
	}
}

/*
 * An RDMA READ response: placed where its PSN says, even ahead of one that
 * has not arrived yet (placement is idempotent), within a window of
 * PRXE_READ_AHEAD responses past the first missing one; a response that
 * far ahead means the missing one was lost, not overtaken, and the rest of
 * the READ is asked for again (prxe_req_reread()), once until the READ
 * moves on.  Each READ in flight fills on its own; READs retire in order.
 * -EINPROGRESS: the local ODP buffer is being faulted in; the response is
 * taken again then (what was done of it so far is done again harmlessly).
 */
static int prxe_comp_read_response(struct prxe_qp *qp, struct prxe_pkt *pkt)
{
	u32 mask = pkt->info->mask;
	struct prxe_swqe *swqe;
	u32 index, expected, paylen;
	u64 off;
	s32 gap;
	int err;

	/* Responses come in order: earlier requests were all received. */
	prxe_comp_retire(qp, prxe_psn_add(pkt->psn, PRXE_PSN_MASK));
	swqe = prxe_comp_read_of(qp, pkt->psn);
	if (!swqe || swqe->read_done)
		return 0;		/* stale */

	index = prxe_psn_diff(pkt->psn, swqe->first_psn);
	expected = swqe->received / qp->mtu;
	gap = index - expected;
	if (gap < 0 || (gap < PRXE_READ_AHEAD &&
			(swqe->read_ahead & BIT_ULL(gap))))
		return 0;		/* duplicate */
	if (gap >= PRXE_READ_REORDER) {
		/* Responses lost: ask for the rest once. */
		if (!swqe->read_gap) {
			prxe_counter_inc(qp->prxe, PRXE_CNT_RETRANSMITS);
			prxe_req_reread(qp, swqe);
		}
		if (gap >= PRXE_READ_AHEAD)
			return 0;
	}

	off = (u64)index * qp->mtu;
	paylen = min_t(u64, qp->mtu, swqe->length - off);
	if (pkt->paylen != paylen ||
	    !(mask & PRXE_MASK_LAST) != (off + paylen != swqe->length)) {
		swqe->read_status = IB_WC_BAD_RESP_ERR;
	} else {
		err = prxe_qp_copy(qp, &(struct prxe_copy) {
			.sge = prxe_swqe_sge(swqe),
			.num_sge = swqe->wr.num_sge, .pd = qp->ibqp.pd,
			.access = IB_ACCESS_LOCAL_WRITE, .offset = off,
			.buf = prxe_pkt_payload(pkt), .len = paylen,
			.dir = PRXE_TO_MR,
			.ahead = min_t(u64, swqe->length - off - paylen,
				       PRXE_FAULT_AHEAD),
		});
		if (err == -EINPROGRESS)
			return err;
		if (err)
			swqe->read_status = err == -EMSGSIZE ?
				IB_WC_LOC_LEN_ERR : IB_WC_LOC_PROT_ERR;
	}

	if (gap > 0) {
		swqe->read_ahead |= BIT_ULL(gap);
	} else {
		/* In order: take it and what arrived ahead of it. */
		swqe->read_gap = false;
		do {
			swqe->received += min_t(u64, qp->mtu,
						swqe->length - swqe->received);
			swqe->read_ahead >>= 1;
		} while (swqe->read_ahead & 1);
	}
	/* The end of a response stream with holes: ask for the rest. */
	if ((mask & PRXE_MASK_LAST) && swqe->received < swqe->length &&
	    !swqe->read_gap && swqe->read_status == IB_WC_SUCCESS) {
		prxe_counter_inc(qp->prxe, PRXE_CNT_RETRANSMITS);
		prxe_req_reread(qp, swqe);
	}
	/* A FLUSH answered: its peer takes the ICRC it was sent with. */
	if (swqe->wr.opcode == IB_UVERBS_WR_FLUSH)
		qp->req.flush_icrc_known = true;
	/* Done: in full, or in error (reported when it is the oldest). */
	if (swqe->received == swqe->length ||
	    swqe->read_status != IB_WC_SUCCESS) {
		swqe->read_done = true;
		prxe_comp_retire(qp, prxe_psn_add(pkt->psn, PRXE_PSN_MASK));
		if (qp->state == IB_QPS_ERR)
			return 0;
	}
	if (prxe_psn_compare(pkt->psn, qp->comp.psn) >= 0)
		qp->comp.psn = prxe_psn_add(pkt->psn, 1);
	prxe_comp_progress(qp);
	return 0;
}

/*
 * An ATOMIC ACKNOWLEDGE: the original remote data goes into the atomic's
 * local SGE (8 bytes, in host order), and the atomic retires in its turn.
 * A second one for the same atomic (its request was sent again and
 * answered from the responder's replay memory) finds it done: stale.
 */
static int prxe_comp_atomic_ack(struct prxe_qp *qp, struct prxe_pkt *pkt)
{
	u64 orig = prxe_atmack_orig(prxe_atmack(pkt->info, pkt->bth));
	struct prxe_swqe *swqe;
	int err;

	prxe_comp_retire(qp, prxe_psn_add(pkt->psn, PRXE_PSN_MASK));
	swqe = prxe_comp_read_of(qp, pkt->psn);
	if (!swqe || !prxe_swqe_is_atomic(swqe) || swqe->read_done)
		return 0;		/* stale */
	err = prxe_qp_copy(qp, &(struct prxe_copy) {
		.sge = prxe_swqe_sge(swqe), .num_sge = swqe->wr.num_sge,
		.pd = qp->ibqp.pd, .access = IB_ACCESS_LOCAL_WRITE,
		.buf = &orig, .len = sizeof(orig), .dir = PRXE_TO_MR,
	});
	if (err == -EINPROGRESS)
		return err;
	if (err)
		swqe->read_status = err == -EMSGSIZE ?
			IB_WC_LOC_LEN_ERR : IB_WC_LOC_PROT_ERR;
	swqe->received = swqe->length;
	swqe->read_done = true;
	prxe_comp_retire(qp, pkt->psn);
	if (qp->state == IB_QPS_ERR)
		return 0;
	prxe_comp_progress(qp);
	return 0;
}

/*
 * One incoming response.  -EINPROGRESS: its data waits for a local ODP
 * fault; it is taken again when the fault is done.
 */
static int prxe_comp_packet(struct prxe_qp *qp, struct prxe_pkt *pkt)
{
	struct prxe_aeth *aeth = prxe_aeth(pkt->info, pkt->bth);

	if (!prxe_comp_outstanding(qp))
		return 0;		/* stale: nothing is waiting */

	if (pkt->info->mask & PRXE_MASK_READ)
		return prxe_comp_read_response(qp, pkt);
	/* AETH NAK syndromes come in plain ACKNOWLEDGE packets. */
	if (pkt->info->opcode == PRXE_OP_RC_ATOMIC_ACKNOWLEDGE)
		return prxe_comp_atomic_ack(qp, pkt);
	if (pkt->info->opcode == PRXE_OP_RC_ACKNOWLEDGE && aeth)
		prxe_comp_ack(qp, pkt->psn, prxe_aeth_syn(aeth));
	return 0;
}

/* One step of the completer: true if it did something. */
bool prxe_comp_run(struct prxe_qp *qp)
{
	struct sk_buff *skb;

	lockdep_assert_held(&qp->mutex);
	if (qp->state != IB_QPS_RTS && qp->state != IB_QPS_SQD) {
		prxe_qp_pkts_discard(qp, &qp->rsp_pkts);
		return false;
	}
	if (test_and_clear_bit(PRXE_COMP_RNR_DONE, &qp->comp.events)) {
		qp->comp.rnr_wait = false;
		prxe_req_rewind(qp);
		prxe_comp_arm_timer(qp);
		return true;
	}
	if (test_and_clear_bit(PRXE_COMP_TIMEOUT, &qp->comp.events)) {
		if (!qp->comp.rnr_wait)
			prxe_comp_timeout(qp);
		return true;
	}
	skb = prxe_qp_pkt_peek(qp, &qp->rsp_pkts);
	if (!skb)
		return false;
	qp->comp.fault_wait = prxe_comp_packet(qp, prxe_pkt(skb)) ==
			      -EINPROGRESS;
	if (qp->comp.fault_wait)
		return false;		/* taken again once the fault is done */
	skb_unlink(skb, &qp->rsp_pkts);
	kfree_skb(skb);
	return true;
}
