// SPDX-License-Identifier: GPL-2.0-only
/*
 * From the wire to a QP: prxe_net.c hands every well-formed packet here
 * (softirq context, packet parsed into prxe_pkt(skb)); requests go to the
 * QP's responder, ACKs and responses to its completer, and the QP's task
 * is scheduled.  The task makes the rest of the checks when it takes the
 * packet (prxe_qp_pkt_peek()): the ICRC, the P_Key and, for RC, that the
 * packet comes from the QP's peer to the QP's own address.  That work,
 * like the rest of the packet's, is done on the CPU that runs the QP
 * rather than the one that received the packet (in a loopback that is the
 * sender's, which has its own ICRC to compute).  Packets for no QP, or for
 * a QP in a state that takes none of their kind, are checked and counted
 * here.
 *
 * Every packet that reaches prxe_rcv_pkt() is counted once: in rcvd_pkts
 * when it passed every check and went to an engine, or in the counter of
 * the check that dropped it (docs/ARCHITECTURE.md has the table).
 *
 * Locking: RCU protects the QP lookup; prxe_destroy_qp() removes the QP
 * from the table and waits for a grace period before stopping its task.
 * The QP's packet queues have their own spinlock (taken alone, or under
 * qp->mutex by the task).
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ipv6.h>

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

/*
 * Does the QP take packets of this kind in its state (read without its
 * mutex: a packet that races a state change is decided again by the task)?
 * Requests from RTR on, responses (to an RC requester) from RTS on.
 */
static bool prxe_qp_ready_for(const struct prxe_qp *qp, u32 mask)
{
	enum ib_qp_state state = READ_ONCE(qp->state);

	if (state != IB_QPS_RTS && state != IB_QPS_SQD &&
	    (state != IB_QPS_RTR || !(mask & PRXE_MASK_REQ)))
		return false;
	return true;
}

/* A packet dropped before any QP took it: by its ICRC, else by @why. */
static void prxe_rcv_drop(struct prxe_dev *prxe, struct sk_buff *skb,
			  enum prxe_counter why)
{
	prxe_counter_inc(prxe, prxe_icrc_check(skb) ? PRXE_CNT_RCVD_ICRC_ERR :
			 why);
	kfree_skb(skb);
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
		prxe_rcv_drop(prxe, skb, PRXE_CNT_RCVD_UNKNOWN_QP);
		return;
	}
	if (!prxe_qp_ready_for(qp, pkt->mask)) {
		rcu_read_unlock();
		prxe_rcv_drop(prxe, skb, PRXE_CNT_RCVD_QP_NOT_READY);
		return;
	}
	queue = pkt->info->mask & PRXE_MASK_REQ ? &qp->req_pkts : &qp->rsp_pkts;
	spin_lock_irqsave(&queue->lock, flags);
	/* A QP that cannot keep up loses packets; its peer retransmits. */
	if (skb_queue_len(queue) >= PRXE_MAX_QUEUED_PKTS) {
		spin_unlock_irqrestore(&queue->lock, flags);
		rcu_read_unlock();
		prxe_counter_inc(prxe, PRXE_CNT_RCVD_QUEUE_FULL);
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

/*
 * IBTA 10.9.3: two P_Keys match when their low 15 bits are equal and one
 * of them is a full member's.  prxe's only P_Key is the default, 0xffff
 * (full member), so a packet matches when its low 15 bits are all ones.
 */
static bool prxe_pkey_matches(u16 pkey)
{
	return (pkey & 0x7fff) == (PRXE_DEFAULT_PKEY & 0x7fff);
}

/*
 * An RC packet belongs to the QP's connection: from the peer's address
 * (the QP's destination GID) to the QP's own (its source GID).  As
 * rdma_rxe checks; without it anyone who can send UDP to 4791 could
 * inject into a connection by guessing its QPN and a PSN in its window.
 */
static bool prxe_rc_pkt_from_peer(const struct prxe_qp *qp,
				  struct sk_buff *skb)
{
	const struct prxe_pkt *pkt = prxe_pkt(skb);
	struct in6_addr daddr;

	if (!qp->av_valid || !ipv6_addr_equal(&pkt->saddr, &qp->av.daddr))
		return false;
	if (pkt->ipv6)
		daddr = ipv6_hdr(skb)->daddr;
	else
		ipv6_addr_set_v4mapped(ip_hdr(skb)->daddr, &daddr);
	return ipv6_addr_equal(&daddr, &qp->av.saddr);
}

/*
 * The task's checks of a packet it is about to take, once per packet:
 * the ICRC, the P_Key, and for an RC QP the connection's addresses.  A
 * packet that fails one is counted by that check and dropped.
 */
static bool prxe_qp_pkt_accept(struct prxe_qp *qp, struct sk_buff *skb)
{
	struct prxe_pkt *pkt = prxe_pkt(skb);
	enum prxe_counter why;

	lockdep_assert_held(&qp->mutex);
	if (pkt->accepted)
		return true;
	if (prxe_icrc_check(skb))
		why = PRXE_CNT_RCVD_ICRC_ERR;
	else if (!prxe_pkey_matches(prxe_bth_pkey(pkt->bth)))
		why = PRXE_CNT_RCVD_BAD_PKEY;
	else if (qp->ibqp.qp_type == IB_QPT_RC &&
		 !prxe_rc_pkt_from_peer(qp, skb))
		why = PRXE_CNT_RCVD_WRONG_SRC;
	else
		why = PRXE_CNT_RCVD_PKTS;
	prxe_counter_inc(qp->prxe, why);
	pkt->accepted = why == PRXE_CNT_RCVD_PKTS;
	return pkt->accepted;
}

/*
 * The next packet of @queue (qp->req_pkts or qp->rsp_pkts) that passes
 * the checks, left at the head of the queue (the engine unlinks it once
 * done with it); the others are counted and dropped.  In the QP's task,
 * the only consumer of its queues.
 */
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
		if (!skb || prxe_qp_pkt_accept(qp, skb))
			return skb;
		skb_unlink(skb, queue);
		kfree_skb(skb);
	}
}

/*
 * Drop every packet of @queue: the QP left the states that take them
 * (error, reset, destroy).  Those no check has counted yet are counted
 * as rcvd_qp_not_ready.
 */
void prxe_qp_pkts_discard(struct prxe_qp *qp, struct sk_buff_head *queue)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(queue))) {
		if (!prxe_pkt(skb)->accepted)
			prxe_counter_inc(qp->prxe, PRXE_CNT_RCVD_QP_NOT_READY);
		kfree_skb(skb);
	}
}
