/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Queue pairs: the object, its attributes, and the state of the three
 * protocol engines that run on it (requester prxe_req.c, completer
 * prxe_comp.c, responder prxe_resp.c).
 *
 * All protocol state of a QP is touched only by its task (prxe_qp_task.c)
 * and by the verbs that change the QP, both under qp->mutex.  The receive
 * softirq only queues packets and schedules the task; timers only schedule
 * the task.
 */
#ifndef PRXE_QP_H
#define PRXE_QP_H

#include <linux/mutex.h>
#include <linux/skbuff.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <net/dst_cache.h>

#include "prxe_mr.h"
#include "prxe_net.h"
#include "prxe_params.h"
#include "prxe_ring.h"
#include "prxe_srq.h"

struct prxe_cq;
struct prxe_fault;

/*
 * The kernel's copy of a send work request while it is in flight: taken
 * from the send ring once, checked, and kept until completed (the ring
 * entry itself may be rewritten by the process at any time).
 */
struct prxe_swqe {
	struct prxe_send_wqe	wr;
	u32			length;		/* message bytes */
	u32			first_psn;
	u32			last_psn;	/* of the request, or of the READ response */
	u32			npsn;		/* PSNs the message uses */
	u32			sent;		/* bytes sent (requests) */
	u32			received;	/* bytes of READ response placed */
	u8			local_status;	/* IB_WC_* it failed with here, 0 */
	bool			started;
	bool			signaled;
	bool			read_done;	/* every READ response placed, */
	u32			read_status;	/* or this error seen (IB_WC_*) */
	bool			read_gap;	/* READ responses lost: asked again */
	u64			read_ahead;	/* READ responses placed past received */
	/* then: struct prxe_sge sge[max_send_sge] or inline data */
	u8			data[] __aligned(8);
};

/* The kernel's copy of the receive work request being filled. */
struct prxe_rwqe {
	struct prxe_recv_wqe	wr;
	struct prxe_sge		sge[];
};

/*
 * Copy the receive ring entry @wqe into @rwqe (room for @max_sge SGEs),
 * reading it once; a malformed one (too many SGEs) gets none: nothing
 * fits in it.
 */
static inline void prxe_rwqe_read(struct prxe_rwqe *rwqe,
				  const struct prxe_recv_wqe *wqe, u32 max_sge)
{
	memcpy(&rwqe->wr, wqe, sizeof(rwqe->wr));
	if (rwqe->wr.num_sge > max_sge)
		rwqe->wr.num_sge = 0;
	memcpy(rwqe->sge, wqe + 1, rwqe->wr.num_sge * sizeof(rwqe->sge[0]));
}

struct prxe_req_state {
	u32			next;		/* SQ index of the next WQE to send */
	u32			psn;		/* next PSN to send */
	u32			max_psn;	/* PSN after the last one ever sent */
	bool			fault_wait;	/* a payload waits for a local fault */
	/*
	 * FLUSHes go with rdma_rxe's ICRC (prxe_icrc.c), not IBTA's: tried
	 * when one goes unanswered, kept once one is answered (@icrc_known).
	 */
	bool			flush_icrc_rxe;
	bool			flush_icrc_known;
};

/* struct prxe_comp_state.events: set by timers, taken by the task */
enum {
	PRXE_COMP_TIMEOUT,	/* retransmit timer expired */
	PRXE_COMP_RNR_DONE,	/* RNR wait over */
};

struct prxe_comp_state {
	u32			psn;		/* oldest PSN not yet acknowledged */
	u8			retry_left;
	u8			rnr_retry_left;
	bool			rnr_wait;	/* requester paused by RNR NAK */
	bool			fault_wait;	/* a response waits for a local fault */
	unsigned long		events;
};

/*
 * An RDMA READ being answered: one response packet per responder step, so
 * that a long READ neither floods the link in one burst nor holds up the
 * QP's other engines.
 */
