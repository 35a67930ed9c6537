/*
 * test_virtio_net_ctrl.c - virtio-net multiqueue without KVM: the control
 * queue (devices/virtio_net_ctrl.c) driven by the shared fake driver
 * (fake_driver.c) on a virtqueue in heap-backed guest RAM: VQ_PAIRS_SET in
 * and out of range, other classes, the ack byte and used length, a command
 * split over descriptors, chains that must break the queue (every hostile
 * one among them, reported with the transport's queue number). Also which
 * features and max_virtqueue_pairs a device shows with one pair and with
 * several, and a multi-queue tap where this machine lets us make one.
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

#include "devices/virtio_net.h"
#include "devices/virtio_net_ctrl.h"
#include "fake_driver.c"
#include "vmm/tap.h"

#define RAM_SIZE (1ULL << 20)
#define QSIZE 16
#define CTRL_Q 8         /* the control queue of a 4-pair NIC */
#define BIT(n) (1ULL << (n))

static struct fd_queue q;
static struct virtq vq;
static struct virtio_net_ctrl ctrl;
static unsigned int notified, broken, calls, last_pairs;
static int refuse;                 /* set_pairs fails */

static int set_pairs(void *ctx, unsigned int pairs)
{
	cr_assert_eq(ctx, &ctrl);
	calls++;
	if (refuse)
		return -EIO;
	last_pairs = pairs;
	return 0;
}

static void on_notify(void *ctx, unsigned int qn)
{
	cr_assert_eq(ctx, &ctrl);
	cr_assert_eq(qn, CTRL_Q);
	notified++;
}

static void on_broken(void *ctx, unsigned int qn)
{
	cr_assert_eq(ctx, &ctrl);
	cr_assert_eq(qn, CTRL_Q);
	broken++;
}

/* The control queue, placed and started afresh. */
static void start_queue(void)
{
	fd_queue_init(&q, QSIZE);
	fd_queue_start(&q, &vq, 0, 1);
	virtio_net_ctrl_start(&ctrl, &vq);
}

static void setup(void)
{
	fd_ram_init(RAM_SIZE);
	notified = broken = calls = last_pairs = 0;
	refuse = 0;
	cr_assert_eq(virtio_net_ctrl_init(&ctrl, 4, set_pairs, &ctrl), 0);
	virtio_net_ctrl_set_irq(&ctrl, (struct virtio_irq){ .notify = on_notify,
		.broken = on_broken, .ctx = &ctrl, .qbase = CTRL_Q });
	start_queue();
}

static void teardown(void)
{
	virtio_net_ctrl_destroy(&ctrl);
	fd_ram_fini();
}

TestSuite(ctrl, .init = setup, .fini = teardown);

static struct virtq_used *used(void)
{
	return fd_used(&q);
}

static uint8_t byte_at(uint64_t gpa)
{
	return *(uint8_t *)fd_ptr(gpa, 1);
}

/* The layout Linux uses: header, data, ack in three descriptors. Returns the ack gpa. */
static uint64_t command(uint8_t cls, uint8_t cmd, const void *data, uint32_t len)
{
	uint8_t hdr[2] = { cls, cmd };
	uint64_t ack = fd_put("\xee", 1);
	struct fd_seg s[3];
	unsigned int n = 0;

	s[n++] = FD_R(fd_put(hdr, 2), 2);
	if (len)
		s[n++] = FD_R(fd_put(data, len), len);
	s[n++] = FD_W(ack, 1);
	fd_add(&q, s, n, 0);
	return ack;
}

static uint64_t pairs_set(uint16_t pairs)
{
	uint16_t le = htole16(pairs);

	return command(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &le, 2);
}

Test(ctrl, pairs_set_in_range)
{
	uint64_t ack = pairs_set(3);

	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 1);
	cr_assert_eq(byte_at(ack), VIRTIO_NET_OK);
	cr_assert_eq(calls, 1);
	cr_assert_eq(last_pairs, 3);
	cr_assert_eq(ctrl.pairs, 3);
	cr_assert_eq(used()->idx, 1);
	cr_assert_eq(used()->ring[0].len, 1, "one byte written: the ack");
	cr_assert_eq(notified, 1);
	ack = pairs_set(4);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 1);
	cr_assert_eq(byte_at(ack), VIRTIO_NET_OK);
	cr_assert_eq(last_pairs, 4);
	ack = pairs_set(1);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 1);
	cr_assert_eq(byte_at(ack), VIRTIO_NET_OK);
	cr_assert_eq(last_pairs, 1);
	cr_assert_eq(ctrl.errors, 0);
}

Test(ctrl, pairs_out_of_range_refused)
{
	uint64_t zero = pairs_set(0), five = pairs_set(5), big = pairs_set(0x8000);

	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 3, "three commands answered in one kick");
	cr_assert_eq(byte_at(zero), VIRTIO_NET_ERR);
	cr_assert_eq(byte_at(five), VIRTIO_NET_ERR);
	cr_assert_eq(byte_at(big), VIRTIO_NET_ERR);
	cr_assert_eq(calls, 0, "the device is not asked");
	cr_assert_eq(ctrl.pairs, 1);
	cr_assert_eq(ctrl.errors, 3);
	cr_assert_eq(used()->idx, 3);
}

