/*
 * test_virtio_net.c - virtio-net's userspace data path without KVM: the
 * test plays the driver on virtqueues in heap-backed guest RAM and the
 * network on the other end of an AF_UNIX SOCK_SEQPACKET pair (one whole
 * packet per read and write, like a tap with IFF_VNET_HDR). Checked:
 * features and config space, transmit (header + frame from several
 * descriptors, one interrupt per batch), receive with and without
 * MRG_RXBUF (num_buffers, used lengths, bytes), a starved receive ring
 * (packet kept, tap no longer watched, resumed by a kick), hostile chains
 * and feature sets, and through the PCI transport: a feature the device
 * did not offer, and a ring outside RAM (DEVICE_NEEDS_RESET). A real tap
 * is probed when /dev/net/tun can be used.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/guestmem.h"
#include "vmm/netdev.h"
#include "devices/virtio_net.h"
#include "devices/virtio_pci.h"

#define RAM_SIZE (4ULL << 20)
#define DATA_GPA 0x100000ULL
#define QSIZE 16
#define BIT(n) (1ULL << (n))
#define HDR VIRTIO_NET_HDR_BYTES

struct tq {
	struct virtq vq;
	gpa_t desc, avail, used;
	unsigned int next_desc;
};

static uint8_t *ram;
static struct guest_mem mem;
static struct virtio_net net;
static int net_up;
static int fds[2];       /* [0] the device's "tap", [1] the network */
static struct tq tq[2];
static gpa_t data_next;
static unsigned int notified[2];
static int polling;
static unsigned int poll_calls;

static void on_notify(void *ctx, unsigned int q)
{
	cr_assert_eq(ctx, &net);
	cr_assert_lt(q, 2);
	notified[q]++;
}

static void on_poll(void *ctx, int on)
{
	cr_assert_eq(ctx, &net);
	polling = on;
	poll_calls++;
}

static void setup(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	cr_assert_not_null(ram);
	memset(ram, 0, RAM_SIZE);
	gmem_init_buffer(&mem, ram, RAM_SIZE);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, fds), 0);
	data_next = DATA_GPA;
	memset(notified, 0, sizeof(notified));
	polling = 0;
	poll_calls = 0;
	net_up = 0;
}

static void teardown(void)
{
	if (net_up)
		virtio_net_destroy(&net);
	close(fds[0]);
	close(fds[1]);
	free(ram);
}

TestSuite(vnet, .init = setup, .fini = teardown);

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static uint64_t base_features(void)
{
	return BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_EVENT_IDX) | BIT(VIRTIO_NET_F_MAC);
}

static void init_dev(unsigned int offloads)
{
	struct kvmini_error err = { { 0 } };

	cr_assert_eq(virtio_net_init(&net, fds[0], mac, offloads, &err), 0, "%s", err.msg);
	net_up = 1;
	virtio_net_set_callbacks(&net, on_notify, on_poll, &net);
}

/* Both queues placed and started with features. */
static void start(uint64_t features)
{
	unsigned int q;

	init_dev(VIRTIO_NET_TAP_CSUM | VIRTIO_NET_TAP_TSO4 | VIRTIO_NET_TAP_TSO6);
	for (q = 0; q < 2; q++) {
		struct tq *t = &tq[q];

		t->desc = q ? 0x40000 : 0x0;
		t->avail = t->desc + 0x8000;
		t->used = t->desc + 0x9000;
		t->next_desc = 0;
		cr_assert_eq(virtq_init(&t->vq, &mem, QSIZE, t->desc, t->avail, t->used,
					!!(features & BIT(VIRTIO_F_EVENT_IDX)), 1), 0);
		cr_assert_eq(virtio_net_queue_start(&net, q, &t->vq, features), 0);
	}
	cr_assert_eq(polling, 1, "rx start watches the tap");
}

static struct virtq_avail *avail_of(unsigned int q)
{
	return (struct virtq_avail *)(ram + tq[q].avail);
}

static struct virtq_used *used_of(unsigned int q)
{
	return (struct virtq_used *)(ram + tq[q].used);
}

