/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libibverbs private provider interface, as of rdma-core 44 (Debian 12).
 *
 * rdma-core 44 has the same private ABI version (IBVERBS_PRIVATE_34) as 56,
 * and every structure and function prxe uses is identical between the two:
 * "git diff v44.0 v56.1 -- libibverbs/driver.h libibverbs/kern-abi.h" only
 * changes ibv_cmd_reg_dmabuf_mr() (an extra argument in 56), adds
 * ibv_cmd_create_cq_ex2() (56 only) and renames the constructor made by
 * PROVIDER_DRIVER(), none of which prxe uses.  So this variant reuses the
 * 56 declarations: the provider objects (verbs_mr, verbs_qp, verbs_cq), the
 * command buffers and every ibv_cmd_*() prxe calls are the same in both.
 * If prxe starts using one of the differing functions, split the
 * declarations here.  (The SRQ commands, ibv_cmd_{create,modify,query,
 * destroy}_srq() and their buffers, are the same in 44 and 56 too.)
 *
 * The public libibverbs headers of 44 differ from 56 (struct ibv_qp_ex has
 * no wr_atomic_write / wr_flush before rdma-core 45), so the shared layout
 * checks compare against the installed public structures, never against
 * numbers that hold for one version only.
 *
 * Do not include this file directly: include "pabi.h".
 */
#ifndef PRXE_PABI_RDMA_CORE_44_H
#define PRXE_PABI_RDMA_CORE_44_H

#include "rdma-core-56.h"

#endif /* PRXE_PABI_RDMA_CORE_44_H */
