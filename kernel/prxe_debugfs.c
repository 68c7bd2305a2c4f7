// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test hook of the packet layer, for root only:
 *
 *   echo "DEV SRC_IP DST_IP DQPN QKEY" > /sys/kernel/debug/prxe/xmit_ud
 *
 * makes prxe device DEV send one UD SEND_ONLY packet from its GID SRC_IP
 * to DST_IP, QP DQPN, with Q_Key QKEY, source QP 1 and a 256-byte payload
 * of zeros (a MAD of base version 0, which any MAD layer drops), through
 * the normal transmit path: address vector from an rdma_ah_attr, route,
 * UDP/IP headers, ICRC.  Sent to QP 1 of rdma_rxe with the GSI Q_Key
 * (0x80010000), rdma_rxe counts it in rcvd_pkts only if the ICRC is right:
 * that is how the tests check wire compatibility before QPs exist.
 *
 * Locking: none of its own; the ib_device reference keeps DEV alive.
 */
#include <linux/debugfs.h>
#include <linux/inet.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <net/ipv6.h>
#include <rdma/ib_cache.h>

#include "prxe.h"
#include "prxe_net.h"

#define PRXE_PROBE_PAYLOAD	256

static struct dentry *prxe_debugfs_dir;

static int prxe_parse_gid(const char *s, union ib_gid *gid)
{
	__be32 v4;

	if (strchr(s, ':'))
		return in6_pton(s, -1, gid->raw, -1, NULL) ? 0 : -EINVAL;
	if (!in4_pton(s, -1, (u8 *)&v4, -1, NULL))
		return -EINVAL;
	ipv6_addr_set_v4mapped(v4, (struct in6_addr *)gid->raw);
	return 0;
}

static int prxe_probe_send(struct prxe_dev *prxe, const union ib_gid *sgid,
			   union ib_gid *dgid, u32 dqpn, u32 qkey)
{
	const struct prxe_opcode_info *info =
		prxe_opcode_info(PRXE_OP_UD_SEND_ONLY);
	const struct ib_gid_attr *sgid_attr;
	struct rdma_ah_attr ah = {};
	struct sk_buff *skb;
	struct prxe_av av;
	void *bth;
	int err;

	sgid_attr = rdma_find_gid(&prxe->ibdev, sgid, IB_GID_TYPE_ROCE_UDP_ENCAP,
				  NULL);
	if (IS_ERR(sgid_attr))
		return PTR_ERR(sgid_attr);

	ah.type = RDMA_AH_ATTR_TYPE_ROCE;
	rdma_ah_set_port_num(&ah, PRXE_PORT);
	rdma_ah_set_grh(&ah, dgid, 0, sgid_attr->index, 64, 0);
	ah.grh.sgid_attr = sgid_attr;
	err = prxe_av_from_ah_attr(&av, &ah);
	rdma_put_gid_attr(sgid_attr);
	if (err)
		return err;

	skb = prxe_pkt_alloc(prxe, &av, info->length + PRXE_PROBE_PAYLOAD,
			     GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	bth = skb->data;
	memset(bth, 0, skb->len);
	prxe_bth_init(bth, PRXE_OP_UD_SEND_ONLY, false, 0, PRXE_DEFAULT_PKEY,
		      dqpn, false, 0);
	prxe_deth_set(prxe_deth(info, bth), qkey, 1);
	return prxe_pkt_xmit(prxe, &av, NULL, skb, 1, dqpn);
}

static ssize_t prxe_xmit_ud_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	char buf[200], dev[IB_DEVICE_NAME_MAX], src[48], dst[48], qpn_s[16];
	char qkey_s[16];
	union ib_gid sgid, dgid;
	struct net_device *ndev;
	struct prxe_dev *prxe;
	struct ib_device *ibdev;
	u32 dqpn, qkey;
	int err;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%63s %47s %47s %15s %15s", dev, src, dst, qpn_s,
		   qkey_s) != 5)
		return -EINVAL;
	if (prxe_parse_gid(src, &sgid) || prxe_parse_gid(dst, &dgid) ||
	    kstrtou32(qpn_s, 0, &dqpn) || kstrtou32(qkey_s, 0, &qkey))
		return -EINVAL;

	ibdev = ib_device_get_by_name(dev, RDMA_DRIVER_UNKNOWN);
	if (!ibdev)
		return -ENODEV;
	/* A prxe device: the prxe device of its own netdev. */
	ndev = ib_device_get_netdev(ibdev, PRXE_PORT);
	prxe = ndev ? prxe_get_dev_by_netdev(ndev) : NULL;
	dev_put(ndev);
	if (prxe && &prxe->ibdev == ibdev)
		err = prxe_probe_send(prxe, &sgid, &dgid, dqpn, qkey);
	else
		err = -ENODEV;
	if (prxe)
		ib_device_put(&prxe->ibdev);
	ib_device_put(ibdev);
	return err ?: count;
}

static const struct file_operations prxe_xmit_ud_fops = {
	.owner = THIS_MODULE,
	.write = prxe_xmit_ud_write,
	.llseek = noop_llseek,
};

void prxe_debugfs_init(void)
{
	prxe_debugfs_dir = debugfs_create_dir("prxe", NULL);
	debugfs_create_file("xmit_ud", 0200, prxe_debugfs_dir, NULL,
			    &prxe_xmit_ud_fops);
}

void prxe_debugfs_exit(void)
{
	debugfs_remove_recursive(prxe_debugfs_dir);
}
