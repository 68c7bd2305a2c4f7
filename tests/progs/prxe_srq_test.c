// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_srq_test: shared receive queues and affiliated asynchronous events,
 * in one process on one device (every QP connected to another QP of the
 * same device through its RoCEv2 GID).  Plain libibverbs: runs on any RDMA
 * device.
 *
 *   data [-q QPS] [-n MSGS] [-s MAX] [-r DEPTH] [-w WINDOW] [--odp]
 *        QPS requester QPs each SEND (every third with immediate data)
 *        MSGS messages of 0..MAX bytes to its own responder QP; the
 *        responders all take their receive WQEs from one SRQ of DEPTH
 *        WQEs.  Every receive completion's qp_num, wr_id, byte_len,
 *        immediate data and every byte of its buffer (and the poison after
 *        the message) are checked, and each message must arrive on its
 *        QP in order.  --odp: the receive buffers are an ODP region
 *        (IBV_ODP_SUPPORT_SRQ_RECV must be advertised).
 *   limit
 *        arm the SRQ limit, consume WQEs with SENDs: exactly one
 *        IBV_EVENT_SRQ_LIMIT_REACHED for the SRQ, when fewer than the limit
 *        are left, and ibv_query_srq shows the limit disarmed; re-arming
 *        works; a limit beyond max_wr is EINVAL.
 *   bad
 *        SRQ sizes beyond the device's limits are EINVAL, posting past
 *        the ring's room is ENOMEM at the first WR that does not fit, too
 *        many SGEs EINVAL at that WR, an SRQ in use cannot be destroyed.
 *   events [SCENARIO...]
 *        cq_overrun  a send CQ overruns: IBV_EVENT_CQ_ERR for the CQ and
 *                    IBV_EVENT_QP_FATAL for the requester QP
 *        req_err     a misaligned atomic: IBV_EVENT_QP_REQ_ERR on the
 *                    responder QP
 *        access_err  an RDMA WRITE with a bad rkey: IBV_EVENT_QP_ACCESS_ERR
 *                    on the responder QP
 *        last_wqe    a QP on an SRQ moved to ERR: IBV_EVENT_QP_LAST_WQE_
 *                    REACHED for it, the SRQ's WQEs not flushed (another
 *                    QP receives into every one of them)
 *        too_long    a SEND too long for the SRQ's WQE: that WQE completes
 *                    with IBV_WC_LOC_LEN_ERR on its QP, then LAST_WQE_
 *                    REACHED, and no QP_REQ_ERR (the completion told)
 *        reset       a QP on an SRQ reset in the middle of a long SEND:
 *                    the WQE it took goes back to the SRQ (another QP
 *                    receives into every WQE not completed)
 *        Each event must come exactly once, to its object, and no other.
 *
 * Options: -d DEV (required), -g GID_INDEX (default: the first RoCEv2
 * GID), -t SECONDS (default 60).
 *
 * One line per check and a summary (tests/progs/lib/check.h); every mode
 * and event scenario is a part, with a "PASS: NAME" line of its own.  A
 * failed check the part cannot go on from ends the run.  Exit 0 pass, 1
 * fail, 2 usage or setup error, 77 (SKIP) the device has no SRQs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "check.h"
#include "dev.h"
#include "qp.h"
#include "wc.h"

#define POISON		0xa5
#define MAX_QPS		64
#define MAX_EVENTS	64
#define QUIET_MS	300	/* how long "no (other) event" is watched */

static struct {
	const char *dev;
	int gid_index;
	unsigned int timeout_s;
	unsigned int nqp, msgs, max_size, depth, window;
	bool odp;
} opt = {
	.gid_index = -1, .timeout_s = 60, .nqp = 4, .msgs = 200,
	.max_size = 5000, .depth = 64, .window = 8,
};

static struct dev dev;

/* ------------------------------------------------------------------
 * Objects; a failure to make one ends the run
 */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void open_device(void)
{
	dev_open(&dev, opt.dev);
	if (opt.gid_index < 0)
		opt.gid_index = dev_roce_gid(&dev, false);
	dev_use_gid(&dev, opt.gid_index);
	/* Events are read with a timeout. */
	if (fcntl(dev.ctx->async_fd, F_SETFL,
		  fcntl(dev.ctx->async_fd, F_GETFL) | O_NONBLOCK))
		die("O_NONBLOCK on the async fd: %s", strerror(errno));
}

static struct ibv_cq *make_cq(int n)
{
	struct ibv_cq *cq = cq_create(&dev, n);

	must(cq);
	return cq;
}

static struct ibv_srq *make_srq(uint32_t max_wr, uint32_t max_sge)
{
	struct ibv_srq *srq = srq_create(&dev, max_wr, max_sge);

	must(srq);
	return srq;
}

static struct ibv_qp *make_qp(struct ibv_cq *scq, struct ibv_cq *rcq,
			      struct ibv_srq *srq, uint32_t send_wr,
			      uint32_t recv_wr)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp *qp;

	qp_init_attr_fill(&init, IBV_QPT_RC, scq, rcq, srq, send_wr, recv_wr);
	qp = qp_create(&dev, &init);
	must(qp);
	return qp;
}

/* Bring @qp to RTS connected to @peer (on this device). */
static void connect_qp(struct ibv_qp *qp, struct ibv_qp *peer)
{
	struct rc_attr r;

	rc_attr_default(&r, &dev, peer->qp_num);
	r.access |= IBV_ACCESS_REMOTE_ATOMIC;
	r.rq_psn = r.sq_psn = 1000;
	r.max_dest_rd_atomic = r.max_rd_atomic = 4;
	r.min_rnr_timer = 1;
	must(rc_connect(qp, &r));
}

