// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * RoCEv2 packets: header encoding, the opcode table, the builder, the
 * ICRC and the parser (see pkt.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "pkt.h"

/* ------------------------------------------------------------------------
 * Byte order.
 */
static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put_be24(uint8_t *p, uint32_t v)
{
	p[0] = v >> 16;
	p[1] = v >> 8;
	p[2] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, v);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

/* ------------------------------------------------------------------------
 * Headers.
 *
 * BTH:  0 opcode | 1 SE M Pad(2) TVer(4) | 2-3 P_Key |
 *       4 FECN BECN resv6 | 5-7 DestQP | 8 AckReq resv7 | 9-11 PSN
 */
void roce_bth_encode(const struct roce_bth *bth, uint8_t *out)
{
	out[0] = bth->opcode;
	out[1] = (bth->se ? 0x80 : 0) | (bth->mig ? 0x40 : 0) |
		 (bth->pad & 3) << 4 | (bth->tver & 0x0f);
	put_be16(out + 2, bth->pkey);
	out[4] = (bth->fecn ? 0x80 : 0) | (bth->becn ? 0x40 : 0) |
		 (bth->resv6 & 0x3f);
	put_be24(out + 5, bth->dest_qpn);
	out[8] = (bth->ack_req ? 0x80 : 0) | (bth->resv7 & 0x7f);
	put_be24(out + 9, bth->psn);
}

void roce_bth_decode(struct roce_bth *bth, const uint8_t *in)
{
	bth->opcode = in[0];
	bth->se = in[1] & 0x80;
	bth->mig = in[1] & 0x40;
	bth->pad = (in[1] >> 4) & 3;
	bth->tver = in[1] & 0x0f;
	bth->pkey = get_be16(in + 2);
	bth->fecn = in[4] & 0x80;
	bth->becn = in[4] & 0x40;
	bth->resv6 = in[4] & 0x3f;
	bth->dest_qpn = get_be24(in + 5);
	bth->ack_req = in[8] & 0x80;
	bth->resv7 = in[8] & 0x7f;
	bth->psn = get_be24(in + 9);
}

/* RETH: 0-7 VA | 8-11 R_Key | 12-15 DMA length */
void roce_reth_encode(const struct roce_reth *reth, uint8_t *out)
{
	put_be64(out, reth->va);
	put_be32(out + 8, reth->rkey);
	put_be32(out + 12, reth->dma_len);
}

void roce_reth_decode(struct roce_reth *reth, const uint8_t *in)
{
	reth->va = get_be64(in);
	reth->rkey = get_be32(in + 8);
	reth->dma_len = get_be32(in + 12);
}

/* AETH: 0 syndrome | 1-3 MSN */
void roce_aeth_encode(const struct roce_aeth *aeth, uint8_t *out)
{
	out[0] = aeth->syndrome;
	put_be24(out + 1, aeth->msn);
}

void roce_aeth_decode(struct roce_aeth *aeth, const uint8_t *in)
{
	aeth->syndrome = in[0];
	aeth->msn = get_be24(in + 1);
}

/* AtomicETH: 0-7 VA | 8-11 R_Key | 12-19 swap/add | 20-27 compare */
void roce_atomic_eth_encode(const struct roce_atomic_eth *a, uint8_t *out)
{
	put_be64(out, a->va);
	put_be32(out + 8, a->rkey);
	put_be64(out + 12, a->swap_add);
	put_be64(out + 20, a->compare);
}

void roce_atomic_eth_decode(struct roce_atomic_eth *a, const uint8_t *in)
{
	a->va = get_be64(in);
	a->rkey = get_be32(in + 8);
	a->swap_add = get_be64(in + 12);
	a->compare = get_be64(in + 20);
}

/* AtomicAckETH: 0-7 original remote data */
void roce_atomic_ack_eth_encode(const struct roce_atomic_ack_eth *a,
				uint8_t *out)
{
	put_be64(out, a->orig);
}

void roce_atomic_ack_eth_decode(struct roce_atomic_ack_eth *a,
				const uint8_t *in)
{
	a->orig = get_be64(in);
}

/* DETH: 0-3 Q_Key | 4 reserved | 5-7 source QP */
void roce_deth_encode(const struct roce_deth *deth, uint8_t *out)
{
	put_be32(out, deth->qkey);
	out[4] = deth->resv;
	put_be24(out + 5, deth->src_qpn);
}

void roce_deth_decode(struct roce_deth *deth, const uint8_t *in)
{
	deth->qkey = get_be32(in);
	deth->resv = in[4];
	deth->src_qpn = get_be24(in + 5);
}

void roce_immdt_encode(const struct roce_immdt *immdt, uint8_t *out)
{
	put_be32(out, immdt->imm);
}

void roce_immdt_decode(struct roce_immdt *immdt, const uint8_t *in)
{
	immdt->imm = get_be32(in);
}

void roce_ieth_encode(const struct roce_ieth *ieth, uint8_t *out)
{
	put_be32(out, ieth->rkey);
}

void roce_ieth_decode(struct roce_ieth *ieth, const uint8_t *in)
{
	ieth->rkey = get_be32(in);
}

/* FETH: one big-endian word, reserved (31:6) | SEL (5:4) | PLT (3:0) */
void roce_feth_encode(const struct roce_feth *feth, uint8_t *out)
{
	put_be32(out, (feth->resv & 0x03ffffffu) << 6 |
		      (uint32_t)(feth->selectivity & 3) << 4 |
		      (feth->placement & 0x0f));
}

void roce_feth_decode(struct roce_feth *feth, const uint8_t *in)
{
	uint32_t v = get_be32(in);

	feth->resv = v >> 6;
	feth->selectivity = (v >> 4) & 3;
	feth->placement = v & 0x0f;
}

/* ------------------------------------------------------------------------
 * The opcode table (IBTA Vol. 1 9.2/9.3, FLUSH and ATOMIC WRITE from the
 * 1.5 Memory Placement Extensions), RC, UC and UD: what prxe and rdma_rxe
 * accept.
 */
static const struct {
	size_t		bytes;
	const char	*name;
} ext_desc[ROCE_NR_EXTS] = {
	[ROCE_EXT_DETH]		 = { ROCE_DETH_BYTES,		"DETH" },
	[ROCE_EXT_FETH]		 = { ROCE_FETH_BYTES,		"FETH" },
	[ROCE_EXT_RETH]		 = { ROCE_RETH_BYTES,		"RETH" },
	[ROCE_EXT_ATOMIC_ETH]	 = { ROCE_ATOMIC_ETH_BYTES,	"AtomicETH" },
	[ROCE_EXT_AETH]		 = { ROCE_AETH_BYTES,		"AETH" },
	[ROCE_EXT_ATOMIC_ACK_ETH] = { ROCE_ATOMIC_ACK_ETH_BYTES, "AtomicAckETH" },
	[ROCE_EXT_IMMDT]	 = { ROCE_IMMDT_BYTES,		"ImmDt" },
	[ROCE_EXT_IETH]		 = { ROCE_IETH_BYTES,		"IETH" },
};

#define PL	ROCE_OPF_PAYLOAD
#define REQ	ROCE_OPF_REQUEST
#define RSP	ROCE_OPF_RESPONSE
#define FST	ROCE_OPF_FIRST
#define MID	ROCE_OPF_MIDDLE
#define LST	ROCE_OPF_LAST
#define ONL	ROCE_OPF_ONLY

#define OP(code, oper, ext, fl) \
	{ #code, ROCE_OP_##code, ROCE_OPER_##oper, (ext), (fl), 0 }

/* hdr_bytes is filled in from exts by roce_opcode_info(). */
static const struct roce_opcode_info opcode_list[] = {
	OP(RC_SEND_FIRST, SEND, 0, REQ | PL | FST),
	OP(RC_SEND_MIDDLE, SEND, 0, REQ | PL | MID),
	OP(RC_SEND_LAST, SEND, 0, REQ | PL | LST),
	OP(RC_SEND_LAST_WITH_IMM, SEND, ROCE_HAS_IMMDT, REQ | PL | LST),
	OP(RC_SEND_ONLY, SEND, 0, REQ | PL | ONL),
	OP(RC_SEND_ONLY_WITH_IMM, SEND, ROCE_HAS_IMMDT, REQ | PL | ONL),
	OP(RC_RDMA_WRITE_FIRST, WRITE, ROCE_HAS_RETH, REQ | PL | FST),
	OP(RC_RDMA_WRITE_MIDDLE, WRITE, 0, REQ | PL | MID),
	OP(RC_RDMA_WRITE_LAST, WRITE, 0, REQ | PL | LST),
	OP(RC_RDMA_WRITE_LAST_WITH_IMM, WRITE, ROCE_HAS_IMMDT, REQ | PL | LST),
	OP(RC_RDMA_WRITE_ONLY, WRITE, ROCE_HAS_RETH, REQ | PL | ONL),
	OP(RC_RDMA_WRITE_ONLY_WITH_IMM, WRITE, ROCE_HAS_RETH | ROCE_HAS_IMMDT,
	   REQ | PL | ONL),
	OP(RC_RDMA_READ_REQUEST, READ, ROCE_HAS_RETH, REQ | ONL),
	OP(RC_RDMA_READ_RESPONSE_FIRST, READ, ROCE_HAS_AETH, RSP | PL | FST),
	OP(RC_RDMA_READ_RESPONSE_MIDDLE, READ, 0, RSP | PL | MID),
	OP(RC_RDMA_READ_RESPONSE_LAST, READ, ROCE_HAS_AETH, RSP | PL | LST),
	OP(RC_RDMA_READ_RESPONSE_ONLY, READ, ROCE_HAS_AETH, RSP | PL | ONL),
	OP(RC_ACKNOWLEDGE, ACK, ROCE_HAS_AETH, RSP | ONL),
	OP(RC_ATOMIC_ACKNOWLEDGE, ATOMIC, ROCE_HAS_AETH | ROCE_HAS_ATOMIC_ACK_ETH,
	   RSP | ONL),
	OP(RC_COMPARE_SWAP, ATOMIC, ROCE_HAS_ATOMIC_ETH, REQ | ONL),
	OP(RC_FETCH_ADD, ATOMIC, ROCE_HAS_ATOMIC_ETH, REQ | ONL),
	OP(RC_SEND_LAST_WITH_INVALIDATE, SEND, ROCE_HAS_IETH, REQ | PL | LST),
	OP(RC_SEND_ONLY_WITH_INVALIDATE, SEND, ROCE_HAS_IETH, REQ | PL | ONL),
	/* FETH first, then the RETH of the range to flush. */
	OP(RC_FLUSH, FLUSH, ROCE_HAS_FETH | ROCE_HAS_RETH, REQ | ONL),
	/* The payload is the 8 bytes to write. */
	OP(RC_ATOMIC_WRITE, ATOMIC_WRITE, ROCE_HAS_RETH, REQ | PL | ONL),

	OP(UC_SEND_FIRST, SEND, 0, REQ | PL | FST),
	OP(UC_SEND_MIDDLE, SEND, 0, REQ | PL | MID),
	OP(UC_SEND_LAST, SEND, 0, REQ | PL | LST),
	OP(UC_SEND_LAST_WITH_IMM, SEND, ROCE_HAS_IMMDT, REQ | PL | LST),
	OP(UC_SEND_ONLY, SEND, 0, REQ | PL | ONL),
	OP(UC_SEND_ONLY_WITH_IMM, SEND, ROCE_HAS_IMMDT, REQ | PL | ONL),
	OP(UC_RDMA_WRITE_FIRST, WRITE, ROCE_HAS_RETH, REQ | PL | FST),
	OP(UC_RDMA_WRITE_MIDDLE, WRITE, 0, REQ | PL | MID),
	OP(UC_RDMA_WRITE_LAST, WRITE, 0, REQ | PL | LST),
	OP(UC_RDMA_WRITE_LAST_WITH_IMM, WRITE, ROCE_HAS_IMMDT, REQ | PL | LST),
	OP(UC_RDMA_WRITE_ONLY, WRITE, ROCE_HAS_RETH, REQ | PL | ONL),
	OP(UC_RDMA_WRITE_ONLY_WITH_IMM, WRITE, ROCE_HAS_RETH | ROCE_HAS_IMMDT,
	   REQ | PL | ONL),

	OP(UD_SEND_ONLY, SEND, ROCE_HAS_DETH, REQ | PL | ONL),
	OP(UD_SEND_ONLY_WITH_IMM, SEND, ROCE_HAS_DETH | ROCE_HAS_IMMDT,
	   REQ | PL | ONL),
};

#undef OP
#undef PL
#undef REQ
#undef RSP
#undef FST
#undef MID
#undef LST
#undef ONL

#define NR_OPCODES	(sizeof(opcode_list) / sizeof(opcode_list[0]))

/* Indexed by opcode: the list above with hdr_bytes filled in. */
static struct roce_opcode_info opcode_table[256];
static uint32_t crc32_table[256];
/* "opcode 0xNN" for the opcodes not in the table. */
static char unknown_opcode_names[256][12];

/* The tables are constant once made, before main() runs. */
__attribute__((constructor)) static void roce_pkt_tables(void)
{
	for (unsigned int i = 0; i < NR_OPCODES; i++) {
		struct roce_opcode_info *info =
			&opcode_table[opcode_list[i].opcode];

		*info = opcode_list[i];
		info->hdr_bytes = roce_exts_hdr_bytes(info->exts);
	}
	for (unsigned int op = 0; op < 256; op++)
		snprintf(unknown_opcode_names[op], sizeof(unknown_opcode_names[op]),
			 "opcode 0x%02x", op);
	/* CRC-32, reflected polynomial 0xedb88320 (IEEE 802.3). */
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
		crc32_table[i] = c;
	}
}

const struct roce_opcode_info *roce_opcode_info(uint8_t opcode)
{
	const struct roce_opcode_info *info = &opcode_table[opcode];

	return info->name ? info : NULL;
}

const char *roce_opcode_name(uint8_t opcode)
{
	const struct roce_opcode_info *info = roce_opcode_info(opcode);

	return info ? info->name : unknown_opcode_names[opcode];
}

unsigned int roce_opcodes(const struct roce_opcode_info **list,
			  unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int op = 0; op < 256; op++) {
		if (!opcode_table[op].name)
			continue;
		if (n < max)
			list[n] = &opcode_table[op];
		n++;
	}
	return n;
}

