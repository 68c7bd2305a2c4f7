/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * CQs, QPs (RC and UD, optionally on an SRQ), SRQs and address handles;
 * the RC state walk RESET -> INIT -> RTR -> RTS to any destination QPN at
 * any GID: another QP, the QP itself (loopback), or a peer that does not
 * exist (a phantom that a program plays itself, or that never answers).
 *
 * The creating functions report a failure as a failed check (the device
 * under test refused) and return NULL; their success is no check.
 */
#ifndef PRXE_TESTLIB_QP_H
#define PRXE_TESTLIB_QP_H

#include <stdbool.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "dev.h"

struct ibv_cq *cq_create(struct dev *d, int cqe);

/* @init for a QP of @type with @send_wr and @recv_wr work requests of one
 * SGE each way; on @srq (if not NULL) it has no receive queue. */
void qp_init_attr_fill(struct ibv_qp_init_attr *init, enum ibv_qp_type type,
		       struct ibv_cq *send_cq, struct ibv_cq *recv_cq,
		       struct ibv_srq *srq, uint32_t send_wr, uint32_t recv_wr);
/* A QP on d->pd; init->cap is what was granted. */
struct ibv_qp *qp_create(struct dev *d, struct ibv_qp_init_attr *init);

/* An SRQ of at least @max_wr WQEs of @max_sge SGEs (less granted fails). */
struct ibv_srq *srq_create(struct dev *d, uint32_t max_wr, uint32_t max_sge);

/* How an RC QP is connected: every attribute of INIT, RTR and RTS. */
struct rc_attr {
	uint32_t dest_qpn;
	union ibv_gid dgid;		/* the peer's GID */
	int sgid_index;			/* ours */
	enum ibv_mtu path_mtu;
	uint32_t rq_psn;		/* the first PSN expected from the peer */
	uint32_t sq_psn;		/* our first PSN */
	uint8_t timeout;		/* 0: wait for an ACK forever */
	uint8_t retry_cnt;
	uint8_t rnr_retry;		/* 7: forever */
	uint8_t min_rnr_timer;
	uint8_t max_rd_atomic;		/* READs/atomics we have in flight */
	uint8_t max_dest_rd_atomic;	/* ... the peer may have at us */
	unsigned int access;		/* qp_access_flags */
};

/*
 * The defaults: to @dest_qpn at d's own GID through it (loopback on
 * d), path MTU 1024, PSNs 0, timeout 14 (67 ms), retry_cnt and rnr_retry
 * 7, min_rnr_timer 12, one READ or atomic in flight each way, remote
 * READ and WRITE allowed.  dev_use_gid() must have been called.
 */
void rc_attr_default(struct rc_attr *r, const struct dev *d,
		     uint32_t dest_qpn);

/* The ibv_modify_qp() attributes of each RC transition; return the mask. */
int qp_attr_to_init(struct ibv_qp_attr *a, const struct rc_attr *r);
int qp_attr_to_rtr(struct ibv_qp_attr *a, const struct rc_attr *r);
int qp_attr_to_rts(struct ibv_qp_attr *a, const struct rc_attr *r);

/* RESET -> INIT -> RTR -> RTS with @r; a step that fails is a failed
 * check.  Returns whether the QP got to RTS. */
bool rc_connect(struct ibv_qp *qp, const struct rc_attr *r);

/*
 * An RC QP of @wr work requests each way on @cq, connected to itself
 * with rc_attr_default() (d's GID in use: dev_open_roce()); dies (setup
 * error) if that fails.  For programs that need a loopback and no more.
 */
struct ibv_qp *rc_self_qp(struct dev *d, struct ibv_cq *cq, uint32_t wr);

/* A UD QP, RESET -> INIT (Q_Key @qkey) -> RTR -> RTS; as rc_connect(). */
bool ud_ready(struct ibv_qp *qp, uint32_t qkey);

/* ibv_modify_qp() to @state with nothing else (ERR, RESET, SQD...):
 * 0 or its errno. */
int qp_to_state(struct ibv_qp *qp, enum ibv_qp_state state);
/* The QP's state from ibv_query_qp(), or -1 if that fails. */
int qp_state(struct ibv_qp *qp);
/* "RESET", "INIT", ... "ERR"; "unknown" for -1. */
const char *qp_state_name(int state);

/* @a for an address with a GRH: to @dgid from our GID @sgid_index. */
void ah_attr_global(struct ibv_ah_attr *a, const union ibv_gid *dgid,
		    int sgid_index);
/* An address handle on @pd to @dgid from our GID @sgid_index. */
struct ibv_ah *ah_create(struct ibv_pd *pd, const union ibv_gid *dgid,
			 int sgid_index);

#endif
