/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libibverbs private provider interface, as of rdma-core 56 (PABI 34).
 *
 * libibverbs-dev installs only the public verbs API.  The interface between
 * libibverbs and its providers (rdma-core's libibverbs/driver.h and
 * kern-abi.h) is private: it is versioned as IBVERBS_PRIVATE_<PABI> and may
 * change with any rdma-core release.  This file declares, from the ABI of
 * rdma-core 56.x, exactly the parts the prxe provider and its test programs
 * use, and nothing else.  Every structure here must have the same layout as
 * in the libibverbs.so.1 the provider is loaded into; the static asserts at
 * the end pin what can be pinned.
 *
 * Do not include this file directly: include "pabi.h", which picks the
 * variant matching the installed libibverbs.
 */
#ifndef PRXE_PABI_RDMA_CORE_56_H
#define PRXE_PABI_RDMA_CORE_56_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <assert.h>
#include <time.h>
#include <sys/types.h>

#include <infiniband/verbs.h>
#include <rdma/ib_user_verbs.h>

/* Private ABI version: the IBVERBS_PRIVATE_34 symbol version. */
#define PRXE_PABI_VERSION	34
/* libibverbs loads provider NAME from lib<NAME><PABI_PROVIDER_SUFFIX>. */
#define PABI_PROVIDER_SUFFIX	"-rdmav34.so"

/* Doubly linked list node (ccan/list.h struct list_node). */
struct pabi_list_node {
	struct pabi_list_node *next;
	struct pabi_list_node *prev;
};

struct verbs_xrcd;

/*
 * Provider objects that libibverbs itself looks into.  A provider embeds
 * them at the start of its own objects and allocates those.
 */
enum ibv_mr_type {
	IBV_MR_TYPE_MR,
	IBV_MR_TYPE_NULL_MR,
	IBV_MR_TYPE_IMPORTED_MR,
	IBV_MR_TYPE_DMABUF_MR,
};

/* A memory region; ibv_cmd_reg_mr() fills it in. */
struct verbs_mr {
	struct ibv_mr ibv_mr;
	enum ibv_mr_type mr_type;
	int access;
};

/* verbs_qp.comp_mask: VERBS_QP_EX makes ibv_qp_to_qp_ex() answer qp_ex. */
enum verbs_qp_mask {
	VERBS_QP_XRCD	= 1 << 0,
	VERBS_QP_EX	= 1 << 1,
};

/* A queue pair; the ibv_cmd_create_qp*() calls fill in qp and comp_mask. */
struct verbs_qp {
	union {
		struct ibv_qp qp;
		struct ibv_qp_ex qp_ex;
	};
	uint32_t comp_mask;
	struct verbs_xrcd *xrcd;
};

/* A completion queue, plain or extended (ibv_create_cq_ex). */
struct verbs_cq {
	union {
		struct ibv_cq cq;
		struct ibv_cq_ex cq_ex;
	};
};

/*
 * Entry of a provider's match table, ended by an all-zero (kind
 * VERBS_MATCH_SENTINEL) entry.  prxe matches through match_device and has
 * an empty table, but it must still pass one: libibverbs walks every
 * provider's table without a NULL check when a device has a driver id.
 */
#define VERBS_MATCH_SENTINEL	0

struct verbs_match_ent {
	void *driver_data;
	union {
		const char *modalias;
		uint64_t driver_id;
	} u;
	uint16_t vendor;
	uint16_t device;
	uint8_t kind;
};

/*
 * One rdma device found in sysfs.  libibverbs fills it in before asking the
 * providers whether they claim the device.
 */
