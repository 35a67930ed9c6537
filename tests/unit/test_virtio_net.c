/*
 * test_virtio_net.c - virtio-net's userspace data path without KVM: the
 * shared fake driver (fake_driver.c) plays the driver on virtqueues in
 * heap-backed guest RAM and the test plays the network on the other end of
 * an AF_UNIX SOCK_SEQPACKET pair (one whole packet per read and write, like
 * a tap with IFF_VNET_HDR), reached through the tap back end of vmm/tap.c.
 * Checked: features and config space, transmit (header + frame from
 * several descriptors, one interrupt per batch), receive with and without
 * MRG_RXBUF (num_buffers, used lengths, bytes), a starved receive ring
 * (packet kept, tap no longer watched, resumed by a kick), every hostile
 * chain on either queue (reported broken with the transport's queue
 * number) and bad feature sets, and through the PCI transport: a feature
 * the device did not offer, and a ring outside RAM (DEVICE_NEEDS_RESET). A
 * real tap is probed when /dev/net/tun can be used.
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

#include "devices/virtio_net.h"
#include "devices/virtio_pci.h"
#include "fake_driver.c"
#include "vmm/tap.h"
#include "vmm/vhost_net.h"

#define RAM_SIZE (4ULL << 20)
#define QSIZE 16
#define QBASE 4          /* the pair's rx queue on the transport */
#define BIT(n) (1ULL << (n))
#define HDR VIRTIO_NET_HDR_BYTES

static struct virtio_net net;
static struct tap_backend tb;
static int net_up;
static int fds[2];       /* [0] the device's "tap", [1] the network */
static struct fd_queue tq[2];
static struct virtq vq[2];
static unsigned int notified[2], broken[2];
static int polling;
static unsigned int poll_calls;

static void on_notify(void *ctx, unsigned int q)
{
	cr_assert_eq(ctx, &net);
	cr_assert(q >= QBASE && q < QBASE + 2, "queue %u", q);
	notified[q - QBASE]++;
}

static void on_broken(void *ctx, unsigned int q)
{
	cr_assert_eq(ctx, &net);
	cr_assert(q >= QBASE && q < QBASE + 2, "queue %u", q);
	broken[q - QBASE]++;
}

static void on_poll(void *ctx, int on)
{
	cr_assert_eq(ctx, &net);
	polling = on;
	poll_calls++;
}

static void setup(void)
{
	fd_ram_init(RAM_SIZE);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, fds), 0);
	memset(notified, 0, sizeof(notified));
	memset(broken, 0, sizeof(broken));
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
	fd_ram_fini();
}

TestSuite(vnet, .init = setup, .fini = teardown);

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static uint64_t base_features(void)
{
	return BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_EVENT_IDX) | BIT(VIRTIO_NET_F_MAC);
}

static void init_dev(unsigned int offloads)
{
	struct kvmini_error err = { .msg = "" };

	tap_backend_init(&tb, fds[0]);
	cr_assert_eq(virtio_net_init(&net, tap_backend_io(&tb), mac, offloads, &err), 0, "%s",
		     err.msg);
	net_up = 1;
	virtio_net_set_irq(&net, (struct virtio_irq){ .notify = on_notify, .broken = on_broken,
						      .ctx = &net, .qbase = QBASE });
	virtio_net_set_poll(&net, on_poll, &net);
}

/* Queue q placed and started with features. */
static void start_queue(unsigned int q, uint64_t features)
{
	fd_queue_init(&tq[q], QSIZE);
	fd_queue_start(&tq[q], &vq[q], !!(features & BIT(VIRTIO_F_EVENT_IDX)), 1);
	cr_assert_eq(virtio_net_queue_start(&net, q, &vq[q], features), 0);
}

/* Both queues placed and started with features. */
static void start(uint64_t features)
{
	init_dev(VIRTIO_NET_TAP_CSUM | VIRTIO_NET_TAP_TSO4 | VIRTIO_NET_TAP_TSO6);
	start_queue(VIRTIO_NET_RXQ, features);
	start_queue(VIRTIO_NET_TXQ, features);
	cr_assert_eq(polling, 1, "rx start watches the tap");
}

static struct virtq_used *used_of(unsigned int q)
{
	return fd_used(&tq[q]);
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
	uint64_t h = fd_alloc(HDR, 64), f = fd_alloc(frame_len, 64);
	uint32_t half = frame_len / 2;
	struct fd_seg s[3] = { FD_R(h, HDR), FD_R(f, half), FD_R(f + half, frame_len - half) };

