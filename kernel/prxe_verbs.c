// SPDX-License-Identifier: GPL-2.0-only
/*
 * Verbs entry points of a prxe device: device and port queries, the user
 * context, protection domains, and the table of all verbs (the objects'
 * own verbs live in prxe_cq.c, prxe_mr.c, prxe_qp.c, prxe_srq.c,
 * prxe_ah.c, and those only kernel consumers call in prxe_kverbs.c).
 *
 * Locking: none of its own.  query_port takes RTNL inside
 * ib_get_eth_speed(), so nothing here may be called with RTNL held.
 */
#include <rdma/ib_addr.h>
#include <rdma/ib_mad.h>

#include "prxe.h"
#include "prxe_cq.h"
#include "prxe_mr.h"
#include "prxe_params.h"
#include "prxe_qp.h"
#include "prxe_srq.h"
#include "prxe_ud.h"

static int prxe_query_device(struct ib_device *ibdev,
			     struct ib_device_attr *attr,
			     struct ib_udata *udata)
{
	/* No driver-specific request or response data is defined. */
	if (udata && (udata->inlen || udata->outlen))
		return -EINVAL;

	memset(attr, 0, sizeof(*attr));
	attr->fw_ver = (u64)PRXE_FW_VER_MAJOR << 32 | PRXE_FW_VER_MINOR;
	attr->sys_image_guid = ibdev->node_guid;
	attr->vendor_id = PRXE_VENDOR_ID;
	attr->vendor_part_id = PRXE_VENDOR_PART_ID;
	attr->hw_ver = PRXE_HW_VER;
	attr->page_size_cap = PRXE_PAGE_SIZE_CAP;
	attr->max_pkeys = PRXE_MAX_PKEYS;
	attr->local_ca_ack_delay = PRXE_LOCAL_CA_ACK_DELAY;
	/*
	 * RC FLUSH (both placement types) and ATOMIC WRITE, on pinned and
	 * ODP regions; what persistence promises: prxe_persist.c.
	 */
	attr->device_cap_flags = IB_DEVICE_PORT_ACTIVE_EVENT |
				 IB_DEVICE_SYS_IMAGE_GUID |
				 IB_DEVICE_RC_RNR_NAK_GEN |
				 IB_DEVICE_FLUSH_GLOBAL |
				 IB_DEVICE_FLUSH_PERSISTENT |
				 IB_DEVICE_ATOMIC_WRITE;
	attr->max_mr_size = PRXE_MAX_MR_SIZE;
	attr->max_qp = PRXE_MAX_QP;
	attr->max_qp_wr = PRXE_MAX_QP_WR;
	attr->max_send_sge = PRXE_MAX_SGE;
	attr->max_recv_sge = PRXE_MAX_SGE;
	attr->max_sge_rd = PRXE_MAX_SGE;
	attr->max_cq = PRXE_MAX_CQ;
	attr->max_cqe = PRXE_MAX_CQE;
	attr->max_mr = PRXE_MAX_MR;
	attr->max_pd = PRXE_MAX_PD;
	attr->max_ah = PRXE_MAX_AH;
	attr->max_srq = PRXE_MAX_SRQ;
	attr->max_srq_wr = PRXE_MAX_SRQ_WR;
	attr->max_srq_sge = PRXE_MAX_SRQ_SGE;
	attr->max_qp_rd_atom = PRXE_MAX_RD_ATOMIC;
	attr->max_qp_init_rd_atom = PRXE_MAX_RD_ATOMIC;
	attr->max_res_rd_atom = PRXE_MAX_QP * PRXE_MAX_RD_ATOMIC;
	/* CMP_SWAP / FETCH_ADD, atomic among all of this device's QPs. */
	attr->atomic_cap = IB_ATOMIC_HCA;
	/*
	 * `rdma link delete` may remove the device.  Memory regions may be
	 * on-demand paging (IB_ACCESS_ON_DEMAND, prxe_odp.c) for every RC
	 * and UD operation prxe has, receive buffers posted to an SRQ
	 * included.
	 */
	attr->kernel_cap_flags = IBK_ALLOW_USER_UNREG | IBK_ON_DEMAND_PAGING;
	attr->odp_caps.general_caps = IB_ODP_SUPPORT;
	attr->odp_caps.per_transport_caps.rc_odp_caps = IB_ODP_SUPPORT_SEND |
		IB_ODP_SUPPORT_RECV | IB_ODP_SUPPORT_WRITE | IB_ODP_SUPPORT_READ |
		IB_ODP_SUPPORT_ATOMIC | IB_ODP_SUPPORT_SRQ_RECV |
		IB_ODP_SUPPORT_FLUSH | IB_ODP_SUPPORT_ATOMIC_WRITE;
	attr->odp_caps.per_transport_caps.ud_odp_caps = IB_ODP_SUPPORT_SEND |
		IB_ODP_SUPPORT_RECV;
	return 0;
}

/* Largest IB MTU whose packets, with all headers, fit the netdev MTU. */
static enum ib_mtu prxe_active_mtu(unsigned int ndev_mtu)
{
	static const enum ib_mtu mtus[] = {
		IB_MTU_4096, IB_MTU_2048, IB_MTU_1024, IB_MTU_512, IB_MTU_256,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mtus); i++)
		if (ib_mtu_enum_to_int(mtus[i]) + PRXE_MAX_HDR_LEN <= ndev_mtu)
			return mtus[i];
	return IB_MTU_256;
}

/* The port's active MTU in bytes: the largest message of a UD QP. */
u32 prxe_port_mtu(struct prxe_dev *prxe)
{
	return ib_mtu_enum_to_int(prxe_active_mtu(READ_ONCE(prxe->ndev->mtu)));
}

