// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_rc_test: error scenarios, each asserting exact completion
 * statuses and untouched memory, and the dispatch of a run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rc_test.h"

/* The size of the messages of the scenarios: the largest -s, or 4096. */
uint32_t scen_size(const struct cfg *c)
{
	uint32_t m = max_size(c);

	return c->flags & CF_SIZES_GIVEN && m ? m : DEFAULT_SCEN_SIZE;
}

/* Requester: a work request for @m in slot @k, signaled. */
static void scen_wr(struct sess *s, struct wr_desc *w, enum op op,
		    const struct msg *m, unsigned int k)
{
	struct ep *ep = s->req;
	struct layout l;

	layout_split(&l, s->c->offset, m->size, s->c->nsge, false);
	poison(s, ep, (size_t)k * s->stride,
	       slot_extent(s->c, s->stride, m->size));
	(void)fill_message(s, ep, k, &l, m);	/* no --file-io in scenarios */
	memset(w, 0, sizeof(*w));
	w->op = op;
	w->wr_id = m->id;
	w->flags = IBV_SEND_SIGNALED;
	w->nsge = l.n;
	layout_sges(s, ep, k, &l, w->sge);
	w->raddr = ep->remote.addr + (uint64_t)k * s->stride + s->c->offset;
	w->rkey = ep->remote.rkey;
	if (op == OP_FLUSH || op == OP_ATOMIC_WRITE) {	/* no local data */
		w->nsge = 0;
		w->len = m->size;
		w->flush_type = s->c->flush_type;
		w->flush_level = s->c->flush_level;
		w->aw = ep->buf + (size_t)k * s->stride + s->c->offset;
	}
}

/* @n completions: the first with @first, the rest flushed. */
static int expect_error_then_flush(struct sess *s, const struct wr_desc *w,
				   unsigned int n, enum ibv_wc_status first)
{
	struct wc_expect e[8];
	unsigned int i;

	for (i = 0; i < n; i++)
		e[i] = (struct wc_expect){
			.wr_id = w[i].wr_id,
			.status = i ? IBV_WC_WR_FLUSH_ERR : first,
			.opcode = -1, .byte_len = -1,
		};
	if (expect_completions(s, s->req, e, n, "requester completions"))
		return -1;
	return expect_qp_state(s->req, IBV_QPS_ERR);
}

/*
 * A receive posted to a QP the device itself put in the error state (the
 * application never asked for it) completes, flushed.
 */
static int expect_recv_flushed(struct sess *s, struct ep *ep)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)ep->buf, .length = 1, .lkey = ep->mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = 0xf1005, .sg_list = &sge,
				  .num_sge = 1 };
	struct wc_expect e = {
		.wr_id = wr.wr_id, .status = IBV_WC_WR_FLUSH_ERR,
		.opcode = -1, .byte_len = -1,
	};

	if (post_recvs(ep, &wr, 1))
		return -1;
	return expect_completions(s, ep, &e, 1,
				  "a receive posted after the device's error");
}

static void resp_poison_all(struct sess *s)
{
	poison(s, s->resp, 0, s->resp->map_len);
}

/*
 * A scenario's phase begins: the QPs are connected with @po, the
 * responder's whole buffer holds poison, and both sides are ready.
 */
static int scen_begin_poisoned(struct sess *s, const struct phase_opts *po)
{
	int rc = phase_begin(s, po);

	if (rc)
		return rc;
	if (s->resp)
		resp_poison_all(s);
	return step(s, STEP_READY, false, 0);
}

/*
 * Responder: its buffer, MR and tail, still holds only poison, but for
 * [skip, skip + skip_len) where a receive may have taken part of a message.
 */
static int resp_untouched_but(struct sess *s, size_t skip, size_t skip_len,
			      const char *what)
{
	struct vctx v = { .s = s, .ep = s->resp };
	struct region r = { 0, skip, EXP_POISON, 0, NULL, what };

	if (skip && region_check(&v, &r))
		return -1;
	r.off = skip + skip_len;
	r.len = s->resp->map_len - r.off;
	return region_check(&v, &r);
}

static int resp_untouched(struct sess *s, const char *what)
{
	return resp_untouched_but(s, 0, 0, what);
}

/*
 * Responder: slot @slot holds message @id (scen_size() bytes at the
 * offset, as scen_wr() WRITEs it), and everything else is poison.
 */
