/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel side of the rings shared with the provider (see the ring protocol
 * in include/uapi/rdma/prxe-abi.h).
 *
 * The kernel keeps its own index privately (kidx) and only publishes it;
 * the other side's index is read from shared memory once per batch and
 * checked, so a process scribbling on its rings can hurt only itself.
 * Rings of kernel QPs/CQs are the same structure without a user mapping.
 */
#ifndef PRXE_RING_H
#define PRXE_RING_H

#include <rdma/ib_verbs.h>
#include <rdma/prxe-abi.h>

struct prxe_ring {
	struct prxe_ring_hdr	*hdr;		/* vmalloc space, user-mappable */
	u32			num_entries;	/* power of two */
	u32			entry_size;
	u32			kidx;		/* the kernel's own index */
	struct prxe_mmap_entry	*mmap;		/* NULL for kernel rings */
};

/* What ib_core's mmap entry refers to: the buffer outlives the ring. */
struct prxe_mmap_entry {
	struct rdma_user_mmap_entry	rdma;
	void				*buf;
};

int prxe_ring_init(struct prxe_ring *ring, struct ib_ucontext *uctx,
		   u32 num_entries, u32 entry_size, struct prxe_ring_map *map);
void prxe_ring_cleanup(struct prxe_ring *ring);
void prxe_ring_reset(struct prxe_ring *ring);

int prxe_mmap(struct ib_ucontext *uctx, struct vm_area_struct *vma);
void prxe_mmap_free(struct rdma_user_mmap_entry *rdma_entry);

static inline void *prxe_ring_entry(struct prxe_ring *ring, u32 idx)
{
	return (u8 *)ring->hdr + PRXE_RING_HDR_SIZE +
	       (size_t)(idx & (ring->num_entries - 1)) * ring->entry_size;
}

/*
 * Consumer side (send and receive queues): entries available from kidx
 * on.  A producer index more than a ring ahead is a corrupted ring: nothing
 * is taken from it.
 */
static inline u32 prxe_ring_avail(struct prxe_ring *ring)
{
	u32 n = smp_load_acquire(&ring->hdr->producer) - ring->kidx;

	return n <= ring->num_entries ? n : 0;
}

static inline void prxe_ring_consume(struct prxe_ring *ring, u32 n)
{
	ring->kidx += n;
	smp_store_release(&ring->hdr->consumer, ring->kidx);
}

/* Producer side (completion queues). */
static inline bool prxe_ring_full(struct prxe_ring *ring)
{
	return ring->kidx - smp_load_acquire(&ring->hdr->consumer) >=
	       ring->num_entries;
}

static inline void prxe_ring_produce(struct prxe_ring *ring)
{
	ring->kidx++;
	smp_store_release(&ring->hdr->producer, ring->kidx);
}

#endif /* PRXE_RING_H */
