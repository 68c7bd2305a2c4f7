// SPDX-License-Identifier: GPL-2.0-only
/*
 * The requester: turns send work requests into request packets.
 *
 * Each run sends at most one packet: it takes the next work request from
 * the send ring into the QP's shadow copy (checked once there), and sends
 * its next packet (SEND and RDMA WRITE are cut at the path MTU; an RDMA
 * READ is one request whose responses use one PSN per MTU; an atomic is
 * one request and one ATOMIC ACKNOWLEDGE; a FLUSH or an ATOMIC WRITE one
 * request and one RDMA READ response without data).  The completer
 * retires work requests and, to retransmit, rewinds qp->req to the oldest
 * one not yet acknowledged (prxe_req_rewind()).  A local ODP buffer whose
 * pages are not there stops the requester until the fault worker has
 * brought them in (prxe_qp_copy()): nothing is sent meanwhile, so no
 * retransmit timer runs out for it.
 *
 * Runs in the QP task under qp->mutex.
 */
#include <linux/overflow.h>

#include "prxe.h"
#include "prxe_cq.h"
#include "prxe_mr.h"
#include "prxe_opcode.h"
#include "prxe_params.h"
#include "prxe_qp.h"

/* Packets sent and not yet acknowledged, at most. */
#define PRXE_MAX_INFLIGHT_PSNS	128
/*
 * A long message asks for an ACK this often, so the window keeps moving
 * (and at its last packet).  Half the window: a 64-packet message asks
 * once, at its end, as with rdma_rxe (RXE_MAX_PKT_PER_ACK); asking every
 * 32 packets cost an ACK more per 64 KiB WRITE at MTU 1024.
 */
#define PRXE_ACK_REQ_EVERY	(PRXE_MAX_INFLIGHT_PSNS / 2)

/* READ and atomic requests sent whose answers have not all arrived. */
static u32 prxe_req_reads_outstanding(struct prxe_qp *qp)
{
	u32 idx, n = 0;

	for (idx = qp->sq.kidx; idx != qp->req.next; idx++) {
		struct prxe_swqe *swqe = prxe_swqe(qp, idx);

		n += prxe_swqe_is_read(swqe) && !swqe->read_done;
	}
	return n;
}

/*
 * Copy work request @idx out of the send ring into @swqe, with its SGEs or
 * inline data, and check what every QP type checks: the SGE count, the
 * inline length and the message size.  Sets swqe->length; 0, -EINVAL or
 * -EMSGSIZE.
 */
int prxe_swqe_load(struct prxe_qp *qp, u32 idx, struct prxe_swqe *swqe)
{
	const struct prxe_send_wqe *wqe = prxe_ring_entry(&qp->sq, idx);
	struct prxe_sge *sge = prxe_swqe_sge(swqe);
	u64 length = 0;
	u32 i;

	memcpy(&swqe->wr, wqe, sizeof(swqe->wr));
	swqe->signaled = qp->sq_sig_all ||
			 (swqe->wr.send_flags & IB_SEND_SIGNALED);
	if (swqe->wr.send_flags & IB_SEND_INLINE) {
		if (swqe->wr.inline_len > qp->max_inline)
			return -EINVAL;
		memcpy(swqe->data, wqe + 1, swqe->wr.inline_len);
		length = swqe->wr.inline_len;
	} else {
		if (swqe->wr.num_sge > qp->max_send_sge)
			return -EINVAL;
		memcpy(sge, wqe + 1, swqe->wr.num_sge * sizeof(*sge));
		for (i = 0; i < swqe->wr.num_sge; i++)
			length += sge[i].length;
	}
	if (length > PRXE_MAX_MSG_SIZE)
		return -EMSGSIZE;
	swqe->length = length;
	return 0;
}

/*
 * A FLUSH work request: known placement types (at least one) and
 * selectivity level, a range of at most IBTA's largest message that does
 * not wrap.  Its answer carries no data: swqe->length stays 0.
 */
static int prxe_req_check_flush(const struct prxe_swqe *swqe)
{
	u8 type = swqe->wr.wr.flush.type;
	u64 end;

	if (!type || (type & ~(PRXE_FLUSH_GLOBAL | PRXE_FLUSH_PERSISTENT)) ||
	    swqe->wr.wr.flush.level > PRXE_FLUSH_MR)
		return -EINVAL;
	if (swqe->wr.wr.flush.length > PRXE_MAX_MSG_SIZE)
		return -EMSGSIZE;
	if (check_add_overflow(swqe->wr.wr.flush.remote_addr,
			       swqe->wr.wr.flush.length, &end))
		return -EINVAL;
	return 0;
}