static void pair(struct ibv_qp *a, struct ibv_qp *b)
{
	connect_qp(a, b);
	connect_qp(b, a);
}

static struct ibv_mr *make_mr(void *buf, size_t len, int extra)
{
	struct ibv_mr *mr = ibv_reg_mr(dev.pd, buf, len, IBV_ACCESS_LOCAL_WRITE |
				       IBV_ACCESS_REMOTE_WRITE |
				       IBV_ACCESS_REMOTE_READ |
				       IBV_ACCESS_REMOTE_ATOMIC | extra);

	if (!mr)
		must_succeed(errno, "ibv_reg_mr(%zu bytes)", len);
	return mr;
}

static void *xalloc(size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len))
		die("out of memory");
	return p;
}

static void post_srq(struct ibv_srq *srq, uint64_t wr_id, void *addr,
		     uint32_t len, uint32_t lkey)
{
	struct ibv_sge sge = { (uintptr_t)addr, len, lkey };

	must_succeed(post_srq_recv_one(srq, wr_id, &sge),
		     "ibv_post_srq_recv(wr_id %" PRIu64 ")", wr_id);
}

static void post_send(struct ibv_qp *qp, uint64_t wr_id,
		      enum ibv_wr_opcode op, void *addr, uint32_t len,
		      uint32_t lkey, uint64_t raddr, uint32_t rkey,
		      uint32_t imm)
{
	struct ibv_sge sge = { (uintptr_t)addr, len, lkey };
	struct ibv_send_wr wr, *bad;

	send_wr_fill(&wr, wr_id, op, &sge, 1);
	send_wr_remote(&wr, raddr, rkey);
	if (op == IBV_WR_SEND_WITH_IMM)
		wr.imm_data = htonl(imm);
	if (op == IBV_WR_ATOMIC_FETCH_AND_ADD)
		wr.wr.atomic.compare_add = 1;
	must_succeed(ibv_post_send(qp, &wr, &bad),
		     "ibv_post_send(QP %#x, wr_id %#" PRIx64 ")", qp->qp_num,
		     wr_id);
}

/* The QP is in @state. */
static void expect_qp_state(struct ibv_qp *qp, enum ibv_qp_state state,
			    const char *what)
{
	int seen = qp_state(qp);

	check(seen == (int)state, qp_state_name(state), qp_state_name(seen),
	      "%s: QP %#x's state", what, qp->qp_num);
}

/* @n pairs of QPs, then the SRQ (if any) and the two CQs they used. */
static void qp_pairs_free(unsigned int n, struct ibv_qp **a, struct ibv_qp **b,
			  struct ibv_srq *srq, struct ibv_cq *scq,
			  struct ibv_cq *rcq)
{
	unsigned int k;
	int ret;

	for (k = 0; k < n; k++) {
		ibv_destroy_qp(a[k]);
		ibv_destroy_qp(b[k]);
	}
	if (srq && (ret = ibv_destroy_srq(srq)))
		expect_err(0, ret, "ibv_destroy_srq with its QPs gone");
	ibv_destroy_cq(scq);
	ibv_destroy_cq(rcq);
}

/*
 * What a limit or events scenario runs on: @n requester QPs r[] on the
 * send CQ, each connected to a responder QP s[] that receives on the
 * receive CQ, from the SRQ if there is one; one registered buffer.
 */
struct scene {
	struct ibv_cq *scq, *rcq;
	struct ibv_srq *srq;
	unsigned int n;
	struct ibv_qp *r[2], *s[2];
	uint8_t *buf;
	struct ibv_mr *mr;
};

/* @srq_wr 0: no SRQ; @send_wr: each requester's send queue. */
static void scene_new(struct scene *sc, int scq_cqe, int rcq_cqe,
		      uint32_t srq_wr, unsigned int n, uint32_t send_wr,
		      size_t buf_len)
{
	unsigned int k;

	memset(sc, 0, sizeof(*sc));
	sc->scq = make_cq(scq_cqe);
	sc->rcq = make_cq(rcq_cqe);
	if (srq_wr)
		sc->srq = make_srq(srq_wr, 1);
	sc->n = n;
	sc->buf = xalloc(buf_len);
	sc->mr = make_mr(sc->buf, buf_len, 0);
	for (k = 0; k < n; k++) {
		sc->r[k] = make_qp(sc->scq, sc->scq, NULL, send_wr, 1);
		/* A responder sends nothing; its send CQ is the requesters'
		 * when it is on the SRQ, else its receive CQ. */
		sc->s[k] = sc->srq ? make_qp(sc->scq, sc->rcq, sc->srq, 1, 0) :
				     make_qp(sc->rcq, sc->rcq, NULL, 1, 4);
		pair(sc->r[k], sc->s[k]);
	}
}

static void scene_free(struct scene *sc)
{
	qp_pairs_free(sc->n, sc->r, sc->s, sc->srq, sc->scq, sc->rcq);
	ibv_dereg_mr(sc->mr);
	free(sc->buf);
}

/* ------------------------------------------------------------------
 * Asynchronous events
 */

struct seen_event {
	enum ibv_event_type type;
	void *obj;		/* the QP, CQ or SRQ; NULL for port events */
};

static const char *ev_name(enum ibv_event_type t)
{
	return ibv_event_type_str(t);
}

static void *event_obj(const struct ibv_async_event *e)
{
	switch (e->event_type) {
	case IBV_EVENT_CQ_ERR:
		return e->element.cq;
	case IBV_EVENT_SRQ_ERR:
	case IBV_EVENT_SRQ_LIMIT_REACHED:
		return e->element.srq;
	case IBV_EVENT_QP_FATAL:
	case IBV_EVENT_QP_REQ_ERR:
	case IBV_EVENT_QP_ACCESS_ERR:
	case IBV_EVENT_COMM_EST:
	case IBV_EVENT_SQ_DRAINED:
	case IBV_EVENT_PATH_MIG:
	case IBV_EVENT_PATH_MIG_ERR:
	case IBV_EVENT_QP_LAST_WQE_REACHED:
		return e->element.qp;
	default:
		return NULL;
	}
}

