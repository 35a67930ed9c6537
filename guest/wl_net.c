/*
 * wl_net.c - packets between this port (net.ip, 10.79.0.2) and the Linux
 * stack at the other end of a tap (net.peer, 10.79.0.1), frames built here:
 *   icmp-echo-rtt     net.pings echo requests, one outstanding: median ns
 *   icmp-echo-window  net.pings requests, net.window outstanding: replies/s
 *   udp-send          net.frames UDP datagrams to a port nobody listens
 *                     on, without waiting for anything: frames/s
 * The peer is ARP-resolved first (no reply within 2 s: the run fails), and
 * ARP requests for our address are answered all along. The host echoes each
 * payload back; the checksum hashes every reply's sequence number and
 * payload, summed so that it does not depend on arrival order. Frames that
 * are not ours (IPv6 neighbour discovery, ICMP errors, ...) are ignored.
 */
#include "platform.h"
#include "pkt.h"
#include "wl_util.h"

#define ECHO_ID      0x6b76u     /* "kv" */
#define PAYLOAD      56u         /* as ping's default */
#define WAIT_NS      1000000000ull
#define ECHO_TRIES   3u          /* sends of one request before giving up */
#define ARP_TRIES    10u
#define ARP_WAIT_NS  200000000ull
#define WARMUP_PINGS 10u
#define UDP_SPORT    40079u
#define UDP_DPORT    9u          /* discard: nobody listens on the host */
#define WIN_SLOTS    256u        /* net.window is at most this */

struct net_run {
	struct pkt_addr a;
	uint32_t tag;                     /* which test: part of every payload */
	uint32_t slot_seq[WIN_SLOTS];     /* request sequence + 1 per slot; 0 free */
	uint8_t tx[PKT_MAX], rx[PKT_MAX];
};

/* The payload of request seq in test tag: both numbers, then filler. */
static void payload(uint8_t *p, uint32_t tag, uint32_t seq)
{
	unsigned int i;

	pkt_put32(p, seq);
	pkt_put32(p + 4, tag);
	for (i = 8; i < PAYLOAD; i++)
		p[i] = (uint8_t)(seq * 31u + i * 7u + tag);
}

static int send_echo(struct net_run *r, uint32_t seq)
{
	uint8_t data[PAYLOAD];

	payload(data, r->tag, seq);
	return plat_net_send(r->tx, pkt_echo(r->tx, &r->a, ECHO_ID, (uint16_t)seq, data,
					     PAYLOAD));
}

/* Does the reply in pi carry request seq's payload? */
static int reply_ok(const struct net_run *r, const struct pkt_info *pi, uint32_t seq)
{
	uint8_t want[PAYLOAD];
	unsigned int i;

	if (pi->id != ECHO_ID || pi->seq != (uint16_t)seq || pi->len != PAYLOAD)
		return 0;
	payload(want, r->tag, seq);
	for (i = 0; i < PAYLOAD; i++)
		if (pi->data[i] != want[i])
			return 0;
	return 1;
}

/* The checksum share of one reply. */
static uint64_t reply_hash(const struct pkt_info *pi, uint32_t seq)
{
	uint64_t h = wl_mix(0x6e65742d65636f00ull, seq);
	unsigned int i;

	for (i = 0; i + 4 <= pi->len; i += 4)
		h = wl_mix(h, pkt_get32(pi->data + i));
	return h;
}

/*
 * Wait until deadline (plat_time_ns) for a frame that is ours, answering
 * ARP requests and taking ARP replies on the way. Returns its kind (in pi),
 * PKT_OTHER at the deadline, or a negative PLAT_E* code.
 */
static int next_frame(struct net_run *r, uint64_t deadline, struct pkt_info *pi)
{
	for (;;) {
		uint64_t now = plat_time_ns();
		int n, e;

		if (now >= deadline)
			return PKT_OTHER;
		n = plat_net_recv(r->rx, sizeof(r->rx), deadline - now);
		if (n < 0)
			return n;
		if (n == 0)
			return PKT_OTHER;
		switch (pkt_parse(r->rx, (size_t)n, &r->a, pi)) {
		case PKT_ARP_REQUEST:
			e = plat_net_send(r->tx, pkt_arp(r->tx, &r->a, 2, pi->mac, pi->ip));
			if (e)
				return e;
			break;
		case PKT_ARP_REPLY:
			return PKT_ARP_REPLY;
		case PKT_ECHO_REPLY:
			if (pi->id == ECHO_ID)
				return PKT_ECHO_REPLY;
			break;
		case PKT_OTHER:
			break;
		}
	}
}

