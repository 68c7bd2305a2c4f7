// SPDX-License-Identifier: GPL-2.0-only
/*
 * The responder: incoming requests of a QP.  One handler per operation
 * (prxe_resp_ops[], for new requests and for duplicates), behind checks
 * every request shares; each handler carries its request out and says how
 * to answer it (struct prxe_resp_ans: ACK, answered, RNR NAK, NAK with a
 * syndrome, or later), and prxe_resp_answer() answers:
 *
 *   prxe_resp_packet()   PSN (in order / duplicate / gap), opcode sequence
 *   prxe_resp_send()     SEND: into the next receive WQE
 *   prxe_resp_write()    RDMA WRITE: into the memory region of the RETH
 *   prxe_resp_read()     RDMA READ: checked, then answered from the memory
 *                        region one response per step (prxe_resp_read_step())
 *   prxe_resp_atomic()   CMP_SWAP / FETCH_ADD: done once, answered with an
 *                        ATOMIC ACKNOWLEDGE, remembered for duplicates
 *   prxe_resp_flush()    FLUSH: the range made visible / persistent, then
 *                        answered with an RDMA READ response without data
 *   prxe_resp_atomic_write()  ATOMIC WRITE: stored once, answered so,
 *                        remembered for duplicates
 *
 * ACKs are coalesced: a request asking for one (AckReq) makes an ACK
 * pending, sent when the QP's queue of incoming requests is empty.  A PSN
 * gap is NAKed once; duplicates are acknowledged again (SEND / WRITE),
 * answered again from memory (READ) or from the replay memory (atomics).
 * Errors the requester must hear of are NAKed, and put this QP in the
 * error state as IBTA prescribes for them; where no receive completion
 * tells this side's consumer why, an affiliated event does
 * (IB_EVENT_QP_REQ_ERR for an invalid request, IB_EVENT_QP_ACCESS_ERR for
 * a remote access error).
 *
 * Receive WQEs come from the QP's receive ring, or from its SRQ
 * (prxe_srq_take(), which takes srq->lock).
 *
 * Copies go through prxe_qp_copy(): an ODP page not mirrored is faulted
 * in by a worker (prxe_fault.c), waited for a little; if that is not
 * enough, a SEND or WRITE is RNR NAKed (the requester sends it again
 * after the RNR timer), and a READ response or an atomic waits where it
 * is until the worker schedules the task: a fault never holds the QP task.
 *
 * Lengths and offsets from the wire are checked in 64-bit arithmetic
 * against IBTA's largest message (2^31 bytes) and the RETH's length here,
 * and again by the copy layer against the memory region (prxe_mr.c).
 *
 * Runs in the QP task under qp->mutex (lock order: docs/ARCHITECTURE.md).
 */
#include <linux/overflow.h>

#include "prxe.h"
#include "prxe_counters.h"
#include "prxe_mr.h"
#include "prxe_net.h"
#include "prxe_opcode.h"
#include "prxe_qp.h"
#include "prxe_cq.h"

static void prxe_resp_send_aeth(struct prxe_qp *qp, u8 syn, u32 psn)
{
	struct prxe_bth *bth;
	struct sk_buff *skb;

	skb = prxe_qp_pkt_new(qp, PRXE_OP_RC_ACKNOWLEDGE, 0, psn, false, false,
			      &bth);
	if (!skb)
		return;		/* the requester's timer recovers */
	prxe_aeth_set(prxe_aeth(prxe_opcode_info(PRXE_OP_RC_ACKNOWLEDGE), bth),
		      syn, qp->resp.msn);
	prxe_qp_pkt_send(qp, skb);
}

static void prxe_resp_flush_ack(struct prxe_qp *qp)
{
	if (!qp->resp.ack_pending)
		return;
	qp->resp.ack_pending = false;
	prxe_resp_send_aeth(qp, PRXE_AETH_ACK | PRXE_AETH_ACK_NO_CREDITS,
			    qp->resp.ack_psn);
}

/*
 * NAK @psn with @syn; for all but RNR and PSN sequence errors the QP then
 * enters the error state.  A receive completion already told the consumer
 * (@completed), or it gets the affiliated event of the NAK.
 */
static void prxe_resp_nak_err(struct prxe_qp *qp, u8 syn, u32 psn,
			      bool completed)
{
	prxe_resp_flush_ack(qp);
	prxe_resp_send_aeth(qp, syn, psn);
	if (prxe_aeth_type(syn) != PRXE_AETH_NAK ||
	    syn == PRXE_AETH_NAK_PSN_SEQ_ERR)
		return;
	if (completed)
		prxe_qp_error(qp);
	else if (syn == PRXE_AETH_NAK_REM_ACCESS_ERR)
		prxe_qp_error_event(qp, IB_EVENT_QP_ACCESS_ERR);
	else if (syn == PRXE_AETH_NAK_INVALID_REQ)
		prxe_qp_error_event(qp, IB_EVENT_QP_REQ_ERR);
	else
		prxe_qp_error_event(qp, IB_EVENT_QP_FATAL);
}

static void prxe_resp_nak(struct prxe_qp *qp, u8 syn, u32 psn)
{
	prxe_resp_nak_err(qp, syn, psn, false);
}

/*
 * What a request's handler asks prxe_resp_answer() to answer: each
 * handler carries its request out (or not) and says so, and the answers
 * themselves are made in one place.
 */
