// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_rc_test: RC data path tester over plain libibverbs.
 *
 * A requester moves messages to (or from) a responder over one RC QP pair
 * and every byte is verified.  The two ends are a client (requester) and a
 * server (responder) exchanging QP information over TCP, or both QPs in one
 * process on one device (loopback).  It runs on any verbs device; it was
 * written to prove prxe's data path and is validated on rdma_rxe.
 *
 * Data: the byte at offset o of message m is a function of (seed, m, o), and
 * every destination is filled beforehand with "poison", a function of
 * (seed, buffer offset).  After a transfer the receiving side checks the
 * message, the gaps between its scatter pieces and a guard area after it,
 * so data that is corrupt, misplaced, stale, missing or overrunning is seen;
 * a mismatch is reported with the expected and the seen bytes and what the
 * seen bytes look like (poison, another message, this message elsewhere).
 *
 * Each batch of messages runs in lockstep between the two ends:
 *   responder: poison, fill sources, post receives     -> READY
 *   requester: post work requests, check completions,
 *              check local memory                       -> DONE
 *   responder: check receive completions and memory     -> RESULT
 * (in loopback the steps are plain calls, in client/server TCP messages
 * that also carry each side's verdict, so both exit nonzero on a failure).
 *
 * Exit status: 0 passed, 1 failed, 2 usage, 77 the device does not support
 * what was asked (ODP, atomics, registering the --mmap file).
 *
 * This file: the command line and the three modes.  The parts are in
 * rc_test/ (rc_test.h says which file holds what).
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rc_test.h"

#if HAVE_WR_FLUSH
static_assert(RC_WR_FLUSH == IBV_WR_FLUSH && RC_WC_FLUSH == IBV_WC_FLUSH &&
	      RC_ACCESS_FLUSH_GLOBAL == IBV_ACCESS_FLUSH_GLOBAL &&
	      RC_ACCESS_FLUSH_PERSISTENT == IBV_ACCESS_FLUSH_PERSISTENT &&
	      RC_QP_EX_WITH_FLUSH == IBV_QP_EX_WITH_FLUSH &&
	      RC_FLUSH_GLOBAL == IBV_FLUSH_GLOBAL &&
	      RC_FLUSH_PERSISTENT == IBV_FLUSH_PERSISTENT &&
	      RC_FLUSH_RANGE == IBV_FLUSH_RANGE && RC_FLUSH_MR == IBV_FLUSH_MR,
	      "the FLUSH values are libibverbs'");
#endif
#ifdef PRXE_HAVE_UAPI_FLUSH
#include <rdma/ib_user_verbs.h>
static_assert(DEV_CAP_FLUSH_GLOBAL == IB_UVERBS_DEVICE_FLUSH_GLOBAL &&
	      DEV_CAP_FLUSH_PERSISTENT == IB_UVERBS_DEVICE_FLUSH_PERSISTENT &&
	      DEV_CAP_ATOMIC_WRITE == IB_UVERBS_DEVICE_ATOMIC_WRITE,
	      "the device capability bits are the uapi's");
#endif

/* ------------------------------------------------------------------------
 * Operations, scenarios, damage: their names and properties
 */

const struct op_desc ops[OP_COUNT] = {
	[OP_SEND] = {
		.name = "send", .wr_opcode = IBV_WR_SEND, .req_wc = IBV_WC_SEND,
		.recv = true, .recv_wc = IBV_WC_RECV,
		.send_ops = IBV_QP_EX_WITH_SEND,
		.odp_req = IBV_ODP_SUPPORT_SEND, .odp_resp = IBV_ODP_SUPPORT_RECV,
	},
	[OP_SEND_IMM] = {
		.name = "send_imm", .wr_opcode = IBV_WR_SEND_WITH_IMM,
		.req_wc = IBV_WC_SEND, .recv = true, .recv_wc = IBV_WC_RECV,
		.imm = true, .send_ops = IBV_QP_EX_WITH_SEND_WITH_IMM,
		.odp_req = IBV_ODP_SUPPORT_SEND, .odp_resp = IBV_ODP_SUPPORT_RECV,
	},
	[OP_WRITE] = {
		.name = "write", .wr_opcode = IBV_WR_RDMA_WRITE,
		.req_wc = IBV_WC_RDMA_WRITE, .remote = true,
		.send_ops = IBV_QP_EX_WITH_RDMA_WRITE,
		.odp_req = IBV_ODP_SUPPORT_WRITE, .odp_resp = IBV_ODP_SUPPORT_WRITE,
	},
	[OP_WRITE_IMM] = {
		.name = "write_imm", .wr_opcode = IBV_WR_RDMA_WRITE_WITH_IMM,
		.req_wc = IBV_WC_RDMA_WRITE, .recv = true,
		.recv_wc = IBV_WC_RECV_RDMA_WITH_IMM, .imm = true, .remote = true,
		.send_ops = IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM,
		.odp_req = IBV_ODP_SUPPORT_WRITE,
		.odp_resp = IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_RECV,
	},
	[OP_READ] = {
		.name = "read", .wr_opcode = IBV_WR_RDMA_READ,
		.req_wc = IBV_WC_RDMA_READ, .remote = true,
		.send_ops = IBV_QP_EX_WITH_RDMA_READ,
		.odp_req = IBV_ODP_SUPPORT_READ, .odp_resp = IBV_ODP_SUPPORT_READ,
	},
	[OP_CMP_SWP] = {
		.name = "cmp_swp", .wr_opcode = IBV_WR_ATOMIC_CMP_AND_SWP,
		.req_wc = IBV_WC_COMP_SWAP, .remote = true, .atomic = true,
		.send_ops = IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP,
		.odp_req = IBV_ODP_SUPPORT_ATOMIC, .odp_resp = IBV_ODP_SUPPORT_ATOMIC,
	},
	[OP_FETCH_ADD] = {
		.name = "fetch_add", .wr_opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
		.req_wc = IBV_WC_FETCH_ADD, .remote = true, .atomic = true,
		.send_ops = IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD,
		.odp_req = IBV_ODP_SUPPORT_ATOMIC, .odp_resp = IBV_ODP_SUPPORT_ATOMIC,
	},
	/*
	 * No ODP capability names FLUSH or ATOMIC WRITE before rdma-core 58
	 * (IBV_ODP_SUPPORT_FLUSH / _ATOMIC_WRITE): WRITE stands for them.
	 */
	[OP_FLUSH] = {
		.name = "flush", .wr_opcode = (enum ibv_wr_opcode)RC_WR_FLUSH,
		.req_wc = (enum ibv_wc_opcode)RC_WC_FLUSH, .remote = true,
		.flush = true,
		.send_ops = IBV_QP_EX_WITH_RDMA_WRITE | RC_QP_EX_WITH_FLUSH,
		.odp_req = IBV_ODP_SUPPORT_WRITE, .odp_resp = IBV_ODP_SUPPORT_WRITE,
	},
	[OP_ATOMIC_WRITE] = {
		.name = "atomic_write", .wr_opcode = IBV_WR_ATOMIC_WRITE,
		.req_wc = IBV_WC_ATOMIC_WRITE, .remote = true,
		.atomic_write = true, .send_ops = IBV_QP_EX_WITH_ATOMIC_WRITE,
		.odp_req = 0, .odp_resp = IBV_ODP_SUPPORT_WRITE,
	},
	[OP_PERSIST] = {
		.name = "persist", .wr_opcode = IBV_WR_RDMA_WRITE,
		.req_wc = IBV_WC_RDMA_WRITE, .remote = true, .flush = true,
		.atomic_write = true,
		.send_ops = IBV_QP_EX_WITH_RDMA_WRITE | RC_QP_EX_WITH_FLUSH |
			    IBV_QP_EX_WITH_ATOMIC_WRITE,
		.odp_req = IBV_ODP_SUPPORT_WRITE, .odp_resp = IBV_ODP_SUPPORT_WRITE,
	},
};

const char *const scen_names[SCEN_COUNT] = {
	[SCEN_NONE] = "none",
	[SCEN_BAD_RKEY] = "bad_rkey",
	[SCEN_RNR] = "rnr",
	[SCEN_TOO_LONG] = "too_long",
	[SCEN_SEND_TOO_LONG] = "send_too_long",
	[SCEN_WRITE_TOO_LONG] = "write_too_long",
	[SCEN_LOCAL_LEN] = "local_len",
	[SCEN_MISALIGNED_ATOMIC] = "misaligned_atomic",
	[SCEN_FLUSH_NO_MR_ACCESS] = "flush_no_mr_access",
	[SCEN_FLUSH_BEYOND_MR] = "flush_beyond_mr",
	[SCEN_FLUSH_NO_QP_ACCESS] = "flush_no_qp_access",
	[SCEN_AW_MISALIGNED] = "atomic_write_misaligned",
	[SCEN_AW_NO_ACCESS] = "atomic_write_no_access",
	[SCEN_PERSIST_NOT_PMEM] = "persist_not_pmem",
	[SCEN_FLUSH_UD_REFUSED] = "flush_ud_refused",
	[SCEN_FLUSH_WRAP] = "flush_wrap",
	[SCEN_FLUSH_BAD_ARGS] = "flush_bad_args",
	[SCEN_DESTROY_INFLIGHT] = "destroy_inflight",
};

const char *const inject_names[INJ_COUNT] = {
	[INJ_NONE] = "none", [INJ_CORRUPT] = "corrupt", [INJ_STALE] = "stale",
	[INJ_SHIFT] = "shift", [INJ_OVERRUN] = "overrun", [INJ_GRH] = "grh",
};

/* The test uses FLUSH (needs rdma-core 45 and the device's FLUSH caps). */
bool cfg_uses_flush(const struct cfg *c)
{
	switch (c->scenario) {
	case SCEN_NONE:
	case SCEN_DESTROY_INFLIGHT:
		return ops[c->op].flush;
	case SCEN_FLUSH_NO_MR_ACCESS:
	case SCEN_FLUSH_BEYOND_MR:
	case SCEN_FLUSH_NO_QP_ACCESS:
	case SCEN_PERSIST_NOT_PMEM:
	case SCEN_FLUSH_UD_REFUSED:
	case SCEN_FLUSH_WRAP:
	case SCEN_FLUSH_BAD_ARGS:
		return true;
	default:
		return false;
	}
}

/* The test posts ATOMIC WRITEs. */
bool cfg_uses_atomic_write(const struct cfg *c)
{
	switch (c->scenario) {
	case SCEN_NONE:
	case SCEN_DESTROY_INFLIGHT:
		return ops[c->op].atomic_write;
	case SCEN_AW_MISALIGNED:
	case SCEN_AW_NO_ACCESS:
		return true;
	default:
		return false;
	}
}

/*
 * The responder's MR and QP take FLUSHes of c->flush_type (each may be
 * denied it by --drop-flush-access, or by the scenario).  persist_not_pmem
 * without --odp only registers: its pinned memory cannot be persistent.
 */
bool resp_flush_access(const struct cfg *c)
{
	if (!cfg_uses_flush(c) || c->scenario == SCEN_FLUSH_UD_REFUSED)
		return false;
	return c->scenario != SCEN_PERSIST_NOT_PMEM || (c->flags & CF_ODP);
}

unsigned int flush_access_bits(uint32_t flush_type)
{
	return (flush_type & RC_FLUSH_GLOBAL ? RC_ACCESS_FLUSH_GLOBAL : 0) |
	       (flush_type & RC_FLUSH_PERSISTENT ? RC_ACCESS_FLUSH_PERSISTENT : 0);
}

const char *flush_type_str(uint32_t type)
{
	switch (type) {
	case RC_FLUSH_GLOBAL: return "global";
	case RC_FLUSH_PERSISTENT: return "persistent";
	case RC_FLUSH_GLOBAL | RC_FLUSH_PERSISTENT: return "global+persistent";
	default: return "?";
	}
}

/* ------------------------------------------------------------------------
 * Command line
 */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " -d DEV [-g GIDIDX] [-p PORT] server\n"
"       " PROG " -d DEV [-g GIDIDX] [-p PORT] client SERVER_IP [OPTIONS]\n"
"       " PROG " -d DEV [-g GIDIDX] loopback [OPTIONS]\n"
"       " PROG " -d DEV caps\n"
"\n"
"An RC tester over libibverbs: the client (requester) moves messages to or\n"
"from the server (responder) and both verify every byte and completion.\n"
"QP information goes over TCP.  loopback: both QPs in this process, on DEV.\n"
"caps: DEV must report FLUSH_GLOBAL, FLUSH_PERSISTENT and ATOMIC_WRITE\n"
"(ibv_query_device_ex() device_cap_flags_ex bits 38, 39, 40).\n"
"The server takes the test OPTIONS from the client; its own -d, -g, -i, -p,\n"
"--mmap, --map-sync, --holes, --file-io, -t and -v apply to it.\n"
"\n"
"  -d, --dev DEV          RDMA device\n"
"  -g, --gid-index N      GID index (default: the first RoCEv2 IPv4 GID)\n"
"  -i, --ib-port N        device port (default 1)\n"
"  -p, --port PORT        TCP port (default %u)\n"
"  -t, --timeout SEC      longest wait for a completion or the peer (default %u)\n"
"      --ack-timeout EXP  the QPs' local ACK timeout, 4.096 us * 2^EXP\n"
"                         (default 14: 67 ms)\n"
"  -v, --verbose          say more\n"
"  -h, --help\n"
"\n"
"OPTIONS\n"
"  -o, --op OP            send, send_imm, write, write_imm, read, cmp_swp,\n"
"                         fetch_add, flush, atomic_write, persist (default\n"
"                         send).  The last three post with ibv_wr_* (--ex\n"
"                         implied; FLUSH needs rdma-core 45):\n"
"           flush        per message: RDMA WRITE, then a FLUSH of the range\n"
"                        written (completion IBV_WC_FLUSH, byte_len the\n"
"                        length); the responder checks the bytes as for write\n"
"           atomic_write per message: %u ATOMIC WRITEs of 8 bytes to words\n"
"                        %u bytes apart (completions IBV_WC_ATOMIC_WRITE,\n"
"                        byte_len 8); each word must hold the bytes sent, as\n"
"                        they were (no byte order), all around them poison\n"
"           persist      per record (message): WRITE it, FLUSH it, ATOMIC\n"
"                        WRITE a commit word after it, FLUSH that word: the\n"
"                        pmem replication pattern; record and word checked\n"
"  -s, --sizes LIST       message sizes, k/m suffixes (default " DEFAULT_SIZES ")\n"
"  -n, --iters N          messages of each size (default %u)\n"
"  -q, --depth N          messages in flight in a batch (default: 4 MiB of slots, <= 16)\n"
"  -m, --mtu MTU          path MTU 256..4096 (default: the smaller active MTU)\n"
"  -S, --sge N            scatter/gather entries per message, uneven pieces (default 1)\n"
"  -I, --inline           post messages of up to --max-inline bytes inline\n"
"      --max-inline N     max_inline_data asked of the QP (default %u)\n"
"  -u, --unsignaled N     signal only every Nth work request (and a batch's last);\n"
"                         of messages of several WRs, every Nth one's last\n"
"      --offset N         messages start N bytes into their slot (alignment)\n"
"      --psn N            initial PSN of both QPs (default random), e.g. 0xfffff0\n"
"      --seed N           data pattern seed (default: from the time)\n"
"      --total BYTES      move BYTES in messages of the largest size (default 1m)\n"
"      --odp              register memory with IBV_ACCESS_ON_DEMAND\n"
"      --flush-type T     global, persistent or both: the FLUSHes' placement\n"
"                         type (default persistent; for --expect global,\n"
"                         but persist_not_pmem's).\n"
"                         The responder's MR and QP get the FLUSH access\n"
"                         flags of the type (IBV_ACCESS_FLUSH_GLOBAL,\n"
"                         _PERSISTENT); persistent needs pmem (device-dax\n"
"                         pinned, or --odp on a DAX file)\n"
"      --flush-level L    range (default) or mr: FLUSH the range written or\n"
"                         the responder's whole MR\n"
"      --drop-flush-access mr|qp  the responder's MR (or QP) goes without the\n"
"                         FLUSH access flags: FLUSHes must fail\n"
"      --mmap FILE        buffers in a shared mapping of FILE (a regular file\n"
"                         is made large enough; a character device such as\n"
"                         device-dax is mapped as it is, offsets and lengths\n"
"                         rounded up to its alignment, by default 2 MiB);\n"
"                         FILE memfd: is a new memfd_create(2) file\n"
"      --map-sync         with --mmap of a regular file: map it\n"
"                         MAP_SHARED_VALIDATE | MAP_SYNC (a DAX file whose\n"
"                         metadata is made durable when a page faults in)\n"
"      --holes            the responder's --mmap file (write, flush,\n"
"                         atomic_write, persist): before each batch its\n"
"                         buffer is punched into a hole (FALLOC_FL_PUNCH_HOLE)\n"
"                         instead of poisoned, so that only the device's\n"
"                         writes allocate blocks; untouched bytes must read 0\n"
"      --file-io          with --mmap of a regular file: message data is\n"
"                         written into the file with pwrite(2), not through\n"
"                         the mapping, and every buffer checked through the\n"
"                         mapping is checked again as read with pread(2)\n"
"                         and through a second mapping of the file\n"
"      --ex               post with the extended QP API (ibv_wr_*)\n"
"      --sqd              per batch: post half, move the QP to SQD, wait for\n"
"                         IBV_EVENT_SQ_DRAINED (the half completed), post the\n"
"                         rest (nothing may complete in SQD), back to RTS\n"
"      --invalidate       after each batch, both ends make the kernel\n"
"                         invalidate their buffer's mappings (mprotect\n"
"                         read-only and back; for --mmap also\n"
"                         MADV_DONTNEED): with --odp the next batch faults\n"
"                         the pages in again\n"
"      --ud               UD QPs and an address handle instead of RC: SENDs\n"
"                         of at most the MTU (default sizes 0,1,1000,1024),\n"
"                         each received behind its GRH, which is checked\n"
"                         too (IPv4 or IPv6 header, the two addresses)\n"
"      --storm            while the transfers run, a thread drops the page\n"
"                         table entries of each --mmap buffer over and over\n"
"                         (MADV_DONTNEED; the file keeps the data): ODP\n"
"                         regions are invalidated under traffic\n"
"      --busy-storm       --storm without a pause between rounds: a fault\n"
"                         meets invalidations for as long as it lasts\n"
"      --evict            before each batch is posted, each end writes its\n"
"                         --mmap buffer back and drops it from the page\n"
"                         cache: the device's accesses must fault it in\n"
"                         from the disk\n"
"      --events[=solicited]  wait on a completion channel instead of polling;\n"
"                         solicited: the responder's CQ is armed for solicited\n"
"                         completions only, and no event may come before one\n"
"      --expect SCENARIO  assert an error case instead of moving data:\n"
"           bad_rkey     WRITE with a wrong rkey: IBV_WC_REM_ACCESS_ERR, the\n"
"                        next WRs IBV_WC_WR_FLUSH_ERR, nothing written\n"
"           rnr          SEND, no receive, rnr_retry 0: IBV_WC_RNR_RETRY_EXC_ERR\n"
"           too_long     send_too_long, then write_too_long:\n"
"           send_too_long  SEND longer than the receive: IBV_WC_REM_INV_REQ_ERR,\n"
"                        responder IBV_WC_LOC_LEN_ERR and its QP in error\n"
"           write_too_long WRITE beyond the remote MR: IBV_WC_REM_ACCESS_ERR\n"
"           local_len    SGE beyond the local MR: IBV_WC_LOC_PROT_ERR\n"
"           misaligned_atomic  FETCH_ADD at an address not 8-byte aligned:\n"
"                        IBV_WC_REM_INV_REQ_ERR, the next WRs flushed,\n"
"                        nothing written\n"
"           flush_no_mr_access  FLUSH into an MR without the FLUSH access\n"
"                        flag: IBV_WC_REM_ACCESS_ERR, the next WRs flushed\n"
"           flush_beyond_mr  FLUSH of a range across the end of the MR:\n"
"                        IBV_WC_REM_ACCESS_ERR\n"
"           flush_no_qp_access  the responder's QP without the FLUSH access\n"
"                        flag: IBV_WC_REM_INV_REQ_ERR (as rdma_rxe)\n"
"           atomic_write_misaligned  ATOMIC WRITE to an address not 8-byte\n"
"                        aligned: IBV_WC_REM_INV_REQ_ERR, nothing written\n"
"           atomic_write_no_access  ATOMIC WRITE into an MR without\n"
"                        REMOTE_WRITE: IBV_WC_REM_ACCESS_ERR, nothing written\n"
"           persist_not_pmem  the responder registers its (not pmem) buffer\n"
"                        pinned with IBV_ACCESS_FLUSH_PERSISTENT: refused,\n"
"                        EOPNOTSUPP on prxe, EINVAL elsewhere (rdma_rxe);\n"
"                        with --odp, a persistent FLUSH into its ODP MR\n"
"                        fails IBV_WC_REM_OP_ERR (prxe), nothing written\n"
"           flush_ud_refused  a UD QP asked for IBV_QP_EX_WITH_FLUSH or\n"
"                        _ATOMIC_WRITE: EOPNOTSUPP; ibv_post_send() of\n"
"                        IBV_WR_ATOMIC_WRITE or IBV_WR_FLUSH: EINVAL at that\n"
"                        WR, the WRs before it posted, nothing else\n"
"           flush_wrap   ibv_wr_flush() of a range wrapping past 2^64:\n"
"                        ibv_wr_complete() EINVAL, nothing of the batch posted\n"
"           flush_bad_args  likewise a length over 2^31, placement type 0,\n"
"                        an unknown type bit, level 2\n"
"      --destroy-inflight destroy the QPs with work outstanding (must not hang),\n"
"                         then verify a transfer on new QPs\n"
"      --inject DAMAGE    test the tester: damage one received message before\n"
"                         checking it (corrupt, stale, shift, overrun; with\n"
"                         --ud also grh, a GRH's address); the run\n"
"                         must then fail and say what it saw\n"
"\n"
"Exit status: 0 passed, 1 failed, 2 usage, 77 not supported by the device.\n",
		DEFAULT_TCP_PORT, DEFAULT_TIMEOUT_S, AW_WORDS, AW_STEP,
		DEFAULT_ITERS, DEFAULT_MAX_INLINE);
}