struct prxe_resp_read {
	struct prxe_mr		*mr;		/* NULL: none (zero length) or idle */
	bool			active;
	u64			va;		/* of the request's RETH */
	u32			length;
	u32			offset;		/* bytes answered */
	u32			psn;		/* of the request */
	u32			npsn;		/* PSNs of its responses */
};

/*
 * An atomic request (or ATOMIC WRITE) executed, kept to answer its
 * duplicates: the requester lost the answer and asks again, and an atomic
 * must not be done twice (IBTA 9.7.5.1.3).
 */
struct prxe_resp_atomic {
	u32			psn;
	u32			msn;		/* of its acknowledge */
	u64			orig;		/* the original remote data */
	bool			valid;
	bool			empty;		/* ATOMIC WRITE: no data to answer */
};

/*
 * Atomics remembered per QP for replay: the last ones executed, as many as
 * a requester may have outstanding (max_dest_rd_atomic at most).
 */
#define PRXE_RESP_ATOMICS	PRXE_MAX_RD_ATOMIC

struct prxe_resp_state {
	u32			epsn;		/* expected PSN */
	u32			msn;		/* messages completed */
	bool			nak_sent;	/* PSN sequence error NAKed */
	bool			ack_pending;	/* ACK of ack_psn to send */
	u32			ack_psn;
	u8			in_msg;		/* 0, or 'S' / 'W' in a multi-packet SEND / WRITE */
	u64			offset;		/* bytes placed in the current message */
	u32			length;		/* of the current WRITE (RETH) */
	u64			va;		/* of the current WRITE */
	struct prxe_mr		*mr;		/* of the current WRITE */
	bool			have_rwqe;
	struct prxe_rwqe	*rwqe;		/* max_recv_sge SGEs */
	struct prxe_resp_read	read;		/* responses being sent */
	struct prxe_resp_atomic	atomics[PRXE_RESP_ATOMICS];
	u32			atomic_next;	/* slot of the next one */
};

struct prxe_qp {
	struct ib_qp		ibqp;
	struct prxe_dev		*prxe;

	struct mutex		mutex;		/* state, attributes, engines */
	enum ib_qp_state	state;
	bool			destroyed;

	struct prxe_ring	sq;		/* consumer index: completed WQEs */
	struct prxe_ring	rq;
	spinlock_t		kpost_lock;	/* kernel QP: producer sides */
	u32			max_send_wr;	/* as granted: 0, or the ring's size */
	u32			max_recv_wr;
	u32			max_send_sge;
	u32			max_recv_sge;
	u32			max_inline;
	u8			*swqes;		/* shadow of the SQ, swqe_size each */
	size_t			swqe_size;

	/* Attributes (modify_qp). */
	struct prxe_av		av;
	bool			av_valid;
	struct dst_cache	route;		/* of av, for prxe_pkt_xmit() */
	enum ib_mtu		path_mtu;
	u32			mtu;		/* bytes */
	u32			dest_qpn;
	u32			qkey;		/* UD, GSI */
	int			access;		/* IB_ACCESS_REMOTE_* */
	u32			sq_psn;
	u32			rq_psn;
	u8			timeout;
	u8			retry_cnt;
	u8			rnr_retry;
	u8			min_rnr_timer;
	u8			max_rd_atomic;
	u8			max_dest_rd_atomic;
	bool			sq_sig_all;
	bool			sqd_notify;	/* IB_EVENT_SQ_DRAINED wanted */
	bool			sq_drained;	/* in SQD: nothing in flight */
	/* On an SRQ, in ERR: IB_EVENT_QP_LAST_WQE_REACHED delivered. */
	bool			last_wqe_reached;

	/* The task running the engines, and what wakes it. */
	struct work_struct	task;
	struct sk_buff_head	req_pkts;	/* incoming requests: responder */
	struct sk_buff_head	rsp_pkts;	/* incoming ACKs/responses: completer */
	struct timer_list	retrans_timer;
	struct timer_list	rnr_timer;