/* Take RC work request @idx from the ring and check it. */
static int prxe_req_fetch(struct prxe_qp *qp, u32 idx, struct prxe_swqe *swqe)
{
	int err;

	err = prxe_swqe_load(qp, idx, swqe);
	swqe->sent = 0;
	swqe->received = 0;
	swqe->read_done = false;
	swqe->read_ahead = 0;
	swqe->read_status = IB_WC_SUCCESS;
	swqe->read_gap = false;
	if (err)
		return err;

	switch (swqe->wr.opcode) {
	case IB_UVERBS_WR_SEND:
	case IB_UVERBS_WR_SEND_WITH_IMM:
	case IB_UVERBS_WR_RDMA_WRITE:
	case IB_UVERBS_WR_RDMA_WRITE_WITH_IMM:
		break;
	case IB_UVERBS_WR_RDMA_READ:
	case IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
	case IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD:
		/* Data comes back into the SGEs: nothing inline. */
		if (swqe->wr.send_flags & IB_SEND_INLINE)
			return -EINVAL;
		break;
	case IB_UVERBS_WR_FLUSH:
	case IB_UVERBS_WR_ATOMIC_WRITE:
		/* All they say is in the entry: no SGE, nothing inline. */
		if (swqe->wr.num_sge || (swqe->wr.send_flags & IB_SEND_INLINE))
			return -EINVAL;
		if (swqe->wr.opcode == IB_UVERBS_WR_FLUSH) {
			err = prxe_req_check_flush(swqe);
			if (err)
				return err;
		}
		break;
	default:
		return -EOPNOTSUPP;
	}
	/* An atomic returns the 8 bytes it found there. */
	if (prxe_swqe_is_atomic(swqe) && swqe->length != sizeof(u64))
		return -EMSGSIZE;

	swqe->npsn = swqe->length ? DIV_ROUND_UP(swqe->length, qp->mtu) : 1;
	swqe->first_psn = qp->req.psn;
	swqe->last_psn = prxe_psn_add(qp->req.psn, swqe->npsn - 1);
	swqe->started = true;
	return 0;
}

static u8 prxe_req_opcode(const struct prxe_swqe *swqe, bool first, bool last)
{
	bool imm = swqe->wr.opcode == IB_UVERBS_WR_SEND_WITH_IMM ||
		   swqe->wr.opcode == IB_UVERBS_WR_RDMA_WRITE_WITH_IMM;

	switch (swqe->wr.opcode) {
	case IB_UVERBS_WR_SEND:
	case IB_UVERBS_WR_SEND_WITH_IMM:
		if (first && last)
			return imm ? PRXE_OP_RC_SEND_ONLY_WITH_IMM :
				     PRXE_OP_RC_SEND_ONLY;
		if (first)
			return PRXE_OP_RC_SEND_FIRST;
		if (last)
			return imm ? PRXE_OP_RC_SEND_LAST_WITH_IMM :
				     PRXE_OP_RC_SEND_LAST;
		return PRXE_OP_RC_SEND_MIDDLE;
	case IB_UVERBS_WR_RDMA_READ:
		return PRXE_OP_RC_RDMA_READ_REQUEST;
	default:
		if (first && last)
			return imm ? PRXE_OP_RC_RDMA_WRITE_ONLY_WITH_IMM :
				     PRXE_OP_RC_RDMA_WRITE_ONLY;
		if (first)
			return PRXE_OP_RC_RDMA_WRITE_FIRST;
		if (last)
			return imm ? PRXE_OP_RC_RDMA_WRITE_LAST_WITH_IMM :
				     PRXE_OP_RC_RDMA_WRITE_LAST;
		return PRXE_OP_RC_RDMA_WRITE_MIDDLE;
	}
}

/*
 * A work request that cannot be sent (or not all of it) fails with
 * @status, in its turn: those before it are still in flight and complete
 * first, so the requester sends nothing from it on, and the completer
 * fails it once it is the oldest (prxe_comp_local_failure()).
 */
static void prxe_req_fail(struct prxe_qp *qp, u32 idx, u32 status)
{
	prxe_swqe(qp, idx)->local_status = status;
	qp->req.next = idx;
	prxe_comp_local_failure(qp);
}