/* Read events for @ms (or until @want have come), acking each. */
static unsigned int read_events(struct seen_event *seen, unsigned int max,
				int ms, unsigned int want)
{
	uint64_t end = now_ms() + ms;
	unsigned int n = 0;

	for (;;) {
		struct ibv_async_event e;
		struct pollfd p = { .fd = dev.ctx->async_fd, .events = POLLIN };
		int left = (int)(end - now_ms());

		if (want && n >= want)
			break;
		if (left <= 0)
			break;
		if (poll(&p, 1, left) <= 0)
			continue;
		if (ibv_get_async_event(dev.ctx, &e))
			continue;
		note("event %s (%d) on %p", ev_name(e.event_type),
		     e.event_type, event_obj(&e));
		if (n < max) {
			seen[n].type = e.event_type;
			seen[n].obj = event_obj(&e);
		}
		n++;
		ibv_ack_async_event(&e);
	}
	return n;
}

/*
 * Exactly the events @want (type, object pairs) arrive within a few
 * seconds, each once, and nothing else within QUIET_MS after them; the
 * end of the run if not.
 */
static void expect_events(const struct seen_event *want, unsigned int nwant,
			  const char *what)
{
	struct seen_event seen[MAX_EVENTS];
	bool used[MAX_EVENTS] = { false };
	unsigned int n, i, j;

	n = read_events(seen, MAX_EVENTS, 5000, nwant);
	if (n < MAX_EVENTS)
		n += read_events(seen + n, MAX_EVENTS - n, QUIET_MS, 0);
	for (i = 0; i < n && i < MAX_EVENTS; i++) {
		for (j = 0; j < nwant; j++)
			if (!used[j] && want[j].type == seen[i].type &&
			    want[j].obj == seen[i].obj)
				break;
		if (j == nwant)
			fail_exit(strf("%u event(s)", nwant),
				  strf("%u, among them %s on %p", n,
				       ev_name(seen[i].type), seen[i].obj),
				  "%s: events", what);
		used[j] = true;
	}
	for (j = 0; j < nwant; j++)
		if (!used[j])
			fail_exit(strf("%s on %p", ev_name(want[j].type), want[j].obj),
				  strf("%u other event(s)", n), "%s: events", what);
	check_pass(nwant ? strf("%u event(s) as expected, each once", nwant) :
		   strf("none in %d ms", QUIET_MS), "%s: events", what);
}

static void expect_no_event(const char *what)
{
	expect_events(NULL, 0, what);
}

/* ------------------------------------------------------------------
 * data: several QPs on one SRQ, every byte checked
 */

static uint32_t msg_size(unsigned int q, unsigned int seq)
{
	static const uint32_t special[] = { 0, 1, 1023, 1024, 1025, 2048 };

	if (seq < sizeof(special) / sizeof(special[0]) &&
	    special[seq] <= opt.max_size)
		return special[seq];
	if (seq % 7 == 6)
		return opt.max_size;
	return mix((uint64_t)q << 32 | seq) % (opt.max_size + 1);
}

static uint8_t msg_byte(unsigned int q, unsigned int seq, uint32_t off)
{
	uint64_t k = mix((uint64_t)q << 32 | seq | 1ull << 63);

	return (uint8_t)(k >> ((off & 7) * 8)) ^ (uint8_t)(off >> 3) ^
	       (uint8_t)(off >> 11);
}

static uint32_t msg_imm(unsigned int q, unsigned int seq)
{
	return (uint32_t)mix((uint64_t)q << 40 | seq) | 1;
}

/* The QP of @qps[n] whose number @wc has, or n. */
static unsigned int qp_index(struct ibv_qp **qps, unsigned int n,
			     const struct ibv_wc *wc)
{
	unsigned int q;

	for (q = 0; q < n && qps[q]->qp_num != wc->qp_num; q++)
		;
	return q;
}

/* A completion the run cannot go on without: as @want, or the end. */
static void wc_must(const struct ibv_wc *wc, const struct wc_want *want,
		    const char *what)
{
	if (!wc_matches(wc, want))
		must(wc_check(wc, want, "%s", what));
}

/* Receive @wc of message @seq of responder @q: every field and byte. */
static void check_message(const struct ibv_wc *wc, unsigned int q,
			  unsigned int seq, const uint8_t *b, uint32_t slot)
{
	uint32_t len = msg_size(q, seq), off;
	bool imm = seq % 3 == 2;
	const struct wc_want want = {
		.any_wr_id = true, .status = IBV_WC_SUCCESS,
		.check_opcode = true, .opcode = IBV_WC_RECV,
		.check_len = true, .byte_len = len,
	};

	wc_must(wc, &want, strf("QP #%u message %u (WQE %" PRIu64 ")", q, seq,
				wc->wr_id));
	if (!!(wc->wc_flags & IBV_WC_WITH_IMM) != imm ||
	    (imm && ntohl(wc->imm_data) != msg_imm(q, seq)))
		fail_exit(imm ? strf("immediate data %#x", msg_imm(q, seq)) :
			  "no immediate data",
			  wc->wc_flags & IBV_WC_WITH_IMM ?
			  strf("immediate data %#x", ntohl(wc->imm_data)) :
			  "no immediate data",
			  "QP #%u message %u", q, seq);
	for (off = 0; off < len; off++)
		if (b[off] != msg_byte(q, seq, off))
			fail_exit(strf("%#x", msg_byte(q, seq, off)),
				  strf("%#x", b[off]),
				  "QP #%u message %u (%u bytes) in WQE %" PRIu64 ": byte %u",
				  q, seq, len, wc->wr_id, off);
	for (; off < slot; off++)
		if (b[off] != POISON)
			fail_exit(strf("the poison %#x", POISON), strf("%#x", b[off]),
				  "QP #%u message %u (%u bytes) in WQE %" PRIu64 ": byte %u after the message",
				  q, seq, len, wc->wr_id, off);
}