size_t roce_ext_bytes(enum roce_ext ext)
{
	return ext < ROCE_NR_EXTS ? ext_desc[ext].bytes : 0;
}

const char *roce_ext_name(enum roce_ext ext)
{
	return ext < ROCE_NR_EXTS ? ext_desc[ext].name : "?";
}

size_t roce_exts_hdr_bytes(unsigned int exts)
{
	size_t n = ROCE_BTH_BYTES;

	for (int ext = 0; ext < ROCE_NR_EXTS; ext++)
		if (exts & (1u << ext))
			n += ext_desc[ext].bytes;
	return n;
}

size_t roce_ext_offset(unsigned int exts, enum roce_ext ext)
{
	return roce_exts_hdr_bytes(exts & ((1u << ext) - 1));
}

/* ------------------------------------------------------------------------
 * AETH.
 */
enum roce_aeth_type roce_aeth_type(uint8_t syndrome)
{
	switch (syndrome >> 5) {
	case 0:
		return ROCE_AETH_ACK;
	case 1:
		return ROCE_AETH_RNR_NAK;
	case 3:
		return ROCE_AETH_NAK;
	default:
		return ROCE_AETH_RESERVED;
	}
}

/* IBTA Vol. 1 table 45, "Encoding for RNR NAK Timer Field". */
static const uint32_t rnr_timer_usec[32] = {
	655360, 10, 20, 30, 40, 60, 80, 120,
	160, 240, 320, 480, 640, 960, 1280, 1920,
	2560, 3840, 5120, 7680, 10240, 15360, 20480, 30720,
	40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520,
};

