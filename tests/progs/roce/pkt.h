/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * RoCEv2 packets in user space: the InfiniBand transport headers (IBTA
 * Vol. 1 ch. 9, FETH from the 1.5 Memory Placement Extensions) as structs
 * of host-order fields with their encoding in network byte order, the
 * opcode table, a builder of whole IP + UDP + IB packets with the ICRC
 * (IBTA Annex A17), and a parser for what a device sends back.
 *
 *   IP | UDP (dport 4791) | BTH | ext headers | payload | pad | ICRC
 *
 * No libibverbs, no kernel headers beyond the socket API: a test that
 * injects packets and one that reads the answers both use this.
 * No locks: every function works on its arguments only (the opcode and
 * CRC tables are made before main() and constant), so any thread may call
 * any of them.
 */
#ifndef PRXE_ROCE_PKT_H
#define PRXE_ROCE_PKT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROCE_UDP_PORT		4791	/* IANA, RoCEv2 */

#define ROCE_IPV4_HDR_BYTES	20	/* no options: prxe and rdma_rxe want none */
#define ROCE_IPV6_HDR_BYTES	40	/* no extension headers, likewise */
#define ROCE_UDP_HDR_BYTES	8
#define ROCE_ICRC_BYTES		4

/* IPv6's payload length is 16 bits: no packet of either family is larger. */
#define ROCE_PKT_MAX_BYTES	(ROCE_IPV6_HDR_BYTES + 65535)

enum roce_hdr_bytes {
	ROCE_BTH_BYTES		= 12,
	ROCE_RETH_BYTES		= 16,
	ROCE_AETH_BYTES		= 4,
	ROCE_ATOMIC_ETH_BYTES	= 28,
	ROCE_ATOMIC_ACK_ETH_BYTES = 8,
	ROCE_DETH_BYTES		= 8,
	ROCE_IMMDT_BYTES	= 4,
	ROCE_IETH_BYTES		= 4,
	ROCE_FETH_BYTES		= 4,
};

/* ------------------------------------------------------------------------
 * Opcodes: the top 3 bits are the transport, the low 5 the operation.
 */
#define ROCE_OP_TRANSPORT_MASK	0xe0
#define ROCE_OP_RC		0x00
#define ROCE_OP_UC		0x20
#define ROCE_OP_RD		0x40	/* not in the table: nobody does RD */
#define ROCE_OP_UD		0x60
#define ROCE_OP_CNP		0x80	/* congestion notification, not in the table */

enum roce_opcode {
	ROCE_OP_RC_SEND_FIRST			= 0x00,
	ROCE_OP_RC_SEND_MIDDLE			= 0x01,
	ROCE_OP_RC_SEND_LAST			= 0x02,
	ROCE_OP_RC_SEND_LAST_WITH_IMM		= 0x03,
	ROCE_OP_RC_SEND_ONLY			= 0x04,
	ROCE_OP_RC_SEND_ONLY_WITH_IMM		= 0x05,
	ROCE_OP_RC_RDMA_WRITE_FIRST		= 0x06,
	ROCE_OP_RC_RDMA_WRITE_MIDDLE		= 0x07,
	ROCE_OP_RC_RDMA_WRITE_LAST		= 0x08,
	ROCE_OP_RC_RDMA_WRITE_LAST_WITH_IMM	= 0x09,
	ROCE_OP_RC_RDMA_WRITE_ONLY		= 0x0a,
	ROCE_OP_RC_RDMA_WRITE_ONLY_WITH_IMM	= 0x0b,
	ROCE_OP_RC_RDMA_READ_REQUEST		= 0x0c,
	ROCE_OP_RC_RDMA_READ_RESPONSE_FIRST	= 0x0d,
	ROCE_OP_RC_RDMA_READ_RESPONSE_MIDDLE	= 0x0e,
	ROCE_OP_RC_RDMA_READ_RESPONSE_LAST	= 0x0f,
	ROCE_OP_RC_RDMA_READ_RESPONSE_ONLY	= 0x10,
	ROCE_OP_RC_ACKNOWLEDGE			= 0x11,
	ROCE_OP_RC_ATOMIC_ACKNOWLEDGE		= 0x12,
	ROCE_OP_RC_COMPARE_SWAP			= 0x13,
	ROCE_OP_RC_FETCH_ADD			= 0x14,
	ROCE_OP_RC_SEND_LAST_WITH_INVALIDATE	= 0x16,
	ROCE_OP_RC_SEND_ONLY_WITH_INVALIDATE	= 0x17,
	ROCE_OP_RC_FLUSH			= 0x1c,
	ROCE_OP_RC_ATOMIC_WRITE			= 0x1d,

