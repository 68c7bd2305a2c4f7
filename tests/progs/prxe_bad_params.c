// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_bad_params: bad parameters from an application get a clean errno,
 * and hostile contents of a send ring get an error completion, never an
 * oops.
 *
 * Usage: prxe_bad_params DEVICE GID_INDEX [FSDAX_DIR]
 *
 * GID_INDEX is the index of DEVICE's RoCEv2 GID on port 1; the QPs that
 * need a peer are connected to themselves through it (loopback, path MTU
 * 1024).  The limits come from ibv_query_device().  Checks:
 *
 *  1. ibv_create_cq with 0, -1 and max_cqe + 1 entries; max_cqe works.
 *  2. ibv_create_qp (RC) beyond max_qp_wr, max_sge, the inline limit;
 *     a send-only and a receive-only QP (0 work requests) work.
 *  3. ibv_reg_mr of NULL, of 0 bytes, REMOTE_WRITE without LOCAL_WRITE,
 *     beyond max_mr_size, of an unmapped range; 64 KiB works.
 *  4. ibv_modify_qp through RESET, INIT, RTR and RTS with each attribute
 *     out of range, and a transition the state machine does not have.
 *  5. ibv_post_send in RESET, with too many SGEs, too much inline data, an
 *     unknown opcode, a bad request after a good one in a chain, and on a
 *     full send queue.
 *  6. ibv_post_recv with too many SGEs and on a full receive queue.
 *  7. Destroying a CQ a QP uses and a PD an MR uses: EBUSY.
 *  8. White box: a hostile struct prxe_send_wqe written straight into the
 *     send ring (unknown opcode, too many SGEs, too much inline data, a
 *     bad lkey, an SGE beyond its MR, an SGE whose address wraps), followed
 *     by a valid SEND through ibv_post_send: the hostile request completes
 *     in error and the valid one is flushed.
 *  9. ODP regions (IBV_ACCESS_ON_DEMAND): registrations whose end or iova
 *     wraps; RDMA WRITE / READ beyond the region or wrapping past 2^64, a
 *     local SGE that wraps; an ODP region over an unmapped range, where
 *     WRITE and READ fail with IBV_WC_REM_ACCESS_ERR.
 * 10. ODP regions whose mapping changes: anonymous memory made read-only
 *     (WRITE fails, READ works, nothing written), writable again,
 *     unmapped (both fail), mapped again at the same place (the region
 *     follows); with FSDAX_DIR, a file there: WRITEs read back with
 *     pread(), truncated (beyond the end fails, before it works), a hole
 *     punched and written again.
 * 11. UD QPs and address handles: an AH for a GID index the port does not
 *     have (EINVAL); SENDs longer than the MTU (IBV_WC_LOC_LEN_ERR), through
 *     an AH of another PD, and, white box, naming an AH number that does
 *     not exist or an RDMA WRITE: each completes in error, the QP goes to
 *     the error state and the SEND behind it is flushed; a UD QP sends
 *     to itself and receives its datagram behind a GRH.
 *
 * Prints "ok: ..." per check, or "FAIL: WHAT: expected X, seen Y"; at the
 * end the number of checks and failures.  Exits 0 if all passed, 1 if any
 * failed, 2 on a usage error or when the device cannot be set up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>

#include <infiniband/verbs.h>
#include <rdma/prxe-abi.h>

#include "prxe.h"
#include "ring.h"

#define PROG			"prxe_bad_params"
#define IB_PORT			1
#define CQ_DEPTH		64
#define QP_WR			16
#define BUF_SIZE		(64 * 1024)
#define COMPLETION_MS		5000

/* Where the data path checks keep their bytes in the buffer. */
#define SEND_OFF		0
#define RECV_OFF		4096

#define WR_ID_VALID		0x7a11dull
#define WR_ID_HOSTILE		0x4057000ull

/* What every check uses: the device, a PD and a registered buffer. */
struct env {
	struct ibv_context *ctx;
	struct ibv_device_attr attr;
	struct ibv_pd *pd;
	int gid_index;
	union ibv_gid gid;
	uint8_t *buf;
	struct ibv_mr *mr;
};

static unsigned int n_checks, n_failed;

/* ------------------------------------------------------------------------
 * Reporting
 */

static const char *err_name(int err)
{
	static char other[32];

	switch (err) {
	case 0: return "success";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOSYS: return "ENOSYS";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case EOVERFLOW: return "EOVERFLOW";
	case EIO: return "EIO";
	case ENODEV: return "ENODEV";
	case EAGAIN: return "EAGAIN";
	default:
		snprintf(other, sizeof(other), "errno %d", err);
		return other;
	}
}

__attribute__((format(printf, 4, 0)))
static void vreport(bool pass, const char *expected, const char *seen,
		    const char *fmt, va_list ap)
{
	n_checks++;
	if (!pass)
		n_failed++;
	fputs(pass ? "ok: " : "FAIL: ", stdout);
	vprintf(fmt, ap);
	if (pass)
		printf(": %s\n", seen);
	else
		printf(": expected %s, seen %s\n", expected, seen);
}

/* One check: passed or not, with what was expected and seen. */
__attribute__((format(printf, 4, 5)))
static bool report(bool pass, const char *expected, const char *seen,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(pass, expected, seen, fmt, ap);
	va_end(ap);
	return pass;
}

/* A call must end with errno @expected (0: succeed); it ended with @seen. */
__attribute__((format(printf, 3, 4)))
static bool expect_err(int expected, int seen, const char *fmt, ...)
{
	char exp_name[32];
	va_list ap;

	snprintf(exp_name, sizeof(exp_name), "%s", err_name(expected));
	va_start(ap, fmt);
	vreport(seen == expected, exp_name, err_name(seen), fmt, ap);
	va_end(ap);
	return seen == expected;
}

/*
 * A post must end with @expected and, on an error, point *bad_wr at the
 * work request @want_bad.
 */
__attribute__((format(printf, 5, 6)))
static bool expect_post(int expected, int seen, const void *bad,
			const void *want_bad, const char *fmt, ...)
{
	char exp_name[64], seen_name[64];
	bool pass;
	va_list ap;

	snprintf(exp_name, sizeof(exp_name), "%s", err_name(expected));
	snprintf(seen_name, sizeof(seen_name), "%s", err_name(seen));
	pass = seen == expected;
	if (pass && expected && bad != want_bad) {
		pass = false;
		snprintf(exp_name, sizeof(exp_name), "%s, bad_wr %p",
			 err_name(expected), want_bad);
		snprintf(seen_name, sizeof(seen_name), "%s, bad_wr %p",
			 err_name(seen), bad);
	}
	va_start(ap, fmt);
	vreport(pass, exp_name, seen_name, fmt, ap);
	va_end(ap);
	return pass;
}

/* ------------------------------------------------------------------------
 * Objects
 */

static struct ibv_cq *cq_new(struct env *e, const char *what)
{
	struct ibv_cq *cq = ibv_create_cq(e->ctx, CQ_DEPTH, NULL, NULL, 0);

	if (!cq)
		expect_err(0, errno, "%s: ibv_create_cq(%d)", what, CQ_DEPTH);
	return cq;
}

static void cq_free(struct ibv_cq *cq)
{
	if (cq)
		ibv_destroy_cq(cq);
}

static void qp_init_attr(struct ibv_qp_init_attr *init, struct ibv_cq *scq,
			 struct ibv_cq *rcq)
{
	memset(init, 0, sizeof(*init));
	init->send_cq = scq;
	init->recv_cq = rcq;
	init->qp_type = IBV_QPT_RC;
	init->cap.max_send_wr = QP_WR;
	init->cap.max_recv_wr = QP_WR;
	init->cap.max_send_sge = 1;
	init->cap.max_recv_sge = 1;
	init->cap.max_inline_data = 0;
}

/* An RC QP with @init; reports a failure as a failed check. */
static struct ibv_qp *qp_new(struct env *e, struct ibv_qp_init_attr *init,
			     const char *what)
{
	struct ibv_qp *qp = ibv_create_qp(e->pd, init);

	if (!qp)
		expect_err(0, errno, "%s: ibv_create_qp", what);
	return qp;
}

static void qp_free(struct ibv_qp *qp)
{
	if (qp)
		ibv_destroy_qp(qp);
}

