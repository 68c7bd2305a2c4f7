// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_rc_test: endpoints (device, PD, buffer, MR), completions, QP
 * phases (a CQ and a connected QP pair) and posting work requests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <endian.h>

#include "rc_test.h"

/* ------------------------------------------------------------------------
 * Endpoints: one side's verbs resources
 */

static const char *mtu_str(uint32_t mtu)
{
	static const char *const names[] = {
		[IBV_MTU_256] = "256", [IBV_MTU_512] = "512",
		[IBV_MTU_1024] = "1024", [IBV_MTU_2048] = "2048",
		[IBV_MTU_4096] = "4096",
	};

	return mtu <= IBV_MTU_4096 && names[mtu] ? names[mtu] : "?";
}

static struct ibv_device *find_device(const char *name, struct ibv_device **list,
				      int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			return list[i];
	return NULL;
}

/* The GID to use: -g, or the first RoCEv2 IPv4 one, or the first RoCEv2. */
static int choose_gid(struct ep *ep, int wanted)
{
	struct ibv_gid_entry e;
	int i, v2 = -1;

	if (wanted >= 0)
		return wanted;
	for (i = 0; i < ep->port_attr.gid_tbl_len; i++) {
		if (ibv_query_gid_ex(ep->ctx, ep->ib_port, i, &e, 0))
			continue;
		if (e.gid_type != IBV_GID_TYPE_ROCE_V2)
			continue;
		if (gid_is_ipv4(&e.gid))
			return i;
		if (v2 < 0)
			v2 = i;
	}
	return v2 >= 0 ? v2 : 0;
}

static int check_caps(struct ep *ep, const struct cfg *c, bool requester)
{
	const struct op_desc *d = &ops[c->op];
	const struct ibv_odp_caps *odp = &ep->dev_attr.odp_caps;
	bool ud = c->flags & CF_UD;
	uint32_t need, have;

	if ((int)c->nsge > ep->dev_attr.orig_attr.max_sge)
		return unsupported(ep->role, "%u SGEs asked, device max_sge %d",
				   c->nsge, ep->dev_attr.orig_attr.max_sge);
	if (d->atomic && ep->dev_attr.orig_attr.atomic_cap == IBV_ATOMIC_NONE)
		return unsupported(ep->role, "device has no atomics (atomic_cap NONE)");
	if (cfg_uses_flush(c) && !HAVE_WR_FLUSH)
		return unsupported(ep->role, "built against rdma-core %d, which has no ibv_wr_flush() (rdma-core 45 has)",
				   PRXE_RDMA_CORE_MAJOR);
	if (c->scenario != SCEN_FLUSH_UD_REFUSED) {
		uint64_t want = 0, caps = ep->dev_attr.device_cap_flags_ex;

		if (cfg_uses_flush(c) && (c->flush_type & RC_FLUSH_GLOBAL))
			want |= DEV_CAP_FLUSH_GLOBAL;
		if (cfg_uses_flush(c) && (c->flush_type & RC_FLUSH_PERSISTENT))
			want |= DEV_CAP_FLUSH_PERSISTENT;
		if (cfg_uses_atomic_write(c))
			want |= DEV_CAP_ATOMIC_WRITE;
		if ((caps & want) != want)
			return unsupported(ep->role,
					   "device_cap_flags_ex 0x%" PRIx64 " lacks 0x%" PRIx64 " (bits 38 FLUSH_GLOBAL, 39 FLUSH_PERSISTENT, 40 ATOMIC_WRITE)",
					   caps, want & ~caps);
	}
	if (c->flags & CF_ODP) {
		if (!(odp->general_caps & IBV_ODP_SUPPORT))
			return unsupported(ep->role, "device reports no ODP support");
		need = requester ? d->odp_req : d->odp_resp;
		have = ud ? odp->per_transport_caps.ud_odp_caps :
			    odp->per_transport_caps.rc_odp_caps;
		if ((have & need) != need)
			return unsupported(ep->role,
					   "%s ODP caps 0x%x lack 0x%x needed for %s",
					   ud ? "UD" : "RC", have, need, d->name);
	}
	return 0;
}

/*
 * A character device's sysfs attribute @name (device-dax: align, size), 0
 * if it has none.
 */
static uint64_t chardev_attr(const struct stat *st, const char *name)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s",
		 major(st->st_rdev), minor(st->st_rdev), name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/*
 * --mmap FILE: a regular file is made large enough and mapped at
 * @file_off; a character device (device-dax) is mapped as it is, which
 * must be in units of its alignment (DAX_ALIGN_DEFAULT unless sysfs says):
 * offset and length are rounded up to it.  FILE MEMFD_FILE is a new
 * memfd_create(2) file (shmem, as applications share memory).
 */