static int resp_written_only(struct sess *s, unsigned int slot, uint64_t id)
{
	struct msg m = { id, scen_size(s->c) };
	struct vctx v = { .s = s, .ep = s->resp, .m = &m, .slot = slot };
	struct layout l;

	layout_contig(&l, s->c->offset, m.size);
	if (verify_slot(&v, &l, m.size, s->stride, false))
		return -1;
	return resp_untouched_but(s, (size_t)slot * s->stride, s->stride,
				  "responder memory but the one slot written");
}

/*
 * persist_not_pmem, the responder: its buffer (not pmem) registered
 * pinned with IBV_ACCESS_FLUSH_PERSISTENT must be refused: EOPNOTSUPP on
 * prxe (the device cannot make such memory persistent), EINVAL on other
 * devices (rdma_rxe's answer).
 */
static int persist_reg_refused(struct sess *s)
{
	struct ep *ep = s->resp;
	int want = ep_is_prxe(ep) ? EOPNOTSUPP : EINVAL;
	struct ibv_mr *mr;

	mr = ibv_reg_mr(ep->pd, ep->buf, ep->mr_len,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			RC_ACCESS_FLUSH_PERSISTENT);
	if (mr) {
		ibv_dereg_mr(mr);
		return fail(ep->role, "ibv_reg_mr of %zu bytes%s%s, pinned, with IBV_ACCESS_FLUSH_PERSISTENT: expected %s, it succeeded",
			    ep->mr_len, ep->file ? " of " : " of DRAM",
			    ep->file ? ep->file : "", strerror(want));
	}
	if (errno != want)
		return fail(ep->role, "ibv_reg_mr pinned with IBV_ACCESS_FLUSH_PERSISTENT: expected %s (%s), seen %s",
			    strerror(want), ep_is_prxe(ep) ? "prxe" : "not prxe",
			    strerror(errno));
	info(ep->role, "ok: a pinned MR with IBV_ACCESS_FLUSH_PERSISTENT on %s refused: %s",
	     ep->file ? ep->file : "DRAM", strerror(errno));
	return 0;
}

/*
 * A request the responder must refuse, then 3 WRITEs:
 *   bad_rkey                 WRITE with a wrong rkey: IBV_WC_REM_ACCESS_ERR
 *   misaligned_atomic        FETCH_ADD not 8-byte aligned: REM_INV_REQ_ERR
 *   flush_no_mr_access       FLUSH, MR without FLUSH access: REM_ACCESS_ERR
 *   flush_no_qp_access       FLUSH, QP without FLUSH access: REM_INV_REQ_ERR
 *   atomic_write_misaligned  ATOMIC WRITE not 8-byte aligned: REM_INV_REQ_ERR
 *   atomic_write_no_access   ATOMIC WRITE, MR without REMOTE_WRITE:
 *                            REM_ACCESS_ERR
 *   persist_not_pmem         (--odp) persistent FLUSH into ODP memory that
 *                            is not pmem: REM_OP_ERR; and the responder
 *                            cannot register it pinned for persistence
 *                            (persist_reg_refused())
 * The WRITEs posted after it are flushed, the requester's QP is in error,
 * and nothing was written at the responder; a receive posted to the
 * requester's QP then is flushed too (checked last: rdma_rxe does not).
 */