static int init_attr(struct ibv_qp_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->qp_state = IBV_QPS_INIT;
	a->pkey_index = 0;
	a->port_num = IB_PORT;
	a->qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
	return IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
	       IBV_QP_ACCESS_FLAGS;
}

/* RTR towards QP @dest_qpn on our own GID. */
static int rtr_attr(const struct env *e, struct ibv_qp_attr *a,
		    uint32_t dest_qpn)
{
	memset(a, 0, sizeof(*a));
	a->qp_state = IBV_QPS_RTR;
	a->path_mtu = IBV_MTU_1024;
	a->dest_qp_num = dest_qpn;
	a->rq_psn = 0;
	a->max_dest_rd_atomic = 1;
	a->min_rnr_timer = 12;
	a->ah_attr.is_global = 1;
	a->ah_attr.grh.dgid = e->gid;
	a->ah_attr.grh.sgid_index = e->gid_index;
	a->ah_attr.grh.hop_limit = 64;
	a->ah_attr.port_num = IB_PORT;
	return IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
	       IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
}

/* RTS; @timeout 0 waits for acknowledgements forever. */
static int rts_attr(struct ibv_qp_attr *a, uint8_t timeout)
{
	memset(a, 0, sizeof(*a));
	a->qp_state = IBV_QPS_RTS;
	a->sq_psn = 0;
	a->timeout = timeout;
	a->retry_cnt = 7;
	a->rnr_retry = 7;
	a->max_rd_atomic = 1;
	return IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
	       IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC;
}

/*
 * RESET -> INIT -> RTR -> RTS, connected to @dest_qpn on our own GID;
 * reports a failure as a failed check.
 */
static int qp_connect(struct env *e, struct ibv_qp *qp, uint32_t dest_qpn,
		      uint8_t timeout, const char *what)
{
	struct ibv_qp_attr a;
	int ret;

	ret = ibv_modify_qp(qp, &a, init_attr(&a));
	if (ret) {
		expect_err(0, ret, "%s: modify_qp to INIT", what);
		return ret;
	}
	ret = ibv_modify_qp(qp, &a, rtr_attr(e, &a, dest_qpn));
	if (ret) {
		expect_err(0, ret, "%s: modify_qp to RTR (dest QPN 0x%x)", what,
			   dest_qpn);
		return ret;
	}
	ret = ibv_modify_qp(qp, &a, rts_attr(&a, timeout));
	if (ret)
		expect_err(0, ret, "%s: modify_qp to RTS", what);
	return ret;
}

/* A self-connected RTS QP on its own send and receive CQs. */
struct loop {
	struct ibv_cq *scq;
	struct ibv_cq *rcq;
	struct ibv_qp *qp;
	struct ibv_qp_cap cap;		/* as granted */
};

static void loop_free(struct loop *l)
{
	qp_free(l->qp);
	cq_free(l->scq);
	cq_free(l->rcq);
	memset(l, 0, sizeof(*l));
}

/* A QP on its own CQs, in RESET. */
static int loop_create(struct env *e, struct loop *l, uint32_t max_inline,
		       const char *what)
{
	struct ibv_qp_init_attr init;

	memset(l, 0, sizeof(*l));
	l->scq = cq_new(e, what);
	l->rcq = cq_new(e, what);
	if (!l->scq || !l->rcq)
		goto err;
	qp_init_attr(&init, l->scq, l->rcq);
	init.cap.max_inline_data = max_inline;
	l->qp = qp_new(e, &init, what);
	if (!l->qp)
		goto err;
	l->cap = init.cap;
	return 0;
err:
	loop_free(l);
	return -1;
}

static int loop_new(struct env *e, struct loop *l, uint32_t max_inline,
		    const char *what)
{
	if (loop_create(e, l, max_inline, what))
		return -1;
	if (qp_connect(e, l->qp, l->qp->qp_num, 14, what)) {
		loop_free(l);
		return -1;
	}
	return 0;
}

/*
 * Two QPs connected to each other: for errors the responder reports,
 * which put the responder's QP (a self-connected QP would be both) in
 * the error state.
 */