	ROCE_OP_UC_SEND_FIRST			= 0x20,
	ROCE_OP_UC_SEND_MIDDLE			= 0x21,
	ROCE_OP_UC_SEND_LAST			= 0x22,
	ROCE_OP_UC_SEND_LAST_WITH_IMM		= 0x23,
	ROCE_OP_UC_SEND_ONLY			= 0x24,
	ROCE_OP_UC_SEND_ONLY_WITH_IMM		= 0x25,
	ROCE_OP_UC_RDMA_WRITE_FIRST		= 0x26,
	ROCE_OP_UC_RDMA_WRITE_MIDDLE		= 0x27,
	ROCE_OP_UC_RDMA_WRITE_LAST		= 0x28,
	ROCE_OP_UC_RDMA_WRITE_LAST_WITH_IMM	= 0x29,
	ROCE_OP_UC_RDMA_WRITE_ONLY		= 0x2a,
	ROCE_OP_UC_RDMA_WRITE_ONLY_WITH_IMM	= 0x2b,

	ROCE_OP_UD_SEND_ONLY			= 0x64,
	ROCE_OP_UD_SEND_ONLY_WITH_IMM		= 0x65,
};

/*
 * Extension headers, in the order they follow the BTH on the wire (no
 * opcode carries two that would compete: DETH and FETH never meet).
 */
enum roce_ext {
	ROCE_EXT_DETH,
	ROCE_EXT_FETH,
	ROCE_EXT_RETH,
	ROCE_EXT_ATOMIC_ETH,
	ROCE_EXT_AETH,
	ROCE_EXT_ATOMIC_ACK_ETH,
	ROCE_EXT_IMMDT,
	ROCE_EXT_IETH,
	ROCE_NR_EXTS
};

#define ROCE_HAS_DETH		(1u << ROCE_EXT_DETH)
#define ROCE_HAS_FETH		(1u << ROCE_EXT_FETH)
#define ROCE_HAS_RETH		(1u << ROCE_EXT_RETH)
#define ROCE_HAS_ATOMIC_ETH	(1u << ROCE_EXT_ATOMIC_ETH)
#define ROCE_HAS_AETH		(1u << ROCE_EXT_AETH)
#define ROCE_HAS_ATOMIC_ACK_ETH	(1u << ROCE_EXT_ATOMIC_ACK_ETH)
#define ROCE_HAS_IMMDT		(1u << ROCE_EXT_IMMDT)
#define ROCE_HAS_IETH		(1u << ROCE_EXT_IETH)
#define ROCE_ALL_EXTS		((1u << ROCE_NR_EXTS) - 1)

/* What an opcode is: roce_opcode_info()->flags. */
enum roce_opcode_flags {
	ROCE_OPF_PAYLOAD	= 1u << 0,	/* carries data (maybe 0 bytes) */
	ROCE_OPF_REQUEST	= 1u << 1,	/* requester -> responder */
	ROCE_OPF_RESPONSE	= 1u << 2,	/* responder -> requester */
	ROCE_OPF_FIRST		= 1u << 3,
	ROCE_OPF_MIDDLE		= 1u << 4,
	ROCE_OPF_LAST		= 1u << 5,
	ROCE_OPF_ONLY		= ROCE_OPF_FIRST | ROCE_OPF_LAST,
};

/* The operation an opcode belongs to. */
enum roce_operation {
	ROCE_OPER_SEND,
	ROCE_OPER_WRITE,
	ROCE_OPER_READ,		/* request and responses */
	ROCE_OPER_ACK,
	ROCE_OPER_ATOMIC,	/* CMP_SWAP, FETCH_ADD and their ACKNOWLEDGE */
	ROCE_OPER_FLUSH,
	ROCE_OPER_ATOMIC_WRITE,
};

