/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * An RDMA device opened by name, its attributes, its RoCEv2 GID; time.
 */
#ifndef PRXE_TESTLIB_DEV_H
#define PRXE_TESTLIB_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include <infiniband/verbs.h>

/* The port every program uses. */
#define DEV_PORT	1

struct dev {
	const char *name;
	struct ibv_context *ctx;
	struct ibv_device_attr_ex attr;	/* .orig_attr: ibv_query_device()'s */
	struct ibv_port_attr port;	/* of DEV_PORT */
	struct ibv_pd *pd;		/* for the program's objects */
	int gid_index;			/* -1 until dev_use_gid() */
	union ibv_gid gid;
};

/*
 * Opens device @name, queries it and DEV_PORT (which must be ACTIVE) and
 * allocates a PD; dies (setup error) if any of it fails.
 */
void dev_open(struct dev *d, const char *name);
void dev_close(struct dev *d);

/* Whether @g is an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
bool gid_is_ipv4(const union ibv_gid *g);
/* The first RoCEv2 GID of DEV_PORT, only IPv4-mapped ones if @ipv4; -1
 * if there is none. */
int dev_roce_gid(const struct dev *d, bool ipv4);
/* The RoCEv2 GID of IPv4 address @ipv4 ("10.77.0.1"); -1 if none. */
int dev_roce_gid_of(const struct dev *d, const char *ipv4);
/* Uses GID @index from now on (d->gid_index, d->gid); dies if it cannot
 * be read. */
void dev_use_gid(struct dev *d, int index);
/* dev_open(), then its first IPv4 RoCEv2 GID (any RoCEv2 GID if it has
 * none); dies if it has no RoCEv2 GID. */
void dev_open_roce(struct dev *d, const char *name);

/* CLOCK_MONOTONIC. */
uint64_t now_ns(void);
uint64_t now_ms(void);

#endif
