/*
 * test_virtio_net_ctrl.c - virtio-net multiqueue without KVM: the control
 * queue (devices/virtio_net_ctrl.c) driven by the test playing the driver on
 * a virtqueue in heap-backed guest RAM: VQ_PAIRS_SET in and out of range,
 * other classes, the ack byte and used length, a command split over
 * descriptors, and chains that must break the queue. Also which features
 * and max_virtqueue_pairs a device shows with one pair and with several, and
 * a multi-queue tap where this machine lets us make one.
 */
#include <criterion/criterion.h>
#include <endian.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/guestmem.h"
#include "vmm/netdev.h"
#include "devices/virtio_net.h"
#include "devices/virtio_net_ctrl.h"

#define RAM_SIZE (1ULL << 20)
#define DESC_GPA 0x0ULL
#define AVAIL_GPA 0x1000ULL
#define USED_GPA 0x2000ULL
#define DATA_GPA 0x10000ULL
#define QSIZE 16
#define BIT(n) (1ULL << (n))

static uint8_t *ram;
static struct guest_mem mem;
static struct virtq vq;
static struct virtio_net_ctrl ctrl;
static unsigned int next_desc, notified, calls, last_pairs;
static int refuse;                 /* set_pairs fails */
static gpa_t data_next;

static int set_pairs(void *ctx, unsigned int pairs)
{
	cr_assert_eq(ctx, &ctrl);
	calls++;
	if (refuse)
		return -EIO;
	last_pairs = pairs;
	return 0;
}

static void on_notify(void *ctx)
{
	cr_assert_eq(ctx, &ctrl);
	notified++;
}

static void setup(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	cr_assert_not_null(ram);
	memset(ram, 0, RAM_SIZE);
	gmem_init_buffer(&mem, ram, RAM_SIZE);
	next_desc = notified = calls = last_pairs = 0;
	refuse = 0;
	data_next = DATA_GPA;
	cr_assert_eq(virtio_net_ctrl_init(&ctrl, 4, set_pairs, on_notify, &ctrl), 0);
	cr_assert_eq(virtq_init(&vq, &mem, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0), 0);
	virtio_net_ctrl_start(&ctrl, &vq);
}

static void teardown(void)
{
	virtio_net_ctrl_destroy(&ctrl);
	free(ram);
}

TestSuite(ctrl, .init = setup, .fini = teardown);

static gpa_t put(const void *bytes, uint32_t len)
{
	gpa_t g = data_next;

	memcpy(ram + g, bytes, len);
	data_next += (len + 15) & ~15u;
	return g;
}

static uint16_t desc(gpa_t addr, uint32_t len, uint16_t flags)
{
	uint16_t i = (uint16_t)(next_desc++ % QSIZE);

	*((struct virtq_desc *)(ram + DESC_GPA) + i) = (struct virtq_desc){ addr, len, flags, 0 };
	return i;
}

static void link_desc(uint16_t a, uint16_t b)
{
	struct virtq_desc *d = (struct virtq_desc *)(ram + DESC_GPA) + a;

	d->flags |= VIRTQ_DESC_F_NEXT;
	d->next = b;
}

static void offer(uint16_t head)
{
	struct virtq_avail *a = (struct virtq_avail *)(ram + AVAIL_GPA);

	a->ring[a->idx % QSIZE] = head;
	a->idx++;
}

static struct virtq_used *used(void)
{
	return (struct virtq_used *)(ram + USED_GPA);
}

/* The layout Linux uses: header, data, ack in three descriptors. Returns the ack gpa. */
static gpa_t command(uint8_t cls, uint8_t cmd, const void *data, uint32_t len)
{
	uint8_t hdr[2] = { cls, cmd }, ack = 0xee;
	gpa_t ack_gpa = put(&ack, 1);
	uint16_t h = desc(put(hdr, 2), 2, 0), a, d = h;

	if (len) {
		d = desc(put(data, len), len, 0);
		link_desc(h, d);
	}
	a = desc(ack_gpa, 1, VIRTQ_DESC_F_WRITE);
	link_desc(d, a);
	offer(h);
	return ack_gpa;
}

static gpa_t pairs_set(uint16_t pairs)
{
	uint16_t le = htole16(pairs);

	return command(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &le, 2);
}

Test(ctrl, pairs_set_in_range)
{
	gpa_t ack = pairs_set(3);

	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 1);
	cr_assert_eq(ram[ack], VIRTIO_NET_OK);
	cr_assert_eq(calls, 1);
	cr_assert_eq(last_pairs, 3);
	cr_assert_eq(ctrl.pairs, 3);
	cr_assert_eq(used()->idx, 1);
	cr_assert_eq(used()->ring[0].len, 1, "one byte written: the ack");
	cr_assert_eq(notified, 1);
	ack = pairs_set(4);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 1);
	cr_assert_eq(ram[ack], VIRTIO_NET_OK);
	cr_assert_eq(last_pairs, 4);
	ack = pairs_set(1);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 1);
	cr_assert_eq(ram[ack], VIRTIO_NET_OK);
	cr_assert_eq(last_pairs, 1);
	cr_assert_eq(ctrl.errors, 0);
}