struct roce_opcode_info {
	const char		*name;		/* "RC_SEND_FIRST" */
	uint8_t			opcode;
	enum roce_operation	operation;
	unsigned int		exts;		/* ROCE_HAS_* */
	unsigned int		flags;		/* ROCE_OPF_* */
	unsigned int		hdr_bytes;	/* BTH + extension headers */
};

/* The table's entry for @opcode, or NULL: an opcode neither prxe nor
 * rdma_rxe knows (RD, CNP, reserved). */
const struct roce_opcode_info *roce_opcode_info(uint8_t opcode);
/* "RC_SEND_FIRST", or "opcode 0x1f" for one not in the table. */
const char *roce_opcode_name(uint8_t opcode);
/* The known opcodes, in ascending order; returns how many. */
unsigned int roce_opcodes(const struct roce_opcode_info **list, unsigned int max);

size_t roce_ext_bytes(enum roce_ext ext);
const char *roce_ext_name(enum roce_ext ext);
/* Bytes of the BTH and the extension headers in @exts. */
size_t roce_exts_hdr_bytes(unsigned int exts);
/* Offset of @ext from the start of the BTH, with the headers in @exts. */
size_t roce_ext_offset(unsigned int exts, enum roce_ext ext);

/* ------------------------------------------------------------------------
 * Headers, host order.  Encoding keeps every bit a field has room for
 * (reserved bits included), so a decode after an encode gives the struct
 * back and an encode after a decode gives the bytes back; values too big
 * for their field are cut to it.
 */
struct roce_bth {
	uint8_t		opcode;
	bool		se;		/* solicited event */
	bool		mig;		/* MigReq */
	uint8_t		pad;		/* pad count, 0-3 */
	uint8_t		tver;		/* transport header version, 0-15 (0) */
	uint16_t	pkey;
	bool		fecn;
	bool		becn;
	uint8_t		resv6;		/* byte 4 bits 5:0 */
	uint32_t	dest_qpn;	/* 24 bits */
	bool		ack_req;
	uint8_t		resv7;		/* byte 8 bits 6:0 */
	uint32_t	psn;		/* 24 bits */
};

struct roce_reth {
	uint64_t	va;
	uint32_t	rkey;
	uint32_t	dma_len;	/* the whole message's */
};

/* Syndrome bits 7:5: 000 ACK, 001 RNR NAK, 011 NAK; bits 4:0 the value. */
struct roce_aeth {
	uint8_t		syndrome;
	uint32_t	msn;		/* 24 bits */
};

struct roce_atomic_eth {
	uint64_t	va;
	uint32_t	rkey;
	uint64_t	swap_add;	/* swap data, or the addend */
	uint64_t	compare;
};

struct roce_atomic_ack_eth {
	uint64_t	orig;		/* the remote data before the atomic */
};

struct roce_deth {
	uint32_t	qkey;
	uint8_t		resv;
	uint32_t	src_qpn;	/* 24 bits */
};

/* Immediate data: the 4 wire bytes read as a big-endian number. */
struct roce_immdt {
	uint32_t	imm;
};

struct roce_ieth {
	uint32_t	rkey;		/* to invalidate */
};

/* FLUSH: bits 3:0 placement type, 5:4 selectivity, 31:6 reserved. */
struct roce_feth {
	uint8_t		placement;	/* 1: global visibility, 2: persistence */
	uint8_t		selectivity;	/* 0: the RETH's range, 1: the whole MR */
	uint32_t	resv;		/* 26 bits */
};

#define ROCE_FETH_PLT_GLOBAL_VISIBILITY	0x1
#define ROCE_FETH_PLT_PERSISTENCE	0x2
#define ROCE_FETH_SEL_MR_RANGE		0
#define ROCE_FETH_SEL_WHOLE_MR		1

void roce_bth_encode(const struct roce_bth *bth, uint8_t *out);
void roce_bth_decode(struct roce_bth *bth, const uint8_t *in);
void roce_reth_encode(const struct roce_reth *reth, uint8_t *out);
void roce_reth_decode(struct roce_reth *reth, const uint8_t *in);
void roce_aeth_encode(const struct roce_aeth *aeth, uint8_t *out);
void roce_aeth_decode(struct roce_aeth *aeth, const uint8_t *in);
void roce_atomic_eth_encode(const struct roce_atomic_eth *a, uint8_t *out);
void roce_atomic_eth_decode(struct roce_atomic_eth *a, const uint8_t *in);
void roce_atomic_ack_eth_encode(const struct roce_atomic_ack_eth *a,
				uint8_t *out);