static int loop_pair_new(struct env *e, struct loop *a, struct loop *b,
			 const char *what)
{
	if (loop_create(e, a, 0, what))
		return -1;
	if (loop_create(e, b, 0, what)) {
		loop_free(a);
		return -1;
	}
	if (qp_connect(e, a->qp, b->qp->qp_num, 14, what) ||
	    qp_connect(e, b->qp, a->qp->qp_num, 14, what)) {
		loop_free(a);
		loop_free(b);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Work requests and completions
 */

static void sge_at(const struct env *e, struct ibv_sge *sge, size_t off,
		   uint32_t len)
{
	sge->addr = (uintptr_t)e->buf + off;
	sge->length = len;
	sge->lkey = e->mr->lkey;
}

static void send_wr(struct ibv_send_wr *wr, struct ibv_sge *sge, int nsge,
		    uint64_t wr_id)
{
	memset(wr, 0, sizeof(*wr));
	wr->wr_id = wr_id;
	wr->sg_list = sge;
	wr->num_sge = nsge;
	wr->opcode = IBV_WR_SEND;
	wr->send_flags = IBV_SEND_SIGNALED;
}

/* One receive of 64 bytes; 0 or the errno of ibv_post_recv. */
static int post_one_recv(struct env *e, struct ibv_qp *qp, uint64_t wr_id)
{
	struct ibv_recv_wr wr, *bad = NULL;
	struct ibv_sge sge;

	sge_at(e, &sge, RECV_OFF, 64);
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = wr_id;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	return ibv_post_recv(qp, &wr, &bad);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Busy-poll one completion: 1 got one, 0 none within @ms, -1 poll error. */
static int poll_one(struct ibv_cq *cq, struct ibv_wc *wc, unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	int n;

	do {
		n = ibv_poll_cq(cq, 1, wc);
		if (n)
			return n < 0 ? -1 : 1;
	} while (now_ms() < end);
	return 0;
}

/*
 * The next completion on @cq must be @wr_id's, with @status (or, if
 * @any_error, any status but success).
 */
static bool expect_wc(struct ibv_cq *cq, uint64_t wr_id,
		      enum ibv_wc_status status, bool any_error,
		      const char *what)
{
	char exp[96], seen[128];
	struct ibv_wc wc;
	int n;

	snprintf(exp, sizeof(exp), "wr_id 0x%" PRIx64 " %s", wr_id,
		 any_error ? "with an error status" : ibv_wc_status_str(status));
	n = poll_one(cq, &wc, COMPLETION_MS);
	if (n <= 0)
		return report(false, exp, n ? "ibv_poll_cq error" :
			      "no completion within 5 s", "%s", what);
	snprintf(seen, sizeof(seen), "wr_id 0x%" PRIx64 " %s (%d, vendor_err 0x%x)",
		 wc.wr_id, ibv_wc_status_str(wc.status), wc.status,
		 wc.vendor_err);
	return report(wc.wr_id == wr_id &&
		      (any_error ? wc.status != IBV_WC_SUCCESS :
				   wc.status == status),
		      exp, seen, "%s", what);
}

/* ------------------------------------------------------------------------
 * 1. Completion queues
 */

static void check_cq(struct env *e)
{
	const int bad[] = { 0, -1, e->attr.max_cqe + 1 };
	struct ibv_cq *cq;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cq = ibv_create_cq(e->ctx, bad[i], NULL, NULL, 0);
		expect_err(EINVAL, cq ? 0 : errno, "ibv_create_cq(cqe %d)",
			   bad[i]);
		cq_free(cq);
	}
	cq = ibv_create_cq(e->ctx, e->attr.max_cqe, NULL, NULL, 0);
	expect_err(0, cq ? 0 : errno, "ibv_create_cq(cqe %d = max_cqe)",
		   e->attr.max_cqe);
	cq_free(cq);
}

/* ------------------------------------------------------------------------
 * 2. Queue pair capabilities
 */

enum qp_cap_field {
	CAP_SEND_WR,
	CAP_RECV_WR,
	CAP_SEND_SGE,
	CAP_RECV_SGE,
	CAP_INLINE,
};

static void check_qp_create(struct env *e)
{
	const struct {
		enum qp_cap_field field;
		uint32_t value;
		const char *what;
	} bad[] = {
		{ CAP_SEND_WR, e->attr.max_qp_wr + 1u, "max_send_wr = max_qp_wr + 1" },
		{ CAP_RECV_WR, UINT32_MAX, "max_recv_wr = UINT32_MAX" },
		{ CAP_SEND_SGE, e->attr.max_sge + 1u, "max_send_sge = max_sge + 1" },
		{ CAP_RECV_SGE, e->attr.max_sge + 1u, "max_recv_sge = max_sge + 1" },
		{ CAP_INLINE, 1u << 20, "max_inline_data = 1 MiB" },
	};
	struct ibv_qp_init_attr init;
	struct ibv_recv_wr rwr, *bad_rwr;
	struct ibv_qp_attr a;
	struct ibv_sge sge;
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	unsigned int i;
	int ret;

	cq = cq_new(e, "QP creation");
	if (!cq)
		return;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		qp_init_attr(&init, cq, cq);
		switch (bad[i].field) {
		case CAP_SEND_WR:
			init.cap.max_send_wr = bad[i].value;
			break;
		case CAP_RECV_WR:
			init.cap.max_recv_wr = bad[i].value;
			break;
		case CAP_SEND_SGE:
			init.cap.max_send_sge = bad[i].value;
			break;
		case CAP_RECV_SGE:
			init.cap.max_recv_sge = bad[i].value;
			break;
		case CAP_INLINE:
			init.cap.max_inline_data = bad[i].value;
			break;
		}
		qp = ibv_create_qp(e->pd, &init);
		expect_err(EINVAL, qp ? 0 : errno, "ibv_create_qp(RC, %s = %u)",
			   bad[i].what, bad[i].value);
		qp_free(qp);
	}

	/* Send-only: no receive can be posted, in any state but RESET too. */
	qp_init_attr(&init, cq, cq);
	init.cap.max_recv_wr = 0;
	qp = ibv_create_qp(e->pd, &init);
	if (expect_err(0, qp ? 0 : errno,
		       "ibv_create_qp(RC, max_recv_wr = 0: send-only)")) {
		printf("     granted max_send_wr %u max_recv_wr %u\n",
		       init.cap.max_send_wr, init.cap.max_recv_wr);
		ret = ibv_modify_qp(qp, &a, init_attr(&a));
		if (expect_err(0, ret, "send-only QP: modify_qp to INIT")) {
			sge_at(e, &sge, RECV_OFF, 64);
			memset(&rwr, 0, sizeof(rwr));
			rwr.wr_id = 1;
			rwr.sg_list = &sge;
			rwr.num_sge = 1;
			bad_rwr = NULL;
			ret = ibv_post_recv(qp, &rwr, &bad_rwr);
			report((ret == ENOMEM || ret == EINVAL) &&
			       bad_rwr == &rwr, "ENOMEM or EINVAL, bad_wr set",
			       err_name(ret),
			       "ibv_post_recv on a send-only QP (INIT)");
		}
	}
	qp_free(qp);

	/* Receive-only. */
	qp_init_attr(&init, cq, cq);
	init.cap.max_send_wr = 0;
	qp = ibv_create_qp(e->pd, &init);
	if (qp) {
		struct ibv_qp_init_attr qinit;
		struct ibv_qp_attr qattr;
		char seen[64];

		if (expect_err(0, ibv_query_qp(qp, &qattr, IBV_QP_CAP, &qinit),
			       "ibv_query_qp of a receive-only QP")) {
			snprintf(seen, sizeof(seen), "max_send_wr %u",
				 qattr.cap.max_send_wr);
			report(qattr.cap.max_send_wr == 0, "max_send_wr 0",
			       seen, "ibv_query_qp of a receive-only QP");
		}
	}
	if (expect_err(0, qp ? 0 : errno,
		       "ibv_create_qp(RC, max_send_wr = 0: receive-only)"))
		printf("     granted max_send_wr %u max_recv_wr %u\n",
		       init.cap.max_send_wr, init.cap.max_recv_wr);
	qp_free(qp);

	cq_free(cq);
}

/* ------------------------------------------------------------------------
 * 3. Memory regions
 */

static int reg_err(struct ibv_pd *pd, void *addr, size_t len, int access)
{
	struct ibv_mr *mr = ibv_reg_mr(pd, addr, len, access);

	if (!mr)
		return errno;
	ibv_dereg_mr(mr);
	return 0;
}

static void check_mr(struct env *e)
{
	const int lw = IBV_ACCESS_LOCAL_WRITE;
	uint64_t too_long = e->attr.max_mr_size + 1;
	void *gone, *buf;

	expect_err(EFAULT, reg_err(e->pd, NULL, 4096, lw),
		   "ibv_reg_mr(NULL, 4096, LOCAL_WRITE)");
	expect_err(EINVAL, reg_err(e->pd, e->buf, 0, lw),
		   "ibv_reg_mr(buffer, 0 bytes)");
	expect_err(EINVAL, reg_err(e->pd, e->buf, 4096, IBV_ACCESS_REMOTE_WRITE),
		   "ibv_reg_mr(REMOTE_WRITE without LOCAL_WRITE)");
	expect_err(EINVAL, reg_err(e->pd, e->buf, too_long, lw),
		   "ibv_reg_mr(buffer, max_mr_size + 1 = %" PRIu64 " bytes)",
		   too_long);

	gone = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (gone == MAP_FAILED) {
		expect_err(0, errno, "mmap of %d bytes", BUF_SIZE);
	} else {
		munmap(gone, BUF_SIZE);
		expect_err(EFAULT, reg_err(e->pd, gone, BUF_SIZE, lw),
			   "ibv_reg_mr(an unmapped range of %d bytes)",
			   BUF_SIZE);
	}

	if (posix_memalign(&buf, 4096, BUF_SIZE)) {
		expect_err(0, ENOMEM, "allocating %d bytes", BUF_SIZE);
		return;
	}
	memset(buf, 0, BUF_SIZE);
	expect_err(0, reg_err(e->pd, buf, BUF_SIZE, lw),
		   "ibv_reg_mr(a %d KiB buffer)", BUF_SIZE / 1024);
	free(buf);
}

/* ------------------------------------------------------------------------
 * 4. The QP state machine and its attributes
 */

enum attr_field {
	F_PORT,
	F_PATH_MTU,
	F_DEST_QPN,
	F_MAX_DEST_RD_ATOMIC,
	F_MIN_RNR_TIMER,
	F_TIMEOUT,
	F_RETRY_CNT,
	F_RNR_RETRY,
	F_MAX_RD_ATOMIC,
};

static void set_field(struct ibv_qp_attr *a, enum attr_field f, uint32_t v)
{
	switch (f) {
	case F_PORT:
		a->port_num = v;
		break;
	case F_PATH_MTU:
		a->path_mtu = v;
		break;
	case F_DEST_QPN:
		a->dest_qp_num = v;
		break;
	case F_MAX_DEST_RD_ATOMIC:
		a->max_dest_rd_atomic = v;
		break;
	case F_MIN_RNR_TIMER:
		a->min_rnr_timer = v;
		break;
	case F_TIMEOUT:
		a->timeout = v;
		break;
	case F_RETRY_CNT:
		a->retry_cnt = v;
		break;
	case F_RNR_RETRY:
		a->rnr_retry = v;
		break;
	case F_MAX_RD_ATOMIC:
		a->max_rd_atomic = v;
		break;
	}
}

struct bad_attr {
	enum attr_field field;
	uint32_t value;
	const char *name;
};

/* Each of @bad, alone on top of a good @state transition: EINVAL. */
static void bad_transitions(struct env *e, struct ibv_qp *qp,
			    enum ibv_qp_state state, const struct bad_attr *bad,
			    unsigned int n)
{
	static const char *const names[] = {
		[IBV_QPS_INIT] = "INIT", [IBV_QPS_RTR] = "RTR",
		[IBV_QPS_RTS] = "RTS",
	};
	struct ibv_qp_attr a;
	unsigned int i;
	int mask;

	for (i = 0; i < n; i++) {
		if (state == IBV_QPS_INIT)
			mask = init_attr(&a);
		else if (state == IBV_QPS_RTR)
			mask = rtr_attr(e, &a, qp->qp_num);
		else
			mask = rts_attr(&a, 14);
		set_field(&a, bad[i].field, bad[i].value);
		expect_err(EINVAL, ibv_modify_qp(qp, &a, mask),
			   "modify_qp to %s with %s %u", names[state],
			   bad[i].name, bad[i].value);
	}
}

static void check_modify(struct env *e)
{
	static const struct bad_attr init_bad[] = {
		{ F_PORT, 2, "port_num" },
	};
	static const struct bad_attr rtr_bad[] = {
		{ F_PATH_MTU, 7, "path_mtu" },
		{ F_DEST_QPN, 1u << 24, "dest_qp_num" },
		{ F_MAX_DEST_RD_ATOMIC, 255, "max_dest_rd_atomic" },
		{ F_MIN_RNR_TIMER, 32, "min_rnr_timer" },
	};
	static const struct bad_attr rts_bad[] = {
		{ F_TIMEOUT, 32, "timeout" },
		{ F_RETRY_CNT, 8, "retry_cnt" },
		{ F_RNR_RETRY, 8, "rnr_retry" },
		{ F_MAX_RD_ATOMIC, 255, "max_rd_atomic" },
	};
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr a;
	struct ibv_cq *cq;
	struct ibv_qp *qp;

	cq = cq_new(e, "modify_qp");
	if (!cq)
		return;
	qp_init_attr(&init, cq, cq);
	qp = qp_new(e, &init, "modify_qp");
	if (!qp)
		goto out;

	expect_err(EINVAL, ibv_modify_qp(qp, &a, rts_attr(&a, 14)),
		   "modify_qp RESET -> RTS");
	bad_transitions(e, qp, IBV_QPS_INIT, init_bad,
			sizeof(init_bad) / sizeof(init_bad[0]));
	if (!expect_err(0, ibv_modify_qp(qp, &a, init_attr(&a)),
			"modify_qp RESET -> INIT"))
		goto out;
	bad_transitions(e, qp, IBV_QPS_RTR, rtr_bad,
			sizeof(rtr_bad) / sizeof(rtr_bad[0]));
	if (!expect_err(0, ibv_modify_qp(qp, &a, rtr_attr(e, &a, qp->qp_num)),
			"modify_qp INIT -> RTR"))
		goto out;
	bad_transitions(e, qp, IBV_QPS_RTS, rts_bad,
			sizeof(rts_bad) / sizeof(rts_bad[0]));
	expect_err(0, ibv_modify_qp(qp, &a, rts_attr(&a, 14)),
		   "modify_qp RTR -> RTS");
out:
	qp_free(qp);
	cq_free(cq);
}

/* ------------------------------------------------------------------------
 * 5. ibv_post_send
 */

/* Post max_send_wr work requests that never complete, then one more. */
static void check_sq_full(struct env *e)
{
	struct ibv_send_wr wr, *bad;
	struct ibv_qp_init_attr init;
	struct ibv_cq *scq, *rcq;
	struct ibv_qp *qp = NULL;
	struct ibv_sge sge;
	unsigned int i;
	int ret = 0;

	scq = cq_new(e, "full send queue");
	rcq = cq_new(e, "full send queue");
	if (!scq || !rcq)
		goto out;
	qp_init_attr(&init, scq, rcq);
	qp = qp_new(e, &init, "full send queue");
	/* No such QP: nothing is acknowledged, and timeout 0 never gives up. */
	if (!qp || qp_connect(e, qp, 0xabcde, 0, "full send queue"))
		goto out;

	sge_at(e, &sge, SEND_OFF, 1);
	memset(&wr, 0, sizeof(wr));
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_RDMA_WRITE;
	wr.wr.rdma.remote_addr = (uintptr_t)e->buf + RECV_OFF;
	wr.wr.rdma.rkey = e->mr->rkey;
	for (i = 0; i < init.cap.max_send_wr; i++) {
		wr.wr_id = i;
		bad = NULL;
		ret = ibv_post_send(qp, &wr, &bad);
		if (ret)
			break;
	}
	report(!ret, "success", err_name(ret),
	       "post_send of max_send_wr = %u unsignaled RDMA WRITEs to a "
	       "QP that never answers (stopped at %u)",
	       init.cap.max_send_wr, i);
	if (ret)
		goto out;
	bad = NULL;
	wr.wr_id = i;
	ret = ibv_post_send(qp, &wr, &bad);
	expect_post(ENOMEM, ret, bad, &wr,
		    "post_send of one more on the full send queue");
out:
	qp_free(qp);
	cq_free(scq);
	cq_free(rcq);
}

static void check_post_send(struct env *e)
{
	struct ibv_send_wr wr, wr2, *bad;
	struct ibv_qp_init_attr init;
	struct ibv_sge *sges, sge;
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	struct loop l;
	unsigned int i, n;
	int ret;

	/* In RESET. */
	cq = cq_new(e, "post_send in RESET");
	if (cq) {
		qp_init_attr(&init, cq, cq);
		qp = qp_new(e, &init, "post_send in RESET");
		if (qp) {
			sge_at(e, &sge, SEND_OFF, 1);
			send_wr(&wr, &sge, 1, WR_ID_VALID);
			bad = NULL;
			ret = ibv_post_send(qp, &wr, &bad);
			expect_post(EINVAL, ret, bad, &wr,
				    "post_send on a QP in RESET");
		}
		qp_free(qp);
		cq_free(cq);
	}

	if (loop_new(e, &l, 64, "post_send on RTS"))
		goto full;
	printf("     RTS QP granted max_send_wr %u max_send_sge %u max_inline_data %u\n",
	       l.cap.max_send_wr, l.cap.max_send_sge, l.cap.max_inline_data);

	/* More SGEs than the QP has. */
	n = l.cap.max_send_sge + 1;
	sges = calloc(n, sizeof(*sges));
	if (!sges) {
		expect_err(0, ENOMEM, "allocating %u SGEs", n);
		goto done;
	}
	for (i = 0; i < n; i++)
		sge_at(e, &sges[i], SEND_OFF + i, 1);
	send_wr(&wr, sges, n, WR_ID_VALID);
	bad = NULL;
	ret = ibv_post_send(l.qp, &wr, &bad);
	expect_post(EINVAL, ret, bad, &wr,
		    "post_send with num_sge = max_send_sge + 1 = %u", n);
	free(sges);

	/* More inline data than the QP has room for. */
	sge_at(e, &sge, SEND_OFF, l.cap.max_inline_data + 1);
	send_wr(&wr, &sge, 1, WR_ID_VALID);
	wr.send_flags |= IBV_SEND_INLINE;
	bad = NULL;
	ret = ibv_post_send(l.qp, &wr, &bad);
	expect_post(EINVAL, ret, bad, &wr,
		    "post_send IBV_SEND_INLINE of max_inline_data + 1 = %u bytes",
		    l.cap.max_inline_data + 1);

	/* No such opcode. */
	sge_at(e, &sge, SEND_OFF, 1);
	send_wr(&wr, &sge, 1, WR_ID_VALID);
	wr.opcode = (enum ibv_wr_opcode)99;
	bad = NULL;
	ret = ibv_post_send(l.qp, &wr, &bad);
	expect_post(EINVAL, ret, bad, &wr, "post_send with opcode 99");

	/* A chain whose second request is bad: the first goes, and completes. */
	ret = post_one_recv(e, l.qp, 1);
	if (!expect_err(0, ret, "post_recv for the chain's SEND"))
		goto done;
	send_wr(&wr, &sge, 1, WR_ID_VALID);
	send_wr(&wr2, &sge, 1, WR_ID_VALID + 1);
	wr2.opcode = (enum ibv_wr_opcode)99;
	wr.next = &wr2;
	bad = NULL;
	ret = ibv_post_send(l.qp, &wr, &bad);
	expect_post(EINVAL, ret, bad, &wr2,
		    "post_send of a chain whose second request has opcode 99");
	expect_wc(l.scq, WR_ID_VALID, IBV_WC_SUCCESS, false,
		  "the chain's first request completes");
done:
	loop_free(&l);
full:
	check_sq_full(e);
}

/* ------------------------------------------------------------------------
 * 6. ibv_post_recv
 */

static void check_post_recv(struct env *e)
{
	struct ibv_recv_wr wr, *bad;
	struct ibv_qp_init_attr init;
	struct ibv_sge *sges, sge;
	struct ibv_qp_attr a;
	struct ibv_qp *qp = NULL;
	struct ibv_cq *cq;
	unsigned int i, n;
	int ret = 0;

	cq = cq_new(e, "post_recv");
	if (!cq)
		return;
	qp_init_attr(&init, cq, cq);
	qp = qp_new(e, &init, "post_recv");
	if (!qp)
		goto out;
	if (!expect_err(0, ibv_modify_qp(qp, &a, init_attr(&a)),
			"post_recv QP: modify_qp to INIT"))
		goto out;

	n = init.cap.max_recv_sge + 1;
	sges = calloc(n, sizeof(*sges));
	if (!sges) {
		expect_err(0, ENOMEM, "allocating %u SGEs", n);
		goto out;
	}
	for (i = 0; i < n; i++)
		sge_at(e, &sges[i], RECV_OFF + i, 1);
	memset(&wr, 0, sizeof(wr));
	wr.sg_list = sges;
	wr.num_sge = n;
	bad = NULL;
	ret = ibv_post_recv(qp, &wr, &bad);
	expect_post(EINVAL, ret, bad, &wr,
		    "post_recv with num_sge = max_recv_sge + 1 = %u", n);
	free(sges);

	sge_at(e, &sge, RECV_OFF, 64);
	wr.sg_list = &sge;
	wr.num_sge = 1;
	for (i = 0; i < init.cap.max_recv_wr; i++) {
		wr.wr_id = i;
		bad = NULL;
		ret = ibv_post_recv(qp, &wr, &bad);
		if (ret)
			break;
	}
	report(!ret, "success", err_name(ret),
	       "post_recv of max_recv_wr = %u receives (stopped at %u)",
	       init.cap.max_recv_wr, i);
	if (ret)
		goto out;
	bad = NULL;
	ret = ibv_post_recv(qp, &wr, &bad);
	expect_post(ENOMEM, ret, bad, &wr,
		    "post_recv of one more on the full receive queue");
out:
	qp_free(qp);
	cq_free(cq);
}

/* ------------------------------------------------------------------------
 * 7. Objects in use
 */

static void check_in_use(struct env *e)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	int ret;

	cq = cq_new(e, "CQ in use");
	if (cq) {
		qp_init_attr(&init, cq, cq);
		qp = qp_new(e, &init, "CQ in use");
		if (qp) {
			ret = ibv_destroy_cq(cq);
			expect_err(EBUSY, ret, "ibv_destroy_cq of a CQ a QP uses");
			if (!ret)
				cq = NULL;
		}
		qp_free(qp);
		cq_free(cq);
	}

	pd = ibv_alloc_pd(e->ctx);
	if (!pd) {
		expect_err(0, errno, "ibv_alloc_pd");
		return;
	}
	mr = ibv_reg_mr(pd, e->buf, 4096, IBV_ACCESS_LOCAL_WRITE);
	if (!mr) {
		expect_err(0, errno, "ibv_reg_mr on a second PD");
		ibv_dealloc_pd(pd);
		return;
	}
	ret = ibv_dealloc_pd(pd);
	expect_err(EBUSY, ret, "ibv_dealloc_pd of a PD with an MR");
	if (!ret)
		return;		/* the MR went with it */
	ibv_dereg_mr(mr);
	ibv_dealloc_pd(pd);
}

