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
 * GID), -t SECONDS (default 60).  Prints PASS: or FAIL: lines; exit 0
 * pass, 1 fail, 2 usage, 77 unsupported.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#define PROG		"prxe_srq_test"
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

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static union ibv_gid gid;
static struct ibv_device_attr_ex dev_attr;

/* ------------------------------------------------------------------ */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

static void unsupported(const char *what)
{
	printf("UNSUPPORTED: %s\n", what);
	exit(77);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static const char *ev_name(enum ibv_event_type t)
{
	return ibv_event_type_str(t);
}

/* ------------------------------------------------------------------ */

static void open_device(void)
{
	struct ibv_device **list;
	struct ibv_port_attr pa;
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list)
		die("ibv_get_device_list: %s", strerror(errno));
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), opt.dev))
			break;
	if (i == n)
		die("device %s not found", opt.dev);
	ctx = ibv_open_device(list[i]);
	if (!ctx)
		die("ibv_open_device(%s): %s", opt.dev, strerror(errno));
	ibv_free_device_list(list);
	if (ibv_query_device_ex(ctx, NULL, &dev_attr))
		die("ibv_query_device_ex failed");
	if (ibv_query_port(ctx, 1, &pa))
		die("ibv_query_port failed");
	if (pa.state != IBV_PORT_ACTIVE)
		die("port 1 of %s is not active", opt.dev);
	if (opt.gid_index < 0) {
		for (i = 0; i < pa.gid_tbl_len; i++) {
			struct ibv_gid_entry e;

			if (ibv_query_gid_ex(ctx, 1, i, &e, 0))
				continue;
			if (e.gid_type == IBV_GID_TYPE_ROCE_V2) {
				opt.gid_index = i;
				break;
			}
		}
		if (opt.gid_index < 0)
			die("%s has no RoCEv2 GID", opt.dev);
	}
	if (ibv_query_gid(ctx, 1, opt.gid_index, &gid))
		die("ibv_query_gid(%d) failed", opt.gid_index);
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		die("ibv_alloc_pd: %s", strerror(errno));
	/* Events are read with a timeout. */
	if (fcntl(ctx->async_fd, F_SETFL,
		  fcntl(ctx->async_fd, F_GETFL) | O_NONBLOCK))
		die("O_NONBLOCK on the async fd: %s", strerror(errno));
}

static struct ibv_cq *make_cq(int n)
{
	struct ibv_cq *cq = ibv_create_cq(ctx, n, NULL, NULL, 0);

	if (!cq)
		die("ibv_create_cq(%d): %s", n, strerror(errno));
	return cq;
}

static struct ibv_srq *make_srq(uint32_t max_wr, uint32_t max_sge)
{
	struct ibv_srq_init_attr a = {
		.attr = { .max_wr = max_wr, .max_sge = max_sge },
	};
	struct ibv_srq *srq = ibv_create_srq(pd, &a);

	if (!srq)
		die("ibv_create_srq(max_wr %u, max_sge %u): %s", max_wr,
		    max_sge, strerror(errno));
	if (a.attr.max_wr < max_wr || a.attr.max_sge < max_sge)
		die("ibv_create_srq granted max_wr %u max_sge %u, asked %u %u",
		    a.attr.max_wr, a.attr.max_sge, max_wr, max_sge);
	return srq;
}

static struct ibv_qp *make_qp(struct ibv_cq *scq, struct ibv_cq *rcq,
			      struct ibv_srq *srq, uint32_t send_wr,
			      uint32_t recv_wr)
{
	struct ibv_qp_init_attr a = {
		.send_cq = scq,
		.recv_cq = rcq,
		.srq = srq,
		.qp_type = IBV_QPT_RC,
		.cap = {
			.max_send_wr = send_wr,
			.max_recv_wr = srq ? 0 : recv_wr,
			.max_send_sge = 1,
			.max_recv_sge = srq ? 0 : 1,
		},
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &a);

	if (!qp)
		die("ibv_create_qp%s: %s", srq ? " on an SRQ" : "",
		    strerror(errno));
	return qp;
}

static void modify(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask,
		   const char *what)
{
	int ret = ibv_modify_qp(qp, a, mask);

	if (ret)
		die("ibv_modify_qp(QP %#x, %s): %s", qp->qp_num, what,
		    strerror(ret));
}