enum prxe_resp_verdict {
	PRXE_RESP_ACK,		/* carried out: ACKed if it asked (coalesced) */
	PRXE_RESP_ANSWERED,	/* answered by its handler, or to be dropped */
	PRXE_RESP_RNR,		/* not ready: RNR NAK, the requester retries */
	PRXE_RESP_LATER,	/* waits for a fault worker: nothing done yet */
	PRXE_RESP_NAK,		/* NAK @syn (the QP enters ERR) */
};

struct prxe_resp_ans {
	enum prxe_resp_verdict	verdict;
	u8			syn;		/* NAK: the AETH syndrome */
	bool			completed;	/* NAK: a receive completion said why */
};

#define PRXE_ANS(v)	((struct prxe_resp_ans){ .verdict = PRXE_RESP_##v })
#define PRXE_NAK(s)	((struct prxe_resp_ans){ .verdict = PRXE_RESP_NAK, \
						 .syn = PRXE_AETH_NAK_##s })

/* Complete the receive WQE being filled. */
static void prxe_resp_complete(struct prxe_qp *qp, u32 status, u32 opcode,
			       u32 byte_len, const struct prxe_pkt *pkt)
{
	struct prxe_immdt *immdt = prxe_immdt(pkt->info, pkt->bth);
	struct prxe_cqe cqe = {
		.wr_id = qp->resp.rwqe->wr.wr_id,
		.status = status,
		.opcode = opcode,
		.byte_len = byte_len,
		.src_qp = qp->dest_qpn,
	};

	if (immdt && status == IB_WC_SUCCESS) {
		cqe.ex.imm_data = prxe_immdt_imm(immdt);
		cqe.flags |= PRXE_CQE_WITH_IMM;
	}
	prxe_resp_complete_rwqe(qp, &cqe, prxe_bth_se(pkt->bth));
}

/*
 * Complete the receive WQE taken (qp->resp.rwqe) with @cqe: its slot is
 * released first, as the application may repost at once.
 */
void prxe_resp_complete_rwqe(struct prxe_qp *qp, struct prxe_cqe *cqe,
			     bool solicited)
{
	/* An SRQ's slot was released when the WQE was taken. */
	if (!prxe_qp_srq(qp))
		prxe_ring_consume(&qp->rq, 1);
	qp->resp.have_rwqe = false;
	prxe_qp_complete(qp, to_prxe_cq(qp->ibqp.recv_cq), cqe, solicited);
}

/*
 * Take the next receive WQE out of the ring into qp->resp.rwqe, unless
 * one is taken already; false if there is none.
 */
bool prxe_resp_take_rwqe(struct prxe_qp *qp)
{
	struct prxe_rwqe *rwqe = qp->resp.rwqe;

	if (qp->resp.have_rwqe)
		return true;
	if (prxe_qp_srq(qp)) {
		qp->resp.have_rwqe = prxe_srq_take(prxe_qp_srq(qp), rwqe);
		return qp->resp.have_rwqe;
	}
	if (!prxe_ring_avail(&qp->rq))
		return false;
	prxe_rwqe_read(rwqe, prxe_ring_entry(&qp->rq, qp->rq.kidx),
		       qp->max_recv_sge);
	qp->resp.have_rwqe = true;
	return true;
}

/*
 * Not ready for the request at @psn: the requester sends again from there
 * after the RNR timer.  Requests behind it, already on their way, are
 * dropped without a PSN sequence NAK (which would make it resend at once).
 */
static void prxe_resp_rnr(struct prxe_qp *qp, u32 psn)
{
	prxe_counter_inc(qp->prxe, PRXE_CNT_RNR_NAKS_SENT);
	prxe_resp_nak(qp, prxe_aeth_rnr_nak(qp->min_rnr_timer), psn);
	qp->resp.nak_sent = true;
}

/* Payload length rules of IBTA 9.7.5: every packet but the last is full. */
static bool prxe_resp_paylen_ok(struct prxe_qp *qp, const struct prxe_pkt *pkt)
{
	if (pkt->paylen > qp->mtu)
		return false;
	return (pkt->info->mask & PRXE_MASK_LAST) || pkt->paylen == qp->mtu;
}

/*
 * The receive WQE taken for a SEND in progress fails with @status: the
 * requester hears of it by a NAK (@syn), and the QP enters ERR.
 */
static struct prxe_resp_ans prxe_resp_send_fail(struct prxe_qp *qp,
						struct prxe_pkt *pkt,
						u32 status, u8 syn)
{
	prxe_resp_complete(qp, status, IB_WC_RECV, 0, pkt);
	return (struct prxe_resp_ans) {
		.verdict = PRXE_RESP_NAK, .syn = syn, .completed = true,
	};
}

static struct prxe_resp_ans prxe_resp_send(struct prxe_qp *qp,
					   struct prxe_pkt *pkt)
{
	struct prxe_rwqe *rwqe = qp->resp.rwqe;
	u32 mask = pkt->info->mask;
	int err;

