/*
 * test_pkt.c - the net workload's frames (guest/pkt.c): the Internet
 * checksum against published and hand-worked values, every field of the
 * frames it builds, and pkt_parse on replies made the way a host stack
 * makes them, cut short, or meant for someone else.
 *
 * Known values: the IPv4 header 4500 0073 0000 4000 4011 xxxx c0a8 0001
 * c0a8 00c7 has checksum 0xb861 (the example in most texts). The echo
 * request 10.79.0.2 -> 10.79.0.1, id 0x6b76, seq 7, payload bytes 0..55:
 * IPv4 header sum 0x4500+0x0054+0x0007+0x4000+0x4001+0x0a4f+0x0002+0x0a4f
 * +0x0001 = 0xd9fd, checksum ~0xd9fd = 0x2602; ICMP checksum 0x956f
 * (both also worked out with a separate script).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../guest/pkt.c"

static const struct pkt_addr addr = {
	.mac = { 0x52, 0x54, 0x00, 0x6b, 0x76, 0x02 },
	.peer_mac = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 },
	.ip = 0x0a4f0002,
	.peer_ip = 0x0a4f0001,
};

static uint8_t payload56[56];

static void init_payload(void)
{
	for (unsigned int i = 0; i < sizeof(payload56); i++)
		payload56[i] = (uint8_t)i;
}

/* What the host stack sends back for the echo request in f: swapped
 * addresses, type 0, fresh checksums. */
static size_t host_reply(uint8_t *r, const uint8_t *f, size_t len)
{
	uint8_t *ip = r + PKT_ETH_HLEN, *icmp = ip + PKT_IP_HLEN;
	size_t total = pkt_get16(f + PKT_ETH_HLEN + 2);

	memcpy(r, f, len);
	memcpy(r, f + 6, 6);
	memcpy(r + 6, f, 6);
	memcpy(ip + 12, f + PKT_ETH_HLEN + 16, 4);
	memcpy(ip + 16, f + PKT_ETH_HLEN + 12, 4);
	pkt_put16(ip + 10, 0);
	pkt_put16(ip + 10, pkt_csum(ip, PKT_IP_HLEN, 0));
	icmp[0] = 0;
	pkt_put16(icmp + 2, 0);
	pkt_put16(icmp + 2, pkt_csum(icmp, total - PKT_IP_HLEN, 0));
	return PKT_ETH_HLEN + total;
}