/* Bring @qp to RTS connected to @peer (on this device). */
static void connect_qp(struct ibv_qp *qp, struct ibv_qp *peer)
{
	struct ibv_qp_attr a;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_INIT;
	a.port_num = 1;
	a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			    IBV_ACCESS_REMOTE_ATOMIC;
	modify(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
	       IBV_QP_ACCESS_FLAGS, "INIT");

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = peer->qp_num;
	a.rq_psn = 1000;
	a.max_dest_rd_atomic = 4;
	a.min_rnr_timer = 1;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = gid;
	a.ah_attr.grh.sgid_index = opt.gid_index;
	a.ah_attr.grh.hop_limit = 64;
	a.ah_attr.port_num = 1;
	modify(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
	       IBV_QP_DEST_QPN | IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
	       IBV_QP_MIN_RNR_TIMER, "RTR");

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.sq_psn = 1000;
	a.max_rd_atomic = 4;
	modify(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
	       IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC,
	       "RTS");
}

static void pair(struct ibv_qp *a, struct ibv_qp *b)
{
	connect_qp(a, b);
	connect_qp(b, a);
}

static struct ibv_mr *make_mr(void *buf, size_t len, int extra)
{
	struct ibv_mr *mr = ibv_reg_mr(pd, buf, len, IBV_ACCESS_LOCAL_WRITE |
				       IBV_ACCESS_REMOTE_WRITE |
				       IBV_ACCESS_REMOTE_READ |
				       IBV_ACCESS_REMOTE_ATOMIC | extra);

	if (!mr)
		die("ibv_reg_mr(%zu bytes): %s", len, strerror(errno));
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
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &sge,
				  .num_sge = 1 }, *bad;
	int ret = ibv_post_srq_recv(srq, &wr, &bad);

	if (ret)
		die("ibv_post_srq_recv(wr_id %" PRIu64 "): %s", wr_id,
		    strerror(ret));
}

static void post_send(struct ibv_qp *qp, uint64_t wr_id,
		      enum ibv_wr_opcode op, void *addr, uint32_t len,
		      uint32_t lkey, uint64_t raddr, uint32_t rkey,
		      uint32_t imm)
{
	struct ibv_sge sge = { (uintptr_t)addr, len, lkey };
	struct ibv_send_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
		.opcode = op, .send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	int ret;

	if (op == IBV_WR_SEND_WITH_IMM)
		wr.imm_data = htonl(imm);
	if (op == IBV_WR_RDMA_WRITE) {
		wr.wr.rdma.remote_addr = raddr;
		wr.wr.rdma.rkey = rkey;
	}
	if (op == IBV_WR_ATOMIC_FETCH_AND_ADD) {
		wr.wr.atomic.remote_addr = raddr;
		wr.wr.atomic.rkey = rkey;
		wr.wr.atomic.compare_add = 1;
	}
	ret = ibv_post_send(qp, &wr, &bad);
	if (ret)
		die("ibv_post_send(QP %#x, wr_id %#" PRIx64 "): %s",
		    qp->qp_num, wr_id, strerror(ret));
}

/* One completion of @cq within the timeout. */
static void poll_one(struct ibv_cq *cq, struct ibv_wc *wc, const char *what)
{
	uint64_t end = now_ms() + opt.timeout_s * 1000ull;
	int n;

	while ((n = ibv_poll_cq(cq, 1, wc)) == 0)
		if (now_ms() > end)
			die("%s: no completion within %u s", what,
			    opt.timeout_s);
	if (n < 0)
		die("%s: ibv_poll_cq failed", what);
}

/* No completion on @cq for @ms. */
static void expect_cq_quiet(struct ibv_cq *cq, int ms, const char *what)
{
	uint64_t end = now_ms() + ms;
	struct ibv_wc wc;

	while (now_ms() < end) {
		if (ibv_poll_cq(cq, 1, &wc) > 0)
			die("%s: unexpected completion wr_id %#" PRIx64
			    " status %s QP %#x", what, wc.wr_id,
			    ibv_wc_status_str(wc.status), wc.qp_num);
		usleep(1000);
	}
}

static void expect_wc(const struct ibv_wc *wc, uint64_t wr_id,
		      enum ibv_wc_status status, uint32_t qp_num,
		      const char *what)
{
	if (wc->status != status || wc->wr_id != wr_id || wc->qp_num != qp_num)
		die("%s: expected wr_id %#" PRIx64 " status %s QP %#x, saw "
		    "wr_id %#" PRIx64 " status %s QP %#x", what, wr_id,
		    ibv_wc_status_str(status), qp_num, wc->wr_id,
		    ibv_wc_status_str(wc->status), wc->qp_num);
}

/* ------------------------------------------------------------------
 * Asynchronous events
 */