struct verbs_sysfs_dev {
	struct pabi_list_node entry;
	void *provider_data;
	const struct verbs_match_ent *match;
	unsigned int flags;
	char sysfs_name[IBV_SYSFS_NAME_MAX];	/* "uverbsN" */
	dev_t sysfs_cdev;
	char ibdev_name[IBV_SYSFS_NAME_MAX];	/* "prxe0" */
	char ibdev_path[IBV_SYSFS_PATH_MAX];	/* "/sys/class/infiniband/prxe0" */
	char modalias[512];
	uint64_t node_guid;
	uint32_t driver_id;			/* enum rdma_driver_id */
	enum ibv_node_type node_type;
	int ibdev_idx;
	uint32_t num_ports;
	uint32_t abi_ver;			/* uverbs driver ABI version */
	struct timespec time_created;
};

/* What a provider registers with libibverbs. */
struct verbs_device_ops {
	const char *name;

	uint32_t match_min_abi_version;
	uint32_t match_max_abi_version;
	const struct verbs_match_ent *match_table;
	const struct verbs_device_ops **static_providers;

	/* Called for every device after table matching; decides alone. */
	bool (*match_device)(struct verbs_sysfs_dev *sysfs_dev);

	struct verbs_context *(*alloc_context)(struct ibv_device *device,
					       int cmd_fd, void *private_data);
	struct verbs_context *(*import_context)(struct ibv_device *device,
						int cmd_fd);

	struct verbs_device *(*alloc_device)(struct verbs_sysfs_dev *sysfs_dev);
	void (*uninit_device)(struct verbs_device *device);
};

/* The provider's device; struct ibv_device must be first. */
struct verbs_device {
	struct ibv_device device;
	const struct verbs_device_ops *ops;
	atomic_int refcount;
	struct pabi_list_node entry;
	struct verbs_sysfs_dev *sysfs;
	uint64_t core_support;
};

static inline struct verbs_device *pabi_verbs_device(struct ibv_device *dev)
{
	return (struct verbs_device *)((char *)dev -
				       offsetof(struct verbs_device, device));
}

/*
 * Every operation a provider can implement, in libibverbs' order (sorted by
 * name).  All 76 slots must be present even though prxe fills few of them:
 * libibverbs reads the whole table in verbs_set_ops().
 */
