/*
 * pkt.c - building and parsing the Ethernet, ARP, IPv4, ICMP echo and UDP
 * frames of the net workload (see pkt.h).
 */
#include "pkt.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void copy(uint8_t *d, const void *s, size_t n)
{
	const uint8_t *p = s;
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = p[i];
}

static int same(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

uint16_t pkt_csum(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet header; returns the offset of the payload. */
static size_t eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	copy(f, dst, 6);
	copy(f + 6, src, 6);
	pkt_put16(f + 12, type);
	return PKT_ETH_HLEN;
}

/* Zero the frame up to the Ethernet minimum; returns the length sent. */
static size_t pad(uint8_t *f, size_t len)
{
	for (; len < PKT_ETH_MIN; len++)
		f[len] = 0;
	return len;
}

size_t pkt_arp(uint8_t *f, const struct pkt_addr *a, uint16_t op, const uint8_t tha[6],
	       uint32_t tip)
{
	static const uint8_t zero[6];
	uint8_t *p = f + eth(f, op == 1 ? bcast : tha, a->mac, PKT_ETH_ARP);

	pkt_put16(p, 1);              /* Ethernet */
	pkt_put16(p + 2, PKT_ETH_IP);
	p[4] = 6;
	p[5] = 4;
	pkt_put16(p + 6, op);
	copy(p + 8, a->mac, 6);
	pkt_put32(p + 14, a->ip);
	copy(p + 18, op == 1 ? zero : tha, 6);
	pkt_put32(p + 24, tip);
	return pad(f, PKT_ETH_HLEN + 28);
}

/* IPv4 header to the peer with payload bytes after it (checksum filled). */
static uint8_t *ip4(uint8_t *f, const struct pkt_addr *a, uint8_t proto, uint16_t id,
		    size_t payload)
{
	uint8_t *ip = f + eth(f, a->peer_mac, a->mac, PKT_ETH_IP);

	ip[0] = 0x45;
	ip[1] = 0;
	pkt_put16(ip + 2, (uint16_t)(PKT_IP_HLEN + payload));
	pkt_put16(ip + 4, id);
	pkt_put16(ip + 6, 0x4000);   /* don't fragment */
	ip[8] = 64;
	ip[9] = proto;
	pkt_put16(ip + 10, 0);
	pkt_put32(ip + 12, a->ip);
	pkt_put32(ip + 16, a->peer_ip);
	pkt_put16(ip + 10, pkt_csum(ip, PKT_IP_HLEN, 0));
	return ip + PKT_IP_HLEN;
}

size_t pkt_echo(uint8_t *f, const struct pkt_addr *a, uint16_t id, uint16_t seq,
		const void *data, size_t len)
{
	size_t room = PKT_MAX - PKT_ETH_HLEN - PKT_IP_HLEN - PKT_ICMP_HLEN;
	uint8_t *icmp;

	if (len > room)
		len = room;
	icmp = ip4(f, a, 1, seq, PKT_ICMP_HLEN + len);
	icmp[0] = 8;
	icmp[1] = 0;
	pkt_put16(icmp + 2, 0);
	pkt_put16(icmp + 4, id);
	pkt_put16(icmp + 6, seq);
	copy(icmp + PKT_ICMP_HLEN, data, len);
	pkt_put16(icmp + 2, pkt_csum(icmp, PKT_ICMP_HLEN + len, 0));
	return pad(f, PKT_ETH_HLEN + PKT_IP_HLEN + PKT_ICMP_HLEN + len);
}

size_t pkt_udp(uint8_t *f, const struct pkt_addr *a, uint16_t ip_id, uint16_t sport,
	       uint16_t dport, const void *data, size_t len)
{
	size_t room = PKT_MAX - PKT_ETH_HLEN - PKT_IP_HLEN - PKT_UDP_HLEN;
	uint8_t *udp, pseudo[12];
	uint16_t ck;

	if (len > room)
		len = room;
	udp = ip4(f, a, 17, ip_id, PKT_UDP_HLEN + len);
	pkt_put16(udp, sport);
	pkt_put16(udp + 2, dport);
	pkt_put16(udp + 4, (uint16_t)(PKT_UDP_HLEN + len));
	pkt_put16(udp + 6, 0);
	copy(udp + PKT_UDP_HLEN, data, len);
	pkt_put32(pseudo, a->ip);
	pkt_put32(pseudo + 4, a->peer_ip);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pkt_put16(pseudo + 10, (uint16_t)(PKT_UDP_HLEN + len));
	/* Sum the pseudo header, then continue over the datagram. */
	ck = pkt_csum(udp, PKT_UDP_HLEN + len, (uint16_t)~pkt_csum(pseudo, sizeof(pseudo), 0));
	pkt_put16(udp + 6, ck ? ck : 0xffff);
	return pad(f, PKT_ETH_HLEN + PKT_IP_HLEN + PKT_UDP_HLEN + len);
}

static enum pkt_kind parse_arp(const uint8_t *p, size_t len, const struct pkt_addr *a,
			       struct pkt_info *out)
{
	uint16_t op;

	if (len < 28 || pkt_get16(p) != 1 || pkt_get16(p + 2) != PKT_ETH_IP || p[4] != 6 ||
	    p[5] != 4 || pkt_get32(p + 24) != a->ip)
		return PKT_OTHER;
	op = pkt_get16(p + 6);
	copy(out->mac, p + 8, 6);
	out->ip = pkt_get32(p + 14);
	if (op == 2 && out->ip == a->peer_ip)
		return out->kind = PKT_ARP_REPLY;
	if (op == 1)
		return out->kind = PKT_ARP_REQUEST;
	return PKT_OTHER;
}

static enum pkt_kind parse_ip(const uint8_t *ip, size_t len, const struct pkt_addr *a,
			      struct pkt_info *out)
{
	size_t ihl, total;
	const uint8_t *icmp;

	if (len < PKT_IP_HLEN || ip[0] >> 4 != 4)
		return PKT_OTHER;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	total = pkt_get16(ip + 2);
	if (ihl < PKT_IP_HLEN || total < ihl || total > len || pkt_csum(ip, ihl, 0) != 0)
		return PKT_OTHER;
	if ((pkt_get16(ip + 6) & 0x3fff) != 0)   /* a fragment */
		return PKT_OTHER;
	if (ip[9] != 1 || pkt_get32(ip + 12) != a->peer_ip || pkt_get32(ip + 16) != a->ip)
		return PKT_OTHER;
	icmp = ip + ihl;
	len = total - ihl;
	if (len < PKT_ICMP_HLEN || icmp[0] != 0 || icmp[1] != 0 || pkt_csum(icmp, len, 0) != 0)
		return PKT_OTHER;
	out->id = pkt_get16(icmp + 4);
	out->seq = pkt_get16(icmp + 6);
	out->data = icmp + PKT_ICMP_HLEN;
	out->len = len - PKT_ICMP_HLEN;
	return out->kind = PKT_ECHO_REPLY;
}

enum pkt_kind pkt_parse(const uint8_t *f, size_t len, const struct pkt_addr *a,
			struct pkt_info *out)
{
	uint16_t type;

	out->kind = PKT_OTHER;
	if (len < PKT_ETH_HLEN)
		return PKT_OTHER;
	if (!same(f, a->mac, 6) && !same(f, bcast, 6))
		return PKT_OTHER;
	type = pkt_get16(f + 12);
	if (type == PKT_ETH_ARP)
		return parse_arp(f + PKT_ETH_HLEN, len - PKT_ETH_HLEN, a, out);
	if (type == PKT_ETH_IP && same(f, a->mac, 6))
		return parse_ip(f + PKT_ETH_HLEN, len - PKT_ETH_HLEN, a, out);
	return PKT_OTHER;
}
