// SPDX-License-Identifier: GPL-2.0-only
/*
 * From the wire to a QP: prxe_net.c hands every valid packet here (softirq
 * context, packet parsed into prxe_pkt(skb)); requests go to the QP's
 * responder, ACKs and responses to its completer, and the QP's task is
 * scheduled.
 *
 * Locking: RCU protects the QP lookup; prxe_destroy_qp() removes the QP
 * from the table and waits for a grace period before stopping its task.
 */
#include "prxe.h"
#include "prxe_counters.h"
#include "prxe_net.h"
#include "prxe_opcode.h"
#include "prxe_qp.h"

/* Packets waiting for one QP's task, at most (per direction). */
#define PRXE_MAX_QUEUED_PKTS	4096

void prxe_rcv_pkt(struct prxe_dev *prxe, struct sk_buff *skb)
{
	struct prxe_pkt *pkt = prxe_pkt(skb);
	struct sk_buff_head *queue;
	struct prxe_qp *qp;

	rcu_read_lock();
	qp = xa_load(&prxe->qps, pkt->qpn);
	if (!qp || qp->ibqp.qp_type != IB_QPT_RC ||
	    (pkt->info->opcode & PRXE_OP_TRANSPORT_MASK) != PRXE_OP_RC) {
		rcu_read_unlock();
		prxe_counter_inc(prxe, PRXE_CNT_RCVD_UNKNOWN_QP);
		kfree_skb(skb);
		return;
	}
	queue = pkt->info->mask & PRXE_MASK_REQ ? &qp->req_pkts : &qp->rsp_pkts;
	/* A QP that cannot keep up loses packets; its peer retransmits. */
	if (skb_queue_len(queue) >= PRXE_MAX_QUEUED_PKTS) {
		rcu_read_unlock();
		kfree_skb(skb);
		return;
	}
	skb_queue_tail(queue, skb);
	prxe_qp_schedule(qp);
	rcu_read_unlock();
}