static void run_data(void)
{
	unsigned int nqp = opt.nqp, q, i;
	uint32_t slot = (opt.max_size + 64 + 63) & ~63u;
	struct ibv_qp *req[MAX_QPS], *resp[MAX_QPS];
	unsigned int sent[MAX_QPS] = { 0 }, sdone[MAX_QPS] = { 0 };
	unsigned int rdone[MAX_QPS] = { 0 };
	unsigned int total = nqp * opt.msgs, received = 0, send_completed = 0;
	const struct ibv_odp_caps *odp = &dev.attr.odp_caps;
	struct ibv_cq *scq, *rcq;
	struct ibv_mr *smr, *rmr;
	struct ibv_srq *srq;
	uint8_t *sbuf, *rbuf, *posted;
	struct ibv_srq_attr sa;
	uint64_t end;

	if (nqp < 1 || nqp > MAX_QPS || opt.window < 1 || opt.depth < 1)
		die("bad -q / -w / -r");
	part_begin("data: %u QPs x %u messages of 0..%u bytes through one SRQ of %u WQEs%s",
		   nqp, opt.msgs, opt.max_size, opt.depth, opt.odp ? " (ODP)" : "");
	if (opt.odp)
		must(check((odp->general_caps & IBV_ODP_SUPPORT) &&
			   (odp->per_transport_caps.rc_odp_caps &
			    IBV_ODP_SUPPORT_SRQ_RECV),
			   "IBV_ODP_SUPPORT and IBV_ODP_SUPPORT_SRQ_RECV for RC",
			   strf("general_caps 0x%" PRIx64 ", rc_odp_caps 0x%x",
				(uint64_t)odp->general_caps,
				odp->per_transport_caps.rc_odp_caps),
			   "--odp: the device's ODP caps"));
	scq = make_cq(nqp * opt.window);
	rcq = make_cq(opt.depth);
	srq = make_srq(opt.depth, 1);
	for (q = 0; q < nqp; q++) {
		req[q] = make_qp(scq, scq, NULL, opt.window, 1);
		resp[q] = make_qp(scq, rcq, srq, 1, 0);
		pair(req[q], resp[q]);
	}
	sbuf = xalloc((size_t)nqp * opt.window * slot);
	rbuf = xalloc((size_t)opt.depth * slot);
	posted = calloc(opt.depth, 1);
	if (!posted)
		die("out of memory");
	smr = make_mr(sbuf, (size_t)nqp * opt.window * slot, 0);
	rmr = make_mr(rbuf, (size_t)opt.depth * slot,
		      opt.odp ? IBV_ACCESS_ON_DEMAND : 0);
	memset(rbuf, POISON, (size_t)opt.depth * slot);
	for (i = 0; i < opt.depth; i++) {
		post_srq(srq, i, rbuf + (size_t)i * slot, slot, rmr->lkey);
		posted[i] = 1;
	}

	end = now_ms() + opt.timeout_s * 1000ull;
	while (received < total || send_completed < total) {
		struct ibv_wc wc[16];
		int n, k;

		/* Keep WINDOW sends in flight on every QP. */
		for (q = 0; q < nqp; q++) {
			while (sent[q] < opt.msgs &&
			       sent[q] - sdone[q] < opt.window) {
				unsigned int s = sent[q];
				uint8_t *b = sbuf + ((size_t)q * opt.window +
						     s % opt.window) * slot;
				uint32_t len = msg_size(q, s), off;

				for (off = 0; off < len; off++)
					b[off] = msg_byte(q, s, off);
				post_send(req[q], (uint64_t)q << 32 | s,
					  s % 3 == 2 ? IBV_WR_SEND_WITH_IMM :
					  IBV_WR_SEND, b, len, smr->lkey, 0, 0,
					  msg_imm(q, s));
				sent[q]++;
			}
		}

		n = ibv_poll_cq(scq, 16, wc);
		for (k = 0; k < n; k++) {
			q = qp_index(req, nqp, &wc[k]);
			if (q == nqp)
				fail_exit("a requester's", strf("QP %#x (wr_id %#" PRIx64 ", %s)",
								wc[k].qp_num, wc[k].wr_id,
								ibv_wc_status_str(wc[k].status)),
					  "send completion: its QP");
			wc_must(&wc[k], &(struct wc_want){
					.wr_id = (uint64_t)q << 32 | sdone[q],
					.status = IBV_WC_SUCCESS, .qp = req[q] },
				"send completion");
			sdone[q]++;
			send_completed++;
		}

		n = ibv_poll_cq(rcq, 16, wc);
		for (k = 0; k < n; k++) {
			struct ibv_wc *w = &wc[k];
			uint8_t *b;

			q = qp_index(resp, nqp, w);
			if (q == nqp)
				fail_exit("a responder on the SRQ",
					  strf("QP %#x (wr_id %#" PRIx64 ")",
					       w->qp_num, w->wr_id),
					  "receive completion: its QP");
			if (w->wr_id >= opt.depth || !posted[w->wr_id])
				fail_exit("a posted SRQ WQE",
					  strf("wr_id %" PRIu64, w->wr_id),
					  "receive on QP #%u", q);
			if (rdone[q] >= opt.msgs)
				fail_exit(strf("%u messages", opt.msgs), "more",
					  "QP #%u: messages received", q);
			b = rbuf + (size_t)w->wr_id * slot;
			check_message(w, q, rdone[q]++, b, slot);
			received++;
			memset(b, POISON, slot);
			post_srq(srq, w->wr_id, b, slot, rmr->lkey);
		}
		if (now_ms() > end) {
			for (q = 0; q < nqp; q++)
				note("QP #%u: sent %u, send completions %u, received %u",
				     q, sent[q], sdone[q], rdone[q]);
			fail_exit(strf("%u received, %u send completions within %u s",
				       total, total, opt.timeout_s),
				  strf("%u received, %u send completions",
				       received, send_completed),
				  "data");
		}
	}
	/* Every failure above ended the run. */
	check_pass(strf("%u messages, each in order on its QP, every byte checked",
			total), "data: receives");

	must_succeed(ibv_query_srq(srq, &sa), "ibv_query_srq");
	expect_eq(0, sa.srq_limit, "ibv_query_srq after the data: srq_limit");
	check(sa.max_wr >= opt.depth, strf("at least %u", opt.depth),
	      strf("%u", sa.max_wr), "ibv_query_srq after the data: max_wr");
	expect_no_event("data transfer");

	qp_pairs_free(nqp, req, resp, srq, scq, rcq);
	ibv_dereg_mr(smr);
	ibv_dereg_mr(rmr);
	free(posted);
	part_end();
}