static int buffer_map(struct ep *ep, const struct opts *o, off_t file_off)
{
	const char *file = o->mmap_file;
	uint64_t align, size;
	struct stat st;
	void *p;
	int fd;

	if (!strcmp(file, MEMFD_FILE))
		fd = memfd_create("prxe_rc_test", MFD_CLOEXEC);
	else
		fd = open(file, O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		return fail(ep->role, "open %s: %s", file, strerror(errno));
	if (fstat(fd, &st)) {
		fail(ep->role, "fstat %s: %s", file, strerror(errno));
		goto err;
	}
	if (S_ISCHR(st.st_mode)) {
		if (o->file_io || ep->holes || o->map_sync) {
			fail(ep->role, "--file-io, --holes and --map-sync need a regular file, %s is a character device",
			     file);
			goto err;
		}
		align = chardev_attr(&st, "align");
		if (!align || align & (align - 1))
			align = DAX_ALIGN_DEFAULT;
		file_off = (file_off + align - 1) & ~(align - 1);
		ep->map_len = (ep->map_len + align - 1) & ~(align - 1);
		size = chardev_attr(&st, "size");
		if (size && (uint64_t)file_off + ep->map_len > size) {
			fail(ep->role, "%s: %zu bytes at %jd do not fit in its %" PRIu64 " bytes",
			     file, ep->map_len, (intmax_t)file_off, size);
			goto err;
		}
		dbg(ep->role, "%s: character device, alignment %" PRIu64 ", mapping %zu bytes at %jd",
		    file, align, ep->map_len, (intmax_t)file_off);
	} else if (st.st_size < (off_t)(file_off + ep->map_len) &&
		   ftruncate(fd, file_off + ep->map_len)) {
		fail(ep->role, "cannot size %s to %zu bytes: %s", file,
		     (size_t)(file_off + ep->map_len), strerror(errno));
		goto err;
	}
	/*
	 * --map-sync: page faults of the mapping make the file's metadata
	 * durable (allocated blocks) before they return; only DAX files can.
	 */
	p = mmap(NULL, ep->map_len, PROT_READ | PROT_WRITE,
		 o->map_sync ? MAP_SHARED_VALIDATE | MAP_SYNC : MAP_SHARED, fd,
		 file_off);
	if (p == MAP_FAILED && o->map_sync && errno == EOPNOTSUPP) {
		unsupported(ep->role, "mmap of %s with MAP_SYNC: %s (not a DAX file?)",
			    file, strerror(errno));
		close(fd);
		return -EXIT_UNSUPPORTED;
	}
	if (p == MAP_FAILED) {
		fail(ep->role, "mmap%s of %zu bytes of %s at %jd: %s",
		     o->map_sync ? " (MAP_SYNC)" : "", ep->map_len,
		     file, (intmax_t)file_off, strerror(errno));
		goto err;
	}
	ep->buf = p;
	ep->mmapped = true;
	ep->file = file;
	ep->file_off = file_off;
	if (o->file_io) {
		ep->shadow = malloc(ep->map_len);
		if (!ep->shadow) {
			fail(ep->role, "out of memory");
			goto err;
		}
		p = mmap(NULL, ep->map_len, PROT_READ, MAP_SHARED, fd, file_off);
		if (p == MAP_FAILED) {
			fail(ep->role, "second mmap of %zu bytes of %s at %jd: %s",
			     ep->map_len, file, (intmax_t)file_off,
			     strerror(errno));
			goto err;
		}
		ep->map2 = p;
		ep->file_io = true;
		ep->fd = fd;
		return 0;
	}
	if (ep->holes) {
		ep->fd = fd;
		return 0;
	}
	close(fd);
	return 0;
err:
	close(fd);
	return -1;
}

static int buffer_alloc(struct ep *ep, const struct opts *o, off_t file_off)
{
	void *p;

	if (o->mmap_file)
		return buffer_map(ep, o, file_off);
	if (posix_memalign(&p, 4096, ep->map_len))
		return fail(ep->role, "cannot allocate %zu bytes", ep->map_len);
	ep->buf = p;
	return 0;
}

/*
 * Open the device and set up what lives for the whole run: PD, completion
 * channel, buffer and MR.  CQ and QP are per phase (phase_begin()).
 */
int ep_open(struct ep *ep, const struct opts *o, const struct cfg *c,
	    size_t mr_len, off_t file_off, bool requester)
{
	struct ibv_device **list;
	struct ibv_device *dev;
	unsigned int access;
	int n, ret;

	list = ibv_get_device_list(&n);
	if (!list)
		return fail(ep->role, "ibv_get_device_list: %s", strerror(errno));
	dev = find_device(o->dev, list, n);
	if (!dev) {
		fail(ep->role, "no RDMA device named %s (%d devices)", o->dev, n);
		ibv_free_device_list(list);
		return -1;
	}
	ep->ctx = ibv_open_device(dev);
	ibv_free_device_list(list);
	if (!ep->ctx)
		return fail(ep->role, "ibv_open_device %s: %s", o->dev, strerror(errno));

	ep->ib_port = o->ib_port;
	ep->requester = requester;
	if (ibv_query_device_ex(ep->ctx, NULL, &ep->dev_attr))
		return fail(ep->role, "ibv_query_device_ex: %s", strerror(errno));
	if (ibv_query_port(ep->ctx, ep->ib_port, &ep->port_attr))
		return fail(ep->role, "ibv_query_port %d: %s", ep->ib_port,
			    strerror(errno));
	if (ep->port_attr.state != IBV_PORT_ACTIVE)
		return fail(ep->role, "port %d of %s is %s, not ACTIVE", ep->ib_port,
			    o->dev, ibv_port_state_str(ep->port_attr.state));
	ret = check_caps(ep, c, requester);
	if (ret)
		return ret;
	ep->gid_index = choose_gid(ep, o->gid_index);
	if (ibv_query_gid(ep->ctx, ep->ib_port, ep->gid_index, &ep->local.gid))
		return fail(ep->role, "ibv_query_gid %d: %s", ep->gid_index,
			    strerror(errno));

	ep->pd = ibv_alloc_pd(ep->ctx);
	if (!ep->pd)
		return fail(ep->role, "ibv_alloc_pd: %s", strerror(errno));
	if (c->flags & CF_EVENTS) {
		ep->chan = ibv_create_comp_channel(ep->ctx);
		if (!ep->chan)
			return fail(ep->role, "ibv_create_comp_channel: %s",
				    strerror(errno));
		n = fcntl(ep->chan->fd, F_GETFL);
		if (fcntl(ep->chan->fd, F_SETFL, n | O_NONBLOCK))
			return fail(ep->role, "completion channel O_NONBLOCK: %s",
				    strerror(errno));
	}

	ep->mr_len = mr_len;
	ep->map_len = mr_len + TAIL;
	/* --holes: the responder only, and only what the device writes. */
	if (o->holes && !requester) {
		if (!o->mmap_file || !strcmp(o->mmap_file, MEMFD_FILE) ||
		    c->scenario != SCEN_NONE || ops[c->op].recv ||
		    ops[c->op].atomic || c->op == OP_READ)
			return fail(ep->role, "--holes: the responder's --mmap FILE, for write, flush, atomic_write and persist transfers");
		ep->holes = true;
	}
	ret = buffer_alloc(ep, o, file_off);
	if (ret)
		return ret;
	access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		 IBV_ACCESS_REMOTE_READ;
	/* Atomic access, so that only the alignment is wrong in that one. */
	if (ops[c->op].atomic || c->scenario == SCEN_MISALIGNED_ATOMIC)
		access |= IBV_ACCESS_REMOTE_ATOMIC;
	if (c->flags & CF_ODP)
		access |= IBV_ACCESS_ON_DEMAND;
	if (!requester && resp_flush_access(c) && !(c->flags & CF_NO_MR_FLUSH))
		access |= flush_access_bits(c->flush_type);
	if (!requester && (c->flags & CF_NO_MR_WRITE))
		access &= ~IBV_ACCESS_REMOTE_WRITE;
	ep->mr = ibv_reg_mr(ep->pd, ep->buf, ep->mr_len, access);
	if (!ep->mr) {
		ret = errno;
		if (ret == EOPNOTSUPP)
			return unsupported(ep->role, "ibv_reg_mr of %zu bytes%s%s%s, access 0x%x: %s",
					   ep->mr_len, o->mmap_file ? " of a mapping of " : "",
					   o->mmap_file ? o->mmap_file : "",
					   c->flags & CF_ODP ? " (ODP)" : "", access,
					   strerror(ret));
		return fail(ep->role, "ibv_reg_mr of %zu bytes%s%s, access 0x%x: %s",
			    ep->mr_len, o->mmap_file ? " of a mapping of " : "",
			    o->mmap_file ? o->mmap_file : "", access, strerror(ret));
	}
	if (c->flags & CF_UD) {
		ep->grh = calloc(MAX_DEPTH, GRH_BYTES);
		if (!ep->grh)
			return fail(ep->role, "GRH buffers: out of memory");
		ep->grh_mr = ibv_reg_mr(ep->pd, ep->grh, MAX_DEPTH * GRH_BYTES,
					IBV_ACCESS_LOCAL_WRITE);
		if (!ep->grh_mr)
			return fail(ep->role, "ibv_reg_mr of the GRH buffers: %s",
				    strerror(errno));
	}
	ep->local.rkey = ep->mr->rkey;
	ep->local.addr = (uintptr_t)ep->buf;
	ep->local.len = ep->mr_len;
	ep->local.mtu = ep->port_attr.active_mtu;
	dbg(ep->role, "%s port %d, GID index %d, active MTU %s, MR %zu bytes at %p rkey 0x%x",
	    o->dev, ep->ib_port, ep->gid_index, mtu_str(ep->local.mtu),
	    ep->mr_len, (void *)ep->buf, ep->mr->rkey);
	return 0;
}

/* A prxe device (it has prxe's sysfs attribute, as the provider looks). */
bool ep_is_prxe(const struct ep *ep)
{
	char path[IBV_SYSFS_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/prxe_abi_version",
		 ep->ctx->device->ibdev_path);
	return access(path, F_OK) == 0;
}

/*
 * caps: the device must report FLUSH_GLOBAL, FLUSH_PERSISTENT and
 * ATOMIC_WRITE in device_cap_flags_ex (only ibv_query_device_ex() has
 * them: the legacy query carries 32 bits).
 */
int device_caps(const struct opts *o)
{
	static const struct { uint64_t bit; const char *name; } want[] = {
		{ DEV_CAP_FLUSH_GLOBAL, "FLUSH_GLOBAL (bit 38)" },
		{ DEV_CAP_FLUSH_PERSISTENT, "FLUSH_PERSISTENT (bit 39)" },
		{ DEV_CAP_ATOMIC_WRITE, "ATOMIC_WRITE (bit 40)" },
	};
	struct ibv_device **list;
	struct ibv_device *dev;
	struct ibv_context *ctx;
	struct ibv_device_attr_ex attr;
	unsigned int i, bad = 0;
	int n, ret;

	list = ibv_get_device_list(&n);
	if (!list) {
		fail("caps", "ibv_get_device_list: %s", strerror(errno));
		return EXIT_FAIL;
	}
	dev = find_device(o->dev, list, n);
	ctx = dev ? ibv_open_device(dev) : NULL;
	ibv_free_device_list(list);
	if (!ctx) {
		fail("caps", "cannot open %s", o->dev);
		return EXIT_FAIL;
	}
	memset(&attr, 0, sizeof(attr));
	ret = ibv_query_device_ex(ctx, NULL, &attr);
	ibv_close_device(ctx);
	if (ret) {
		fail("caps", "ibv_query_device_ex: %s", strerror(ret));
		return EXIT_FAIL;
	}
	info("caps", "%s: device_cap_flags_ex 0x%" PRIx64, o->dev,
	     (uint64_t)attr.device_cap_flags_ex);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (attr.device_cap_flags_ex & want[i].bit) {
			info("caps", "ok: %s", want[i].name);
			continue;
		}
		fail("caps", "%s: expected set, seen clear", want[i].name);
		bad++;
	}
	if (bad)
		return EXIT_FAIL;
	info("caps", "PASS: FLUSH and ATOMIC WRITE capabilities");
	return EXIT_PASS;
}