struct verbs_context_ops {
	int (*advise_mr)(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
			 uint32_t flags, struct ibv_sge *sg_list,
			 uint32_t num_sges);
	struct ibv_dm *(*alloc_dm)(struct ibv_context *context,
				   struct ibv_alloc_dm_attr *attr);
	struct ibv_mw *(*alloc_mw)(struct ibv_pd *pd, enum ibv_mw_type type);
	struct ibv_mr *(*alloc_null_mr)(struct ibv_pd *pd);
	struct ibv_pd *(*alloc_parent_domain)(
		struct ibv_context *context,
		struct ibv_parent_domain_init_attr *attr);
	struct ibv_pd *(*alloc_pd)(struct ibv_context *context);
	struct ibv_td *(*alloc_td)(struct ibv_context *context,
				   struct ibv_td_init_attr *init_attr);
	void (*async_event)(struct ibv_context *context,
			    struct ibv_async_event *event);
	int (*attach_counters_point_flow)(struct ibv_counters *counters,
					  struct ibv_counter_attach_attr *attr,
					  struct ibv_flow *flow);
	int (*attach_mcast)(struct ibv_qp *qp, const union ibv_gid *gid,
			    uint16_t lid);
	int (*bind_mw)(struct ibv_qp *qp, struct ibv_mw *mw,
		       struct ibv_mw_bind *mw_bind);
	int (*close_xrcd)(struct ibv_xrcd *xrcd);
	void (*cq_event)(struct ibv_cq *cq);
	struct ibv_ah *(*create_ah)(struct ibv_pd *pd, struct ibv_ah_attr *attr);
	struct ibv_counters *(*create_counters)(
		struct ibv_context *context,
		struct ibv_counters_init_attr *init_attr);
	struct ibv_cq *(*create_cq)(struct ibv_context *context, int cqe,
				    struct ibv_comp_channel *channel,
				    int comp_vector);
	struct ibv_cq_ex *(*create_cq_ex)(struct ibv_context *context,
					  struct ibv_cq_init_attr_ex *init_attr);
	struct ibv_flow *(*create_flow)(struct ibv_qp *qp,
					struct ibv_flow_attr *flow_attr);
	struct ibv_flow_action *(*create_flow_action_esp)(
		struct ibv_context *context,
		struct ibv_flow_action_esp_attr *attr);
	struct ibv_qp *(*create_qp)(struct ibv_pd *pd,
				    struct ibv_qp_init_attr *attr);
	struct ibv_qp *(*create_qp_ex)(struct ibv_context *context,
				       struct ibv_qp_init_attr_ex *attr);
	struct ibv_rwq_ind_table *(*create_rwq_ind_table)(
		struct ibv_context *context,
		struct ibv_rwq_ind_table_init_attr *init_attr);
	struct ibv_srq *(*create_srq)(struct ibv_pd *pd,
				      struct ibv_srq_init_attr *attr);
	struct ibv_srq *(*create_srq_ex)(struct ibv_context *context,
					 struct ibv_srq_init_attr_ex *attr);
	struct ibv_wq *(*create_wq)(struct ibv_context *context,
				    struct ibv_wq_init_attr *attr);
	int (*dealloc_mw)(struct ibv_mw *mw);
	int (*dealloc_pd)(struct ibv_pd *pd);
	int (*dealloc_td)(struct ibv_td *td);
	int (*dereg_mr)(struct verbs_mr *vmr);
	int (*destroy_ah)(struct ibv_ah *ah);
	int (*destroy_counters)(struct ibv_counters *counters);
	int (*destroy_cq)(struct ibv_cq *cq);
	int (*destroy_flow)(struct ibv_flow *flow);
	int (*destroy_flow_action)(struct ibv_flow_action *action);
	int (*destroy_qp)(struct ibv_qp *qp);
	int (*destroy_rwq_ind_table)(struct ibv_rwq_ind_table *rwq_ind_table);
	int (*destroy_srq)(struct ibv_srq *srq);
	int (*destroy_wq)(struct ibv_wq *wq);
	int (*detach_mcast)(struct ibv_qp *qp, const union ibv_gid *gid,
			    uint16_t lid);
	void (*free_context)(struct ibv_context *context);
	int (*free_dm)(struct ibv_dm *dm);
	int (*get_srq_num)(struct ibv_srq *srq, uint32_t *srq_num);
	struct ibv_dm *(*import_dm)(struct ibv_context *context,
				    uint32_t dm_handle);
	struct ibv_mr *(*import_mr)(struct ibv_pd *pd, uint32_t mr_handle);
	struct ibv_pd *(*import_pd)(struct ibv_context *context,
				    uint32_t pd_handle);
	int (*modify_cq)(struct ibv_cq *cq, struct ibv_modify_cq_attr *attr);
	int (*modify_flow_action_esp)(struct ibv_flow_action *action,
				      struct ibv_flow_action_esp_attr *attr);
	int (*modify_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			 int attr_mask);
	int (*modify_qp_rate_limit)(struct ibv_qp *qp,
				    struct ibv_qp_rate_limit_attr *attr);
	int (*modify_srq)(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr,
			  int srq_attr_mask);
	int (*modify_wq)(struct ibv_wq *wq, struct ibv_wq_attr *wq_attr);
	struct ibv_qp *(*open_qp)(struct ibv_context *context,
				  struct ibv_qp_open_attr *attr);
	struct ibv_xrcd *(*open_xrcd)(struct ibv_context *context,
				      struct ibv_xrcd_init_attr *attr);
	int (*poll_cq)(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc);
	int (*post_recv)(struct ibv_qp *qp, struct ibv_recv_wr *wr,
			 struct ibv_recv_wr **bad_wr);
	int (*post_send)(struct ibv_qp *qp, struct ibv_send_wr *wr,
			 struct ibv_send_wr **bad_wr);
	int (*post_srq_ops)(struct ibv_srq *srq, struct ibv_ops_wr *op,
			    struct ibv_ops_wr **bad_op);
	int (*post_srq_recv)(struct ibv_srq *srq, struct ibv_recv_wr *recv_wr,
			     struct ibv_recv_wr **bad_recv_wr);
	int (*query_device_ex)(struct ibv_context *context,
			       const struct ibv_query_device_ex_input *input,
			       struct ibv_device_attr_ex *attr,
			       size_t attr_size);
	int (*query_ece)(struct ibv_qp *qp, struct ibv_ece *ece);
	int (*query_port)(struct ibv_context *context, uint8_t port_num,
			  struct ibv_port_attr *port_attr);
	int (*query_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			int attr_mask, struct ibv_qp_init_attr *init_attr);
	int (*query_qp_data_in_order)(struct ibv_qp *qp, enum ibv_wr_opcode op,
				      uint32_t flags);
	int (*query_rt_values)(struct ibv_context *context,
			       struct ibv_values_ex *values);
	int (*query_srq)(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr);
	int (*read_counters)(struct ibv_counters *counters,
			     uint64_t *counters_value, uint32_t ncounters,
			     uint32_t flags);
	struct ibv_mr *(*reg_dm_mr)(struct ibv_pd *pd, struct ibv_dm *dm,
				    uint64_t dm_offset, size_t length,
				    unsigned int access);
	struct ibv_mr *(*reg_dmabuf_mr)(struct ibv_pd *pd, uint64_t offset,
					size_t length, uint64_t iova, int fd,
					int access);
	struct ibv_mr *(*reg_mr)(struct ibv_pd *pd, void *addr, size_t length,
				 uint64_t hca_va, int access);
	int (*req_notify_cq)(struct ibv_cq *cq, int solicited_only);
	int (*rereg_mr)(struct verbs_mr *vmr, int flags, struct ibv_pd *pd,
			void *addr, size_t length, int access);
	int (*resize_cq)(struct ibv_cq *cq, int cqe);
	int (*set_ece)(struct ibv_qp *qp, struct ibv_ece *ece);
	void (*unimport_dm)(struct ibv_dm *dm);
	void (*unimport_mr)(struct ibv_mr *mr);
	void (*unimport_pd)(struct ibv_pd *pd);
};