	*(uint8_t *)fd_ptr(h, 1) = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	fill(fd_ptr(f, frame_len), frame_len, seed);
	return fd_add(&tq[1], s, 3, seed);
}

/* An rx buffer of len bytes, one descriptor. */
static uint16_t rx_buffer(uint32_t len, uint64_t *where)
{
	uint64_t g = fd_alloc(len, 64);
	struct fd_seg s = FD_W(g, len);

	memset(fd_ptr(g, len), 0xee, len);
	if (where)
		*where = g;
	return fd_add(&tq[0], &s, 1, (uint32_t)g);
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

static uint8_t *ram_at(uint64_t gpa)
{
	return fd_ptr(gpa, 1);
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
	struct virtq vq1;

	init_dev(VIRTIO_NET_TAP_CSUM | VIRTIO_NET_TAP_TSO4);
	fd_queue_init(&tq[0], QSIZE);
	fd_queue_start(&tq[0], &vq1, 0, 0);
	cr_assert_eq(virtio_net_queue_start(&net, 0, &vq1, base_features() | BIT(VIRTIO_NET_F_MQ)),
		     -EINVAL, "MQ was not offered");
	cr_assert_eq(virtio_net_queue_start(&net, 0, &vq1, BIT(VIRTIO_NET_F_MAC)), -EINVAL,
		     "no VERSION_1");
	cr_assert_eq(virtio_net_queue_start(&net, 0, &vq1,
					    base_features() | BIT(VIRTIO_NET_F_GUEST_TSO4)),
		     -EINVAL, "TSO4 without GUEST_CSUM");
	cr_assert_eq(virtio_net_queue_start(&net, 0, &vq1,
					    base_features() | BIT(VIRTIO_NET_F_HOST_TSO4)),
		     -EINVAL, "HOST_TSO4 without CSUM");
	cr_assert_eq(virtio_net_queue_start(&net, 2, &vq1, base_features()), -EINVAL);
	cr_assert_eq(polling, 0);
	cr_assert_eq(virtio_net_queue_start(&net, 0, &vq1, base_features()), 0);
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
	cr_assert_eq(*ram_at(b0), VIRTIO_NET_HDR_F_DATA_VALID);
	cr_assert_eq(*ram_at(b0 + 10) | *ram_at(b0 + 11) << 8, 2, "num_buffers");
	fill(want, 3000, 5);
	cr_assert_arr_eq(fd_ptr(b0 + HDR, 1536 - HDR), want, 1536 - HDR);
	cr_assert_arr_eq(fd_ptr(b1, 3000 - (1536 - HDR)), want + 1536 - HDR, 3000 - (1536 - HDR));
	cr_assert_eq(*ram_at(b2), 0xee, "third buffer untouched");
	cr_assert_eq(notified[0], 1);
	cr_assert_eq(polling, 1, "still watching the tap");
}

Test(vnet, receive_without_mrg_needs_one_big_buffer)
{
	uint64_t b;

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
	b = fd_desc(&tq[0], (uint16_t)used_of(0)->ring[0].id)->addr;
	cr_assert_eq(*ram_at(b + 10) | *ram_at(b + 11) << 8, 1, "num_buffers is 1");
}

Test(vnet, starved_receive_keeps_the_packet)
{
	uint8_t want[2500];
	gpa_t b0, b1;

	start(base_features() | BIT(VIRTIO_NET_F_MRG_RXBUF));
	net_send(2500, 9);
	cr_assert_eq(virtio_net_rx(&net), 0);
	cr_assert_eq(polling, 0, "no buffers: stop watching the tap");
	cr_assert_eq(*fd_avail_event(&tq[0]), 0, "avail_event asks for a kick");
	rx_buffer(1536, &b0);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_RXQ), 0, "half the room: keep waiting");
	cr_assert_eq(used_of(0)->idx, 0, "nothing pushed for half a packet");
	cr_assert_eq(polling, 0);
	cr_assert_eq(*fd_avail_event(&tq[0]), 1,
		     "avail_event asks for a kick past the buffer it saw");
	rx_buffer(1536, &b1);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_RXQ), 1);
	cr_assert_eq(used_of(0)->idx, 2);
	fill(want, 2500, 9);
	cr_assert_arr_eq(fd_ptr(b0 + HDR, 1536 - HDR), want, 1536 - HDR);
	cr_assert_arr_eq(fd_ptr(b1, 2500 - (1536 - HDR)), want + 1536 - HDR, 2500 - (1536 - HDR));
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
	struct fd_seg seg;

	start(base_features());
	seg = FD_R(fd_alloc(2048, 64), 2048);
	fd_add(&tq[0], &seg, 1, 0);
	net_send(100, 0);
	cr_assert_eq(virtio_net_rx(&net), -EIO);
	cr_assert(vq[0].broken);
	cr_assert_eq(broken[0], 1, "reported as the pair's rx queue");
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
	cr_assert(vq[0].broken);
	cr_assert_eq(used_of(0)->idx, 0);
}