/* ------------------------------------------------------------------------
 * 8. Hostile send ring contents
 */

enum hostile {
	H_OPCODE,
	H_NUM_SGE,
	H_INLINE,
	H_BAD_LKEY,
	H_BEYOND_MR,
	H_WRAP,
	H_COUNT
};

static const char *const hostile_names[H_COUNT] = {
	[H_OPCODE] = "opcode 0xee",
	[H_NUM_SGE] = "num_sge 1000",
	[H_INLINE] = "IBV_SEND_INLINE with inline_len 60000",
	[H_BAD_LKEY] = "SEND with lkey 0xdeadbeef",
	[H_BEYOND_MR] = "SEND of 4096 bytes from 8 bytes before the MR's end",
	[H_WRAP] = "SEND of 0x2000 bytes at 0xfffffffffffff000",
};

static void hostile_fill(const struct env *e, struct prxe_send_wqe *wqe,
			 size_t entry_size, enum hostile h, uint64_t wr_id)
{
	struct prxe_sge *sge = prxe_send_wqe_sge(wqe);

	memset(wqe, 0, entry_size);
	wqe->wr_id = wr_id;
	wqe->opcode = IBV_WR_SEND;
	wqe->send_flags = IBV_SEND_SIGNALED;
	wqe->num_sge = 1;
	sge->addr = (uintptr_t)e->buf + SEND_OFF;
	sge->length = 64;
	sge->lkey = e->mr->lkey;

	switch (h) {
	case H_OPCODE:
		wqe->opcode = 0xee;
		break;
	case H_NUM_SGE:
		wqe->num_sge = 1000;
		break;
	case H_INLINE:
		wqe->send_flags |= IBV_SEND_INLINE;
		wqe->num_sge = 0;
		wqe->inline_len = 60000;
		break;
	case H_BAD_LKEY:
		sge->lkey = 0xdeadbeef;
		break;
	case H_BEYOND_MR:
		sge->addr = (uintptr_t)e->mr->addr + e->mr->length - 8;
		sge->length = 4096;
		break;
	case H_WRAP:
		sge->addr = 0xfffffffffffff000ull;
		sge->length = 0x2000;
		break;
	case H_COUNT:
		break;
	}
}