Test(pkt, checksum_known_values)
{
	uint8_t hdr[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			    0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint8_t odd[1] = { 0x01 }, rfc[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	cr_assert_eq(pkt_csum(hdr, sizeof(hdr), 0), 0xb861);
	pkt_put16(hdr + 10, 0xb861);
	cr_assert_eq(pkt_csum(hdr, sizeof(hdr), 0), 0, "a header with its checksum sums to 0");
	/* RFC 1071's example: the sum is 0x2ddf0, folded 0xddf2. */
	cr_assert_eq(pkt_csum(rfc, sizeof(rfc), 0), (uint16_t)~0xddf2);
	cr_assert_eq(pkt_csum(odd, 1, 0), 0xfeff, "an odd last byte is the high byte");
	cr_assert_eq(pkt_csum(odd, 0, 0), 0xffff);
	/* Continuing from a partial sum equals one pass. */
	cr_assert_eq(pkt_csum(rfc + 4, 4, (uint16_t)~pkt_csum(rfc, 4, 0)),
		     pkt_csum(rfc, 8, 0));
}

Test(pkt, echo_request_fields, .init = init_payload)
{
	uint8_t f[PKT_MAX];
	size_t n = pkt_echo(f, &addr, 0x6b76, 7, payload56, sizeof(payload56));
	const uint8_t *ip = f + 14, *icmp = f + 34;

	cr_assert_eq(n, 14 + 20 + 8 + 56);
	cr_assert(!memcmp(f, addr.peer_mac, 6) && !memcmp(f + 6, addr.mac, 6));
	cr_assert_eq(pkt_get16(f + 12), 0x0800);
	cr_assert_eq(ip[0], 0x45);
	cr_assert_eq(pkt_get16(ip + 2), 84);
	cr_assert_eq(pkt_get16(ip + 4), 7);
	cr_assert_eq(pkt_get16(ip + 6), 0x4000);
	cr_assert_eq(ip[8], 64);
	cr_assert_eq(ip[9], 1);
	cr_assert_eq(pkt_get16(ip + 10), 0x2602);
	cr_assert_eq(pkt_get32(ip + 12), 0x0a4f0002);
	cr_assert_eq(pkt_get32(ip + 16), 0x0a4f0001);
	cr_assert_eq(icmp[0], 8);
	cr_assert_eq(icmp[1], 0);
	cr_assert_eq(pkt_get16(icmp + 2), 0x956f);
	cr_assert_eq(pkt_get16(icmp + 4), 0x6b76);
	cr_assert_eq(pkt_get16(icmp + 6), 7);
	cr_assert(!memcmp(icmp + 8, payload56, 56));
}

Test(pkt, short_frames_padded)
{
	uint8_t f[PKT_MAX];

	memset(f, 0xaa, sizeof(f));
	cr_assert_eq(pkt_echo(f, &addr, 1, 1, "x", 1), PKT_ETH_MIN);
	for (size_t i = 14 + 20 + 8 + 1; i < PKT_ETH_MIN; i++)
		cr_assert_eq(f[i], 0, "padding byte %zu", i);
	/* The IP length still says 29: padding is not payload. */
	cr_assert_eq(pkt_get16(f + 16), 29);
}

Test(pkt, arp_request_and_reply)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t f[PKT_MAX];
	size_t n = pkt_arp(f, &addr, 1, NULL, addr.peer_ip);

	cr_assert_eq(n, PKT_ETH_MIN);
	cr_assert(!memcmp(f, bc, 6));
	cr_assert_eq(pkt_get16(f + 12), 0x0806);
	cr_assert_eq(pkt_get16(f + 14), 1);
	cr_assert_eq(pkt_get16(f + 16), 0x0800);
	cr_assert_eq(f[18], 6);
	cr_assert_eq(f[19], 4);
	cr_assert_eq(pkt_get16(f + 20), 1);
	cr_assert(!memcmp(f + 22, addr.mac, 6));
	cr_assert_eq(pkt_get32(f + 28), addr.ip);
	cr_assert_eq(pkt_get32(f + 38), addr.peer_ip);

	n = pkt_arp(f, &addr, 2, addr.peer_mac, addr.peer_ip);
	cr_assert(!memcmp(f, addr.peer_mac, 6), "a reply goes to the asker");
	cr_assert_eq(pkt_get16(f + 20), 2);
	cr_assert(!memcmp(f + 32, addr.peer_mac, 6));
}

/* An ARP packet as the peer sends it: op, sender (mac, ip), target ip. */
static size_t peer_arp(uint8_t *f, uint16_t op, const uint8_t *dst, uint32_t sip, uint32_t tip)
{
	struct pkt_addr peer = { .ip = sip, .peer_ip = tip };
	size_t n;

	memcpy(peer.mac, addr.peer_mac, 6);
	n = pkt_arp(f, &peer, op, dst, tip);
	if (op == 1)
		memcpy(f, dst, 6);
	return n;
}

Test(pkt, parse_arp)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct pkt_info pi;
	uint8_t f[PKT_MAX];
	size_t n;

	n = peer_arp(f, 2, addr.mac, addr.peer_ip, addr.ip);
	cr_assert_eq(pkt_parse(f, n, &addr, &pi), PKT_ARP_REPLY);
	cr_assert(!memcmp(pi.mac, addr.peer_mac, 6));
	cr_assert_eq(pi.ip, addr.peer_ip);

	n = peer_arp(f, 1, bc, addr.peer_ip, addr.ip);
	cr_assert_eq(pkt_parse(f, n, &addr, &pi), PKT_ARP_REQUEST);
	cr_assert(!memcmp(pi.mac, addr.peer_mac, 6));

	n = peer_arp(f, 1, bc, addr.peer_ip, 0x0a4f0003);
	cr_assert_eq(pkt_parse(f, n, &addr, &pi), PKT_OTHER, "a request for another address");
	n = peer_arp(f, 2, addr.mac, 0x0a4f0009, addr.ip);
	cr_assert_eq(pkt_parse(f, n, &addr, &pi), PKT_OTHER, "a reply from someone else");
	n = peer_arp(f, 2, addr.mac, addr.peer_ip, addr.ip);
	cr_assert_eq(pkt_parse(f, PKT_ETH_HLEN + 27, &addr, &pi), PKT_OTHER, "truncated");
}

Test(pkt, parse_echo_reply, .init = init_payload)
{
	uint8_t f[PKT_MAX], r[PKT_MAX];
	struct pkt_info pi;
	size_t n = pkt_echo(f, &addr, 0x6b76, 0x1234, payload56, 56), rn;

	rn = host_reply(r, f, n);
	cr_assert_eq(pkt_parse(r, rn, &addr, &pi), PKT_ECHO_REPLY);
	cr_assert_eq(pi.id, 0x6b76);
	cr_assert_eq(pi.seq, 0x1234);
	cr_assert_eq(pi.len, 56);
	cr_assert(!memcmp(pi.data, payload56, 56));
	cr_assert_eq(pkt_parse(f, n, &addr, &pi), PKT_OTHER, "our own request is not a reply");
}

