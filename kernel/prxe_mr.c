// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory regions on pinned user memory (ib_umem) or mirrored on demand
 * (prxe_odp.c), the DMA region of kernel PDs, their keys, and copying
 * bytes in and out of them for the data path.
 *
 * Keys: lkey == rkey == (index << 8) | tag, index allocated in prxe->mrs.
 * The data path looks a key up with prxe_mr_get() (RCU, takes a reference
 * on the object) and drops it with prxe_mr_put().  Each copy enters the
 * region (mr->users) for its duration.  Deregistration removes the key,
 * marks the region dead, waits only for the copies in progress and
 * releases the memory; holders of the object find it dead at their next
 * copy.  So a region is never used after ibv_dereg_mr() returns, and no
 * peer (a WRITE whose LAST packet never comes) can make it wait.
 *
 * The copy layer checks every range against the region itself, whatever
 * the engines checked before: a missed check upstream is a refused copy
 * and a line in dmesg, never a write outside the region.
 *
 * Locking: only the xarray's internal lock; lock order in ARCHITECTURE.md.
 */
#include <linux/highmem.h>
#include <linux/libnvdimm.h>
#include <linux/overflow.h>
#include <linux/random.h>

#include "prxe.h"
#include "prxe_mr.h"
#include "prxe_params.h"

void prxe_mr_table_init(struct prxe_dev *prxe)
{
	xa_init_flags(&prxe->mrs, XA_FLAGS_ALLOC1);
}

/* The pinned pages of the umem, one pointer per page. */
static int prxe_mr_pin_pages(struct prxe_mr *mr)
{
	struct sg_page_iter piter;
	unsigned long i = 0;

	mr->npages = ib_umem_num_pages(mr->umem);
	mr->pages = kvcalloc(mr->npages, sizeof(*mr->pages),
			     GFP_KERNEL_ACCOUNT);
	if (!mr->pages)
		return -ENOMEM;
	for_each_sgtable_page(&mr->umem->sgt_append.sgt, &piter, 0) {
		if (i >= mr->npages)
			break;
		mr->pages[i++] = sg_page_iter_page(&piter);
	}
	return i == mr->npages ? 0 : -EFAULT;
}

/* Give @mr its extent and keys: from now on the data path can find it. */
static int prxe_mr_add(struct prxe_dev *prxe, struct prxe_mr *mr, u64 iova,
		       u64 length, int access)
{
	u32 index;
	int err;

	mr->iova = iova;
	mr->length = length;
	mr->access = access;
	/* The registration's reference and its user count. */
	refcount_set(&mr->refs, 1);
	refcount_set(&mr->users, 1);
	init_completion(&mr->idle);

	err = xa_alloc(&prxe->mrs, &index, mr, XA_LIMIT(1, PRXE_MAX_MR),
		       GFP_KERNEL);
	if (err)
		return err;
	mr->ibmr.lkey = index << 8 | get_random_u8();
	mr->ibmr.rkey = mr->ibmr.lkey;
	mr->ibmr.iova = iova;
	mr->ibmr.length = length;
	return 0;
}

/* The memory of a region: at deregistration, or when registering fails. */
static void prxe_mr_release_memory(struct prxe_mr *mr)
{
	if (mr->odp) {
		prxe_odp_kill(mr);
		return;
	}
	kvfree(mr->pages);
	mr->pages = NULL;
	mr->npages = 0;
	if (mr->umem)
		ib_umem_release(mr->umem);
	mr->umem = NULL;
}

/* The object, after its last reference. */
static void prxe_mr_free(struct prxe_mr *mr)
{
	if (mr->odp)
		prxe_odp_free(mr);
	/* prxe_mr_get() may still be looking at it under RCU. */
	kfree_rcu(mr, rcu);
}

struct ib_mr *prxe_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
			       u64 iova, int access, struct ib_udata *udata)
{
	struct prxe_dev *prxe = to_prxe_dev(ibpd->device);
	struct prxe_mr *mr;
	u64 end;
	int err;

	if (!length || length > PRXE_MAX_MR_SIZE ||
	    check_add_overflow(iova, length - 1, &end) ||
	    check_add_overflow(start, length - 1, &end))
		return ERR_PTR(-EINVAL);
	mr = kzalloc(sizeof(*mr), GFP_KERNEL_ACCOUNT);
	if (!mr)
		return ERR_PTR(-ENOMEM);

	if (access & IB_ACCESS_ON_DEMAND) {
		err = prxe_odp_init(mr, prxe, start, length);
		if (err)
			goto err_free;
	} else {
		mr->umem = ib_umem_get(ibpd->device, start, length, access);
		if (IS_ERR(mr->umem)) {
			err = PTR_ERR(mr->umem);
			mr->umem = NULL;
			goto err_free;
		}
		err = prxe_mr_pin_pages(mr);
		if (err)
			goto err_memory;
		mr->first_offset = ib_umem_offset(mr->umem);
		/* A FLUSH to persistence could not keep its promise. */
		err = -EOPNOTSUPP;
		if ((access & IB_ACCESS_FLUSH_PERSISTENT) &&
		    !prxe_pages_persistent(mr->pages, mr->npages))
			goto err_memory;
	}

	err = prxe_mr_add(prxe, mr, iova, length, access);
	if (err)
		goto err_memory;
	return &mr->ibmr;

err_memory:
	prxe_mr_release_memory(mr);
	if (mr->odp)
		prxe_odp_free(mr);
err_free:
	kfree(mr);
	return ERR_PTR(err);
}