struct seen_event {
	enum ibv_event_type type;
	void *obj;		/* the QP, CQ or SRQ; NULL for port events */
};

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
		struct pollfd p = { .fd = ctx->async_fd, .events = POLLIN };
		int left = (int)(end - now_ms());

		if (want && n >= want)
			break;
		if (left <= 0)
			break;
		if (poll(&p, 1, left) <= 0)
			continue;
		if (ibv_get_async_event(ctx, &e))
			continue;
		printf("  event %s (%d) on %p\n", ev_name(e.event_type),
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
 * seconds, each once, and nothing else within QUIET_MS after them.
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
			die("%s: unexpected event %s on %p (%u events seen, %u expected)",
			    what, ev_name(seen[i].type), seen[i].obj, n, nwant);
		used[j] = true;
	}
	for (j = 0; j < nwant; j++)
		if (!used[j])
			die("%s: expected event %s on %p, not seen (%u events seen)",
			    what, ev_name(want[j].type), want[j].obj, n);
	printf("ok: %s: %u event(s) as expected, each once\n", what, nwant);
}

static void expect_no_event(int ms, const char *what)
{
	expect_events(NULL, 0, what);
	(void)ms;
}

static enum ibv_qp_state qp_state(struct ibv_qp *qp)
{
	struct ibv_qp_attr a;
	struct ibv_qp_init_attr ia;

	if (ibv_query_qp(qp, &a, IBV_QP_STATE, &ia))
		die("ibv_query_qp failed");
	return a.qp_state;
}

/* @n pairs of QPs, then the SRQ and the two CQs they used. */
static void qp_pairs_free(unsigned int n, struct ibv_qp **a, struct ibv_qp **b,
			  struct ibv_srq *srq, struct ibv_cq *scq,
			  struct ibv_cq *rcq)
{
	unsigned int k;

	for (k = 0; k < n; k++) {
		ibv_destroy_qp(a[k]);
		ibv_destroy_qp(b[k]);
	}
	ibv_destroy_srq(srq);
	ibv_destroy_cq(scq);
	ibv_destroy_cq(rcq);
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

static void run_data(void)
{
	unsigned int nqp = opt.nqp, q, i;
	uint32_t slot = (opt.max_size + 64 + 63) & ~63u;
	struct ibv_qp *req[MAX_QPS], *resp[MAX_QPS];
	unsigned int sent[MAX_QPS] = { 0 }, sdone[MAX_QPS] = { 0 };
	unsigned int rdone[MAX_QPS] = { 0 };
	unsigned int total = nqp * opt.msgs, received = 0, send_completed = 0;
	struct ibv_cq *scq, *rcq;
	struct ibv_mr *smr, *rmr;
	struct ibv_srq *srq;
	uint8_t *sbuf, *rbuf, *posted;
	struct ibv_srq_attr sa;
	uint64_t end;

	if (nqp < 1 || nqp > MAX_QPS || opt.window < 1 || opt.depth < 1)
		die("bad -q / -w / -r");
	if (opt.odp) {
		if (!(dev_attr.odp_caps.general_caps & IBV_ODP_SUPPORT) ||
		    !(dev_attr.odp_caps.per_transport_caps.rc_odp_caps &
		      IBV_ODP_SUPPORT_SRQ_RECV))
			die("--odp: the device does not advertise IBV_ODP_SUPPORT_SRQ_RECV for RC");
	}
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
			for (q = 0; q < nqp && req[q]->qp_num != wc[k].qp_num; q++)
				;
			if (q == nqp)
				die("send completion of QP %#x, not a requester (wr_id %#" PRIx64 ", %s)",
				    wc[k].qp_num, wc[k].wr_id,
				    ibv_wc_status_str(wc[k].status));
			expect_wc(&wc[k], (uint64_t)q << 32 | sdone[q],
				  IBV_WC_SUCCESS, req[q]->qp_num,
				  "send completion");
			sdone[q]++;
			send_completed++;
		}