uint32_t roce_rnr_timer_usec(uint8_t timer_code)
{
	return rnr_timer_usec[timer_code & 0x1f];
}

const char *roce_nak_code_name(uint8_t code)
{
	switch (code) {
	case ROCE_NAK_PSN_SEQ_ERR:
		return "PSN sequence error";
	case ROCE_NAK_INVALID_REQ:
		return "invalid request";
	case ROCE_NAK_REM_ACCESS_ERR:
		return "remote access error";
	case ROCE_NAK_REM_OP_ERR:
		return "remote operational error";
	case ROCE_NAK_INVALID_RD_REQ:
		return "invalid RD request";
	default:
		return "reserved NAK code";
	}
}

const char *roce_syndrome_str(uint8_t syndrome, char *buf, size_t size)
{
	uint8_t value = roce_aeth_value(syndrome);
	uint32_t usec;

	switch (roce_aeth_type(syndrome)) {
	case ROCE_AETH_ACK:
		if (value == ROCE_AETH_CREDITS_INVALID)
			snprintf(buf, size, "ACK");
		else
			snprintf(buf, size, "ACK credits %u", value);
		break;
	case ROCE_AETH_RNR_NAK:
		usec = roce_rnr_timer_usec(value);
		snprintf(buf, size, "RNR NAK timer %u (%u.%02u ms)", value,
			 usec / 1000, usec % 1000 / 10);
		break;
	case ROCE_AETH_NAK:
		if (value > ROCE_NAK_INVALID_RD_REQ)
			snprintf(buf, size, "NAK reserved code %u", value);
		else
			snprintf(buf, size, "NAK %s", roce_nak_code_name(value));
		break;
	default:
		snprintf(buf, size, "reserved syndrome 0x%02x", syndrome);
		break;
	}
	return buf;
}