/* The CMP_SWAP / FETCH_ADD request of the atomic @swqe. */
static struct sk_buff *prxe_req_atomic_pkt(struct prxe_qp *qp,
					   struct prxe_swqe *swqe)
{
	bool cmp_swap = swqe->wr.opcode == IB_UVERBS_WR_ATOMIC_CMP_AND_SWP;
	u8 opcode = cmp_swap ? PRXE_OP_RC_COMPARE_SWAP : PRXE_OP_RC_FETCH_ADD;
	struct prxe_bth *bth;
	struct sk_buff *skb;

	skb = prxe_qp_pkt_new(qp, opcode, 0, swqe->first_psn, true, false,
			      &bth);
	if (!skb)
		return NULL;
	/*
	 * The work request's compare_add is CMP_SWAP's compare data or
	 * FETCH_ADD's addend; the AtomicETH carries swap data or addend first.
	 */
	prxe_atmeth_set(prxe_atmeth(prxe_opcode_info(opcode), bth),
			swqe->wr.wr.atomic.remote_addr, swqe->wr.wr.atomic.rkey,
			cmp_swap ? swqe->wr.wr.atomic.swap :
				   swqe->wr.wr.atomic.compare_add,
			cmp_swap ? swqe->wr.wr.atomic.compare_add : 0);
	return skb;
}

/*
 * The FLUSH request of @swqe (FETH, RETH), or its ATOMIC WRITE request
 * (RETH, the 8 bytes as the work request holds them).
 */
static struct sk_buff *prxe_req_flush_pkt(struct prxe_qp *qp,
					  struct prxe_swqe *swqe)
{
	bool flush = swqe->wr.opcode == IB_UVERBS_WR_FLUSH;
	u8 opcode = flush ? PRXE_OP_RC_FLUSH : PRXE_OP_RC_ATOMIC_WRITE;
	const struct prxe_opcode_info *info = prxe_opcode_info(opcode);
	struct prxe_bth *bth;
	struct sk_buff *skb;

	skb = prxe_qp_pkt_new(qp, opcode, flush ? 0 : sizeof(u64),
			      swqe->first_psn, true, false, &bth);
	if (!skb)
		return NULL;
	if (flush) {
		prxe_pkt(skb)->icrc_rxe = qp->req.flush_icrc_rxe;
		prxe_feth_set(prxe_feth(info, bth), swqe->wr.wr.flush.type,
			      swqe->wr.wr.flush.level);
		prxe_reth_set(prxe_reth(info, bth),
			      swqe->wr.wr.flush.remote_addr,
			      swqe->wr.wr.flush.rkey,
			      swqe->wr.wr.flush.length);
	} else {
		prxe_reth_set(prxe_reth(info, bth),
			      swqe->wr.wr.atomic_write.remote_addr,
			      swqe->wr.wr.atomic_write.rkey, sizeof(u64));
		memcpy(prxe_payload(info, bth), swqe->wr.wr.atomic_write.data,
		       sizeof(u64));
	}
	return skb;
}

/*
 * The oldest request has gone unanswered for a retransmit timeout.  If it
 * is a FLUSH, and no FLUSH of this QP was ever answered, its peer may be
 * an rdma_rxe, which drops FLUSHes with IBTA's ICRC and takes only its
 * own (prxe_icrc.c): the retransmission tries the other ICRC.  Once a
 * FLUSH is answered, the QP keeps the one that was.
 */
void prxe_req_flush_timeout(struct prxe_qp *qp)
{
	if (qp->sq.kidx == qp->req.next || qp->req.flush_icrc_known ||
	    prxe_swqe(qp, qp->sq.kidx)->wr.opcode != IB_UVERBS_WR_FLUSH)
		return;
	qp->req.flush_icrc_rxe = !qp->req.flush_icrc_rxe;
}

/*
 * The request of a READ (for what of its data has not arrived yet), of
 * an atomic (again: the responder answers a duplicate from its replay
 * memory, it does not do it twice), of a FLUSH or an ATOMIC WRITE.
 */
static struct sk_buff *prxe_req_read_pkt(struct prxe_qp *qp,
					 struct prxe_swqe *swqe)
{
	u32 done = swqe->received;
	struct prxe_bth *bth;
	struct sk_buff *skb;
	u32 psn = prxe_psn_add(swqe->first_psn, done / qp->mtu);