		n = ibv_poll_cq(rcq, 16, wc);
		for (k = 0; k < n; k++) {
			struct ibv_wc *w = &wc[k];
			unsigned int seq;
			uint8_t *b;
			uint32_t len, off;
			bool imm;

			for (q = 0; q < nqp && resp[q]->qp_num != w->qp_num; q++)
				;
			if (q == nqp)
				die("receive completion of QP %#x, not a responder on the SRQ (wr_id %#" PRIx64 ")",
				    w->qp_num, w->wr_id);
			if (w->status != IBV_WC_SUCCESS)
				die("receive on QP %#x (#%u): status %s, wr_id %" PRIu64,
				    w->qp_num, q, ibv_wc_status_str(w->status),
				    w->wr_id);
			if (w->wr_id >= opt.depth || !posted[w->wr_id])
				die("receive on QP #%u: wr_id %" PRIu64 " is not a posted SRQ WQE",
				    q, w->wr_id);
			seq = rdone[q]++;
			if (seq >= opt.msgs)
				die("QP #%u received more than %u messages", q,
				    opt.msgs);
			len = msg_size(q, seq);
			imm = seq % 3 == 2;
			if (w->byte_len != len)
				die("QP #%u message %u: byte_len %u, expected %u (wr_id %" PRIu64 ")",
				    q, seq, w->byte_len, len, w->wr_id);
			if (w->opcode != IBV_WC_RECV)
				die("QP #%u message %u: opcode %d, expected IBV_WC_RECV",
				    q, seq, w->opcode);
			if (!!(w->wc_flags & IBV_WC_WITH_IMM) != imm ||
			    (imm && ntohl(w->imm_data) != msg_imm(q, seq)))
				die("QP #%u message %u: immediate data %s %#x, expected %s %#x",
				    q, seq,
				    w->wc_flags & IBV_WC_WITH_IMM ? "present" : "absent",
				    ntohl(w->imm_data), imm ? "present" : "absent",
				    msg_imm(q, seq));
			b = rbuf + (size_t)w->wr_id * slot;
			for (off = 0; off < len; off++)
				if (b[off] != msg_byte(q, seq, off))
					die("QP #%u message %u (%u bytes) in WQE %" PRIu64 ": byte %u is %#x, expected %#x",
					    q, seq, len, w->wr_id, off, b[off],
					    msg_byte(q, seq, off));
			for (; off < slot; off++)
				if (b[off] != POISON)
					die("QP #%u message %u (%u bytes) in WQE %" PRIu64 ": byte %u after the message is %#x, not the poison",
					    q, seq, len, w->wr_id, off, b[off]);
			received++;
			memset(b, POISON, slot);
			post_srq(srq, w->wr_id, b, slot, rmr->lkey);
		}
		if (now_ms() > end) {
			for (q = 0; q < nqp; q++)
				printf("  QP #%u: sent %u, send completions %u, received %u\n",
				       q, sent[q], sdone[q], rdone[q]);
			die("timed out after %u s: %u of %u received, %u send completions",
			    opt.timeout_s, received, total, send_completed);
		}
	}

	if (ibv_query_srq(srq, &sa))
		die("ibv_query_srq failed");
	if (sa.srq_limit != 0 || sa.max_wr < opt.depth)
		die("ibv_query_srq: limit %u max_wr %u, expected 0 and >= %u",
		    sa.srq_limit, sa.max_wr, opt.depth);
	expect_no_event(QUIET_MS, "data transfer");

	qp_pairs_free(nqp, req, resp, srq, scq, rcq);
	ibv_dereg_mr(smr);
	ibv_dereg_mr(rmr);
	printf("PASS: %u QPs x %u messages of 0..%u bytes through one SRQ of %u WQEs%s, every byte checked\n",
	       nqp, opt.msgs, opt.max_size, opt.depth, opt.odp ? " (ODP)" : "");
}

/* ------------------------------------------------------------------
 * limit: the SRQ limit event
 */

static void arm_limit(struct ibv_srq *srq, uint32_t limit)
{
	struct ibv_srq_attr a = { .srq_limit = limit };
	int ret = ibv_modify_srq(srq, &a, IBV_SRQ_LIMIT);

	if (ret)
		die("ibv_modify_srq(IBV_SRQ_LIMIT %u): %s", limit, strerror(ret));
	if (ibv_query_srq(srq, &a))
		die("ibv_query_srq failed");
	if (a.srq_limit != limit)
		die("ibv_query_srq after arming %u: limit %u", limit,
		    a.srq_limit);
	printf("ok: limit %u armed\n", limit);
}

/* Send one message R -> S and take its receive completion. */
static uint64_t send_recv_one(struct ibv_qp *r, struct ibv_cq *scq,
			      struct ibv_cq *rcq, struct ibv_qp *s,
			      uint8_t *buf, uint32_t lkey, unsigned int seq)
{
	struct ibv_wc wc;

	post_send(r, seq, IBV_WR_SEND, buf, 8, lkey, 0, 0, 0);
	poll_one(scq, &wc, "send completion");
	expect_wc(&wc, seq, IBV_WC_SUCCESS, r->qp_num, "send completion");
	poll_one(rcq, &wc, "receive completion");
	if (wc.status != IBV_WC_SUCCESS || wc.qp_num != s->qp_num ||
	    wc.byte_len != 8)
		die("receive #%u: status %s QP %#x byte_len %u, expected success on QP %#x with 8 bytes",
		    seq, ibv_wc_status_str(wc.status), wc.qp_num, wc.byte_len,
		    s->qp_num);
	return wc.wr_id;
}

