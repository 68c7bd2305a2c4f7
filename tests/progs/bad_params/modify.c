// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_bad_params 4: ibv_modify_qp through RESET, INIT, RTR and RTS with
 * each attribute out of range, and a transition the state machine does
 * not have.
 */
#include <errno.h>

#include "bad_params.h"

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

/* The good transition to @state, as the QP connected to itself takes it. */
static int good_transition(const struct rc_attr *r, struct ibv_qp_attr *a,
			   enum ibv_qp_state state)
{
	if (state == IBV_QPS_INIT)
		return qp_attr_to_init(a, r);
	if (state == IBV_QPS_RTR)
		return qp_attr_to_rtr(a, r);
	return qp_attr_to_rts(a, r);
}

/* Each of @bad, alone on top of a good @state transition: EINVAL. */
static void bad_transitions(const struct rc_attr *r, struct ibv_qp *qp,
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
		mask = good_transition(r, &a, state);
		set_field(&a, bad[i].field, bad[i].value);
		expect_err(EINVAL, ibv_modify_qp(qp, &a, mask),
			   "modify_qp to %s with %s %u", names[state],
			   bad[i].name, bad[i].value);
	}
}

void check_modify(struct env *e)
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
	struct ibv_qp_attr a;
	struct rc_attr r;
	struct ibv_qp *qp;
	struct loop l;

	if (loop_create(e, &l, 0))
		return;
	qp = l.qp;
	rc_attr_default(&r, &e->dev, qp->qp_num);

	expect_err(EINVAL, ibv_modify_qp(qp, &a, qp_attr_to_rts(&a, &r)),
		   "modify_qp RESET -> RTS");
	bad_transitions(&r, qp, IBV_QPS_INIT, init_bad, ARRAY_SIZE(init_bad));
	if (!expect_err(0, ibv_modify_qp(qp, &a, qp_attr_to_init(&a, &r)),
			"modify_qp RESET -> INIT"))
		goto out;
	bad_transitions(&r, qp, IBV_QPS_RTR, rtr_bad, ARRAY_SIZE(rtr_bad));
	if (!expect_err(0, ibv_modify_qp(qp, &a, qp_attr_to_rtr(&a, &r)),
			"modify_qp INIT -> RTR"))
		goto out;
	bad_transitions(&r, qp, IBV_QPS_RTS, rts_bad, ARRAY_SIZE(rts_bad));
	expect_err(0, ibv_modify_qp(qp, &a, qp_attr_to_rts(&a, &r)),
		   "modify_qp RTR -> RTS");
out:
	loop_free(&l);
}
