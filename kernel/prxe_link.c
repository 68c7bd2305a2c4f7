// SPDX-License-Identifier: GPL-2.0-only
/*
 * rdma link type "prxe" and the netdev events that drive a device's life.
 *
 *   rdma link add NAME type prxe netdev NETDEV   -> prxe_newlink()
 *   rdma link delete NAME                        -> ib_core unregisters
 *   NETDEV_UP / DOWN / CHANGE                    -> port state events
 *   NETDEV_UNREGISTER                            -> device removed
 *   module unload                                -> prxe_link_exit()
 *
 * Lock order: RTNL -> prxe_devices_lock.
 * Neither is held across ib_register_device() / ib_unregister_device(),
 * which take ib_core locks and may wait on work that takes RTNL;
 * ib_unregister_device_queued() only queues work and may be called under
 * both.
 */
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/module.h>
#include <linux/rtnetlink.h>
#include <rdma/rdma_netlink.h>

#include "prxe.h"
#include "prxe_net.h"

/* Every prxe device from prxe_newlink() until prxe_dealloc_driver(). */
static LIST_HEAD(prxe_devices);
static DEFINE_MUTEX(prxe_devices_lock);

static struct prxe_dev *prxe_find_by_ndev(struct net_device *ndev)
{
	struct prxe_dev *prxe;

	lockdep_assert_held(&prxe_devices_lock);
	list_for_each_entry(prxe, &prxe_devices, list)
		if (prxe->ndev == ndev)
			return prxe;
	return NULL;
}

/* Add @prxe to the device list unless its netdev already has a device. */
static int prxe_link_claim_netdev(struct prxe_dev *prxe, const char *name)
{
	struct prxe_dev *other;
	int err = 0;

	mutex_lock(&prxe_devices_lock);
	other = prxe_find_by_ndev(prxe->ndev);
	if (other) {
		pr_err("prxe: cannot add %s: netdev %s already has prxe device %s\n",
		       name, netdev_name(prxe->ndev),
		       other->registered ? dev_name(&other->ibdev.dev) :
					   "(being added)");
		err = -EEXIST;
	} else {
		list_add_tail(&prxe->list, &prxe_devices);
	}
	mutex_unlock(&prxe_devices_lock);
	return err;
}

/*
 * Take @prxe off the device list (from prxe_dealloc_driver()).  Returns
 * whether it had been registered.
 */
bool prxe_link_forget(struct prxe_dev *prxe)
{
	bool was_registered;

	mutex_lock(&prxe_devices_lock);
	list_del_init(&prxe->list);
	was_registered = prxe->registered;
	prxe->registered = false;
	mutex_unlock(&prxe_devices_lock);
	return was_registered;
}

/*
 * After a successful ib_register_device(): mark the device live and catch a
 * netdev that started unregistering while we registered (its
 * NETDEV_UNREGISTER skipped the not-yet-registered device).  Under RTNL the
 * netdev's reg_state cannot change under us.
 */
static void prxe_link_registered(struct prxe_dev *prxe)
{
	bool ndev_gone;

	rtnl_lock();
	mutex_lock(&prxe_devices_lock);
	/* Off the list already: a concurrent `rdma link delete` won. */
	if (list_empty(&prxe->list)) {
		mutex_unlock(&prxe_devices_lock);
		rtnl_unlock();
		return;
	}
	prxe->registered = true;
	prxe->port_state = prxe_port_state(prxe);
	ndev_gone = prxe->ndev->reg_state != NETREG_REGISTERED;
	if (ndev_gone)
		ib_unregister_device_queued(&prxe->ibdev);
	mutex_unlock(&prxe_devices_lock);
	rtnl_unlock();
}

static int prxe_newlink(const char *name, struct net_device *ndev)
{
	struct ib_device *existing;
	struct prxe_dev *prxe;
	int err;

	if (ndev->type != ARPHRD_ETHER || is_vlan_dev(ndev)) {
		pr_err("prxe: cannot add %s: netdev %s is not an Ethernet device (VLANs are reached through the GID table of their parent)\n",
		       name, netdev_name(ndev));
		return -EINVAL;
	}

	/* ib_core would refuse a duplicate name with a puzzling ENFILE. */
	existing = ib_device_get_by_name(name, RDMA_DRIVER_UNKNOWN);
	if (existing) {
		ib_device_put(existing);
		pr_err("prxe: cannot add %s: an RDMA device of that name exists\n",
		       name);
		return -EEXIST;
	}

	prxe = prxe_dev_alloc(ndev);
	if (!prxe)
		return -ENOMEM;

	err = prxe_net_dev_add(prxe);
	if (!err)
		err = prxe_link_claim_netdev(prxe, name);
	if (err) {
		ib_dealloc_device(&prxe->ibdev);
		return err;
	}

	/*
	 * Once registered the device can be unregistered and freed by others
	 * at any time (ib_register_device() kernel-doc): keep the memory
	 * until we are done with it.
	 */
	get_device(&prxe->ibdev.dev);
	err = prxe_dev_register(prxe, name);
	if (err) {
		pr_err("prxe: cannot add %s on %s: registration failed (%d)\n",
		       name, netdev_name(ndev), err);
		ib_dealloc_device(&prxe->ibdev);
	} else {
		prxe_link_registered(prxe);
		ibdev_info(&prxe->ibdev, "added on netdev %s\n",
			   netdev_name(ndev));
	}
	put_device(&prxe->ibdev.dev);
	return err;
}

static struct rdma_link_ops prxe_link_ops = {
	.type = "prxe",
	.newlink = prxe_newlink,
};

static int prxe_netdev_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *ndev = netdev_notifier_info_to_dev(ptr);
	struct prxe_dev *prxe;

	mutex_lock(&prxe_devices_lock);
	prxe = prxe_find_by_ndev(ndev);
	if (!prxe || !prxe->registered)
		goto out;

	switch (event) {
	case NETDEV_UNREGISTER:
		ibdev_info(&prxe->ibdev, "netdev %s is unregistering: removing the device\n",
			   netdev_name(ndev));
		ib_unregister_device_queued(&prxe->ibdev);
		break;
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
		prxe_port_update(prxe);
		break;
	}
out:
	mutex_unlock(&prxe_devices_lock);
	return NOTIFY_OK;
}

static struct notifier_block prxe_netdev_notifier = {
	.notifier_call = prxe_netdev_event,
};

int prxe_link_init(void)
{
	int err;

	err = register_netdevice_notifier(&prxe_netdev_notifier);
	if (err)
		return err;
	rdma_link_register(&prxe_link_ops);
	return 0;
}

/* Remove every device; on return no prxe code can be called by ib_core. */
void prxe_link_exit(void)
{
	struct prxe_dev *prxe;

	/* Waits for prxe_newlink() calls in flight. */
	rdma_link_unregister(&prxe_link_ops);
	unregister_netdevice_notifier(&prxe_netdev_notifier);

	for (;;) {
		mutex_lock(&prxe_devices_lock);
		prxe = list_first_entry_or_null(&prxe_devices, struct prxe_dev,
						list);
		if (prxe)
			get_device(&prxe->ibdev.dev);
		mutex_unlock(&prxe_devices_lock);
		if (!prxe)
			break;
		/*
		 * Also waits for an unregistration already under way (queued
		 * from NETDEV_UNREGISTER, or `rdma link delete`): either way
		 * prxe_dealloc_driver() has taken the device off the list when
		 * this returns.
		 */
		ib_unregister_device(&prxe->ibdev);
		put_device(&prxe->ibdev.dev);
	}
}

MODULE_ALIAS_RDMA_LINK("prxe");