	if (mask & PRXE_MASK_FIRST) {
		if (!prxe_resp_take_rwqe(qp))
			return PRXE_ANS(RNR);
		qp->resp.offset = 0;
	}
	if (!prxe_resp_paylen_ok(qp, pkt) ||
	    qp->resp.offset + pkt->paylen > PRXE_MAX_MSG_SIZE)
		return prxe_resp_send_fail(qp, pkt, IB_WC_LOC_LEN_ERR,
					   PRXE_AETH_NAK_INVALID_REQ);
	/* An SRQ's WQEs address memory of the SRQ's protection domain. */
	err = prxe_qp_copy(qp, &(struct prxe_copy) {
		.sge = rwqe->sge, .num_sge = rwqe->wr.num_sge,
		.pd = prxe_qp_recv_pd(qp), .access = IB_ACCESS_LOCAL_WRITE,
		.offset = qp->resp.offset, .buf = prxe_pkt_payload(pkt),
		.len = pkt->paylen, .dir = PRXE_TO_MR,
	});
	if (err == -EINPROGRESS) {
		prxe_counter_inc(qp->prxe, PRXE_CNT_ODP_FAULT_RNR_NAKS);
		return PRXE_ANS(RNR);
	}
	/* Too long for the receive buffers, or buffers it cannot write. */
	if (err == -EMSGSIZE)
		return prxe_resp_send_fail(qp, pkt, IB_WC_LOC_LEN_ERR,
					   PRXE_AETH_NAK_INVALID_REQ);
	if (err)
		return prxe_resp_send_fail(qp, pkt, IB_WC_LOC_PROT_ERR,
					   PRXE_AETH_NAK_REM_OP_ERR);
	qp->resp.offset += pkt->paylen;
	if (mask & PRXE_MASK_LAST) {
		prxe_resp_complete(qp, IB_WC_SUCCESS, IB_WC_RECV,
				   qp->resp.offset, pkt);
		qp->resp.msn++;
		qp->resp.in_msg = 0;
	} else {
		qp->resp.in_msg = 'S';
	}
	qp->resp.epsn = prxe_psn_add(pkt->psn, 1);
	return PRXE_ANS(ACK);
}

/*
 * SEND with Invalidate: prxe has no region a peer may invalidate (no
 * memory windows, no fast-registered regions, which are the only ones an
 * IETH may name), so the request is invalid, and never half done: a SEND
 * in progress completes its receive WQE in error.
 */
static struct prxe_resp_ans prxe_resp_send_inv(struct prxe_qp *qp,
					       struct prxe_pkt *pkt)
{
	if (qp->resp.in_msg == 'S' && qp->resp.have_rwqe)
		return prxe_resp_send_fail(qp, pkt, IB_WC_REM_INV_REQ_ERR,
					   PRXE_AETH_NAK_INVALID_REQ);
	return PRXE_NAK(INVALID_REQ);
}

/* Look up and check the memory region of @rkey for @len bytes at @va. */
static struct prxe_mr *prxe_resp_mr(struct prxe_qp *qp, u32 rkey, u64 va,
				    u32 len, int access)
{
	struct prxe_mr *mr;

	if (!(qp->access & access))
		return NULL;
	mr = prxe_mr_get(qp->prxe, rkey);
	if (!mr)
		return NULL;
	if (prxe_mr_check(mr, qp->ibqp.pd, va, len, access)) {
		prxe_mr_put(mr);
		return NULL;
	}
	return mr;
}

/* The memory region a RETH names, checked for @access. */
static struct prxe_mr *prxe_resp_reth_mr(struct prxe_qp *qp,
					 struct prxe_reth *reth, int access)
{
	return prxe_resp_mr(qp, prxe_reth_rkey(reth), prxe_reth_va(reth),
			    prxe_reth_len(reth), access);
}

/*
 * Starts an RDMA WRITE: its RETH, checked.  0, or the syndrome to NAK it
 * with.  Again after an RNR NAK: the region is looked up anew.
 */
static u8 prxe_resp_write_first(struct prxe_qp *qp, struct prxe_pkt *pkt)
{
	struct prxe_reth *reth = prxe_reth(pkt->info, pkt->bth);

	if (qp->resp.mr)
		prxe_mr_put(qp->resp.mr);
	qp->resp.mr = NULL;
	qp->resp.va = prxe_reth_va(reth);
	qp->resp.length = prxe_reth_len(reth);
	qp->resp.offset = 0;
	/* IBTA's largest message: no RETH says more (the length is 32 bits). */
	if (qp->resp.length > PRXE_MAX_MSG_SIZE)
		return PRXE_AETH_NAK_INVALID_REQ;
	/* A zero-length WRITE needs no memory region. */
	if (!qp->resp.length)
		return 0;
	qp->resp.mr = prxe_resp_reth_mr(qp, reth, IB_ACCESS_REMOTE_WRITE);
	return qp->resp.mr ? 0 : PRXE_AETH_NAK_REM_ACCESS_ERR;
}

static struct prxe_resp_ans prxe_resp_write(struct prxe_qp *qp,
					    struct prxe_pkt *pkt)
{
	u32 mask = pkt->info->mask;
	u64 end;
	u8 syn;
	int err;

