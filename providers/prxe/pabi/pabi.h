/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Selects the declarations of libibverbs' private provider interface that
 * match the libibverbs the provider is built against.
 *
 * The interface is private to rdma-core and not installed, so the project
 * carries its own declarations, one header per supported rdma-core major
 * version.  The build (CMakeLists.txt) reads the installed libibverbs
 * version with pkg-config and passes its major number as
 * PRXE_RDMA_CORE_MAJOR; a version with no header here is refused both by
 * CMake and below.
 *
 * Adding a version: diff rdma-core's libibverbs/driver.h and kern-abi.h
 * between a supported tag and the new one, write rdma-core-<major>.h, list
 * it here and in PRXE_PABI_SUPPORTED in the top-level CMakeLists.txt.
 */
#ifndef PRXE_PABI_H
#define PRXE_PABI_H

#ifndef PRXE_RDMA_CORE_MAJOR
#error "PRXE_RDMA_CORE_MAJOR is not set: build with the project's CMakeLists.txt"
#endif

#if PRXE_RDMA_CORE_MAJOR == 56
#include "rdma-core-56.h"
#elif PRXE_RDMA_CORE_MAJOR == 44
#include "rdma-core-44.h"
#else
#error "libibverbs private ABI of this rdma-core version is not supported by prxe (supported: rdma-core 44, 56)"
#endif

/* CMake also reads the PABI version from libibverbs.so.1 itself. */
#if defined(PRXE_PABI_FROM_LIB) && PRXE_PABI_FROM_LIB != PRXE_PABI_VERSION
#error "installed libibverbs.so.1 loads providers of another private ABI than this header declares"
#endif

#endif /* PRXE_PABI_H */