void roce_atomic_ack_eth_decode(struct roce_atomic_ack_eth *a,
				const uint8_t *in);
void roce_deth_encode(const struct roce_deth *deth, uint8_t *out);
void roce_deth_decode(struct roce_deth *deth, const uint8_t *in);
void roce_immdt_encode(const struct roce_immdt *immdt, uint8_t *out);
void roce_immdt_decode(struct roce_immdt *immdt, const uint8_t *in);
void roce_ieth_encode(const struct roce_ieth *ieth, uint8_t *out);
void roce_ieth_decode(struct roce_ieth *ieth, const uint8_t *in);
void roce_feth_encode(const struct roce_feth *feth, uint8_t *out);
void roce_feth_decode(struct roce_feth *feth, const uint8_t *in);

/* ------------------------------------------------------------------------
 * AETH syndromes.
 */
enum roce_aeth_type {
	ROCE_AETH_ACK		= 0,	/* 000 */
	ROCE_AETH_RNR_NAK	= 1,	/* 001 */
	ROCE_AETH_RESERVED	= 2,	/* 010, and 1xx (bit 7 is reserved) */
	ROCE_AETH_NAK		= 3,	/* 011 */
};

enum roce_nak_code {
	ROCE_NAK_PSN_SEQ_ERR	= 0,
	ROCE_NAK_INVALID_REQ	= 1,
	ROCE_NAK_REM_ACCESS_ERR	= 2,
	ROCE_NAK_REM_OP_ERR	= 3,
	ROCE_NAK_INVALID_RD_REQ	= 4,	/* RD only */
};

#define ROCE_AETH_CREDITS_INVALID	0x1f	/* an ACK advertising none */
#define ROCE_SYN_ACK(credits)		((uint8_t)((credits) & 0x1f))
#define ROCE_SYN_RNR_NAK(timer)		((uint8_t)(0x20 | ((timer) & 0x1f)))
#define ROCE_SYN_NAK(code)		((uint8_t)(0x60 | ((code) & 0x1f)))

enum roce_aeth_type roce_aeth_type(uint8_t syndrome);
/* Credit count (ACK), timer code (RNR NAK) or NAK code (NAK). */
static inline uint8_t roce_aeth_value(uint8_t syndrome)
{
	return syndrome & 0x1f;
}
/* The minimum RNR NAK timer an RNR NAK's timer code stands for (IBTA
 * table 45), in microseconds. */
uint32_t roce_rnr_timer_usec(uint8_t timer_code);
/* "ACK credits 31", "RNR NAK 1.28 ms", "NAK invalid request", ... */
const char *roce_syndrome_str(uint8_t syndrome, char *buf, size_t size);
const char *roce_nak_code_name(uint8_t code);

/* ------------------------------------------------------------------------
 * 24-bit PSNs.
 */
#define ROCE_PSN_MASK		0x00ffffffu

static inline uint32_t roce_psn_add(uint32_t psn, int32_t n)
{
	return (psn + (uint32_t)n) & ROCE_PSN_MASK;
}

/* Signed distance from @b to @a in 24-bit serial arithmetic. */
static inline int32_t roce_psn_diff(uint32_t a, uint32_t b)
{
	return (int32_t)((a - b) << 8) >> 8;
}

/* ------------------------------------------------------------------------
 * A packet described: the transport headers and the payload.
 */
struct roce_hdrs {
	struct roce_bth			bth;
	unsigned int			exts;	/* which extension headers to write */
	struct roce_deth		deth;
	struct roce_feth		feth;
	struct roce_reth		reth;
	struct roce_atomic_eth		atomic_eth;
	struct roce_aeth		aeth;
	struct roce_atomic_ack_eth	atomic_ack_eth;
	struct roce_immdt		immdt;
	struct roce_ieth		ieth;
	const uint8_t			*payload;
	size_t				payload_len;
};

/*
 * Zero everything, then the BTH for @opcode with the default P_Key 0xffff
 * and the extension headers the opcode table gives it.  An opcode not in
 * the table gets none.
 */
void roce_hdrs_init(struct roce_hdrs *h, uint8_t opcode);
/* Write the BTH and the extension headers of h->exts to @out; returns the
 * bytes written (roce_exts_hdr_bytes(h->exts)). */
