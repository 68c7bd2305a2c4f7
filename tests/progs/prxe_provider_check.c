// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_provider_check: prove that a prxe device is driven by the prxe
 * libibverbs provider and that its control path works.
 *
 * Usage: prxe_provider_check DEVICE
 *
 * Finds DEVICE in ibv_get_device_list(), checks through libibverbs' private
 * device structure that the provider which claimed it registered as "prxe"
 * and lives in the prxe provider library (not a fallback or another
 * provider), then opens it and queries the device and port 1.  Prints what
 * it found; on any failure prints what was expected and what was seen, and
 * exits nonzero.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <endian.h>

#include <infiniband/verbs.h>

#include "pabi/pabi.h"

#ifndef PRXE_EXPECTED_PROVIDER_FILE
#error "PRXE_EXPECTED_PROVIDER_FILE (the provider's file name) must be set by the build"
#endif
#define EXPECTED_PROVIDER_NAME	"prxe"

static int fail(const char *what, const char *expected, const char *seen)
{
	fprintf(stderr, "prxe_provider_check: FAIL: %s: expected %s, seen %s\n",
		what, expected, seen);
	return 1;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Check that @dev was claimed by the prxe provider; 0 if so. */
static int check_provider(struct ibv_device *dev)
{
	struct verbs_device *vdev = pabi_verbs_device(dev);
	const struct verbs_device_ops *ops = vdev->ops;
	Dl_info info;

	if (!ops)
		return fail("provider ops", "set", "NULL");
	if (!ops->name || strcmp(ops->name, EXPECTED_PROVIDER_NAME))
		return fail("provider name", "\"" EXPECTED_PROVIDER_NAME "\"",
			    ops->name ? ops->name : "NULL");
	if (!dladdr(ops, &info) || !info.dli_fname)
		return fail("library holding the provider ops",
			    PRXE_EXPECTED_PROVIDER_FILE, "no loaded object");
	if (strcmp(base_name(info.dli_fname), PRXE_EXPECTED_PROVIDER_FILE))
		return fail("library holding the provider ops",
			    PRXE_EXPECTED_PROVIDER_FILE, info.dli_fname);

	printf("provider:        %s from %s\n", ops->name, info.dli_fname);
	if (vdev->sysfs)
		printf("sysfs:           %s (%s, uverbs ABI %u)\n",
		       vdev->sysfs->ibdev_path, vdev->sysfs->sysfs_name,
		       vdev->sysfs->abi_ver);
	return 0;
}

static int check_queries(struct ibv_device *dev)
{
	struct ibv_device_attr_ex attr;
	struct ibv_port_attr port;
	struct ibv_context *ctx;
	char seen[64];
	int ret;

	ctx = ibv_open_device(dev);
	if (!ctx)
		return fail("ibv_open_device", "a context", strerror(errno));

	memset(&attr, 0, sizeof(attr));
	ret = ibv_query_device_ex(ctx, NULL, &attr);
	if (ret) {
		ibv_close_device(ctx);
		return fail("ibv_query_device_ex", "0", strerror(ret));
	}

	memset(&port, 0, sizeof(port));
	ret = ibv_query_port(ctx, 1, &port);
	if (ret) {
		ibv_close_device(ctx);
		return fail("ibv_query_port(1)", "0", strerror(ret));
	}

	printf("fw_ver:          %s\n", attr.orig_attr.fw_ver);
	printf("node_guid:       %016" PRIx64 "\n",
	       be64toh(attr.orig_attr.node_guid));
	printf("vendor_id:       0x%x part %u hw %u\n",
	       attr.orig_attr.vendor_id, attr.orig_attr.vendor_part_id,
	       attr.orig_attr.hw_ver);
	printf("phys_port_cnt:   %u\n", attr.orig_attr.phys_port_cnt);
	printf("max_qp:          %d max_cq %d max_mr %d\n",
	       attr.orig_attr.max_qp, attr.orig_attr.max_cq,
	       attr.orig_attr.max_mr);
	printf("port 1:          %s, active_mtu %d, gid_tbl_len %d, %s\n",
	       ibv_port_state_str(port.state), 128 << port.active_mtu,
	       port.gid_tbl_len,
	       port.link_layer == IBV_LINK_LAYER_ETHERNET ? "Ethernet" :
	       port.link_layer == IBV_LINK_LAYER_INFINIBAND ? "InfiniBand" :
							      "unspecified");

	ret = 0;
	if (attr.orig_attr.phys_port_cnt < 1) {
		snprintf(seen, sizeof(seen), "%u", attr.orig_attr.phys_port_cnt);
		ret = fail("phys_port_cnt", ">= 1", seen);
	} else if (port.link_layer != IBV_LINK_LAYER_ETHERNET) {
		snprintf(seen, sizeof(seen), "%u", port.link_layer);
		ret = fail("port 1 link_layer", "Ethernet (RoCE)", seen);
	}

	ibv_close_device(ctx);
	return ret;
}

int main(int argc, char **argv)
{
	struct ibv_device **list, *dev = NULL;
	int i, n, ret;

	/* Keep stdout and stderr in order when both go to one log. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (argc != 2) {
		fprintf(stderr, "usage: %s DEVICE\n", argv[0]);
		return 2;
	}

	list = ibv_get_device_list(&n);
	if (!list)
		return fail("ibv_get_device_list", "a list", strerror(errno));
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), argv[1]))
			dev = list[i];
	if (!dev) {
		char seen[256] = "";

		for (i = 0; i < n; i++) {
			if (i)
				strncat(seen, " ",
					sizeof(seen) - strlen(seen) - 1);
			strncat(seen, ibv_get_device_name(list[i]),
				sizeof(seen) - strlen(seen) - 1);
		}
		ibv_free_device_list(list);
		return fail("device in ibv_get_device_list", argv[1],
			    n ? seen : "no devices (is a provider claiming it?)");
	}

	printf("device:          %s\n", ibv_get_device_name(dev));
	ret = check_provider(dev);
	if (!ret)
		ret = check_queries(dev);
	ibv_free_device_list(list);

	if (!ret)
		printf("prxe_provider_check: OK\n");
	return ret;
}
