/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Memory regions and the one interface the data path uses to reach their
 * bytes: copy to/from (mr, iova, length), and the same over an SGE list.
 * Regions are pinned (ib_umem) or on-demand-paging mirrors (prxe_odp.c).
 *
 * The copy layer never faults and never goes outside a region: a range
 * beyond the region, or a region being deregistered, is -EACCES whatever
 * the caller checked before; an ODP page not mirrored is -EAGAIN with the
 * range to fault in, which a worker does (prxe_fault.c).
 */
#ifndef PRXE_MR_H
#define PRXE_MR_H

#include <linux/completion.h>
#include <linux/refcount.h>
#include <rdma/ib_umem.h>

#include "prxe_counters.h"

struct prxe_dev;

struct prxe_odp;

struct prxe_mr {
	struct ib_mr		ibmr;
	/* Pinned: the umem and its pages; ODP: the mirror (prxe_odp.c). */
	struct ib_umem		*umem;
	struct page		**pages;	/* pinned pages of the region */
	unsigned long		npages;		/* of pages[] */
	struct prxe_odp		*odp;
	u64			iova;		/* first byte */
	u64			length;
	unsigned int		first_offset;	/* of iova in pages[0] */
	int			access;		/* IB_ACCESS_* */
	/* A kernel PD's DMA region: addresses are kernel virtual addresses. */
	bool			dma;

	/*
	 * Lifetime.  @refs counts the holders of the object: the key table
	 * (the registration) and the data path's (an RDMA WRITE or READ in
	 * progress, a page fault being worked on); the last put frees it.
	 * @users counts the copies in progress.  Deregistration marks the
	 * region @dead, waits for @users to drain (copies never fault, so
	 * that is quick) and releases its memory: a holder's next copy
	 * fails, and no peer that holds a region can hold up ibv_dereg_mr().
	 */
	refcount_t		refs;
	refcount_t		users;
	bool			dead;
	struct completion	idle;		/* @users drained */
	struct rcu_head		rcu;
};

static inline struct prxe_mr *to_prxe_mr(struct ib_mr *ibmr)
{
	return container_of(ibmr, struct prxe_mr, ibmr);
}

/* Byte offset of @iova from the start of @mr's first page. */
static inline u64 prxe_mr_pos(const struct prxe_mr *mr, u64 iova)
{
	return iova - mr->iova + mr->first_offset;
}

enum prxe_copy_dir {
	PRXE_TO_MR,		/* buffer -> memory region */
	PRXE_FROM_MR,		/* memory region -> buffer */
};

/*
 * A range of an ODP region with a page not mirrored (or not writable for
 * a write), where a copy stopped: a fault worker brings it in.  Holds a
 * reference to the region, which whoever ends up with the range puts.
 */
struct prxe_mr_range {
	struct prxe_mr		*mr;
	u64			iova;
	u64			len;
	bool			write;
};

struct ib_mr *prxe_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
			       u64 iova, int access, struct ib_udata *udata);
int prxe_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata);
struct ib_mr *prxe_get_dma_mr(struct ib_pd *ibpd, int access);
int prxe_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);
void prxe_mr_table_init(struct prxe_dev *prxe);

struct prxe_mr *prxe_mr_get(struct prxe_dev *prxe, u32 key);
void prxe_mr_put(struct prxe_mr *mr);
int prxe_mr_check(struct prxe_mr *mr, struct ib_pd *pd, u64 iova, u64 len,
		  int access);

/*
 * prxe_mr_copy - copy @len bytes at @iova of @mr to or from @buf.
 * Returns 0; -EACCES when the range is not all inside the region or the
 * region is being deregistered; -EAGAIN when an ODP page is not mirrored
 * (or not writable, to write): then @miss holds the range and a new
 * reference to @mr.  Never sleeps for long: no page is faulted here.
 */
int prxe_mr_copy(struct prxe_mr *mr, u64 iova, void *buf, u64 len,
		 enum prxe_copy_dir dir, struct prxe_mr_range *miss);