/* ------------------------------------------------------------------------
 * Describing and encoding a packet's transport headers.
 */
void roce_hdrs_init(struct roce_hdrs *h, uint8_t opcode)
{
	const struct roce_opcode_info *info = roce_opcode_info(opcode);

	memset(h, 0, sizeof(*h));
	h->bth.opcode = opcode;
	h->bth.pkey = 0xffff;
	h->exts = info ? info->exts : 0;
}

size_t roce_hdrs_encode(const struct roce_hdrs *h, uint8_t *out)
{
	uint8_t *p = out;

	roce_bth_encode(&h->bth, p);
	p += ROCE_BTH_BYTES;
	/* In wire order, enum roce_ext's. */
	if (h->exts & ROCE_HAS_DETH) {
		roce_deth_encode(&h->deth, p);
		p += ROCE_DETH_BYTES;
	}
	if (h->exts & ROCE_HAS_FETH) {
		roce_feth_encode(&h->feth, p);
		p += ROCE_FETH_BYTES;
	}
	if (h->exts & ROCE_HAS_RETH) {
		roce_reth_encode(&h->reth, p);
		p += ROCE_RETH_BYTES;
	}
	if (h->exts & ROCE_HAS_ATOMIC_ETH) {
		roce_atomic_eth_encode(&h->atomic_eth, p);
		p += ROCE_ATOMIC_ETH_BYTES;
	}
	if (h->exts & ROCE_HAS_AETH) {
		roce_aeth_encode(&h->aeth, p);
		p += ROCE_AETH_BYTES;
	}
	if (h->exts & ROCE_HAS_ATOMIC_ACK_ETH) {
		roce_atomic_ack_eth_encode(&h->atomic_ack_eth, p);
		p += ROCE_ATOMIC_ACK_ETH_BYTES;
	}
	if (h->exts & ROCE_HAS_IMMDT) {
		roce_immdt_encode(&h->immdt, p);
		p += ROCE_IMMDT_BYTES;
	}
	if (h->exts & ROCE_HAS_IETH) {
		roce_ieth_encode(&h->ieth, p);
		p += ROCE_IETH_BYTES;
	}
	return p - out;
}