static struct virtq_desc *desc_of(unsigned int q, uint16_t i)
{
	return (struct virtq_desc *)(ram + tq[q].desc) + i;
}

static uint16_t new_desc(unsigned int q, uint64_t addr, uint32_t len, uint16_t flags)
{
	uint16_t i = (uint16_t)(tq[q].next_desc++ % QSIZE);

	*desc_of(q, i) = (struct virtq_desc){ addr, len, flags, 0 };
	return i;
}

static void link_desc(unsigned int q, uint16_t a, uint16_t b)
{
	desc_of(q, a)->flags |= VIRTQ_DESC_F_NEXT;
	desc_of(q, a)->next = b;
}

static void offer(unsigned int q, uint16_t head)
{
	struct virtq_avail *a = avail_of(q);

	a->ring[a->idx % QSIZE] = head;
	a->idx++;
}

static gpa_t data_alloc(uint32_t len)
{
	gpa_t g = data_next;

	data_next += (len + 63) & ~63u;
	cr_assert_leq(data_next, RAM_SIZE);
	return g;
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/* A tx chain: the header in one descriptor, the frame split in two. */
static uint16_t tx_packet(uint32_t frame_len, unsigned int seed)
{
	gpa_t h = data_alloc(HDR), f = data_alloc(frame_len);
	uint32_t half = frame_len / 2;
	uint16_t d0, d1, d2;

	memset(ram + h, 0, HDR);
	ram[h] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	fill(ram + f, frame_len, seed);
	d0 = new_desc(1, h, HDR, 0);
	d1 = new_desc(1, f, half, 0);
	d2 = new_desc(1, f + half, frame_len - half, 0);
	link_desc(1, d0, d1);
	link_desc(1, d1, d2);
	offer(1, d0);
	return d0;
}

/* An rx buffer of len bytes, one descriptor. */
static uint16_t rx_buffer(uint32_t len, gpa_t *where)
{
	gpa_t g = data_alloc(len);
	uint16_t d = new_desc(0, g, len, VIRTQ_DESC_F_WRITE);

	memset(ram + g, 0xee, len);
	offer(0, d);
	if (where)
		*where = g;
	return d;
}

/* The network sends a packet: header (gso none) + frame_len bytes. */
static void net_send(uint32_t frame_len, unsigned int seed)
{
	uint8_t *p = malloc(HDR + frame_len);

	memset(p, 0, HDR);
	p[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	fill(p + HDR, frame_len, seed);
	cr_assert_eq(write(fds[1], p, HDR + frame_len), (ssize_t)(HDR + frame_len));
	free(p);
}

Test(vnet, features_and_config)
{
	uint8_t cfg[16];
	uint64_t f;

	init_dev(VIRTIO_NET_TAP_CSUM | VIRTIO_NET_TAP_TSO4 | VIRTIO_NET_TAP_TSO6);
	f = virtio_net_features(&net);
	cr_assert(f & BIT(VIRTIO_F_VERSION_1));
	cr_assert(f & BIT(VIRTIO_F_EVENT_IDX));
	cr_assert(f & BIT(VIRTIO_F_INDIRECT_DESC));
	cr_assert(f & BIT(VIRTIO_NET_F_MAC));
	cr_assert(f & BIT(VIRTIO_NET_F_STATUS));
	cr_assert(f & BIT(VIRTIO_NET_F_MRG_RXBUF));
	cr_assert(f & BIT(VIRTIO_NET_F_CSUM));
	cr_assert(f & BIT(VIRTIO_NET_F_GUEST_CSUM));
	cr_assert(f & BIT(VIRTIO_NET_F_HOST_TSO4));
	cr_assert(f & BIT(VIRTIO_NET_F_GUEST_TSO6));
	cr_assert_not(f & BIT(VIRTIO_NET_F_GUEST_UFO), "UFO only when the tap has it");
	cr_assert_not(f & BIT(VIRTIO_NET_F_CTRL_VQ));
	virtio_net_config_read(&net, 0, cfg, sizeof(cfg));
	cr_assert_arr_eq(cfg, mac, 6);
	cr_assert_eq(cfg[6] | cfg[7] << 8, VIRTIO_NET_S_LINK_UP);
	cr_assert_eq(cfg[8] | cfg[9] << 8, 1, "max_virtqueue_pairs");
	cr_assert_eq(cfg[12] | cfg[13] | cfg[14] | cfg[15], 0, "past the end reads 0");
	virtio_net_destroy(&net);
	init_dev(0);
	f = virtio_net_features(&net);
	cr_assert_not(f & (BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
			   BIT(VIRTIO_NET_F_HOST_TSO4)), "no offloads without the tap's");
}

Test(vnet, bad_feature_sets_are_refused)
{
	struct virtq vq;

	init_dev(VIRTIO_NET_TAP_CSUM | VIRTIO_NET_TAP_TSO4);
	cr_assert_eq(virtq_init(&vq, &mem, QSIZE, 0, 0x8000, 0x9000, 0, 0), 0);
	cr_assert_eq(virtio_net_queue_start(&net, 0, &vq, base_features() | BIT(VIRTIO_NET_F_MQ)),
		     -EINVAL, "MQ was not offered");
	cr_assert_eq(virtio_net_queue_start(&net, 0, &vq, BIT(VIRTIO_NET_F_MAC)), -EINVAL,
		     "no VERSION_1");
	cr_assert_eq(virtio_net_queue_start(&net, 0, &vq,
					    base_features() | BIT(VIRTIO_NET_F_GUEST_TSO4)),
		     -EINVAL, "TSO4 without GUEST_CSUM");
	cr_assert_eq(virtio_net_queue_start(&net, 0, &vq,
					    base_features() | BIT(VIRTIO_NET_F_HOST_TSO4)),
		     -EINVAL, "HOST_TSO4 without CSUM");
	cr_assert_eq(virtio_net_queue_start(&net, 2, &vq, base_features()), -EINVAL);
	cr_assert_eq(polling, 0);
	cr_assert_eq(virtio_net_queue_start(&net, 0, &vq, base_features()), 0);
}

Test(vnet, transmit_batch_one_interrupt)
{
	uint8_t buf[4096], want[2000];
	unsigned int i;

	start(base_features());
	for (i = 0; i < 3; i++)
		tx_packet(1000 + 500 * i, i);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_TXQ), 3);
	for (i = 0; i < 3; i++) {
		ssize_t n = read(fds[1], buf, sizeof(buf));

		cr_assert_eq(n, (ssize_t)(HDR + 1000 + 500 * i));
		cr_assert_eq(buf[0], VIRTIO_NET_HDR_F_NEEDS_CSUM, "header passed as is");
		fill(want, 1000 + 500 * i, i);
		cr_assert_arr_eq(buf + HDR, want, 1000 + 500 * i);
	}
	cr_assert_eq(used_of(1)->idx, 3);
	cr_assert_eq(used_of(1)->ring[0].len, 0);
	cr_assert_eq(notified[1], 1, "one interrupt for the batch");
	cr_assert_eq(net.tx_packets, 3);
}