/* ------------------------------------------------------------------
 * limit: the SRQ limit event
 */

/* The SRQ's limit, as ibv_query_srq() says. */
static uint32_t srq_limit(struct ibv_srq *srq)
{
	struct ibv_srq_attr a;

	must_succeed(ibv_query_srq(srq, &a), "ibv_query_srq");
	return a.srq_limit;
}

static void arm_limit(struct ibv_srq *srq, uint32_t limit)
{
	struct ibv_srq_attr a = { .srq_limit = limit };

	must_succeed(ibv_modify_srq(srq, &a, IBV_SRQ_LIMIT),
		     "ibv_modify_srq(IBV_SRQ_LIMIT %u)", limit);
	must(expect_eq(limit, srq_limit(srq), "ibv_query_srq after arming the limit"));
}

/* Send one message R -> S and take its receive completion; its wr_id. */
static uint64_t send_recv_one(struct ibv_qp *r, struct ibv_cq *scq,
			      struct ibv_cq *rcq, struct ibv_qp *s,
			      uint8_t *buf, uint32_t lkey, unsigned int seq)
{
	struct ibv_wc wc;

	post_send(r, seq, IBV_WR_SEND, buf, 8, lkey, 0, 0, 0);
	must(expect_wc(scq, &(struct wc_want){ .wr_id = seq,
					       .status = IBV_WC_SUCCESS, .qp = r },
		       NULL, "send %u", seq));
	must(expect_wc(rcq, &(struct wc_want){ .any_wr_id = true,
					       .status = IBV_WC_SUCCESS, .qp = s,
					       .check_len = true, .byte_len = 8 },
		       &wc, "receive %u", seq));
	return wc.wr_id;
}

/* No event for a moment, after message @k. */
static void expect_no_event_yet(unsigned int k, unsigned int left,
				uint32_t limit)
{
	struct seen_event seen[4];
	unsigned int n = read_events(seen, 4, 20, 0);

	if (n)
		fail_exit("no event",
			  strf("%u event(s), first %s", n, ev_name(seen[0].type)),
			  "message %u (%u WQEs left posted, limit %u)", k, left,
			  limit);
}

static void run_limit(void)
{
	const uint32_t depth = 16, limit = 4;
	struct seen_event want;
	struct ibv_srq_attr a;
	unsigned int k, seq = 0;
	struct ibv_srq *srq;
	struct ibv_qp *r, *s;
	struct scene sc;
	uint8_t *buf;
	uint32_t lkey;
	int ret;

	part_begin("SRQ limit: one IBV_EVENT_SRQ_LIMIT_REACHED per arming, disarmed after it");
	scene_new(&sc, 16, 32, depth, 1, 4, 65536);
	srq = sc.srq;
	r = sc.r[0];
	s = sc.s[0];
	buf = sc.buf;
	lkey = sc.mr->lkey;
	must_succeed(ibv_query_srq(srq, &a), "ibv_query_srq");
	expect_eq(depth, a.max_wr, "new SRQ: max_wr");
	expect_eq(0, a.srq_limit, "new SRQ: srq_limit (unarmed)");

	/* Beyond max_wr: refused, and the limit stays as it was. */
	a.srq_limit = depth + 1;
	expect_err(EINVAL, ibv_modify_srq(srq, &a, IBV_SRQ_LIMIT),
		   "ibv_modify_srq(limit %u > max_wr %u)", depth + 1, depth);
	a.max_wr = depth * 2;
	ret = ibv_modify_srq(srq, &a, IBV_SRQ_MAX_WR);
	if (!ret)
		note("SRQ resize accepted");
	else
		check(ret == EINVAL || ret == EOPNOTSUPP,
		      "success, EINVAL or EOPNOTSUPP", errno_name(ret),
		      "ibv_modify_srq(IBV_SRQ_MAX_WR)");

	for (k = 0; k < depth; k++)
		post_srq(srq, k, buf + 4096 + k * 64, 64, lkey);
	arm_limit(srq, limit);

	/* posted: depth - k after the k-th message; fires below @limit. */
	for (k = 1; k <= depth; k++) {
		send_recv_one(r, sc.scq, sc.rcq, s, buf, lkey, seq++);
		if (depth - k == limit - 1) {
			want = (struct seen_event){ IBV_EVENT_SRQ_LIMIT_REACHED, srq };
			expect_events(&want, 1, "the WQE that left fewer than the limit posted");
			must(expect_eq(0, srq_limit(srq),
				       "after the limit event: ibv_query_srq's limit (disarmed)"));
		} else {
			expect_no_event_yet(k, depth - k,
					    depth - k < limit ? 0 : limit);
		}
	}
	expect_no_event("the SRQ empty, the limit disarmed");

	/* Re-armed: fires again. */
	for (k = 0; k < 8; k++)
		post_srq(srq, 100 + k, buf + 4096 + k * 64, 64, lkey);
	arm_limit(srq, limit);
	for (k = 1; k <= 5; k++) {
		send_recv_one(r, sc.scq, sc.rcq, s, buf, lkey, seq++);
		if (k < 5)
			expect_no_event_yet(k, 8 - k, limit);
	}
	want = (struct seen_event){ IBV_EVENT_SRQ_LIMIT_REACHED, srq };
	expect_events(&want, 1, "re-armed limit");
	scene_free(&sc);
	part_end();
}

