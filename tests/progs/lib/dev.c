// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Devices, GIDs, time: see dev.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "dev.h"

void dev_open(struct dev *d, const char *name)
{
	struct ibv_device **list;
	int i, n;

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->gid_index = -1;
	list = ibv_get_device_list(&n);
	if (!list)
		die("ibv_get_device_list: %s", strerror(errno));
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			break;
	if (i == n)
		die("no RDMA device named %s (%d devices)", name, n);
	d->ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!d->ctx)
		die("ibv_open_device %s: %s", name, strerror(errno));
	if (ibv_query_device_ex(d->ctx, NULL, &d->attr))
		die("%s: ibv_query_device_ex: %s", name, strerror(errno));
	if (ibv_query_port(d->ctx, DEV_PORT, &d->port))
		die("%s: ibv_query_port %d: %s", name, DEV_PORT, strerror(errno));
	if (d->port.state != IBV_PORT_ACTIVE)
		die("%s: port %d is %s, not ACTIVE", name, DEV_PORT,
		    ibv_port_state_str(d->port.state));
	d->pd = ibv_alloc_pd(d->ctx);
	if (!d->pd)
		die("%s: ibv_alloc_pd: %s", name, strerror(errno));
}

void dev_open_roce(struct dev *d, const char *name)
{
	int gid;

	dev_open(d, name);
	gid = dev_roce_gid(d, true);
	if (gid < 0)
		gid = dev_roce_gid(d, false);
	if (gid < 0)
		die("%s has no RoCEv2 GID", name);
	dev_use_gid(d, gid);
}

void dev_close(struct dev *d)
{
	if (d->pd)
		ibv_dealloc_pd(d->pd);
	if (d->ctx)
		ibv_close_device(d->ctx);
	memset(d, 0, sizeof(*d));
	d->gid_index = -1;
}

bool gid_is_ipv4(const union ibv_gid *g)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(g->raw, prefix, sizeof(prefix));
}

/* The first RoCEv2 GID that is @want (NULL: any), IPv4-mapped if @ipv4. */
static int find_gid(const struct dev *d, bool ipv4, const union ibv_gid *want)
{
	struct ibv_gid_entry e;
	int i;

	for (i = 0; i < d->port.gid_tbl_len; i++) {
		if (ibv_query_gid_ex(d->ctx, DEV_PORT, i, &e, 0))
			continue;
		if (e.gid_type != IBV_GID_TYPE_ROCE_V2)
			continue;
		if (ipv4 && !gid_is_ipv4(&e.gid))
			continue;
		if (want && memcmp(e.gid.raw, want->raw, sizeof(want->raw)))
			continue;
		return i;
	}
	return -1;
}

int dev_roce_gid(const struct dev *d, bool ipv4)
{
	return find_gid(d, ipv4, NULL);
}

int dev_roce_gid_of(const struct dev *d, const char *ipv4)
{
	union ibv_gid want = { .raw = { [10] = 0xff, [11] = 0xff } };

	if (inet_pton(AF_INET, ipv4, &want.raw[12]) != 1)
		return -1;
	return find_gid(d, true, &want);
}

void dev_use_gid(struct dev *d, int index)
{
	if (index < 0)
		die("%s has no RoCEv2 GID to use", d->name);
	if (ibv_query_gid(d->ctx, DEV_PORT, index, &d->gid))
		die("%s: ibv_query_gid %d: %s", d->name, index, strerror(errno));
	d->gid_index = index;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t now_ms(void)
{
	return now_ns() / 1000000;
}