static void ip_str(char *buf, size_t size, uint32_t ip)
{
	fmt_snprintf(buf, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
		     ip & 255);
}

static int resolve_peer(struct net_run *r)
{
	struct pkt_info pi;
	char ip[20];
	unsigned int i;
	int k;

	for (i = 0; i < ARP_TRIES; i++) {
		uint64_t deadline = plat_time_ns() + ARP_WAIT_NS;
		int e = plat_net_send(r->tx, pkt_arp(r->tx, &r->a, 1, 0, r->a.peer_ip));

		if (e)
			return e;
		while ((k = next_frame(r, deadline, &pi)) > 0 && k != PKT_ARP_REPLY)
			;
		if (k < 0)
			return k;
		if (k == PKT_ARP_REPLY) {
			for (k = 0; k < 6; k++)
				r->a.peer_mac[k] = pi.mac[k];
			return 0;
		}
	}
	ip_str(ip, sizeof(ip), r->a.peer_ip);
	con_printf("net: no ARP reply from %s in %llu ms: is the host end up, with that address?\n",
		   ip, (unsigned long long)(ARP_TRIES * ARP_WAIT_NS / 1000000));
	return -PLAT_EIO;
}

/* n requests one at a time; rtt[i] (if rtt) gets each round trip. */
static int ping_serial(struct net_run *r, uint64_t n, uint64_t *rtt, uint64_t *ck)
{
	struct pkt_info pi;
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint32_t seq = (uint32_t)i;
		unsigned int tries;
		int k = PKT_OTHER, e;

		for (tries = 0; tries < ECHO_TRIES && k != PKT_ECHO_REPLY; tries++) {
			uint64_t t0 = plat_time_ns(), deadline = t0 + WAIT_NS;

			if ((e = send_echo(r, seq)))
				return e;
			while ((k = next_frame(r, deadline, &pi)) > 0 &&
			       !(k == PKT_ECHO_REPLY && reply_ok(r, &pi, seq)))
				;
			if (k < 0)
				return k;
			if (k == PKT_ECHO_REPLY && rtt)
				rtt[i] = plat_time_ns() - t0;
		}
		if (k != PKT_ECHO_REPLY) {
			con_printf("net: no echo reply to request %u after %u tries\n", seq, tries);
			return -PLAT_EIO;
		}
		*ck += reply_hash(&pi, seq);
	}
	return 0;
}

/* n requests with up to window outstanding; *ns gets the time it took. */
static int ping_window(struct net_run *r, uint64_t n, unsigned int window, uint64_t *ns,
		       uint64_t *ck)
{
	uint64_t sent = 0, got = 0, t0;
	unsigned int inflight = 0, timeouts = 0, i;
	struct pkt_info pi;
	int e, k;

	for (i = 0; i < WIN_SLOTS; i++)
		r->slot_seq[i] = 0;
	t0 = plat_time_ns();
	while (got < n) {
		for (; inflight < window && sent < n; sent++, inflight++) {
			r->slot_seq[sent % WIN_SLOTS] = (uint32_t)sent + 1;
			if ((e = send_echo(r, (uint32_t)sent)))
				return e;
		}
		k = next_frame(r, plat_time_ns() + WAIT_NS, &pi);
		if (k < 0)
			return k;
		if (k == PKT_OTHER) {
			/* Nothing for a second: send what is outstanding again. */
			if (++timeouts >= ECHO_TRIES) {
				con_printf("net: no echo replies for %u s with %u outstanding\n",
					   timeouts, inflight);
				return -PLAT_EIO;
			}
			for (i = 0; i < WIN_SLOTS; i++)
				if (r->slot_seq[i] && (e = send_echo(r, r->slot_seq[i] - 1)))
					return e;
			continue;
		}
		if (k != PKT_ECHO_REPLY)
			continue;
		i = pi.seq % WIN_SLOTS;
		if (!r->slot_seq[i] || !reply_ok(r, &pi, r->slot_seq[i] - 1))
			continue;   /* a duplicate, or late from another test */
		*ck += reply_hash(&pi, r->slot_seq[i] - 1);
		r->slot_seq[i] = 0;
		inflight--;
		got++;
		timeouts = 0;
	}
	*ns = plat_time_ns() - t0;
	return 0;
}

