// SPDX-License-Identifier: GPL-2.0-only
/*
 * Datagram QPs: UD QPs and the GSI QP (QP 1, through which ib_core's MAD
 * layer carries the connection manager's messages for rdma_cm).
 *
 * Sending: each work request is one packet (SEND only, with or without
 * immediate data; at most the port's MTU) to the address handle, QPN and
 * Q_Key it names, and completes as soon as it is handed to the IP stack:
 * no acknowledgement, no retransmission.
 *
 * Receiving: a datagram with the QP's Q_Key (the P_Key is checked with
 * the packet, prxe_recv.c) goes into the next receive WQE behind the 40
 * bytes of its GRH (for IPv4: 20 zero bytes, then the IPv4 header, where
 * ib_core and libibverbs look for it), and completes with the sender's
 * QPN, IB_WC_GRH and the network header type.  Datagrams with another
 * Q_Key are dropped and counted (rcvd_bad_qkey), as are those for which no
 * receive WQE is posted (rcvd_ud_dropped).  One too long for
 * its receive buffers completes that WQE with IB_WC_LOC_LEN_ERR and the QP
 * carries on: a peer's oversized datagram must not take the GSI QP down.
 *
 * Runs in the QP task under qp->mutex, like the RC engines.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <rdma/ib_mad.h>

#include "prxe.h"
#include "prxe_counters.h"
#include "prxe_cq.h"
#include "prxe_mr.h"
#include "prxe_opcode.h"
#include "prxe_qp.h"
#include "prxe_ud.h"

/* The bytes in front of a datagram in its receive buffer. */
#define PRXE_GRH_BYTES		40

/* prxe_ud_send(): not sent yet, an ODP fault of its buffer runs. */
#define PRXE_UD_SEND_LATER	U32_MAX

/*
 * Send the datagram of @swqe.  Returns the IB_WC_* status its completion
 * gets (a datagram lost on the way, no route, no memory, is still a
 * successful send), or PRXE_UD_SEND_LATER.
 */
static u32 prxe_ud_send(struct prxe_qp *qp, struct prxe_swqe *swqe)
{
	bool imm = swqe->wr.opcode == IB_UVERBS_WR_SEND_WITH_IMM;
	u8 opcode = imm ? PRXE_OP_UD_SEND_ONLY_WITH_IMM : PRXE_OP_UD_SEND_ONLY;
	const struct prxe_opcode_info *info = prxe_opcode_info(opcode);
	u32 qkey = swqe->wr.wr.ud.remote_qkey;
	u32 dqpn = swqe->wr.wr.ud.remote_qpn;
	u32 len = swqe->length;
	struct prxe_bth *bth;
	struct sk_buff *skb;
	struct prxe_av av;

	if (swqe->wr.opcode != IB_UVERBS_WR_SEND && !imm)
		return IB_WC_LOC_QP_OP_ERR;
	if (len > prxe_port_mtu(qp->prxe))
		return IB_WC_LOC_LEN_ERR;
	if (dqpn > PRXE_MAX_QPN ||
	    prxe_ah_av(qp->prxe, swqe->wr.wr.ud.ah_num, qp->ibqp.pd, &av))
		return IB_WC_LOC_QP_OP_ERR;
	/*
	 * A Q_Key with the high bit set means "the QP's own" (IBTA 10.2.5):
	 * the MAD layer sends that way (IB_QP_SET_QKEY).
	 */
	if (qkey & IB_QP_SET_QKEY)
		qkey = qp->qkey;

	skb = prxe_qp_pkt_new_to(qp, &av, dqpn, opcode, len, qp->req.psn,
				 false, swqe->wr.send_flags & IB_SEND_SOLICITED,
				 &bth);
	if (!skb) {
		prxe_counter_inc(qp->prxe, PRXE_CNT_SEND_ERR);
		return IB_WC_SUCCESS;
	}
	prxe_deth_set(prxe_deth(info, bth), qkey, qp->ibqp.qp_num);
	if (imm)
		prxe_immdt_set_imm(prxe_immdt(info, bth), swqe->wr.ex.imm_data);

	if (swqe->wr.send_flags & IB_SEND_INLINE) {
		memcpy(prxe_payload(info, bth), swqe->data, len);
	} else {
		int err = prxe_qp_copy(qp, &(struct prxe_copy) {
			.sge = prxe_swqe_sge(swqe),
			.num_sge = swqe->wr.num_sge, .pd = qp->ibqp.pd,
			.buf = prxe_payload(info, bth), .len = len,
			.dir = PRXE_FROM_MR,
		});

		if (err) {
			kfree_skb(skb);
			return err == -EINPROGRESS ? PRXE_UD_SEND_LATER :
						     IB_WC_LOC_PROT_ERR;
		}
	}
	qp->req.psn = prxe_psn_add(qp->req.psn, 1);
	prxe_pkt_xmit(qp->prxe, &av, NULL, skb, qp->ibqp.qp_num, dqpn);
	return IB_WC_SUCCESS;
}

/*
 * The requester of a datagram QP: send the oldest work request and
 * complete it.  A work request that cannot be sent completes in error and
 * the QP enters the error state (which flushes the rest).
 */