void ep_close(struct ep *ep)
{
	if (ep->qp)
		ibv_destroy_qp(ep->qp);
	if (ep->cq)
		ibv_destroy_cq(ep->cq);
	if (ep->ah)
		ibv_destroy_ah(ep->ah);
	if (ep->mr)
		ibv_dereg_mr(ep->mr);
	if (ep->grh_mr)
		ibv_dereg_mr(ep->grh_mr);
	free(ep->grh);
	if (ep->buf) {
		if (ep->mmapped)
			munmap(ep->buf, ep->map_len);
		else
			free(ep->buf);
	}
	if (ep->file_io)
		munmap((void *)ep->map2, ep->map_len);
	if (ep->file_io || ep->holes)
		close(ep->fd);
	free(ep->shadow);
	if (ep->chan)
		ibv_destroy_comp_channel(ep->chan);
	if (ep->pd)
		ibv_dealloc_pd(ep->pd);
	if (ep->ctx)
		ibv_close_device(ep->ctx);
	memset(ep, 0, sizeof(*ep));
}

/* ------------------------------------------------------------------------
 * Completions
 */

static const char *wc_opcode_str(int op)
{
	switch (op) {
	case IBV_WC_SEND: return "SEND";
	case IBV_WC_RDMA_WRITE: return "RDMA_WRITE";
	case IBV_WC_RDMA_READ: return "RDMA_READ";
	case IBV_WC_COMP_SWAP: return "COMP_SWAP";
	case IBV_WC_FETCH_ADD: return "FETCH_ADD";
	case IBV_WC_RECV: return "RECV";
	case IBV_WC_RECV_RDMA_WITH_IMM: return "RECV_RDMA_WITH_IMM";
	case IBV_WC_ATOMIC_WRITE: return "ATOMIC_WRITE";
	case RC_WC_FLUSH: return "FLUSH";
	default: return "?";
	}
}