Test(pkt, parse_rejects_truncated, .init = init_payload)
{
	uint8_t f[PKT_MAX], r[PKT_MAX];
	struct pkt_info pi;
	size_t n = pkt_echo(f, &addr, 0x6b76, 9, payload56, 56), rn = host_reply(r, f, n), len;

	for (len = 0; len < rn; len++)
		cr_assert_eq(pkt_parse(r, len, &addr, &pi), PKT_OTHER, "cut to %zu bytes", len);
	/* Longer than the IP length (Ethernet padding): still fine. */
	cr_assert_eq(pkt_parse(r, rn + 4, &addr, &pi), PKT_ECHO_REPLY);
	cr_assert_eq(pi.len, 56);
}

Test(pkt, parse_rejects_foreign, .init = init_payload)
{
	uint8_t f[PKT_MAX], r[PKT_MAX];
	struct pkt_info pi;
	size_t n = pkt_echo(f, &addr, 0x6b76, 3, payload56, 56), rn = host_reply(r, f, n);

	struct {
		const char *what;
		size_t off;
		uint8_t val;
		int fix;      /* recompute the IP (1) or ICMP (2) checksum after it */
	} cases[] = {
		{ "another destination MAC", 0, 0x53, 0 },
		{ "an IPv6 ethertype", 12, 0x86, 0 },
		{ "IP version 6", 14, 0x65, 1 },
		{ "a header length of 4 words", 14, 0x44, 1 },
		{ "a bad IP checksum", 24, 0x00, 0 },
		{ "a fragment (more fragments)", 20, 0x20, 1 },
		{ "UDP, not ICMP", 23, 17, 1 },
		{ "from another address", 29, 0x09, 1 },
		{ "to another address", 33, 0x07, 1 },
		{ "an ICMP error (type 3)", 34, 3, 2 },
		{ "an echo request (type 8)", 34, 8, 2 },
		{ "ICMP code 1", 35, 1, 2 },
		{ "a bad ICMP checksum", 36, 0x00, 0 },
		{ "an IP length past the frame", 16, 0x05, 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t x[PKT_MAX];

		memcpy(x, r, rn);
		if (x[cases[i].off] == cases[i].val)
			x[cases[i].off] ^= 0x01;
		else
			x[cases[i].off] = cases[i].val;
		if (cases[i].fix == 1) {
			pkt_put16(x + 24, 0);
			pkt_put16(x + 24, pkt_csum(x + 14, 20, 0));
		} else if (cases[i].fix == 2) {
			pkt_put16(x + 36, 0);
			pkt_put16(x + 36, pkt_csum(x + 34, rn - 34, 0));
		}
		cr_assert_eq(pkt_parse(x, rn, &addr, &pi), PKT_OTHER, "%s", cases[i].what);
	}
	/* A broadcast IP frame is not ours either. */
	memset(r, 0xff, 6);
	cr_assert_eq(pkt_parse(r, rn, &addr, &pi), PKT_OTHER);
}

Test(pkt, udp_checksum_with_pseudo_header)
{
	uint8_t f[PKT_MAX], pseudo[12];
	size_t n = pkt_udp(f, &addr, 5, 40079, 9, "0123456789abcdefg", 17);
	const uint8_t *ip = f + 14, *udp = f + 34;
	uint16_t part;

	cr_assert_eq(n, PKT_ETH_MIN);
	cr_assert_eq(ip[9], 17);
	cr_assert_eq(pkt_csum(ip, 20, 0), 0);
	cr_assert_eq(pkt_get16(udp), 40079);
	cr_assert_eq(pkt_get16(udp + 2), 9);
	cr_assert_eq(pkt_get16(udp + 4), 8 + 17);
	cr_assert_neq(pkt_get16(udp + 6), 0);
	pkt_put32(pseudo, addr.ip);
	pkt_put32(pseudo + 4, addr.peer_ip);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pkt_put16(pseudo + 10, 8 + 17);
	part = (uint16_t)~pkt_csum(pseudo, 12, 0);
	cr_assert_eq(pkt_csum(udp, 8 + 17, part), 0, "pseudo header + datagram sum to 0");
}

Test(pkt, payload_cut_to_the_mtu)
{
	static uint8_t big[2000];
	uint8_t f[PKT_MAX];

	cr_assert_eq(pkt_echo(f, &addr, 1, 1, big, sizeof(big)), PKT_MAX);
	cr_assert_eq(pkt_get16(f + 16), PKT_MAX - 14);
	cr_assert_eq(pkt_udp(f, &addr, 1, 1, 2, big, sizeof(big)), PKT_MAX);
}
