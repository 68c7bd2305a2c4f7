// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_bad_params 11: UD QPs and address handles: an AH for a GID index
 * that holds no GID (ENODATA); SENDs longer than the MTU
 * (IBV_WC_LOC_LEN_ERR), through an AH of another PD, and, white box,
 * naming an AH number that does not exist or an RDMA WRITE: each completes
 * in error, the QP goes to the error state and the SEND behind it is
 * flushed; a UD QP sends to itself and receives its datagram behind a GRH.
 */
#include <errno.h>
#include <string.h>

#include <rdma/prxe-abi.h>

#include "prxe.h"

#include "bad_params.h"

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

/* A UD QP on its own CQs, in RTS, with one 2 KiB receive posted. */
static int ud_loop_new(struct env *e, struct loop *l)
{
	struct ibv_sge sge;
	int ret;

	if (ud_loop_create(e, l) || !ud_ready(l->qp, UD_QKEY))
		return -1;
	sge_at(e, &sge, RECV_OFF, 2048);
	ret = post_recv_one(l->qp, WR_ID_VALID + 1, &sge);
	if (ret)
		expect_err(0, ret, "UD post_recv");
	return ret ? -1 : 0;
}

static void ud_send_wr(struct ibv_send_wr *wr, struct ibv_sge *sge,
		       struct ibv_ah *ah, uint32_t qpn, uint64_t wr_id)
{
	send_wr_fill(wr, wr_id, IBV_WR_SEND, sge, 1);
	wr->wr.ud.ah = ah;
	wr->wr.ud.remote_qpn = qpn;
	wr->wr.ud.remote_qkey = UD_QKEY;
}

/* A valid SEND of 64 bytes from SEND_OFF to the QP itself (WR_ID_VALID). */
static bool ud_send_valid(struct env *e, struct loop *l, struct ibv_ah *ah,
			  const char *what)
{
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sge;

	sge_at(e, &sge, SEND_OFF, 64);
	ud_send_wr(&wr, &sge, ah, l->qp->qp_num, WR_ID_VALID);
	return expect_err(0, ibv_post_send(l->qp, &wr, &bad), "%s: ibv_post_send",
			  what);
}

/* Written straight into the ring, as a hostile process would. */
static void ud_hostile_wqe(struct ibv_qp *qp, enum ud_bad b,
			   const struct ibv_sge *sge, struct ibv_ah *ah,
			   uint64_t wr_id)
{
	struct prxe_send_wqe *wqe = sq_ring_entry(qp);

	wqe->wr_id = wr_id;
	wqe->opcode = b == UD_WRITE ? IBV_WR_RDMA_WRITE : IBV_WR_SEND;
	wqe->send_flags = IBV_SEND_SIGNALED;
	wqe->num_sge = 1;
	*prxe_send_wqe_sge(wqe) = (struct prxe_sge){
		.addr = sge->addr, .length = sge->length, .lkey = sge->lkey };
	wqe->wr.ud.ah_num = b == UD_NO_AH ? 0x7fffffff : to_prxe_ah(ah)->ah_num;
	wqe->wr.ud.remote_qpn = qp->qp_num;
	wqe->wr.ud.remote_qkey = UD_QKEY;
	sq_ring_publish(qp);
}