bool prxe_ud_send_run(struct prxe_qp *qp)
{
	u32 idx = qp->sq.kidx;
	struct prxe_swqe *swqe;
	u32 status;
	int err;

	lockdep_assert_held(&qp->mutex);
	if (qp->state != IB_QPS_RTS && qp->state != IB_QPS_SQD)
		return false;
	if (!prxe_ring_avail(&qp->sq))
		return false;

	swqe = prxe_swqe(qp, idx);
	err = prxe_swqe_load(qp, idx, swqe);
	if (err)
		status = err == -EMSGSIZE ? IB_WC_LOC_LEN_ERR :
					    IB_WC_LOC_QP_OP_ERR;
	else
		status = prxe_ud_send(qp, swqe);
	/* Sent again, from the ring, once the fault worker is done. */
	if (status == PRXE_UD_SEND_LATER)
		return false;

	/* Taken from the ring: the completion comes from this copy. */
	qp->req.next = idx + 1;
	prxe_qp_complete_send(qp, idx, status);
	if (status != IB_WC_SUCCESS)
		prxe_qp_error(qp);
	return true;
}

/* The GRH a receive buffer gets in front of the datagram of @skb. */
static void prxe_ud_grh(struct sk_buff *skb, u8 *grh)
{
	memset(grh, 0, PRXE_GRH_BYTES);
	if (prxe_pkt(skb)->ipv6)
		memcpy(grh, ipv6_hdr(skb), sizeof(struct ipv6hdr));
	else
		memcpy(grh + PRXE_GRH_BYTES - sizeof(struct iphdr), ip_hdr(skb),
		       sizeof(struct iphdr));
}

/*
 * Deliver the datagram of @skb.  -EINPROGRESS: its receive buffer waits
 * for an ODP fault; it is delivered again (into the same WQE) then.
 */
static int prxe_ud_deliver(struct prxe_qp *qp, struct sk_buff *skb)
{
	struct prxe_pkt *pkt = prxe_pkt(skb);
	struct prxe_deth *deth = prxe_deth(pkt->info, pkt->bth);
	struct prxe_immdt *immdt = prxe_immdt(pkt->info, pkt->bth);
	struct prxe_rwqe *rwqe = qp->resp.rwqe;
	u8 grh[PRXE_GRH_BYTES];
	struct prxe_cqe cqe = {
		.opcode = IB_WC_RECV,
		.src_qp = prxe_deth_sqp(deth),
		.flags = PRXE_CQE_GRH,
		.network_hdr_type = pkt->ipv6 ? PRXE_NETWORK_IPV6 :
						PRXE_NETWORK_IPV4,
	};
	int err;

	struct prxe_copy copy = {
		.sge = rwqe->sge, .pd = prxe_qp_recv_pd(qp),
		.access = IB_ACCESS_LOCAL_WRITE, .dir = PRXE_TO_MR,
	};

	/* The P_Key was checked with the packet (prxe_recv.c). */
	if (prxe_deth_qkey(deth) != qp->qkey) {
		prxe_counter_inc(qp->prxe, PRXE_CNT_RCVD_BAD_QKEY);
		return 0;
	}
	if (!prxe_resp_take_rwqe(qp)) {
		prxe_counter_inc(qp->prxe, PRXE_CNT_RCVD_UD_DROPPED);
		return 0;
	}

	prxe_ud_grh(skb, grh);
	copy.num_sge = rwqe->wr.num_sge;
	copy.buf = grh;
	copy.len = sizeof(grh);
	err = prxe_qp_copy(qp, &copy);
	if (!err) {
		copy.offset = sizeof(grh);
		copy.buf = prxe_pkt_payload(pkt);
		copy.len = pkt->paylen;
		err = prxe_qp_copy(qp, &copy);
	}
	if (err == -EINPROGRESS)
		return err;
	cqe.wr_id = rwqe->wr.wr_id;
	if (err) {
		cqe.status = err == -EMSGSIZE ? IB_WC_LOC_LEN_ERR :
						IB_WC_LOC_PROT_ERR;
	} else {
		cqe.byte_len = sizeof(grh) + pkt->paylen;
		if (immdt) {
			cqe.ex.imm_data = prxe_immdt_imm(immdt);
			cqe.flags |= PRXE_CQE_WITH_IMM;
		}
	}
	prxe_resp_complete_rwqe(qp, &cqe, pkt->se);
	/* A receive WQE the QP cannot write to is the consumer's error. */
	if (cqe.status == IB_WC_LOC_PROT_ERR)
		prxe_qp_error(qp);
	return 0;
}

/* The receiver of a datagram QP: one datagram per step. */
bool prxe_ud_recv_run(struct prxe_qp *qp)
{
	struct sk_buff *skb;

	lockdep_assert_held(&qp->mutex);
	if (qp->state != IB_QPS_RTR && qp->state != IB_QPS_RTS &&
	    qp->state != IB_QPS_SQD) {
		prxe_qp_pkts_discard(qp, &qp->req_pkts);
		return false;
	}
	skb = prxe_qp_pkt_peek(qp, &qp->req_pkts);
	if (!skb)
		return false;
	if (prxe_ud_deliver(qp, skb) == -EINPROGRESS)
		return false;		/* delivered again once faulted in */
	skb_unlink(skb, &qp->req_pkts);
	kfree_skb(skb);
	return true;
}