/*
 * The region of all kernel memory a kernel PD gets for its local_dma_lkey
 * (ib_alloc_pd()): prxe is a virtual-DMA device (no dma_device), so the
 * "DMA addresses" kernel consumers put in their SGEs are kernel virtual
 * addresses.  Only QPs of the same (kernel) PD can use its key.
 */
struct ib_mr *prxe_get_dma_mr(struct ib_pd *ibpd, int access)
{
	struct prxe_mr *mr;
	int err;

	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->dma = true;
	err = prxe_mr_add(to_prxe_dev(ibpd->device), mr, 0, U64_MAX, access);
	if (err) {
		kfree(mr);
		return ERR_PTR(err);
	}
	return &mr->ibmr;
}

/* A copy leaves the region (prxe_mr_enter()). */
static void prxe_mr_leave(struct prxe_mr *mr)
{
	if (refcount_dec_and_test(&mr->users))
		complete(&mr->idle);
}

/*
 * A copy enters the region: false once deregistration has begun.  Whoever
 * entered before deregistration marked it dead is waited for.
 */
static bool prxe_mr_enter(struct prxe_mr *mr)
{
	if (!refcount_inc_not_zero(&mr->users))
		return false;
	if (READ_ONCE(mr->dead)) {
		prxe_mr_leave(mr);
		return false;
	}
	return true;
}

/*
 * Deregistration: the key goes first (no new lookups), then the region
 * dies: copies in progress are waited for (they never fault, so this is
 * short), the memory is released, and holders of the object (an RDMA
 * message in progress, a fault worker) get -EACCES at their next copy.
 * The object itself goes with the last of them.
 */
int prxe_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata)
{
	struct prxe_dev *prxe = to_prxe_dev(ibmr->device);
	struct prxe_mr *mr = to_prxe_mr(ibmr);

	xa_erase(&prxe->mrs, ibmr->lkey >> 8);
	WRITE_ONCE(mr->dead, true);
	prxe_mr_leave(mr);
	wait_for_completion(&mr->idle);
	if (!mr->dma)
		prxe_mr_release_memory(mr);
	prxe_mr_put(mr);
	return 0;
}

/* `rdma resource show mr -dd`: for an ODP region, what its mirror holds. */
int prxe_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	struct prxe_mr *mr = to_prxe_mr(ibmr);

	return mr->odp ? prxe_odp_fill_res(msg, mr) : 0;
}

struct prxe_mr *prxe_mr_get(struct prxe_dev *prxe, u32 key)
{
	struct prxe_mr *mr;

	rcu_read_lock();
	mr = xa_load(&prxe->mrs, key >> 8);
	if (mr && (mr->ibmr.lkey != key || !refcount_inc_not_zero(&mr->refs)))
		mr = NULL;
	rcu_read_unlock();
	return mr;
}

/* Another reference, to a region the caller holds one to already. */
void prxe_mr_ref(struct prxe_mr *mr)
{
	refcount_inc(&mr->refs);
}

/* Drop a reference; the last one frees the region.  May sleep (ODP). */
void prxe_mr_put(struct prxe_mr *mr)
{
	if (refcount_dec_and_test(&mr->refs))
		prxe_mr_free(mr);
}

/* Is [iova, iova + len) inside @mr, of protection domain @pd, with @access? */
int prxe_mr_check(struct prxe_mr *mr, struct ib_pd *pd, u64 iova, u64 len,
		  int access)
{
	u64 end, mr_end;

	if (mr->ibmr.pd != pd || (mr->access & access) != access)
		return -EACCES;
	if (!len)
		return 0;
	if (mr->dma)
		return check_add_overflow(iova, len, &end) ? -EACCES : 0;
	if (check_add_overflow(iova, len, &end) || iova < mr->iova)
		return -EACCES;
	mr_end = mr->iova + mr->length;	/* checked at registration */
	return end <= mr_end ? 0 : -EACCES;
}

