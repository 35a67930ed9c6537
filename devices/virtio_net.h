/*
 * virtio_net.h - virtio-net device logic, independent of the transport
 * (virtio-pci calls into it): the features and configuration space the
 * driver sees, the host-end set-up that follows the negotiated features, and
 * a userspace data path that moves packets between the tap and the queues.
 * When vhost-net carries the packets (vmm/vhost_net.c), only the first two
 * parts are used.
 *
 * One queue pair: queue 0 receives (tap -> guest), queue 1 transmits. A
 * multiqueue NIC (vmm/netdev.c) is one struct virtio_net per pair, each on
 * its own tap queue fd, so no receive state is shared between pairs; the
 * queue numbers here are always the pair's own (0 rx, 1 tx).
 *
 * The host end is a struct net_io (devices/net_io.h): on a tap queue
 * (vmm/tap.c) opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, every packet
 * read or written carries the 12-byte virtio 1.x header in front. Any host
 * end that carries one whole packet per read and write in that format
 * works as well (the unit tests use an AF_UNIX SOCK_SEQPACKET pair).
 *
 * Life cycle, as the transport drives it:
 *   virtio_net_init             offloads the host end supports -> features
 *   virtio_net_features         what to offer the driver
 *   virtio_net_config_read      mac, status (LINK_UP), max_virtqueue_pairs
 *   virtio_net_set_irq          interrupt the driver, report broken queues
 *   virtio_net_set_poll         watch the tap or not
 *   virtio_net_queue_start      per queue at DRIVER_OK: checks the features,
 *                               configures the host end (header, offloads)
 *   virtio_net_kick             on a queue notification: tx drains the ring
 *                               into the tap, rx resumes a starved receive
 *   virtio_net_rx               when the tap is readable
 *   virtio_net_reset            on a device reset (status 0)
 *   virtio_net_destroy
 *
 * Receive: a packet is read into a bounce buffer, then copied into as many
 * receive chains as it needs (one without MRG_RXBUF; num_buffers says how
 * many); the chains are pushed only once the whole packet is placed. When
 * the ring runs dry mid-packet, the chains are given back (virtq_unpop),
 * the packet is kept, the device asks for a kick and stops watching the tap
 * until the driver adds buffers: nothing is dropped for lack of buffers. A
 * packet that cannot fit even in an empty ring (or, without MRG_RXBUF, in
 * one chain) is dropped and counted. Transmit: each chain's readable part
 * (header + frame) goes to the tap in one sendv, straight from guest RAM;
 * a packet the tap refuses is dropped and counted. Each pass interrupts a
 * queue at most once, and only if the driver asked (EVENT_IDX or
 * NO_INTERRUPT).
 *
 * A read error other than EAGAIN, or end of file, stops watching the
 * backend until the next receive kick (rx_errors counts them).
 *
 * Hostile input: every descriptor is checked by virtq_pop. In addition a
 * receive chain with device-readable buffers or with less room than the
 * header, and a transmit chain shorter than the header, break the queue:
 * kick or rx returns -EIO, the device stops watching the tap, and the queue
 * is reported through the irq's broken call (the transport then sets
 * DEVICE_NEEDS_RESET).
 *
 * Locking: none inside. All calls for one device must be serialised by the
 * caller (the transport calls the ops with its lock held; the I/O thread
 * takes the same lock around virtio_net_rx). The callbacks are called from
 * inside these calls.
 */
#ifndef KVMINI_VIRTIO_NET_H
#define KVMINI_VIRTIO_NET_H

#include <stdint.h>

#include "base/util.h"
#include "devices/net_io.h"
#include "devices/virtio_dev.h"
#include "devices/virtq.h"
#include "virtio_abi.h"

#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_NQUEUES 2
#define VIRTIO_NET_HDR_BYTES ((uint32_t)sizeof(struct virtio_net_hdr_v1))
/* Largest packet from the tap: a 64 KiB GSO frame, an Ethernet header, a VLAN tag. */
#define VIRTIO_NET_MAX_FRAME (65536 + 14 + 4)
#define VIRTIO_NET_RX_BUDGET 256  /* packets per virtio_net_rx call */

/* Called to start (on = 1) or stop (on = 0) watching the tap for packets. */
typedef void virtio_net_poll_fn(void *ctx, int on);

