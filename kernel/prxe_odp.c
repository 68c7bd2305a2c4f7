// SPDX-License-Identifier: GPL-2.0-only
/*
 * On-demand-paging memory regions: a mirror of the registering process's
 * page tables over the region, kept with the kernel's HMM API
 * (Documentation/mm/hmm.rst).  Nothing is pinned: a page is faulted in
 * (hmm_range_fault()) when the data path first touches it, and forgotten
 * when the kernel invalidates the mapping (the mmu_interval_notifier).
 *
 * The mirror is sparse, so that registering costs the same at any size:
 * an xarray indexed by 2 MiB block of user address (address >> PMD_SHIFT)
 * holds, per block the data path has touched,
 *   - a value entry, when the block is one PMD mapping (a DAX file or a
 *     device-dax mapping at 2 MiB, a transparent huge page): the block's
 *     first pfn and whether it is writable; 8 bytes for 2 MiB;
 *   - else a leaf: one HMM pfn word per 4 KiB page of the block (4 KiB
 *     per 2 MiB, 8 bytes per page): 0 while the page is not mirrored, else
 *     its pfn with HMM_PFN_VALID and, if writable, HMM_PFN_WRITE;
 *   - or a reserved (empty) slot, which reads as "nothing mirrored".
 * Slots and leaves are allocated before odp->lock is taken (they may need
 * memory) and changed under it; invalidation may free them (emptied
 * leaves), which moves the notifier's sequence, so that a fill prepared
 * before it is never stored.  An entry read under odp->lock holds until
 * the lock is dropped.
 *
 * The HMM contract, as followed here:
 *   - to use a page: under odp->lock, a mirrored page (writable, to write)
 *     is usable until the lock is dropped: the invalidate callback takes
 *     the same lock before it clears entries and lets the kernel go on;
 *   - to fill entries: mmu_interval_read_begin(), hmm_range_fault() into a
 *     private array, then under odp->lock mmu_interval_read_retry(); only
 *     if the sequence did not move are the entries stored.
 *     hmm_range_fault() takes no page
 *     references: the lock and the sequence are what keep a page (a DAX
 *     page of a file included) valid while it is copied.
 *
 * Copies never fault: a page not mirrored (not writable, to write) is
 * -EAGAIN, and a fault worker (prxe_fault.c) calls prxe_odp_fault() with
 * no QP lock held, after which the data path copies again.  A page the
 * device writes through the kernel mapping is marked dirty there and then,
 * as the CPU's write through the PTE would have: HMM may hand out a
 * writable PTE over a clean page (a swap-cache page after a read fault, a
 * page after MADV_FREE), which reclaim would otherwise drop unwritten.
 *
 * Faults and copies being apart, an invalidation storm could take the
 * pages away between a worker's fault and the copy that waited for it,
 * every time.  So a worker's successful fault holds invalidations of the
 * region back for a moment (PRXE_ODP_HOLD_MS, prxe_odp_hold()), until
 * the copy that asked for it is made (prxe_odp_unhold()): blockable
 * invalidations wait for that, which keeps every request making progress;
 * the copy still checks the mirror, so the hold only ever affects
 * progress, never what is copied.
 *
 * Deregistration kills the mirror (prxe_odp_kill()): the notifier goes,
 * the entries go, and a fault worker still running finds the region dead
 * under odp->lock and stores nothing.  The structure itself (its lock, the
 * mm it holds with mmgrab()) stays until the region's last reference.
 *
 * The mirror's memory (leaves, xarray nodes) is charged to the memory
 * cgroup of the process that registered the region, also when a worker
 * allocates it; leaves that invalidation empties are freed.
 *
 * Lock order (docs/ARCHITECTURE.md): mmap_lock (read, hmm_range_fault())
 * is never taken under odp->lock, nor is memory allocated there that may
 * reclaim (and so call the invalidate callback); odp->lock -> the
 * xarray's lock.  The invalidate callback runs with the mm's own locks
 * held and takes only odp->lock.
 */
#include <linux/delay.h>
#include <linux/hmm.h>
#include <linux/jiffies.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <rdma/rdma_netlink.h>

#include "prxe.h"
#include "prxe_counters.h"
#include "prxe_mr.h"

/*
 * How long invalidations wait, after a fault worker mirrored pages of the
 * region, for the copy that asked for them (prxe_odp_hold()).
 */
#define PRXE_ODP_HOLD_MS	10

/* Pages faulted at most per hmm_range_fault() call. */
#define PRXE_ODP_FAULT_PAGES	16

