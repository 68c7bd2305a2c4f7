// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_bad_params 7: destroying a CQ a QP uses and a PD an MR uses: EBUSY.
 */
#include <errno.h>

#include "bad_params.h"

static void check_cq_in_use(struct env *e)
{
	struct loop l;
	int ret;

	if (loop_create(e, &l, 0))
		return;
	ret = ibv_destroy_cq(l.scq);
	expect_err(EBUSY, ret, "ibv_destroy_cq of a CQ a QP uses");
	if (!ret)
		l.scq = NULL;
	loop_free(&l);
}

static void check_pd_in_use(struct env *e)
{
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	int ret;

	pd = ibv_alloc_pd(e->dev.ctx);
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

void check_in_use(struct env *e)
{
	check_cq_in_use(e);
	check_pd_in_use(e);
}
