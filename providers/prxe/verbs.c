// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe libibverbs provider: the control path that needs no rings.  Device
 * and port queries, protection domains, memory regions and address handles
 * are all the standard uverbs commands; prxe adds driver data only to the
 * CREATE_AH response (the AH's number for UD send WQEs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prxe.h"

int prxe_query_device_ex(struct ibv_context *ibctx,
			 const struct ibv_query_device_ex_input *input,
			 struct ibv_device_attr_ex *attr, size_t attr_size)
{
	struct ib_uverbs_ex_query_device_resp resp;
	size_t resp_size = sizeof(resp);
	uint64_t fw;
	int ret;

	ret = ibv_cmd_query_device_any(ibctx, input, attr, attr_size,
				       &resp, &resp_size);
	if (ret)
		return ret;

	/*
	 * prxe.ko reports fw_ver as major << 32 | minor; show it as its sysfs
	 * fw_ver attribute does, "major.minor".
	 */
	fw = resp.base.fw_ver;
	snprintf(attr->orig_attr.fw_ver, sizeof(attr->orig_attr.fw_ver),
		 "%u.%u", (unsigned int)(fw >> 32), (unsigned int)fw);
	return 0;
}

int prxe_query_port(struct ibv_context *ibctx, uint8_t port_num,
		    struct ibv_port_attr *port_attr)
{
	struct ibv_query_port cmd;

	memset(&cmd, 0, sizeof(cmd));
	return ibv_cmd_query_port(ibctx, port_num, port_attr,
				  &cmd, sizeof(cmd));
}

struct ibv_pd *prxe_alloc_pd(struct ibv_context *ibctx)
{
	struct ib_uverbs_alloc_pd_resp resp;
	struct ibv_alloc_pd cmd;
	struct ibv_pd *pd;
	int ret;

	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return NULL;

	memset(&cmd, 0, sizeof(cmd));
	ret = ibv_cmd_alloc_pd(ibctx, pd, &cmd, sizeof(cmd),
			       &resp, sizeof(resp));
	if (ret) {
		free(pd);
		errno = ret;
		return NULL;
	}
	return pd;
}

int prxe_dealloc_pd(struct ibv_pd *pd)
{
	int ret;

	ret = ibv_cmd_dealloc_pd(pd);
	if (ret)
		return ret;
	free(pd);
	return 0;
}

/*
 * Access flags go to the kernel as given, IBV_ACCESS_ON_DEMAND included
 * (an implicit ODP region is addr NULL, length SIZE_MAX: ibv_cmd_reg_mr
 * turns the length into the kernel's U64_MAX).
 */
struct ibv_mr *prxe_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			   uint64_t hca_va, int access)
{
	struct ib_uverbs_reg_mr_resp resp;
	struct ibv_reg_mr cmd;
	struct verbs_mr *vmr;
	int ret;

	vmr = calloc(1, sizeof(*vmr));
	if (!vmr)
		return NULL;

	memset(&cmd, 0, sizeof(cmd));
	ret = ibv_cmd_reg_mr(pd, addr, length, hca_va, access, vmr,
			     &cmd, sizeof(cmd), &resp, sizeof(resp));
	if (ret) {
		free(vmr);
		errno = ret;
		return NULL;
	}
	return &vmr->ibv_mr;
}

int prxe_dereg_mr(struct verbs_mr *vmr)
{
	int ret;

	ret = ibv_cmd_dereg_mr(vmr);
	if (ret)
		return ret;
	free(vmr);
	return 0;
}

/*
 * CREATE_AH response: the core part, then prxe's.  A union, as the core
 * struct ends in a flexible array.
 */
union prxe_create_ah_resp_buf {
	struct ib_uverbs_create_ah_resp ibv_resp;
	struct {
		__u8 core[sizeof(struct ib_uverbs_create_ah_resp)];
		struct prxe_create_ah_resp drv;
	};
};
static_assert(sizeof(union prxe_create_ah_resp_buf) ==
	      sizeof(struct ib_uverbs_create_ah_resp) +
	      sizeof(struct prxe_create_ah_resp),
	      "CREATE_AH response has no padding");

/*
 * The kernel resolves the destination (GID to MAC through the neighbour
 * table) in CREATE_AH; UD send WQEs then name the AH by its ah_num.
 */
struct ibv_ah *prxe_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr)
{
	union prxe_create_ah_resp_buf resp;
	struct prxe_ah *ah;
	int ret;

	ah = calloc(1, sizeof(*ah));
	if (!ah)
		return NULL;

	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_create_ah(pd, &ah->ibv_ah, attr, &resp.ibv_resp,
				sizeof(resp));
	if (ret) {
		free(ah);
		errno = ret;
		return NULL;
	}
	if (!resp.drv.ah_num) {
		/* A kernel that did not say which AH number to use. */
		ibv_cmd_destroy_ah(&ah->ibv_ah);
		free(ah);
		errno = EPROTO;
		return NULL;
	}
	ah->ah_num = resp.drv.ah_num;
	return &ah->ibv_ah;
}

int prxe_destroy_ah(struct ibv_ah *ibah)
{
	int ret;

	ret = ibv_cmd_destroy_ah(ibah);
	if (ret)
		return ret;
	free(to_prxe_ah(ibah));
	return 0;
}