	if (mask & PRXE_MASK_FIRST) {
		syn = prxe_resp_write_first(qp, pkt);
		if (syn)
			return (struct prxe_resp_ans) {
				.verdict = PRXE_RESP_NAK, .syn = syn,
			};
	}
	/* 64 bits: no offset wraps, however many packets a peer sends. */
	end = qp->resp.offset + pkt->paylen;
	if (!prxe_resp_paylen_ok(qp, pkt) || end > qp->resp.length ||
	    ((mask & PRXE_MASK_LAST) && end != qp->resp.length))
		return PRXE_NAK(INVALID_REQ);
	/* WRITE with immediate: check for a receive WQE before writing. */
	if ((mask & PRXE_MASK_RECV_WQE) && !prxe_resp_take_rwqe(qp))
		return PRXE_ANS(RNR);
	err = prxe_qp_copy(qp, &(struct prxe_copy) {
		.mr = qp->resp.mr, .iova = qp->resp.va + qp->resp.offset,
		.buf = prxe_pkt_payload(pkt), .len = pkt->paylen,
		.dir = PRXE_TO_MR,
		/* The rest of the message too (its RETH was checked). */
		.ahead = min_t(u64, qp->resp.length - end,
			       PRXE_FAULT_AHEAD),
	});
	if (err == -EINPROGRESS) {
		prxe_counter_inc(qp->prxe, PRXE_CNT_ODP_FAULT_RNR_NAKS);
		return PRXE_ANS(RNR);
	}
	/*
	 * An ODP page that cannot be had (unmapped, read-only), the region
	 * deregistered meanwhile.
	 */
	if (err)
		return PRXE_NAK(REM_ACCESS_ERR);
	qp->resp.offset = end;

	if (mask & PRXE_MASK_LAST) {
		if (mask & PRXE_MASK_COMPLETE)
			prxe_resp_complete(qp, IB_WC_SUCCESS,
					   IB_WC_RECV_RDMA_WITH_IMM,
					   qp->resp.length, pkt);
		if (qp->resp.mr)
			prxe_mr_put(qp->resp.mr);
		qp->resp.mr = NULL;
		qp->resp.msn++;
		qp->resp.in_msg = 0;
	} else {
		qp->resp.in_msg = 'W';
	}
	qp->resp.epsn = prxe_psn_add(pkt->psn, 1);
	return PRXE_ANS(ACK);
}

/* Forget the READ being answered. */
static void prxe_resp_read_end(struct prxe_qp *qp)
{
	if (qp->resp.read.mr)
		prxe_mr_put(qp->resp.read.mr);
	qp->resp.read.mr = NULL;
	qp->resp.read.active = false;
}

/*
 * An RDMA READ request: checked here, answered from memory by
 * prxe_resp_read_step(), one response per path MTU with PSNs from the
 * request's on.  A duplicate request (the requester lost responses) is
 * answered again from its own RETH, replacing any READ being answered:
 * the requester wants nothing more of that one.
 */
static struct prxe_resp_ans prxe_resp_read(struct prxe_qp *qp,
					   struct prxe_pkt *pkt, bool duplicate)
{
	struct prxe_reth *reth = prxe_reth(pkt->info, pkt->bth);
	u32 len = prxe_reth_len(reth);
	struct prxe_mr *mr = NULL;
	u32 npsn;

	if (len > PRXE_MAX_MSG_SIZE)
		return PRXE_NAK(INVALID_REQ);
	if (len) {
		mr = prxe_resp_reth_mr(qp, reth, IB_ACCESS_REMOTE_READ);
		if (!mr)
			return PRXE_NAK(REM_ACCESS_ERR);
	} else if (!(qp->access & IB_ACCESS_REMOTE_READ)) {
		return PRXE_NAK(REM_ACCESS_ERR);
	}
	prxe_resp_flush_ack(qp);
	npsn = len ? DIV_ROUND_UP((u64)len, qp->mtu) : 1;
	if (!duplicate) {
		qp->resp.msn++;
		qp->resp.epsn = prxe_psn_add(pkt->psn, npsn);
	}
	prxe_resp_read_end(qp);
	qp->resp.read = (struct prxe_resp_read) {
		.mr = mr,
		.active = true,
		.va = prxe_reth_va(reth),
		.length = len,
		.psn = pkt->psn,
		.npsn = npsn,
	};
	return PRXE_ANS(ANSWERED);
}

static struct prxe_resp_ans prxe_resp_read_new(struct prxe_qp *qp,
					       struct prxe_pkt *pkt)
{
	return prxe_resp_read(qp, pkt, false);
}

static struct prxe_resp_ans prxe_resp_read_again(struct prxe_qp *qp,
						 struct prxe_pkt *pkt)
{
	return prxe_resp_read(qp, pkt, true);
}

/*
 * Send the next response of the READ being answered.  False if it waits
 * for an ODP fault (the worker schedules the task when it is done).
 */
static bool prxe_resp_read_step(struct prxe_qp *qp)
{
	struct prxe_resp_read *rd = &qp->resp.read;
	u32 paylen = min(qp->mtu, rd->length - rd->offset);
	bool first = rd->offset == 0;
	bool last = rd->offset + paylen == rd->length;
	const struct prxe_opcode_info *info;
	struct prxe_bth *bth;
	struct sk_buff *skb;
	u8 opcode;
	u32 psn;
	int err;

	if (first && last)
		opcode = PRXE_OP_RC_RDMA_READ_RESPONSE_ONLY;
	else if (first)
		opcode = PRXE_OP_RC_RDMA_READ_RESPONSE_FIRST;
	else if (last)
		opcode = PRXE_OP_RC_RDMA_READ_RESPONSE_LAST;
	else
		opcode = PRXE_OP_RC_RDMA_READ_RESPONSE_MIDDLE;
	info = prxe_opcode_info(opcode);

	skb = prxe_qp_pkt_new(qp, opcode, paylen,
			      prxe_psn_add(rd->psn, rd->offset / qp->mtu),
			      false, false, &bth);
	if (!skb) {
		/* Out of memory: the requester times out and asks again. */
		prxe_resp_read_end(qp);
		return true;
	}
	if (info->mask & PRXE_MASK_AETH)
		prxe_aeth_set(prxe_aeth(info, bth),
			      PRXE_AETH_ACK | PRXE_AETH_ACK_NO_CREDITS,
			      qp->resp.msn);
	err = prxe_qp_copy(qp, &(struct prxe_copy) {
		.mr = rd->mr, .iova = rd->va + rd->offset,
		.buf = prxe_payload(info, bth), .len = paylen,
		.dir = PRXE_FROM_MR,
		.ahead = min_t(u64, rd->length - rd->offset - paylen,
			       PRXE_FAULT_AHEAD),
	});
	if (err == -EINPROGRESS) {
		kfree_skb(skb);
		return false;
	}
	if (err) {
		/* An ODP page that cannot be had: the READ fails. */
		kfree_skb(skb);
		psn = rd->psn;
		prxe_resp_read_end(qp);
		prxe_resp_nak(qp, PRXE_AETH_NAK_REM_ACCESS_ERR, psn);
		return true;
	}
	prxe_qp_pkt_send(qp, skb);
	rd->offset += paylen;
	if (last)
		prxe_resp_read_end(qp);
	return true;
}