static int scen_bad_request(struct sess *s)
{
	const struct phase_opts po = { .rnr_retry = 7 };
	enum scenario sc = s->c->scenario;
	enum ibv_wc_status want = IBV_WC_REM_ACCESS_ERR;
	bool post = sc != SCEN_PERSIST_NOT_PMEM || (s->c->flags & CF_ODP);
	struct wr_desc w[4];
	unsigned int k;
	int rc;

	rc = phase_begin(s, &po);
	if (rc)
		return rc;
	if (s->resp) {
		resp_poison_all(s);
		if (sc == SCEN_PERSIST_NOT_PMEM)
			rc = persist_reg_refused(s);
	}
	rc = step(s, STEP_READY, false, rc);
	if (rc)
		return rc;
	if (s->req && post) {
		struct msg m = { 1, 8 };

		for (k = 0; k < 4; k++) {
			struct msg mw = { k + 1, scen_size(s->c) };

			scen_wr(s, &w[k], OP_WRITE, &mw, k);
		}
		switch (sc) {
		case SCEN_MISALIGNED_ATOMIC:
			scen_wr(s, &w[0], OP_FETCH_ADD, &m, 0);
			w[0].raddr = (w[0].raddr & ~7ull) + 4;
			w[0].compare_add = 1;
			want = IBV_WC_REM_INV_REQ_ERR;
			info(s->req->role, "FETCH_ADD at 0x%" PRIx64 " (not 8-byte aligned), then 3 WRITEs",
			     w[0].raddr);
			break;
		case SCEN_AW_MISALIGNED:
		case SCEN_AW_NO_ACCESS:
			scen_wr(s, &w[0], OP_ATOMIC_WRITE, &m, 0);
			w[0].raddr &= ~7ull;
			if (sc == SCEN_AW_MISALIGNED) {
				w[0].raddr += 4;
				want = IBV_WC_REM_INV_REQ_ERR;
			}
			info(s->req->role, "ATOMIC WRITE at 0x%" PRIx64 "%s, then 3 WRITEs",
			     w[0].raddr, sc == SCEN_AW_MISALIGNED ?
			     " (not 8-byte aligned)" :
			     " (the MR has no IBV_ACCESS_REMOTE_WRITE)");
			break;
		case SCEN_FLUSH_NO_MR_ACCESS:
		case SCEN_FLUSH_NO_QP_ACCESS:
		case SCEN_PERSIST_NOT_PMEM:
			m.size = scen_size(s->c);
			scen_wr(s, &w[0], OP_FLUSH, &m, 0);
			if (sc == SCEN_FLUSH_NO_QP_ACCESS)
				want = IBV_WC_REM_INV_REQ_ERR;
			if (sc == SCEN_PERSIST_NOT_PMEM)
				want = IBV_WC_REM_OP_ERR;
			info(s->req->role, "FLUSH (%s) of %u bytes %s, then 3 WRITEs",
			     flush_type_str(w[0].flush_type), m.size,
			     sc == SCEN_FLUSH_NO_MR_ACCESS ? "into an MR without FLUSH access" :
			     sc == SCEN_FLUSH_NO_QP_ACCESS ? "to a QP without FLUSH access" :
			     "into ODP memory that is not pmem");
			break;
		default:
			w[0].rkey ^= 0x5a;
			info(s->req->role, "WRITE with rkey 0x%x (the MR's is 0x%x), then 3 WRITEs",
			     w[0].rkey, s->req->remote.rkey);
			break;
		}
		rc = post_wrs(s, s->req, w, 4);
		if (!rc)
			rc = expect_error_then_flush(s, w, 4, want);
	} else if (s->req) {
		info(s->req->role, "without --odp the responder's memory cannot take a persistent FLUSH: the registration is all");
	}
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp)
		rc = resp_untouched(s, "responder memory after a rejected request");
	rc = step(s, STEP_RESULT, false, rc);
	if (!rc && s->req && post)
		rc = expect_recv_flushed(s, s->req);
	if (!rc)
		rc = phase_end(s);
	return rc;
}

/* flush_ud_refused: a UD QP asked for @flag at creation: EOPNOTSUPP. */
static int ud_send_op_refused(struct sess *s, uint64_t flag, const char *name)
{
	struct ep *ep = s->req;
	struct ibv_qp_init_attr_ex a = {
		.send_cq = ep->cq, .recv_cq = ep->cq, .qp_type = IBV_QPT_UD,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4, .max_send_sge = 1,
			 .max_recv_sge = 1 },
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
		.pd = ep->pd,
		.send_ops_flags = IBV_QP_EX_WITH_SEND | flag,
	};
	struct ibv_qp *qp;

	errno = 0;
	qp = ibv_create_qp_ex(ep->ctx, &a);
	if (qp) {
		ibv_destroy_qp(qp);
		return fail(ep->role, "UD QP with send_ops_flags %s: expected EOPNOTSUPP, it was created",
			    name);
	}
	if (errno != EOPNOTSUPP)
		return fail(ep->role, "UD QP with send_ops_flags %s: expected EOPNOTSUPP, seen %s",
			    name, strerror(errno));
	info(ep->role, "ok: UD QP with send_ops_flags %s refused: %s", name,
	     strerror(errno));
	return 0;
}