/*
 * hmm_range_fault() answering -EBUSY (the range changed under it): tried
 * again as long as that goes on, with a short sleep after this many tries
 * in a row so that an invalidation storm is not met with a busy loop.
 */
#define PRXE_ODP_BUSY_SPIN	64

/* The mirror's blocks: one PMD's worth of address. */
#define PRXE_ODP_BLOCK_SHIFT	PMD_SHIFT
#define PRXE_ODP_BLOCK_ORDER	(PMD_SHIFT - PAGE_SHIFT)
#define PRXE_ODP_BLOCK_PAGES	(1UL << PRXE_ODP_BLOCK_ORDER)

/* A block mapped page by page: an HMM pfn word per page, 0 if none. */
struct prxe_odp_leaf {
	unsigned long	pfns[PRXE_ODP_BLOCK_PAGES];
};

/* A block mapped as one PMD: a value entry of its first pfn and W bit. */
#define PRXE_ODP_PMD_WRITE	1UL
#define PRXE_ODP_PMD_PFN_SHIFT	1

struct prxe_odp {
	struct mmu_interval_notifier	notifier;
	struct prxe_dev			*prxe;	/* for its counters, while alive */
	struct mm_struct		*mm;	/* mmgrab()bed until freed */
	struct mem_cgroup		*memcg;	/* charged for the mirror */
	struct mutex			lock;	/* the entries, copies vs invalidation */
	struct xarray			blocks;	/* by address >> PMD_SHIFT */
	unsigned long			start;	/* first page's user address */
	unsigned long			end;	/* after the last page */
	u64				first;	/* the region's first byte */
	u64				last;	/* after its last byte */
	/* Under lock: deregistered (nothing is stored or used any more). */
	bool				dead;
	/* Under lock: invalidations wait until then (jiffies), or unhold. */
	unsigned long			hold_until;
	wait_queue_head_t		hold_wq;
	/* Under lock: what the mirror holds now (rdma resource show mr). */
	unsigned long			nr_leaves;
	unsigned long			nr_pmds;
};

static unsigned long prxe_odp_block(unsigned long addr)
{
	return addr >> PRXE_ODP_BLOCK_SHIFT;
}

/* Index of the page at @addr in its block. */
static unsigned long prxe_odp_block_page(unsigned long addr)
{
	return (addr >> PAGE_SHIFT) & (PRXE_ODP_BLOCK_PAGES - 1);
}

static bool prxe_odp_is_pmd(const void *entry)
{
	return xa_is_value(entry);
}

/*
 * Under odp->lock: write the CPU cache back to memory over the persistent
 * memory pages (ZONE_DEVICE: fsdax, device-dax) block @b's @entry mirrors
 * in [@first, @last) (only those mirrored writable if @written_only).
 * Returns the bytes written back (prxe_persist.c).
 */
static u64 prxe_odp_writeback_block(void *entry, unsigned long b,
				    unsigned long first, unsigned long last,
				    bool written_only)
{
	unsigned long base = b << PRXE_ODP_BLOCK_SHIFT, addr, word;
	u64 bytes = 0;

	if (xa_is_zero(entry))
		return 0;
	if (prxe_odp_is_pmd(entry)) {
		word = xa_to_value(entry);
		if (written_only && !(word & PRXE_ODP_PMD_WRITE))
			return 0;
	}
	first = max(first, base);
	last = min(last, base + (PRXE_ODP_BLOCK_PAGES << PAGE_SHIFT));
	for (addr = first; addr < last; addr = (addr & PAGE_MASK) + PAGE_SIZE) {
		unsigned int off = offset_in_page(addr);
		unsigned int n = min_t(unsigned long, last - addr,
				       PAGE_SIZE - off);
		struct page *page;

		if (prxe_odp_is_pmd(entry)) {
			page = pfn_to_page((word >> PRXE_ODP_PMD_PFN_SHIFT) +
					   prxe_odp_block_page(addr));
		} else {
			word = ((struct prxe_odp_leaf *)entry)->pfns[
				prxe_odp_block_page(addr)];
			if (!(word & HMM_PFN_VALID) ||
			    (written_only && !(word & HMM_PFN_WRITE)))
				continue;
			page = hmm_pfn_to_page(word);
		}
		if (!is_zone_device_page(page))
			continue;
		prxe_page_writeback(page, off, n);
		bytes += n;
	}
	return bytes;
}

/*
 * Under odp->lock: forget block @b's entries for [@first, @last); a leaf
 * left empty is freed with its slot.  What the device may have written
 * into persistent memory through them is written back from the CPU cache
 * first: a FLUSH after the invalidation no longer sees those pages
 * (docs/ARCHITECTURE.md, "Durability").
 */