static void wc_dump(const char *role, const struct ibv_wc *wc)
{
	fprintf(stderr, "%s: %s: the completion: wr_id 0x%" PRIx64 " status %s (%d) opcode %s (%d) vendor_err 0x%x byte_len %u imm 0x%x qp_num 0x%x wc_flags 0x%x\n",
		PROG, role, wc->wr_id, ibv_wc_status_str(wc->status), wc->status,
		wc_opcode_str(wc->opcode), wc->opcode, wc->vendor_err,
		wc->byte_len, be32toh(wc->imm_data), wc->qp_num, wc->wc_flags);
}

void cq_drain_events(struct ep *ep)
{
	struct ibv_cq *cq;
	void *cq_ctx;

	if (!ep->chan)
		return;
	while (!ibv_get_cq_event(ep->chan, &cq, &cq_ctx)) {
		ibv_ack_cq_events(cq, 1);
		ep->armed = false;
	}
}

int cq_arm(struct ep *ep, bool solicited_only)
{
	if (ibv_req_notify_cq(ep->cq, solicited_only))
		return fail(ep->role, "ibv_req_notify_cq: %s", strerror(errno));
	ep->armed = true;
	return 0;
}

/* Wait up to @ms for a completion event; 1 if one came, 0 if not. */
int cq_wait_event(struct ep *ep, int ms)
{
	struct pollfd pfd = { .fd = ep->chan->fd, .events = POLLIN };
	struct ibv_cq *cq;
	void *cq_ctx;
	int ret;

	do
		ret = poll(&pfd, 1, ms);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return fail(ep->role, "poll on the completion channel: %s",
			    strerror(errno));
	if (!ret)
		return 0;
	if (ibv_get_cq_event(ep->chan, &cq, &cq_ctx)) {
		if (errno == EAGAIN)
			return 0;
		return fail(ep->role, "ibv_get_cq_event: %s", strerror(errno));
	}
	if (cq != ep->cq)
		return fail(ep->role, "completion event for another CQ");
	ibv_ack_cq_events(cq, 1);
	ep->armed = false;
	ep->events++;
	return 1;
}

/*
 * Collect @want completions within the timeout: by busy polling, or with
 * --events by sleeping on the completion channel (the CQ is armed, and
 * polled again after arming so that no completion is missed).
 */
static int cq_collect(struct sess *s, struct ep *ep, struct ibv_wc *wc,
		      unsigned int want, const char *what)
{
	uint64_t deadline = deadline_after(s->c->timeout_ms);
	unsigned int got = 0;
	int n;

	while (got < want) {
		n = ibv_poll_cq(ep->cq, want - got, wc + got);
		if (n < 0)
			return fail(ep->role, "ibv_poll_cq: %d", n);
		got += n;
		if (got == want)
			break;
		if (!ms_left(deadline))
			return fail(ep->role, "%s: %u of %u completions after %u ms",
				    what, got, want, s->c->timeout_ms);
		if (!ep->chan || n) {
			if (!n)
				sched_yield();
			continue;
		}
		if (!ep->armed) {
			if (cq_arm(ep, ep->solicited_only))
				return -1;
			continue;
		}
		if (cq_wait_event(ep, ms_left(deadline)) < 0)
			return -1;
	}
	return 0;
}

/* Nothing may complete for @ms. */
int cq_expect_quiet(struct ep *ep, int ms, const char *what)
{
	uint64_t deadline = deadline_after(ms);
	struct ibv_wc wc;
	int n;

	do {
		n = ibv_poll_cq(ep->cq, 1, &wc);
		if (n < 0)
			return fail(ep->role, "ibv_poll_cq: %d", n);
		if (n) {
			fail(ep->role, "%s: expected no completion, got one", what);
			wc_dump(ep->role, &wc);
			return -1;
		}
		usleep(1000);
	} while (ms_left(deadline));
	return 0;
}

static int wc_check(struct ep *ep, const struct ibv_wc *wc,
		    const struct wc_expect *e, unsigned int i, unsigned int n,
		    const char *what)
{
	char where[160];

	snprintf(where, sizeof(where), "%s: completion %u of %u", what, i + 1, n);
	if (wc->status != e->status) {
		fail(ep->role, "%s: status: expected %s, seen %s (vendor_err 0x%x)",
		     where, ibv_wc_status_str(e->status),
		     ibv_wc_status_str(wc->status), wc->vendor_err);
		goto bad;
	}
	if (wc->wr_id != e->wr_id) {
		fail(ep->role, "%s: wr_id: expected 0x%" PRIx64 ", seen 0x%" PRIx64,
		     where, e->wr_id, wc->wr_id);
		goto bad;
	}
	if (wc->qp_num != ep->qp->qp_num) {
		fail(ep->role, "%s: qp_num: expected 0x%x, seen 0x%x", where,
		     ep->qp->qp_num, wc->qp_num);
		goto bad;
	}
	if (e->status != IBV_WC_SUCCESS)
		return 0;	/* other fields are undefined for errors */
	if (e->opcode >= 0 && (int)wc->opcode != e->opcode) {
		fail(ep->role, "%s: opcode: expected %s, seen %s (%d)", where,
		     wc_opcode_str(e->opcode), wc_opcode_str(wc->opcode),
		     wc->opcode);
		goto bad;
	}
	if (e->byte_len >= 0 && wc->byte_len != e->byte_len) {
		fail(ep->role, "%s: byte_len: expected %" PRId64 ", seen %u", where,
		     e->byte_len, wc->byte_len);
		goto bad;
	}
	if (e->imm != IMM_ANY &&
	    !!(wc->wc_flags & IBV_WC_WITH_IMM) != (e->imm == IMM_VALUE)) {
		fail(ep->role, "%s: IBV_WC_WITH_IMM: expected %s, seen %s", where,
		     e->imm == IMM_VALUE ? "set" : "clear",
		     wc->wc_flags & IBV_WC_WITH_IMM ? "set" : "clear");
		goto bad;
	}
	if (e->imm == IMM_VALUE && be32toh(wc->imm_data) != e->imm_data) {
		fail(ep->role, "%s: imm_data: expected 0x%08x, seen 0x%08x", where,
		     e->imm_data, be32toh(wc->imm_data));
		goto bad;
	}
	if (e->datagram && !(wc->wc_flags & IBV_WC_GRH)) {
		fail(ep->role, "%s: IBV_WC_GRH: expected set, seen clear", where);
		goto bad;
	}
	if (e->datagram && wc->src_qp != ep->remote.qpn) {
		fail(ep->role, "%s: src_qp: expected 0x%x, seen 0x%x", where,
		     ep->remote.qpn, wc->src_qp);
		goto bad;
	}
	return 0;
bad:
	wc_dump(ep->role, wc);
	return -1;
}