static size_t decode_exts(struct roce_hdrs *h, const uint8_t *in)
{
	const uint8_t *p = in;

	if (h->exts & ROCE_HAS_DETH) {
		roce_deth_decode(&h->deth, p);
		p += ROCE_DETH_BYTES;
	}
	if (h->exts & ROCE_HAS_FETH) {
		roce_feth_decode(&h->feth, p);
		p += ROCE_FETH_BYTES;
	}
	if (h->exts & ROCE_HAS_RETH) {
		roce_reth_decode(&h->reth, p);
		p += ROCE_RETH_BYTES;
	}
	if (h->exts & ROCE_HAS_ATOMIC_ETH) {
		roce_atomic_eth_decode(&h->atomic_eth, p);
		p += ROCE_ATOMIC_ETH_BYTES;
	}
	if (h->exts & ROCE_HAS_AETH) {
		roce_aeth_decode(&h->aeth, p);
		p += ROCE_AETH_BYTES;
	}
	if (h->exts & ROCE_HAS_ATOMIC_ACK_ETH) {
		roce_atomic_ack_eth_decode(&h->atomic_ack_eth, p);
		p += ROCE_ATOMIC_ACK_ETH_BYTES;
	}
	if (h->exts & ROCE_HAS_IMMDT) {
		roce_immdt_decode(&h->immdt, p);
		p += ROCE_IMMDT_BYTES;
	}
	if (h->exts & ROCE_HAS_IETH) {
		roce_ieth_decode(&h->ieth, p);
		p += ROCE_IETH_BYTES;
	}
	return p - in;
}

/* ------------------------------------------------------------------------
 * Addresses.
 */
int roce_addr_parse(const char *text, int *family, union roce_in_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, text, &addr->v4) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &addr->v6) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *roce_addr_str(int family, const union roce_in_addr *addr,
			  char *buf, size_t size)
{
	if (!inet_ntop(family, addr, buf, size))
		snprintf(buf, size, "?");
	return buf;
}

int roce_ip_init(struct roce_ip *ip, const char *src, const char *dst)
{
	int src_family;

	memset(ip, 0, sizeof(*ip));
	if (roce_addr_parse(dst, &ip->family, &ip->dst) ||
	    roce_addr_parse(src, &src_family, &ip->src) ||
	    src_family != ip->family)
		return -EINVAL;
	ip->sport = 0xc000;
	ip->ipv4_id = 1;
	ip->ttl = 64;
	return 0;
}

/* ------------------------------------------------------------------------
 * Checksums and the ICRC.
 */
uint32_t roce_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--)
		crc = crc32_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

uint32_t roce_icrc(const uint8_t *data, size_t len, size_t ip_hdr_len)
{
	static const uint8_t lrh_ones[8] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	uint8_t masked[ROCE_IPV6_HDR_BYTES + ROCE_UDP_HDR_BYTES +
		       ROCE_BTH_BYTES];
	size_t end = len - ROCE_ICRC_BYTES;	/* the ICRC's place */
	size_t n = ip_hdr_len + ROCE_UDP_HDR_BYTES + ROCE_BTH_BYTES;
	uint8_t *udp = masked + ip_hdr_len;
	uint32_t crc;

	/* The masked copy: IP, UDP and as much of the BTH as is there. */
	if (n > end)
		n = end;
	memcpy(masked, data, n);
	if (ip_hdr_len == ROCE_IPV4_HDR_BYTES) {
		masked[1] = 0xff;			/* TOS */
		masked[8] = 0xff;			/* TTL */
		masked[10] = masked[11] = 0xff;		/* header checksum */
	} else {
		masked[0] |= 0x0f;			/* traffic class, */
		masked[1] = masked[2] = masked[3] = 0xff; /* flow label */
		masked[7] = 0xff;			/* hop limit */
	}
	udp[6] = udp[7] = 0xff;				/* UDP checksum */
	if (n > ip_hdr_len + ROCE_UDP_HDR_BYTES + 4)
		udp[ROCE_UDP_HDR_BYTES + 4] = 0xff;	/* FECN, BECN, resv6 */

	crc = roce_crc32(0xffffffffu, lrh_ones, sizeof(lrh_ones));
	crc = roce_crc32(crc, masked, n);
	crc = roce_crc32(crc, data + n, end - n);
	return ~crc;
}