static void prxe_odp_invalidate_block(struct prxe_odp *odp, unsigned long b,
				      void *entry, unsigned long first,
				      unsigned long last, bool *dropped)
{
	struct prxe_odp_leaf *leaf = entry;
	unsigned long base = b << PRXE_ODP_BLOCK_SHIFT, i, n;

	lockdep_assert_held(&odp->lock);
	if (xa_is_zero(entry))
		return;
	if (prxe_odp_is_pmd(entry)) {
		/* The whole block goes, whatever part was invalidated. */
		prxe_odp_writeback_block(entry, b, base,
					 base + (PRXE_ODP_BLOCK_PAGES <<
						 PAGE_SHIFT), true);
		xa_erase(&odp->blocks, b);
		odp->nr_pmds--;
		*dropped = true;
		return;
	}
	prxe_odp_writeback_block(entry, b, first, last, true);
	first = max(first, base);
	last = min(last, base + (PRXE_ODP_BLOCK_PAGES << PAGE_SHIFT));
	i = prxe_odp_block_page(first);
	for (n = (last - first) >> PAGE_SHIFT; n; n--, i++) {
		*dropped |= leaf->pfns[i] != 0;
		leaf->pfns[i] = 0;
	}
	if (!memchr_inv(leaf->pfns, 0, sizeof(leaf->pfns))) {
		xa_erase(&odp->blocks, b);
		kfree(leaf);
		odp->nr_leaves--;
	}
}