/* ------------------------------------------------------------------
 * bad: bad sizes and overfull rings
 */

static void expect_create_srq_fails(uint32_t max_wr, uint32_t max_sge,
				    const char *what)
{
	struct ibv_srq_init_attr a = {
		.attr = { .max_wr = max_wr, .max_sge = max_sge },
	};
	struct ibv_srq *srq;

	errno = 0;
	srq = ibv_create_srq(dev.pd, &a);
	expect_err(EINVAL, srq ? 0 : errno,
		   "ibv_create_srq(%s: max_wr %u, max_sge %u)", what, max_wr,
		   max_sge);
	if (srq)
		ibv_destroy_srq(srq);
}

static void run_bad(void)
{
	const struct ibv_device_attr *da = &dev.attr.orig_attr;
	struct ibv_recv_wr wr[40], *bad;
	struct ibv_sge sge[40];
	struct ibv_srq_attr a;
	struct ibv_srq *srq;
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	unsigned int i, room;
	uint8_t *buf;
	int ret;

	part_begin("bad SRQ parameters refused cleanly");
	must(check(da->max_srq > 0 && da->max_srq_wr > 0 && da->max_srq_sge > 0,
		   "all > 0",
		   strf("max_srq %d, max_srq_wr %d, max_srq_sge %d", da->max_srq,
			da->max_srq_wr, da->max_srq_sge),
		   "device attributes"));
	expect_create_srq_fails(da->max_srq_wr + 1, 1, "max_wr beyond max_srq_wr");
	expect_create_srq_fails(16, da->max_srq_sge + 1, "max_sge beyond max_srq_sge");
	expect_create_srq_fails(0, 1, "max_wr 0");

	/* srq_create() reports its failure as a failed check. */
	srq = srq_create(&dev, da->max_srq_wr, da->max_srq_sge);
	if (srq) {
		check_pass("created", "an SRQ of max_srq_wr WQEs of max_srq_sge SGEs");
		ibv_destroy_srq(srq);
	}

	buf = xalloc(4096);
	mr = make_mr(buf, 4096, 0);
	srq = make_srq(20, 2);
	must_succeed(ibv_query_srq(srq, &a), "ibv_query_srq");
	room = a.max_wr;
	must(check(room <= 38, "at most 38", strf("%u", room),
		   "an SRQ of 20 WQEs: max_wr"));
	for (i = 0; i < 40; i++) {
		sge[i] = (struct ibv_sge){ (uintptr_t)buf, 64, mr->lkey };
		wr[i] = (struct ibv_recv_wr){ .wr_id = i, .sg_list = &sge[i],
					      .num_sge = 1,
					      .next = i < 39 ? &wr[i + 1] : NULL };
	}
	/* room + 2 WRs in one call: ENOMEM at the first that does not fit. */
	wr[room + 1].next = NULL;
	bad = NULL;
	ret = ibv_post_srq_recv(srq, &wr[0], &bad);
	expect_post(ENOMEM, ret, bad, &wr[room],
		    "posting %u WRs to an SRQ of max_wr %u: at WR #%u", room + 2,
		    room, room);
	/* Still full: the next one alone fails too. */
	wr[room].next = NULL;
	bad = NULL;
	ret = ibv_post_srq_recv(srq, &wr[room], &bad);
	expect_post(ENOMEM, ret, bad, &wr[room], "posting to a full SRQ");
	ibv_destroy_srq(srq);

	/* Too many SGEs: EINVAL at that WR, the ones before it posted. */
	srq = make_srq(16, 2);
	for (i = 0; i < 3; i++)
		wr[i].next = i < 2 ? &wr[i + 1] : NULL;
	must_succeed(ibv_query_srq(srq, &a), "ibv_query_srq");
	wr[1].num_sge = a.max_sge + 1;
	sge[1].length = 1;
	bad = NULL;
	ret = ibv_post_srq_recv(srq, &wr[0], &bad);
	expect_post(EINVAL, ret, bad, &wr[1],
		    "a WR with more SGEs than max_sge, the second of three");
	wr[1].num_sge = 1;

	/* An SRQ in use by a QP cannot be destroyed. */
	cq = make_cq(4);
	qp = make_qp(cq, cq, srq, 1, 0);
	expect_err(EBUSY, ibv_destroy_srq(srq), "ibv_destroy_srq with a QP on it");
	/* A QP on an SRQ has no receive queue of its own. */
	wr[0].next = NULL;
	ret = ibv_post_recv(qp, &wr[0], &bad);
	check(ret != 0, "an error", errno_name(ret),
	      "ibv_post_recv on a QP on an SRQ");
	ibv_destroy_qp(qp);
	expect_err(0, ibv_destroy_srq(srq), "ibv_destroy_srq after its QP is gone");
	ibv_destroy_cq(cq);
	ibv_dereg_mr(mr);
	free(buf);
	expect_no_event("bad parameters");
	part_end();
}