/*
 * The copy layer's own range check (@len > 0), in 64-bit arithmetic that
 * cannot wrap.  A range the engines let through and this refuses is a bug
 * upstream: said in dmesg, and no byte outside the region is touched.
 */
static bool prxe_mr_in_range(struct prxe_mr *mr, u64 iova, u64 len)
{
	bool ok;

	if (mr->dma)
		ok = iova <= U64_MAX - (len - 1);
	else
		ok = iova >= mr->iova && len <= mr->length &&
		     iova - mr->iova <= mr->length - len;
	if (!ok)
		ibdev_err_ratelimited(mr->ibmr.device,
				      "refused an access to %llu bytes at %#llx outside MR %#x [%#llx, +%#llx)\n",
				      len, iova, mr->ibmr.lkey, mr->iova,
				      mr->length);
	return ok;
}

/*
 * Copy @len bytes at byte @pos of the run of pages @pages (byte 0: the
 * start of pages[0]) to or from @buf.
 */
void prxe_pages_copy(struct page *const *pages, u64 pos, void *buf, u64 len,
		     enum prxe_copy_dir dir)
{
	while (len) {
		unsigned int off = offset_in_page(pos);
		unsigned int n = min_t(u64, len, PAGE_SIZE - off);
		void *va = kmap_local_page(pages[pos >> PAGE_SHIFT]);

		if (dir == PRXE_TO_MR)
			memcpy(va + off, buf, n);
		else
			memcpy(buf, va + off, n);
		kunmap_local(va);
		buf += n;
		pos += n;
		len -= n;
	}
}

/* The last page of [@pos, @pos + @len) of a pinned region is one it has. */
static bool prxe_mr_pinned_has(const struct prxe_mr *mr, u64 pos, u64 len)
{
	return (pos + len - 1) >> PAGE_SHIFT < mr->npages;
}

/* @miss takes a new reference to @mr. */
static int prxe_mr_missed(struct prxe_mr *mr, u64 iova, u64 len, bool write,
			  struct prxe_mr_range *miss)
{
	prxe_mr_ref(mr);
	*miss = (struct prxe_mr_range) {
		.mr = mr, .iova = iova, .len = len, .write = write,
	};
	return -EAGAIN;
}

int prxe_mr_copy(struct prxe_mr *mr, u64 iova, void *buf, u64 len,
		 enum prxe_copy_dir dir, struct prxe_mr_range *miss)
{
	u64 pos = prxe_mr_pos(mr, iova);
	int err = 0;

	if (!len)
		return 0;
	if (!prxe_mr_in_range(mr, iova, len) || !prxe_mr_enter(mr))
		return -EACCES;
	if (mr->dma) {
		void *va = (void *)(uintptr_t)iova;

		if (dir == PRXE_TO_MR)
			memcpy(va, buf, len);
		else
			memcpy(buf, va, len);
	} else if (mr->odp) {
		err = prxe_odp_copy(mr, pos, buf, len, dir);
	} else if (prxe_mr_pinned_has(mr, pos, len)) {
		prxe_pages_copy(mr->pages, pos, buf, len, dir);
	} else {
		err = -EACCES;
	}
	prxe_mr_leave(mr);
	if (err == -EAGAIN)
		return prxe_mr_missed(mr, iova, len, dir == PRXE_TO_MR, miss);
	return err;
}

/*
 * Fault the pages of @range in (writable for a write), to be copied soon:
 * in a fault worker, never on the data path.  The range is cut to its
 * region.  Returns 0, -EACCES (the region is gone), or as prxe_odp_fault().
 * May sleep for as long as the faults take.
 */
int prxe_mr_fault(const struct prxe_mr_range *range)
{
	struct prxe_mr *mr = range->mr;
	u64 len;

	might_sleep();
	if (!mr->odp)
		return 0;
	if (READ_ONCE(mr->dead) || range->iova < mr->iova ||
	    range->iova - mr->iova >= mr->length)
		return -EACCES;
	len = min(range->len, mr->length - (range->iova - mr->iova));
	return prxe_odp_fault(mr, prxe_mr_pos(mr, range->iova), len,
			      range->write);
}

/*
 * After a fault worker's fault of @mr: the copy it was for is made, so
 * invalidations need not wait for it any more (prxe_odp_hold()).
 */
void prxe_mr_unhold(struct prxe_mr *mr)
{
	if (mr->odp)
		prxe_odp_unhold(mr);
}