/* Collect as many completions as @e describes and check each in order. */
int expect_completions(struct sess *s, struct ep *ep,
		       const struct wc_expect *e, unsigned int n,
		       const char *what)
{
	struct ibv_wc wc[MAX_WRS + MAX_DEPTH + 4];
	unsigned int i;

	if (cq_collect(s, ep, wc, n, what))
		return -1;
	for (i = 0; i < n; i++)
		if (wc_check(ep, &wc[i], &e[i], i, n, what))
			return -1;
	return 0;
}

int expect_qp_state(struct ep *ep, enum ibv_qp_state want)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr attr;

	if (ibv_query_qp(ep->qp, &attr, IBV_QP_STATE, &init))
		return fail(ep->role, "ibv_query_qp: %s", strerror(errno));
	if (attr.qp_state != want)
		return fail(ep->role, "QP state: expected %d, seen %d", want,
			    attr.qp_state);
	return 0;
}

/*
 * --sqd: move @ep's QP from RTS to SQD asking for the drained event, and
 * wait for IBV_EVENT_SQ_DRAINED of this QP (other async events are shown
 * and skipped); then the QP must say it is no longer draining.
 */
int qp_drain_sqd(struct sess *s, struct ep *ep)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_SQD,
				 .en_sqd_async_notify = 1 };
	uint64_t deadline = deadline_after(s->c->timeout_ms);
	struct ibv_async_event ev;
	struct ibv_qp_init_attr init;
	struct pollfd pfd = { .fd = ep->ctx->async_fd, .events = POLLIN };
	int ret;

	if (ibv_modify_qp(ep->qp, &a, IBV_QP_STATE | IBV_QP_EN_SQD_ASYNC_NOTIFY))
		return fail(ep->role, "ibv_modify_qp to SQD: %s", strerror(errno));
	for (;;) {
		ret = poll(&pfd, 1, ms_left(deadline));
		if (ret < 0 && errno != EINTR)
			return fail(ep->role, "poll of the async fd: %s", strerror(errno));
		if (ret <= 0 && !ms_left(deadline))
			return fail(ep->role, "no IBV_EVENT_SQ_DRAINED within %u ms",
				    s->c->timeout_ms);
		if (ret <= 0)
			continue;
		if (ibv_get_async_event(ep->ctx, &ev))
			return fail(ep->role, "ibv_get_async_event: %s", strerror(errno));
		ibv_ack_async_event(&ev);
		if (ev.event_type == IBV_EVENT_SQ_DRAINED && ev.element.qp == ep->qp)
			break;
		info(ep->role, "async event %s while draining",
		     ibv_event_type_str(ev.event_type));
	}
	if (ibv_query_qp(ep->qp, &a, IBV_QP_STATE, &init))
		return fail(ep->role, "ibv_query_qp: %s", strerror(errno));
	if (a.qp_state != IBV_QPS_SQD || a.sq_draining)
		return fail(ep->role, "after SQ_DRAINED: state %d (SQD is %d), sq_draining %u",
			    a.qp_state, IBV_QPS_SQD, a.sq_draining);
	return 0;
}

/*
 * --invalidate: make the kernel invalidate every mapping of @ep's buffer
 * (an ODP region's mirror must drop them and fault again), keeping its
 * contents: write-protect and unprotect it; a shared file mapping also
 * loses its page table entries altogether (the data stays in the file).
 */
int ep_invalidate(struct ep *ep)
{
	if (ep->mmapped && madvise(ep->buf, ep->map_len, MADV_DONTNEED))
		return fail(ep->role, "madvise(MADV_DONTNEED): %s", strerror(errno));
	if (mprotect(ep->buf, ep->map_len, PROT_READ) ||
	    mprotect(ep->buf, ep->map_len, PROT_READ | PROT_WRITE))
		return fail(ep->role, "mprotect: %s", strerror(errno));
	return 0;
}

/*
 * --evict: write @ep's file-mapped buffer back and drop it from the page
 * cache (the page table entries first: mapped pages are not dropped), so
 * that the next access, the device's through its ODP mirror too, must
 * read it from the disk.  Says how many pages stayed (mincore()).
 */
int ep_evict(struct ep *ep)
{
	size_t pages = ep->map_len / (size_t)sysconf(_SC_PAGESIZE), i, left = 0;
	unsigned char *vec;
	int fd, err;

	if (!ep->mmapped)
		return 0;
	if (msync(ep->buf, ep->map_len, MS_SYNC))
		return fail(ep->role, "msync: %s", strerror(errno));
	if (madvise(ep->buf, ep->map_len, MADV_DONTNEED))
		return fail(ep->role, "madvise(MADV_DONTNEED): %s", strerror(errno));
	fd = open(ep->file, O_RDONLY);
	if (fd < 0)
		return fail(ep->role, "open %s: %s", ep->file, strerror(errno));
	err = posix_fadvise(fd, ep->file_off, ep->map_len, POSIX_FADV_DONTNEED);
	close(fd);
	if (err)
		return fail(ep->role, "posix_fadvise(POSIX_FADV_DONTNEED): %s",
			    strerror(err));
	vec = malloc(pages);
	if (vec && !mincore(ep->buf, ep->map_len, vec))
		for (i = 0; i < pages; i++)
			left += vec[i] & 1;
	free(vec);
	info(ep->role, "evict: %zu of %zu pages of %s still in memory", left,
	     pages, ep->file);
	return 0;
}

/*
 * --storm: a thread that, while the transfers run, drops the page table
 * entries of the file-mapped buffers of this process again and again.
 * The file keeps the data, so every access (the device's through its ODP
 * mirror, the tester's own) faults the same bytes in again; what the
 * device reads or writes must stay right.  --busy-storm: with no pause
 * between rounds, so that a fault meets invalidations for as long as the
 * storm lasts (and must not give up).
 */
struct storm {
	pthread_t thread;
	atomic_bool stop;
	bool busy;
	struct ep *ep[2];
	unsigned int n;
	uint64_t rounds;
	int err;
};