/* ------------------------------------------------------------------
 * events
 */

static void ev_cq_overrun(void)
{
	struct seen_event want[2];
	struct scene sc;
	unsigned int k;

	part_begin("cq_overrun: IBV_EVENT_CQ_ERR for the CQ, IBV_EVENT_QP_FATAL for its QP");
	scene_new(&sc, 1, 16, 0, 1, 4, 4096);
	if (sc.scq->cqe != 1)
		note("a CQ of 1 entry has %d", sc.scq->cqe);
	/* One completion fits, the next one overruns. */
	for (k = 0; k < (unsigned int)sc.scq->cqe + 2 && k < 4; k++)
		post_send(sc.r[0], k, IBV_WR_RDMA_WRITE, sc.buf, 8, sc.mr->lkey,
			  (uintptr_t)sc.buf + 2048, sc.mr->rkey, 0);
	want[0] = (struct seen_event){ IBV_EVENT_CQ_ERR, sc.scq };
	want[1] = (struct seen_event){ IBV_EVENT_QP_FATAL, sc.r[0] };
	expect_events(want, 2, "cq_overrun");
	expect_qp_state(sc.r[0], IBV_QPS_ERR, "cq_overrun: the requester");
	scene_free(&sc);
	part_end();
}

/* A request the responder refuses: @op to @raddr with @rkey. */
static void ev_responder_error(const char *name, enum ibv_wr_opcode op,
			       int raddr_off, bool bad_rkey,
			       enum ibv_wc_status req_status,
			       enum ibv_event_type resp_event)
{
	struct seen_event want;
	struct scene sc;

	part_begin("%s: %s on the responder QP, once", name, ev_name(resp_event));
	scene_new(&sc, 16, 16, 0, 1, 4, 4096);
	post_send(sc.r[0], 7, op, sc.buf, 8, sc.mr->lkey,
		  (uintptr_t)sc.buf + 2048 + raddr_off,
		  bad_rkey ? sc.mr->rkey ^ 0x5a00 : sc.mr->rkey, 0);
	must(expect_wc(sc.scq, &(struct wc_want){ .wr_id = 7, .status = req_status,
						  .qp = sc.r[0] },
		       NULL, "%s: the requester's completion", name));
	want = (struct seen_event){ resp_event, sc.s[0] };
	expect_events(&want, 1, name);
	expect_qp_state(sc.s[0], IBV_QPS_ERR, strf("%s: the responder", name));
	scene_free(&sc);
	part_end();
}

/*
 * Two QPs on one SRQ of 8 WQEs; QP 0 leaves (to ERR by modify_qp, or by a
 * SEND too long for the WQE it took); QP 1 then receives into every WQE
 * left: none was flushed.
 */
static void ev_srq_leave(bool too_long)
{
	const char *name = too_long ? "too_long" : "last_wqe";
	bool used[8] = { false };
	struct seen_event want;
	unsigned int k, left = 8;
	struct scene sc;
	struct ibv_wc wc;
	uint64_t w;

	part_begin("%s: one IBV_EVENT_QP_LAST_WQE_REACHED, the SRQ's WQEs kept",
		   name);
	scene_new(&sc, 32, 32, 8, 2, 8, 65536);
	for (k = 0; k < 8; k++)
		post_srq(sc.srq, k, sc.buf + 4096 + k * 256, 256, sc.mr->lkey);

	if (too_long) {
		/* The WQE QP 0 took completes with the error, on QP 0. */
		post_send(sc.r[0], 99, IBV_WR_SEND, sc.buf, 1000, sc.mr->lkey,
			  0, 0, 0);
		must(expect_wc(sc.scq, &(struct wc_want){
				.wr_id = 99, .status = IBV_WC_REM_INV_REQ_ERR,
				.qp = sc.r[0] },
			       NULL, "too long SEND's completion"));
		must(expect_wc(sc.rcq, &(struct wc_want){
				.any_wr_id = true, .status = IBV_WC_LOC_LEN_ERR,
				.qp = sc.s[0] },
			       &wc, "too long SEND: the receive completion"));
		w = wc.wr_id;
	} else {
		w = send_recv_one(sc.r[0], sc.scq, sc.rcq, sc.s[0], sc.buf,
				  sc.mr->lkey, 50);
		must_succeed(qp_to_state(sc.s[0], IBV_QPS_ERR),
			     "modify_qp of QP %#x to ERR", sc.s[0]->qp_num);
	}
	must(check(w < 8, "an SRQ WQE's wr_id (0 to 7)",
		   strf("%" PRIu64, w), "%s: QP 0's receive", name));
	used[w] = true;
	left--;
	want = (struct seen_event){ IBV_EVENT_QP_LAST_WQE_REACHED, sc.s[0] };
	expect_events(&want, 1, name);
	expect_cq_quiet(sc.rcq, QUIET_MS, "the SRQ's WQEs after one QP left");

	for (k = 0; k < left; k++) {
		w = send_recv_one(sc.r[1], sc.scq, sc.rcq, sc.s[1], sc.buf,
				  sc.mr->lkey, 60 + k);
		must(check(w < 8 && !used[w], "an unused SRQ WQE",
			   strf("wr_id %" PRIu64, w), "%s: QP 1's receive %u",
			   name, k));
		used[w] = true;
	}
	check_pass(strf("received into all %u WQEs left", left),
		   "%s: the other QP", name);
	expect_no_event(name);
	scene_free(&sc);
	part_end();
}

/*
 * A QP on an SRQ reset in the middle of a long SEND: the WQE it took goes
 * back to the SRQ.  Two WQEs of 8 MiB; QP 0 is reset while an 8 MiB SEND
 * streams into it; QP 1 must then receive into every WQE QP 0 did not
 * complete (without the give-back it would wait for a WQE forever).
 */
