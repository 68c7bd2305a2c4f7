// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_cq_events: completion events of a CQ armed with ibv_req_notify_cq(),
 * in every order of arming that verbs allows.
 *
 * Usage: prxe_cq_events DEVICE
 *
 * Two RC QPs of DEVICE connected to each other (loopback); the receiving
 * QP's CQ has a completion channel.  Each case arms the CQ, makes SENDs
 * (solicited or not) arrive, and checks which events come:
 *
 *   next        armed for the next completion: an unsolicited SEND fires it
 *   solicited   armed for solicited ones: an unsolicited SEND does not,
 *               a solicited one does
 *   sol_next    armed for solicited, then for the next completion before
 *               any event: an unsolicited SEND fires it (the arming is the
 *               union of the two, IBTA 11.4.2.2)
 *   next_sol    the other order: the same
 *   once        one event per arming: a second completion without arming
 *               again fires nothing
 *
 * Output and exit status: the test library's convention (check.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "check.h"
#include "dev.h"
#include "qp.h"
#include "wc.h"

#define BUF_SIZE	4096
#define NO_EVENT_MS	300
#define EVENT_MS	3000

struct loop {
	struct dev dev;
	struct ibv_comp_channel *channel;
	struct ibv_cq *send_cq, *recv_cq;	/* recv_cq: on the channel */
	struct ibv_qp *sender, *receiver;
	struct ibv_mr *mr;
	uint8_t *buf;
	uint64_t seq;
};

/* An event on the channel within @ms: 1, else 0 (acknowledged if one). */
static int get_event(struct loop *l, unsigned int ms)
{
	struct pollfd pfd = { .fd = l->channel->fd, .events = POLLIN };
	struct ibv_cq *cq;
	void *ctx;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	if (ibv_get_cq_event(l->channel, &cq, &ctx))
		return 0;
	ibv_ack_cq_events(cq, 1);
	return 1;
}

/* A SEND from sender to receiver, solicited or not; both completions taken. */
static bool send_one(struct loop *l, bool solicited)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)l->buf, .length = 64, .lkey = l->mr->lkey,
	};
	struct ibv_sge rsge = {
		.addr = (uintptr_t)l->buf + BUF_SIZE / 2, .length = 64,
		.lkey = l->mr->lkey,
	};
	struct ibv_send_wr wr, *bad;
	struct wc_want want = { .status = IBV_WC_SUCCESS };
	struct ibv_wc wc;
	int err;

	want.wr_id = ++l->seq;
	err = post_recv_one(l->receiver, want.wr_id, &rsge);
	if (err)
		return expect_err(0, err, "ibv_post_recv");
	send_wr_fill(&wr, want.wr_id, IBV_WR_SEND, &sge, 1);
	if (solicited)
		wr.send_flags |= IBV_SEND_SOLICITED;
	err = ibv_post_send(l->sender, &wr, &bad);
	if (err)
		return expect_err(0, err, "ibv_post_send");
	/* The receive first: polling it does not disarm the CQ. */
	return expect_wc(l->recv_cq, &want, &wc, "receive of SEND %llu",
			 (unsigned long long)want.wr_id) &&
	       expect_wc(l->send_cq, &want, &wc, "SEND %llu",
			 (unsigned long long)want.wr_id);
}

static bool arm(struct loop *l, bool solicited_only)
{
	int err = ibv_req_notify_cq(l->recv_cq, solicited_only);

	return expect_err(0, err, "ibv_req_notify_cq(solicited_only %d)",
			  solicited_only);
}

/* After the SENDs of a case: an event came, or none did (a check). */
static void expect_event(struct loop *l, bool want, const char *what)
{
	int got = get_event(l, want ? EVENT_MS : NO_EVENT_MS);

	check(got == want, want ? "an event" : "no event",
	      got ? "an event" : "no event", "%s", what);
}

/* Leaves no arming behind: armed for the next, fired, taken. */
static void disarm(struct loop *l)
{
	arm(l, false);
	send_one(l, false);
	get_event(l, EVENT_MS);
}

static void case_next(struct loop *l)
{
	part_begin("next");
	arm(l, false);
	send_one(l, false);
	expect_event(l, true, "armed for the next completion, an unsolicited SEND");
	part_end();
}

static void case_solicited(struct loop *l)
{
	part_begin("solicited");
	arm(l, true);
	send_one(l, false);
	expect_event(l, false, "armed for solicited, an unsolicited SEND");
	send_one(l, true);
	expect_event(l, true, "armed for solicited, a solicited SEND");
	part_end();
}

static void case_both(struct loop *l, bool solicited_first)
{
	part_begin(solicited_first ? "sol_next" : "next_sol");
	arm(l, solicited_first);
	arm(l, !solicited_first);
	send_one(l, false);
	expect_event(l, true, solicited_first ?
		     "armed for solicited then next, an unsolicited SEND" :
		     "armed for next then solicited, an unsolicited SEND");
	/* If it failed, the CQ may still be armed: not for the next case. */
	if (!part_end())
		disarm(l);
}

static void case_once(struct loop *l)
{
	part_begin("once");
	arm(l, false);
	send_one(l, false);
	expect_event(l, true, "the first completion after arming");
	send_one(l, false);
	expect_event(l, false, "a second completion, not armed again");
	part_end();
}

static void loop_open(struct loop *l, const char *name)
{
	struct ibv_qp_init_attr init;
	struct rc_attr r;

	dev_open_roce(&l->dev, name);
	l->channel = ibv_create_comp_channel(l->dev.ctx);
	if (!l->channel)
		die("ibv_create_comp_channel: %s", strerror(errno));
	l->recv_cq = ibv_create_cq(l->dev.ctx, 16, NULL, l->channel, 0);
	l->send_cq = cq_create(&l->dev, 16);
	if (!l->recv_cq || !l->send_cq)
		die("cannot create the CQs");
	qp_init_attr_fill(&init, IBV_QPT_RC, l->send_cq, l->send_cq, NULL, 8, 8);
	l->sender = qp_create(&l->dev, &init);
	qp_init_attr_fill(&init, IBV_QPT_RC, l->send_cq, l->recv_cq, NULL, 8, 8);
	l->receiver = qp_create(&l->dev, &init);
	if (!l->sender || !l->receiver)
		die("cannot create the QPs");
	rc_attr_default(&r, &l->dev, l->receiver->qp_num);
	must(rc_connect(l->sender, &r));
	rc_attr_default(&r, &l->dev, l->sender->qp_num);
	must(rc_connect(l->receiver, &r));
	l->buf = calloc(1, BUF_SIZE);
	l->mr = l->buf ? ibv_reg_mr(l->dev.pd, l->buf, BUF_SIZE,
				    IBV_ACCESS_LOCAL_WRITE) : NULL;
	if (!l->mr)
		die("cannot register the buffer: %s", strerror(errno));
}

static void loop_close(struct loop *l)
{
	ibv_destroy_qp(l->sender);
	ibv_destroy_qp(l->receiver);
	ibv_dereg_mr(l->mr);
	free(l->buf);
	ibv_destroy_cq(l->send_cq);
	ibv_destroy_cq(l->recv_cq);
	ibv_destroy_comp_channel(l->channel);
	dev_close(&l->dev);
}

int main(int argc, char **argv)
{
	struct loop l = {};

	check_init("prxe_cq_events");
	if (argc != 2)
		die("usage: prxe_cq_events DEVICE");
	loop_open(&l, argv[1]);
	case_next(&l);
	case_solicited(&l);
	case_both(&l, true);
	case_both(&l, false);
	case_once(&l);
	loop_close(&l);
	return check_summary();
}
