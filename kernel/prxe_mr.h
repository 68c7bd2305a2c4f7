/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Memory regions and the one interface the data path uses to reach their
 * bytes: copy to/from (mr, iova, length), and the same over an SGE list.
 * Regions are pinned (ib_umem) or on-demand-paging mirrors (prxe_odp.c).
 */
#ifndef PRXE_MR_H
#define PRXE_MR_H

#include <linux/completion.h>
#include <linux/refcount.h>
#include <rdma/ib_umem.h>

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

	/* Users in the data path; dereg waits for them. */
	refcount_t		refs;
	struct completion	released;
	struct rcu_head		rcu;
};

static inline struct prxe_mr *to_prxe_mr(struct ib_mr *ibmr)
{
	return container_of(ibmr, struct prxe_mr, ibmr);
}

enum prxe_copy_dir {
	PRXE_TO_MR,		/* buffer -> memory region */
	PRXE_FROM_MR,		/* memory region -> buffer */
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
int prxe_mr_copy(struct prxe_mr *mr, u64 iova, void *buf, u64 len,
		 enum prxe_copy_dir dir);

/*
 * Where a copy that was not to fault stopped: a range of an ODP region
 * with a page not mirrored (the whole range the copy wanted of that
 * region), and a reference to the region the holder must put.
 */
struct prxe_mr_range {
	struct prxe_mr		*mr;
	u64			iova;
	u64			len;
};

int prxe_mr_copy_nofault(struct prxe_mr *mr, u64 iova, void *buf, u64 len,
			 enum prxe_copy_dir dir, struct prxe_mr_range *miss);
int prxe_mr_fault(const struct prxe_mr_range *range, bool write);
void prxe_pages_copy(struct page *(*page_of)(const void *ctx,
					     unsigned long idx),
		     const void *ctx, u64 pos, void *buf, u64 len,
		     enum prxe_copy_dir dir);

/*
 * An 8-byte atomic on a memory region (an incoming CMP_SWAP / FETCH_ADD):
 * @compare_add is the compare data or the addend, @swap the swap data;
 * @orig receives what was in memory before.
 */
struct prxe_atomic {
	bool	cmp_swap;	/* else fetch-and-add */
	u64	compare_add;
	u64	swap;
	u64	orig;
};

int prxe_mr_atomic(struct prxe_mr *mr, u64 iova, struct prxe_atomic *a);
void prxe_page_atomic(struct page *page, unsigned int off,
		      struct prxe_atomic *a);

/* prxe_odp.c */
int prxe_odp_init(struct prxe_mr *mr, struct prxe_dev *prxe, u64 start,
		  u64 length);
void prxe_odp_release(struct prxe_mr *mr);
int prxe_odp_copy(struct prxe_mr *mr, u64 pos, void *buf, u64 len,
		  enum prxe_copy_dir dir, bool fault);
int prxe_odp_fault(struct prxe_mr *mr, u64 pos, u64 len, bool write);
int prxe_odp_fill_res(struct sk_buff *msg, struct prxe_mr *mr);
int prxe_odp_atomic(struct prxe_mr *mr, u64 pos, struct prxe_atomic *a);

/*
 * prxe_sge_copy - copy @len bytes at byte @offset of the message an SGE
 * list describes.  Returns 0, -EMSGSIZE when the SGEs are too short,
 * -EACCES for a bad key, range or access right.  prxe_sge_copy_nofault()
 * does not fault ODP pages in: -EAGAIN and @miss at the first region with
 * a page not mirrored.
 */
struct prxe_sge;
int prxe_sge_copy(struct prxe_dev *prxe, struct ib_pd *pd,
		  const struct prxe_sge *sge, u32 num_sge, u64 offset,
		  void *buf, u32 len, enum prxe_copy_dir dir, int access);
int prxe_sge_copy_nofault(struct prxe_dev *prxe, struct ib_pd *pd,
			  const struct prxe_sge *sge, u32 num_sge, u64 offset,
			  void *buf, u32 len, enum prxe_copy_dir dir,
			  int access, struct prxe_mr_range *miss);

#endif /* PRXE_MR_H */