static void run_limit(void)
{
	const uint32_t depth = 16, limit = 4;
	struct ibv_cq *scq = make_cq(16), *rcq = make_cq(32);
	struct ibv_srq *srq = make_srq(depth, 1);
	struct ibv_qp *r = make_qp(scq, scq, NULL, 4, 1);
	struct ibv_qp *s = make_qp(scq, rcq, srq, 1, 0);
	uint8_t *buf = xalloc(65536);
	struct ibv_mr *mr = make_mr(buf, 65536, 0);
	struct seen_event want;
	struct ibv_srq_attr a;
	unsigned int k, seq = 0;
	int ret;

	pair(r, s);
	if (ibv_query_srq(srq, &a))
		die("ibv_query_srq failed");
	if (a.max_wr != depth || a.srq_limit != 0)
		die("new SRQ: max_wr %u limit %u, expected %u and 0 (unarmed)",
		    a.max_wr, a.srq_limit, depth);

	/* Beyond max_wr: refused, and the limit stays as it was. */
	a.srq_limit = depth + 1;
	ret = ibv_modify_srq(srq, &a, IBV_SRQ_LIMIT);
	if (ret != EINVAL)
		die("ibv_modify_srq(limit %u > max_wr %u): %s, expected EINVAL",
		    depth + 1, depth, ret ? strerror(ret) : "success");
	a.max_wr = depth * 2;
	ret = ibv_modify_srq(srq, &a, IBV_SRQ_MAX_WR);
	if (ret != EINVAL && ret != EOPNOTSUPP) {
		if (!ret)
			printf("note: SRQ resize accepted\n");
		else
			die("ibv_modify_srq(IBV_SRQ_MAX_WR): %s, expected success, EINVAL or EOPNOTSUPP",
			    strerror(ret));
	}

	for (k = 0; k < depth; k++)
		post_srq(srq, k, buf + 4096 + k * 64, 64, mr->lkey);
	arm_limit(srq, limit);

	/* posted: depth - k after the k-th message; fires below @limit. */
	for (k = 1; k <= depth; k++) {
		send_recv_one(r, scq, rcq, s, buf, mr->lkey, seq++);
		if (depth - k == limit - 1) {
			want.type = IBV_EVENT_SRQ_LIMIT_REACHED;
			want.obj = srq;
			expect_events(&want, 1, "the WQE that left fewer than the limit posted");
			if (ibv_query_srq(srq, &a))
				die("ibv_query_srq failed");
			if (a.srq_limit != 0)
				die("after the limit event: ibv_query_srq shows limit %u, expected 0 (disarmed)",
				    a.srq_limit);
			printf("ok: the limit is disarmed after its event\n");
		} else {
			struct seen_event seen[4];
			unsigned int n = read_events(seen, 4, 20, 0);

			if (n)
				die("message %u (%u WQEs left posted, limit %u): %u unexpected event(s), first %s",
				    k, depth - k, depth - k < limit ? 0 : limit,
				    n, ev_name(seen[0].type));
		}
	}
	expect_no_event(QUIET_MS, "the SRQ empty, the limit disarmed");

	/* Re-armed: fires again. */
	for (k = 0; k < 8; k++)
		post_srq(srq, 100 + k, buf + 4096 + k * 64, 64, mr->lkey);
	arm_limit(srq, limit);
	for (k = 1; k <= 5; k++) {
		send_recv_one(r, scq, rcq, s, buf, mr->lkey, seq++);
		if (k < 5) {
			struct seen_event seen[4];

			if (read_events(seen, 4, 20, 0))
				die("re-armed: event after message %u with %u left, limit %u",
				    k, 8 - k, limit);
		}
	}
	want.type = IBV_EVENT_SRQ_LIMIT_REACHED;
	want.obj = srq;
	expect_events(&want, 1, "re-armed limit");

	ibv_destroy_qp(r);
	ibv_destroy_qp(s);
	if (ibv_destroy_srq(srq))
		die("ibv_destroy_srq failed");
	ibv_dereg_mr(mr);
	ibv_destroy_cq(scq);
	ibv_destroy_cq(rcq);
	printf("PASS: SRQ limit: one IBV_EVENT_SRQ_LIMIT_REACHED per arming, disarmed after it\n");
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
	srq = ibv_create_srq(pd, &a);
	if (srq)
		die("ibv_create_srq(%s: max_wr %u, max_sge %u) succeeded, expected EINVAL",
		    what, max_wr, max_sge);
	if (errno != EINVAL)
		die("ibv_create_srq(%s): %s, expected EINVAL", what,
		    strerror(errno));
	printf("ok: ibv_create_srq(%s) is EINVAL\n", what);
}