static int udp_send(struct net_run *r, uint64_t n, uint64_t *ns)
{
	uint8_t data[18];   /* a 60-byte frame, the Ethernet minimum */
	uint64_t i, t0 = plat_time_ns();
	unsigned int j;
	int e;

	for (i = 0; i < n; i++) {
		for (j = 0; j < sizeof(data); j++)
			data[j] = (uint8_t)(i + j);
		e = plat_net_send(r->tx, pkt_udp(r->tx, &r->a, (uint16_t)i, UDP_SPORT, UDP_DPORT,
						 data, sizeof(data)));
		if (e)
			return e;
	}
	*ns = plat_time_ns() - t0;
	return 0;
}

static int net_tests(struct net_run *r, const struct bench_opts *o, uint64_t *rtt,
		     const char *how)
{
	uint64_t ck = 0, ns = 0, n = o->net_pings;
	const char *test = "arp";
	char label[64];
	int e;

	if ((e = resolve_peer(r)))
		goto fail;

	test = "icmp-echo-rtt";
	r->tag = 0;   /* warm-up: the host may still have to resolve us */
	if ((e = ping_serial(r, WARMUP_PINGS, 0, &ck)))
		goto fail;
	r->tag = 1;
	ck = 0;
	if ((e = ping_serial(r, n, rtt, &ck)))
		goto fail;
	wl_sort_u64(rtt, (size_t)n);
	fmt_snprintf(label, sizeof(label), "%s/median-of-%llu", how, (unsigned long long)n);
	report_result(&(struct result){ "net", test, "latency", "ns", rtt[n / 2], 1, ck, label });

	test = "icmp-echo-window";
	r->tag = 2;
	ck = 0;
	if ((e = ping_window(r, n, o->net_window, &ns, &ck)))
		goto fail;
	fmt_snprintf(label, sizeof(label), "%s/window-%u", how, o->net_window);
	report_result(&(struct result){ "net", test, "rate", "pkt/s",
					ns ? n * 1000000000ull / ns : 0, 1, ck, label });

	test = "udp-send";
	if ((e = udp_send(r, o->net_frames, &ns)))
		goto fail;
	fmt_snprintf(label, sizeof(label), "%s/udp-60B-frames", how);
	report_result(&(struct result){ "net", test, "rate", "frames/s",
					ns ? o->net_frames * 1000000000ull / ns : 0, 0, 0,
					label });
	return 0;
fail:
	report_skip("net", test, test[0] == 'a' ? "no-arp-reply" :
		    e == -PLAT_EIO ? "no-reply-or-io-error" : "failed");
	return e;
}

int wl_net(const struct bench_opts *o)
{
	struct plat_net_info info = { { 0 }, 0 };
	struct net_run r;
	struct plat_buf b;
	unsigned int i;
	int e;

	e = plat_net_open(&info);
	if (e) {
		report_skip("net", "all", e == -PLAT_ENODEV ? "no-nic" : "nic-setup-failed");
		return e == -PLAT_ENODEV ? 0 : e;
	}
	for (i = 0; i < 6; i++) {
		r.a.mac[i] = info.mac[i];
		r.a.peer_mac[i] = 0xff;
	}
	r.a.ip = o->net_ip;
	r.a.peer_ip = o->net_peer;
	e = plat_buf_alloc((size_t)o->net_pings * sizeof(uint64_t), 4096, &b);
	if (e) {
		report_skip("net", "all", "no-memory");
		return e;
	}
	e = net_tests(&r, o, b.ptr, info.how ? info.how : "unknown");
	plat_buf_free(&b);
	return e;
}
