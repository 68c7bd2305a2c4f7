// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Posting and completions: see wc.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dev.h"
#include "wc.h"

unsigned int wc_timeout_ms = 5000;

void send_wr_fill(struct ibv_send_wr *wr, uint64_t wr_id,
		  enum ibv_wr_opcode opcode, struct ibv_sge *sge, int num_sge)
{
	memset(wr, 0, sizeof(*wr));
	wr->wr_id = wr_id;
	wr->sg_list = sge;
	wr->num_sge = num_sge;
	wr->opcode = opcode;
	wr->send_flags = IBV_SEND_SIGNALED;
}

void send_wr_remote(struct ibv_send_wr *wr, uint64_t raddr, uint32_t rkey)
{
	switch (wr->opcode) {
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
	case IBV_WR_RDMA_READ:
		wr->wr.rdma.remote_addr = raddr;
		wr->wr.rdma.rkey = rkey;
		break;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		wr->wr.atomic.remote_addr = raddr;
		wr->wr.atomic.rkey = rkey;
		break;
	default:
		break;		/* no remote address */
	}
}

int post_send_one(struct ibv_qp *qp, uint64_t wr_id, enum ibv_wr_opcode opcode,
		  const struct ibv_sge *sge, uint64_t raddr, uint32_t rkey)
{
	struct ibv_send_wr wr, *bad;
	struct ibv_sge s = *sge;

	send_wr_fill(&wr, wr_id, opcode, &s, 1);
	send_wr_remote(&wr, raddr, rkey);
	return ibv_post_send(qp, &wr, &bad);
}

int post_recv_one(struct ibv_qp *qp, uint64_t wr_id, const struct ibv_sge *sge)
{
	struct ibv_sge s = *sge;
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &s, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	return ibv_post_recv(qp, &wr, &bad);
}

int post_srq_recv_one(struct ibv_srq *srq, uint64_t wr_id,
		      const struct ibv_sge *sge)
{
	struct ibv_sge s = *sge;
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &s, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	return ibv_post_srq_recv(srq, &wr, &bad);
}