uint32_t roce_icrc_carried(const uint8_t *data, size_t len)
{
	return get_le32(data + len - ROCE_ICRC_BYTES);
}

/* One's complement sum of @len bytes as big-endian 16-bit words. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += get_be16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static uint16_t ipv4_hdr_csum(const uint8_t *ip)
{
	uint8_t hdr[ROCE_IPV4_HDR_BYTES];

	memcpy(hdr, ip, sizeof(hdr));
	hdr[10] = hdr[11] = 0;
	return csum_fold(csum_add(0, hdr, sizeof(hdr)));
}

/* IPv6 UDP checksum over the @udp_len bytes at @udp (RFC 8200 8.1). */
static uint16_t udp6_csum(const uint8_t *ip6, const uint8_t *udp,
			  size_t udp_len)
{
	uint8_t pseudo[40];
	uint32_t sum;
	uint16_t csum;

	memcpy(pseudo, ip6 + 8, 32);			/* source, destination */
	put_be32(pseudo + 32, udp_len);
	pseudo[36] = pseudo[37] = pseudo[38] = 0;
	pseudo[39] = IPPROTO_UDP;
	sum = csum_add(0, pseudo, sizeof(pseudo));
	sum = csum_add(sum, udp, 6);			/* the checksum as 0 */
	sum = csum_add(sum, udp + 8, udp_len - 8);
	csum = csum_fold(sum);
	return csum ? csum : 0xffff;		/* 0 means "none" (RFC 768) */
}

/* ------------------------------------------------------------------------
 * Building.
 */
int roce_pkt_fixup(struct roce_pkt *pkt, unsigned int fix)
{
	size_t ip_len = pkt->ip_hdr_len;
	uint8_t *ip = pkt->data;
	uint8_t *udp = ip + ip_len;

	if ((ip_len != ROCE_IPV4_HDR_BYTES && ip_len != ROCE_IPV6_HDR_BYTES) ||
	    pkt->len < ip_len + ROCE_UDP_HDR_BYTES ||
	    pkt->len > ROCE_PKT_MAX_BYTES)
		return -EINVAL;

	if (fix & ROCE_FIX_LENGTHS) {
		if (ip_len == ROCE_IPV4_HDR_BYTES)
			put_be16(ip + 2, pkt->len);
		else
			put_be16(ip + 4, pkt->len - ip_len);
		put_be16(udp + 4, pkt->len - ip_len);
	}
	if ((fix & (ROCE_FIX_ICRC | ROCE_FIX_BAD_ICRC)) &&
	    roce_pkt_ib_len(pkt) >= ROCE_ICRC_BYTES) {
		uint32_t icrc = roce_icrc(ip, pkt->len, ip_len);

		if (fix & ROCE_FIX_BAD_ICRC)
			icrc ^= 0x00010000;
		put_le32(ip + pkt->len - ROCE_ICRC_BYTES, icrc);
	}
	if (fix & ROCE_FIX_CHECKSUMS) {
		if (ip_len == ROCE_IPV4_HDR_BYTES) {
			put_be16(ip + 10, ipv4_hdr_csum(ip));
			put_be16(udp + 6, 0);
		} else if (pkt->udp6_zero_csum) {
			put_be16(udp + 6, 0);
		} else {
			/* Over what the UDP length says, as the receiver
			 * checks it (a longer one is dropped anyway). */
			size_t udp_len = get_be16(udp + 4);

			if (udp_len > pkt->len - ip_len)
				udp_len = pkt->len - ip_len;
			if (udp_len < ROCE_UDP_HDR_BYTES)
				udp_len = ROCE_UDP_HDR_BYTES;
			put_be16(udp + 6, udp6_csum(ip, udp, udp_len));
		}
	}
	return 0;
}