/*
 * The answer to a FLUSH or an ATOMIC WRITE: an RDMA READ response without
 * data, at the request's PSN (IBTA 1.5).
 */
static void prxe_resp_empty_response(struct prxe_qp *qp, u32 psn, u32 msn)
{
	const struct prxe_opcode_info *info =
		prxe_opcode_info(PRXE_OP_RC_RDMA_READ_RESPONSE_ONLY);
	struct prxe_bth *bth;
	struct sk_buff *skb;

	skb = prxe_qp_pkt_new(qp, PRXE_OP_RC_RDMA_READ_RESPONSE_ONLY, 0, psn,
			      false, false, &bth);
	if (!skb)
		return;		/* the requester asks again */
	prxe_aeth_set(prxe_aeth(info, bth),
		      PRXE_AETH_ACK | PRXE_AETH_ACK_NO_CREDITS, msn);
	prxe_qp_pkt_send(qp, skb);
}

/*
 * A request answered rather than acknowledged (atomic, FLUSH, ATOMIC
 * WRITE) is carried out: a pending ACK for those before it goes first,
 * and the message is counted.
 */
static void prxe_resp_done(struct prxe_qp *qp, u32 psn)
{
	prxe_resp_flush_ack(qp);
	qp->resp.msn++;
	qp->resp.epsn = prxe_psn_add(psn, 1);
}

static void prxe_resp_atomic_ack(struct prxe_qp *qp,
				  const struct prxe_resp_atomic *done)
{
	const struct prxe_opcode_info *info =
		prxe_opcode_info(PRXE_OP_RC_ATOMIC_ACKNOWLEDGE);
	struct prxe_bth *bth;
	struct sk_buff *skb;

	skb = prxe_qp_pkt_new(qp, PRXE_OP_RC_ATOMIC_ACKNOWLEDGE, 0, done->psn,
			      false, false, &bth);
	if (!skb)
		return;		/* the requester asks again; it is replayed */
	prxe_aeth_set(prxe_aeth(info, bth),
		      PRXE_AETH_ACK | PRXE_AETH_ACK_NO_CREDITS, done->msn);
	prxe_atmack_set_orig(prxe_atmack(info, bth), done->orig);
	prxe_qp_pkt_send(qp, skb);
}

/*
 * Carry out the atomic @a (CMP_SWAP, FETCH_ADD, or ATOMIC WRITE's store)
 * at @va of @mr, whose reference this drops, for request @pkt; answer it,
 * and remember the answer so that a duplicate gets it again without the
 * atomic being done twice.  Misaligned in memory: an invalid request; an
 * ODP page not to be had writable: a remote access error.  -EINPROGRESS
 * while the target's ODP page is faulted in: the request stays queued,
 * nothing done yet.
 */
static struct prxe_resp_ans prxe_resp_atomic_exec(struct prxe_qp *qp,
						  struct prxe_pkt *pkt,
						  struct prxe_mr *mr, u64 va,
						  struct prxe_atomic *a)
{
	struct prxe_resp_atomic *done;
	int err;

	err = prxe_qp_copy(qp, &(struct prxe_copy) {
		.mr = mr, .iova = va, .atomic = a,
	});
	prxe_mr_put(mr);
	if (err == -EINPROGRESS)
		return PRXE_ANS(LATER);
	if (err == -EINVAL)
		return PRXE_NAK(INVALID_REQ);
	if (err)
		return PRXE_NAK(REM_ACCESS_ERR);
	prxe_resp_done(qp, pkt->psn);
	done = &qp->resp.atomics[qp->resp.atomic_next++ % PRXE_RESP_ATOMICS];
	*done = (struct prxe_resp_atomic) {
		.psn = pkt->psn,
		.msn = qp->resp.msn,
		.orig = a->orig,
		.valid = true,
		.empty = a->op == PRXE_ATOMIC_STORE,
	};
	if (done->empty) {
		prxe_counter_inc(qp->prxe, PRXE_CNT_ATOMIC_WRITES);
		prxe_resp_empty_response(qp, done->psn, done->msn);
	} else {
		prxe_resp_atomic_ack(qp, done);
	}
	return PRXE_ANS(ANSWERED);
}