static void check_ud_bad_one(struct env *e, enum ud_bad b, uint32_t mtu)
{
	const char *name = ud_bad_names[b];
	uint64_t wr_id = WR_ID_HOSTILE + b;
	struct ibv_ah *ah, *ah2 = NULL;
	struct ibv_send_wr wr, *bad;
	struct ibv_pd *pd2 = NULL;
	struct ibv_sge sge;
	struct loop l;
	int ret;

	ah = ah_create(e->dev.pd, &e->dev.gid, e->dev.gid_index);
	if (!ah)
		return;
	if (ud_loop_new(e, &l))
		goto out;

	sge_at(e, &sge, SEND_OFF, 64);
	ud_send_wr(&wr, &sge, ah, l.qp->qp_num, wr_id);
	if (b == UD_NO_AH || b == UD_WRITE) {
		/* The bad one in the ring, a valid SEND behind it through the
		 * verbs (which rings the doorbell). */
		ud_hostile_wqe(l.qp, b, &sge, ah, wr_id);
		if (!ud_send_valid(e, &l, ah, strf("UD %s: the SEND behind it",
						   name)))
			goto out;
	} else {
		if (b == UD_TOO_LONG) {
			sge.length = mtu + 1;
		} else {
			pd2 = ibv_alloc_pd(e->dev.ctx);
			if (!pd2) {
				expect_err(0, errno, "UD %s: a second PD", name);
				goto out;
			}
			ah2 = ah_create(pd2, &e->dev.gid, e->dev.gid_index);
			if (!ah2)
				goto out;
			wr.wr.ud.ah = ah2;
		}
		bad = NULL;
		ret = ibv_post_send(l.qp, &wr, &bad);
		if (!expect_err(0, ret, "UD %s: ibv_post_send", name))
			goto out;
	}
	expect_wc(l.scq, &(struct wc_want){
			.wr_id = wr_id, .status = b == UD_TOO_LONG ?
				IBV_WC_LOC_LEN_ERR : IBV_WC_LOC_QP_OP_ERR },
		  NULL, "UD %s", name);
	/* The QP is in error now: what is posted next is flushed. */
	if ((b == UD_TOO_LONG || b == UD_OTHER_PD) &&
	    !ud_send_valid(e, &l, ah, strf("UD %s: the SEND behind it", name)))
		goto out;
	expect_wc(l.scq, &(struct wc_want){ .wr_id = WR_ID_VALID,
					    .status = IBV_WC_WR_FLUSH_ERR },
		  NULL, "UD SEND behind the %s is flushed", name);
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
	struct ibv_ah *ah;
	struct ibv_wc wc;
	struct loop l;
	bool same;
	int i;

	ah = ah_create(e->dev.pd, &e->dev.gid, e->dev.gid_index);
	if (!ah)
		return;
	if (ud_loop_new(e, &l))
		goto out;
	for (i = 0; i < 64; i++)
		e->buf[SEND_OFF + i] = (uint8_t)(i * 7 + 3);
	memset(e->buf + RECV_OFF, 0, GRH_BYTES + 64);
	if (!ud_send_valid(e, &l, ah, what))
		goto out;
	expect_wc(l.scq, &(struct wc_want){ .wr_id = WR_ID_VALID,
					    .status = IBV_WC_SUCCESS },
		  NULL, "%s", what);
	if (!expect_wc(l.rcq, &(struct wc_want){
			.wr_id = WR_ID_VALID + 1, .status = IBV_WC_SUCCESS,
			.qp = l.qp, .check_len = true,
			.byte_len = GRH_BYTES + 64 },
		       &wc, "%s: receive completion", what))
		goto out;
	check(wc.wc_flags & IBV_WC_GRH, "IBV_WC_GRH set",
	      strf("wc_flags 0x%x", wc.wc_flags), "%s: receive completion", what);
	/* Our own QP: src_qp says who sent it. */
	expect_eq(l.qp->qp_num, wc.src_qp, "%s: src_qp", what);
	same = !memcmp(e->buf + RECV_OFF + GRH_BYTES, e->buf + SEND_OFF, 64);
	check(same, "the 64 bytes sent", same ? "them" : "other bytes",
	      "%s: data behind the GRH", what);
out:
	loop_free(&l);
	ibv_destroy_ah(ah);
}

/* An index of the port's GID table, below 256 (sgid_index has 8 bits),
 * that holds no GID; -1 if there is none. */
static int empty_gid_index(const struct dev *d)
{
	struct ibv_gid_entry ge;
	int i = d->port.gid_tbl_len < 256 ? d->port.gid_tbl_len : 256;

	while (--i >= 0)
		if (ibv_query_gid_ex(d->ctx, DEV_PORT, i, &ge, 0))
			return i;
	return -1;
}

/*
 * ib_core checks the source GID index: one without a GID is refused with
 * ENODATA (rdma_get_gid_attr()), before the driver sees the AH.
 */
static void check_ah_gid_index(struct env *e)
{
	int index = empty_gid_index(&e->dev);
	struct ibv_ah_attr a;
	struct ibv_ah *ah;

	if (index < 0) {
		note("no empty GID index below 256: no AH check of one");
		return;
	}
	ah_attr_global(&a, &e->dev.gid, index);
	ah = ibv_create_ah(e->dev.pd, &a);
	expect_err(ENODATA, ah ? 0 : errno,
		   "ibv_create_ah with GID index %d, which holds no GID", index);
	if (ah)
		ibv_destroy_ah(ah);
}

void check_ud(struct env *e)
{
	int b;

	check_ah_gid_index(e);
	check_ud_loop(e);
	for (b = 0; b < UD_BAD_COUNT; b++)
		check_ud_bad_one(e, b, 128u << e->dev.port.active_mtu);
}