static void ev_reset_gives_back(void)
{
	const uint32_t big = 8u << 20;
	unsigned int k, left = 2;
	struct scene sc;
	struct ibv_wc wc;

	part_begin("reset: no WQE of the SRQ lost by a QP reset mid-message");
	scene_new(&sc, 32, 32, 2, 2, 4, 3 * (size_t)big);
	for (k = 0; k < 2; k++)
		post_srq(sc.srq, k, sc.buf + (size_t)(k + 1) * big, big,
			 sc.mr->lkey);
	post_send(sc.r[0], 1, IBV_WR_SEND, sc.buf, big, sc.mr->lkey, 0, 0, 0);
	usleep(30000);
	must_succeed(qp_to_state(sc.s[0], IBV_QPS_RESET),
		     "modify_qp of QP %#x to RESET", sc.s[0]->qp_num);
	/* What QP 0 completed before the reset is no longer the SRQ's. */
	while (ibv_poll_cq(sc.rcq, 1, &wc) > 0) {
		must(expect_eq(sc.s[0]->qp_num, wc.qp_num,
			       "reset: a receive completed before it: its QP"));
		note("QP 0 completed wr_id %" PRIu64 " (%s) before its reset",
		     wc.wr_id, ibv_wc_status_str(wc.status));
		left--;
	}
	note("%u WQE(s) left for QP 1%s", left,
	     left == 2 ? " (QP 0's was given back, or not yet taken)" : "");
	for (k = 0; k < left; k++) {
		post_send(sc.r[1], 10 + k, IBV_WR_SEND, sc.buf, 64, sc.mr->lkey,
			  0, 0, 0);
		must(expect_wc(sc.rcq, &(struct wc_want){
				.any_wr_id = true, .status = IBV_WC_SUCCESS,
				.qp = sc.s[1], .check_len = true, .byte_len = 64 },
			       &wc, "reset: QP 1's receive %u", k));
		must(check(wc.wr_id < 2, "an SRQ WQE's wr_id (0 or 1)",
			   strf("%" PRIu64, wc.wr_id), "reset: QP 1's receive %u",
			   k));
	}
	expect_cq_quiet(sc.rcq, QUIET_MS, "after the WQEs left were used");
	expect_no_event("reset");
	scene_free(&sc);
	part_end();
}

static void run_events(int argc, char **argv)
{
	static const char *const all[] = {
		"cq_overrun", "req_err", "access_err", "last_wqe", "too_long",
	};
	int i, n = argc;

	if (!n) {
		argv = (char **)all;
		n = sizeof(all) / sizeof(all[0]);
	}
	for (i = 0; i < n; i++) {
		if (!strcmp(argv[i], "cq_overrun"))
			ev_cq_overrun();
		else if (!strcmp(argv[i], "req_err"))
			ev_responder_error("req_err", IBV_WR_ATOMIC_FETCH_AND_ADD,
					   4, false, IBV_WC_REM_INV_REQ_ERR,
					   IBV_EVENT_QP_REQ_ERR);
		else if (!strcmp(argv[i], "access_err"))
			ev_responder_error("access_err", IBV_WR_RDMA_WRITE, 0,
					   true, IBV_WC_REM_ACCESS_ERR,
					   IBV_EVENT_QP_ACCESS_ERR);
		else if (!strcmp(argv[i], "last_wqe"))
			ev_srq_leave(false);
		else if (!strcmp(argv[i], "too_long"))
			ev_srq_leave(true);
		else if (!strcmp(argv[i], "reset"))
			ev_reset_gives_back();
		else
			die("unknown event scenario %s", argv[i]);
	}
}

/* ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: %s -d DEV [-g GID_INDEX] [-t SECONDS] MODE\n"
		"  data [-q QPS] [-n MSGS] [-s MAX] [-r DEPTH] [-w WINDOW] [--odp]\n"
		"  limit | bad | events [cq_overrun|req_err|access_err|last_wqe|too_long|reset...]\n",
		check_prog());
	exit(EXIT_SETUP);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "odp", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode;
	int c;

	check_init("prxe_srq_test");
	/* The data options follow MODE (see the usage): getopt_long() takes
	 * options from anywhere and leaves MODE and the scenarios in order. */
	while ((c = getopt_long(argc, argv, "d:g:t:q:n:s:r:w:", lo, NULL)) != -1) {
		switch (c) {
		case 'd': opt.dev = optarg; break;
		case 'g': opt.gid_index = atoi(optarg); break;
		case 't': opt.timeout_s = strtoul(optarg, NULL, 0); break;
		case 'q': opt.nqp = strtoul(optarg, NULL, 0); break;
		case 'n': opt.msgs = strtoul(optarg, NULL, 0); break;
		case 's': opt.max_size = strtoul(optarg, NULL, 0); break;
		case 'r': opt.depth = strtoul(optarg, NULL, 0); break;
		case 'w': opt.window = strtoul(optarg, NULL, 0); break;
		case 'o': opt.odp = true; break;
		default: usage();
		}
	}
	if (!opt.dev || optind >= argc)
		usage();
	mode = argv[optind++];
	open_device();
	wc_timeout_ms = opt.timeout_s * 1000;
	if (!dev.attr.orig_attr.max_srq && strcmp(mode, "events"))
		skip("the device has no SRQs (max_srq 0)");

	if (!strcmp(mode, "data"))
		run_data();
	else if (!strcmp(mode, "limit"))
		run_limit();
	else if (!strcmp(mode, "bad"))
		run_bad();
	else if (!strcmp(mode, "events"))
		run_events(argc - optind, argv + optind);
	else
		usage();
	dev_close(&dev);
	return check_summary();
}