int roce_pkt_build(struct roce_pkt *pkt, const struct roce_ip *ip,
		   const struct roce_hdrs *h, unsigned int flags)
{
	size_t ip_len, hdr_len = roce_exts_hdr_bytes(h->exts);
	uint8_t pad = -h->payload_len & 3;
	struct roce_hdrs hdrs = *h;
	uint8_t *p;
	size_t len;

	if (ip->family == AF_INET)
		ip_len = ROCE_IPV4_HDR_BYTES;
	else if (ip->family == AF_INET6)
		ip_len = ROCE_IPV6_HDR_BYTES;
	else
		return -EAFNOSUPPORT;
	if (h->payload_len > 65535)
		return -EMSGSIZE;
	len = ip_len + ROCE_UDP_HDR_BYTES + hdr_len + h->payload_len + pad +
	      ROCE_ICRC_BYTES;
	/* IPv4's total length and IPv6's payload length are 16 bits. */
	if (len - (ip->family == AF_INET6 ? ip_len : 0) > 65535)
		return -EMSGSIZE;

	pkt->family = ip->family;
	pkt->ip_hdr_len = ip_len;
	pkt->len = len;
	pkt->udp6_zero_csum = ip->udp6_zero_csum;
	p = pkt->data;
	memset(p, 0, ip_len + ROCE_UDP_HDR_BYTES);
	if (ip->family == AF_INET) {
		p[0] = 0x45;				/* version 4, IHL 5 */
		p[1] = ip->tclass;
		put_be16(p + 4, ip->ipv4_id);
		put_be16(p + 6, 0x4000);		/* DF */
		p[8] = ip->ttl ? ip->ttl : 64;
		p[9] = IPPROTO_UDP;
		memcpy(p + 12, &ip->src.v4, 4);
		memcpy(p + 16, &ip->dst.v4, 4);
	} else {
		put_be32(p, 6u << 28 | (uint32_t)ip->tclass << 20 |
			    (ip->flow_label & 0xfffff));
		p[6] = IPPROTO_UDP;
		p[7] = ip->ttl ? ip->ttl : 64;
		memcpy(p + 8, &ip->src.v6, 16);
		memcpy(p + 24, &ip->dst.v6, 16);
	}
	p += ip_len;
	put_be16(p, ip->sport);
	put_be16(p + 2, ip->dport ? ip->dport : ROCE_UDP_PORT);
	p += ROCE_UDP_HDR_BYTES;

	if (!(flags & ROCE_BUILD_KEEP_PAD))
		hdrs.bth.pad = pad;
	p += roce_hdrs_encode(&hdrs, p);
	if (h->payload_len)
		memcpy(p, h->payload, h->payload_len);
	p += h->payload_len;
	memset(p, 0, pad);				/* IBTA: pad bytes are 0 */

	return roce_pkt_fixup(pkt, ROCE_FIX_ALL |
			      (flags & ROCE_BUILD_BAD_ICRC ?
			       ROCE_FIX_BAD_ICRC : 0));
}

/* ------------------------------------------------------------------------
 * Parsing.
 */
static int parse_error(struct roce_parsed *out, const char *why)
{
	out->error = why;
	return -EBADMSG;
}

/* The RoCE part, into @out without clearing what the IP layer put there. */
static int parse_ib(const uint8_t *ib, size_t len, struct roce_parsed *out)
{
	struct roce_hdrs *h = &out->hdrs;
	size_t hdr_len, tail;

	if (len < ROCE_BTH_BYTES + ROCE_ICRC_BYTES)
		return parse_error(out, "shorter than BTH + ICRC");
	roce_bth_decode(&h->bth, ib);
	out->icrc = roce_icrc_carried(ib, len);
	out->info = roce_opcode_info(h->bth.opcode);
	if (!out->info)
		return parse_error(out, "unknown opcode");
	h->exts = out->info->exts;
	hdr_len = out->info->hdr_bytes;
	tail = h->bth.pad + ROCE_ICRC_BYTES;
	if (len < hdr_len + tail) {
		/* The headers that are there, the rest left zero. */
		if (len >= hdr_len)
			decode_exts(h, ib + ROCE_BTH_BYTES);
		return parse_error(out, "shorter than its headers, pad and ICRC");
	}
	decode_exts(h, ib + ROCE_BTH_BYTES);
	h->payload = ib + hdr_len;
	h->payload_len = len - hdr_len - tail;
	if (!(out->info->flags & ROCE_OPF_PAYLOAD) &&
	    (h->payload_len || h->bth.pad))
		return parse_error(out, "payload or pad in an opcode without payload");
	return 0;
}

int roce_ib_parse(const uint8_t *ib, size_t len, struct roce_parsed *out)
{
	memset(out, 0, sizeof(*out));
	return parse_ib(ib, len, out);
}