/*
 * CMP_SWAP / FETCH_ADD on 8 aligned bytes of a memory region with remote
 * atomic access: done once, answered with the original data, and
 * remembered so that a duplicate request gets the same answer without
 * doing it again.  Misaligned (the virtual address, or the word in
 * memory: a region registered with an iova aligned otherwise than its
 * address): an invalid request.  -EINPROGRESS as prxe_resp_atomic_exec().
 */
static struct prxe_resp_ans prxe_resp_atomic(struct prxe_qp *qp,
					     struct prxe_pkt *pkt)
{
	struct prxe_atmeth *atm = prxe_atmeth(pkt->info, pkt->bth);
	struct prxe_atomic a = {
		.op = pkt->info->opcode == PRXE_OP_RC_COMPARE_SWAP ?
		      PRXE_ATOMIC_CMP_SWAP : PRXE_ATOMIC_FETCH_ADD,
	};
	u64 va = prxe_atmeth_va(atm);
	struct prxe_mr *mr;

	if (va & (sizeof(u64) - 1))
		return PRXE_NAK(INVALID_REQ);
	mr = prxe_resp_mr(qp, prxe_atmeth_rkey(atm), va, sizeof(u64),
			  IB_ACCESS_REMOTE_ATOMIC);
	if (!mr)
		return PRXE_NAK(REM_ACCESS_ERR);
	if (a.op == PRXE_ATOMIC_CMP_SWAP) {
		a.compare_add = prxe_atmeth_compare(atm);
		a.swap = prxe_atmeth_swap_add(atm);
	} else {
		a.compare_add = prxe_atmeth_swap_add(atm);
	}
	return prxe_resp_atomic_exec(qp, pkt, mr, va, &a);
}

/*
 * FLUSH (IBTA 1.5, Memory Placement Extensions): the RETH's range of the
 * region (or all of it, selectivity level "whole MR") is made visible to
 * all and, with placement type persistence, persistent (prxe_persist.c);
 * then answered.  Every WRITE before it on this QP is placed already:
 * requests are carried out in PSN order, and a WRITE waiting for a page
 * fault was RNR NAKed, which holds back what follows it.  A duplicate
 * (the answer was lost) is carried out again and answered again, as a
 * READ is.  A placement type asks for its access right on the QP (an
 * invalid request without it, as rdma_rxe answers) and on the region (a
 * remote access error); none known: nothing to do, answered all the same.
 * While a worker makes an ODP range persistent (longer than the 10 ms the
 * task waits), the FLUSH is RNR NAKed; a duplicate stays queued instead
 * (-EINPROGRESS), nothing answered yet.
 */
static struct prxe_resp_ans prxe_resp_flush(struct prxe_qp *qp,
					    struct prxe_pkt *pkt,
					    bool duplicate)
{
	struct prxe_feth *feth = prxe_feth(pkt->info, pkt->bth);
	struct prxe_reth *reth = prxe_reth(pkt->info, pkt->bth);
	u8 plt = prxe_feth_plt(feth), sel = prxe_feth_sel(feth);
	u64 va = prxe_reth_va(reth), len = prxe_reth_len(reth);
	bool whole = sel == PRXE_FETH_SEL_WHOLE_MR;
	struct prxe_mr *mr;
	int access = 0;
	int err = 0;

	if (plt & PRXE_FETH_PLT_GLOBAL_VISIBILITY)
		access |= IB_ACCESS_FLUSH_GLOBAL;
	if (plt & PRXE_FETH_PLT_PERSISTENCE)
		access |= IB_ACCESS_FLUSH_PERSISTENT;
	if (len > PRXE_MAX_MSG_SIZE || sel > PRXE_FETH_SEL_WHOLE_MR ||
	    (qp->access & access) != access)
		return PRXE_NAK(INVALID_REQ);
	/* A range without bytes still names a byte of the region. */
	mr = prxe_mr_get(qp->prxe, prxe_reth_rkey(reth));
	if (!mr || prxe_mr_check(mr, qp->ibqp.pd, va,
				 whole ? 0 : max_t(u64, len, 1), access)) {
		if (mr)
			prxe_mr_put(mr);
		return PRXE_NAK(REM_ACCESS_ERR);
	}
	if (whole) {
		va = mr->iova;
		len = mr->length;
	}
	if ((plt & PRXE_FETH_PLT_PERSISTENCE) && len) {
		if (mr->odp) {
			err = prxe_qp_persist(qp, mr, va, len, pkt->psn);
		} else {
			err = prxe_mr_persist(mr, va, len);
			if (!err)
				prxe_counter_add(qp->prxe,
						 PRXE_CNT_FLUSH_WB_BYTES, len);
		}
	}
	prxe_mr_put(mr);
	if (err == -EINPROGRESS) {
		if (duplicate)
			return PRXE_ANS(LATER);
		/*
		 * A file sync (a journal commit) may take longer than the
		 * requester's retransmit timer: it is told to ask again, as a
		 * WRITE waiting for a page fault is, and the answer waits in
		 * the slot for the FLUSH's retry.
		 */
		prxe_counter_inc(qp->prxe, PRXE_CNT_ODP_FAULT_RNR_NAKS);
		return PRXE_ANS(RNR);
	}
	/*
	 * Gone (deregistered, unmapped): an access error; memory that cannot
	 * be persistent, a file sync's failure: operational.
	 */
	if (err == -EACCES || err == -EFAULT)
		return PRXE_NAK(REM_ACCESS_ERR);
	if (err)
		return PRXE_NAK(REM_OP_ERR);
	/* Stores before it are visible (and, written back, persistent). */
	wmb();
	prxe_counter_inc(qp->prxe, PRXE_CNT_FLUSHES);
	if (duplicate)
		prxe_resp_flush_ack(qp);
	else
		prxe_resp_done(qp, pkt->psn);
	prxe_resp_empty_response(qp, pkt->psn, qp->resp.msn);
	return PRXE_ANS(ANSWERED);
}

