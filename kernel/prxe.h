/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * prxe: a software RoCEv2 RDMA device with pageable (ODP) memory regions.
 *
 * The object model of the driver.  Each prxe device is an ib_device bound to
 * one Ethernet netdev (rdma link add NAME type prxe netdev NETDEV); it has
 * one RoCEv2 port whose GID table ib_core fills from the netdev's addresses.
 *
 * Lifetime of a device: created by prxe_newlink() (prxe_link.c), registered
 * with ib_core, and torn down by ib_core on any of: `rdma link delete`,
 * NETDEV_UNREGISTER of its netdev, or module unload.  ib_core then calls
 * prxe_dealloc_driver(), the one place where a device's resources are freed.
 */
#ifndef PRXE_H
#define PRXE_H

#include <linux/list.h>
#include <linux/xarray.h>
#include <linux/netdevice.h>
#include <rdma/ib_verbs.h>
#include <rdma/uverbs_ioctl.h>
#include <rdma/prxe-abi.h>

#include "prxe_compat.h"

#define PRXE_PORT		1	/* the device's only port */

struct prxe_dev {
	struct ib_device	ibdev;	/* must stay first: ib_alloc_device() */

	/*
	 * The netdev this device is bound to.  ib_core holds a reference to it
	 * (ib_device_set_netdev) from before registration until the device is
	 * unregistered, which covers every use through the ib_device.
	 */
	struct net_device	*ndev;

	/* On prxe_devices (prxe_link.c), under prxe_devices_lock. */
	struct list_head	list;
	bool			registered;

	/* Last port state reported to ib_core consumers (under RTNL). */
	enum ib_port_state	port_state;

	/* prxe_net.c: the packet layer (set up by prxe_net_dev_add()) */
	struct prxe_net_sock	*net_sock;	/* UDP 4791 of the netdev's netns */
	struct prxe_counters __percpu *counters;	/* prxe_counters.h */

	/* prxe_mr.c: memory regions by key index (key >> 8) */
	struct xarray		mrs;
	/* prxe_ah.c: address handles by number (irq-safe lock) */
	struct xarray		ahs;
	/* prxe_qp.c: queue pairs by QPN */
	struct xarray		qps;
	u32			next_qpn;
	/* prxe_srq.c: shared receive queues, at most PRXE_MAX_SRQ */
	atomic_t		num_srqs;
};

struct prxe_ucontext {
	struct ib_ucontext	ibuc;
};

struct prxe_pd {
	struct ib_pd		ibpd;
};

static inline struct prxe_dev *to_prxe_dev(struct ib_device *ibdev)
{
	return container_of(ibdev, struct prxe_dev, ibdev);
}

/* prxe_device.c: the ib_device of one prxe device */
struct prxe_dev *prxe_get_dev_by_netdev(struct net_device *ndev);
struct prxe_dev *prxe_dev_alloc(struct net_device *ndev);
int prxe_dev_register(struct prxe_dev *prxe, const char *name);
enum ib_port_state prxe_port_state(struct prxe_dev *prxe);
u32 prxe_port_mtu(struct prxe_dev *prxe);
void prxe_port_update(struct prxe_dev *prxe);

/* prxe_link.c: rdma link type "prxe" and netdev events */
int prxe_link_init(void);
void prxe_link_exit(void);
bool prxe_link_forget(struct prxe_dev *prxe);

/* prxe_verbs.c: verbs entry points */
extern const struct ib_device_ops prxe_verbs_ops;

#endif /* PRXE_H */
