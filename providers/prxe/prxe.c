// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe libibverbs provider: registration, device matching, device contexts
 * (ibv_open_device / ibv_close_device) with their table of verbs, and the
 * mapping of the kernel's rings on a context's command fd.
 *
 * prxe.ko has no rdma-core driver id and the user names its devices, so the
 * provider claims a device by the sysfs attribute every prxe ib_device has
 * (PRXE_SYSFS_ABI_ATTR), never by its name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "prxe.h"

static void prxe_free_context(struct ibv_context *ibctx)
{
	struct prxe_context *ctx = to_prxe_ctx(ibctx);

	verbs_uninit_context(&ctx->vctx);
	free(ctx);
}

/* libibverbs answers EOPNOTSUPP for the verbs not listed. */
static const struct verbs_context_ops prxe_ctx_ops = {
	.free_context = prxe_free_context,
	.query_device_ex = prxe_query_device_ex,
	.query_port = prxe_query_port,

	.alloc_pd = prxe_alloc_pd,
	.dealloc_pd = prxe_dealloc_pd,
	.reg_mr = prxe_reg_mr,
	.dereg_mr = prxe_dereg_mr,
	.create_ah = prxe_create_ah,
	.destroy_ah = prxe_destroy_ah,

	.create_cq = prxe_create_cq,
	.create_cq_ex = prxe_create_cq_ex,
	.destroy_cq = prxe_destroy_cq,
	.poll_cq = prxe_poll_cq,
	.req_notify_cq = prxe_req_notify_cq,

	.create_qp = prxe_create_qp,
	.create_qp_ex = prxe_create_qp_ex,
	.modify_qp = prxe_modify_qp,
	.query_qp = prxe_query_qp,
	.destroy_qp = prxe_destroy_qp,
	.post_send = prxe_post_send,
	.post_recv = prxe_post_recv,

	.create_srq = prxe_create_srq,
	.modify_srq = prxe_modify_srq,
	.query_srq = prxe_query_srq,
	.destroy_srq = prxe_destroy_srq,
	.post_srq_recv = prxe_post_srq_recv,
};

/*
 * Rings are mapped read-write and shared on the command fd, at the offset
 * the kernel gave (an rdma_user_mmap entry of the context).  The geometry
 * is checked before the mapping is used: entries must hold what the queue
 * was created for and fit in the mapping.
 */
int prxe_map_ring(struct ibv_context *ibctx, const struct prxe_ring_map *map,
		  size_t min_entry_size, struct prxe_uring *ring)
{
	uint64_t need;
	void *mem;

	if (!map->num_entries || (map->num_entries & (map->num_entries - 1)) ||
	    map->entry_size < min_entry_size || map->entry_size % 16)
		return EPROTO;
	need = PRXE_RING_HDR_SIZE +
	       (uint64_t)map->num_entries * map->entry_size;
	if (map->map_size < need || map->map_size > SIZE_MAX ||
	    map->mmap_offset > (uint64_t)INT64_MAX)
		return EPROTO;

	mem = mmap(NULL, map->map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   ibctx->cmd_fd, (off_t)map->mmap_offset);
	if (mem == MAP_FAILED)
		return errno;

	prxe_uring_init(ring, mem, map->map_size, map->num_entries,
			map->entry_size);
	return 0;
}

void prxe_unmap_ring(struct prxe_uring *ring)
{
	if (ring->hdr)
		munmap(ring->hdr, ring->map_size);
	ring->hdr = NULL;
}

/*
 * ALLOC_UCONTEXT response: the core part, then prxe's.  A union rather than
 * a struct holding both, as the core struct ends in a flexible array.
 */
union prxe_get_context_resp {
	struct ib_uverbs_get_context_resp ibv_resp;
	struct {
		__u8 core[sizeof(struct ib_uverbs_get_context_resp)];
		struct prxe_alloc_ucontext_resp drv;
	};
};
static_assert(sizeof(union prxe_get_context_resp) ==
	      sizeof(struct ib_uverbs_get_context_resp) +
	      sizeof(struct prxe_alloc_ucontext_resp),
	      "ALLOC_UCONTEXT response has no padding");