size_t roce_hdrs_encode(const struct roce_hdrs *h, uint8_t *out);

/* ------------------------------------------------------------------------
 * IP and UDP.
 */
union roce_in_addr {
	struct in_addr	v4;
	struct in6_addr	v6;
};

struct roce_ip {
	int			family;		/* AF_INET or AF_INET6 */
	union roce_in_addr	src;
	union roce_in_addr	dst;
	uint16_t		sport;		/* UDP source port */
	uint16_t		dport;		/* 0: 4791 */
	/*
	 * IPv4 Identification.  Covered by the ICRC, and a raw socket keeps
	 * it only when it is not 0 (0: the kernel picks one after the ICRC
	 * was computed), so roce_ip_init() sets 1.
	 */
	uint16_t		ipv4_id;
	uint8_t			ttl;		/* TTL / hop limit; 0: 64 */
	uint8_t			tclass;		/* TOS / traffic class */
	uint32_t		flow_label;	/* IPv6, 20 bits */
	/* IPv6: send UDP checksum 0 (which prxe accepts, as rdma_rxe does)
	 * rather than the real one. */
	bool			udp6_zero_csum;
};

/* Parse a numeric IPv4 or IPv6 address; 0 or -EINVAL. */
int roce_addr_parse(const char *text, int *family, union roce_in_addr *addr);
/* "10.0.0.1" / "fd00::1" into @buf. */
const char *roce_addr_str(int family, const union roce_in_addr *addr,
			  char *buf, size_t size);
/*
 * Addresses from text (both of one family), UDP source port 0xc000,
 * IPv4 Identification 1, TTL 64, traffic class and flow label 0, a real
 * IPv6 UDP checksum.  0, or -EINVAL (unparsable, families differ).
 */
int roce_ip_init(struct roce_ip *ip, const char *src, const char *dst);

/* ------------------------------------------------------------------------
 * Whole packets: IP header .. ICRC.
 */
struct roce_pkt {
	int		family;
	size_t		ip_hdr_len;	/* 20 or 40 */
	size_t		len;		/* bytes of data[] in use */
	bool		udp6_zero_csum;
	uint8_t		data[ROCE_PKT_MAX_BYTES];
};

static inline uint8_t *roce_pkt_udp(struct roce_pkt *pkt)
{
	return pkt->data + pkt->ip_hdr_len;
}

/* The BTH: where the RoCE part (BTH .. ICRC) begins. */
static inline uint8_t *roce_pkt_ib(struct roce_pkt *pkt)
{
	return pkt->data + pkt->ip_hdr_len + ROCE_UDP_HDR_BYTES;
}

/* Bytes from the BTH to the end, ICRC included. */
static inline size_t roce_pkt_ib_len(const struct roce_pkt *pkt)
{
	size_t hdrs = pkt->ip_hdr_len + ROCE_UDP_HDR_BYTES;

	return pkt->len > hdrs ? pkt->len - hdrs : 0;
}

enum roce_build_flags {
	ROCE_BUILD_BAD_ICRC	= 1u << 0,	/* write a wrong ICRC */
	/* Write h->bth.pad as given rather than the count the payload
	 * needs; the pad bytes written are still the ones it needs. */
	ROCE_BUILD_KEEP_PAD	= 1u << 1,
};

/*
 * Build @pkt: the IP header (IPv4: DF, ip->ipv4_id, header checksum;
 * IPv6: @ip's traffic class, flow label), UDP (IPv4: checksum 0, as
 * rdma_rxe and prxe send it; IPv6: the real checksum unless
 * ip->udp6_zero_csum), the BTH with the pad count the payload needs, the
 * extension headers of h->exts, the payload, zero pad bytes to a 4-byte
 * multiple and the ICRC.  0, or -EAFNOSUPPORT, -EMSGSIZE (over 64 KiB).
 */
int roce_pkt_build(struct roce_pkt *pkt, const struct roce_ip *ip,
		   const struct roce_hdrs *h, unsigned int flags);