static int parse_u64(const char *s, uint64_t *v, const char *what)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || end == s)
		goto bad;
	switch (*end) {
	case 'k': case 'K':
		x <<= 10;
		end++;
		break;
	case 'm': case 'M':
		x <<= 20;
		end++;
		break;
	case 'g': case 'G':
		x <<= 30;
		end++;
		break;
	}
	if (*end)
		goto bad;
	*v = x;
	return 0;
bad:
	fprintf(stderr, "%s: bad %s '%s'\n", PROG, what, s);
	return -1;
}

static int parse_u32(const char *s, uint32_t *v, uint32_t min, uint32_t max,
		     const char *what)
{
	uint64_t x;

	if (parse_u64(s, &x, what))
		return -1;
	if (x < min || x > max) {
		fprintf(stderr, "%s: %s %s out of range %u..%u\n", PROG, what, s,
			min, max);
		return -1;
	}
	*v = x;
	return 0;
}

static int parse_sizes(const char *arg, struct cfg *c)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	int ret = 0;

	c->nsizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		if (c->nsizes == MAX_SIZES) {
			fprintf(stderr, "%s: at most %d sizes\n", PROG, MAX_SIZES);
			ret = -1;
			break;
		}
		ret = parse_u32(tok, &c->sizes[c->nsizes++], 0, MAX_MSG_SIZE,
				"size");
	}
	free(copy);
	if (!ret && !c->nsizes) {
		fprintf(stderr, "%s: empty size list\n", PROG);
		ret = -1;
	}
	return ret;
}