static void check_hostile_one(struct env *e, enum hostile h)
{
	uint64_t wr_id = WR_ID_HOSTILE + h;
	struct ibv_send_wr wr, *bad;
	struct prxe_uring *ring;
	struct ibv_sge sge;
	char what[160];
	uint32_t producer;
	struct loop l;
	int ret;

	snprintf(what, sizeof(what), "hostile WQE (%s)", hostile_names[h]);
	if (loop_new(e, &l, 0, what))
		return;
	ret = post_one_recv(e, l.qp, 1);
	if (!expect_err(0, ret, "%s: post_recv", what))
		goto out;

	/* The hostile entry, published as the provider would. */
	ring = &to_prxe_qp(l.qp)->sq.ring;
	producer = prxe_uring_producer(ring);
	hostile_fill(e, prxe_uring_entry(ring, producer), ring->entry_size, h,
		     wr_id);
	prxe_uring_publish_producer(ring, producer + 1);

	/* A valid SEND behind it, which rings the doorbell. */
	sge_at(e, &sge, SEND_OFF, 1);
	send_wr(&wr, &sge, 1, WR_ID_VALID);
	bad = NULL;
	ret = ibv_post_send(l.qp, &wr, &bad);
	if (!expect_err(0, ret, "%s: post_send of a valid SEND behind it", what))
		goto out;

	snprintf(what, sizeof(what), "hostile WQE (%s) completes in error",
		 hostile_names[h]);
	expect_wc(l.scq, wr_id, IBV_WC_SUCCESS, true, what);
	snprintf(what, sizeof(what),
		 "valid SEND behind the hostile WQE (%s) is flushed",
		 hostile_names[h]);
	expect_wc(l.scq, WR_ID_VALID, IBV_WC_WR_FLUSH_ERR, false, what);
out:
	loop_free(&l);
}

static void check_hostile(struct env *e)
{
	int h;

	for (h = 0; h < H_COUNT; h++)
		check_hostile_one(e, h);
}

/* ------------------------------------------------------------------------
 * 9. ODP regions: addresses and lengths that wrap, and pages not mapped
 */

#define ODP_ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ | IBV_ACCESS_ON_DEMAND)
#define WR_ID_ODP	0x0d9000ull

static int reg_iova_err(struct ibv_pd *pd, void *addr, size_t len,
			uint64_t iova, int access)
{
	struct ibv_mr *mr = ibv_reg_mr_iova(pd, addr, len, iova, access);

	if (!mr)
		return errno;
	ibv_dereg_mr(mr);
	return 0;
}

/*
 * One RDMA WRITE or READ (@opcode) of @len bytes from the local buffer to
 * @raddr of @rkey, from one of two fresh QPs connected to each other: it
 * must complete with @status.
 */
static void odp_remote_one(struct env *e, enum ibv_wr_opcode opcode,
			   uint64_t raddr, uint32_t rkey, uint32_t len,
			   enum ibv_wc_status status, const char *what)
{
	struct ibv_send_wr wr, *bad = NULL;
	struct ibv_sge sge;
	struct loop a, b;
	int ret;