static void run_bad(void)
{
	const struct ibv_device_attr *da = &dev_attr.orig_attr;
	struct ibv_recv_wr wr[40], *bad;
	struct ibv_sge sge[40];
	struct ibv_srq *srq;
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	uint8_t *buf;
	struct ibv_mr *mr;
	unsigned int i, room;
	int ret;

	if (!da->max_srq || !da->max_srq_wr || !da->max_srq_sge)
		die("device attributes: max_srq %d max_srq_wr %d max_srq_sge %d, expected all > 0",
		    da->max_srq, da->max_srq_wr, da->max_srq_sge);
	printf("ok: max_srq %d, max_srq_wr %d, max_srq_sge %d\n", da->max_srq,
	       da->max_srq_wr, da->max_srq_sge);
	expect_create_srq_fails(da->max_srq_wr + 1, 1, "max_wr beyond max_srq_wr");
	expect_create_srq_fails(16, da->max_srq_sge + 1, "max_sge beyond max_srq_sge");
	expect_create_srq_fails(0, 1, "max_wr 0");

	srq = make_srq(da->max_srq_wr, da->max_srq_sge);
	ibv_destroy_srq(srq);
	printf("ok: an SRQ of max_srq_wr WQEs of max_srq_sge SGEs\n");

	buf = xalloc(4096);
	mr = make_mr(buf, 4096, 0);
	srq = make_srq(20, 2);
	{
		struct ibv_srq_attr a;

		if (ibv_query_srq(srq, &a))
			die("ibv_query_srq failed");
		room = a.max_wr;
	}
	if (room > 38)
		die("an SRQ of 20 WQEs got max_wr %u", room);
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
	if (ret != ENOMEM || bad != &wr[room])
		die("posting %u WRs to an SRQ of max_wr %u: %s with bad_wr #%ld, expected ENOMEM at #%u",
		    room + 2, room, ret ? strerror(ret) : "success",
		    bad ? (long)(bad - wr) : -1L, room);
	printf("ok: posting %u WRs to an SRQ of %u: ENOMEM at WR #%u\n",
	       room + 2, room, room);
	/* Still full: the next one alone fails too. */
	wr[room].next = NULL;
	ret = ibv_post_srq_recv(srq, &wr[room], &bad);
	if (ret != ENOMEM || bad != &wr[room])
		die("posting to a full SRQ: %s, expected ENOMEM",
		    ret ? strerror(ret) : "success");
	ibv_destroy_srq(srq);

	/* Too many SGEs: EINVAL at that WR, the ones before it posted. */
	srq = make_srq(16, 2);
	for (i = 0; i < 3; i++)
		wr[i].next = i < 2 ? &wr[i + 1] : NULL;
	wr[1].num_sge = 3;
	{
		struct ibv_srq_attr a;

		if (ibv_query_srq(srq, &a))
			die("ibv_query_srq failed");
		wr[1].num_sge = a.max_sge + 1;
		sge[1].length = 1;
	}
	ret = ibv_post_srq_recv(srq, &wr[0], &bad);
	if (ret != EINVAL || bad != &wr[1])
		die("a WR with too many SGEs: %s with bad_wr #%ld, expected EINVAL at #1",
		    ret ? strerror(ret) : "success",
		    bad ? (long)(bad - wr) : -1L);
	printf("ok: a WR with more SGEs than max_sge: EINVAL at that WR\n");
	wr[1].num_sge = 1;

	/* An SRQ in use by a QP cannot be destroyed. */
	cq = make_cq(4);
	qp = make_qp(cq, cq, srq, 1, 0);
	ret = ibv_destroy_srq(srq);
	if (ret != EBUSY)
		die("ibv_destroy_srq with a QP on it: %s, expected EBUSY",
		    ret ? strerror(ret) : "success");
	printf("ok: an SRQ in use is not destroyed (EBUSY)\n");
	/* A QP on an SRQ has no receive queue of its own. */
	wr[0].next = NULL;
	ret = ibv_post_recv(qp, &wr[0], &bad);
	if (!ret)
		die("ibv_post_recv on a QP on an SRQ succeeded");
	printf("ok: ibv_post_recv on a QP on an SRQ: %s\n", strerror(ret));
	ibv_destroy_qp(qp);
	if (ibv_destroy_srq(srq))
		die("ibv_destroy_srq after its QP is gone failed");
	ibv_destroy_cq(cq);
	ibv_dereg_mr(mr);
	expect_no_event(QUIET_MS, "bad parameters");
	printf("PASS: bad SRQ parameters refused cleanly\n");
}

/* ------------------------------------------------------------------
 * events
 */