static int parse_mtu(const char *s, uint32_t *mtu)
{
	static const struct { int n; enum ibv_mtu m; } t[] = {
		{ 256, IBV_MTU_256 }, { 512, IBV_MTU_512 }, { 1024, IBV_MTU_1024 },
		{ 2048, IBV_MTU_2048 }, { 4096, IBV_MTU_4096 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (atoi(s) == t[i].n) {
			*mtu = t[i].m;
			return 0;
		}
	fprintf(stderr, "%s: MTU must be 256, 512, 1024, 2048 or 4096, not %s\n",
		PROG, s);
	return -1;
}

enum {
	OPT_MAX_INLINE = 256, OPT_OFFSET, OPT_PSN, OPT_SEED, OPT_TOTAL, OPT_ODP,
	OPT_MMAP, OPT_EX, OPT_EVENTS, OPT_EXPECT, OPT_DESTROY_INFLIGHT,
	OPT_INJECT, OPT_SQD, OPT_INVALIDATE, OPT_STORM, OPT_BUSY_STORM, OPT_EVICT,
	OPT_ACK_TIMEOUT,
	OPT_FILE_IO, OPT_UD, OPT_FLUSH_TYPE, OPT_FLUSH_LEVEL, OPT_DROP_FLUSH,
	OPT_MAP_SYNC, OPT_HOLES,
};

static const struct option long_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "gid-index", required_argument, NULL, 'g' },
	{ "ib-port", required_argument, NULL, 'i' },
	{ "port", required_argument, NULL, 'p' },
	{ "timeout", required_argument, NULL, 't' },
	{ "ack-timeout", required_argument, NULL, OPT_ACK_TIMEOUT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "op", required_argument, NULL, 'o' },
	{ "sizes", required_argument, NULL, 's' },
	{ "iters", required_argument, NULL, 'n' },
	{ "depth", required_argument, NULL, 'q' },
	{ "mtu", required_argument, NULL, 'm' },
	{ "sge", required_argument, NULL, 'S' },
	{ "inline", no_argument, NULL, 'I' },
	{ "max-inline", required_argument, NULL, OPT_MAX_INLINE },
	{ "unsignaled", required_argument, NULL, 'u' },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "psn", required_argument, NULL, OPT_PSN },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "total", required_argument, NULL, OPT_TOTAL },
	{ "odp", no_argument, NULL, OPT_ODP },
	{ "mmap", required_argument, NULL, OPT_MMAP },
	{ "file-io", no_argument, NULL, OPT_FILE_IO },
	{ "ex", no_argument, NULL, OPT_EX },
	{ "events", optional_argument, NULL, OPT_EVENTS },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "destroy-inflight", no_argument, NULL, OPT_DESTROY_INFLIGHT },
	{ "inject", required_argument, NULL, OPT_INJECT },
	{ "sqd", no_argument, NULL, OPT_SQD },
	{ "invalidate", no_argument, NULL, OPT_INVALIDATE },
	{ "storm", no_argument, NULL, OPT_STORM },
	{ "busy-storm", no_argument, NULL, OPT_BUSY_STORM },
	{ "evict", no_argument, NULL, OPT_EVICT },
	{ "ud", no_argument, NULL, OPT_UD },
	{ "flush-type", required_argument, NULL, OPT_FLUSH_TYPE },
	{ "flush-level", required_argument, NULL, OPT_FLUSH_LEVEL },
	{ "drop-flush-access", required_argument, NULL, OPT_DROP_FLUSH },
	{ "map-sync", no_argument, NULL, OPT_MAP_SYNC },
	{ "holes", no_argument, NULL, OPT_HOLES },
	{ NULL, 0, NULL, 0 },
};

