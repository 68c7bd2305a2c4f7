/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel version differences, all in one place.  The rest of prxe is
 * written against the current API; each shim here says which kernels need it.
 */
#ifndef PRXE_COMPAT_H
#define PRXE_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "prxe supports Linux 6.1 and later"
#endif

/*
 * create_cq receives the uverbs attribute bundle (NULL for kernel CQs)
 * rather than the udata since 6.11.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define PRXE_CREATE_CQ_ARG	struct uverbs_attr_bundle *attrs
#define PRXE_CREATE_CQ_UDATA	(attrs ? &attrs->driver_udata : NULL)
#else
#define PRXE_CREATE_CQ_ARG	struct ib_udata *udata_arg
#define PRXE_CREATE_CQ_UDATA	udata_arg
#endif

/*
 * The ODP capability bits of FLUSH and ATOMIC WRITE have names since
 * 6.16; before, the bits pass to user space all the same.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 16, 0)
#define IB_ODP_SUPPORT_FLUSH		(1 << 6)
#define IB_ODP_SUPPORT_ATOMIC_WRITE	(1 << 7)
#endif

#endif /* PRXE_COMPAT_H */