Test(ctrl, failing_device_answers_err)
{
	uint64_t ack;

	refuse = 1;
	ack = pairs_set(2);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 1);
	cr_assert_eq(byte_at(ack), VIRTIO_NET_ERR);
	cr_assert_eq(calls, 1);
	cr_assert_eq(ctrl.pairs, 1);
}

Test(ctrl, other_classes_and_short_data_answer_err)
{
	uint8_t on = 1;
	uint16_t le = htole16(2);
	uint64_t rx = command(0 /* VIRTIO_NET_CTRL_RX */, 0 /* PROMISC */, &on, 1);
	uint64_t mq_other = command(VIRTIO_NET_CTRL_MQ, 1 /* RSS_CONFIG */, &le, 2);
	uint64_t shorty = command(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &on, 1);
	uint64_t none = command(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, NULL, 0);

	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 4);
	cr_assert_eq(byte_at(rx), VIRTIO_NET_ERR);
	cr_assert_eq(byte_at(mq_other), VIRTIO_NET_ERR);
	cr_assert_eq(byte_at(shorty), VIRTIO_NET_ERR);
	cr_assert_eq(byte_at(none), VIRTIO_NET_ERR);
	cr_assert_eq(calls, 0);
	cr_assert_not(vq.broken, "well-formed chains keep the queue");
}

Test(ctrl, command_in_one_descriptor_split_differently)
{
	/* class, command and the pair count in one buffer; the ack in another. */
	uint8_t cmd[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0 }, ack = 9;
	uint64_t ack_gpa = fd_put(&ack, 1);
	struct fd_seg s[2] = { FD_R(fd_put(cmd, 4), 4), FD_W(ack_gpa, 1) };

	fd_add(&q, s, 2, 0);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), 1);
	cr_assert_eq(byte_at(ack_gpa), VIRTIO_NET_OK);
	cr_assert_eq(last_pairs, 2);
}

Test(ctrl, no_ack_byte_breaks_the_queue)
{
	uint8_t cmd[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0 };
	struct fd_seg s = FD_R(fd_put(cmd, 4), 4);

	fd_add(&q, &s, 1, 0);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), -EIO);
	cr_assert(vq.broken);
	cr_assert_eq(broken, 1, "reported as the control queue");
	cr_assert_eq(calls, 0, "a command without an ack is not run");
	cr_assert_eq(used()->idx, 0);
	pairs_set(2);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), -EIO, "nothing more from a broken queue");
	cr_assert_eq(calls, 0);
}

Test(ctrl, short_header_breaks_the_queue)
{
	uint8_t cls = VIRTIO_NET_CTRL_MQ, ack = 0;
	struct fd_seg s[2] = { FD_R(fd_put(&cls, 1), 1), FD_W(fd_put(&ack, 1), 1) };

	fd_add(&q, s, 2, 0);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), -EIO);
	cr_assert(vq.broken);
	cr_assert_eq(used()->idx, 0);
}

Test(ctrl, only_writable_breaks_the_queue)
{
	uint8_t buf[4] = { 0 };
	struct fd_seg s = FD_W(fd_put(buf, 4), 4);

	fd_add(&q, &s, 1, 0);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), -EIO);
	cr_assert(vq.broken);
}

Test(ctrl, descriptor_outside_ram_breaks_the_queue)
{
	struct fd_seg s[2] = { FD_R(RAM_SIZE - 1, 16), FD_W(fd_put("x", 1), 1) };

	fd_add(&q, s, 2, 0);
	cr_assert_eq(virtio_net_ctrl_kick(&ctrl), -EIO);
	cr_assert(vq.broken);
	cr_assert_eq(calls, 0);
}

Test(ctrl, every_hostile_chain_breaks_the_queue)
{
	unsigned int h;

	for (h = 0; h < FD_HOSTILE_COUNT; h++) {
		start_queue();
		broken = 0;
		pairs_set(2);   /* a good command first: answered */
		fd_hostile(&q, h);
		cr_assert_eq(virtio_net_ctrl_kick(&ctrl), -EIO, "%s accepted", fd_hostile_name(h));
		cr_assert(vq.broken, "%s", fd_hostile_name(h));
		cr_assert_eq(broken, 1, "%s not reported", fd_hostile_name(h));
		cr_assert_eq(used()->idx, h == FD_AVAIL_JUMP ? 0 : 1, "%s", fd_hostile_name(h));
	}
}

Test(ctrl, not_started_and_reset)
{
	struct virtio_net_ctrl c;

	cr_assert_eq(virtio_net_ctrl_init(&c, 2, NULL, NULL), 0);
	cr_assert_eq(virtio_net_ctrl_kick(&c), -EINVAL);
	virtio_net_ctrl_destroy(&c);
	cr_assert_eq(virtio_net_ctrl_init(&c, 0, NULL, NULL), -EINVAL);
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
	struct kvmini_error err = { .msg = "" };
	struct tap_backend tb;
	struct virtio_net n;
	int fds[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, fds), 0);
	tap_backend_init(&tb, fds[0]);
	cr_assert_eq(virtio_net_init(&n, tap_backend_io(&tb), mac, 0, &err), 0);
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
	struct kvmini_error err = { .msg = "" };
	struct tap_backend tb;
	struct virtio_net n;
	uint64_t f;
	int fds[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, fds), 0);
	tap_backend_init(&tb, fds[0]);
	cr_assert_eq(virtio_net_init(&n, tap_backend_io(&tb), mac, 0, &err), 0);
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
	struct kvmini_error err = { .msg = "" };
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