static void ev_cq_overrun(void)
{
	struct ibv_cq *scq = make_cq(1), *rcq = make_cq(16);
	struct ibv_qp *r = make_qp(scq, scq, NULL, 4, 1);
	struct ibv_qp *s = make_qp(rcq, rcq, NULL, 1, 4);
	uint8_t *buf = xalloc(4096);
	struct ibv_mr *mr = make_mr(buf, 4096, 0);
	struct seen_event want[2];
	unsigned int k;

	if (scq->cqe != 1)
		printf("note: a CQ of 1 entry has %d\n", scq->cqe);
	pair(r, s);
	/* One completion fits, the next one overruns. */
	for (k = 0; k < (unsigned int)scq->cqe + 2 && k < 4; k++)
		post_send(r, k, IBV_WR_RDMA_WRITE, buf, 8, mr->lkey,
			  (uintptr_t)buf + 2048, mr->rkey, 0);
	want[0] = (struct seen_event){ IBV_EVENT_CQ_ERR, scq };
	want[1] = (struct seen_event){ IBV_EVENT_QP_FATAL, r };
	expect_events(want, 2, "cq_overrun");
	if (qp_state(r) != IBV_QPS_ERR)
		die("cq_overrun: the requester QP is in state %d, not ERR",
		    qp_state(r));
	ibv_destroy_qp(r);
	ibv_destroy_qp(s);
	ibv_dereg_mr(mr);
	ibv_destroy_cq(scq);
	ibv_destroy_cq(rcq);
	printf("PASS: cq_overrun: IBV_EVENT_CQ_ERR for the CQ, IBV_EVENT_QP_FATAL for its QP\n");
}

/* A request the responder refuses: @op to @raddr with @rkey. */
static void ev_responder_error(const char *name, enum ibv_wr_opcode op,
			       int raddr_off, bool bad_rkey,
			       enum ibv_wc_status req_status,
			       enum ibv_event_type resp_event)
{
	struct ibv_cq *scq = make_cq(16), *rcq = make_cq(16);
	struct ibv_qp *r = make_qp(scq, scq, NULL, 4, 1);
	struct ibv_qp *s = make_qp(rcq, rcq, NULL, 1, 4);
	uint8_t *buf = xalloc(4096);
	struct ibv_mr *mr = make_mr(buf, 4096, 0);
	struct seen_event want;
	struct ibv_wc wc;

	pair(r, s);
	post_send(r, 7, op, buf, 8, mr->lkey, (uintptr_t)buf + 2048 + raddr_off,
		  bad_rkey ? mr->rkey ^ 0x5a00 : mr->rkey, 0);
	poll_one(scq, &wc, name);
	expect_wc(&wc, 7, req_status, r->qp_num, name);
	want = (struct seen_event){ resp_event, s };
	expect_events(&want, 1, name);
	if (qp_state(s) != IBV_QPS_ERR)
		die("%s: the responder QP is in state %d, not ERR", name,
		    qp_state(s));
	ibv_destroy_qp(r);
	ibv_destroy_qp(s);
	ibv_dereg_mr(mr);
	ibv_destroy_cq(scq);
	ibv_destroy_cq(rcq);
	printf("PASS: %s: %s on the responder QP, once\n", name,
	       ev_name(resp_event));
}

/*
 * Two QPs on one SRQ of 8 WQEs; QP 0 leaves (to ERR by modify_qp, or by a
 * SEND too long for the WQE it took); QP 1 then receives into every WQE
 * left: none was flushed.
 */