Test(vnet, receive_mergeable_spans_buffers)
{
	gpa_t b0, b1, b2;
	uint8_t want[3000];
	uint16_t h0, h1;

	start(base_features() | BIT(VIRTIO_NET_F_MRG_RXBUF));
	h0 = rx_buffer(1536, &b0);
	h1 = rx_buffer(1536, &b1);
	rx_buffer(1536, &b2);
	net_send(3000, 5);
	cr_assert_eq(virtio_net_rx(&net), 1);
	cr_assert_eq(used_of(0)->idx, 2);
	cr_assert_eq(used_of(0)->ring[0].id, h0);
	cr_assert_eq(used_of(0)->ring[0].len, 1536);
	cr_assert_eq(used_of(0)->ring[1].id, h1);
	cr_assert_eq(used_of(0)->ring[1].len, HDR + 3000 - 1536);
	cr_assert_eq(ram[b0], VIRTIO_NET_HDR_F_DATA_VALID);
	cr_assert_eq(ram[b0 + 10] | ram[b0 + 11] << 8, 2, "num_buffers");
	fill(want, 3000, 5);
	cr_assert_arr_eq(ram + b0 + HDR, want, 1536 - HDR);
	cr_assert_arr_eq(ram + b1, want + 1536 - HDR, 3000 - (1536 - HDR));
	cr_assert_eq(ram[b2], 0xee, "third buffer untouched");
	cr_assert_eq(notified[0], 1);
	cr_assert_eq(polling, 1, "still watching the tap");
}

