/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR Linux-OpenIB) */
/*
 * ABI between prxe.ko and the prxe libibverbs provider (providers/prxe).
 *
 * This is the only header both sides include.  It holds the driver-private
 * parts of the uverbs commands (the "udata" the provider appends to the
 * standard ib_user_verbs.h structures) and the names through which the
 * provider recognises a prxe device.
 *
 * Changing the layout of anything here needs PRXE_UVERBS_ABI_VERSION bumped.
 */
#ifndef PRXE_ABI_H
#define PRXE_ABI_H

#include <linux/types.h>

/*
 * Driver ABI version: reported by the kernel in
 * /sys/class/infiniband_verbs/uverbsN/abi_version and checked by libibverbs
 * against the provider's accepted range.
 */
#define PRXE_UVERBS_ABI_VERSION		1

/*
 * Every prxe ib_device carries this sysfs attribute
 * (/sys/class/infiniband/<name>/prxe_abi_version, holding the ABI version in
 * decimal).  prxe has no driver id of its own in rdma-core and the user picks
 * the device name, so the provider claims devices by this attribute.
 */
#define PRXE_SYSFS_ABI_ATTR		"prxe_abi_version"

/* Response of ALLOC_UCONTEXT (after struct ib_uverbs_get_context_resp). */
struct prxe_alloc_ucontext_resp {
	__u32 abi_version;	/* PRXE_UVERBS_ABI_VERSION */
	__u32 reserved;
};

#endif /* PRXE_ABI_H */