/*
 * flush_ud_refused, the classic part: ibv_post_send() of @opcode after a
 * WRITE (slot 0) must stop at it with EINVAL, the WRITE posted; @alone:
 * the opcode alone, nothing posted.
 */
static int classic_refused(struct sess *s, int opcode, const char *name,
			   bool alone)
{
	struct ep *ep = s->req;
	struct ibv_send_wr wr[2], *bad = NULL;
	struct ibv_sge sge[MAX_SGE];
	struct wr_desc w;
	struct msg m = { 1, scen_size(s->c) };
	struct wc_expect e;
	unsigned int i;
	int ret;

	memset(wr, 0, sizeof(wr));
	scen_wr(s, &w, OP_WRITE, &m, 0);
	for (i = 0; i < w.nsge; i++)
		sge[i] = w.sge[i];
	wr[0].wr_id = w.wr_id;
	wr[0].opcode = IBV_WR_RDMA_WRITE;
	wr[0].send_flags = IBV_SEND_SIGNALED;
	wr[0].sg_list = sge;
	wr[0].num_sge = w.nsge;
	wr[0].wr.rdma.remote_addr = w.raddr;
	wr[0].wr.rdma.rkey = w.rkey;
	wr[0].next = &wr[1];
	/* What the rest of ibv_send_wr can say: address and key, 8 bytes. */
	wr[1].wr_id = 0xbad;
	wr[1].opcode = (enum ibv_wr_opcode)opcode;
	wr[1].send_flags = IBV_SEND_SIGNALED;
	wr[1].sg_list = sge;
	wr[1].num_sge = 1;
	wr[1].wr.rdma.remote_addr = (w.raddr + s->stride) & ~7ull;
	wr[1].wr.rdma.rkey = w.rkey;

	ret = ibv_post_send(ep->qp, alone ? &wr[1] : wr, &bad);
	if (ret != EINVAL)
		return fail(ep->role, "ibv_post_send(%s%s): expected EINVAL, returned %d (%s)",
			    alone ? "" : "RDMA_WRITE, ", name, ret, strerror(ret));
	if (bad != &wr[1])
		return fail(ep->role, "ibv_post_send(%s%s): bad_wr: expected the %s, seen %s",
			    alone ? "" : "RDMA_WRITE, ", name, name,
			    bad == &wr[0] ? "RDMA_WRITE" : bad ? "another" : "NULL");
	info(ep->role, "ok: ibv_post_send(%s%s): EINVAL at the %s", alone ? "" : "RDMA_WRITE, ",
	     name, name);
	if (alone)
		return 0;
	e = (struct wc_expect){ .wr_id = w.wr_id, .status = IBV_WC_SUCCESS,
				.opcode = IBV_WC_RDMA_WRITE, .byte_len = -1 };
	return expect_completions(s, ep, &e, 1,
				  "the WRITE posted before the refused request");
}

/*
 * flush_ud_refused: what cannot be asked for is refused up front: UD QPs
 * with FLUSH or ATOMIC WRITE among their send_ops_flags (EOPNOTSUPP), and
 * the two opcodes through ibv_post_send() (EINVAL, with bad_wr at the
 * refused request and the requests before it posted).  Nothing but the
 * one WRITE reaches the responder.
 */
static int scen_flush_ud_refused(struct sess *s)
{
	const struct phase_opts po = { .rnr_retry = 7 };
	int rc;

	rc = scen_begin_poisoned(s, &po);
	if (rc)
		return rc;
	if (s->req) {
		rc = ud_send_op_refused(s, RC_QP_EX_WITH_FLUSH, "IBV_QP_EX_WITH_FLUSH");
		if (!rc)
			rc = ud_send_op_refused(s, IBV_QP_EX_WITH_ATOMIC_WRITE,
						"IBV_QP_EX_WITH_ATOMIC_WRITE");
		if (!rc)
			rc = classic_refused(s, IBV_WR_ATOMIC_WRITE,
					     "IBV_WR_ATOMIC_WRITE", false);
		if (!rc)
			rc = classic_refused(s, RC_WR_FLUSH, "IBV_WR_FLUSH", true);
		if (!rc)
			rc = cq_expect_quiet(s->req, QUIET_WAIT_MS,
					     "requester after the refused requests");
		if (!rc)
			rc = expect_qp_state(s->req, IBV_QPS_RTS);
	}
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp)
		rc = resp_written_only(s, 0, 1);
	rc = step(s, STEP_RESULT, false, rc);
	if (!rc)
		rc = phase_end(s);
	return rc;
}