	struct prxe_req_state	req;
	struct prxe_comp_state	comp;
	struct prxe_resp_state	resp;
	/* ODP faults of the engines, done by a worker (prxe_fault.c). */
	struct prxe_fault	*fault;
};

static inline struct prxe_qp *to_prxe_qp(struct ib_qp *ibqp)
{
	return container_of(ibqp, struct prxe_qp, ibqp);
}

/* The SRQ the QP takes its receive WQEs from, or NULL. */
static inline struct prxe_srq *prxe_qp_srq(struct prxe_qp *qp)
{
	return qp->ibqp.srq ? container_of(qp->ibqp.srq, struct prxe_srq, ibsrq) :
			      NULL;
}

/* The PD receive buffers belong to: the SRQ's, if the QP has one. */
static inline struct ib_pd *prxe_qp_recv_pd(struct prxe_qp *qp)
{
	return qp->ibqp.srq ? qp->ibqp.srq->pd : qp->ibqp.pd;
}

static inline struct prxe_swqe *prxe_swqe(struct prxe_qp *qp, u32 idx)
{
	return (struct prxe_swqe *)(qp->swqes +
		(size_t)(idx & (qp->sq.num_entries - 1)) * qp->swqe_size);
}

static inline struct prxe_sge *prxe_swqe_sge(struct prxe_swqe *swqe)
{
	return (struct prxe_sge *)swqe->data;
}

static inline bool prxe_swqe_is_atomic(const struct prxe_swqe *swqe)
{
	return swqe->wr.opcode == IB_UVERBS_WR_ATOMIC_CMP_AND_SWP ||
	       swqe->wr.opcode == IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD;
}

/*
 * Answered rather than acknowledged: an RDMA READ (responses), an atomic
 * (ATOMIC ACKNOWLEDGE), a FLUSH or an ATOMIC WRITE (one RDMA READ
 * response without data, IBTA 1.5).  All count against max_rd_atomic,
 * and complete when their answer has been placed.
 */
static inline bool prxe_swqe_is_read(const struct prxe_swqe *swqe)
{
	return swqe->wr.opcode == IB_UVERBS_WR_RDMA_READ ||
	       swqe->wr.opcode == IB_UVERBS_WR_FLUSH ||
	       swqe->wr.opcode == IB_UVERBS_WR_ATOMIC_WRITE ||
	       prxe_swqe_is_atomic(swqe);
}

/* prxe_qp.c */
void prxe_qp_table_init(struct prxe_dev *prxe);
int prxe_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		   struct ib_udata *udata);
int prxe_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_udata *udata);
int prxe_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		  struct ib_qp_init_attr *init);
int prxe_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata);
int prxe_fill_res_qp_entry(struct sk_buff *msg, struct ib_qp *ibqp);
int prxe_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		   const struct ib_send_wr **bad_wr);
int prxe_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		   const struct ib_recv_wr **bad_wr);
void prxe_qp_error(struct prxe_qp *qp);
void prxe_qp_error_event(struct prxe_qp *qp, enum ib_event_type event);
void prxe_qp_event(struct prxe_qp *qp, enum ib_event_type event);

static inline bool prxe_qp_is_datagram(const struct prxe_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_UD || qp->ibqp.qp_type == IB_QPT_GSI;
}

/* prxe_kverbs.c: work requests of kernel consumers */
int prxe_kpost_send(struct prxe_qp *qp, const struct ib_send_wr *wr,
		    const struct ib_send_wr **bad_wr);
int prxe_kpost_recv(struct prxe_qp *qp, const struct ib_recv_wr *wr,
		    const struct ib_recv_wr **bad_wr);

/*
 * How much more of a message an ODP fault brings in (prxe_copy.ahead):
 * one hand-off to the fault worker for the next packets too.
 */
#define PRXE_FAULT_AHEAD	(256 * 1024)