int roce_pkt_parse(const uint8_t *data, size_t len, struct roce_parsed *out)
{
	size_t ip_len, udp_len;
	const uint8_t *udp;

	memset(out, 0, sizeof(*out));
	if (len < 1)
		return parse_error(out, "empty");
	switch (data[0] >> 4) {
	case 4:
		out->family = AF_INET;
		ip_len = ROCE_IPV4_HDR_BYTES;
		if (len < ip_len)
			return parse_error(out, "truncated IPv4 header");
		if ((data[0] & 0x0f) != 5)
			return parse_error(out, "IPv4 options");
		if (get_be16(data + 2) > len || get_be16(data + 2) < ip_len)
			return parse_error(out, "bad IPv4 total length");
		len = get_be16(data + 2);
		if (data[9] != IPPROTO_UDP)
			return parse_error(out, "not UDP");
		out->ipv4_id = get_be16(data + 4);
		memcpy(&out->src.v4, data + 12, 4);
		memcpy(&out->dst.v4, data + 16, 4);
		break;
	case 6:
		out->family = AF_INET6;
		ip_len = ROCE_IPV6_HDR_BYTES;
		if (len < ip_len)
			return parse_error(out, "truncated IPv6 header");
		if (ip_len + get_be16(data + 4) > len)
			return parse_error(out, "bad IPv6 payload length");
		len = ip_len + get_be16(data + 4);
		if (data[6] != IPPROTO_UDP)
			return parse_error(out, "not UDP (or IPv6 extension headers)");
		memcpy(&out->src.v6, data + 8, 16);
		memcpy(&out->dst.v6, data + 24, 16);
		break;
	default:
		return parse_error(out, "not IPv4 or IPv6");
	}
	if (len < ip_len + ROCE_UDP_HDR_BYTES)
		return parse_error(out, "truncated UDP header");
	udp = data + ip_len;
	out->sport = get_be16(udp);
	out->dport = get_be16(udp + 2);
	udp_len = get_be16(udp + 4);
	if (udp_len < ROCE_UDP_HDR_BYTES || udp_len > len - ip_len)
		return parse_error(out, "bad UDP length");
	/* As the UDP layer does: bytes past the UDP length are not ours. */
	len = ip_len + udp_len;
	if (udp_len - ROCE_UDP_HDR_BYTES >= ROCE_ICRC_BYTES)
		out->icrc_ok = roce_icrc(data, len, ip_len) ==
			       roce_icrc_carried(data, len);
	return parse_ib(udp + ROCE_UDP_HDR_BYTES, udp_len - ROCE_UDP_HDR_BYTES,
			out);
}

const char *roce_describe(const struct roce_parsed *p, char *buf, size_t size)
{
	const struct roce_hdrs *h = &p->hdrs;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], syn[48];
	size_t n = 0;

#define ADD(...)							\
	do {								\
		if (n < size)						\
			n += snprintf(buf + n, size - n, __VA_ARGS__);	\
	} while (0)

	if (size)
		buf[0] = 0;
	if (p->family)
		ADD("%s -> %s: ", roce_addr_str(p->family, &p->src, src,
						sizeof(src)),
		    roce_addr_str(p->family, &p->dst, dst, sizeof(dst)));
	ADD("%s qpn 0x%06x psn 0x%06x%s", roce_opcode_name(h->bth.opcode),
	    h->bth.dest_qpn, h->bth.psn, h->bth.ack_req ? " ackreq" : "");
	if (h->exts & ROCE_HAS_AETH)
		ADD(" %s msn %u", roce_syndrome_str(h->aeth.syndrome, syn,
						     sizeof(syn)),
		    h->aeth.msn);
	if (h->exts & ROCE_HAS_ATOMIC_ACK_ETH)
		ADD(" orig 0x%llx",
		    (unsigned long long)h->atomic_ack_eth.orig);
	if (h->exts & ROCE_HAS_RETH)
		ADD(" va 0x%llx rkey 0x%x len %u",
		    (unsigned long long)h->reth.va, h->reth.rkey,
		    h->reth.dma_len);
	if (h->exts & ROCE_HAS_DETH)
		ADD(" qkey 0x%x src_qpn 0x%x", h->deth.qkey, h->deth.src_qpn);
	if (!p->error && p->info && (p->info->flags & ROCE_OPF_PAYLOAD))
		ADD(" payload %zu", h->payload_len);
	if (p->family && !p->icrc_ok)
		ADD(" BAD ICRC");
	if (p->error)
		ADD(" (%s)", p->error);
#undef ADD
	return buf;
}

static bool aeth_for(const struct roce_parsed *p, uint32_t psn)
{
	return !p->error && (p->hdrs.exts & ROCE_HAS_AETH) &&
	       p->hdrs.bth.psn == (psn & ROCE_PSN_MASK);
}

bool roce_is_ack(const struct roce_parsed *p, uint32_t psn)
{
	return aeth_for(p, psn) &&
	       roce_aeth_type(p->hdrs.aeth.syndrome) == ROCE_AETH_ACK;
}

bool roce_is_rnr_nak(const struct roce_parsed *p, uint32_t psn)
{
	return aeth_for(p, psn) &&
	       roce_aeth_type(p->hdrs.aeth.syndrome) == ROCE_AETH_RNR_NAK;
}

bool roce_is_nak(const struct roce_parsed *p, uint32_t psn,
		 enum roce_nak_code code)
{
	return aeth_for(p, psn) && p->hdrs.aeth.syndrome == ROCE_SYN_NAK(code);
}