Test(ctrl, pairs_out_of_range_refused)
{
	gpa_t zero = pairs_set(0), five = pairs_set(5), big = pairs_set(0x8000);

	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 3, "three commands answered in one kick");
	cr_assert_eq(ram[zero], VIRTIO_NET_ERR);
	cr_assert_eq(ram[five], VIRTIO_NET_ERR);
	cr_assert_eq(ram[big], VIRTIO_NET_ERR);
	cr_assert_eq(calls, 0, "the device is not asked");
	cr_assert_eq(ctrl.pairs, 1);
	cr_assert_eq(ctrl.errors, 3);
	cr_assert_eq(used()->idx, 3);
}

Test(ctrl, failing_device_answers_err)
{
	gpa_t ack;

	refuse = 1;
	ack = pairs_set(2);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 1);
	cr_assert_eq(ram[ack], VIRTIO_NET_ERR);
	cr_assert_eq(calls, 1);
	cr_assert_eq(ctrl.pairs, 1);
}

Test(ctrl, other_classes_and_short_data_answer_err)
{
	uint8_t on = 1;
	uint16_t le = htole16(2);
	gpa_t rx = command(0 /* VIRTIO_NET_CTRL_RX */, 0 /* PROMISC */, &on, 1);
	gpa_t mq_other = command(VIRTIO_NET_CTRL_MQ, 1 /* RSS_CONFIG */, &le, 2);
	gpa_t shorty = command(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &on, 1);
	gpa_t none = command(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, NULL, 0);

	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 4);
	cr_assert_eq(ram[rx], VIRTIO_NET_ERR);
	cr_assert_eq(ram[mq_other], VIRTIO_NET_ERR);
	cr_assert_eq(ram[shorty], VIRTIO_NET_ERR);
	cr_assert_eq(ram[none], VIRTIO_NET_ERR);
	cr_assert_eq(calls, 0);
	cr_assert_not(vq.broken, "well-formed chains keep the queue");
}

Test(ctrl, command_in_one_descriptor_split_differently)
{
	/* class, command and the pair count in one buffer; the ack in another. */
	uint8_t cmd[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0 }, ack = 9;
	gpa_t ack_gpa = put(&ack, 1);
	uint16_t h = desc(put(cmd, 4), 4, 0), a = desc(ack_gpa, 1, VIRTQ_DESC_F_WRITE);

	link_desc(h, a);
	offer(h);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 1);
	cr_assert_eq(ram[ack_gpa], VIRTIO_NET_OK);
	cr_assert_eq(last_pairs, 2);
}

Test(ctrl, no_ack_byte_breaks_the_queue)
{
	uint8_t cmd[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0 };

	offer(desc(put(cmd, 4), 4, 0));
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), -EIO);
	cr_assert(vq.broken);
	cr_assert_eq(calls, 0, "a command without an ack is not run");
	cr_assert_eq(used()->idx, 0);
	pairs_set(2);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), -EIO, "nothing more from a broken queue");
	cr_assert_eq(calls, 0);
}

Test(ctrl, short_header_breaks_the_queue)
{
	uint8_t cls = VIRTIO_NET_CTRL_MQ, ack = 0;
	uint16_t h = desc(put(&cls, 1), 1, 0), a = desc(put(&ack, 1), 1, VIRTQ_DESC_F_WRITE);

	link_desc(h, a);
	offer(h);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), -EIO);
	cr_assert(vq.broken);
	cr_assert_eq(used()->idx, 0);
}

Test(ctrl, only_writable_breaks_the_queue)
{
	uint8_t buf[4] = { 0 };

	offer(desc(put(buf, 4), 4, VIRTQ_DESC_F_WRITE));
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), -EIO);
	cr_assert(vq.broken);
}

Test(ctrl, descriptor_outside_ram_breaks_the_queue)
{
	uint16_t h = desc(RAM_SIZE - 1, 16, 0), a = desc(put("x", 1), 1, VIRTQ_DESC_F_WRITE);

	link_desc(h, a);
	offer(h);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), -EIO);
	cr_assert(vq.broken);
	cr_assert_eq(calls, 0);
}

Test(ctrl, not_started_and_reset)
{
	struct virtio_net_ctrl c;

	cr_assert_eq(virtio_net_ctrl_init(&c, 2, NULL, NULL, NULL), 0);
	cr_assert_eq(virtio_net_ctrl_kick(&c), -EINVAL);
	virtio_net_ctrl_destroy(&c);
	cr_assert_eq(virtio_net_ctrl_init(&c, 0, NULL, NULL, NULL), -EINVAL);
	pairs_set(4);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 1);
	cr_assert_eq(ctrl.pairs, 4);
	virtio_net_ctrl_reset(&ctrl);
	cr_assert_eq(ctrl.pairs, 1);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), -EINVAL);
}