#if HAVE_WR_FLUSH
/* A bad ibv_wr_flush() and what must become of it. */
struct bad_flush {
	const char *what;
	uint64_t raddr;		/* 0: slot 0's */
	uint64_t len;
	uint8_t type;		/* 0xff: the test's */
	uint8_t level;
};

/*
 * flush_wrap, flush_bad_args: a batch of a valid WRITE (slot 0) and a bad
 * ibv_wr_flush() must fail at ibv_wr_complete() with EINVAL, posting
 * nothing; then a valid WRITE + FLUSH (slot 1) completes, alone.  The
 * responder sees slot 1 written and nothing else.
 */
static int scen_flush_args(struct sess *s, bool wrap)
{
	static const struct bad_flush wraps[] = {
		{ "a range wrapping past 2^64", UINT64_MAX - 4095, 8192, 0xff,
		  RC_FLUSH_RANGE },
	}, bads[] = {
		{ "a length of 2^31 + 1", 0, (1ull << 31) + 1, 0xff,
		  RC_FLUSH_RANGE },
		{ "placement type 0", 0, 64, 0, RC_FLUSH_RANGE },
		{ "an unknown placement type bit (4)", 0, 64,
		  RC_FLUSH_GLOBAL | 4, RC_FLUSH_RANGE },
		{ "selectivity level 2", 0, 64, 0xff, 2 },
	};
	const struct bad_flush *t = wrap ? wraps : bads;
	unsigned int nt = wrap ? 1 : sizeof(bads) / sizeof(bads[0]), i;
	const struct phase_opts po = { .rnr_retry = 7 };
	struct wr_desc w[2];
	struct wc_expect e[2];
	int rc;

	rc = scen_begin_poisoned(s, &po);
	if (rc)
		return rc;
	for (i = 0; s->req && !rc && i < nt; i++) {
		struct ibv_qp_ex *qx = s->req->qpx;
		struct msg m = { 1, scen_size(s->c) };
		int ret;

		scen_wr(s, &w[0], OP_WRITE, &m, 0);
		ibv_wr_start(qx);
		qx->wr_id = w[0].wr_id;
		qx->wr_flags = IBV_SEND_SIGNALED;
		ibv_wr_rdma_write(qx, w[0].rkey, w[0].raddr);
		ibv_wr_set_sge_list(qx, w[0].nsge, w[0].sge);
		qx->wr_id = 0xbad;
		ibv_wr_flush(qx, w[0].rkey, t[i].raddr ? t[i].raddr : w[0].raddr,
			     t[i].len, t[i].type == 0xff ? s->c->flush_type : t[i].type,
			     t[i].level);
		ret = ibv_wr_complete(qx);
		if (ret != EINVAL)
			rc = fail(s->req->role, "ibv_wr_flush() with %s after a WRITE: ibv_wr_complete() expected EINVAL, returned %d (%s)",
				  t[i].what, ret, strerror(ret));
		else
			info(s->req->role, "ok: ibv_wr_flush() with %s: ibv_wr_complete() EINVAL",
			     t[i].what);
	}
	if (s->req && !rc)
		rc = cq_expect_quiet(s->req, QUIET_WAIT_MS,
				     "requester after batches refused by ibv_wr_complete()");
	if (s->req && !rc) {
		struct msg m = { 2, scen_size(s->c) };

		scen_wr(s, &w[0], OP_WRITE, &m, 1);
		scen_wr(s, &w[1], OP_FLUSH, &m, 1);
		w[1].wr_id |= 1ull << WR_INDEX_SHIFT;
		for (i = 0; i < 2; i++)
			e[i] = (struct wc_expect){
				.wr_id = w[i].wr_id, .status = IBV_WC_SUCCESS,
				.opcode = ops[w[i].op].req_wc,
				.byte_len = wr_byte_len(&w[i]),
			};
		rc = post_wrs(s, s->req, w, 2);
		if (!rc)
			rc = expect_completions(s, s->req, e, 2,
						"a valid WRITE + FLUSH after them");
	}
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp)
		rc = resp_written_only(s, 1, 2);
	rc = step(s, STEP_RESULT, false, rc);
	if (!rc)
		rc = phase_end(s);
	return rc;
}
#endif

