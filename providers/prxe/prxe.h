/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * prxe libibverbs provider: types shared by the provider's source files.
 */
#ifndef PRXE_PROVIDER_H
#define PRXE_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "pabi/pabi.h"
#include <rdma/prxe-abi.h>

/* Name under which the provider registers (ops->name, "driver prxe"). */
#define PRXE_PROVIDER_NAME	"prxe"
/* File libibverbs loads for "driver prxe": libprxe-rdmav<PABI>.so */
#define PRXE_PROVIDER_FILE	"lib" PRXE_PROVIDER_NAME PABI_PROVIDER_SUFFIX

/* One prxe ib_device, as seen by libibverbs. */
struct prxe_device {
	struct verbs_device vdev;
};

/* One open device context (ibv_open_device). */
struct prxe_context {
	struct verbs_context vctx;
	uint32_t abi_version;	/* from the ALLOC_UCONTEXT response */
};

static inline struct prxe_device *to_prxe_dev(struct ibv_device *ibdev)
{
	return (struct prxe_device *)((char *)ibdev -
				      offsetof(struct prxe_device, vdev.device));
}

static inline struct prxe_context *to_prxe_ctx(struct ibv_context *ibctx)
{
	return (struct prxe_context *)((char *)ibctx -
				       offsetof(struct prxe_context,
						vctx.context));
}

/* verbs.c: device and port queries. */
int prxe_query_device_ex(struct ibv_context *ibctx,
			 const struct ibv_query_device_ex_input *input,
			 struct ibv_device_attr_ex *attr, size_t attr_size);
int prxe_query_port(struct ibv_context *ibctx, uint8_t port_num,
		    struct ibv_port_attr *port_attr);

#endif /* PRXE_PROVIDER_H */
