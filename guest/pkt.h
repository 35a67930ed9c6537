/*
 * pkt.h - the few frames the net workload speaks: Ethernet II carrying ARP
 * (request/reply), IPv4 with ICMP echo, and IPv4 with UDP. Builders write
 * a whole frame into a buffer of at least PKT_MAX bytes and return its
 * length; pkt_parse() classifies a received frame and rejects anything
 * truncated, malformed or not addressed to us. Addresses are host order;
 * everything on the wire is big-endian. Freestanding: no libc.
 */
#ifndef GUEST_PKT_H
#define GUEST_PKT_H

#include <stddef.h>
#include <stdint.h>

#define PKT_ETH_HLEN  14u
#define PKT_IP_HLEN   20u
#define PKT_ICMP_HLEN 8u
#define PKT_UDP_HLEN  8u
#define PKT_ETH_MIN   60u     /* shortest frame sent (no FCS): padded up to it */
#define PKT_MAX       1514u
#define PKT_ETH_ARP   0x0806u
#define PKT_ETH_IP    0x0800u

/* Who we are and who we talk to. */
struct pkt_addr {
	uint8_t mac[6];
	uint8_t peer_mac[6];    /* once resolved */
	uint32_t ip, peer_ip;
};

enum pkt_kind {
	PKT_OTHER = 0,          /* not for us, or malformed: ignore */
	PKT_ARP_REPLY,          /* the peer told us its MAC: in mac */
	PKT_ARP_REQUEST,        /* someone asks for our MAC: mac, ip are theirs */
	PKT_ECHO_REPLY,         /* an ICMP echo reply from the peer to us */
};

/* What pkt_parse found. */
struct pkt_info {
	enum pkt_kind kind;
	uint8_t mac[6];         /* ARP: sender hardware address */
	uint32_t ip;            /* ARP: sender protocol address */
	uint16_t id, seq;       /* echo reply */
	const uint8_t *data;    /* echo reply payload, inside the frame */
	size_t len;
};

static inline void pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pkt_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t pkt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pkt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * pkt_csum - the Internet checksum (RFC 1071) of n bytes at p, continuing
 * from a partial sum (0 to start). The result is ready to store big-endian;
 * over data that includes a correct checksum it is 0.
 */
uint16_t pkt_csum(const void *p, size_t n, uint32_t sum);

/* pkt_arp - an ARP request (op 1, broadcast) or reply (op 2, to tha/tip). */
size_t pkt_arp(uint8_t *f, const struct pkt_addr *a, uint16_t op, const uint8_t tha[6],
	       uint32_t tip);

/* pkt_echo - an ICMP echo request to the peer with len payload bytes
 * (at most PKT_MAX minus the headers; longer ones are cut). */
size_t pkt_echo(uint8_t *f, const struct pkt_addr *a, uint16_t id, uint16_t seq,
		const void *data, size_t len);

/* pkt_udp - a UDP datagram to the peer (UDP checksum computed). */
size_t pkt_udp(uint8_t *f, const struct pkt_addr *a, uint16_t ip_id, uint16_t sport,
	       uint16_t dport, const void *data, size_t len);

/* pkt_parse - classify the len-byte frame f for a (see enum pkt_kind). */
enum pkt_kind pkt_parse(const uint8_t *f, size_t len, const struct pkt_addr *a,
			struct pkt_info *out);

#endif