/*
 * Write-command buffers libibverbs fills in (rdma-core kern-abi.h): the
 * uverbs command header followed by the kernel's request structure, with any
 * driver data after it.  prxe sends no driver data with these.
 */
struct ibv_get_context {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
};

struct ibv_query_port {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u8 port_num;
	__u8 reserved[7];
};

/* Header of the extended write commands (IB_USER_VERBS_CMD_FLAG_EXTENDED). */
struct ex_hdr {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_ex_cmd_hdr ex_hdr;
};

struct ibv_alloc_pd {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
};

struct ibv_reg_mr {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 hca_va;
	__u32 pd_handle;
	__u32 access_flags;
};

struct ibv_create_cq {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__aligned_u64 user_handle;
	__u32 cqe;
	__u32 comp_vector;
	__s32 comp_channel;
	__u32 reserved;
};

struct ibv_create_cq_ex {
	struct ex_hdr hdr;
	struct ib_uverbs_ex_create_cq core_payload;
};

struct ibv_create_qp_ex {
	struct ex_hdr hdr;
	struct ib_uverbs_ex_create_qp core_payload;
};

struct ibv_modify_qp {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_modify_qp core_payload;
};

struct ibv_query_qp {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u32 qp_handle;
	__u32 attr_mask;
};

struct ibv_create_srq {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_create_srq core_payload;
};

struct ibv_modify_srq {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_modify_srq core_payload;
};

struct ibv_query_srq {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_query_srq core_payload;
};

/* Functions exported by libibverbs.so.1 as IBVERBS_PRIVATE_34. */
void verbs_register_driver_34(const struct verbs_device_ops *ops);

