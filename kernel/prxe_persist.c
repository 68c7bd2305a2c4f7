// SPDX-License-Identifier: GPL-2.0-only
/*
 * Persistence: what a FLUSH with placement type persistence does at the
 * responder, and which memory can take one.  The promise it keeps
 * (docs/ARCHITECTURE.md, "Durability"): once the FLUSH is answered, the
 * flushed range survives a power cut.
 *
 *  - The CPU cache is written back (arch_wb_cache_pmem(), then a store
 *    fence) over every page of the range prxe may have written: a pinned
 *    region's pages (prxe_mr_persist()); an ODP region's pages mirrored
 *    now (prxe_odp_writeback()) and those mirrored writable before and
 *    dropped since, which the invalidation wrote back as it dropped them.
 *  - Where the range lies in a file mapping on a DAX file system mapped
 *    without MAP_SYNC, the file range is synced (vfs_fsync_range(),
 *    datasync): the blocks an RDMA page fault allocated in a sparse file
 *    are on media only once the file system's journal says so.  A MAP_SYNC
 *    mapping's write faults make that metadata durable themselves.
 *
 * Memory that cannot be persistent gets a clear answer: a pinned region
 * asking for IB_ACCESS_FLUSH_PERSISTENT over pages that are not
 * persistent memory is refused at registration (-EOPNOTSUPP); an ODP
 * range that lies, at FLUSH time, in a mapping other than an fsdax file
 * or a device-dax device (anonymous memory, shmem, page cache) is
 * -EOPNOTSUPP, which the responder NAKs as a remote operational error.
 *
 * ODP persistence sleeps (mmap_lock, file I/O, a journal commit): it runs
 * in a fault worker (prxe_fault.c), never in a QP task, and holds no
 * region user reference meanwhile, so deregistration never waits for it.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/ioport.h>
#include <linux/libnvdimm.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>

#include "prxe.h"
#include "prxe_counters.h"
#include "prxe_mr.h"

#ifdef PRXE_TEST_HOOKS
/*
 * Fault injection of test builds only (make ... PRXE_TEST_HOOKS=1, as the
 * test bed builds): persistent FLUSHes skip the file sync, which breaks
 * the contract above on purpose, so that the power-cut test can show it
 * sees the loss (tests/testbed/powercut.sh).
 */
static bool test_skip_flush_sync;
module_param(test_skip_flush_sync, bool, 0644);
MODULE_PARM_DESC(test_skip_flush_sync,
		 "test builds only: persistent FLUSHes skip the file sync (loses data on a power cut)");
#define prxe_skip_flush_sync() READ_ONCE(test_skip_flush_sync)
#else
#define prxe_skip_flush_sync() false
#endif

/* Is @page persistent memory (of an NVDIMM region, or legacy pmem)? */
static bool prxe_page_is_pmem(struct page *page)
{
	resource_size_t phys = page_to_phys(page);

	if (!is_zone_device_page(page))
		return false;
	return region_intersects(phys, PAGE_SIZE, IORESOURCE_MEM,
				 IORES_DESC_PERSISTENT_MEMORY) ==
		       REGION_INTERSECTS ||
	       region_intersects(phys, PAGE_SIZE, IORESOURCE_MEM,
				 IORES_DESC_PERSISTENT_MEMORY_LEGACY) ==
		       REGION_INTERSECTS;
}

/* Registration of a pinned region with IB_ACCESS_FLUSH_PERSISTENT. */
bool prxe_pages_persistent(struct page **pages, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (!prxe_page_is_pmem(pages[i]))
			return false;
		if (!(i % 1024))
			cond_resched();
	}
	return true;
}

/* Write the CPU cache back over @len bytes at @off of @page. */
void prxe_page_writeback(struct page *page, unsigned int off,
			 unsigned int len)
{
	void *va = kmap_local_page(page);

	arch_wb_cache_pmem(va + off, len);
	kunmap_local(va);
}

/*
 * Can the mappings of [@start, @end) of @mm be made persistent?  0 if
 * every byte is in an fsdax file or device-dax mapping; -EFAULT for an
 * address not mapped, -EOPNOTSUPP for any other memory.  Under mmap_lock.
 */
static int prxe_vmas_persistent(struct mm_struct *mm, unsigned long start,
				unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long next = start;
	VMA_ITERATOR(vmi, mm, start);

	for_each_vma_range(vmi, vma, end) {
		if (vma->vm_start > next)
			return -EFAULT;
		if (!vma_is_dax(vma))
			return -EOPNOTSUPP;
		next = vma->vm_end;
	}
	return next >= end ? 0 : -EFAULT;
}

/*
 * The next fsdax file mapping without MAP_SYNC in [*@cursor, @end), with
 * a file reference, and the byte range of the file behind it; *@cursor
 * moves past it.  NULL when there is none.  Under mmap_lock.
 */
static struct file *prxe_next_unsynced(struct mm_struct *mm,
				       unsigned long *cursor, unsigned long end,
				       loff_t *fstart, loff_t *fend)
{
	struct vm_area_struct *vma;
	VMA_ITERATOR(vmi, mm, *cursor);

	for_each_vma_range(vmi, vma, end) {
		unsigned long first = max(*cursor, vma->vm_start);
		unsigned long last = min(end, vma->vm_end);

		*cursor = last;
		if (!vma_is_fsdax(vma) || (vma->vm_flags & VM_SYNC))
			continue;
		*fstart = ((loff_t)vma->vm_pgoff << PAGE_SHIFT) +
			  (first - vma->vm_start);
		*fend = *fstart + (last - first);
		return get_file(vma->vm_file);
	}
	*cursor = end;
	return NULL;
}

/**
 * prxe_odp_persist() - make a range of an ODP region persistent
 * @mr: the region
 * @iova: the range's first byte
 * @len: its length, > 0, inside the region (checked by the responder)
 *
 * Context: a fault worker; sleeps (mmap_lock, file syncs).
 * Return: 0; -EOPNOTSUPP (memory that cannot be persistent), -EFAULT (an
 * address not mapped, or the process gone), -EACCES (deregistered), or
 * the error of a file sync (-EIO).
 */
int prxe_odp_persist(struct prxe_mr *mr, u64 iova, u64 len)
{
	u64 pos = prxe_mr_pos(mr, iova);
	unsigned long start = prxe_odp_uaddr(mr, pos), cursor = start;
	unsigned long end = start + len;
	struct mm_struct *mm;
	loff_t fstart, fend;
	struct file *file;
	int err;

	might_sleep();
	mm = prxe_odp_mm_get(mr);
	if (!mm)
		return -EFAULT;
	mmap_read_lock(mm);
	err = prxe_vmas_persistent(mm, start, end);
	mmap_read_unlock(mm);

	while (!err && cursor < end && !READ_ONCE(mr->dead) &&
	       !prxe_skip_flush_sync()) {
		mmap_read_lock(mm);
		file = prxe_next_unsynced(mm, &cursor, end, &fstart, &fend);
		mmap_read_unlock(mm);
		if (!file)
			break;
		err = vfs_fsync_range(file, fstart, fend - 1, 1);
		fput(file);
		prxe_odp_count(mr, PRXE_CNT_FLUSH_SYNCS, 1);
	}
	mmput(mm);
	if (err)
		return err;
	return prxe_odp_writeback(mr, pos, len);
}