/*
 * rnr: a SEND with no receive posted and rnr_retry 0 fails with
 * IBV_WC_RNR_RETRY_EXC_ERR, the next SEND is flushed, and the responder
 * sees no completion.
 */
static int scen_rnr(struct sess *s)
{
	const struct phase_opts po = { .rnr_retry = 0 };
	struct wr_desc w[2];
	unsigned int k;
	int rc;

	rc = scen_begin_poisoned(s, &po);
	if (rc)
		return rc;
	if (s->req) {
		for (k = 0; k < 2; k++) {
			struct msg m = { k + 1, scen_size(s->c) };

			scen_wr(s, &w[k], OP_SEND, &m, k);
		}
		info(s->req->role, "2 SENDs, no receive posted, rnr_retry 0");
		rc = post_wrs(s, s->req, w, 2);
		if (!rc)
			rc = expect_error_then_flush(s, w, 2,
						     IBV_WC_RNR_RETRY_EXC_ERR);
	}
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp) {
		rc = cq_expect_quiet(s->resp, QUIET_WAIT_MS,
				     "responder without receives");
		if (!rc)
			rc = resp_untouched(s, "responder memory after RNR");
	}
	rc = step(s, STEP_RESULT, false, rc);
	if (!rc)
		rc = phase_end(s);
	return rc;
}

/* too_long, part 1: a SEND one byte longer than the posted receive. */
static int scen_send_too_long(struct sess *s)
{
	const struct phase_opts po = { .rnr_retry = 7 };
	uint32_t size = scen_size(s->c);
	struct ibv_recv_wr rwr[2];
	struct ibv_sge sge[2][MAX_SGE];
	struct layout rl;
	struct wr_desc w[2];
	struct wc_expect e[2];
	unsigned int k;
	int rc;

	rc = phase_begin(s, &po);
	if (rc)
		return rc;
	recv_layout(s, size, &rl);
	if (s->resp) {
		resp_poison_all(s);
		memset(rwr, 0, sizeof(rwr));
		for (k = 0; k < 2; k++) {
			layout_sges(s, s->resp, k, &rl, sge[k]);
			rwr[k].wr_id = RECV_TAG | k;
			rwr[k].sg_list = sge[k];
			rwr[k].num_sge = rl.n;
		}
		rc = post_recvs(s->resp, rwr, 2);
	}
	rc = step(s, STEP_READY, false, rc);
	if (rc)
		return rc;
	if (s->req) {
		struct msg m0 = { 1, size + 1 }, m1 = { 2, size };

		scen_wr(s, &w[0], OP_SEND, &m0, 0);
		scen_wr(s, &w[1], OP_SEND, &m1, 1);
		info(s->req->role, "SEND of %u bytes into a receive of %u, then a SEND of %u",
		     size + 1, size, size);
		rc = post_wrs(s, s->req, w, 2);
		if (!rc)
			rc = expect_error_then_flush(s, w, 2, IBV_WC_REM_INV_REQ_ERR);
	}
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp) {
		struct vctx v = { .s = s, .ep = s->resp };

		e[0] = (struct wc_expect){ .wr_id = RECV_TAG | 0,
					   .status = IBV_WC_LOC_LEN_ERR };
		e[1] = (struct wc_expect){ .wr_id = RECV_TAG | 1,
					   .status = IBV_WC_WR_FLUSH_ERR };
		rc = expect_completions(s, s->resp, e, 2, "responder completions");
		/* The receive may hold part of the message; nothing else may. */
		for (k = 0; !rc && k < 2; k++) {
			v.slot = k;
			rc = verify_slot(&v, &rl, size, s->stride, true);
		}
		if (!rc)
			rc = resp_untouched_but(s, 0, 2 * (size_t)s->stride,
						"responder memory outside the receives");
		if (!rc)
			rc = expect_qp_state(s->resp, IBV_QPS_ERR);
	}
	rc = step(s, STEP_RESULT, false, rc);
	if (!rc)
		rc = phase_end(s);
	return rc;
}

/*
 * A work request (@op) whose range straddles the end of an MR: the
 * responder's (@remote: expected IBV_WC_REM_ACCESS_ERR) or the requester's
 * own (expected IBV_WC_LOC_PROT_ERR).  The buffer goes on past the MR, so
 * the range is valid memory, only not registered.
 */
