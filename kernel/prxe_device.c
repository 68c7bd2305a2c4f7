// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ib_device of a prxe device: allocation, registration with ib_core,
 * port state, the sysfs attribute the provider matches on, and the single
 * teardown path (prxe_dealloc_driver).
 *
 * Locking: the port state is updated under RTNL (netdev notifier, and
 * registration in prxe_link.c).  This file takes no lock of its own.
 */
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <net/addrconf.h>
#include <rdma/ib_addr.h>

#include "prxe.h"
#include "prxe_counters.h"
#include "prxe_mr.h"
#include "prxe_net.h"
#include "prxe_params.h"
#include "prxe_qp.h"
#include "prxe_ud.h"

enum ib_port_state prxe_port_state(struct prxe_dev *prxe)
{
	struct net_device *ndev = prxe->ndev;

	return netif_running(ndev) && netif_carrier_ok(ndev) ?
		IB_PORT_ACTIVE : IB_PORT_DOWN;
}

/*
 * Called under RTNL when the netdev changes state: tell ib_core consumers
 * (and through uverbs, applications' async event queues) when the port goes
 * up or down.
 */
void prxe_port_update(struct prxe_dev *prxe)
{
	enum ib_port_state state = prxe_port_state(prxe);
	struct ib_event ev = {
		.device = &prxe->ibdev,
		.element.port_num = PRXE_PORT,
	};

	ASSERT_RTNL();
	if (state == prxe->port_state)
		return;
	prxe->port_state = state;
	ev.event = state == IB_PORT_ACTIVE ? IB_EVENT_PORT_ACTIVE :
					     IB_EVENT_PORT_ERR;
	ib_dispatch_event(&ev);
	ibdev_info(&prxe->ibdev, "port %u %s (netdev %s)\n", PRXE_PORT,
		   state == IB_PORT_ACTIVE ? "active" : "down",
		   netdev_name(prxe->ndev));
}

/*
 * /sys/class/infiniband/<dev>/prxe_abi_version.  ib_core asks new drivers to
 * prefer netlink, but libibverbs matches providers through sysfs: this
 * attribute is how providers/prxe recognises a prxe device under any name.
 */
static ssize_t prxe_abi_version_show(struct device *device,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", PRXE_UVERBS_ABI_VERSION);
}
static DEVICE_ATTR_RO(prxe_abi_version);

static struct attribute *prxe_dev_attrs[] = {
	&dev_attr_prxe_abi_version.attr,
	NULL,
};

static const struct attribute_group prxe_dev_attr_group = {
	.attrs = prxe_dev_attrs,
};

static void prxe_get_dev_fw_str(struct ib_device *ibdev, char *str)
{
	snprintf(str, IB_FW_VERSION_NAME_MAX, "%u.%u", PRXE_FW_VER_MAJOR,
		 PRXE_FW_VER_MINOR);
}

/*
 * ib_core's last call into a device, from unregistration (link delete,
 * netdev unregister, module unload) or from ib_dealloc_device() after a
 * failed registration.
 */
static void prxe_dealloc_driver(struct ib_device *ibdev)
{
	struct prxe_dev *prxe = to_prxe_dev(ibdev);

	if (prxe_link_forget(prxe))
		ibdev_info(ibdev, "removed\n");
	prxe_net_dev_remove(prxe);
	/* ib_core destroyed every object of the device before this. */
	xa_destroy(&prxe->mrs);
	xa_destroy(&prxe->qps);
}

static const struct ib_device_ops prxe_dev_ops = {
	.owner = THIS_MODULE,
	.driver_id = RDMA_DRIVER_UNKNOWN,
	.uverbs_abi_ver = PRXE_UVERBS_ABI_VERSION,

	.device_group = &prxe_dev_attr_group,
	.dealloc_driver = prxe_dealloc_driver,
	.get_dev_fw_str = prxe_get_dev_fw_str,
};

/*
 * The prxe device bound to @ndev, with a reference the caller drops with
 * ib_device_put(); NULL if there is none or it is being unregistered.
 * Callable in any context (RCU inside).
 */
struct prxe_dev *prxe_get_dev_by_netdev(struct net_device *ndev)
{
	struct ib_device *ibdev;

	ibdev = ib_device_get_by_netdev(ndev, RDMA_DRIVER_UNKNOWN);
	if (!ibdev)
		return NULL;
	if (ibdev->ops.dealloc_driver != prxe_dealloc_driver) {
		ib_device_put(ibdev);
		return NULL;
	}
	return to_prxe_dev(ibdev);
}

struct prxe_dev *prxe_dev_alloc(struct net_device *ndev)
{
	struct prxe_dev *prxe;
	struct ib_device *ibdev;

	prxe = ib_alloc_device(prxe_dev, ibdev);
	if (!prxe)
		return NULL;

	prxe->ndev = ndev;
	prxe->port_state = IB_PORT_NOP;
	INIT_LIST_HEAD(&prxe->list);
	prxe_mr_table_init(prxe);
	prxe_qp_table_init(prxe);
	prxe_ah_table_init(prxe);

	ibdev = &prxe->ibdev;
	ibdev->node_type = RDMA_NODE_IB_CA;
	ibdev->phys_port_cnt = 1;
	ibdev->num_comp_vectors = 1;
	ibdev->local_dma_lkey = 0;
	strscpy(ibdev->node_desc, "prxe", sizeof(ibdev->node_desc));
	/* EUI-64 from the MAC, as RoCE devices derive their node GUID. */
	addrconf_addr_eui48((unsigned char *)&ibdev->node_guid,
			    ndev->dev_addr);

	/*
	 * Verbs that also serve kernel consumers need an opt-in to be
	 * reachable from userspace: the provider's doorbells and arming.
	 */
	ibdev->uverbs_cmd_mask |= BIT_ULL(IB_USER_VERBS_CMD_POST_SEND) |
				  BIT_ULL(IB_USER_VERBS_CMD_POST_RECV) |
				  BIT_ULL(IB_USER_VERBS_CMD_REQ_NOTIFY_CQ);

	ib_set_device_ops(ibdev, &prxe_dev_ops);
	ib_set_device_ops(ibdev, &prxe_verbs_ops);
	ib_set_device_ops(ibdev, &prxe_counters_ops);
	return prxe;
}

int prxe_dev_register(struct prxe_dev *prxe, const char *name)
{
	int err;

	err = ib_device_set_netdev(&prxe->ibdev, prxe->ndev, PRXE_PORT);
	if (err)
		return err;
	return ib_register_device(&prxe->ibdev, name, NULL);
}