	if (prxe_swqe_is_atomic(swqe))
		return prxe_req_atomic_pkt(qp, swqe);
	if (swqe->wr.opcode != IB_UVERBS_WR_RDMA_READ)
		return prxe_req_flush_pkt(qp, swqe);
	skb = prxe_qp_pkt_new(qp, PRXE_OP_RC_RDMA_READ_REQUEST, 0, psn, true,
			      false, &bth);
	if (!skb)
		return NULL;
	prxe_reth_set(prxe_reth(prxe_opcode_info(bth->opcode), bth),
		      swqe->wr.wr.rdma.remote_addr + done, swqe->wr.wr.rdma.rkey,
		      swqe->length - done);
	return skb;
}

/*
 * Responses of the READ @swqe were lost (the completer saw a gap): ask
 * again for the rest of it alone.  The responder answers it from where it
 * stands, abandoning what it was still sending of it.
 */
void prxe_req_reread(struct prxe_qp *qp, struct prxe_swqe *swqe)
{
	struct sk_buff *skb = prxe_req_read_pkt(qp, swqe);

	if (!skb)
		return;		/* the timer retries */
	swqe->read_gap = true;
	prxe_qp_pkt_send(qp, skb);
	prxe_comp_arm_timer(qp);
}

/*
 * The next SEND / RDMA WRITE packet of @swqe, with its payload; NULL and
 * in @err -ENOMEM (no packet), -EINPROGRESS (an ODP fault of the payload
 * runs), -EMSGSIZE or another errno (the work request fails).
 */
static struct sk_buff *prxe_req_data(struct prxe_qp *qp, struct prxe_swqe *swqe,
				     int *err)
{
	u32 offset = swqe->sent;
	u32 psn = prxe_psn_add(swqe->first_psn, offset / qp->mtu);
	u32 paylen = min(qp->mtu, swqe->length - offset);
	bool first = offset == 0;
	bool last = offset + paylen == swqe->length;
	const struct prxe_opcode_info *info;
	struct prxe_bth *bth;
	struct sk_buff *skb;
	void *payload;
	u8 opcode;

	opcode = prxe_req_opcode(swqe, first, last);
	skb = prxe_qp_pkt_new(qp, opcode, paylen, psn,
			      last || (offset / qp->mtu) % PRXE_ACK_REQ_EVERY ==
				      PRXE_ACK_REQ_EVERY - 1,
			      last && (swqe->wr.send_flags & IB_SEND_SOLICITED),
			      &bth);
	if (!skb) {
		*err = -ENOMEM;
		return NULL;
	}
	info = prxe_opcode_info(opcode);
	if (info->mask & PRXE_MASK_RETH)
		prxe_reth_set(prxe_reth(info, bth), swqe->wr.wr.rdma.remote_addr,
			      swqe->wr.wr.rdma.rkey, swqe->length);
	if (info->mask & PRXE_MASK_IMMDT)
		prxe_immdt_set_imm(prxe_immdt(info, bth), swqe->wr.ex.imm_data);

	payload = prxe_payload(info, bth);
	if (swqe->wr.send_flags & IB_SEND_INLINE) {
		memcpy(payload, swqe->data + offset, paylen);
	} else {
		*err = prxe_qp_copy(qp, &(struct prxe_copy) {
			.sge = prxe_swqe_sge(swqe),
			.num_sge = swqe->wr.num_sge, .pd = qp->ibqp.pd,
			.offset = offset, .buf = payload, .len = paylen,
			.dir = PRXE_FROM_MR,
			.ahead = min_t(u32, swqe->length - offset - paylen,
				       PRXE_FAULT_AHEAD),
		});
		if (*err) {
			/* -ENOMEM stays the packet's own: a fault's fails. */
			if (*err == -ENOMEM)
				*err = -EFAULT;
			kfree_skb(skb);
			return NULL;
		}
	}
	swqe->sent += paylen;
	qp->req.psn = prxe_psn_add(psn, 1);
	return skb;
}