static int scen_beyond_mr(struct sess *s, enum op op, bool remote)
{
	const struct phase_opts po = { .rnr_retry = 7 };
	uint32_t size = scen_size(s->c), len = size < TAIL ? size : TAIL;
	struct ibv_recv_wr rwr = { 0 };
	struct ibv_sge rsge;
	struct wr_desc w[2];
	int rc;

	rc = phase_begin(s, &po);
	if (rc)
		return rc;
	if (s->resp) {
		resp_poison_all(s);
		if (ops[op].recv) {
			/* Room for the message, should it come: slot 2. */
			rsge = (struct ibv_sge){
				(uintptr_t)s->resp->buf + 2 * (size_t)s->stride,
				s->stride, s->resp->mr->lkey };
			rwr.wr_id = RECV_TAG;
			rwr.sg_list = &rsge;
			rwr.num_sge = 1;
			rc = post_recvs(s->resp, &rwr, 1);
		}
	}
	rc = step(s, STEP_READY, false, rc);
	if (rc)
		return rc;
	if (s->req) {
		struct msg m0 = { 1, len }, m1 = { 2, len };
		uint64_t end;

		scen_wr(s, &w[0], op, &m0, 0);
		scen_wr(s, &w[1], op, &m1, 1);
		if (remote) {
			end = s->req->remote.addr + s->req->remote.len;
			w[0].raddr = end - len / 2;
		} else {
			/* One SGE: half inside the MR, half after it. */
			end = (uintptr_t)s->req->buf + s->req->mr_len;
			pattern_fill((uint8_t *)(uintptr_t)(end - len / 2),
				     data_key(s->c->seed, m0.id), 0, len);
			w[0].nsge = 1;
			w[0].sge[0] = (struct ibv_sge){ end - len / 2, len,
							s->req->mr->lkey };
		}
		info(s->req->role, "%s of %u bytes from %u bytes before the end of the %s MR",
		     ops[op].name, len, len / 2, remote ? "responder's" : "local");
		rc = post_wrs(s, s->req, w, 2);
		if (!rc)
			rc = expect_error_then_flush(s, w, 2, remote ?
						     IBV_WC_REM_ACCESS_ERR :
						     IBV_WC_LOC_PROT_ERR);
	}
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp) {
		/*
		 * A local error is the requester's own: the responder sees no
		 * completion.  The packets before the bad part may have been
		 * placed in the receive (slot 2); nothing may be elsewhere.
		 */
		if (!remote)
			rc = cq_expect_quiet(s->resp, QUIET_WAIT_MS,
					     "responder of a failed local request");
		if (!rc && remote)
			rc = resp_untouched(s, op == OP_FLUSH ?
					    "responder memory after a FLUSH beyond its MR" :
					    "responder memory after a WRITE beyond its MR");
		else if (!rc)
			rc = resp_untouched_but(s, 2 * (size_t)s->stride, s->stride,
						"responder memory outside the receive");
	}
	rc = step(s, STEP_RESULT, false, rc);
	if (!rc)
		rc = phase_end(s);
	return rc;
}

static int scen_too_long(struct sess *s)
{
	int rc = scen_send_too_long(s);

	if (!rc)
		rc = scen_beyond_mr(s, OP_WRITE, true);
	return rc;
}

static void destroy_alarm(int sig)
{
	static const char msg[] = PROG ": FAIL: ibv_destroy_qp has not returned within the timeout\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(EXIT_FAIL);
	_exit(EXIT_FAIL);
}

/* Destroy @ep's QP and CQ, which must take less than the timeout. */
static int destroy_bounded(struct sess *s, struct ep *ep, const char *what)
{
	unsigned int secs = (s->c->timeout_ms + 999) / 1000;
	uint64_t ns = 0;
	int rc;

	signal(SIGALRM, destroy_alarm);
	alarm(secs);
	rc = ep_phase_end(ep, &ns);
	alarm(0);
	info(ep->role, "destroyed the QP with %s: %.1f ms", what, ns / 1e6);
	if (!rc && ns > (uint64_t)s->c->timeout_ms * 1000000)
		rc = fail(ep->role, "ibv_destroy_qp took %.1f s", ns / 1e9);
	return rc;
}