static struct verbs_context *prxe_alloc_context(struct ibv_device *ibdev,
						int cmd_fd,
						void *private_data)
{
	union prxe_get_context_resp resp;
	struct ibv_get_context cmd;
	struct prxe_context *ctx;
	int ret;

	(void)private_data;

	/*
	 * Allocates *ctx and sets up ctx->vctx, whose offset it takes as a
	 * pointer.  Owns cmd_fd from here on (verbs_uninit_context closes it).
	 */
	ctx = _verbs_init_and_alloc_context(ibdev, cmd_fd, sizeof(*ctx),
		(struct verbs_context *)(uintptr_t)
			offsetof(struct prxe_context, vctx),
		RDMA_DRIVER_UNKNOWN);
	if (!ctx)
		return NULL;

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_get_context(&ctx->vctx, &cmd, sizeof(cmd),
				  &resp.ibv_resp, sizeof(resp));
	if (ret) {
		errno = ret;
		goto err;
	}

	if (resp.drv.abi_version != PRXE_UVERBS_ABI_VERSION) {
		fprintf(stderr,
			"prxe: %s: kernel prxe ABI version %u, but this provider "
			"(" PRXE_PROVIDER_FILE ") expects version %u; install "
			"a matching prxe.ko and provider\n",
			ibdev->name, resp.drv.abi_version,
			PRXE_UVERBS_ABI_VERSION);
		errno = EPROTO;
		goto err;
	}
	ctx->abi_version = resp.drv.abi_version;

	verbs_set_ops(&ctx->vctx, &prxe_ctx_ops);
	return &ctx->vctx;

err:
	ret = errno;
	verbs_uninit_context(&ctx->vctx);
	free(ctx);
	errno = ret;
	return NULL;
}

/*
 * Claim the device if it carries prxe's sysfs attribute, whatever its name.
 * The attribute's value is not looked at: the kernel's ABI version is
 * checked by libibverbs against match_{min,max}_abi_version (it warns on
 * stderr) and by prxe_alloc_context(), so a mismatch is told to the user
 * rather than the device silently having no provider.
 */
static bool prxe_match_device(struct verbs_sysfs_dev *sysfs_dev)
{
	char path[IBV_SYSFS_PATH_MAX + sizeof("/" PRXE_SYSFS_ABI_ATTR)];
	int len;

	len = snprintf(path, sizeof(path), "%s/%s", sysfs_dev->ibdev_path,
		       PRXE_SYSFS_ABI_ATTR);
	if (len < 0 || (size_t)len >= sizeof(path))
		return false;

	return access(path, F_OK) == 0;
}

static struct verbs_device *prxe_alloc_device(struct verbs_sysfs_dev *sysfs_dev)
{
	struct prxe_device *dev;

	(void)sysfs_dev;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	return &dev->vdev;
}

static void prxe_uninit_device(struct verbs_device *vdev)
{
	free(to_prxe_dev(&vdev->device));
}

/* Empty: prxe matches by prxe_match_device() only. */
static const struct verbs_match_ent prxe_match_table[] = {
	{ .kind = VERBS_MATCH_SENTINEL },
};

static const struct verbs_device_ops prxe_dev_ops = {
	.name = PRXE_PROVIDER_NAME,
	.match_min_abi_version = PRXE_UVERBS_ABI_VERSION,
	.match_max_abi_version = PRXE_UVERBS_ABI_VERSION,
	.match_table = prxe_match_table,
	.match_device = prxe_match_device,
	.alloc_device = prxe_alloc_device,
	.uninit_device = prxe_uninit_device,
	.alloc_context = prxe_alloc_context,
};

/* libibverbs dlopen()s the provider; registering is all it has to do. */
static void __attribute__((constructor)) prxe_register(void)
{
	pabi_register_driver(&prxe_dev_ops);
}
