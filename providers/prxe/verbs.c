// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe libibverbs provider: device and port queries (ibv_query_device_ex,
 * ibv_query_port).  Both are answered by the kernel through the standard
 * uverbs commands; prxe adds no driver data to them.
 */
#include <stdio.h>
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