Test(vnet, receive_without_mrg_needs_one_big_buffer)
{
	gpa_t b;

	start(base_features());
	rx_buffer(1000, NULL);
	net_send(1400, 1);
	cr_assert_eq(virtio_net_rx(&net), 0, "too big for one buffer: dropped");
	cr_assert_eq(net.rx_dropped, 1);
	cr_assert_eq(used_of(0)->idx, 0, "the small buffer is not used up");
	net_send(600, 2);
	cr_assert_eq(virtio_net_rx(&net), 1);
	cr_assert_eq(used_of(0)->idx, 1);
	cr_assert_eq(used_of(0)->ring[0].len, HDR + 600);
	b = DATA_GPA;
	cr_assert_eq(ram[b + 10] | ram[b + 11] << 8, 1, "num_buffers is 1");
}

Test(vnet, starved_receive_keeps_the_packet)
{
	uint8_t want[2500];
	gpa_t b0, b1;

	start(base_features() | BIT(VIRTIO_NET_F_MRG_RXBUF));
	net_send(2500, 9);
	cr_assert_eq(virtio_net_rx(&net), 0);
	cr_assert_eq(polling, 0, "no buffers: stop watching the tap");
	cr_assert_eq(((uint16_t *)(ram + tq[0].used))[2 + 4 * QSIZE], 0,
		     "avail_event asks for a kick");
	rx_buffer(1536, &b0);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_RXQ), 0, "half the room: keep waiting");
	cr_assert_eq(used_of(0)->idx, 0, "nothing pushed for half a packet");
	cr_assert_eq(polling, 0);
	cr_assert_eq(((uint16_t *)(ram + tq[0].used))[2 + 4 * QSIZE], 1,
		     "avail_event asks for a kick past the buffer it saw");
	rx_buffer(1536, &b1);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_RXQ), 1);
	cr_assert_eq(used_of(0)->idx, 2);
	fill(want, 2500, 9);
	cr_assert_arr_eq(ram + b0 + HDR, want, 1536 - HDR);
	cr_assert_arr_eq(ram + b1, want + 1536 - HDR, 2500 - (1536 - HDR));
	cr_assert_eq(polling, 1);
	cr_assert_eq(net.rx_dropped, 0);
}

Test(vnet, end_of_file_stops_watching)
{
	start(base_features());
	rx_buffer(2048, NULL);
	close(fds[1]);
	fds[1] = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	cr_assert_eq(virtio_net_rx(&net), 0);
	cr_assert_eq(polling, 0);
	cr_assert_eq(net.rx_errors, 1);
}

Test(vnet, reset_forgets_queues)
{
	start(base_features());
	net_send(100, 0);
	virtio_net_reset(&net);
	cr_assert_eq(polling, 0);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_TXQ), -EINVAL);
	cr_assert_eq(virtio_net_rx(&net), 0);
}

/* ---- hostile chains ---- */

Test(vnet, rx_chain_with_readable_buffer_breaks_queue)
{
	uint16_t d = new_desc(0, data_alloc(2048), 2048, 0);

	start(base_features());
	offer(0, d);
	net_send(100, 0);
	cr_assert_eq(virtio_net_rx(&net), -EIO);
	cr_assert(tq[0].vq.broken);
	cr_assert_eq(polling, 0, "a broken queue does not spin on the tap");
	cr_assert_eq(virtio_net_rx(&net), -EIO);
}