Test(vnet, tx_shorter_than_header_breaks_queue)
{
	struct fd_seg seg;

	start(base_features());
	seg = FD_R(fd_alloc(64, 64), 6);
	fd_add(&tq[1], &seg, 1, 0);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_TXQ), -EIO);
	cr_assert(vq[1].broken);
	cr_assert_geq(broken[1], 1, "reported as the pair's tx queue");
	cr_assert_eq(broken[0], 0);
}

Test(vnet, every_hostile_chain_breaks_the_transmit_queue)
{
	unsigned int h;

	init_dev(0);
	for (h = 0; h < FD_HOSTILE_COUNT; h++) {
		start_queue(VIRTIO_NET_TXQ, base_features());
		memset(broken, 0, sizeof(broken));
		fd_hostile(&tq[1], h);
		cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_TXQ), -EIO, "%s accepted",
			     fd_hostile_name(h));
		cr_assert(vq[1].broken, "%s", fd_hostile_name(h));
		cr_assert_geq(broken[1], 1, "%s not reported", fd_hostile_name(h));
		cr_assert_eq(used_of(1)->idx, 0, "%s", fd_hostile_name(h));
		cr_assert_eq(net.tx_packets + net.tx_dropped, 0, "%s sent", fd_hostile_name(h));
	}
}

Test(vnet, every_hostile_chain_breaks_the_receive_queue)
{
	unsigned int h;

	init_dev(0);
	for (h = 0; h < FD_HOSTILE_COUNT; h++) {
		start_queue(VIRTIO_NET_RXQ, base_features() | BIT(VIRTIO_NET_F_MRG_RXBUF));
		memset(broken, 0, sizeof(broken));
		fd_hostile(&tq[0], h);
		net_send(100, h);
		cr_assert_eq(virtio_net_rx(&net), -EIO, "%s accepted", fd_hostile_name(h));
		cr_assert(vq[0].broken, "%s", fd_hostile_name(h));
		cr_assert_eq(broken[0], 1, "%s not reported", fd_hostile_name(h));
		cr_assert_eq(used_of(0)->idx, 0, "%s", fd_hostile_name(h));
		cr_assert_eq(polling, 0, "%s", fd_hostile_name(h));
		cr_assert_eq(net.rx_packets, 0, "%s", fd_hostile_name(h));
		virtio_net_reset(&net);   /* drop the packet it kept */
		cr_assert_eq(read(fds[0], (char[2]){ 0 }, 2), -1, "the packet was read once");
	}
}

Test(vnet, tx_descriptor_outside_ram_breaks_queue)
{
	struct fd_seg s[2];

	start(base_features());
	s[0] = FD_R(fd_alloc(HDR, 64), HDR);
	s[1] = FD_R(RAM_SIZE - 16, 64);
	fd_add(&tq[1], s, 2, 0);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_TXQ), -EIO);
	cr_assert_eq(used_of(1)->idx, 0);
}

Test(vnet, tx_descriptor_loop_and_bad_head_break_queue)
{
	start(base_features());
	fd_hostile(&tq[1], FD_LOOP);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_TXQ), -EIO);
	/* Re-placed queue, a head index past the ring. */
	start_queue(VIRTIO_NET_TXQ, base_features());
	fd_publish(&tq[1], QSIZE + 3);
	cr_assert_eq(virtio_net_kick(&net, VIRTIO_NET_TXQ), -EIO);
}

Test(vnet, avail_index_jump_breaks_queue)
{
	start(base_features());
	fd_hostile(&tq[0], FD_AVAIL_JUMP);
	net_send(100, 0);
	cr_assert_eq(virtio_net_rx(&net), -EIO);
	cr_assert_eq(polling, 0);
}

/* ---- through the PCI transport ---- */

/* One pair on the transport (vmm/netdev.c has its own, for several pairs). */
static uint64_t t_features(void *dev) { return virtio_net_features(dev); }
static void t_config_read(void *dev, uint64_t off, void *data, unsigned int len)
{
	virtio_net_config_read(dev, off, data, len);
}
static int t_queue_start(void *dev, unsigned int q, struct virtq *v, uint64_t f)
{
	return virtio_net_queue_start(dev, q, v, f);
}
static int t_kick(void *dev, unsigned int q) { return virtio_net_kick(dev, q); }
static void t_reset(void *dev) { virtio_net_reset(dev); }