void *_verbs_init_and_alloc_context(struct ibv_device *device, int cmd_fd,
				    size_t alloc_size,
				    struct verbs_context *context_offset,
				    uint32_t driver_id);
void verbs_uninit_context(struct verbs_context *context);
void verbs_set_ops(struct verbs_context *vctx,
		   const struct verbs_context_ops *ops);

int ibv_cmd_get_context(struct verbs_context *context,
			struct ibv_get_context *cmd, size_t cmd_size,
			struct ib_uverbs_get_context_resp *resp,
			size_t resp_size);
int ibv_cmd_query_device_any(struct ibv_context *context,
			     const struct ibv_query_device_ex_input *input,
			     struct ibv_device_attr_ex *attr, size_t attr_size,
			     struct ib_uverbs_ex_query_device_resp *resp,
			     size_t *resp_size);
int ibv_cmd_query_port(struct ibv_context *context, uint8_t port_num,
		       struct ibv_port_attr *port_attr,
		       struct ibv_query_port *cmd, size_t cmd_size);

int ibv_cmd_alloc_pd(struct ibv_context *context, struct ibv_pd *pd,
		     struct ibv_alloc_pd *cmd, size_t cmd_size,
		     struct ib_uverbs_alloc_pd_resp *resp, size_t resp_size);
int ibv_cmd_dealloc_pd(struct ibv_pd *pd);
int ibv_cmd_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
		   uint64_t hca_va, int access, struct verbs_mr *vmr,
		   struct ibv_reg_mr *cmd, size_t cmd_size,
		   struct ib_uverbs_reg_mr_resp *resp, size_t resp_size);
int ibv_cmd_dereg_mr(struct verbs_mr *vmr);

int ibv_cmd_create_cq(struct ibv_context *context, int cqe,
		      struct ibv_comp_channel *channel, int comp_vector,
		      struct ibv_cq *cq, struct ibv_create_cq *cmd,
		      size_t cmd_size, struct ib_uverbs_create_cq_resp *resp,
		      size_t resp_size);
int ibv_cmd_create_cq_ex(struct ibv_context *context,
			 const struct ibv_cq_init_attr_ex *cq_attr,
			 struct verbs_cq *cq, struct ibv_create_cq_ex *cmd,
			 size_t cmd_size,
			 struct ib_uverbs_ex_create_cq_resp *resp,
			 size_t resp_size, uint32_t cmd_flags);
int ibv_cmd_req_notify_cq(struct ibv_cq *cq, int solicited_only);
int ibv_cmd_destroy_cq(struct ibv_cq *cq);

int ibv_cmd_create_qp_ex2(struct ibv_context *context, struct verbs_qp *qp,
			  struct ibv_qp_init_attr_ex *attr_ex,
			  struct ibv_create_qp_ex *cmd, size_t cmd_size,
			  struct ib_uverbs_ex_create_qp_resp *resp,
			  size_t resp_size);
int ibv_cmd_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *qp_attr,
		     int attr_mask, struct ibv_qp_init_attr *qp_init_attr,
		     struct ibv_query_qp *cmd, size_t cmd_size);
int ibv_cmd_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr,
		      int attr_mask, struct ibv_modify_qp *cmd,
		      size_t cmd_size);
int ibv_cmd_destroy_qp(struct ibv_qp *qp);

int ibv_cmd_create_srq(struct ibv_pd *pd, struct ibv_srq *srq,
		       struct ibv_srq_init_attr *attr,
		       struct ibv_create_srq *cmd, size_t cmd_size,
		       struct ib_uverbs_create_srq_resp *resp, size_t resp_size);
int ibv_cmd_modify_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr,
		       int srq_attr_mask, struct ibv_modify_srq *cmd,
		       size_t cmd_size);
int ibv_cmd_query_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr,
		      struct ibv_query_srq *cmd, size_t cmd_size);
int ibv_cmd_destroy_srq(struct ibv_srq *srq);