	if (loop_pair_new(e, &a, &b, what))
		return;
	sge_at(e, &sge, SEND_OFF, len);
	send_wr(&wr, &sge, 1, WR_ID_ODP);
	wr.opcode = opcode;
	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	ret = ibv_post_send(a.qp, &wr, &bad);
	if (expect_err(0, ret, "%s: post_send", what))
		expect_wc(a.scq, WR_ID_ODP, status, false, what);
	loop_free(&a);
	loop_free(&b);
}

static void check_odp(struct env *e)
{
	const uint64_t top = 0xfffffffffffff000ull;
	struct ibv_send_wr wr, *bad = NULL;
	struct ibv_mr *mr, *hole_mr;
	struct ibv_sge sge;
	struct loop l;
	void *hole;
	int ret;

	expect_err(EINVAL, reg_err(e->pd, (void *)(uintptr_t)top, 0x2000,
				   ODP_ACCESS),
		   "ODP ibv_reg_mr(0x%" PRIx64 ", 0x2000): the end wraps", top);
	expect_err(EINVAL, reg_err(e->pd, (void *)(uintptr_t)top, 0x1000,
				   ODP_ACCESS),
		   "ODP ibv_reg_mr(0x%" PRIx64 ", 0x1000): ends at 2^64", top);
	expect_err(EINVAL, reg_iova_err(e->pd, e->buf, 0x2000, top + 0x800,
					ODP_ACCESS),
		   "ODP ibv_reg_mr_iova(iova 0x%" PRIx64 ", 0x2000): iova + length wraps",
		   top + 0x800);

	mr = ibv_reg_mr(e->pd, e->buf, BUF_SIZE, ODP_ACCESS);
	if (!expect_err(0, mr ? 0 : errno, "ODP ibv_reg_mr(a %d KiB buffer)",
			BUF_SIZE / 1024))
		return;

	/* Remote accesses beyond the region, and wrapping. */
	odp_remote_one(e, IBV_WR_RDMA_WRITE,
		       (uintptr_t)e->buf + BUF_SIZE - 8, mr->rkey, 4096,
		       IBV_WC_REM_ACCESS_ERR,
		       "ODP: RDMA WRITE of 4096 bytes from 8 bytes before the end");
	odp_remote_one(e, IBV_WR_RDMA_WRITE, top, mr->rkey, 0x2000,
		       IBV_WC_REM_ACCESS_ERR,
		       "ODP: RDMA WRITE of 0x2000 bytes at 0xfffffffffffff000 (wraps)");
	odp_remote_one(e, IBV_WR_RDMA_READ, UINT64_MAX - 3, mr->rkey, 16,
		       IBV_WC_REM_ACCESS_ERR,
		       "ODP: RDMA READ of 16 bytes at 2^64 - 4 (wraps)");
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)e->buf + 4096, mr->rkey,
		       4096, IBV_WC_SUCCESS,
		       "ODP: RDMA WRITE of 4096 bytes inside the region");

	/* A local SGE of the ODP region that wraps. */
	if (!loop_new(e, &l, 0, "ODP local SGE")) {
		ret = post_one_recv(e, l.qp, 1);
		sge.addr = top;
		sge.length = 0x2000;
		sge.lkey = mr->lkey;
		send_wr(&wr, &sge, 1, WR_ID_ODP);
		if (expect_err(0, ret, "ODP local SGE: post_recv") &&
		    expect_err(0, ibv_post_send(l.qp, &wr, &bad),
			       "ODP local SGE: post_send"))
			expect_wc(l.scq, WR_ID_ODP, IBV_WC_LOC_PROT_ERR, false,
				  "ODP: SEND from an SGE at 0xfffffffffffff000 (wraps)");
		loop_free(&l);
	}
	ibv_dereg_mr(mr);

	/*
	 * An ODP region over a range with nothing mapped registers (nothing
	 * is faulted then), and an access to it fails cleanly.
	 */
	hole = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hole == MAP_FAILED) {
		expect_err(0, errno, "mmap of %d bytes", BUF_SIZE);
		return;
	}
	munmap(hole, BUF_SIZE);
	hole_mr = ibv_reg_mr(e->pd, hole, BUF_SIZE, ODP_ACCESS);
	if (!expect_err(0, hole_mr ? 0 : errno,
			"ODP ibv_reg_mr of an unmapped range"))
		return;
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)hole, hole_mr->rkey, 64,
		       IBV_WC_REM_ACCESS_ERR,
		       "ODP: RDMA WRITE into the unmapped range");
	odp_remote_one(e, IBV_WR_RDMA_READ, (uintptr_t)hole, hole_mr->rkey, 64,
		       IBV_WC_REM_ACCESS_ERR,
		       "ODP: RDMA READ of the unmapped range");
	ibv_dereg_mr(hole_mr);
}

/* ------------------------------------------------------------------------
 * 10. ODP regions after their mapping changed
 */

#define CHG_LEN		(64 * 1024)

/* The 4096 source bytes at SEND_OFF: a pattern of @seed. */
static void odp_pattern(struct env *e, uint8_t seed)
{
	unsigned int i;

	for (i = 0; i < 4096; i++)
		e->buf[SEND_OFF + i] = (uint8_t)(seed + i * 7);
}

static void odp_expect_bytes(const void *got, const struct env *e,
			     const char *what)
{
	bool same = !memcmp(got, e->buf + SEND_OFF, 4096);

	report(same, "the 4096 bytes written",
	       same ? "the 4096 bytes written" : "other bytes", "%s", what);
}

/* Anonymous memory: write-protected, unmapped, mapped again. */
static void check_odp_anon_changes(struct env *e)
{
	const enum ibv_wc_status ok = IBV_WC_SUCCESS, no = IBV_WC_REM_ACCESS_ERR;
	struct ibv_mr *mr;
	uint8_t *r, *again;

	r = mmap(NULL, CHG_LEN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		expect_err(0, errno, "mmap of %d bytes", CHG_LEN);
		return;
	}
	memset(r, 0, CHG_LEN);
	mr = ibv_reg_mr(e->pd, r, CHG_LEN, ODP_ACCESS);
	if (!expect_err(0, mr ? 0 : errno, "ODP ibv_reg_mr of an anonymous mapping")) {
		munmap(r, CHG_LEN);
		return;
	}
	odp_pattern(e, 1);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r, mr->rkey, 4096, ok,
		       "ODP anonymous: RDMA WRITE");
	odp_expect_bytes(r, e, "ODP anonymous: the WRITE landed");

	mprotect(r, CHG_LEN, PROT_READ);
	odp_pattern(e, 2);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r, mr->rkey, 4096, no,
		       "ODP anonymous, made read-only: RDMA WRITE");
	odp_remote_one(e, IBV_WR_RDMA_READ, (uintptr_t)r, mr->rkey, 4096, ok,
		       "ODP anonymous, made read-only: RDMA READ");
	odp_pattern(e, 1);
	odp_expect_bytes(r, e, "ODP anonymous, read-only: nothing written");

	mprotect(r, CHG_LEN, PROT_READ | PROT_WRITE);
	odp_pattern(e, 3);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r, mr->rkey, 4096, ok,
		       "ODP anonymous, writable again: RDMA WRITE");
	odp_expect_bytes(r, e, "ODP anonymous, writable again: the WRITE landed");

	munmap(r, CHG_LEN);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r, mr->rkey, 4096, no,
		       "ODP anonymous, unmapped: RDMA WRITE");
	odp_remote_one(e, IBV_WR_RDMA_READ, (uintptr_t)r, mr->rkey, 4096, no,
		       "ODP anonymous, unmapped: RDMA READ");

	/* A new mapping at the same place: the region follows it. */
	again = mmap(r, CHG_LEN, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (again == r) {
		odp_pattern(e, 4);
		odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r, mr->rkey,
			       4096, ok, "ODP anonymous, mapped again: RDMA WRITE");
		odp_expect_bytes(r, e,
				 "ODP anonymous, mapped again: the WRITE is in the new mapping");
		munmap(r, CHG_LEN);
	} else {
		printf("     could not map the same place again; that part skipped\n");
		if (again != MAP_FAILED)
			munmap(again, CHG_LEN);
	}
	ibv_dereg_mr(mr);
}

/*
 * A file on the fsdax mount in @dir: writes land in the file (read back
 * with pread(), not through the mapping); truncated, the region fails
 * beyond the new end; a punched hole is written again.
 */
