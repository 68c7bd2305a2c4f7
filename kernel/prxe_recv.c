// SPDX-License-Identifier: GPL-2.0-only
/*
 * From the wire to a QP: prxe_net.c hands every well-formed packet here
 * (softirq context, packet parsed into prxe_pkt(skb)); requests go to the
 * QP's responder, ACKs and responses to its completer, and the QP's task
 * is scheduled.  The task checks the ICRC when it takes a packet
 * (prxe_qp_pkt_dequeue()): that work, like the rest of the packet's, is
 * done on the CPU that runs the QP rather than the one that received
 * the packet (in a loopback that is the sender's, which has its own
 * ICRC to compute).  Packets for no QP are checked here.
 *
 * Locking: RCU protects the QP lookup; prxe_destroy_qp() removes the QP
 * from the table and waits for a grace period before stopping its task.
 * The QP's packet queues have their own spinlock (taken alone; the task
 * peeks under it while holding qp->mutex: qp->mutex -> queue lock).
 */
#include "prxe.h"
#include "prxe_counters.h"
#include "prxe_net.h"
#include "prxe_opcode.h"
#include "prxe_qp.h"

/* Packets waiting for one QP's task, at most (per direction). */
#define PRXE_MAX_QUEUED_PKTS	4096

/* Packets of RC opcodes go to RC QPs, UD opcodes to UD QPs and QP 1. */
static bool prxe_qp_takes(const struct prxe_qp *qp, u8 opcode)
{
	switch (opcode & PRXE_OP_TRANSPORT_MASK) {
	case PRXE_OP_RC:
		return qp->ibqp.qp_type == IB_QPT_RC;
	case PRXE_OP_UD:
		return prxe_qp_is_datagram(qp);
	default:
		return false;
	}
}

void prxe_rcv_pkt(struct prxe_dev *prxe, struct sk_buff *skb)
{
	struct prxe_pkt *pkt = prxe_pkt(skb);
	struct sk_buff_head *queue;
	unsigned long flags;
	struct prxe_qp *qp;
	bool first;

	rcu_read_lock();
	qp = xa_load(&prxe->qps, pkt->qpn);
	if (!qp || !prxe_qp_takes(qp, pkt->info->opcode)) {
		rcu_read_unlock();
		if (prxe_icrc_check(skb)) {
			prxe_counter_inc(prxe, PRXE_CNT_RCVD_ICRC_ERR);
		} else {
			prxe_counter_inc(prxe, PRXE_CNT_RCVD_PKTS);
			prxe_counter_inc(prxe, PRXE_CNT_RCVD_UNKNOWN_QP);
		}
		kfree_skb(skb);
		return;
	}
	queue = pkt->info->mask & PRXE_MASK_REQ ? &qp->req_pkts : &qp->rsp_pkts;
	spin_lock_irqsave(&queue->lock, flags);
	/* A QP that cannot keep up loses packets; its peer retransmits. */
	if (skb_queue_len(queue) >= PRXE_MAX_QUEUED_PKTS) {
		spin_unlock_irqrestore(&queue->lock, flags);
		rcu_read_unlock();
		kfree_skb(skb);
		return;
	}
	__skb_queue_tail(queue, skb);
	first = skb_queue_len(queue) == 1;
	spin_unlock_irqrestore(&queue->lock, flags);
	/*
	 * Behind other packets, this one is taken by the task already
	 * scheduled for them: it runs until it finds the queues empty.
	 */
	if (first)
		prxe_qp_schedule(qp);
	rcu_read_unlock();
}

/* Check the ICRC of a packet taken or peeked at by its QP's task, once. */
static bool prxe_qp_pkt_check(struct prxe_qp *qp, struct sk_buff *skb)
{
	struct prxe_pkt *pkt = prxe_pkt(skb);

	if (pkt->icrc_ok)
		return true;
	if (prxe_icrc_check(skb)) {
		prxe_counter_inc(qp->prxe, PRXE_CNT_RCVD_ICRC_ERR);
		return false;
	}
	prxe_counter_inc(qp->prxe, PRXE_CNT_RCVD_PKTS);
	pkt->icrc_ok = 1;
	return true;
}

/*
 * The next packet of @queue (qp->req_pkts or qp->rsp_pkts) whose ICRC is
 * right; the others are counted and dropped.  In the QP's task, the only
 * consumer of its queues.
 */
struct sk_buff *prxe_qp_pkt_dequeue(struct prxe_qp *qp,
				    struct sk_buff_head *queue)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(queue))) {
		if (prxe_qp_pkt_check(qp, skb))
			return skb;
		kfree_skb(skb);
	}
	return NULL;
}

/* The same, left at the head of @queue: the next prxe_qp_pkt_dequeue(). */
struct sk_buff *prxe_qp_pkt_peek(struct prxe_qp *qp,
				 struct sk_buff_head *queue)
{
	struct sk_buff *skb;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&queue->lock, flags);
		skb = skb_peek(queue);
		spin_unlock_irqrestore(&queue->lock, flags);
		/* Only the task dequeues: @skb stays at the head. */
		if (!skb || prxe_qp_pkt_check(qp, skb))
			return skb;
		skb_unlink(skb, queue);
		kfree_skb(skb);
	}
}