int ibv_cmd_create_ah(struct ibv_pd *pd, struct ibv_ah *ah,
		      struct ibv_ah_attr *attr,
		      struct ib_uverbs_create_ah_resp *resp, size_t resp_size);
int ibv_cmd_destroy_ah(struct ibv_ah *ah);

#define pabi_register_driver(ops)	verbs_register_driver_34(ops)

/*
 * Layout checks.  The ops table is 76 function pointers; the index of each
 * slot prxe fills is its position in the sorted list above.
 */
#define PABI_OPS_SLOT(n)	((n) * sizeof(void (*)(void)))
static_assert(sizeof(struct verbs_context_ops) == PABI_OPS_SLOT(76),
	      "verbs_context_ops must have 76 slots (rdma-core 56)");
static_assert(offsetof(struct verbs_context_ops, free_context) ==
	      PABI_OPS_SLOT(39), "verbs_context_ops.free_context slot");
static_assert(offsetof(struct verbs_context_ops, query_device_ex) ==
	      PABI_OPS_SLOT(58), "verbs_context_ops.query_device_ex slot");
static_assert(offsetof(struct verbs_context_ops, query_port) ==
	      PABI_OPS_SLOT(60), "verbs_context_ops.query_port slot");
static_assert(offsetof(struct verbs_context_ops, unimport_pd) ==
	      PABI_OPS_SLOT(75), "verbs_context_ops.unimport_pd slot");
static_assert(offsetof(struct verbs_context_ops, alloc_pd) ==
	      PABI_OPS_SLOT(5), "verbs_context_ops.alloc_pd slot");
static_assert(offsetof(struct verbs_context_ops, create_ah) ==
	      PABI_OPS_SLOT(13), "verbs_context_ops.create_ah slot");
static_assert(offsetof(struct verbs_context_ops, create_cq) ==
	      PABI_OPS_SLOT(15), "verbs_context_ops.create_cq slot");
static_assert(offsetof(struct verbs_context_ops, create_cq_ex) ==
	      PABI_OPS_SLOT(16), "verbs_context_ops.create_cq_ex slot");
static_assert(offsetof(struct verbs_context_ops, create_qp) ==
	      PABI_OPS_SLOT(19), "verbs_context_ops.create_qp slot");
static_assert(offsetof(struct verbs_context_ops, create_qp_ex) ==
	      PABI_OPS_SLOT(20), "verbs_context_ops.create_qp_ex slot");
static_assert(offsetof(struct verbs_context_ops, create_srq) ==
	      PABI_OPS_SLOT(22), "verbs_context_ops.create_srq slot");
static_assert(offsetof(struct verbs_context_ops, destroy_srq) ==
	      PABI_OPS_SLOT(36), "verbs_context_ops.destroy_srq slot");
static_assert(offsetof(struct verbs_context_ops, modify_srq) ==
	      PABI_OPS_SLOT(49), "verbs_context_ops.modify_srq slot");
static_assert(offsetof(struct verbs_context_ops, post_srq_recv) ==
	      PABI_OPS_SLOT(57), "verbs_context_ops.post_srq_recv slot");
static_assert(offsetof(struct verbs_context_ops, query_srq) ==
	      PABI_OPS_SLOT(64), "verbs_context_ops.query_srq slot");
static_assert(offsetof(struct verbs_context_ops, dealloc_pd) ==
	      PABI_OPS_SLOT(26), "verbs_context_ops.dealloc_pd slot");
static_assert(offsetof(struct verbs_context_ops, dereg_mr) ==
	      PABI_OPS_SLOT(28), "verbs_context_ops.dereg_mr slot");
static_assert(offsetof(struct verbs_context_ops, destroy_ah) ==
	      PABI_OPS_SLOT(29), "verbs_context_ops.destroy_ah slot");
static_assert(offsetof(struct verbs_context_ops, destroy_cq) ==
	      PABI_OPS_SLOT(31), "verbs_context_ops.destroy_cq slot");
