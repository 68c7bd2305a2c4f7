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

#endif /* PRXE_COMPAT_H */