static struct prxe_resp_ans prxe_resp_flush_new(struct prxe_qp *qp,
						struct prxe_pkt *pkt)
{
	return prxe_resp_flush(qp, pkt, false);
}

static struct prxe_resp_ans prxe_resp_flush_again(struct prxe_qp *qp,
						  struct prxe_pkt *pkt)
{
	return prxe_resp_flush(qp, pkt, true);
}

/*
 * ATOMIC WRITE (IBTA 1.5): the payload's 8 bytes stored at once, as they
 * came (no byte order is implied), at an 8-byte aligned address of a
 * region with remote write access; answered, and remembered with the
 * atomics so that a duplicate is answered again without storing again (a
 * later WRITE of the same word must not be undone).  Misaligned, or not 8
 * bytes: an invalid request; the QP without remote write access too (as
 * rdma_rxe answers).  -EINPROGRESS as prxe_resp_atomic_exec().
 */
static struct prxe_resp_ans prxe_resp_atomic_write(struct prxe_qp *qp,
						   struct prxe_pkt *pkt)
{
	struct prxe_reth *reth = prxe_reth(pkt->info, pkt->bth);
	struct prxe_atomic a = { .op = PRXE_ATOMIC_STORE };
	u64 va = prxe_reth_va(reth);
	struct prxe_mr *mr;

	if (!(qp->access & IB_ACCESS_REMOTE_WRITE) ||
	    prxe_reth_len(reth) != sizeof(u64) ||
	    pkt->paylen != sizeof(u64) || (va & (sizeof(u64) - 1)))
		return PRXE_NAK(INVALID_REQ);
	mr = prxe_resp_reth_mr(qp, reth, IB_ACCESS_REMOTE_WRITE);
	if (!mr)
		return PRXE_NAK(REM_ACCESS_ERR);
	memcpy(&a.compare_add, prxe_pkt_payload(pkt), sizeof(u64));
	return prxe_resp_atomic_exec(qp, pkt, mr, va, &a);
}

/*
 * A duplicate atomic or ATOMIC WRITE: its answer was lost.  Answered again
 * from the replay memory; one too old to be there is dropped (the requester cannot
 * have that many outstanding).
 */
static struct prxe_resp_ans prxe_resp_atomic_replay(struct prxe_qp *qp,
						    struct prxe_pkt *pkt)
{
	int i;

	for (i = 0; i < PRXE_RESP_ATOMICS; i++) {
		struct prxe_resp_atomic *done = &qp->resp.atomics[i];

		if (done->valid && done->psn == pkt->psn) {
			prxe_resp_flush_ack(qp);
			if (done->empty)
				prxe_resp_empty_response(qp, done->psn,
							 done->msn);
			else
				prxe_resp_atomic_ack(qp, done);
			break;
		}
	}
	return PRXE_ANS(ANSWERED);
}

/*
 * A duplicate SEND or RDMA WRITE packet (an ACK was lost, or the requester
 * went back): if it asks, the ACK is sent again, for the last PSN taken.
 */
static struct prxe_resp_ans prxe_resp_dup_ack(struct prxe_qp *qp,
					      struct prxe_pkt *pkt)
{
	if (prxe_bth_ack_req(pkt->bth)) {
		prxe_resp_flush_ack(qp);
		prxe_resp_send_aeth(qp, PRXE_AETH_ACK |
				    PRXE_AETH_ACK_NO_CREDITS,
				    prxe_psn_add(qp->resp.epsn, PRXE_PSN_MASK));
	}
	return PRXE_ANS(ANSWERED);
}

/*
 * The operations: the first entry whose mask bit a request's opcode has
 * (SEND with Invalidate before SEND) takes it, new with @request, a
 * duplicate (PSN before the expected one) with @duplicate.
 */
struct prxe_resp_op {
	u32			mask;
	struct prxe_resp_ans	(*request)(struct prxe_qp *qp,
					   struct prxe_pkt *pkt);
	struct prxe_resp_ans	(*duplicate)(struct prxe_qp *qp,
					     struct prxe_pkt *pkt);
};

static const struct prxe_resp_op prxe_resp_ops[] = {
	{ PRXE_MASK_IETH,	  prxe_resp_send_inv,	  prxe_resp_dup_ack },
	{ PRXE_MASK_SEND,	  prxe_resp_send,	  prxe_resp_dup_ack },
	{ PRXE_MASK_WRITE,	  prxe_resp_write,	  prxe_resp_dup_ack },
	{ PRXE_MASK_READ,	  prxe_resp_read_new,	  prxe_resp_read_again },
	{ PRXE_MASK_ATOMIC,	  prxe_resp_atomic,	  prxe_resp_atomic_replay },
	{ PRXE_MASK_FLUSH,	  prxe_resp_flush_new,	  prxe_resp_flush_again },
	{ PRXE_MASK_ATOMIC_WRITE, prxe_resp_atomic_write,
				  prxe_resp_atomic_replay },
};

