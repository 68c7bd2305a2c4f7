// SPDX-License-Identifier: GPL-2.0-only
/*
 * prxe module entry points.
 */
#include <linux/module.h>

#include "prxe.h"
#include "prxe_net.h"
#include "prxe_qp.h"

static int __init prxe_module_init(void)
{
	int err;

	err = prxe_task_init();
	if (err)
		return err;
	err = prxe_fault_init();
	if (err)
		goto err_task;
	err = prxe_net_init();
	if (err)
		goto err_fault;
	err = prxe_link_init();
	if (err)
		goto err_net;
	pr_info("prxe: loaded (uverbs ABI %u)\n", PRXE_UVERBS_ABI_VERSION);
	return 0;

err_net:
	prxe_net_exit();
err_fault:
	prxe_fault_exit();
err_task:
	prxe_task_exit();
	return err;
}

static void __exit prxe_module_exit(void)
{
	prxe_link_exit();
	prxe_net_exit();
	prxe_fault_exit();
	prxe_task_exit();
	pr_info("prxe: unloaded\n");
}

module_init(prxe_module_init);
module_exit(prxe_module_exit);

MODULE_DESCRIPTION("Software RoCEv2 RDMA device with on-demand-paging memory regions");
MODULE_LICENSE("GPL");