/*
 * FLUSH and ATOMIC WRITE: the defaults, what the scenarios imply, and the
 * options that do not go with them.
 */
static int flush_args(struct cfg *c)
{
	bool ours = ops[c->op].flush || ops[c->op].atomic_write;

	if (!c->flush_type)
		c->flush_type = c->scenario == SCEN_NONE ||
				c->scenario == SCEN_PERSIST_NOT_PMEM ?
				RC_FLUSH_PERSISTENT : RC_FLUSH_GLOBAL;
	if (c->scenario == SCEN_PERSIST_NOT_PMEM)
		c->flush_type = RC_FLUSH_PERSISTENT;
	if (c->scenario == SCEN_FLUSH_NO_MR_ACCESS)
		c->flags |= CF_NO_MR_FLUSH;
	if (c->scenario == SCEN_FLUSH_NO_QP_ACCESS)
		c->flags |= CF_NO_QP_FLUSH;
	if (c->scenario == SCEN_AW_NO_ACCESS)
		c->flags |= CF_NO_MR_WRITE;
	/* The ibv_wr_* API is the only way to post them (but in that one). */
	if ((cfg_uses_flush(c) || cfg_uses_atomic_write(c)) &&
	    c->scenario != SCEN_FLUSH_UD_REFUSED)
		c->flags |= CF_EX;
	if (ours && (c->flags & (CF_INLINE | CF_SQD | CF_UD | CF_SOLICITED))) {
		fprintf(stderr, "%s: -o %s does not go with --inline, --sqd, --ud or --events=solicited\n",
			PROG, ops[c->op].name);
		return -1;
	}
	if (ours && c->scenario == SCEN_DESTROY_INFLIGHT) {
		fprintf(stderr, "%s: --destroy-inflight is for the other operations\n",
			PROG);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	struct cfg *c = &o->cfg;
	uint32_t v;
	int ch, i;

	memset(o, 0, sizeof(*o));
	o->gid_index = -1;
	o->ib_port = 1;
	o->tcp_port = DEFAULT_TCP_PORT;
	c->op = OP_SEND;
	c->nsge = 1;
	c->iters = DEFAULT_ITERS;
	c->unsig = 1;
	c->max_inline = DEFAULT_MAX_INLINE;
	c->psn = PSN_RANDOM;
	c->timeout_ms = DEFAULT_TIMEOUT_S * 1000;
	c->ack_timeout = DEFAULT_ACK_TIMEOUT;
	c->seed = now_ns() ^ ((uint64_t)getpid() << 32);
	parse_sizes(DEFAULT_SIZES, c);

	while ((ch = getopt_long(argc, argv, "d:g:i:p:t:vho:s:n:q:m:S:Iu:",
				 long_opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->dev = optarg;
			break;
		case 'g':
			if (parse_u32(optarg, &v, 0, 65535, "GID index"))
				return -1;
			o->gid_index = v;
			break;
		case 'i':
			if (parse_u32(optarg, &v, 1, 255, "port"))
				return -1;
			o->ib_port = v;
			break;
		case 'p':
			if (parse_u32(optarg, &v, 1, 65535, "TCP port"))
				return -1;
			o->tcp_port = v;
			break;
		case 't':
			if (parse_u32(optarg, &v, 1, 3600, "timeout"))
				return -1;
			c->timeout_ms = v * 1000;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_PASS);
		case 'o':
			for (i = 0; i < OP_COUNT && strcmp(optarg, ops[i].name); i++)
				;
			if (i == OP_COUNT) {
				fprintf(stderr, "%s: unknown op '%s'\n", PROG, optarg);
				return -1;
			}
			c->op = i;
			break;
		case 's':
			if (parse_sizes(optarg, c))
				return -1;
			c->flags |= CF_SIZES_GIVEN;
			break;
		case 'n':
			if (parse_u32(optarg, &c->iters, 1, 1u << 24, "iterations"))
				return -1;
			break;
		case 'q':
			if (parse_u32(optarg, &c->depth, 1, MAX_DEPTH, "depth"))
				return -1;
			break;
		case 'm':
			if (parse_mtu(optarg, &c->mtu))
				return -1;
			break;
		case 'S':
			if (parse_u32(optarg, &c->nsge, 1, MAX_SGE, "SGE count"))
				return -1;
			break;
		case 'I':
			c->flags |= CF_INLINE;
			break;
		case OPT_MAX_INLINE:
			if (parse_u32(optarg, &c->max_inline, 0, 65536, "max inline"))
				return -1;
			break;
		case 'u':
			if (parse_u32(optarg, &c->unsig, 1, MAX_DEPTH, "unsignaled"))
				return -1;
			break;
		case OPT_OFFSET:
			if (parse_u32(optarg, &c->offset, 0, 65536, "offset"))
				return -1;
			break;
		case OPT_PSN:
			if (parse_u32(optarg, &c->psn, 0, 0xffffff, "PSN"))
				return -1;
			break;
		case OPT_SEED:
			if (parse_u64(optarg, &c->seed, "seed"))
				return -1;
			break;
		case OPT_TOTAL:
			if (parse_u64(optarg, &c->total, "total"))
				return -1;
			break;
		case OPT_ODP:
			c->flags |= CF_ODP;
			break;
		case OPT_MMAP:
			o->mmap_file = optarg;
			break;
		case OPT_FILE_IO:
			o->file_io = true;
			break;
		case OPT_EX:
			c->flags |= CF_EX;
			break;
		case OPT_EVENTS:
			c->flags |= CF_EVENTS;
			if (optarg && !strcmp(optarg, "solicited")) {
				c->flags |= CF_SOLICITED;
			} else if (optarg) {
				fprintf(stderr, "%s: --events takes only =solicited\n", PROG);
				return -1;
			}
			break;
		case OPT_EXPECT:
			for (i = SCEN_BAD_RKEY; i < SCEN_DESTROY_INFLIGHT &&
			     strcmp(optarg, scen_names[i]); i++)
				;
			if (i == SCEN_DESTROY_INFLIGHT) {
				fprintf(stderr, "%s: unknown scenario '%s'\n", PROG, optarg);
				return -1;
			}
			c->scenario = i;
			break;
		case OPT_DESTROY_INFLIGHT:
			c->scenario = SCEN_DESTROY_INFLIGHT;
			break;
		case OPT_SQD:
			c->flags |= CF_SQD;
			break;
		case OPT_INVALIDATE:
			c->flags |= CF_INVALIDATE;
			break;
		case OPT_STORM:
			c->flags |= CF_STORM;
			break;
		case OPT_BUSY_STORM:
			c->flags |= CF_STORM | CF_BUSY_STORM;
			break;
		case OPT_ACK_TIMEOUT:
			if (parse_u32(optarg, &v, 1, 31, "ack-timeout"))
				return EXIT_USAGE;
			c->ack_timeout = v;
			break;
		case OPT_EVICT:
			c->flags |= CF_EVICT;
			break;
		case OPT_UD:
			c->flags |= CF_UD;
			break;
		case OPT_FLUSH_TYPE:
			if (!strcmp(optarg, "global")) {
				c->flush_type = RC_FLUSH_GLOBAL;
			} else if (!strcmp(optarg, "persistent")) {
				c->flush_type = RC_FLUSH_PERSISTENT;
			} else if (!strcmp(optarg, "both")) {
				c->flush_type = RC_FLUSH_GLOBAL | RC_FLUSH_PERSISTENT;
			} else {
				fprintf(stderr, "%s: --flush-type: global, persistent or both, not '%s'\n",
					PROG, optarg);
				return -1;
			}
			break;
		case OPT_FLUSH_LEVEL:
			if (!strcmp(optarg, "range")) {
				c->flush_level = RC_FLUSH_RANGE;
			} else if (!strcmp(optarg, "mr")) {
				c->flush_level = RC_FLUSH_MR;
			} else {
				fprintf(stderr, "%s: --flush-level: range or mr, not '%s'\n",
					PROG, optarg);
				return -1;
			}
			break;
		case OPT_DROP_FLUSH:
			if (!strcmp(optarg, "mr")) {
				c->flags |= CF_NO_MR_FLUSH;
			} else if (!strcmp(optarg, "qp")) {
				c->flags |= CF_NO_QP_FLUSH;
			} else {
				fprintf(stderr, "%s: --drop-flush-access: mr or qp, not '%s'\n",
					PROG, optarg);
				return -1;
			}
			break;
		case OPT_MAP_SYNC:
			o->map_sync = true;
			break;
		case OPT_HOLES:
			o->holes = true;
			break;
		case OPT_INJECT:
			for (i = INJ_CORRUPT; i < INJ_COUNT &&
			     strcmp(optarg, inject_names[i]); i++)
				;
			if (i == INJ_COUNT) {
				fprintf(stderr, "%s: unknown damage '%s'\n", PROG, optarg);
				return -1;
			}
			c->inject = i;
			break;
		default:
			return -1;
		}
	}

	if (optind >= argc) {
		fprintf(stderr, "%s: server, client or loopback?\n", PROG);
		return -1;
	}
	if (!strcmp(argv[optind], "server")) {
		o->mode = MODE_SERVER;
	} else if (!strcmp(argv[optind], "loopback")) {
		o->mode = MODE_LOOPBACK;
	} else if (!strcmp(argv[optind], "caps")) {
		o->mode = MODE_CAPS;
	} else if (!strcmp(argv[optind], "client")) {
		o->mode = MODE_CLIENT;
		if (++optind >= argc) {
			fprintf(stderr, "%s: client needs the server's address\n", PROG);
			return -1;
		}
		o->server = argv[optind];
	} else {
		fprintf(stderr, "%s: unknown mode '%s'\n", PROG, argv[optind]);
		return -1;
	}
	if (++optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", PROG, argv[optind]);
		return -1;
	}
	if (!o->dev) {
		fprintf(stderr, "%s: -d DEV is required\n", PROG);
		return -1;
	}
	if (c->total && !(c->flags & CF_SIZES_GIVEN)) {
		c->nsizes = 1;
		c->sizes[0] = 1u << 20;
	}
	if (o->file_io && !o->mmap_file) {
		fprintf(stderr, "%s: --file-io needs --mmap FILE\n", PROG);
		return -1;
	}
	if (o->file_io && c->scenario != SCEN_NONE) {
		fprintf(stderr, "%s: --file-io is for verified transfers, not --expect\n",
			PROG);
		return -1;
	}
	if ((c->flags & CF_UD) &&
	    ((c->op != OP_SEND && c->op != OP_SEND_IMM) ||
	     c->scenario != SCEN_NONE || (c->flags & CF_SQD))) {
		fprintf(stderr, "%s: --ud is for verified send / send_imm transfers\n",
			PROG);
		return -1;
	}
	if ((c->flags & CF_UD) && !(c->flags & CF_SIZES_GIVEN)) {
		c->nsizes = 4;
		memcpy(c->sizes, (uint32_t[]){ 0, 1, 1000, 1024 },
		       4 * sizeof(c->sizes[0]));
	}
	if (c->total && (ops[c->op].atomic || c->op == OP_ATOMIC_WRITE)) {
		fprintf(stderr, "%s: --total does not apply to atomics\n", PROG);
		return -1;
	}
	if (o->map_sync && !o->mmap_file) {
		fprintf(stderr, "%s: --map-sync needs --mmap FILE\n", PROG);
		return -1;
	}
	return flush_args(c);
}

/* ------------------------------------------------------------------------
 * Main: the three modes
 */

/* Slot stride, depth and MR length for the test. */
static void geometry(struct sess *s, size_t *mr_len)
{
	const struct cfg *c = s->c;
	uint32_t msize = max_size(c), depth;

	if (c->scenario != SCEN_NONE && scen_size(c) + 1 > msize)
		msize = scen_size(c) + 1;
	s->stride = slot_stride(c, msize);
	depth = c->depth;
	if (!depth) {
		depth = DEPTH_BUDGET / s->stride;
		if (depth > 16)
			depth = 16;
		if (depth < 1)
			depth = 1;
	}
	if (c->scenario != SCEN_NONE && c->scenario != SCEN_DESTROY_INFLIGHT &&
	    depth < 4)
		depth = 4;
	s->depth = depth;
	*mr_len = (size_t)depth * s->stride;
}

static int exit_code(int rc)
{
	if (!rc)
		return EXIT_PASS;
	return rc == -EXIT_UNSUPPORTED ? EXIT_UNSUPPORTED : EXIT_FAIL;
}

static void describe(const struct sess *s, const char *role)
{
	const struct cfg *c = s->c;

	info(role, "%s%s%s, %u SGE%s%s%s%s%s%s%s%s%s%s%s, depth %u, seed 0x%" PRIx64,
	     c->scenario ? "scenario " : "",
	     c->scenario ? scen_names[c->scenario] : "", c->scenario ? " with " : "",
	     c->nsge, c->nsge > 1 ? "s" : "",
	     c->flags & CF_INLINE ? ", inline" : "",
	     c->unsig > 1 ? ", unsignaled" : "",
	     c->flags & CF_EX ? ", ibv_wr_* API" : "",
	     c->flags & CF_SQD ? ", SQD" : "",
	     c->flags & CF_INVALIDATE ? ", invalidations" : "",
	     c->flags & CF_STORM ? ", invalidation storm" : "",
	     c->flags & CF_EVICT ? ", page cache evicted" : "",
	     c->flags & CF_UD ? ", UD" : "",
	     c->flags & CF_SOLICITED ? ", solicited events" :
	     c->flags & CF_EVENTS ? ", events" : "",
	     c->flags & CF_ODP ? ", ODP" : "", s->depth, c->seed);
	if (!c->scenario)
		info(role, "op %s", ops[c->op].name);
	if (cfg_uses_flush(c))
		info(role, "FLUSH type %s, level %s%s%s", flush_type_str(c->flush_type),
		     c->flush_level == RC_FLUSH_MR ? "mr" : "range",
		     c->flags & CF_NO_MR_FLUSH ? ", responder MR without FLUSH access" : "",
		     c->flags & CF_NO_QP_FLUSH ? ", responder QP without FLUSH access" : "");
}

static int main_loopback(struct opts *o)
{
	struct ep req = { .role = "requester" }, resp = { .role = "responder" };
	struct sess s = { .o = o, .c = &o->cfg, .req = &req, .resp = &resp,
			  .sock = -1 };
	size_t mr_len;
	int rc;

	geometry(&s, &mr_len);
	describe(&s, "loopback");
	rc = ep_open(&req, o, &o->cfg, mr_len, 0, true);
	if (!rc)
		rc = ep_open(&resp, o, &o->cfg, mr_len,
			     (mr_len + TAIL + 0xfffff) & ~(size_t)0xfffff, false);
	if (!rc)
		rc = run_session(&s);
	ep_close(&req);
	ep_close(&resp);
	return exit_code(rc);
}

static int main_client(struct opts *o)
{
	struct ep req = { .role = "requester" };
	struct sess s = { .o = o, .c = &o->cfg, .req = &req };
	size_t mr_len;
	int rc;

	geometry(&s, &mr_len);
	s.sock = tcp_connect(o->server, o->tcp_port);
	if (s.sock < 0)
		return EXIT_FAIL;
	describe(&s, "client");
	rc = ep_open(&req, o, &o->cfg, mr_len, 0, true);
	rc = wire_client_hello(&s, rc);
	if (!rc)
		rc = run_session(&s);
	ep_close(&req);
	close(s.sock);
	return exit_code(rc);
}

static int main_server(struct opts *o)
{
	struct ep resp = { .role = "responder" };
	struct sess s = { .o = o, .c = &o->cfg, .resp = &resp };
	size_t mr_len;
	int rc;

	s.sock = tcp_accept(o->tcp_port, 6 * o->cfg.timeout_ms + 60000);
	if (s.sock < 0)
		return EXIT_FAIL;
	rc = wire_server_hello(&s, &o->cfg);
	if (rc) {
		close(s.sock);
		return exit_code(rc);
	}
	geometry(&s, &mr_len);
	describe(&s, "server");
	if (o->file_io && o->cfg.scenario != SCEN_NONE)
		rc = fail("server", "--file-io is for verified transfers, not scenarios");
	else
		rc = ep_open(&resp, o, &o->cfg, mr_len, 0, false);
	rc = wire_server_ack(&s, rc);
	if (!rc)
		rc = run_session(&s);
	ep_close(&resp);
	close(s.sock);
	return exit_code(rc);
}

int main(int argc, char **argv)
{
	struct opts o;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &o)) {
		fprintf(stderr, "Try '%s --help'.\n", PROG);
		return EXIT_USAGE;
	}
	verbose = o.verbose;
	srandom((unsigned int)(now_ns() ^ getpid()));
	signal(SIGPIPE, SIG_IGN);

	switch (o.mode) {
	case MODE_CAPS:
		return device_caps(&o);
	case MODE_SERVER:
		return main_server(&o);
	case MODE_CLIENT:
		return main_client(&o);
	default:
		return main_loopback(&o);
	}
}