static int prxe_query_port(struct ib_device *ibdev, u32 port,
			   struct ib_port_attr *attr)
{
	struct prxe_dev *prxe = to_prxe_dev(ibdev);

	/* ib_core validated @port and zeroed @attr. */
	attr->state = prxe_port_state(prxe);
	attr->phys_state = attr->state == IB_PORT_ACTIVE ?
		IB_PORT_PHYS_STATE_LINK_UP : IB_PORT_PHYS_STATE_DISABLED;
	attr->max_mtu = IB_MTU_4096;
	attr->active_mtu = prxe_active_mtu(READ_ONCE(prxe->ndev->mtu));
	attr->gid_tbl_len = PRXE_GID_TABLE_LEN;
	attr->pkey_tbl_len = PRXE_MAX_PKEYS;
	attr->max_msg_sz = PRXE_MAX_MSG_SIZE;
	attr->max_vl_num = 1;
	return ib_get_eth_speed(ibdev, port, &attr->active_speed,
				&attr->active_width);
}

static int prxe_get_port_immutable(struct ib_device *ibdev, u32 port,
				   struct ib_port_immutable *immutable)
{
	immutable->pkey_tbl_len = PRXE_MAX_PKEYS;
	immutable->gid_tbl_len = PRXE_GID_TABLE_LEN;
	/* RoCEv2 only: ib_core fills the GID table with RoCEv2 entries. */
	immutable->core_cap_flags = RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP;
	immutable->max_mad_size = IB_MGMT_MAD_SIZE;
	return 0;
}

static enum rdma_link_layer prxe_get_link_layer(struct ib_device *ibdev,
						u32 port)
{
	return IB_LINK_LAYER_ETHERNET;
}

/* The one P_Key is the default full-membership key. */
static int prxe_query_pkey(struct ib_device *ibdev, u32 port, u16 index,
			   u16 *pkey)
{
	if (index >= PRXE_MAX_PKEYS)
		return -EINVAL;
	*pkey = IB_DEFAULT_PKEY_FULL;
	return 0;
}

static int prxe_alloc_ucontext(struct ib_ucontext *ibuc,
			       struct ib_udata *udata)
{
	struct prxe_alloc_ucontext_resp resp = {
		.abi_version = PRXE_UVERBS_ABI_VERSION,
	};

	if (udata->outlen < sizeof(resp)) {
		ibdev_dbg(ibuc->device,
			  "alloc_ucontext: response buffer of %zu bytes, need %zu: provider too old?\n",
			  udata->outlen, sizeof(resp));
		return -EINVAL;
	}
	return ib_copy_to_udata(udata, &resp, sizeof(resp));
}

/* A context owns nothing of its own yet; ib_core frees the object. */
static void prxe_dealloc_ucontext(struct ib_ucontext *ibuc)
{
}

/*
 * Present so that a device can be removed (`rdma link delete`, netdev
 * unregister) while applications still have it open: ib_core then revokes
 * their contexts instead of waiting for them to exit.  ib_core itself zaps
 * mappings made through rdma_user_mmap_entry, so there is nothing to add.
 */
static void prxe_disassociate_ucontext(struct ib_ucontext *ibuc)
{
}

/* A PD holds nothing but its identity. */
static int prxe_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	return 0;
}

static int prxe_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	return 0;
}

const struct ib_device_ops prxe_verbs_ops = {
	.query_device = prxe_query_device,
	.query_port = prxe_query_port,
	.query_pkey = prxe_query_pkey,
	.get_port_immutable = prxe_get_port_immutable,
	.get_link_layer = prxe_get_link_layer,
	.alloc_ucontext = prxe_alloc_ucontext,
	.dealloc_ucontext = prxe_dealloc_ucontext,
	.disassociate_ucontext = prxe_disassociate_ucontext,
	.mmap = prxe_mmap,
	.mmap_free = prxe_mmap_free,

	.alloc_pd = prxe_alloc_pd,
	.dealloc_pd = prxe_dealloc_pd,
	.create_cq = prxe_create_cq,
	.destroy_cq = prxe_destroy_cq,
	.req_notify_cq = prxe_req_notify_cq,
	.reg_user_mr = prxe_reg_user_mr,
	.dereg_mr = prxe_dereg_mr,
	.create_qp = prxe_create_qp,
	.modify_qp = prxe_modify_qp,
	.query_qp = prxe_query_qp,
	.destroy_qp = prxe_destroy_qp,
	.create_srq = prxe_create_srq,
	.modify_srq = prxe_modify_srq,
	.query_srq = prxe_query_srq,
	.destroy_srq = prxe_destroy_srq,
	.fill_res_mr_entry = prxe_fill_res_mr_entry,
	.fill_res_qp_entry = prxe_fill_res_qp_entry,
	.post_send = prxe_post_send,
	.post_recv = prxe_post_recv,
	.create_ah = prxe_create_ah,
	.create_user_ah = prxe_create_ah,
	.query_ah = prxe_query_ah,
	.destroy_ah = prxe_destroy_ah,

	/* Kernel consumers (prxe_kverbs.c): the MAD layer's GSI QP. */
	.get_dma_mr = prxe_get_dma_mr,
	.poll_cq = prxe_poll_cq,

	INIT_RDMA_OBJ_SIZE(ib_ucontext, prxe_ucontext, ibuc),
	INIT_RDMA_OBJ_SIZE(ib_pd, prxe_pd, ibpd),
	INIT_RDMA_OBJ_SIZE(ib_ah, prxe_ah, ibah),
	INIT_RDMA_OBJ_SIZE(ib_cq, prxe_cq, ibcq),
	INIT_RDMA_OBJ_SIZE(ib_qp, prxe_qp, ibqp),
	INIT_RDMA_OBJ_SIZE(ib_srq, prxe_srq, ibsrq),
};