/*
 * A copy an engine makes (prxe_qp_copy()): @len bytes to or from @buf,
 * at @iova of the region @mr, or at @offset of the message the SGE list
 * @sge describes (regions of @pd with @access); or, with @atomic, that
 * 8-byte atomic at @iova of @mr.  @ahead: bytes after the copy that an
 * ODP fault should bring in too (the rest of the message).
 */
struct prxe_copy {
	struct prxe_mr		*mr;
	u64			iova;
	struct prxe_atomic	*atomic;
	const struct prxe_sge	*sge;
	u32			num_sge;
	struct ib_pd		*pd;
	int			access;
	u64			offset;
	void			*buf;
	u32			len;
	enum prxe_copy_dir	dir;
	u64			ahead;
};

/* prxe_fault.c: the engines' copies, and their ODP faults in a worker */
int prxe_fault_init(void);
void prxe_fault_exit(void);
int prxe_qp_fault_init(struct prxe_qp *qp);
void prxe_qp_fault_reset(struct prxe_qp *qp);
void prxe_qp_fault_release(struct prxe_qp *qp);
int prxe_qp_copy(struct prxe_qp *qp, const struct prxe_copy *c);
int prxe_qp_persist(struct prxe_qp *qp, struct prxe_mr *mr, u64 iova,
		    u64 len, u32 psn);
bool prxe_qp_job_stuck(struct prxe_qp *qp);

/* prxe_qp_task.c */
int prxe_task_init(void);
void prxe_task_exit(void);
void prxe_qp_schedule(struct prxe_qp *qp);
void prxe_queue_work(struct work_struct *work);
void prxe_qp_task(struct work_struct *work);
void prxe_qp_doorbell(struct prxe_qp *qp);
int prxe_qp_complete(struct prxe_qp *qp, struct prxe_cq *cq,
		     struct prxe_cqe *cqe, bool solicited);
void prxe_qp_complete_send(struct prxe_qp *qp, u32 idx, u32 status);

/* Packets of a QP: built and sent by the packet layer (prxe_net.c). */
struct prxe_bth;
struct sk_buff *prxe_qp_pkt_new_to(struct prxe_qp *qp,
				   const struct prxe_av *av, u32 dqpn,
				   u8 opcode, u32 paylen, u32 psn,
				   bool ack_req, bool se,
				   struct prxe_bth **bthp);
struct sk_buff *prxe_qp_pkt_new(struct prxe_qp *qp, u8 opcode, u32 paylen,
				u32 psn, bool ack_req, bool se,
				struct prxe_bth **bthp);
void prxe_qp_pkt_send(struct prxe_qp *qp, struct sk_buff *skb);
/* prxe_recv.c */
struct sk_buff *prxe_qp_pkt_peek(struct prxe_qp *qp,
				 struct sk_buff_head *queue);
void prxe_qp_pkts_discard(struct prxe_qp *qp, struct sk_buff_head *queue);

/* prxe_req.c, prxe_comp.c, prxe_resp.c: one step of each engine */
bool prxe_req_run(struct prxe_qp *qp);
void prxe_req_rewind(struct prxe_qp *qp);
void prxe_req_reread(struct prxe_qp *qp, struct prxe_swqe *swqe);
void prxe_req_flush_timeout(struct prxe_qp *qp);
bool prxe_comp_run(struct prxe_qp *qp);
void prxe_comp_arm_timer(struct prxe_qp *qp);
void prxe_comp_local_failure(struct prxe_qp *qp);
bool prxe_resp_run(struct prxe_qp *qp);
bool prxe_resp_take_rwqe(struct prxe_qp *qp);
void prxe_resp_complete_rwqe(struct prxe_qp *qp, struct prxe_cqe *cqe,
			     bool solicited);
int prxe_swqe_load(struct prxe_qp *qp, u32 idx, struct prxe_swqe *swqe);
void prxe_resp_release(struct prxe_qp *qp);
void prxe_retrans_timer_fn(struct timer_list *t);
void prxe_rnr_timer_fn(struct timer_list *t);

#endif /* PRXE_QP_H */