static_assert(offsetof(struct verbs_context_ops, destroy_qp) ==
	      PABI_OPS_SLOT(34), "verbs_context_ops.destroy_qp slot");
static_assert(offsetof(struct verbs_context_ops, modify_qp) ==
	      PABI_OPS_SLOT(47), "verbs_context_ops.modify_qp slot");
static_assert(offsetof(struct verbs_context_ops, poll_cq) ==
	      PABI_OPS_SLOT(53), "verbs_context_ops.poll_cq slot");
static_assert(offsetof(struct verbs_context_ops, post_recv) ==
	      PABI_OPS_SLOT(54), "verbs_context_ops.post_recv slot");
static_assert(offsetof(struct verbs_context_ops, post_send) ==
	      PABI_OPS_SLOT(55), "verbs_context_ops.post_send slot");
static_assert(offsetof(struct verbs_context_ops, query_qp) ==
	      PABI_OPS_SLOT(61), "verbs_context_ops.query_qp slot");
static_assert(offsetof(struct verbs_context_ops, reg_mr) ==
	      PABI_OPS_SLOT(68), "verbs_context_ops.reg_mr slot");
static_assert(offsetof(struct verbs_context_ops, req_notify_cq) ==
	      PABI_OPS_SLOT(69), "verbs_context_ops.req_notify_cq slot");

/* Objects: libibverbs' view of the provider's objects must open them. */
static_assert(offsetof(struct verbs_mr, ibv_mr) == 0, "verbs_mr.ibv_mr");
static_assert(offsetof(struct verbs_mr, mr_type) == sizeof(struct ibv_mr),
	      "verbs_mr.mr_type follows struct ibv_mr");
static_assert(offsetof(struct verbs_qp, qp) == 0 &&
	      offsetof(struct verbs_qp, qp_ex) == 0 &&
	      offsetof(struct ibv_qp_ex, qp_base) == 0,
	      "verbs_qp opens with struct ibv_qp, also as ibv_qp_ex.qp_base");
static_assert(offsetof(struct verbs_qp, comp_mask) ==
	      sizeof(struct ibv_qp_ex), "verbs_qp.comp_mask follows qp_ex");
static_assert(offsetof(struct verbs_cq, cq) == 0 &&
	      offsetof(struct verbs_cq, cq_ex) == 0 &&
	      sizeof(struct verbs_cq) == sizeof(struct ibv_cq_ex),
	      "verbs_cq is ibv_cq / ibv_cq_ex");