/* What roce_pkt_fixup() recomputes after a caller changed bytes. */
enum roce_fix {
	/* IPv4 total length / IPv6 payload length and UDP length from
	 * pkt->len. */
	ROCE_FIX_LENGTHS	= 1u << 0,
	/* The ICRC over everything before the last 4 bytes, into them. */
	ROCE_FIX_ICRC		= 1u << 1,
	/* As ROCE_FIX_ICRC, then one bit of it flipped. */
	ROCE_FIX_BAD_ICRC	= 1u << 2,
	/* IPv4 header checksum; IPv6 UDP checksum (over the bytes the UDP
	 * length says), or 0 with pkt->udp6_zero_csum. */
	ROCE_FIX_CHECKSUMS	= 1u << 3,
	ROCE_FIX_ALL		= ROCE_FIX_LENGTHS | ROCE_FIX_ICRC |
				  ROCE_FIX_CHECKSUMS,
};

/*
 * Recompute what @fix names, in the order the fields cover each other
 * (lengths, ICRC, checksums), so that a fuzzer can change header fields and
 * still get past the ICRC check, or not.  A RoCE part shorter than 4
 * bytes gets no ICRC.  0, or -EINVAL (shorter than IP + UDP headers).
 */
int roce_pkt_fixup(struct roce_pkt *pkt, unsigned int fix);

/*
 * The ICRC of the packet @data[0 .. @len) whose IP header is @ip_hdr_len
 * bytes (20: IPv4, 40: IPv6): CRC-32 over 8 bytes of ones standing for the
 * LRH, the IP, UDP and BTH headers with their variant fields set to ones
 * (IPv4 TOS, TTL, header checksum; IPv6 traffic class, flow label, hop
 * limit; UDP checksum; BTH byte 4) and the rest up to the last 4 bytes,
 * which are the ICRC's place; inverted.  On the wire least significant
 * byte first.  @len must be at least @ip_hdr_len + 8 + 4.
 */
uint32_t roce_icrc(const uint8_t *data, size_t len, size_t ip_hdr_len);
/* The ICRC @data carries in its last 4 bytes. */
uint32_t roce_icrc_carried(const uint8_t *data, size_t len);

/* Plain CRC-32 (IEEE 802.3, reflected, no final inversion: callers start
 * from 0xffffffff and invert), exposed for tests. */
uint32_t roce_crc32(uint32_t crc, const void *buf, size_t len);

/* ------------------------------------------------------------------------
 * Parsing.
 */
struct roce_parsed {
	/* From the IP and UDP headers (roce_pkt_parse() only). */
	int				family;
	union roce_in_addr		src;
	union roce_in_addr		dst;
	uint16_t			sport;
	uint16_t			dport;
	uint16_t			ipv4_id;

	/* The transport headers; hdrs.payload points into the parsed bytes. */
	struct roce_hdrs		hdrs;
	const struct roce_opcode_info	*info;	/* NULL: not in the table */
	uint32_t			icrc;	/* as carried */
	bool				icrc_ok; /* roce_pkt_parse() checked it */
	/* NULL, or why the packet is not a well-formed one. */
	const char			*error;
};

/*
 * Parse a whole packet from its IP header: addresses, ports, the ICRC
 * check, then as roce_ib_parse().  0, or -EBADMSG with out->error set
 * (whatever could be read before that is filled in).
 */
int roce_pkt_parse(const uint8_t *data, size_t len, struct roce_parsed *out);
/*
 * Parse the RoCE part (BTH .. ICRC) alone: opcode known, long enough for
 * its headers and pad count, no payload or pad for an opcode without one
 * (the checks prxe and rdma_rxe make).  The ICRC is read, not checked.
 */
int roce_ib_parse(const uint8_t *ib, size_t len, struct roce_parsed *out);

/* One line: "RC_ACKNOWLEDGE qpn 0x000011 psn 0x000005 NAK invalid request
 * msn 3", with the addresses when known. */
const char *roce_describe(const struct roce_parsed *p, char *buf, size_t size);

/* For regression tests: a well-formed packet with an AETH for @psn whose
 * syndrome is an ACK / an RNR NAK / the NAK @code. */
bool roce_is_ack(const struct roce_parsed *p, uint32_t psn);
bool roce_is_rnr_nak(const struct roce_parsed *p, uint32_t psn);
bool roce_is_nak(const struct roce_parsed *p, uint32_t psn,
		 enum roce_nak_code code);

#endif /* PRXE_ROCE_PKT_H */