bool prxe_req_run(struct prxe_qp *qp)
{
	struct prxe_swqe *swqe;
	struct sk_buff *skb;
	u32 idx = qp->req.next;
	int err = 0;

	lockdep_assert_held(&qp->mutex);
	if ((qp->state != IB_QPS_RTS && qp->state != IB_QPS_SQD) ||
	    qp->comp.rnr_wait)
		return false;
	if (idx - qp->sq.kidx >= prxe_ring_avail(&qp->sq))
		return false;
	/* Failed here, waiting for those before it to complete. */
	if (prxe_swqe(qp, idx)->local_status)
		return false;
	/* SQD: finish (and resend) what was started, start nothing new. */
	if (qp->state == IB_QPS_SQD && !prxe_swqe(qp, idx)->started)
		return false;
	if (prxe_psn_diff(qp->req.psn, qp->comp.psn) >= PRXE_MAX_INFLIGHT_PSNS)
		return false;

	swqe = prxe_swqe(qp, idx);
	if (!swqe->started) {
		err = prxe_req_fetch(qp, idx, swqe);
		if (err) {
			prxe_req_fail(qp, idx, err == -EMSGSIZE ?
				      IB_WC_LOC_LEN_ERR : IB_WC_LOC_QP_OP_ERR);
			return true;
		}
	}

	if (prxe_swqe_is_read(swqe)) {
		u32 max = max_t(u32, qp->max_rd_atomic, 1);

		if (swqe->read_done) {
			/* Answered in full before a rewind: nothing to ask. */
			qp->req.psn = prxe_psn_add(swqe->last_psn, 1);
			qp->req.next = idx + 1;
			return true;
		}
		if (prxe_req_reads_outstanding(qp) >= max)
			return false;
		skb = prxe_req_read_pkt(qp, swqe);
		if (!skb)
			return false;	/* out of memory: the timer retries */
		swqe->sent = swqe->length;
		qp->req.psn = prxe_psn_add(swqe->last_psn, 1);
	} else {
		/* Fence: wait for earlier READs to complete. */
		if (swqe->sent == 0 && (swqe->wr.send_flags & IB_SEND_FENCE) &&
		    prxe_req_reads_outstanding(qp))
			return false;
		skb = prxe_req_data(qp, swqe, &err);
		/* Waiting for our own page fault is no silence of the peer. */
		qp->req.fault_wait = err == -EINPROGRESS;
		if (!skb) {
			/* The timer retries; the fault worker schedules us. */
			if (err == -ENOMEM || err == -EINPROGRESS)
				return false;
			prxe_req_fail(qp, idx, err == -EMSGSIZE ?
				      IB_WC_LOC_LEN_ERR : IB_WC_LOC_PROT_ERR);
			return true;
		}
	}
	if (swqe->sent == swqe->length)
		qp->req.next = idx + 1;
	/* What was ever sent: retransmissions do not move it back. */
	if (prxe_psn_compare(qp->req.psn, qp->req.max_psn) > 0)
		qp->req.max_psn = qp->req.psn;

	prxe_qp_pkt_send(qp, skb);
	prxe_comp_arm_timer(qp);
	return true;
}

/*
 * Send again from the oldest work request not completed (after a NAK, a
 * timeout or an RNR wait).  The responder recognises what it has already
 * seen (duplicate PSNs) and acknowledges or re-reads it.
 */
void prxe_req_rewind(struct prxe_qp *qp)
{
	u32 end = qp->req.next;
	u32 idx;

	/* The work request being sent (a long one, in part) goes back too. */
	if (end - qp->sq.kidx < prxe_ring_avail(&qp->sq) &&
	    prxe_swqe(qp, end)->started)
		end++;

	for (idx = qp->sq.kidx; idx != end; idx++) {
		struct prxe_swqe *swqe = prxe_swqe(qp, idx);
		s32 acked = 0;

		/*
		 * The oldest SEND / WRITE resumes at its first packet not
		 * acknowledged; a READ asks again for what did not arrive.
		 */
		if (idx == qp->sq.kidx && !prxe_swqe_is_read(swqe))
			acked = clamp_t(s32, prxe_psn_diff(qp->comp.psn,
							   swqe->first_psn),
					0, swqe->npsn - 1);
		swqe->sent = acked * qp->mtu;
		swqe->read_gap = false;
	}
	if (qp->sq.kidx != end) {
		struct prxe_swqe *swqe = prxe_swqe(qp, qp->sq.kidx);

		qp->req.psn = prxe_swqe_is_read(swqe) ?
			prxe_psn_add(swqe->first_psn, swqe->received / qp->mtu) :
			prxe_psn_add(swqe->first_psn, swqe->sent / qp->mtu);
	}
	qp->req.next = qp->sq.kidx;
}