static void *storm_run(void *arg)
{
	struct storm *st = arg;
	unsigned int i;

	while (!atomic_load(&st->stop)) {
		for (i = 0; i < st->n; i++)
			if (madvise(st->ep[i]->buf, st->ep[i]->map_len,
				    MADV_DONTNEED))
				st->err = errno;
		st->rounds++;
		if (!st->busy)
			usleep(500);
	}
	return NULL;
}

struct storm *storm_start(struct sess *s, bool busy)
{
	struct storm *st;
	int ret;

	st = calloc(1, sizeof(*st));
	if (!st) {
		fail(s->req ? s->req->role : s->resp->role, "out of memory");
		return NULL;
	}
	st->busy = busy;
	if (s->req && s->req->mmapped)
		st->ep[st->n++] = s->req;
	if (s->resp && s->resp != s->req && s->resp->mmapped)
		st->ep[st->n++] = s->resp;
	if (!st->n)
		return st;	/* nothing file-mapped here: no storm */
	ret = pthread_create(&st->thread, NULL, storm_run, st);
	if (ret) {
		fail(st->ep[0]->role, "pthread_create: %s", strerror(ret));
		free(st);
		return NULL;
	}
	return st;
}

int storm_stop(struct storm *st)
{
	int err;

	if (!st)
		return 0;
	if (st->n) {
		atomic_store(&st->stop, true);
		pthread_join(st->thread, NULL);
		info(st->ep[0]->role, "storm: %" PRIu64 " rounds of MADV_DONTNEED",
		     st->rounds);
	}
	err = st->err;
	free(st);
	if (err)
		return fail("storm", "madvise(MADV_DONTNEED): %s", strerror(err));
	return 0;
}

int qp_resume_rts(struct ep *ep)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RTS };

	if (ibv_modify_qp(ep->qp, &a, IBV_QP_STATE))
		return fail(ep->role, "ibv_modify_qp SQD -> RTS: %s", strerror(errno));
	return 0;
}

/* ------------------------------------------------------------------------
 * Phases: a CQ and a connected QP pair
 */

static int qp_create(struct sess *s, struct ep *ep)
{
	const struct cfg *c = s->c;
	struct ibv_qp_init_attr_ex a = {
		.send_cq = ep->cq,
		.recv_cq = ep->cq,
		.qp_type = c->flags & CF_UD ? IBV_QPT_UD : IBV_QPT_RC,
		.cap = {
			.max_send_wr = s->depth * wrs_per_msg(c) + 4,
			.max_recv_wr = s->depth + 4,
			.max_send_sge = c->nsge,
			/* --ud: the GRH's own SGE first. */
			.max_recv_sge = c->nsge + !!(c->flags & CF_UD),
			.max_inline_data = c->flags & CF_INLINE ? c->max_inline : 0,
		},
		.comp_mask = IBV_QP_INIT_ATTR_PD,
		.pd = ep->pd,
	};

	if (c->flags & CF_EX) {
		a.comp_mask |= IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
		a.send_ops_flags = ops[c->op].send_ops | IBV_QP_EX_WITH_SEND;
		if (c->scenario != SCEN_NONE)
			a.send_ops_flags |= IBV_QP_EX_WITH_RDMA_WRITE;
		if (c->scenario == SCEN_MISALIGNED_ATOMIC)
			a.send_ops_flags |= IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD;
		if (c->scenario != SCEN_NONE && cfg_uses_flush(c))
			a.send_ops_flags |= RC_QP_EX_WITH_FLUSH;
		if (c->scenario != SCEN_NONE && cfg_uses_atomic_write(c))
			a.send_ops_flags |= IBV_QP_EX_WITH_ATOMIC_WRITE;
	}
	ep->qp = ibv_create_qp_ex(ep->ctx, &a);
	if (!ep->qp)
		return fail(ep->role, "ibv_create_qp_ex (%s, %u WRs, %u SGEs, inline %u%s): %s",
			    c->flags & CF_UD ? "UD" : "RC",
			    a.cap.max_send_wr, c->nsge, a.cap.max_inline_data,
			    c->flags & CF_EX ? ", send_ops_flags" : "",
			    strerror(errno));
	ep->max_inline = a.cap.max_inline_data;
	if (c->flags & CF_EX) {
		ep->qpx = ibv_qp_to_qp_ex(ep->qp);
		if (!ep->qpx)
			return fail(ep->role, "ibv_qp_to_qp_ex: NULL");
	}
	return 0;
}

static int qp_to_init(struct ep *ep, const struct cfg *c)
{
	bool ud = c->flags & CF_UD;
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.pkey_index = 0,
		.port_num = ep->ib_port,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
		.qkey = UD_QKEY,
	};
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;

	mask |= ud ? IBV_QP_QKEY : IBV_QP_ACCESS_FLAGS;
	if (!ep->requester && resp_flush_access(c) && !(c->flags & CF_NO_QP_FLUSH))
		a.qp_access_flags |= flush_access_bits(c->flush_type);
	if (ibv_modify_qp(ep->qp, &a, mask))
		return fail(ep->role, "modify QP to INIT (access 0x%x): %s",
			    a.qp_access_flags, strerror(errno));
	return 0;
}

/*
 * --ud: RTR and RTS take no peer; the address handle does, and datagrams
 * are at most the port's MTU.
 */
static int qp_connect_ud(struct sess *s, struct ep *ep)
{
	uint32_t mtu = ep->local.mtu < ep->remote.mtu ? ep->local.mtu :
							ep->remote.mtu;
	struct ibv_ah_attr ah = {
		.is_global = 1,
		.grh = {
			.dgid = ep->remote.gid,
			.sgid_index = ep->gid_index,
			.hop_limit = 64,
		},
		.port_num = ep->ib_port,
	};
	struct ibv_qp_attr a;

	if (max_size(s->c) > (128u << mtu))
		return fail(ep->role, "--ud: messages of %u bytes exceed the MTU (%s)",
			    max_size(s->c), mtu_str(mtu));
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	if (ibv_modify_qp(ep->qp, &a, IBV_QP_STATE))
		return fail(ep->role, "modify UD QP to RTR: %s", strerror(errno));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = ep->local.psn;
	if (ibv_modify_qp(ep->qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN))
		return fail(ep->role, "modify UD QP to RTS: %s", strerror(errno));
	ep->ah = ibv_create_ah(ep->pd, &ah);
	if (!ep->ah)
		return fail(ep->role, "ibv_create_ah: %s", strerror(errno));
	dbg(ep->role, "UD QP 0x%x sends to QP 0x%x", ep->local.qpn,
	    ep->remote.qpn);
	return 0;
}