static const struct prxe_resp_op *prxe_resp_op_of(u32 mask)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(prxe_resp_ops); i++)
		if (mask & prxe_resp_ops[i].mask)
			return &prxe_resp_ops[i];
	return NULL;
}

/* Is @mask a legal next packet after what this QP received last? */
static bool prxe_resp_in_sequence(struct prxe_qp *qp, u32 mask)
{
	switch (qp->resp.in_msg) {
	case 'S':
		return (mask & PRXE_MASK_SEND) && !(mask & PRXE_MASK_FIRST);
	case 'W':
		return (mask & PRXE_MASK_WRITE) && !(mask & PRXE_MASK_FIRST);
	default:
		return mask & PRXE_MASK_FIRST;
	}
}

/*
 * Answer request @pkt as its handler said (@ans).  Returns -EINPROGRESS
 * for PRXE_RESP_LATER: the request stays queued, to be taken again.
 */
static int prxe_resp_answer(struct prxe_qp *qp, struct prxe_pkt *pkt,
			    struct prxe_resp_ans ans)
{
	switch (ans.verdict) {
	case PRXE_RESP_LATER:
		return -EINPROGRESS;
	case PRXE_RESP_RNR:
		prxe_resp_rnr(qp, pkt->psn);
		break;
	case PRXE_RESP_NAK:
		prxe_resp_nak_err(qp, ans.syn, pkt->psn, ans.completed);
		break;
	case PRXE_RESP_ACK:
		/* Coalesced: sent once the queue of requests is empty. */
		if (qp->state != IB_QPS_ERR && prxe_bth_ack_req(pkt->bth) &&
		    qp->resp.epsn == prxe_psn_add(pkt->psn, 1)) {
			qp->resp.ack_pending = true;
			qp->resp.ack_psn = pkt->psn;
		}
		break;
	case PRXE_RESP_ANSWERED:
		break;
	}
	return 0;
}

/*
 * One incoming request: the PSN checks every request shares, then its
 * operation's handler (prxe_resp_ops[]), then its answer.  Returns
 * -EINPROGRESS when it must be taken again later (an atomic or ATOMIC
 * WRITE waiting for its ODP page, a duplicate FLUSH for a worker's
 * persistence): nothing of it is done yet.
 */
static int prxe_resp_packet(struct prxe_qp *qp, struct prxe_pkt *pkt)
{
	const struct prxe_resp_op *op = prxe_resp_op_of(pkt->info->mask);
	s32 gap = prxe_psn_diff(pkt->psn, qp->resp.epsn);
	struct prxe_resp_ans ans;

	if (gap > 0) {
		/* Packets lost: NAK once, drop until the requester rewinds. */
		if (!qp->resp.nak_sent) {
			qp->resp.nak_sent = true;
			prxe_counter_inc(qp->prxe, PRXE_CNT_SEQ_NAKS_SENT);
			prxe_resp_nak(qp, PRXE_AETH_NAK_PSN_SEQ_ERR,
				      qp->resp.epsn);
		}
		return 0;
	}
	if (gap < 0) {
		prxe_counter_inc(qp->prxe, PRXE_CNT_DUP_REQ);
		ans = op ? op->duplicate(qp, pkt) : PRXE_ANS(ANSWERED);
	} else {
		qp->resp.nak_sent = false;
		if (op && prxe_resp_in_sequence(qp, pkt->info->mask))
			ans = op->request(qp, pkt);
		else
			ans = PRXE_NAK(INVALID_REQ);
	}
	return prxe_resp_answer(qp, pkt, ans);
}

/*
 * Requests queue behind a READ being answered (its responses come first in
 * PSN order), except a request for the rest of this very READ: the
 * requester lost some of its responses and wants them again from there.
 */
static bool prxe_resp_preempts_read(struct prxe_qp *qp)
{
	struct sk_buff *skb = prxe_qp_pkt_peek(qp, &qp->req_pkts);
	struct prxe_resp_read *rd = &qp->resp.read;
	struct prxe_pkt *pkt;
	s32 since;

	if (!skb)
		return false;
	pkt = prxe_pkt(skb);
	if (!(pkt->info->mask & PRXE_MASK_READ))
		return false;
	since = prxe_psn_diff(pkt->psn, rd->psn);
	return since >= 0 && since < (s32)rd->npsn;
}

/* One step of the responder: true if it did something. */
bool prxe_resp_run(struct prxe_qp *qp)
{
	struct sk_buff *skb;

	lockdep_assert_held(&qp->mutex);
	if (qp->state != IB_QPS_RTR && qp->state != IB_QPS_RTS &&
	    qp->state != IB_QPS_SQD) {
		prxe_qp_pkts_discard(qp, &qp->req_pkts);
		return false;
	}
	if (qp->resp.read.active && !prxe_resp_preempts_read(qp))
		return prxe_resp_read_step(qp);
	skb = prxe_qp_pkt_peek(qp, &qp->req_pkts);
	if (!skb) {
		prxe_resp_flush_ack(qp);
		return false;
	}
	if (prxe_resp_packet(qp, prxe_pkt(skb)) == -EINPROGRESS)
		return false;		/* taken again once the fault is done */
	skb_unlink(skb, &qp->req_pkts);
	kfree_skb(skb);
	return true;
}

/* Drop the memory region references of requests in progress. */
void prxe_resp_release(struct prxe_qp *qp)
{
	if (qp->resp.mr)
		prxe_mr_put(qp->resp.mr);
	qp->resp.mr = NULL;
	prxe_resp_read_end(qp);
}
