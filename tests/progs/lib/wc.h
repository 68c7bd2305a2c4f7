/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Work requests and completions: posting one, polling one with a time
 * limit, expecting a given completion, or none.
 */
#ifndef PRXE_TESTLIB_WC_H
#define PRXE_TESTLIB_WC_H

#include <stdbool.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "check.h"

/* How long expect_wc() waits for a completion; 5000 unless changed. */
extern unsigned int wc_timeout_ms;

/* @wr: a signaled @opcode of @num_sge SGEs at @sge, nothing else set. */
void send_wr_fill(struct ibv_send_wr *wr, uint64_t wr_id,
		  enum ibv_wr_opcode opcode, struct ibv_sge *sge, int num_sge);
/* The remote address and key of an RDMA or atomic @wr (of any other
 * opcode: nothing). */
void send_wr_remote(struct ibv_send_wr *wr, uint64_t raddr, uint32_t rkey);

/* One signaled @opcode of the one SGE @sge (to @raddr / @rkey if it is
 * an RDMA or atomic operation): 0 or ibv_post_send()'s errno. */
int post_send_one(struct ibv_qp *qp, uint64_t wr_id, enum ibv_wr_opcode opcode,
		  const struct ibv_sge *sge, uint64_t raddr, uint32_t rkey);
/* One receive into @sge: 0 or the errno. */
int post_recv_one(struct ibv_qp *qp, uint64_t wr_id, const struct ibv_sge *sge);
int post_srq_recv_one(struct ibv_srq *srq, uint64_t wr_id,
		      const struct ibv_sge *sge);

/*
 * A post that should end with errno @expected (0: success) and, if it
 * fails, point its bad_wr (@bad) at @want_bad.
 */
CHECK_FMT(5, 6) bool expect_post(int expected, int seen, const void *bad,
				 const void *want_bad, const char *fmt, ...);

/* Busy-polls @cq for one completion for up to @ms: 1 got one, 0 none,
 * -1 ibv_poll_cq() failed. */
int poll_wc(struct ibv_cq *cq, struct ibv_wc *wc, unsigned int ms);

/* What a completion must be.  Zero-initialised fields not marked used
 * are not looked at. */
struct wc_want {
	uint64_t wr_id;
	bool any_wr_id;			/* an SRQ's receive: any WQE's */
	enum ibv_wc_status status;
	bool any_error;			/* any status but success, not @status */
	const struct ibv_qp *qp;	/* its qp_num, unless NULL */
	bool check_opcode;
	enum ibv_wc_opcode opcode;
	bool check_len;
	uint32_t byte_len;
};

/* Whether completion @wc is as @want (no check: for loops that report
 * only what is wrong). */
bool wc_matches(const struct ibv_wc *wc, const struct wc_want *want);
/* The completion @wc is as @want (a check). */
CHECK_FMT(3, 4) bool wc_check(const struct ibv_wc *wc,
			      const struct wc_want *want, const char *fmt, ...);
/* The next completion on @cq, within wc_timeout_ms, is as @want (a
 * check); it is left in @wc if that is not NULL. */
CHECK_FMT(4, 5) bool expect_wc(struct ibv_cq *cq, const struct wc_want *want,
			       struct ibv_wc *wc, const char *fmt, ...);
/* No completion arrives on @cq for @ms (a check). */
CHECK_FMT(3, 4) bool expect_cq_quiet(struct ibv_cq *cq, unsigned int ms,
				     const char *fmt, ...);

/* "IBV_WC_RECV" and so on. */
const char *wc_opcode_name(enum ibv_wc_opcode opcode);

#endif