/*
 * FLUSH, placement type persistence, of [@iova, @iova + @len) of a pinned
 * region: the CPU cache written back over it (its pages are persistent
 * memory: prxe_reg_user_mr() saw to that).  Counted in flush_wb_bytes by
 * the caller.  A DMA region's memory (a kernel PD's: any kernel address)
 * is not known to be persistent: -EOPNOTSUPP.
 */
int prxe_mr_persist(struct prxe_mr *mr, u64 iova, u64 len)
{
	u64 pos = prxe_mr_pos(mr, iova);

	if (WARN_ON_ONCE(mr->odp))
		return -EINVAL;
	if (mr->dma)
		return -EOPNOTSUPP;
	if (!len)
		return 0;
	if (!prxe_mr_in_range(mr, iova, len) || !prxe_mr_enter(mr))
		return -EACCES;
	if (prxe_mr_pinned_has(mr, pos, len)) {
		while (len) {
			unsigned int off = offset_in_page(pos);
			unsigned int n = min_t(u64, len, PAGE_SIZE - off);

			prxe_page_writeback(mr->pages[pos >> PAGE_SHIFT], off,
					    n);
			pos += n;
			len -= n;
		}
	}
	prxe_mr_leave(mr);
	return 0;
}

/*
 * The atomic @a on the 8 bytes at @off of @page (8-byte aligned, so in
 * one page), atomic against the CPU too: the responder of every QP and
 * the processes themselves may touch the same word.
 */
static void prxe_u64_atomic(u64 *p, struct prxe_atomic *a)
{
	switch (a->op) {
	case PRXE_ATOMIC_CMP_SWAP:
		a->orig = cmpxchg64(p, a->compare_add, a->swap);
		break;
	case PRXE_ATOMIC_FETCH_ADD:
		a->orig = atomic64_fetch_add(a->compare_add, (atomic64_t *)p);
		break;
	case PRXE_ATOMIC_STORE:
		atomic64_set((atomic64_t *)p, a->compare_add);
		break;
	}
}

void prxe_page_atomic(struct page *page, unsigned int off,
		      struct prxe_atomic *a)
{
	void *va = kmap_local_page(page);

	prxe_u64_atomic(va + off, a);
	kunmap_local(va);
}

/*
 * The atomic @a at @iova of @mr.  Returns 0; -EACCES as prxe_mr_copy();
 * -EINVAL when the target is not 8-byte aligned in memory (a region whose
 * iova is not aligned like its address can have an aligned iova over a
 * misaligned word, which could straddle two pages); -EAGAIN with @miss as
 * prxe_mr_copy().
 */
int prxe_mr_atomic(struct prxe_mr *mr, u64 iova, struct prxe_atomic *a,
		   struct prxe_mr_range *miss)
{
	u64 pos = prxe_mr_pos(mr, iova), len = sizeof(u64);
	int err = 0;

	if (!prxe_mr_in_range(mr, iova, len))
		return -EACCES;
	if ((mr->dma ? iova : pos) & (len - 1))
		return -EINVAL;
	if (!prxe_mr_enter(mr))
		return -EACCES;
	if (mr->dma)
		prxe_u64_atomic((u64 *)(uintptr_t)iova, a);
	else if (mr->odp)
		err = prxe_odp_atomic(mr, pos, a);
	else if (prxe_mr_pinned_has(mr, pos, len))
		prxe_page_atomic(mr->pages[pos >> PAGE_SHIFT],
				 offset_in_page(pos), a);
	else
		err = -EACCES;
	prxe_mr_leave(mr);
	if (err == -EAGAIN)
		return prxe_mr_missed(mr, iova, len, true, miss);
	return err;
}

int prxe_sge_copy(struct prxe_dev *prxe, struct ib_pd *pd,
		  const struct prxe_sge *sge, u32 num_sge, u64 offset,
		  void *buf, u32 len, enum prxe_copy_dir dir, int access,
		  struct prxe_mr_range *miss)
{
	u32 i;

	/* Skip to the SGE holding @offset. */
	for (i = 0; i < num_sge && offset >= sge[i].length; i++)
		offset -= sge[i].length;

	while (len) {
		struct prxe_mr *mr;
		u64 va;
		u32 n;
		int err;

		if (i >= num_sge)
			return -EMSGSIZE;
		n = min_t(u64, len, sge[i].length - offset);
		if (check_add_overflow(sge[i].addr, offset, &va))
			return -EACCES;
		mr = prxe_mr_get(prxe, sge[i].lkey);
		if (!mr)
			return -EACCES;
		err = prxe_mr_check(mr, pd, va, n, access);
		if (!err)
			err = prxe_mr_copy(mr, va, buf, n, dir, miss);
		prxe_mr_put(mr);
		if (err)
			return err;
		buf += n;
		len -= n;
		offset = 0;
		i++;
	}
	return 0;
}