bool expect_post(int expected, int seen, const void *bad, const void *want_bad,
		 const char *fmt, ...)
{
	const char *exp_s = errno_name(expected), *seen_s = errno_name(seen);
	bool pass = seen == expected;
	char what[256];
	va_list ap;

	if (pass && expected && bad != want_bad) {
		pass = false;
		exp_s = strf("%s, bad_wr %p", errno_name(expected), want_bad);
		seen_s = strf("%s, bad_wr %p", errno_name(seen), bad);
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return check(pass, exp_s, seen_s, "%s", what);
}

int poll_wc(struct ibv_cq *cq, struct ibv_wc *wc, unsigned int ms)
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

const char *wc_opcode_name(enum ibv_wc_opcode opcode)
{
	switch (opcode) {
	case IBV_WC_SEND: return "IBV_WC_SEND";
	case IBV_WC_RDMA_WRITE: return "IBV_WC_RDMA_WRITE";
	case IBV_WC_RDMA_READ: return "IBV_WC_RDMA_READ";
	case IBV_WC_COMP_SWAP: return "IBV_WC_COMP_SWAP";
	case IBV_WC_FETCH_ADD: return "IBV_WC_FETCH_ADD";
	case IBV_WC_BIND_MW: return "IBV_WC_BIND_MW";
	case IBV_WC_LOCAL_INV: return "IBV_WC_LOCAL_INV";
	case IBV_WC_RECV: return "IBV_WC_RECV";
	case IBV_WC_RECV_RDMA_WITH_IMM: return "IBV_WC_RECV_RDMA_WITH_IMM";
	default: return strf("opcode %d", opcode);
	}
}

/* @want in words. */
static const char *want_str(const struct wc_want *want)
{
	char s[256];
	int n;

	n = snprintf(s, sizeof(s), "%s %s",
		     want->any_wr_id ? "any wr_id" :
		     strf("wr_id 0x%" PRIx64, want->wr_id),
		     want->any_error ? "with an error status" :
		     ibv_wc_status_str(want->status));
	if (want->check_opcode)
		n += snprintf(s + n, sizeof(s) - n, " %s",
			      wc_opcode_name(want->opcode));
	if (want->qp)
		n += snprintf(s + n, sizeof(s) - n, " on QP 0x%x",
			      want->qp->qp_num);
	if (want->check_len)
		snprintf(s + n, sizeof(s) - n, ", %u bytes", want->byte_len);
	return strf("%s", s);
}

/* The fields of @wc that @want looks at, in words. */
static const char *wc_str(const struct ibv_wc *wc, const struct wc_want *want)
{
	char s[256];
	int n;

	n = snprintf(s, sizeof(s), "wr_id 0x%" PRIx64 " %s (%d, vendor_err 0x%x)",
		     wc->wr_id, ibv_wc_status_str(wc->status), wc->status,
		     wc->vendor_err);
	if (want->check_opcode)
		n += snprintf(s + n, sizeof(s) - n, " %s",
			      wc_opcode_name(wc->opcode));
	if (want->qp)
		n += snprintf(s + n, sizeof(s) - n, " on QP 0x%x", wc->qp_num);
	if (want->check_len)
		snprintf(s + n, sizeof(s) - n, ", %u bytes", wc->byte_len);
	return strf("%s", s);
}

bool wc_matches(const struct ibv_wc *wc, const struct wc_want *want)
{
	if (!want->any_wr_id && wc->wr_id != want->wr_id)
		return false;
	if (want->any_error ? wc->status == IBV_WC_SUCCESS :
			      wc->status != want->status)
		return false;
	/* An error completion's opcode and byte_len are undefined. */
	if (wc->status == IBV_WC_SUCCESS) {
		if (want->check_opcode && wc->opcode != want->opcode)
			return false;
		if (want->check_len && wc->byte_len != want->byte_len)
			return false;
	}
	return !want->qp || wc->qp_num == want->qp->qp_num;
}

CHECK_FMT(3, 0)
static bool vwc_check(const struct ibv_wc *wc, const struct wc_want *want,
		      const char *fmt, va_list ap)
{
	char what[256];

	vsnprintf(what, sizeof(what), fmt, ap);
	return check(wc_matches(wc, want), want_str(want), wc_str(wc, want),
		     "%s", what);
}

bool wc_check(const struct ibv_wc *wc, const struct wc_want *want,
	      const char *fmt, ...)
{
	va_list ap;
	bool pass;

	va_start(ap, fmt);
	pass = vwc_check(wc, want, fmt, ap);
	va_end(ap);
	return pass;
}

bool expect_wc(struct ibv_cq *cq, const struct wc_want *want,
	       struct ibv_wc *wc, const char *fmt, ...)
{
	struct ibv_wc local;
	char what[256];
	va_list ap;
	bool pass;
	int n;

	if (!wc)
		wc = &local;
	n = poll_wc(cq, wc, wc_timeout_ms);
	va_start(ap, fmt);
	if (n == 1) {
		pass = vwc_check(wc, want, fmt, ap);
	} else {
		vsnprintf(what, sizeof(what), fmt, ap);
		memset(wc, 0, sizeof(*wc));
		wc->status = IBV_WC_GENERAL_ERR;
		check_fail(want_str(want), n ? "ibv_poll_cq failed" :
			   strf("no completion within %u ms", wc_timeout_ms),
			   "%s", what);
		pass = false;
	}
	va_end(ap);
	return pass;
}

bool expect_cq_quiet(struct ibv_cq *cq, unsigned int ms, const char *fmt, ...)
{
	uint64_t end = now_ms() + ms;
	struct ibv_wc wc;
	char what[256];
	va_list ap;
	int n = 0;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	while (now_ms() < end) {
		n = ibv_poll_cq(cq, 1, &wc);
		if (n)
			break;
		usleep(1000);
	}
	return check(!n, strf("no completion for %u ms", ms),
		     n < 0 ? "ibv_poll_cq failed" :
		     n ? strf("wr_id 0x%" PRIx64 " %s on QP 0x%x", wc.wr_id,
			      ibv_wc_status_str(wc.status), wc.qp_num) :
		     strf("none in %u ms", ms), "%s", what);
}