Test(vnet, rx_first_buffer_smaller_than_header_breaks_queue)
{
	start(base_features() | BIT(VIRTIO_NET_F_MRG_RXBUF));
	rx_buffer(8, NULL);
	rx_buffer(2048, NULL);
	net_send(100, 0);
	cr_assert_eq(virtio_net_rx(&net), -EIO);
	cr_assert(tq[0].vq.broken);
}

Test(vnet, tx_shorter_than_header_breaks_queue)
{
	start(base_features());
	offer(1, new_desc(1, data_alloc(64), 6, 0));
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_TXQ), -EIO);
	cr_assert(tq[1].vq.broken);
}

Test(vnet, tx_descriptor_outside_ram_breaks_queue)
{
	uint16_t h;

	start(base_features());
	h = new_desc(1, data_alloc(HDR), HDR, 0);
	link_desc(1, h, new_desc(1, RAM_SIZE - 16, 64, 0));
	offer(1, h);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_TXQ), -EIO);
	cr_assert_eq(used_of(1)->idx, 0);
}

Test(vnet, tx_descriptor_loop_and_bad_head_break_queue)
{
	uint16_t a, b;

	start(base_features());
	a = new_desc(1, data_alloc(HDR), HDR, 0);
	b = new_desc(1, data_alloc(64), 64, 0);
	link_desc(1, a, b);
	link_desc(1, b, a);
	offer(1, a);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_TXQ), -EIO);
	/* Re-placed queue, a head index past the ring. */
	cr_assert_eq(virtq_init(&tq[1].vq, &mem, QSIZE, tq[1].desc, tq[1].avail, tq[1].used,
				1, 1), 0);
	memset(ram + tq[1].avail, 0, 4 + 2 * QSIZE);
	offer(1, QSIZE + 3);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_TXQ), -EIO);
}

Test(vnet, avail_index_jump_breaks_queue)
{
	start(base_features());
	avail_of(0)->idx = QSIZE + 5;
	net_send(100, 0);
	cr_assert_eq(virtio_net_rx(&net), -EIO);
	cr_assert_eq(polling, 0);
}

/* ---- through the PCI transport ---- */

struct tdev {
	struct virtio_net *n;
	struct virtio_pci *vp;
};

static uint64_t t_features(void *dev) { return virtio_net_features(((struct tdev *)dev)->n); }
static void t_config_read(void *dev, uint64_t off, void *data, unsigned int len)
{
	virtio_net_config_read(((struct tdev *)dev)->n, off, data, len);
}
static int t_queue_start(void *dev, unsigned int q, struct virtq *vq, uint64_t f)
{
	return virtio_net_queue_start(((struct tdev *)dev)->n, q, vq, f);
}
static int t_kick(void *dev, unsigned int q) { return virtio_net_kick(((struct tdev *)dev)->n, q); }
static void t_reset(void *dev) { virtio_net_reset(((struct tdev *)dev)->n); }

static const struct virtio_device_ops t_ops = {
	.device_id = 1, .class_code = 0x020000, .features = t_features,
	.config_read = t_config_read, .queue_start = t_queue_start, .kick = t_kick,
	.reset = t_reset,
};

static void bar_w(struct virtio_pci *vp, uint64_t off, uint64_t v, unsigned int len)
{
	vp->pci.ops->bar_write(vp, 0, off, &v, len);
}

static uint8_t bar_status(struct virtio_pci *vp)
{
	uint8_t s = 0;

	vp->pci.ops->bar_read(vp, 0, 0x14, &s, 1);
	return s;
}