struct virtio_net {
	struct virtio_dev vdev;    /* queues 0 rx, 1 tx; features; interrupts */
	struct net_io io;          /* the host end (not owned) */
	unsigned int offloads;     /* VIRTIO_NET_TAP_* the host end supports */
	struct virtio_net_config_space cfg;  /* little-endian */
	struct virtq_chain *first; /* the first chain of the packet being placed */
	struct iovec *iov;         /* scratch for a transmit chain */
	uint8_t *pkt;              /* receive bounce buffer */
	uint32_t pkt_len;          /* bytes in pkt when pkt_pending */
	int pkt_pending;           /* a packet read from the tap, not yet placed */
	int polling;               /* the tap is being watched (last poll call) */
	uint16_t *rx_heads;        /* chains taken for the packet being placed */
	uint32_t *rx_lens;
	virtio_net_poll_fn *poll;
	void *poll_ctx;
	/* counters */
	uint64_t rx_packets, rx_bytes, rx_dropped, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_dropped;
};

/*
 * virtio_net_init - a device on the host end io with MAC address mac.
 * offloads says what that end can do (VIRTIO_NET_TAP_*; see
 * tap_probe_offloads in vmm/tap.h). Returns 0, or a negative errno with a
 * one-line reason in err.
 */
int virtio_net_init(struct virtio_net *n, struct net_io io, const uint8_t mac[6],
		    unsigned int offloads, struct kvmini_error *err) MUST_CHECK;

/* virtio_net_destroy - free the buffers (the host end is the caller's). */
void virtio_net_destroy(struct virtio_net *n);

/*
 * virtio_net_features - VERSION_1, MAC, STATUS, MRG_RXBUF, EVENT_IDX,
 * INDIRECT_DESC, CTRL_VQ and MQ with more than one pair (see
 * virtio_net_set_max_pairs), and per host-end offload: CSUM and GUEST_CSUM,
 * HOST_ and GUEST_TSO4/TSO6/ECN/UFO.
 */
uint64_t virtio_net_features(const struct virtio_net *n);

/*
 * virtio_net_set_max_pairs - the device has pairs queue pairs (1..0x8000):
 * max_virtqueue_pairs in config space, and for more than one CTRL_VQ and
 * MQ offered (the transport serves the control queue, devices/
 * virtio_net_ctrl.c). Each pair is a struct virtio_net of its own; call
 * this on every one, so each accepts the same features. Returns 0 or
 * -EINVAL.
 */
int virtio_net_set_max_pairs(struct virtio_net *n, unsigned int pairs) MUST_CHECK;

/* virtio_net_config_read - len bytes of config space at off; past its end 0. */
void virtio_net_config_read(const struct virtio_net *n, uint64_t off, void *data,
			    unsigned int len);

/*
 * virtio_net_set_irq - how to interrupt the driver and report a broken
 * queue; the pair's rx queue is the transport's irq.qbase, tx the next.
 */
void virtio_net_set_irq(struct virtio_net *n, struct virtio_irq irq);

/* virtio_net_set_poll - how to start and stop watching the tap. */
void virtio_net_set_poll(struct virtio_net *n, virtio_net_poll_fn *poll, void *ctx);

/*
 * virtio_net_check_features - 0 if features is a set the driver may
 * negotiate: only offered bits, VERSION_1, and each offload with the
 * checksum feature it needs, MQ only with CTRL_VQ. Else -EINVAL.
 */
int virtio_net_check_features(const struct virtio_net *n, uint64_t features) MUST_CHECK;

/*
 * virtio_net_configure_backend - tell the host end the header size (12)
 * and the offloads it may use towards the guest (from GUEST_CSUM,
 * GUEST_TSO4/6, GUEST_ECN, GUEST_UFO in features). Returns 0 or a negative
 * errno; a host end with nothing to configure returns 0.
 */
int virtio_net_configure_backend(struct virtio_net *n, uint64_t features) MUST_CHECK;

/*
 * virtio_net_queue_start - use vq as queue q (0 rx, 1 tx) with the
 * negotiated features: checks them, configures the host end, and for rx
 * starts watching it. Returns 0, or -EINVAL (bad q, features, or set-up).
 */
int virtio_net_queue_start(struct virtio_net *n, unsigned int q, struct virtq *vq,
			   uint64_t features) MUST_CHECK;

/*
 * virtio_net_kick - queue q was kicked. tx: send every available chain;
 * rx: buffers were added, resume receiving. Returns the packets moved,
 * -EINVAL if q is not started, or -EIO if the queue is (now) broken.
 */
int virtio_net_kick(struct virtio_net *n, unsigned int q) MUST_CHECK;

/*
 * virtio_net_rx - the tap is readable: move up to VIRTIO_NET_RX_BUDGET
 * packets into the receive queue. Returns the packets delivered, or -EIO
 * if the queue is (now) broken. Stops watching the tap when there is no
 * receive queue, no room, or a broken queue.
 */
int virtio_net_rx(struct virtio_net *n) MUST_CHECK;

/* virtio_net_reset - forget the queues and any half-received packet. */
void virtio_net_reset(struct virtio_net *n);

#endif