/* ---- features and config space with one pair and with several ---- */

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static uint16_t cfg_pairs(const struct virtio_net *n)
{
	uint16_t v;

	virtio_net_config_read(n, 8, &v, 2);
	return le16toh(v);
}

Test(mq_features, one_pair_offers_no_mq)
{
	struct kvmini_error err = { { 0 } };
	struct virtio_net n;
	int fds[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, fds), 0);
	cr_assert_eq(virtio_net_init(&n, fds[0], mac, 0, &err), 0);
	cr_assert_not(virtio_net_features(&n) & (BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_CTRL_VQ)));
	cr_assert_eq(cfg_pairs(&n), 1);
	cr_assert_eq(virtio_net_set_max_pairs(&n, 1), 0);
	cr_assert_not(virtio_net_features(&n) & (BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_CTRL_VQ)));
	cr_assert_eq(cfg_pairs(&n), 1);
	cr_assert_eq(virtio_net_check_features(&n, BIT(VIRTIO_F_VERSION_1) |
					       BIT(VIRTIO_NET_F_MQ) |
					       BIT(VIRTIO_NET_F_CTRL_VQ)), -EINVAL);
	virtio_net_destroy(&n);
	close(fds[0]);
	close(fds[1]);
}

Test(mq_features, several_pairs_offer_mq_and_ctrl_vq)
{
	struct kvmini_error err = { { 0 } };
	struct virtio_net n;
	uint64_t f;
	int fds[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, fds), 0);
	cr_assert_eq(virtio_net_init(&n, fds[0], mac, 0, &err), 0);
	cr_assert_eq(virtio_net_set_max_pairs(&n, 4), 0);
	f = virtio_net_features(&n);
	cr_assert(f & BIT(VIRTIO_NET_F_MQ));
	cr_assert(f & BIT(VIRTIO_NET_F_CTRL_VQ));
	cr_assert_not(f & BIT(18), "CTRL_RX is not offered");
	cr_assert_not(f & BIT(19), "CTRL_VLAN is not offered");
	cr_assert_eq(cfg_pairs(&n), 4);
	cr_assert_eq(virtio_net_check_features(&n, BIT(VIRTIO_F_VERSION_1) |
					       BIT(VIRTIO_NET_F_MQ) |
					       BIT(VIRTIO_NET_F_CTRL_VQ)), 0);
	cr_assert_eq(virtio_net_check_features(&n, BIT(VIRTIO_F_VERSION_1) |
					       BIT(VIRTIO_NET_F_MQ)), -EINVAL,
		     "MQ needs CTRL_VQ");
	cr_assert_eq(virtio_net_check_features(&n, BIT(VIRTIO_F_VERSION_1)), 0,
		     "a driver may still take one pair");
	cr_assert_eq(virtio_net_set_max_pairs(&n, 0), -EINVAL);
	cr_assert_eq(virtio_net_set_max_pairs(&n, 1), 0);
	cr_assert_not(virtio_net_features(&n) & BIT(VIRTIO_NET_F_MQ));
	virtio_net_destroy(&n);
	close(fds[0]);
	close(fds[1]);
}

/* ---- a multi-queue tap, where this machine lets us make one ---- */

Test(mq_tap, queues_and_the_multi_queue_error)
{
	struct kvmini_error err = { { 0 } };
	char ifname[IFNAMSIZ], name2[IFNAMSIZ], plain[IFNAMSIZ];
	struct ifreq ifr;
	int a, b, c;

	a = tap_open(NULL, "kvmq%d", 1, ifname, &err);
	if (a < 0)
		cr_skip_test("no usable /dev/net/tun here: %s", err.msg);
	b = tap_open(NULL, ifname, 1, name2, &err);
	cr_assert_geq(b, 0, "second queue: %s", err.msg);
	cr_assert_str_eq(ifname, name2);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_DETACH_QUEUE;
	cr_assert_eq(ioctl(b, TUNSETQUEUE, &ifr), 0);
	ifr.ifr_flags = IFF_ATTACH_QUEUE;
	cr_assert_eq(ioctl(b, TUNSETQUEUE, &ifr), 0);
	/* The same tap without IFF_MULTI_QUEUE is refused. */
	cr_assert_lt(tap_open(NULL, ifname, 0, plain, &err), 0);
	close(a);
	close(b);
	/* A single-queue tap asked for several queues: the fix is named. */
	c = tap_open(NULL, "kvmq%d", 0, plain, &err);
	cr_assert_geq(c, 0, "%s", err.msg);
	cr_assert_eq(ioctl(c, TUNSETPERSIST, 1), 0);
	close(c);
	cr_assert_lt(tap_open(NULL, plain, 1, ifname, &err), 0);
	cr_assert(strstr(err.msg, "multi_queue"), "%s", err.msg);
	cr_assert_null(strchr(err.msg, '\n'));
	c = tap_open(NULL, plain, 0, ifname, &err);
	cr_assert_geq(c, 0, "%s", err.msg);
	cr_assert_eq(ioctl(c, TUNSETPERSIST, 0), 0);
	close(c);
}