/* Driver set-up through BAR 0: features, both queues at desc0/desc1, DRIVER_OK. */
static uint8_t drive(struct virtio_pci *vp, uint64_t features, gpa_t desc1)
{
	unsigned int q;

	bar_w(vp, 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	bar_w(vp, 0x08, 0, 4);
	bar_w(vp, 0x0c, (uint32_t)features, 4);
	bar_w(vp, 0x08, 1, 4);
	bar_w(vp, 0x0c, features >> 32, 4);
	bar_w(vp, 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	      VIRTIO_STATUS_FEATURES_OK, 1);
	if (!(bar_status(vp) & VIRTIO_STATUS_FEATURES_OK))
		return bar_status(vp);
	for (q = 0; q < 2; q++) {
		gpa_t d = q ? desc1 : 0;

		bar_w(vp, 0x16, q, 2);
		bar_w(vp, 0x18, QSIZE, 2);
		bar_w(vp, 0x20, d, 8);
		bar_w(vp, 0x28, d + 0x8000, 8);
		bar_w(vp, 0x30, d + 0x9000, 8);
		bar_w(vp, 0x1c, 1, 2);
	}
	bar_w(vp, 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, 1);
	return bar_status(vp);
}

static void with_transport(uint64_t features, gpa_t desc1, uint8_t *status)
{
	static struct virtio_pci vp;
	struct tdev td = { &net, &vp };
	struct msi_host none = { 0 };
	struct irq_line nointx = { 0 };

	init_dev(VIRTIO_NET_TAP_CSUM);
	cr_assert_eq(virtio_pci_init(&vp, &t_ops, &td, &mem, none, nointx, 2, 256), 0);
	virtio_net_set_callbacks(&net, on_notify, on_poll, &net);
	*status = drive(&vp, features, desc1);
	cr_assert_eq(virtio_pci_queue_irqfd(&vp, 0), -1, "no MSI-X: no irqfd for vhost");
	bar_w(&vp, 0x14, 0, 1);   /* reset */
	cr_assert_eq(polling, 0, "reset stops watching the tap");
	virtio_pci_destroy(&vp);
}

Test(vnet, transport_accepts_a_good_driver)
{
	uint8_t s;

	with_transport(base_features() | BIT(VIRTIO_NET_F_MRG_RXBUF), 0x40000, &s);
	cr_assert(s & VIRTIO_STATUS_DRIVER_OK);
	cr_assert_not(s & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

Test(vnet, transport_refuses_unoffered_feature)
{
	uint8_t s;

	with_transport(base_features() | BIT(VIRTIO_NET_F_GUEST_UFO), 0x40000, &s);
	cr_assert_not(s & VIRTIO_STATUS_FEATURES_OK);
}

Test(vnet, transport_ring_outside_ram_needs_reset)
{
	uint8_t s;

	with_transport(base_features(), RAM_SIZE - 0x100, &s);
	cr_assert(s & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

Test(vnet, transport_bad_feature_dependency_needs_reset)
{
	uint8_t s;

	with_transport(base_features() | BIT(VIRTIO_NET_F_CSUM) |
		       BIT(VIRTIO_NET_F_GUEST_TSO4), 0x40000, &s);
	/* GUEST_TSO4 is not offered here (the tap has only CSUM). */
	cr_assert_not(s & VIRTIO_STATUS_FEATURES_OK);
}

/* ---- a real tap, where this machine lets us make one ---- */

Test(vnet, real_tap_probe_and_configure)
{
	struct kvmini_error err = { { 0 } };
	char ifname[IFNAMSIZ];
	unsigned int off;
	int fd, is_tap = 0, sz = 0;

	fd = tap_open(NULL, "kvmt%d", 0, ifname, &err);
	if (fd < 0)
		cr_skip_test("no usable /dev/net/tun here: %s", err.msg);
	off = virtio_net_tap_probe(fd, &is_tap);
	cr_assert(is_tap);
	cr_assert(off & VIRTIO_NET_TAP_CSUM, "a Linux tap takes checksum offload");
	cr_assert_eq(virtio_net_init(&net, fd, mac, off, &err), 0);
	net_up = 1;
	cr_assert(net.is_tap);
	cr_assert_eq(virtio_net_configure_tap(&net, base_features() |
					      BIT(VIRTIO_NET_F_GUEST_CSUM) |
					      BIT(VIRTIO_NET_F_GUEST_TSO4)), 0);
	cr_assert_eq(ioctl(fd, TUNGETVNETHDRSZ, &sz), 0);
	cr_assert_eq(sz, 12);
	close(fd);
}

Test(vnet, tap_open_errors_are_one_line)
{
	struct kvmini_error err = { { 0 } };
	char ifname[IFNAMSIZ];

	cr_assert_eq(tap_open("/nonexistent/tun", "x", 0, ifname, &err), -ENOENT);
	cr_assert(strstr(err.msg, "load the tun module"), "%s", err.msg);
	cr_assert_null(strchr(err.msg, '\n'));
	cr_assert_eq(tap_open(NULL, "a-name-far-too-long", 0, ifname, &err), -EINVAL);
}

Test(vnet, vhost_open_missing_node)
{
	struct kvmini_error err = { { 0 } };
	struct vhost_net v;

	cr_assert_eq(vhost_net_open(&v, "/nonexistent/vhost-net", &err), -ENOENT);
	cr_assert(strstr(err.msg, "vhost_net"), "%s", err.msg);
	cr_assert_eq(v.fd, -1);
}

/* ---- --net parsing ---- */

Test(parse_nic, valid)
{
	struct kvmini_nic n;
	char a[] = "tap=kv0", b[] = "tap=kv1,vhost=on,mac=52:54:00:ab:cd:EF",
	     c[] = "vhost=off,tap=t", d[] = "tap=x,mac=02-00-00-00-00-01,vhost=auto";

	cr_assert_eq(kvmini_parse_nic(a, &n), 0);
	cr_assert_str_eq(n.tap, "kv0");
	cr_assert_eq(n.vhost, -1);
	cr_assert_eq(n.has_mac, 0);
	cr_assert_eq(kvmini_parse_nic(b, &n), 0);
	cr_assert_eq(n.vhost, 1);
	cr_assert_eq(n.has_mac, 1);
	cr_assert_eq(n.mac[3], 0xab);
	cr_assert_eq(n.mac[5], 0xef);
	cr_assert_eq(kvmini_parse_nic(c, &n), 0);
	cr_assert_eq(n.vhost, 0);
	cr_assert_str_eq(n.tap, "t");
	cr_assert_eq(kvmini_parse_nic(d, &n), 0);
	cr_assert_eq(n.mac[0], 0x02);
	cr_assert_eq(n.vhost, -1);
	cr_assert_eq(n.queues, 1, "one queue pair unless asked");
}

Test(parse_nic, queues)
{
	struct kvmini_nic n;
	char a[] = "tap=kv0,queues=1", b[] = "queues=4,tap=kv0,vhost=on",
	     c[] = "tap=kv0,queues=8";

	cr_assert_eq(kvmini_parse_nic(a, &n), 0);
	cr_assert_eq(n.queues, 1);
	cr_assert_eq(kvmini_parse_nic(b, &n), 0);
	cr_assert_eq(n.queues, 4);
	cr_assert_eq(n.vhost, 1);
	cr_assert_str_eq(n.tap, "kv0");
	cr_assert_eq(kvmini_parse_nic(c, &n), 0);
	cr_assert_eq(n.queues, KVMINI_NIC_MAX_QUEUES);
}

Test(parse_nic, invalid)
{
	static const char *bad[] = {
		"", "kv0", "tap=", "vhost=on", "tap=a,vhost=yes", "tap=a,mac=52:54:00:12:34",
		"tap=a,mac=52:54:00:12:34:5g", "tap=a,mac=01:00:5e:00:00:01",
		"tap=a,mac=52:54:00:12:34:56:78", "tap=a,bogus", "tap=sixteen-chars-xyz",
		"tap=a,queues=0", "tap=a,queues=9", "tap=a,queues=", "tap=a,queues=02",
		"tap=a,queues=10", "tap=a,queues=-1", "tap=a,queues=2x", "tap=a,queues",
	};
	struct kvmini_nic n;
	char buf[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		cr_assert_lt(kvmini_parse_nic(buf, &n), 0, "\"%s\" accepted", bad[i]);
	}
}