static const struct virtio_device_ops t_ops = {
	.device_id = 1, .class_code = 0x020000, .features = t_features,
	.config_read = t_config_read, .queue_start = t_queue_start, .kick = t_kick,
	.reset = t_reset,
};

/*
 * Set a driver up through BAR 0: features, both queues, DRIVER_OK; the tx
 * rings at desc1 if not 0.
 */
static void with_transport(uint64_t features, uint64_t desc1, uint8_t *status)
{
	static struct virtio_pci vp;
	struct msi_host none = { 0 };
	struct irq_line nointx = { 0 };
	struct fd_pci p;

	init_dev(VIRTIO_NET_TAP_CSUM);
	cr_assert_eq(virtio_pci_init(&vp, &t_ops, &net, &fd_mem, none, nointx, 2, 256), 0);
	virtio_net_set_irq(&net, virtio_pci_irq(&vp, 0));
	fd_pci_attach(&p, &vp);
	cr_assert_eq(fd_pci_features(&p), virtio_net_features(&net));
	fd_queue_init(&tq[0], QSIZE);
	if (desc1)
		fd_queue_place(&tq[1], QSIZE, desc1, desc1 + 0x8000, desc1 + 0x9000);
	else
		fd_queue_init(&tq[1], QSIZE);
	*status = fd_pci_start(&p, features, tq, 2);
	cr_assert_eq(virtio_pci_queue_irqfd(&vp, 0), -1, "no MSI-X: no irqfd for vhost");
	fd_pci_reset(&p);
	cr_assert_eq(polling, 0, "reset stops watching the tap");
	virtio_pci_destroy(&vp);
}

Test(vnet, transport_accepts_a_good_driver)
{
	uint8_t s;

	with_transport(base_features() | BIT(VIRTIO_NET_F_MRG_RXBUF), 0, &s);
	cr_assert(s & VIRTIO_STATUS_DRIVER_OK);
	cr_assert_not(s & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

Test(vnet, transport_refuses_unoffered_feature)
{
	uint8_t s;

	with_transport(base_features() | BIT(VIRTIO_NET_F_GUEST_UFO), 0, &s);
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
		       BIT(VIRTIO_NET_F_GUEST_TSO4), 0, &s);
	/* GUEST_TSO4 is not offered here (the tap has only CSUM). */
	cr_assert_not(s & VIRTIO_STATUS_FEATURES_OK);
}

/* ---- a real tap, where this machine lets us make one ---- */

Test(vnet, real_tap_probe_and_configure)
{
	struct kvmini_error err = { .msg = "" };
	char ifname[IFNAMSIZ];
	unsigned int off;
	int fd, is_tap = 0, sz = 0;

	fd = tap_open(NULL, "kvmt%d", 0, ifname, &err);
	if (fd < 0)
		cr_skip_test("no usable /dev/net/tun here: %s", err.msg);
	off = tap_probe_offloads(fd, &is_tap);
	cr_assert(is_tap);
	cr_assert(off & VIRTIO_NET_TAP_CSUM, "a Linux tap takes checksum offload");
	tap_backend_init(&tb, fd);
	cr_assert(tb.is_tap);
	cr_assert_eq(virtio_net_init(&net, tap_backend_io(&tb), mac, off, &err), 0);
	net_up = 1;
	cr_assert_eq(virtio_net_configure_backend(&net, base_features() |
					      BIT(VIRTIO_NET_F_GUEST_CSUM) |
					      BIT(VIRTIO_NET_F_GUEST_TSO4)), 0);
	cr_assert_eq(ioctl(fd, TUNGETVNETHDRSZ, &sz), 0);
	cr_assert_eq(sz, 12);
	close(fd);
}

Test(vnet, tap_open_errors_are_one_line)
{
	struct kvmini_error err = { .msg = "" };
	char ifname[IFNAMSIZ];

	cr_assert_eq(tap_open("/nonexistent/tun", "x", 0, ifname, &err), -ENOENT);
	cr_assert(strstr(err.msg, "load the tun module"), "%s", err.msg);
	cr_assert_null(strchr(err.msg, '\n'));
	cr_assert_eq(tap_open(NULL, "a-name-far-too-long", 0, ifname, &err), -EINVAL);
}

Test(vnet, vhost_open_missing_node)
{
	struct kvmini_error err = { .msg = "" };
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
