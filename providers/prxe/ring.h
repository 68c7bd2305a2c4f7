/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * prxe libibverbs provider: index arithmetic of the rings shared with
 * prxe.ko, the provider's side.  The protocol is described with the ring
 * layout in include/uapi/rdma/prxe-abi.h; in short:
 *
 *  - a ring is a struct prxe_ring_hdr followed, at PRXE_RING_HDR_SIZE, by
 *    num_entries (a power of two) entries of entry_size bytes;
 *  - producer and consumer are free-running u32 indices: entry =
 *    index & (num_entries - 1), used = producer - consumer (mod 2^32), empty
 *    when equal, full when used == num_entries;
 *  - each side writes only its own index, with a release store after it
 *    wrote (producer) or read (consumer) the entries; it reads the other
 *    side's index with an acquire load.
 *
 * The provider keeps no private copy of its own index: it reads it back
 * from the ring (a relaxed load, as it is the only writer).  So when
 * prxe.ko empties a queue pair's rings on the transition to RESET (both
 * indices back to 0), the provider follows without being told.
 *
 * Nothing here locks: callers serialise each side (one spinlock per
 * queue).  This header is also compiled into tests/progs/ring_test.c.
 */
#ifndef PRXE_RING_H
#define PRXE_RING_H

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rdma/prxe-abi.h>

/* The provider's view of one mapped ring. */
struct prxe_uring {
	struct prxe_ring_hdr *hdr;	/* start of the mapping */
	size_t map_size;		/* bytes mapped (for munmap) */
	uint32_t num_entries;		/* power of two */
	uint32_t entry_size;		/* bytes */
};

/* The indices are plain __u32 in the uapi; access them as C11 atomics. */
static_assert(sizeof(_Atomic uint32_t) == sizeof(__u32) &&
	      _Alignof(_Atomic uint32_t) == _Alignof(__u32),
	      "ring indices can be accessed as _Atomic uint32_t");
static_assert(offsetof(struct prxe_ring_hdr, consumer) == 64 &&
	      sizeof(struct prxe_ring_hdr) == PRXE_RING_HDR_SIZE,
	      "producer and consumer on their own cache lines");

static inline _Atomic uint32_t *prxe_uring_index(__u32 *index)
{
	return (_Atomic uint32_t *)index;
}

static inline void prxe_uring_init(struct prxe_uring *ring, void *mem,
				   size_t map_size, uint32_t num_entries,
				   uint32_t entry_size)
{
	ring->hdr = mem;
	ring->map_size = map_size;
	ring->num_entries = num_entries;
	ring->entry_size = entry_size;
}

/* Entry of free-running index @index. */
static inline void *prxe_uring_entry(const struct prxe_uring *ring,
				     uint32_t index)
{
	return (uint8_t *)ring->hdr + PRXE_RING_HDR_SIZE +
	       (size_t)(index & (ring->num_entries - 1)) * ring->entry_size;
}

/* --- producer side (send and receive queues) --------------------------- */

/* Our own producer index: the next entry to fill. */
static inline uint32_t prxe_uring_producer(const struct prxe_uring *ring)
{
	return atomic_load_explicit(prxe_uring_index(&ring->hdr->producer),
				    memory_order_relaxed);
}

/*
 * Entries between the consumer and @producer: written but not yet
 * released by the other side.  The acquire load orders our later writes
 * into freed entries after the consumer's reads of them.  A consumer index
 * that is ahead of @producer (a broken ring) gives a huge count, which
 * callers see as a full ring.
 */
static inline uint32_t prxe_uring_used(const struct prxe_uring *ring,
				       uint32_t producer)
{
	return producer -
	       atomic_load_explicit(prxe_uring_index(&ring->hdr->consumer),
				    memory_order_acquire);
}

/* Make the entries before @producer visible to the consumer. */
static inline void prxe_uring_publish_producer(struct prxe_uring *ring,
					       uint32_t producer)
{
	atomic_store_explicit(prxe_uring_index(&ring->hdr->producer),
			      producer, memory_order_release);
}

/*
 * After publishing a producer index: is the QP in the error state, put
 * there by the kernel or by the application?  Then what was posted is
 * flushed only after a doorbell.  The fence orders the producer store
 * before this load, as the kernel orders its flag store before its read of
 * the producer index (PRXE_RING_F_QP_ERR in prxe-abi.h).
 */
static inline bool prxe_uring_qp_in_error(const struct prxe_uring *ring)
{
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit(prxe_uring_index(&ring->hdr->kflags),
				    memory_order_relaxed) & PRXE_RING_F_QP_ERR;
}

/* --- consumer side (completion queues) --------------------------------- */

/* Our own consumer index: the next entry to read. */
static inline uint32_t prxe_uring_consumer(const struct prxe_uring *ring)
{
	return atomic_load_explicit(prxe_uring_index(&ring->hdr->consumer),
				    memory_order_relaxed);
}

/*
 * Entries ready from @consumer on.  The acquire load makes the producer's
 * writes of those entries visible to our reads.  A producer more than a
 * ring ahead is a broken ring: nothing is taken from it.
 */
static inline uint32_t prxe_uring_avail(const struct prxe_uring *ring,
					uint32_t consumer)
{
	uint32_t n = atomic_load_explicit(prxe_uring_index(&ring->hdr->producer),
					  memory_order_acquire) - consumer;

	return n <= ring->num_entries ? n : 0;
}

/* Give the entries before @consumer back to the producer. */
static inline void prxe_uring_publish_consumer(struct prxe_uring *ring,
					       uint32_t consumer)
{
	atomic_store_explicit(prxe_uring_index(&ring->hdr->consumer),
			      consumer, memory_order_release);
}

#endif /* PRXE_RING_H */