static void ev_srq_leave(bool too_long)
{
	const char *name = too_long ? "too_long" : "last_wqe";
	struct ibv_cq *scq = make_cq(32), *rcq = make_cq(32);
	struct ibv_srq *srq = make_srq(8, 1);
	struct ibv_qp *r[2], *s[2];
	uint8_t *buf = xalloc(65536);
	struct ibv_mr *mr = make_mr(buf, 65536, 0);
	bool used[8] = { false };
	struct seen_event want;
	struct ibv_wc wc;
	unsigned int k, left = 8;
	uint64_t w;

	for (k = 0; k < 2; k++) {
		r[k] = make_qp(scq, scq, NULL, 8, 1);
		s[k] = make_qp(scq, rcq, srq, 1, 0);
		pair(r[k], s[k]);
	}
	for (k = 0; k < 8; k++)
		post_srq(srq, k, buf + 4096 + k * 256, 256, mr->lkey);

	if (too_long) {
		/* The WQE QP 0 took completes with the error, on QP 0. */
		post_send(r[0], 99, IBV_WR_SEND, buf, 1000, mr->lkey, 0, 0, 0);
		poll_one(scq, &wc, "too long SEND");
		expect_wc(&wc, 99, IBV_WC_REM_INV_REQ_ERR, r[0]->qp_num,
			  "too long SEND's completion");
		poll_one(rcq, &wc, "receive of the too long SEND");
		if (wc.status != IBV_WC_LOC_LEN_ERR || wc.qp_num != s[0]->qp_num ||
		    wc.wr_id >= 8)
			die("too long SEND: receive completion wr_id %" PRIu64 " status %s QP %#x, expected an SRQ WQE with IBV_WC_LOC_LEN_ERR on QP %#x",
			    wc.wr_id, ibv_wc_status_str(wc.status), wc.qp_num,
			    s[0]->qp_num);
		used[wc.wr_id] = true;
		left--;
	} else {
		struct ibv_qp_attr a = { .qp_state = IBV_QPS_ERR };

		w = send_recv_one(r[0], scq, rcq, s[0], buf, mr->lkey, 50);
		if (w >= 8)
			die("last_wqe: wr_id %" PRIu64 " is no SRQ WQE", w);
		used[w] = true;
		left--;
		modify(s[0], &a, IBV_QP_STATE, "ERR");
	}
	want = (struct seen_event){ IBV_EVENT_QP_LAST_WQE_REACHED, s[0] };
	expect_events(&want, 1, name);
	expect_cq_quiet(rcq, QUIET_MS, "the SRQ's WQEs after one QP left");

	for (k = 0; k < left; k++) {
		w = send_recv_one(r[1], scq, rcq, s[1], buf, mr->lkey, 60 + k);
		if (w >= 8 || used[w])
			die("%s: QP 1 received into wr_id %" PRIu64 ", not an unused SRQ WQE",
			    name, w);
		used[w] = true;
	}
	printf("ok: %s: the other QP received into all %u WQEs left\n", name,
	       left);
	expect_no_event(QUIET_MS, name);
	qp_pairs_free(2, r, s, srq, scq, rcq);
	ibv_dereg_mr(mr);
	printf("PASS: %s: one IBV_EVENT_QP_LAST_WQE_REACHED, the SRQ's WQEs kept\n",
	       name);
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
	struct ibv_cq *scq = make_cq(32), *rcq = make_cq(32);
	struct ibv_srq *srq = make_srq(2, 1);
	struct ibv_qp *r[2], *s[2];
	uint8_t *buf = xalloc(3 * (size_t)big);
	struct ibv_mr *mr = make_mr(buf, 3 * (size_t)big, 0);
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };
	struct ibv_wc wc;
	unsigned int k, left = 2;

	for (k = 0; k < 2; k++) {
		r[k] = make_qp(scq, scq, NULL, 4, 1);
		s[k] = make_qp(scq, rcq, srq, 1, 0);
		pair(r[k], s[k]);
	}
	for (k = 0; k < 2; k++)
		post_srq(srq, k, buf + (size_t)(k + 1) * big, big, mr->lkey);
	post_send(r[0], 1, IBV_WR_SEND, buf, big, mr->lkey, 0, 0, 0);
	usleep(30000);
	modify(s[0], &a, IBV_QP_STATE, "RESET");
	/* What QP 0 completed before the reset is no longer the SRQ's. */
	while (ibv_poll_cq(rcq, 1, &wc) > 0) {
		if (wc.qp_num != s[0]->qp_num)
			die("reset: completion on QP %#x", wc.qp_num);
		printf("  QP 0 completed wr_id %" PRIu64 " (%s) before its reset\n",
		       wc.wr_id, ibv_wc_status_str(wc.status));
		left--;
	}
	printf("  %u WQE(s) left for QP 1%s\n", left,
	       left == 2 ? " (QP 0's was given back, or not yet taken)" : "");
	for (k = 0; k < left; k++) {
		post_send(r[1], 10 + k, IBV_WR_SEND, buf, 64, mr->lkey, 0, 0, 0);
		poll_one(rcq, &wc, "QP 1's receive after QP 0's reset");
		if (wc.status != IBV_WC_SUCCESS || wc.qp_num != s[1]->qp_num ||
		    wc.byte_len != 64 || wc.wr_id >= 2)
			die("reset: QP 1 receive %u: status %s QP %#x byte_len %u wr_id %" PRIu64,
			    k, ibv_wc_status_str(wc.status), wc.qp_num,
			    wc.byte_len, wc.wr_id);
	}
	expect_cq_quiet(rcq, QUIET_MS, "after the WQEs left were used");
	expect_no_event(QUIET_MS, "reset");
	qp_pairs_free(2, r, s, srq, scq, rcq);
	ibv_dereg_mr(mr);
	printf("PASS: reset: no WQE of the SRQ lost by a QP reset mid-message\n");
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
		printf("== %s\n", argv[i]);
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
		PROG);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "odp", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "+d:g:t:q:n:s:r:w:", lo, NULL)) != -1) {
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
	if (!dev_attr.orig_attr.max_srq && strcmp(mode, "events"))
		unsupported("the device has no SRQs (max_srq 0)");

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
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	return 0;
}