/* Command buffers: header, then exactly the kernel's request. */
#define PABI_CMD_SIZE(type, kreq) \
	static_assert(sizeof(struct type) == \
		      sizeof(struct ib_uverbs_cmd_hdr) + sizeof(struct kreq), \
		      #type " size")
#define PABI_CMD_EX_SIZE(type, kreq) \
	static_assert(sizeof(struct type) == \
		      sizeof(struct ex_hdr) + sizeof(struct kreq), \
		      #type " size")
#define PABI_CMD_FIELD(type, field, kreq) \
	static_assert(offsetof(struct type, field) == \
		      sizeof(struct ib_uverbs_cmd_hdr) + \
		      offsetof(struct kreq, field), #type "." #field " offset")

static_assert(sizeof(struct ex_hdr) == 24, "ex_hdr size");
PABI_CMD_SIZE(ibv_alloc_pd, ib_uverbs_alloc_pd);
PABI_CMD_SIZE(ibv_reg_mr, ib_uverbs_reg_mr);
PABI_CMD_FIELD(ibv_reg_mr, hca_va, ib_uverbs_reg_mr);
PABI_CMD_FIELD(ibv_reg_mr, access_flags, ib_uverbs_reg_mr);
PABI_CMD_SIZE(ibv_create_cq, ib_uverbs_create_cq);
PABI_CMD_FIELD(ibv_create_cq, comp_channel, ib_uverbs_create_cq);
PABI_CMD_EX_SIZE(ibv_create_cq_ex, ib_uverbs_ex_create_cq);
PABI_CMD_EX_SIZE(ibv_create_qp_ex, ib_uverbs_ex_create_qp);
PABI_CMD_SIZE(ibv_modify_qp, ib_uverbs_modify_qp);
PABI_CMD_SIZE(ibv_query_qp, ib_uverbs_query_qp);
PABI_CMD_FIELD(ibv_query_qp, attr_mask, ib_uverbs_query_qp);
PABI_CMD_SIZE(ibv_create_srq, ib_uverbs_create_srq);
PABI_CMD_SIZE(ibv_modify_srq, ib_uverbs_modify_srq);
PABI_CMD_SIZE(ibv_query_srq, ib_uverbs_query_srq);

static_assert(offsetof(struct verbs_device, device) == 0,
	      "struct ibv_device must open struct verbs_device");
static_assert(offsetof(struct verbs_device, ops) == sizeof(struct ibv_device),
	      "verbs_device.ops follows struct ibv_device");

static_assert(sizeof(struct ibv_get_context) ==
	      sizeof(struct ib_uverbs_cmd_hdr) +
	      sizeof(struct ib_uverbs_get_context), "ibv_get_context size");
static_assert(sizeof(struct ibv_query_port) ==
	      sizeof(struct ib_uverbs_cmd_hdr) +
	      sizeof(struct ib_uverbs_query_port), "ibv_query_port size");
static_assert(offsetof(struct ibv_query_port, port_num) ==
	      sizeof(struct ib_uverbs_cmd_hdr) +
	      offsetof(struct ib_uverbs_query_port, port_num),
	      "ibv_query_port.port_num offset");

#if defined(__x86_64__) && defined(__LP64__)
/* Sizes and offsets computed by hand for x86_64 (LP64, 64-bit time_t). */
static_assert(sizeof(struct verbs_match_ent) == 24, "verbs_match_ent size");
static_assert(offsetof(struct verbs_match_ent, kind) == 20,
	      "verbs_match_ent.kind offset");
static_assert(sizeof(struct verbs_device_ops) == 72, "verbs_device_ops size");
static_assert(offsetof(struct verbs_device_ops, match_device) == 32,
	      "verbs_device_ops.match_device offset");
static_assert(offsetof(struct verbs_device_ops, alloc_device) == 56,
	      "verbs_device_ops.alloc_device offset");
static_assert(sizeof(struct ibv_device) == 664, "ibv_device size");
static_assert(sizeof(struct verbs_device) == 712, "verbs_device size");
static_assert(offsetof(struct verbs_device, sysfs) == 696,
	      "verbs_device.sysfs offset");
static_assert(offsetof(struct verbs_sysfs_dev, ibdev_path) == 176,
	      "verbs_sysfs_dev.ibdev_path offset");
static_assert(offsetof(struct verbs_sysfs_dev, abi_ver) == 968,
	      "verbs_sysfs_dev.abi_ver offset");
static_assert(sizeof(struct verbs_sysfs_dev) == 992, "verbs_sysfs_dev size");
static_assert(sizeof(struct verbs_mr) == 56, "verbs_mr size");
static_assert(sizeof(struct ibv_reg_mr) == 48, "ibv_reg_mr size");
static_assert(sizeof(struct ibv_create_cq) == 40, "ibv_create_cq size");
static_assert(sizeof(struct ibv_create_cq_ex) == 56, "ibv_create_cq_ex size");
static_assert(sizeof(struct ibv_create_qp_ex) == 88, "ibv_create_qp_ex size");
static_assert(sizeof(struct ibv_modify_qp) == 120, "ibv_modify_qp size");
static_assert(sizeof(struct ibv_query_qp) == 24, "ibv_query_qp size");
#endif

#endif /* PRXE_PABI_RDMA_CORE_56_H */