static bool prxe_odp_invalidate(struct mmu_interval_notifier *mni,
				const struct mmu_notifier_range *range,
				unsigned long cur_seq)
{
	struct prxe_odp *odp = container_of(mni, struct prxe_odp, notifier);
	unsigned long first, last, b;
	bool dropped = false;
	void *entry;

	if (mmu_notifier_range_blockable(range)) {
		mutex_lock(&odp->lock);
		/*
		 * A copy that waited for a fault goes first: waited for once,
		 * PRXE_ODP_HOLD_MS at most (holds taken meanwhile do not make
		 * the invalidation wait again).
		 */
		if (time_before(jiffies, odp->hold_until)) {
			long left = odp->hold_until - jiffies;

			mutex_unlock(&odp->lock);
			wait_event_timeout(odp->hold_wq,
					   !time_before(jiffies,
							READ_ONCE(odp->hold_until)),
					   left);
			mutex_lock(&odp->lock);
		}
	} else if (!mutex_trylock(&odp->lock)) {
		return false;
	}

	mmu_interval_set_seq(mni, cur_seq);
	/* The notifier only calls for ranges that meet the region. */
	first = max(range->start, odp->start) & PAGE_MASK;
	last = PAGE_ALIGN(min(range->end, odp->end));
	if (first < last) {
		xa_for_each_range(&odp->blocks, b, entry, prxe_odp_block(first),
				  prxe_odp_block(last - 1))
			prxe_odp_invalidate_block(odp, b, entry, first, last,
						  &dropped);
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
 * @length: its length, non-zero
 *
 * Costs the same at any size: nothing is mirrored before it is used.
 *
 * Return: 0, or -EINVAL (the range wraps), -ENOMEM, -EFAULT (no user
 * address space) or an errno of mmu_interval_notifier_insert().
 */
int prxe_odp_init(struct prxe_mr *mr, struct prxe_dev *prxe, u64 start,
		  u64 length)
{
	unsigned long end;
	struct prxe_odp *odp;
	int err;

	if (!current->mm)
		return -EFAULT;
	/* The last page's end must not wrap. */
	if (check_add_overflow(start, length, &end) ||
	    check_add_overflow(end, PAGE_SIZE - 1, &end))
		return -EINVAL;

	odp = kzalloc(sizeof(*odp), GFP_KERNEL_ACCOUNT);
	if (!odp)
		return -ENOMEM;
	odp->prxe = prxe;
	odp->start = start & PAGE_MASK;
	odp->end = end & PAGE_MASK;
	odp->first = start;
	odp->last = start + length;
	mutex_init(&odp->lock);
	init_waitqueue_head(&odp->hold_wq);
	xa_init_flags(&odp->blocks, XA_FLAGS_ACCOUNT);
	err = mmu_interval_notifier_insert(&odp->notifier, current->mm,
					   odp->start, odp->end - odp->start,
					   &prxe_odp_ops);
	if (err) {
		kfree(odp);
		return err;
	}
	odp->mm = current->mm;
	mmgrab(odp->mm);
	odp->memcg = get_mem_cgroup_from_mm(odp->mm);
	mr->odp = odp;
	mr->first_offset = offset_in_page(start);
	return 0;
}

/*
 * At deregistration, once no copy is in progress: no invalidation calls
 * any more, nothing mirrored, and a fault worker still running stores
 * nothing (it finds the region dead under the lock).
 */
void prxe_odp_kill(struct prxe_mr *mr)
{
	struct prxe_odp *odp = mr->odp;
	unsigned long b;
	void *entry;

	/* Waits for an invalidation in progress. */
	mmu_interval_notifier_remove(&odp->notifier);
	mutex_lock(&odp->lock);
	odp->dead = true;
	xa_for_each(&odp->blocks, b, entry)
		if (!prxe_odp_is_pmd(entry))
			kfree(entry);
	xa_destroy(&odp->blocks);
	odp->nr_leaves = 0;
	odp->nr_pmds = 0;
	mutex_unlock(&odp->lock);
}

/* With the region's last reference (prxe_mr_put()), after prxe_odp_kill(). */
void prxe_odp_free(struct prxe_mr *mr)
{
	struct prxe_odp *odp = mr->odp;

	/* Slots a fault worker reserved after prxe_odp_kill(). */
	xa_destroy(&odp->blocks);
	mem_cgroup_put(odp->memcg);
	if (odp->mm)
		mmdrop(odp->mm);
	kfree(odp);
	mr->odp = NULL;
}

/*
 * Does [@pos, @pos + @len) (from the start of the region's first page,
 * @len > 0) lie inside the region?  In 64-bit arithmetic that cannot wrap:
 * the mirror's own check, whatever its callers checked.
 */
static bool prxe_odp_in_region(const struct prxe_odp *odp, u64 pos, u64 len)
{
	u64 addr;

	if (check_add_overflow((u64)odp->start, pos, &addr))
		return false;
	return addr >= odp->first && len <= odp->last - addr;
}

/*
 * The page at @addr as @entry (its block's) mirrors it, or NULL if it is
 * not mirrored (or not writable and @write).  Under odp->lock.
 */
static struct page *prxe_odp_entry_page(void *entry, unsigned long addr,
					bool write)
{
	unsigned long pfn;

	if (!entry || xa_is_zero(entry))
		return NULL;
	if (prxe_odp_is_pmd(entry)) {
		pfn = xa_to_value(entry);
		if (write && !(pfn & PRXE_ODP_PMD_WRITE))
			return NULL;
		pfn >>= PRXE_ODP_PMD_PFN_SHIFT;
		return pfn_to_page(pfn + prxe_odp_block_page(addr));
	}
	pfn = ((struct prxe_odp_leaf *)entry)->pfns[prxe_odp_block_page(addr)];
	if (!(pfn & HMM_PFN_VALID) || (write && !(pfn & HMM_PFN_WRITE)))
		return NULL;
	return hmm_pfn_to_page(pfn);
}

/* The pages of one piece of a copy, gathered under odp->lock. */
struct prxe_odp_pages {
	unsigned long	first;		/* page index of page[0] in the region */
	unsigned long	n;
	struct page	*page[PRXE_ODP_FAULT_PAGES];
};

/*
 * The @n pages from @addr, all mirrored (writable if @write)?  Gathers
 * them into @pg, one xarray lookup per block.  Under odp->lock.
 */
static bool prxe_odp_gather(struct prxe_odp *odp, unsigned long addr,
			    unsigned long n, bool write,
			    struct prxe_odp_pages *pg)
{
	unsigned long b = prxe_odp_block(addr), i;
	void *entry = xa_load(&odp->blocks, b);

	lockdep_assert_held(&odp->lock);
	pg->first = (addr - odp->start) >> PAGE_SHIFT;
	pg->n = n;
	for (i = 0; i < n; i++, addr += PAGE_SIZE) {
		if (prxe_odp_block(addr) != b) {
			b = prxe_odp_block(addr);
			entry = xa_load(&odp->blocks, b);
		}
		pg->page[i] = prxe_odp_entry_page(entry, addr, write);
		if (!pg->page[i])
			return false;
	}
	return true;
}


/*
 * The device wrote the gathered pages through the kernel mapping: as the
 * CPU's write through the PTE would have, that dirties them.  Under
 * odp->lock with the pages mirrored, so their PTEs still map them (the
 * invalidation that precedes an unmap waits for the lock), which keeps
 * truncation away as the page table lock does for zap_pte_range().
 */
static void prxe_odp_pages_written(const struct prxe_odp_pages *pg)
{
	unsigned long i;

	for (i = 0; i < pg->n; i++) {
		struct folio *folio = page_folio(pg->page[i]);

		if (!folio_test_dirty(folio))
			folio_mark_dirty(folio);
	}
}

/* The piece of an access a copy or a fault takes at a time. */
struct prxe_odp_piece {
	unsigned long	addr;		/* user address of its first page */
	unsigned long	pages;		/* at most PRXE_ODP_FAULT_PAGES */
	u64		bytes;		/* of the access, from pos */
};

/* The first piece of [@pos, @pos + @len) of the region. */
static struct prxe_odp_piece prxe_odp_piece(const struct prxe_odp *odp,
					    u64 pos, u64 len)
{
	struct prxe_odp_piece pc = {
		.addr = odp->start + (pos & PAGE_MASK),
		.bytes = min_t(u64, len, (u64)PRXE_ODP_FAULT_PAGES * PAGE_SIZE -
			       offset_in_page(pos)),
	};

	pc.pages = (offset_in_page(pos) + pc.bytes + PAGE_SIZE - 1) >>
		   PAGE_SHIFT;
	return pc;
}

/*
 * The @n pages from @addr (n <= PRXE_ODP_FAULT_PAGES), writable if @write,
 * into @pg: 0 with odp->lock held (the pages stay valid until it is
 * dropped), -EAGAIN when some are not mirrored so, -EACCES when the region
 * is dead.
 */
static int prxe_odp_pages_lock(struct prxe_odp *odp, unsigned long addr,
			       unsigned long n, bool write,
			       struct prxe_odp_pages *pg)
{
	int err;

	mutex_lock(&odp->lock);
	if (!odp->dead && prxe_odp_gather(odp, addr, n, write, pg))
		return 0;
	err = odp->dead ? -EACCES : -EAGAIN;
	mutex_unlock(&odp->lock);
	return err;
}

/**
 * prxe_odp_copy() - copy to or from an ODP memory region, without faulting
 * @mr: the region
 * @pos: byte offset from the start of the region's first page
 * @buf: the kernel buffer
 * @len: bytes, > 0; [@pos, @pos + @len) must be inside the region
 * @dir: PRXE_TO_MR (writes the region, dirtying its pages) or PRXE_FROM_MR
 *
 * A few pages at a time, each piece under odp->lock.  What came before a
 * page not mirrored is copied.
 *
 * Context: takes odp->lock; never faults.
 * Return: 0, -EAGAIN if a page is not mirrored (not writable, to write),
 * -EACCES if the range is not inside the region or the region is dead.
 */
int prxe_odp_copy(struct prxe_mr *mr, u64 pos, void *buf, u64 len,
		  enum prxe_copy_dir dir)
{
	struct prxe_odp *odp = mr->odp;
	bool write = dir == PRXE_TO_MR;
	struct prxe_odp_pages pg;

	if (!prxe_odp_in_region(odp, pos, len))
		return -EACCES;
	while (len) {
		struct prxe_odp_piece pc = prxe_odp_piece(odp, pos, len);
		int err;

		err = prxe_odp_pages_lock(odp, pc.addr, pc.pages, write, &pg);
		if (err)
			return err;
		prxe_pages_copy(pg.page, pos - ((u64)pg.first << PAGE_SHIFT),
				buf, pc.bytes, dir);
		if (write)
			prxe_odp_pages_written(&pg);
		mutex_unlock(&odp->lock);
		buf += pc.bytes;
		pos += pc.bytes;
		len -= pc.bytes;
	}
	return 0;
}

/* Is the page of HMM pfn word @pfn mapped as (part of) a whole PMD? */
static bool prxe_odp_pfn_is_pmd(unsigned long pfn)
{
	return hmm_pfn_to_map_order(pfn) >= PRXE_ODP_BLOCK_ORDER;
}

/*
 * A faulted range of pages in blocks: @n pages from @addr (at most two
 * blocks, PRXE_ODP_FAULT_PAGES < PRXE_ODP_BLOCK_PAGES), with the leaves
 * the blocks mapped page by page may need.
 */
struct prxe_odp_fill {
	unsigned long		addr;
	unsigned long		n;
	const unsigned long	*pfns;
	struct prxe_odp_leaf	*leaf[2];
};

/*
 * Before taking odp->lock: a slot for each block of @fill, and a leaf for
 * each block mapped page by page that has none yet.  Charged to the
 * region's memory cgroup (the caller's active one).
 */
static int prxe_odp_fill_prepare(struct prxe_odp *odp,
				 struct prxe_odp_fill *fill)
{
	unsigned long b = prxe_odp_block(fill->addr), i = 0;
	int k = 0, err;

	while (i < fill->n) {
		unsigned long in_block = min(fill->n - i, PRXE_ODP_BLOCK_PAGES -
			prxe_odp_block_page(fill->addr + (i << PAGE_SHIFT)));
		void *entry = xa_load(&odp->blocks, b);

		err = xa_reserve(&odp->blocks, b, GFP_KERNEL_ACCOUNT);
		if (err)
			return err;
		if (!prxe_odp_pfn_is_pmd(fill->pfns[i]) &&
		    (!entry || xa_is_zero(entry) || prxe_odp_is_pmd(entry)) &&
		    !fill->leaf[k]) {
			fill->leaf[k] = kzalloc(sizeof(*fill->leaf[k]),
						GFP_KERNEL_ACCOUNT);
			if (!fill->leaf[k])
				return -ENOMEM;
		}
		i += in_block;
		b++;
		k++;
	}
	return 0;
}

/*
 * Under odp->lock, the sequence checked: store @fill's pages.  Returns
 * false if a block needs a leaf or a slot prxe_odp_fill_prepare() did not
 * provide (the mirror changed meanwhile): then prepare again.
 */
static bool prxe_odp_fill_store(struct prxe_odp *odp,
				struct prxe_odp_fill *fill)
{
	unsigned long b = prxe_odp_block(fill->addr), i = 0;
	int k = 0;

	lockdep_assert_held(&odp->lock);
	while (i < fill->n) {
		unsigned long addr = fill->addr + (i << PAGE_SHIFT);
		unsigned long in_block = min(fill->n - i, PRXE_ODP_BLOCK_PAGES -
					     prxe_odp_block_page(addr));
		unsigned long pfn = fill->pfns[i];
		void *entry = xa_load(&odp->blocks, b), *old;
		struct prxe_odp_leaf *leaf;

		if (prxe_odp_pfn_is_pmd(pfn)) {
			/* The whole block, from its first page's pfn. */
			pfn = page_to_pfn(hmm_pfn_to_page(pfn)) -
			      prxe_odp_block_page(addr);
			pfn = pfn << PRXE_ODP_PMD_PFN_SHIFT |
			      (fill->pfns[i] & HMM_PFN_WRITE ?
			       PRXE_ODP_PMD_WRITE : 0);
			/* Over the slot prepared: allocates nothing. */
			old = xa_store(&odp->blocks, b, xa_mk_value(pfn),
				       GFP_NOWAIT);
			if (xa_is_err(old))
				return false;
			if (!old || xa_is_zero(old)) {
				/* a reserved slot: nothing was there */
			} else if (prxe_odp_is_pmd(old)) {
				odp->nr_pmds--;
			} else {
				kfree(old);
				odp->nr_leaves--;
			}
			odp->nr_pmds++;
			prxe_counter_inc(odp->prxe, PRXE_CNT_ODP_PMD_MAPPINGS);
		} else {
			leaf = entry;
			if (!leaf || xa_is_zero(entry) || prxe_odp_is_pmd(entry)) {
				leaf = fill->leaf[k];
				if (!leaf)
					return false;
				old = xa_store(&odp->blocks, b, leaf,
					       GFP_NOWAIT);
				if (xa_is_err(old))
					return false;
				fill->leaf[k] = NULL;
				odp->nr_leaves++;
				if (prxe_odp_is_pmd(old))
					odp->nr_pmds--;
			}
			memcpy(&leaf->pfns[prxe_odp_block_page(addr)],
			       &fill->pfns[i], in_block * sizeof(*fill->pfns));
		}
		i += in_block;
		b++;
		k++;
	}
	prxe_counter_add(odp->prxe, PRXE_CNT_ODP_PAGE_FAULTS, fill->n);
	return true;
}

/*
 * Fault the @n pages from @addr in (n <= PRXE_ODP_FAULT_PAGES) and mirror
 * them, tried again for as long as the mapping changes under the fault.
 * Returns 0, -EFAULT when a page cannot be had with that access (no
 * mapping, no permission, the process gone), -EACCES when the region died
 * meanwhile, or -ENOMEM.
 */
static int prxe_odp_fault_pages(struct prxe_odp *odp, unsigned long addr,
				unsigned long n, bool write)
{
	unsigned long pfns[PRXE_ODP_FAULT_PAGES];
	struct hmm_range range = {
		.notifier = &odp->notifier,
		.start = addr,
		.end = addr + (n << PAGE_SHIFT),
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT |
				 (write ? HMM_PFN_REQ_WRITE : 0),
	};
	struct prxe_odp_fill fill = { .addr = addr, .n = n, .pfns = pfns };
	struct mem_cgroup *old_memcg;
	unsigned int busy = 0;
	int err;

	/* The process may be exiting: then there is nothing to mirror. */
	if (!mmget_not_zero(odp->mm))
		return -EFAULT;
	old_memcg = set_active_memcg(odp->memcg);
	for (;;) {
		if (READ_ONCE(odp->dead)) {
			err = -EACCES;
			break;
		}
		range.notifier_seq = mmu_interval_read_begin(&odp->notifier);
		mmap_read_lock(odp->mm);
		err = hmm_range_fault(&range);
		mmap_read_unlock(odp->mm);
		if (!err)
			err = prxe_odp_fill_prepare(odp, &fill);
		if (!err) {
			mutex_lock(&odp->lock);
			if (odp->dead)
				err = -EACCES;
			else if (mmu_interval_read_retry(&odp->notifier,
							 range.notifier_seq) ||
				 !prxe_odp_fill_store(odp, &fill))
				err = -EBUSY;
			mutex_unlock(&odp->lock);
		}
		if (err != -EBUSY)
			break;
		/* The range changed meanwhile: again, not an error. */
		if (++busy % PRXE_ODP_BUSY_SPIN == 0)
			usleep_range(100, 200);
		else
			cond_resched();
	}
	set_active_memcg(old_memcg);
	mmput(odp->mm);
	kfree(fill.leaf[0]);
	kfree(fill.leaf[1]);
	/* -EFAULT, -EPERM (write to a read-only mapping), -ENOMEM, ... */
	return err == -EPERM ? -EFAULT : err;
}

/**
 * prxe_odp_fault() - fault the pages of a range of an ODP region in
 * @mr: the region
 * @pos: byte offset from the start of the region's first page
 * @len: bytes, > 0; [@pos, @pos + @len) must be inside the region
 * @write: writable
 *
 * Pages already mirrored so are skipped.  They may be invalidated again
 * right after: the copy that follows still checks.
 *
 * Context: a fault worker, no lock held; may sleep for as long as the
 * faults take (file I/O, reclaim).  Gives up between pieces once the
 * region is dead.
 * Return: 0, -EFAULT if some page cannot be had (unmapped, beyond the end
 * of a file, not writable), -EACCES (outside the region, or dead), or
 * -ENOMEM.
 */
int prxe_odp_fault(struct prxe_mr *mr, u64 pos, u64 len, bool write)
{
	struct prxe_odp *odp = mr->odp;
	struct prxe_odp_pages pg;

	might_sleep();
	if (!prxe_odp_in_region(odp, pos, len))
		return -EACCES;
	while (len) {
		struct prxe_odp_piece pc = prxe_odp_piece(odp, pos, len);
		int err;

		err = prxe_odp_pages_lock(odp, pc.addr, pc.pages, write, &pg);
		if (!err)
			mutex_unlock(&odp->lock);
		else if (err == -EAGAIN)
			err = prxe_odp_fault_pages(odp, pc.addr, pc.pages, write);
		if (err)
			return err;
		pos += pc.bytes;
		len -= pc.bytes;
	}
	return 0;
}

/**
 * prxe_odp_hold() - keep what a fault mirrored for the copy that waits
 * @mr: the region a fault worker has just faulted pages of
 *
 * Blockable invalidations of the region wait PRXE_ODP_HOLD_MS at most,
 * or until prxe_odp_unhold(), so that the copy the fault was for finds
 * the pages there even under an invalidation storm.
 */
void prxe_odp_hold(struct prxe_mr *mr)
{
	struct prxe_odp *odp = mr->odp;

	mutex_lock(&odp->lock);
	if (!odp->dead)
		odp->hold_until = jiffies + msecs_to_jiffies(PRXE_ODP_HOLD_MS);
	mutex_unlock(&odp->lock);
}

/*
 * The copy a fault held pages for is made: invalidations go on.  (A hold
 * is the region's, not a copy's: another QP's copy on the same region may
 * lose its moment, and fault once more.)
 */
void prxe_odp_unhold(struct prxe_mr *mr)
{
	struct prxe_odp *odp = mr->odp;

	mutex_lock(&odp->lock);
	odp->hold_until = jiffies;
	mutex_unlock(&odp->lock);
	wake_up_all(&odp->hold_wq);
}

/**
 * prxe_odp_atomic() - an 8-byte atomic on an ODP memory region
 * @mr: the region; the 8 bytes at @pos are inside it and aligned
 * @pos: byte offset from the start of the region's first page
 * @a: the operation; its original value is returned in it
 *
 * Done under odp->lock on a page mirrored writable, so not on a page the
 * kernel took away; the page is dirtied.
 *
 * Context: takes odp->lock; never faults.
 * Return: 0, -EAGAIN if the page is not mirrored writable, -EACCES as
 * prxe_odp_copy().
 */
int prxe_odp_atomic(struct prxe_mr *mr, u64 pos, struct prxe_atomic *a)
{
	struct prxe_odp *odp = mr->odp;
	struct prxe_odp_pages pg;
	int err;

	if (!prxe_odp_in_region(odp, pos, sizeof(u64)))
		return -EACCES;
	err = prxe_odp_pages_lock(odp, odp->start + (pos & PAGE_MASK), 1, true,
				  &pg);
	if (err)
		return err;
	prxe_page_atomic(pg.page[0], offset_in_page(pos), a);
	prxe_odp_pages_written(&pg);
	mutex_unlock(&odp->lock);
	return 0;
}

/**
 * prxe_odp_writeback() - write the CPU cache back over a range's mirror
 * @mr: the ODP region
 * @pos: byte offset of the range from the start of the region's first page
 * @len: its length, > 0, inside the region
 *
 * Every persistent memory page mirrored in the range now: for a FLUSH
 * with placement type persistence (prxe_persist.c); pages mirrored before
 * and invalidated since were written back when they were dropped.  Adds
 * to the flush_wb_bytes counter.
 *
 * Context: takes odp->lock; never faults.
 * Return: 0, or -EACCES (outside the region, or deregistered).
 */
int prxe_odp_writeback(struct prxe_mr *mr, u64 pos, u64 len)
{
	struct prxe_odp *odp = mr->odp;
	unsigned long first, last, b;
	u64 bytes = 0;
	void *entry;

	if (!prxe_odp_in_region(odp, pos, len))
		return -EACCES;
	first = odp->start + pos;
	last = first + len;
	mutex_lock(&odp->lock);
	if (odp->dead) {
		mutex_unlock(&odp->lock);
		return -EACCES;
	}
	xa_for_each_range(&odp->blocks, b, entry, prxe_odp_block(first),
			  prxe_odp_block(last - 1))
		bytes += prxe_odp_writeback_block(entry, b, first, last, false);
	prxe_counter_add(odp->prxe, PRXE_CNT_FLUSH_WB_BYTES, bytes);
	mutex_unlock(&odp->lock);
	return 0;
}

/*
 * The registering process's address space, with a user reference (to
 * mmput()), or NULL if it is gone; and the user address of byte @pos of
 * the region (prxe_persist.c walks the mappings behind a range).
 */
struct mm_struct *prxe_odp_mm_get(struct prxe_mr *mr)
{
	return mmget_not_zero(mr->odp->mm) ? mr->odp->mm : NULL;
}

unsigned long prxe_odp_uaddr(struct prxe_mr *mr, u64 pos)
{
	return mr->odp->start + pos;
}

/* A counter of the region's device, while the region is registered. */
void prxe_odp_count(struct prxe_mr *mr, enum prxe_counter counter, u64 n)
{
	struct prxe_odp *odp = mr->odp;

	mutex_lock(&odp->lock);
	if (!odp->dead)
		prxe_counter_add(odp->prxe, counter, n);
	mutex_unlock(&odp->lock);
}

/*
 * What the mirror of an ODP region holds now, for `rdma resource show mr
 * -dd`: blocks mirrored as one 2 MiB entry, blocks mirrored page by page,
 * and the bytes that costs (a leaf per page-by-page block; the xarray's
 * slots are counted at 8 bytes per block, its node headers not).
 */
int prxe_odp_fill_res(struct sk_buff *msg, struct prxe_mr *mr)
{
	struct prxe_odp *odp = mr->odp;
	unsigned long leaves, pmds;
	struct nlattr *table;
	int err;

	mutex_lock(&odp->lock);
	leaves = odp->nr_leaves;
	pmds = odp->nr_pmds;
	mutex_unlock(&odp->lock);

	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		return -EMSGSIZE;
	err = rdma_nl_put_driver_u64(msg, "odp_pmd_blocks", pmds) ?:
	      rdma_nl_put_driver_u64(msg, "odp_page_blocks", leaves) ?:
	      rdma_nl_put_driver_u64(msg, "odp_mirror_bytes",
				     leaves * sizeof(struct prxe_odp_leaf) +
				     (leaves + pmds) * sizeof(void *));
	if (err) {
		nla_nest_cancel(msg, table);
		return err;
	}
	nla_nest_end(msg, table);
	return 0;
}
