// SPDX-License-Identifier: GPL-2.0-only
/*
 * Address handles: the destination of UD work requests.
 *
 * An AH is resolved once, at creation, into a struct prxe_av.  UD send
 * WQEs name it by its number (ah_num; user WQEs cannot carry a kernel
 * pointer), and the requester copies the address vector out under the
 * table's lock when it takes the WQE, so destroying an AH never races
 * with a send that uses it.
 *
 * ib_core may create and destroy kernel AHs in atomic context (without
 * RDMA_CREATE_AH_SLEEPABLE / RDMA_DESTROY_AH_SLEEPABLE): nothing here
 * sleeps then.
 *
 * Locking: the xarray's own lock (irq-safe), alone.
 */
#include "prxe.h"
#include "prxe_params.h"
#include "prxe_ud.h"

void prxe_ah_table_init(struct prxe_dev *prxe)
{
	xa_init_flags(&prxe->ahs, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_IRQ);
}

int prxe_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		   struct ib_udata *udata)
{
	struct prxe_dev *prxe = to_prxe_dev(ibah->device);
	gfp_t gfp = init->flags & RDMA_CREATE_AH_SLEEPABLE ? GFP_KERNEL :
							      GFP_ATOMIC;
	struct prxe_create_ah_resp resp = {};
	struct prxe_ah *ah = to_prxe_ah(ibah);
	unsigned long flags;
	int err;

	if (udata && udata->outlen < sizeof(resp))
		return -EINVAL;
	err = prxe_av_from_ah_attr(&ah->av, init->ah_attr);
	if (err) {
		ibdev_dbg(ibah->device,
			  "create_ah: not a RoCEv2 destination (%d)\n", err);
		return err;
	}

	xa_lock_irqsave(&prxe->ahs, flags);
	err = __xa_alloc(&prxe->ahs, &ah->ah_num, ah,
			 XA_LIMIT(1, PRXE_MAX_AH), gfp);
	xa_unlock_irqrestore(&prxe->ahs, flags);
	if (err)
		return err == -EBUSY ? -ENOMEM : err;

	if (udata) {
		resp.ah_num = ah->ah_num;
		err = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (err) {
			xa_erase_irq(&prxe->ahs, ah->ah_num);
			return err;
		}
	}
	return 0;
}

int prxe_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr)
{
	prxe_av_to_ah_attr(&to_prxe_ah(ibah)->av, ibah->device, attr);
	return 0;
}

int prxe_destroy_ah(struct ib_ah *ibah, u32 flags)
{
	struct prxe_dev *prxe = to_prxe_dev(ibah->device);
	unsigned long irqflags;

	/* Once out of the table under its lock, no one copies from it. */
	xa_lock_irqsave(&prxe->ahs, irqflags);
	__xa_erase(&prxe->ahs, to_prxe_ah(ibah)->ah_num);
	xa_unlock_irqrestore(&prxe->ahs, irqflags);
	return 0;
}

/*
 * The address vector of AH @ah_num, which must belong to @pd (a WQE may
 * name any number).  0, or -EINVAL.
 */
int prxe_ah_av(struct prxe_dev *prxe, u32 ah_num, struct ib_pd *pd,
	       struct prxe_av *av)
{
	struct prxe_ah *ah;
	unsigned long flags;
	int err = -EINVAL;

	xa_lock_irqsave(&prxe->ahs, flags);
	ah = xa_load(&prxe->ahs, ah_num);
	if (ah && ah->ibah.pd == pd) {
		*av = ah->av;
		err = 0;
	}
	xa_unlock_irqrestore(&prxe->ahs, flags);
	return err;
}
