// SPDX-License-Identifier: GPL-2.0-only
/*
 * On-demand-paging memory regions: a mirror of the registering process's
 * page tables over the region, kept with the kernel's HMM API
 * (Documentation/mm/hmm.rst).  Nothing is pinned: a page is faulted in
 * (hmm_range_fault()) when the data path first touches it, and forgotten
 * when the kernel invalidates the mapping (the mmu_interval_notifier).
 *
 * The mirror is one HMM pfn word per page of the region (8 bytes per 4 KiB
 * page): 0 while the page is not mirrored, else the page's pfn with
 * HMM_PFN_VALID and, if the mapping is writable, HMM_PFN_WRITE.
 *
 * The HMM contract, as followed here:
 *   - to use a page: under odp->lock, a valid entry (with HMM_PFN_WRITE to
 *     write) is usable until the lock is dropped: the invalidate callback
 *     takes the same lock before it clears entries and lets the kernel go
 *     on with the change;
 *   - to fill entries: mmu_interval_read_begin(), hmm_range_fault() into a
 *     private array, then under odp->lock mmu_interval_read_retry(); only
 *     if the sequence did not move are the entries stored (and the copy
 *     done, in the same locked section).  hmm_range_fault() takes no page
 *     references: the lock and the sequence are what keep a page (a DAX
 *     page of a file included) valid while it is copied.
 *
 * Context: prxe_odp_copy() may sleep (page faults, file I/O); the QP task
 * and the doorbell's system call call it under qp->mutex.
 *
 * Lock order: qp->mutex -> mmap_lock (read, in hmm_range_fault()), and
 * qp->mutex -> odp->lock; never mmap_lock inside odp->lock.  The
 * invalidate callback runs with the mm's own locks held and takes only
 * odp->lock.
 */
#include <linux/hmm.h>
#include <linux/mmu_notifier.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "prxe.h"
#include "prxe_counters.h"
#include "prxe_mr.h"

/* Pages faulted at most per hmm_range_fault() call. */
#define PRXE_ODP_FAULT_PAGES	16

/* hmm_range_fault() answering -EBUSY (the range changed): tries at most. */
#define PRXE_ODP_FAULT_TRIES	64

struct prxe_odp {
	struct mmu_interval_notifier	notifier;
	struct prxe_dev			*prxe;	/* for its counters */
	struct mutex			lock;	/* pfns, and copies against invalidation */
	unsigned long			start;	/* user address of pfns[0], page aligned */
	unsigned long			npages;
	unsigned long			*pfns;	/* HMM pfn words, 0: not mirrored */
};

static bool prxe_odp_invalidate(struct mmu_interval_notifier *mni,
				const struct mmu_notifier_range *range,
				unsigned long cur_seq)
{
	struct prxe_odp *odp = container_of(mni, struct prxe_odp, notifier);
	unsigned long first, last;

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&odp->lock);
	else if (!mutex_trylock(&odp->lock))
		return false;

	mmu_interval_set_seq(mni, cur_seq);
	/* The notifier only calls for ranges that meet the region. */
	first = max(range->start, odp->start);
	last = min(range->end, odp->start + (odp->npages << PAGE_SHIFT));
	if (first < last) {
		unsigned long idx = (first - odp->start) >> PAGE_SHIFT;
		unsigned long n = (last - first + PAGE_SIZE - 1) >> PAGE_SHIFT;
		bool dropped = false;

		for (; n; n--, idx++) {
			dropped |= odp->pfns[idx] != 0;
			odp->pfns[idx] = 0;
		}
		if (dropped)
			prxe_counter_inc(odp->prxe, PRXE_CNT_ODP_INVALIDATIONS);
	}
	mutex_unlock(&odp->lock);
	return true;
}

static const struct mmu_interval_notifier_ops prxe_odp_ops = {
	.invalidate = prxe_odp_invalidate,
};

/**
 * prxe_odp_init() - mirror [@start, @start + @length) of the current process
 * @mr: the region being registered
 * @prxe: its device
 * @start: its user address (not necessarily page aligned)
 * @length: its length, non-zero; @start + @length - 1 does not overflow
 *
 * Return: 0, or -ENOMEM / -EFAULT (no user address space) / an errno of
 * mmu_interval_notifier_insert().
 */
int prxe_odp_init(struct prxe_mr *mr, struct prxe_dev *prxe, u64 start,
		  u64 length)
{
	unsigned long first = start & PAGE_MASK, end;
	struct prxe_odp *odp;
	int err;

	if (!current->mm)
		return -EFAULT;
	/* The last page's end must not wrap. */
	if (check_add_overflow(start, length, &end) ||
	    check_add_overflow(end, PAGE_SIZE - 1, &end))
		return -EINVAL;
	end &= PAGE_MASK;

	odp = kzalloc(sizeof(*odp), GFP_KERNEL);
	if (!odp)
		return -ENOMEM;
	odp->prxe = prxe;
	odp->start = first;
	odp->npages = (end - first) >> PAGE_SHIFT;
	mutex_init(&odp->lock);
	odp->pfns = kvcalloc(odp->npages, sizeof(*odp->pfns), GFP_KERNEL);
	if (!odp->pfns) {
		err = -ENOMEM;
		goto err_free;
	}
	err = mmu_interval_notifier_insert(&odp->notifier, current->mm, first,
					   end - first, &prxe_odp_ops);
	if (err)
		goto err_pfns;
	mr->odp = odp;
	mr->first_offset = offset_in_page(start);
	return 0;

err_pfns:
	kvfree(odp->pfns);
err_free:
	kfree(odp);
	return err;
}

