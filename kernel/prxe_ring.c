// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared rings: allocation, the user mapping through ib_core's mmap
 * entries, and teardown.
 *
 * Lifetime: a ring's buffer belongs to its mmap entry once it has one, and
 * is freed in prxe_mmap_free() when ib_core drops the entry's last
 * reference (after the ring is cleaned up and no mmap() is in progress).
 * Pages already mapped by the process stay valid until it unmaps them:
 * remap_vmalloc_range() holds a reference on each.
 *
 * The pages are charged to the memory cgroup of the process that creates
 * the ring (its QP, CQ or SRQ), like the rest of what it makes the kernel
 * allocate for it.
 */
#include <linux/vmalloc.h>
#include <linux/mm.h>

#include "prxe.h"
#include "prxe_ring.h"

/*
 * A ring's buffer of @size bytes (whole pages), zeroed: accounted pages
 * mapped in vmalloc space with VM_USERMAP, so that remap_vmalloc_range()
 * maps them to the process (vmalloc_user() charges nobody), and freed
 * with vfree(), which puts the pages and the array (VM_MAP_PUT_PAGES).
 */
static void *prxe_ring_buf_alloc(size_t size)
{
	unsigned long i, n = size >> PAGE_SHIFT;
	struct page **pages;
	void *buf;

	pages = kvcalloc(n, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return NULL;
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!pages[i])
			goto err;
	}
	buf = vmap(pages, n, VM_MAP | VM_MAP_PUT_PAGES | VM_USERMAP,
		   PAGE_KERNEL);
	if (buf)
		return buf;
err:
	while (i--)
		__free_page(pages[i]);
	kvfree(pages);
	return NULL;
}

int prxe_ring_init(struct prxe_ring *ring, struct ib_ucontext *uctx,
		   u32 num_entries, u32 entry_size, struct prxe_ring_map *map)
{
	struct prxe_mmap_entry *entry;
	size_t size;
	int err;

	if (!is_power_of_2(num_entries) || !entry_size || entry_size % 16)
		return -EINVAL;
	size = PAGE_ALIGN(PRXE_RING_HDR_SIZE +
			  (size_t)num_entries * entry_size);

	ring->hdr = prxe_ring_buf_alloc(size);
	if (!ring->hdr)
		return -ENOMEM;
	ring->num_entries = num_entries;
	ring->entry_size = entry_size;
	ring->kidx = 0;
	ring->mmap = NULL;
	if (!uctx)
		return 0;

	entry = kzalloc(sizeof(*entry), GFP_KERNEL_ACCOUNT);
	if (!entry) {
		err = -ENOMEM;
		goto err_free;
	}
	entry->buf = ring->hdr;
	err = rdma_user_mmap_entry_insert(uctx, &entry->rdma, size);
	if (err) {
		kfree(entry);
		goto err_free;
	}
	ring->mmap = entry;
	map->mmap_offset = rdma_user_mmap_get_offset(&entry->rdma);
	map->map_size = size;
	map->num_entries = num_entries;
	map->entry_size = entry_size;
	return 0;

err_free:
	vfree(ring->hdr);
	ring->hdr = NULL;
	return err;
}

void prxe_ring_cleanup(struct prxe_ring *ring)
{
	if (!ring->hdr)
		return;
	if (ring->mmap)
		rdma_user_mmap_entry_remove(&ring->mmap->rdma);
	else
		vfree(ring->hdr);
	ring->hdr = NULL;
	ring->mmap = NULL;
}

/* Empty the ring (QP to RESET): both indices back to zero. */
void prxe_ring_reset(struct prxe_ring *ring)
{
	ring->kidx = 0;
	WRITE_ONCE(ring->hdr->producer, 0);
	WRITE_ONCE(ring->hdr->consumer, 0);
	WRITE_ONCE(ring->hdr->kflags, 0);
}

int prxe_mmap(struct ib_ucontext *uctx, struct vm_area_struct *vma)
{
	struct rdma_user_mmap_entry *rdma_entry;
	struct prxe_mmap_entry *entry;
	int err;

	rdma_entry = rdma_user_mmap_entry_get(uctx, vma);
	if (!rdma_entry)
		return -EINVAL;
	entry = container_of(rdma_entry, struct prxe_mmap_entry, rdma);
	err = remap_vmalloc_range(vma, entry->buf, 0);
	rdma_user_mmap_entry_put(rdma_entry);
	return err;
}

void prxe_mmap_free(struct rdma_user_mmap_entry *rdma_entry)
{
	struct prxe_mmap_entry *entry =
		container_of(rdma_entry, struct prxe_mmap_entry, rdma);

	vfree(entry->buf);
	kfree(entry);
}