static void check_odp_file_changes(struct env *e, const char *dir)
{
	const enum ibv_wc_status ok = IBV_WC_SUCCESS, no = IBV_WC_REM_ACCESS_ERR;
	uint8_t back[4096];
	char path[512];
	struct ibv_mr *mr;
	uint8_t *r;
	int fd;

	snprintf(path, sizeof(path), "%s/prxe_bad_params.%d", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!expect_err(0, fd < 0 ? errno : 0, "open %s", path))
		return;
	if (!expect_err(0, ftruncate(fd, CHG_LEN) ? errno : 0, "ftruncate %s", path))
		goto out_close;
	r = mmap(NULL, CHG_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED) {
		expect_err(0, errno, "mmap %s", path);
		goto out_close;
	}
	mr = ibv_reg_mr(e->pd, r, CHG_LEN, ODP_ACCESS);
	if (!expect_err(0, mr ? 0 : errno, "ODP ibv_reg_mr of a file mapping"))
		goto out_unmap;

	odp_pattern(e, 5);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r + 32768, mr->rkey,
		       4096, ok, "ODP file: RDMA WRITE at 32 KiB");
	if (pread(fd, back, sizeof(back), 32768) == sizeof(back))
		odp_expect_bytes(back, e, "ODP file: pread() sees the WRITE");
	else
		expect_err(0, errno, "pread %s", path);

	/* Truncated to 16 KiB: pages beyond the end are gone (SIGBUS). */
	expect_err(0, ftruncate(fd, 16384) ? errno : 0, "ftruncate to 16 KiB");
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r + 32768, mr->rkey,
		       4096, no, "ODP file, truncated: RDMA WRITE beyond the end");
	odp_remote_one(e, IBV_WR_RDMA_READ, (uintptr_t)r + 32768, mr->rkey,
		       4096, no, "ODP file, truncated: RDMA READ beyond the end");
	odp_pattern(e, 6);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r + 4096, mr->rkey,
		       4096, ok, "ODP file, truncated: RDMA WRITE before the end");
	if (pread(fd, back, sizeof(back), 4096) == sizeof(back))
		odp_expect_bytes(back, e, "ODP file, truncated: pread() sees the WRITE");

	/* A hole punched where the WRITE went: written again. */
	expect_err(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				4096, 4096) ? errno : 0, "punch a hole at 4 KiB");
	odp_pattern(e, 7);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r + 4096, mr->rkey,
		       4096, ok, "ODP file, hole punched: RDMA WRITE into it");
	if (pread(fd, back, sizeof(back), 4096) == sizeof(back))
		odp_expect_bytes(back, e, "ODP file, hole punched: pread() sees the WRITE");

	ibv_dereg_mr(mr);
out_unmap:
	munmap(r, CHG_LEN);
out_close:
	close(fd);
	unlink(path);
}

/* ------------------------------------------------------------------------
 * 11. UD QPs and address handles
 */

#define UD_QKEY		0x3c4b5a69u
#define GRH_BYTES	40

enum ud_bad {
	UD_TOO_LONG,		/* ibv_post_send: a SEND beyond the MTU */
	UD_OTHER_PD,		/* ibv_post_send: the AH of another PD */
	UD_NO_AH,		/* ring: an AH number that does not exist */
	UD_WRITE,		/* ring: an RDMA WRITE on a UD QP */
	UD_BAD_COUNT
};

static const char *const ud_bad_names[UD_BAD_COUNT] = {
	[UD_TOO_LONG] = "SEND of MTU + 1 bytes",
	[UD_OTHER_PD] = "SEND through an AH of another PD",
	[UD_NO_AH] = "SEND naming AH number 0x7fffffff",
	[UD_WRITE] = "RDMA WRITE",
};

static struct ibv_ah *ud_ah_new(struct env *e, struct ibv_pd *pd,
				int gid_index)
{
	struct ibv_ah_attr a = {
		.is_global = 1,
		.grh = { .dgid = e->gid, .sgid_index = gid_index,
			 .hop_limit = 64 },
		.port_num = IB_PORT,
	};

	return ibv_create_ah(pd, &a);
}

/* A UD QP on its own CQs, in RTS, with one 2 KiB receive posted. */
static struct ibv_qp *ud_qp_new(struct env *e, struct loop *l,
				const char *what)
{
	struct ibv_qp_init_attr init;
	struct ibv_recv_wr rwr, *rbad;
	struct ibv_qp_attr a;
	struct ibv_sge sge;
	int ret;

	memset(l, 0, sizeof(*l));
	l->scq = cq_new(e, what);
	l->rcq = cq_new(e, what);
	if (!l->scq || !l->rcq)
		return NULL;
	qp_init_attr(&init, l->scq, l->rcq);
	init.qp_type = IBV_QPT_UD;
	l->qp = qp_new(e, &init, what);
	if (!l->qp)
		return NULL;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_INIT;
	a.port_num = IB_PORT;
	a.qkey = UD_QKEY;
	ret = ibv_modify_qp(l->qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			    IBV_QP_PORT | IBV_QP_QKEY);
	a.qp_state = IBV_QPS_RTR;
	ret = ret ?: ibv_modify_qp(l->qp, &a, IBV_QP_STATE);
	a.qp_state = IBV_QPS_RTS;
	ret = ret ?: ibv_modify_qp(l->qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN);
	if (ret) {
		expect_err(0, ret, "%s: UD QP to RTS", what);
		return NULL;
	}
	sge_at(e, &sge, RECV_OFF, 2048);
	memset(&rwr, 0, sizeof(rwr));
	rwr.wr_id = WR_ID_VALID + 1;
	rwr.sg_list = &sge;
	rwr.num_sge = 1;
	ret = ibv_post_recv(l->qp, &rwr, &rbad);
	if (ret) {
		expect_err(0, ret, "%s: UD post_recv", what);
		return NULL;
	}
	return l->qp;
}

static void ud_send_wr(struct ibv_send_wr *wr, struct ibv_sge *sge,
		       struct ibv_ah *ah, uint32_t qpn, uint64_t wr_id)
{
	send_wr(wr, sge, 1, wr_id);
	wr->wr.ud.ah = ah;
	wr->wr.ud.remote_qpn = qpn;
	wr->wr.ud.remote_qkey = UD_QKEY;
}

static void check_ud_bad_one(struct env *e, enum ud_bad b, uint32_t mtu)
{
	uint64_t wr_id = WR_ID_HOSTILE + b;
	struct ibv_pd *pd2 = NULL;
	struct ibv_ah *ah, *ah2 = NULL;
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sge;
	char what[160];
	struct loop l;
	int ret;

	snprintf(what, sizeof(what), "UD %s", ud_bad_names[b]);
	ah = ud_ah_new(e, e->pd, e->gid_index);
	if (!ah) {
		expect_err(0, errno, "%s: ibv_create_ah", what);
		return;
	}
	if (!ud_qp_new(e, &l, what))
		goto out;

	sge_at(e, &sge, SEND_OFF, 64);
	ud_send_wr(&wr, &sge, ah, l.qp->qp_num, wr_id);
	switch (b) {
	case UD_TOO_LONG:
		sge.length = mtu + 1;
		break;
	case UD_OTHER_PD:
		pd2 = ibv_alloc_pd(e->ctx);
		ah2 = pd2 ? ud_ah_new(e, pd2, e->gid_index) : NULL;
		if (!ah2) {
			expect_err(0, errno, "%s: an AH on a second PD", what);
			goto out;
		}
		wr.wr.ud.ah = ah2;
		break;
	default:
		break;
	}
	if (b == UD_NO_AH || b == UD_WRITE) {
		/* Written straight into the ring, as a hostile process would. */
		struct prxe_uring *ring = &to_prxe_qp(l.qp)->sq.ring;
		uint32_t producer = prxe_uring_producer(ring);
		struct prxe_send_wqe *wqe = prxe_uring_entry(ring, producer);

		memset(wqe, 0, ring->entry_size);
		wqe->wr_id = wr_id;
		wqe->opcode = b == UD_WRITE ? IBV_WR_RDMA_WRITE : IBV_WR_SEND;
		wqe->send_flags = IBV_SEND_SIGNALED;
		wqe->num_sge = 1;
		*prxe_send_wqe_sge(wqe) = (struct prxe_sge){
			.addr = sge.addr, .length = sge.length,
			.lkey = sge.lkey };
		wqe->wr.ud.ah_num = b == UD_NO_AH ? 0x7fffffff :
						    to_prxe_ah(ah)->ah_num;
		wqe->wr.ud.remote_qpn = l.qp->qp_num;
		wqe->wr.ud.remote_qkey = UD_QKEY;
		prxe_uring_publish_producer(ring, producer + 1);
		sge.length = 64;
		ud_send_wr(&wr, &sge, ah, l.qp->qp_num, WR_ID_VALID);
	}
	bad = NULL;
	ret = ibv_post_send(l.qp, &wr, &bad);
	if (!expect_err(0, ret, "%s: ibv_post_send", what))
		goto out;
	if (b == UD_NO_AH || b == UD_WRITE) {
		expect_wc(l.scq, wr_id, IBV_WC_LOC_QP_OP_ERR, false, what);
	} else {
		expect_wc(l.scq, wr_id, b == UD_TOO_LONG ? IBV_WC_LOC_LEN_ERR :
			  IBV_WC_LOC_QP_OP_ERR, false, what);
		/* The QP is in error now: what is posted next is flushed. */
		sge.length = 64;
		ud_send_wr(&wr, &sge, ah, l.qp->qp_num, WR_ID_VALID);
		ret = ibv_post_send(l.qp, &wr, &bad);
		if (!expect_err(0, ret, "%s: post_send behind it", what))
			goto out;
	}
	snprintf(what, sizeof(what), "UD SEND behind the %s is flushed",
		 ud_bad_names[b]);
	expect_wc(l.scq, WR_ID_VALID, IBV_WC_WR_FLUSH_ERR, false, what);
out:
	loop_free(&l);
	if (ah2)
		ibv_destroy_ah(ah2);
	if (pd2)
		ibv_dealloc_pd(pd2);
	ibv_destroy_ah(ah);
}