static int qp_connect(struct sess *s, struct ep *ep, const struct phase_opts *po)
{
	uint32_t mtu = s->c->mtu;
	struct ibv_qp_attr a;
	int ret;

	if (s->c->flags & CF_UD)
		return qp_connect_ud(s, ep);
	if (!mtu)
		mtu = ep->local.mtu < ep->remote.mtu ? ep->local.mtu : ep->remote.mtu;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = mtu;
	a.dest_qp_num = ep->remote.qpn;
	a.rq_psn = ep->remote.psn;
	a.max_dest_rd_atomic = ep->dev_attr.orig_attr.max_qp_rd_atom;
	a.min_rnr_timer = 1;	/* 0.01 ms: RNR retries come quickly */
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = ep->remote.gid;
	a.ah_attr.grh.sgid_index = ep->gid_index;
	a.ah_attr.grh.hop_limit = 64;
	a.ah_attr.port_num = ep->ib_port;
	ret = ibv_modify_qp(ep->qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			    IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			    IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (ret)
		return fail(ep->role, "modify QP to RTR (MTU %s, dest QPN 0x%x): %s",
			    mtu_str(mtu), ep->remote.qpn, strerror(ret));

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = ep->local.psn;
	a.timeout = s->c->ack_timeout;	/* 4.096 us * 2^timeout */
	a.retry_cnt = 7;
	a.rnr_retry = po->rnr_retry;
	a.max_rd_atomic = ep->dev_attr.orig_attr.max_qp_init_rd_atom;
	ret = ibv_modify_qp(ep->qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN |
			    IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			    IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC);
	if (ret)
		return fail(ep->role, "modify QP to RTS: %s", strerror(ret));
	dbg(ep->role, "QP 0x%x (PSN 0x%06x) connected to QP 0x%x (PSN 0x%06x), MTU %s",
	    ep->local.qpn, ep->local.psn, ep->remote.qpn, ep->remote.psn,
	    mtu_str(mtu));
	return 0;
}

/* CQ and QP of one end, up to INIT; fills ep->local. */
static int ep_phase_setup(struct sess *s, struct ep *ep)
{
	ep->cq = ibv_create_cq(ep->ctx, (wrs_per_msg(s->c) + 1) * s->depth + 16,
			       ep, ep->chan, 0);
	if (!ep->cq)
		return fail(ep->role, "ibv_create_cq: %s", strerror(errno));
	ep->armed = false;
	if (qp_create(s, ep) || qp_to_init(ep, s->c))
		return -1;
	ep->local.qpn = ep->qp->qp_num;
	ep->local.psn = s->c->psn != PSN_RANDOM ? s->c->psn & 0xffffff :
			(uint32_t)random() & 0xffffff;
	return 0;
}

int phase_begin(struct sess *s, const struct phase_opts *po)
{
	int rc = 0;

	if (s->req)
		rc = ep_phase_setup(s, s->req);
	if (!rc && s->resp)
		rc = ep_phase_setup(s, s->resp);
	if (s->sock >= 0) {
		rc = exchange_qp_info(s, s->req ? s->req : s->resp, rc);
	} else if (!rc) {
		s->req->remote = s->resp->local;
		s->resp->remote = s->req->local;
	}
	if (rc)
		return rc;
	if (s->req && qp_connect(s, s->req, po))
		return -1;
	if (s->resp && qp_connect(s, s->resp, po))
		return -1;
	return 0;
}

/* Destroy one end's QP and CQ; times the QP's destruction. */
int ep_phase_end(struct ep *ep, uint64_t *qp_ns)
{
	uint64_t t0 = now_ns();
	int ret;

	if (ep->qp) {
		ret = ibv_destroy_qp(ep->qp);
		if (qp_ns)
			*qp_ns = now_ns() - t0;
		if (ret)
			return fail(ep->role, "ibv_destroy_qp: %s", strerror(ret));
		ep->qp = NULL;
		ep->qpx = NULL;
	}
	if (ep->ah) {
		ret = ibv_destroy_ah(ep->ah);
		if (ret)
			return fail(ep->role, "ibv_destroy_ah: %s", strerror(ret));
		ep->ah = NULL;
	}
	if (ep->cq) {
		cq_drain_events(ep);
		ret = ibv_destroy_cq(ep->cq);
		if (ret)
			return fail(ep->role, "ibv_destroy_cq: %s", strerror(ret));
		ep->cq = NULL;
	}
	return 0;
}

int phase_end(struct sess *s)
{
	int rc = 0;

	if (s->req && ep_phase_end(s->req, NULL))
		rc = -1;
	if (s->resp && ep_phase_end(s->resp, NULL))
		rc = -1;
	return rc;
}

/* ------------------------------------------------------------------------
 * Posting work requests
 */

static int post_classic(struct ep *ep, const struct wr_desc *d, unsigned int n)
{
	struct ibv_send_wr wr[MAX_WRS + 4], *bad = NULL;
	unsigned int i;
	int ret;

	memset(wr, 0, sizeof(wr[0]) * n);
	for (i = 0; i < n; i++) {
		wr[i].wr_id = d[i].wr_id;
		wr[i].opcode = ops[d[i].op].wr_opcode;
		wr[i].send_flags = d[i].flags;
		wr[i].sg_list = (struct ibv_sge *)d[i].sge;
		wr[i].num_sge = d[i].nsge;
		wr[i].next = i + 1 < n ? &wr[i + 1] : NULL;
		if (ops[d[i].op].imm)
			wr[i].imm_data = htobe32(d[i].imm);
		if (d[i].op == OP_ATOMIC_WRITE || d[i].op == OP_FLUSH) {
			/* Nothing in ibv_send_wr holds the rest: refused. */
			wr[i].wr.rdma.remote_addr = d[i].raddr;
			wr[i].wr.rdma.rkey = d[i].rkey;
		} else if (ops[d[i].op].atomic) {
			wr[i].wr.atomic.remote_addr = d[i].raddr;
			wr[i].wr.atomic.rkey = d[i].rkey;
			wr[i].wr.atomic.compare_add = d[i].compare_add;
			wr[i].wr.atomic.swap = d[i].swap;
		} else if (ops[d[i].op].remote) {
			wr[i].wr.rdma.remote_addr = d[i].raddr;
			wr[i].wr.rdma.rkey = d[i].rkey;
		} else if (ep->ah) {
			wr[i].wr.ud.ah = ep->ah;
			wr[i].wr.ud.remote_qpn = ep->remote.qpn;
			wr[i].wr.ud.remote_qkey = UD_QKEY;
		}
	}
	ret = ibv_post_send(ep->qp, wr, &bad);
	if (ret)
		return fail(ep->role, "ibv_post_send of %u WRs: %s (bad WR %td)", n,
			    strerror(ret), bad ? bad - wr : -1);
	return 0;
}

static int post_ex(struct ep *ep, const struct wr_desc *d, unsigned int n)
{
	struct ibv_qp_ex *qx = ep->qpx;
	struct ibv_data_buf db[MAX_SGE];
	unsigned int i, j;
	int ret;

	ibv_wr_start(qx);
	for (i = 0; i < n; i++) {
		qx->wr_id = d[i].wr_id;
		qx->wr_flags = d[i].flags & ~IBV_SEND_INLINE;
		switch (d[i].op) {
		case OP_SEND:
			ibv_wr_send(qx);
			break;
		case OP_SEND_IMM:
			ibv_wr_send_imm(qx, htobe32(d[i].imm));
			break;
		case OP_WRITE:
			ibv_wr_rdma_write(qx, d[i].rkey, d[i].raddr);
			break;
		case OP_WRITE_IMM:
			ibv_wr_rdma_write_imm(qx, d[i].rkey, d[i].raddr,
					      htobe32(d[i].imm));
			break;
		case OP_READ:
			ibv_wr_rdma_read(qx, d[i].rkey, d[i].raddr);
			break;
		case OP_CMP_SWP:
			ibv_wr_atomic_cmp_swp(qx, d[i].rkey, d[i].raddr,
					      d[i].compare_add, d[i].swap);
			break;
		case OP_FETCH_ADD:
			ibv_wr_atomic_fetch_add(qx, d[i].rkey, d[i].raddr,
						d[i].compare_add);
			break;
		case OP_ATOMIC_WRITE:
			ibv_wr_atomic_write(qx, d[i].rkey, d[i].raddr, d[i].aw);
			continue;	/* no local data */
		case OP_FLUSH:
#if HAVE_WR_FLUSH
			ibv_wr_flush(qx, d[i].rkey, d[i].raddr, d[i].len,
				     d[i].flush_type, d[i].flush_level);
			continue;	/* no local data */
#else
			ibv_wr_abort(qx);
			return fail(ep->role, "no ibv_wr_flush() in rdma-core %d",
				    PRXE_RDMA_CORE_MAJOR);
#endif
		default:
			break;
		}
		if (ep->ah)
			ibv_wr_set_ud_addr(qx, ep->ah, ep->remote.qpn, UD_QKEY);
		/* One piece: the single-buffer calls; else the list calls. */
		if (d[i].flags & IBV_SEND_INLINE) {
			for (j = 0; j < d[i].nsge; j++) {
				db[j].addr = (void *)(uintptr_t)d[i].sge[j].addr;
				db[j].length = d[i].sge[j].length;
			}
			if (d[i].nsge == 1)
				ibv_wr_set_inline_data(qx, db[0].addr, db[0].length);
			else
				ibv_wr_set_inline_data_list(qx, d[i].nsge, db);
		} else if (d[i].nsge == 1) {
			ibv_wr_set_sge(qx, d[i].sge[0].lkey, d[i].sge[0].addr,
				       d[i].sge[0].length);
		} else {
			ibv_wr_set_sge_list(qx, d[i].nsge, d[i].sge);
		}
	}
	ret = ibv_wr_complete(qx);
	if (ret)
		return fail(ep->role, "ibv_wr_complete of %u WRs: %s", n,
			    strerror(ret));
	return 0;
}

int post_wrs(struct sess *s, struct ep *ep, const struct wr_desc *d,
	     unsigned int n)
{
	return s->c->flags & CF_EX ? post_ex(ep, d, n) : post_classic(ep, d, n);
}

int post_recvs(struct ep *ep, struct ibv_recv_wr *wr, unsigned int n)
{
	struct ibv_recv_wr *bad = NULL;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++)
		wr[i].next = i + 1 < n ? &wr[i + 1] : NULL;
	ret = ibv_post_recv(ep->qp, wr, &bad);
	if (ret)
		return fail(ep->role, "ibv_post_recv of %u WRs: %s", n, strerror(ret));
	return 0;
}