int prxe_mr_fault(const struct prxe_mr_range *range);
void prxe_mr_ref(struct prxe_mr *mr);
void prxe_mr_unhold(struct prxe_mr *mr);
void prxe_pages_copy(struct page *const *pages, u64 pos, void *buf, u64 len,
		     enum prxe_copy_dir dir);

/*
 * An 8-byte atomic on a memory region (an incoming CMP_SWAP, FETCH_ADD or
 * ATOMIC WRITE): @compare_add is the compare data, the addend or the value
 * to store, @swap the swap data; @orig receives what was in memory before
 * (not for a store).
 */
enum prxe_atomic_op {
	PRXE_ATOMIC_CMP_SWAP,
	PRXE_ATOMIC_FETCH_ADD,
	PRXE_ATOMIC_STORE,
};

struct prxe_atomic {
	enum prxe_atomic_op	op;
	u64			compare_add;
	u64			swap;
	u64			orig;
};

int prxe_mr_atomic(struct prxe_mr *mr, u64 iova, struct prxe_atomic *a,
		   struct prxe_mr_range *miss);
void prxe_page_atomic(struct page *page, unsigned int off,
		      struct prxe_atomic *a);

/* prxe_odp.c */
int prxe_odp_init(struct prxe_mr *mr, struct prxe_dev *prxe, u64 start,
		  u64 length);
void prxe_odp_kill(struct prxe_mr *mr);
void prxe_odp_free(struct prxe_mr *mr);
int prxe_odp_copy(struct prxe_mr *mr, u64 pos, void *buf, u64 len,
		  enum prxe_copy_dir dir);
int prxe_odp_fault(struct prxe_mr *mr, u64 pos, u64 len, bool write);
void prxe_odp_hold(struct prxe_mr *mr);
void prxe_odp_unhold(struct prxe_mr *mr);
int prxe_odp_fill_res(struct sk_buff *msg, struct prxe_mr *mr);
int prxe_odp_atomic(struct prxe_mr *mr, u64 pos, struct prxe_atomic *a);
int prxe_odp_writeback(struct prxe_mr *mr, u64 pos, u64 len);
struct mm_struct *prxe_odp_mm_get(struct prxe_mr *mr);
unsigned long prxe_odp_uaddr(struct prxe_mr *mr, u64 pos);
void prxe_odp_count(struct prxe_mr *mr, enum prxe_counter counter, u64 n);

/*
 * prxe_persist.c: FLUSH with placement type persistence.  Which memory can
 * be persistent (a pinned region's pages, at registration), and making a
 * range of a region persistent: prxe_mr_persist() for pinned and DMA
 * regions (quick: in the QP task), prxe_odp_persist() for ODP ones (sleeps:
 * in a fault worker).  Both return 0; -EACCES (outside the region, or
 * deregistered); prxe_odp_persist() also -EOPNOTSUPP (memory that cannot
 * be persistent), -EFAULT (an address not mapped) or a file sync's error.
 */
bool prxe_pages_persistent(struct page **pages, unsigned long n);
void prxe_page_writeback(struct page *page, unsigned int off,
			 unsigned int len);
int prxe_mr_persist(struct prxe_mr *mr, u64 iova, u64 len);
int prxe_odp_persist(struct prxe_mr *mr, u64 iova, u64 len);

/*
 * prxe_sge_copy - copy @len bytes at byte @offset of the message an SGE
 * list describes.  Returns 0, -EMSGSIZE when the SGEs are too short,
 * -EACCES for a bad key, range or access right, or -EAGAIN with @miss at
 * the first ODP region with a page not mirrored (what came before it is
 * copied; copying all of it again later is harmless).
 */
struct prxe_sge;
int prxe_sge_copy(struct prxe_dev *prxe, struct ib_pd *pd,
		  const struct prxe_sge *sge, u32 num_sge, u64 offset,
		  void *buf, u32 len, enum prxe_copy_dir dir, int access,
		  struct prxe_mr_range *miss);

#endif /* PRXE_MR_H */