/* A datagram to itself: the receive holds the GRH, then the bytes. */
static void check_ud_loop(struct env *e)
{
	const char *what = "UD QP sends 64 bytes to itself";
	struct ibv_send_wr wr, *bad;
	struct ibv_ah *ah;
	struct ibv_sge sge;
	struct ibv_wc wc;
	struct loop l;
	bool same;
	int i, ret;

	ah = ud_ah_new(e, e->pd, e->gid_index);
	if (!ah) {
		expect_err(0, errno, "%s: ibv_create_ah", what);
		return;
	}
	if (!ud_qp_new(e, &l, what))
		goto out;
	for (i = 0; i < 64; i++)
		e->buf[SEND_OFF + i] = (uint8_t)(i * 7 + 3);
	memset(e->buf + RECV_OFF, 0, GRH_BYTES + 64);
	sge_at(e, &sge, SEND_OFF, 64);
	ud_send_wr(&wr, &sge, ah, l.qp->qp_num, WR_ID_VALID);
	ret = ibv_post_send(l.qp, &wr, &bad);
	if (!expect_err(0, ret, "%s: ibv_post_send", what))
		goto out;
	expect_wc(l.scq, WR_ID_VALID, IBV_WC_SUCCESS, false, what);
	ret = poll_one(l.rcq, &wc, COMPLETION_MS);
	if (!report(ret == 1 && wc.status == IBV_WC_SUCCESS &&
		    wc.byte_len == GRH_BYTES + 64 && (wc.wc_flags & IBV_WC_GRH) &&
		    wc.src_qp == l.qp->qp_num,
		    "a receive of 104 bytes with IBV_WC_GRH from itself",
		    ret == 1 ? ibv_wc_status_str(wc.status) : "no receive",
		    "%s: receive completion", what))
		goto out;
	same = !memcmp(e->buf + RECV_OFF + GRH_BYTES, e->buf + SEND_OFF, 64);
	report(same, "the 64 bytes sent", same ? "them" : "other bytes",
	       "%s: data behind the GRH", what);
out:
	loop_free(&l);
	ibv_destroy_ah(ah);
}

static void check_ud(struct env *e)
{
	struct ibv_port_attr port;
	struct ibv_ah *ah;
	int b;

	/* ib_core checks the source GID index. */
	ah = ud_ah_new(e, e->pd, 0xff00);
	expect_err(EINVAL, ah ? 0 : errno, "ibv_create_ah with GID index 0xff00");
	if (ah)
		ibv_destroy_ah(ah);

	if (ibv_query_port(e->ctx, IB_PORT, &port)) {
		expect_err(0, errno, "ibv_query_port");
		return;
	}
	check_ud_loop(e);
	for (b = 0; b < UD_BAD_COUNT; b++)
		check_ud_bad_one(e, b, 128u << port.active_mtu);
}

/* ------------------------------------------------------------------------
 * Setup
 */

static int env_open(struct env *e, const char *name, int gid_index)
{
	struct ibv_device **list;
	int i, n;

	memset(e, 0, sizeof(*e));
	e->gid_index = gid_index;
	list = ibv_get_device_list(&n);
	if (!list) {
		fprintf(stderr, "%s: ibv_get_device_list: %s\n", PROG,
			strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			break;
	if (i == n) {
		fprintf(stderr, "%s: no RDMA device named %s\n", PROG, name);
		ibv_free_device_list(list);
		return -1;
	}
	e->ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!e->ctx) {
		fprintf(stderr, "%s: ibv_open_device %s: %s\n", PROG, name,
			strerror(errno));
		return -1;
	}
	if (ibv_query_device(e->ctx, &e->attr)) {
		fprintf(stderr, "%s: ibv_query_device: %s\n", PROG,
			strerror(errno));
		return -1;
	}
	if (ibv_query_gid(e->ctx, IB_PORT, gid_index, &e->gid)) {
		fprintf(stderr, "%s: ibv_query_gid %d: %s\n", PROG, gid_index,
			strerror(errno));
		return -1;
	}
	e->pd = ibv_alloc_pd(e->ctx);
	if (!e->pd) {
		fprintf(stderr, "%s: ibv_alloc_pd: %s\n", PROG, strerror(errno));
		return -1;
	}
	if (posix_memalign((void **)&e->buf, 4096, BUF_SIZE)) {
		fprintf(stderr, "%s: cannot allocate %d bytes\n", PROG, BUF_SIZE);
		return -1;
	}
	memset(e->buf, 0x5a, BUF_SIZE);
	e->mr = ibv_reg_mr(e->pd, e->buf, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	if (!e->mr) {
		fprintf(stderr, "%s: ibv_reg_mr of %d bytes: %s\n", PROG,
			BUF_SIZE, strerror(errno));
		return -1;
	}
	printf("%s: %s, GID index %d; max_cqe %d max_qp_wr %d max_sge %d max_mr_size %" PRIu64 "\n",
	       PROG, name, gid_index, e->attr.max_cqe, e->attr.max_qp_wr,
	       e->attr.max_sge, (uint64_t)e->attr.max_mr_size);
	return 0;
}

static void env_close(struct env *e)
{
	if (e->mr)
		ibv_dereg_mr(e->mr);
	free(e->buf);
	if (e->pd)
		ibv_dealloc_pd(e->pd);
	if (e->ctx)
		ibv_close_device(e->ctx);
	memset(e, 0, sizeof(*e));
}

int main(int argc, char **argv)
{
	struct env e;
	char *end;
	long gid;

	/* Keep stdout and stderr in order when both go to one log. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s DEVICE GID_INDEX [FSDAX_DIR]\n", argv[0]);
		return 2;
	}
	gid = strtol(argv[2], &end, 0);
	if (*argv[2] == '\0' || *end || gid < 0 || gid > 0xffff) {
		fprintf(stderr, "%s: bad GID index '%s'\n", PROG, argv[2]);
		return 2;
	}
	if (env_open(&e, argv[1], gid)) {
		env_close(&e);
		return 2;
	}

	check_cq(&e);
	check_qp_create(&e);
	check_mr(&e);
	check_modify(&e);
	check_post_send(&e);
	check_post_recv(&e);
	check_in_use(&e);
	check_hostile(&e);
	check_odp(&e);
	check_odp_anon_changes(&e);
	check_ud(&e);
	if (argc == 4)
		check_odp_file_changes(&e, argv[3]);

	env_close(&e);
	printf("%s: %u checks, %u failed\n", PROG, n_checks, n_failed);
	if (n_failed)
		return 1;
	printf("%s: PASS\n", PROG);
	return 0;
}
