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
 * Receiving: a datagram with the QP's Q_Key (and the default P_Key) goes
 * into the next receive WQE behind the 40 bytes of its GRH (for IPv4: 20
 * zero bytes, then the IPv4 header, where ib_core and libibverbs look for
 * it), and completes with the sender's QPN, IB_WC_GRH and the network
 * header type.  Datagrams with another Q_Key, or for which no receive WQE
 * is posted, are dropped and counted (rcvd_ud_dropped).  One too long for
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

/*
 * Send the datagram of @swqe.  Returns the IB_WC_* status its completion
 * gets; a datagram lost on the way (no route, no memory) is still a
 * successful send.
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
	} else if (prxe_sge_copy(qp->prxe, qp->ibqp.pd, prxe_swqe_sge(swqe),
				 swqe->wr.num_sge, 0, prxe_payload(info, bth),
				 len, PRXE_FROM_MR, 0)) {
		kfree_skb(skb);
		return IB_WC_LOC_PROT_ERR;
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

static void prxe_ud_deliver(struct prxe_qp *qp, struct sk_buff *skb)
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

	/* Only the low 15 bits of a P_Key name it; prxe has the default. */
	if (prxe_deth_qkey(deth) != qp->qkey ||
	    (prxe_bth_pkey(pkt->bth) & 0x7fff) != (PRXE_DEFAULT_PKEY & 0x7fff) ||
	    !prxe_resp_take_rwqe(qp)) {
		prxe_counter_inc(qp->prxe, PRXE_CNT_RCVD_UD_DROPPED);
		return;
	}

	prxe_ud_grh(skb, grh);
	err = prxe_sge_copy(qp->prxe, prxe_qp_recv_pd(qp), rwqe->sge,
			    rwqe->wr.num_sge, 0, grh, sizeof(grh), PRXE_TO_MR,
			    IB_ACCESS_LOCAL_WRITE);
	if (!err)
		err = prxe_sge_copy(qp->prxe, prxe_qp_recv_pd(qp), rwqe->sge,
				    rwqe->wr.num_sge, sizeof(grh),
				    prxe_pkt_payload(pkt), pkt->paylen,
				    PRXE_TO_MR, IB_ACCESS_LOCAL_WRITE);
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
}

/* The receiver of a datagram QP: one datagram per step. */
bool prxe_ud_recv_run(struct prxe_qp *qp)
{
	struct sk_buff *skb;

	if (qp->state != IB_QPS_RTR && qp->state != IB_QPS_RTS &&
	    qp->state != IB_QPS_SQD) {
		skb_queue_purge(&qp->req_pkts);
		return false;
	}
	skb = prxe_qp_pkt_dequeue(qp, &qp->req_pkts);
	if (!skb)
		return false;
	prxe_ud_deliver(qp, skb);
	kfree_skb(skb);
	return true;
}