/*
 * destroy_inflight: destroy the QPs with work outstanding (both ends, the
 * requester first); it must return within the timeout.  Then a new QP
 * pair must carry a verified batch.
 */
static int scen_destroy_inflight(struct sess *s)
{
	const struct phase_opts po = { .rnr_retry = 7 };
	const struct cfg *c = s->c;
	struct wr_desc w[MAX_DEPTH];
	struct batch b = { 0 };
	char what[96];
	unsigned int k;
	int rc;

	for (k = 0; k < s->depth; k++)
		b.m[b.n++] = (struct msg){ k + 1, ops[c->op].atomic ? 8 :
					   scen_size(c) };
	rc = phase_begin(s, &po);
	if (rc)
		return rc;
	if (s->resp)
		rc = resp_prepare(s, &b);
	rc = step(s, STEP_READY, false, rc);
	if (rc)
		return rc;
	if (s->req) {
		for (k = 0; k < b.n; k++) {
			struct layout l;

			req_layout(s, &b.m[k], &l);
			scen_wr(s, &w[k], c->op, &b.m[k], k);
			w[k].nsge = l.n;
			layout_sges(s, s->req, k, &l, w[k].sge);
			w[k].raddr = remote_addr(s, s->req, k);
			w[k].imm = imm_of(c->seed, b.m[k].id);
		}
		rc = post_wrs(s, s->req, w, b.n);
		snprintf(what, sizeof(what), "%u %s WRs of %u bytes posted",
			 b.n, ops[c->op].name, b.m[0].size);
		if (!rc)
			rc = destroy_bounded(s, s->req, what);
	}
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp)
		rc = destroy_bounded(s, s->resp, ops[c->op].recv || c->op == OP_WRITE ?
				     "receives posted" : "RDMA in flight");
	rc = step(s, STEP_RESULT, false, rc);
	if (rc)
		return rc;

	/* The device is still good: a new QP pair, a verified batch. */
	for (k = 0; k < b.n; k++)
		b.m[k].id += b.n;
	rc = phase_begin(s, &po);
	if (!rc)
		rc = run_batch(s, &b);
	if (!rc)
		rc = phase_end(s);
	if (!rc)
		info(s->req ? s->req->role : s->resp->role,
		     "PASS: a new QP pair carried %u verified %s messages", b.n,
		     ops[c->op].name);
	return rc;
}

int run_session(struct sess *s)
{
	const char *role = s->req ? s->req->role : s->resp->role;
	int rc;

	switch (s->c->scenario) {
	case SCEN_BAD_RKEY:
	case SCEN_MISALIGNED_ATOMIC:
	case SCEN_FLUSH_NO_MR_ACCESS:
	case SCEN_FLUSH_NO_QP_ACCESS:
	case SCEN_AW_MISALIGNED:
	case SCEN_AW_NO_ACCESS:
	case SCEN_PERSIST_NOT_PMEM:
		rc = scen_bad_request(s);
		break;
	case SCEN_FLUSH_BEYOND_MR:
		rc = scen_beyond_mr(s, OP_FLUSH, true);
		break;
	case SCEN_FLUSH_UD_REFUSED:
		rc = scen_flush_ud_refused(s);
		break;
	case SCEN_FLUSH_WRAP:
	case SCEN_FLUSH_BAD_ARGS:
#if HAVE_WR_FLUSH
		rc = scen_flush_args(s, s->c->scenario == SCEN_FLUSH_WRAP);
#else
		rc = unsupported(role, "no ibv_wr_flush() in rdma-core %d",
				 PRXE_RDMA_CORE_MAJOR);
#endif
		break;
	case SCEN_RNR:
		rc = scen_rnr(s);
		break;
	case SCEN_TOO_LONG:
		rc = scen_too_long(s);
		break;
	case SCEN_SEND_TOO_LONG:
		rc = scen_send_too_long(s);
		break;
	case SCEN_WRITE_TOO_LONG:
		rc = scen_beyond_mr(s, OP_WRITE, true);
		break;
	case SCEN_LOCAL_LEN:
		rc = scen_beyond_mr(s, OP_SEND, false);
		break;
	case SCEN_DESTROY_INFLIGHT:
		return scen_destroy_inflight(s);
	default:
		return run_transfers(s);
	}
	if (!rc)
		info(role, "PASS: scenario %s", scen_names[s->c->scenario]);
	return rc;
}