/* After the data path let go of @mr (prxe_dereg_mr()). */
void prxe_odp_release(struct prxe_mr *mr)
{
	struct prxe_odp *odp = mr->odp;

	/* Waits for an invalidation in progress. */
	mmu_interval_notifier_remove(&odp->notifier);
	kvfree(odp->pfns);
	kfree(odp);
	mr->odp = NULL;
}

/* Are pages [idx, idx + n) mirrored, writable if @write?  Under odp->lock. */
static bool prxe_odp_present(struct prxe_odp *odp, unsigned long idx,
			     unsigned long n, bool write)
{
	unsigned long need = HMM_PFN_VALID | (write ? HMM_PFN_WRITE : 0);

	for (; n; n--, idx++)
		if ((odp->pfns[idx] & need) != need)
			return false;
	return true;
}

/* A mirrored page (prxe_pages_copy()); under odp->lock. */
static struct page *prxe_odp_page(const void *ctx, unsigned long idx)
{
	const struct prxe_odp *odp = ctx;

	return hmm_pfn_to_page(odp->pfns[idx]);
}

/*
 * Fault pages [idx, idx + n) in (n <= PRXE_ODP_FAULT_PAGES) and, if the
 * mapping did not change meanwhile, mirror them and return with odp->lock
 * held.  Returns 0, or -EFAULT when a page cannot be had with that access
 * (no mapping, no permission, the process gone), or another errno.
 */
static int prxe_odp_fault_lock(struct prxe_odp *odp, unsigned long idx,
			       unsigned long n, bool write)
{
	unsigned long pfns[PRXE_ODP_FAULT_PAGES];
	struct mm_struct *mm = odp->notifier.mm;
	struct hmm_range range = {
		.notifier = &odp->notifier,
		.start = odp->start + (idx << PAGE_SHIFT),
		.end = odp->start + ((idx + n) << PAGE_SHIFT),
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT |
				 (write ? HMM_PFN_REQ_WRITE : 0),
	};
	int tries, err = -EBUSY;

	/* The process may be exiting: then there is nothing to mirror. */
	if (!mmget_not_zero(mm))
		return -EFAULT;
	for (tries = 0; tries < PRXE_ODP_FAULT_TRIES; tries++) {
		range.notifier_seq = mmu_interval_read_begin(&odp->notifier);
		mmap_read_lock(mm);
		err = hmm_range_fault(&range);
		mmap_read_unlock(mm);
		if (err == -EBUSY)
			continue;
		if (err)
			break;

		mutex_lock(&odp->lock);
		if (mmu_interval_read_retry(&odp->notifier, range.notifier_seq)) {
			mutex_unlock(&odp->lock);
			err = -EBUSY;
			continue;
		}
		memcpy(&odp->pfns[idx], pfns, n * sizeof(*pfns));
		prxe_counter_add(odp->prxe, PRXE_CNT_ODP_PAGE_FAULTS, n);
		break;
	}
	mmput(mm);
	/* -EFAULT, -EPERM (write to a read-only mapping), -ENOMEM, ... */
	return err == -EPERM || err == -EBUSY ? -EFAULT : err;
}

/**
 * prxe_odp_copy() - copy to or from an ODP memory region
 * @mr: the region; [@pos, @pos + @len) is inside it (prxe_mr_check())
 * @pos: byte offset from the start of the region's first page
 * @buf: the kernel buffer
 * @len: bytes
 * @dir: PRXE_TO_MR (writes the region) or PRXE_FROM_MR
 *
 * Pages not mirrored are faulted in first, a few at a time.
 *
 * Context: may sleep.
 * Return: 0, or -EFAULT if some page cannot be had (unmapped, beyond the
 * end of a file, not writable), or -ENOMEM.
 */
int prxe_odp_copy(struct prxe_mr *mr, u64 pos, void *buf, u64 len,
		  enum prxe_copy_dir dir)
{
	struct prxe_odp *odp = mr->odp;
	bool write = dir == PRXE_TO_MR;

	while (len) {
		unsigned long idx = pos >> PAGE_SHIFT;
		u64 chunk = min_t(u64, len, (u64)PRXE_ODP_FAULT_PAGES * PAGE_SIZE -
				  offset_in_page(pos));
		unsigned long n = (offset_in_page(pos) + chunk + PAGE_SIZE - 1) >>
				  PAGE_SHIFT;
		int err;

		mutex_lock(&odp->lock);
		if (!prxe_odp_present(odp, idx, n, write)) {
			mutex_unlock(&odp->lock);
			err = prxe_odp_fault_lock(odp, idx, n, write);
			if (err)
				return err;
		}
		prxe_pages_copy(prxe_odp_page, odp, pos, buf, chunk, dir);
		mutex_unlock(&odp->lock);
		buf += chunk;
		pos += chunk;
		len -= chunk;
	}
	return 0;
}