/*
 * --ud: the GRH the device put in front of the datagram of @slot: for
 * RoCEv2 over IPv4, 20 zero bytes and the IPv4 header; over IPv6, the IPv6
 * header.  Either way a UDP packet from the other end's address to ours.
 */
int verify_grh(struct ep *ep, unsigned int slot)
{
	const uint8_t *g = ep->grh + (size_t)slot * GRH_BYTES;
	const uint8_t *src = ep->remote.gid.raw, *dst = ep->local.gid.raw;
	static const uint8_t zero[20];
	const char *why = NULL;

	if (gid_is_ipv4(&ep->local.gid)) {
		if (memcmp(g, zero, sizeof(zero)))
			why = "first 20 bytes not zero";
		else if (g[20] != 0x45)
			why = "not an IPv4 header of 20 bytes";
		else if (g[29] != 17)
			why = "IPv4 protocol not UDP";
		else if (memcmp(g + 32, src + 12, 4))
			why = "IPv4 source is not the sender's address";
		else if (memcmp(g + 36, dst + 12, 4))
			why = "IPv4 destination is not our address";
	} else {
		if (g[0] >> 4 != 6)
			why = "not an IPv6 header";
		else if (g[6] != 17)
			why = "IPv6 next header not UDP";
		else if (memcmp(g + 8, src, 16))
			why = "IPv6 source is not the sender's address";
		else if (memcmp(g + 24, dst, 16))
			why = "IPv6 destination is not our address";
	}
	if (!why)
		return 0;
	fail(ep->role, "GRH of the datagram in slot %u: %s", slot, why);
	for (slot = 0; slot < GRH_BYTES; slot += 8)
		info(ep->role, "  GRH[%2u] %02x %02x %02x %02x %02x %02x %02x %02x",
		     slot, g[slot], g[slot + 1], g[slot + 2], g[slot + 3],
		     g[slot + 4], g[slot + 5], g[slot + 6], g[slot + 7]);
	return -1;
}
