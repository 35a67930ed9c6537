/* virtio_net.c - see virtio_net.h. Device: virtio 1.x, 5.1. */
#include "virtio_net.h"
#include "runtime.h"

#define RX_QUEUE     0
#define TX_QUEUE     1
#define NET_QUEUE_MAX 256
#define NET_HDR      sizeof(struct virtio_net_hdr_v1)   /* 12 */
#define NET_BUF_SIZE 2048u   /* >= 1526: header and a full frame, no MRG_RXBUF */
#define TX_WAIT_NS   (5ull * 1000000000ull)
#define NET_CFG_MAC  0x00

/* Used when the device has no MAC address of its own: locally administered. */
static const uint8_t fallback_mac[6] = { 0x02, 0x6b, 0x76, 0x6d, 0x00, 0x01 };

/* Stop using the device after something it did wrong. */
static int give_up(struct net_dev *n, const char *what)
{
	con_printf("# net: device returned an invalid %s used entry; device reset, port "
		   "given up\n", what);
	n->state = -1;
	if (virtio_reset(&n->vd) == 0)
		virtio_fail(&n->vd);
	return -PLAT_EIO;
}

/* Hand receive buffer i to the device (published at the next rx kick). */
static int post_rx(struct net_dev *n, uint32_t i)
{
	struct vring_seg s = { (uint64_t)(uintptr_t)(n->rx_bufs + (size_t)i * NET_BUF_SIZE),
			       NET_BUF_SIZE, 1 };

	return vring_add(&n->rx, &s, 1, i);
}

int virtio_net_recv(struct net_dev *n, void *frame, size_t size, uint64_t timeout_ns)
{
	uint64_t t0 = plat_time_ns();
	uint32_t i, len;

	if (n->state != 1)
		return n->state ? -PLAT_EIO : -PLAT_ENODEV;
	for (;;) {
		int r = vring_poll(&n->rx, &i, &len);

		if (r < 0 || (r == 1 && len < NET_HDR))
			return give_up(n, "receive");
		if (r == 1) {
			size_t flen = len - NET_HDR;

			if (flen > size)
				flen = size;
			memcpy(frame, n->rx_bufs + (size_t)i * NET_BUF_SIZE + NET_HDR, flen);
			/* Back to the device; published a quarter of the ring at a
			 * time, as every publication costs a notification. */
			post_rx(n, i);   /* cannot fail: its descriptor just came back */
			if (n->rx.unpublished >= n->rx.size / 4u)
				vring_kick(&n->rx);
			return (int)flen;
		}
		/* Nothing yet: the device holds at least three quarters of the
		 * buffers, so waiting cannot starve it; publish if it ever does not. */
		if (vring_device_held(&n->rx) < n->rx.size / 2u)
			vring_kick(&n->rx);
		if (plat_time_ns() - t0 >= timeout_ns)
			return 0;
		__asm__ volatile("pause");
	}
}

/* Take back the transmit buffers the device is done with. Returns 0 or -PLAT_EIO. */
static int reclaim_tx(struct net_dev *n)
{
	uint32_t i, len;
	int r;

	while ((r = vring_poll(&n->tx, &i, &len)) == 1)
		n->tx_free[n->tx_nfree++] = (uint16_t)i;
	return r < 0 ? give_up(n, "transmit") : 0;
}

int virtio_net_send(struct net_dev *n, const void *frame, size_t len)
{
	uint64_t t0 = plat_time_ns();
	struct vring_seg s;
	uint8_t *buf;
	uint16_t i;

	if (n->state != 1)
		return n->state ? -PLAT_EIO : -PLAT_ENODEV;
	if (!frame || len == 0 || len > PLAT_NET_MTU_FRAME)
		return -PLAT_EINVAL;
	for (;;) {
		if (reclaim_tx(n))
			return -PLAT_EIO;
		if (n->tx_nfree)
			break;
		if (plat_time_ns() - t0 > TX_WAIT_NS) {
			con_printf("# net: no transmit buffer came back within 5 s (%u in flight, "
				   "device status %#x)\n", vring_in_flight(&n->tx),
				   virtio_status(&n->vd));
			return -PLAT_EIO;
		}
		__asm__ volatile("pause");
	}
	i = n->tx_free[--n->tx_nfree];
	buf = n->tx_bufs + (size_t)i * NET_BUF_SIZE;
	memset(buf, 0, NET_HDR);   /* no checksum or segmentation offload */
	memcpy(buf + NET_HDR, frame, len);
	s = (struct vring_seg){ (uint64_t)(uintptr_t)buf, (uint32_t)(NET_HDR + len), 0 };
	if (vring_add(&n->tx, &s, 1, i)) {
		n->tx_free[n->tx_nfree++] = i;   /* cannot happen: one descriptor per buffer */
		return -PLAT_EIO;
	}
	vring_kick(&n->tx);
	return 0;
}

/* Rings, buffers and the MAC address; the device is not live yet. */
static int setup(struct net_dev *n)
{
	unsigned int k;
	uint64_t v;

	if (virtio_negotiate(&n->vd, 1ull << VIRTIO_NET_F_MAC) ||
	    virtio_queue_setup(&n->vd, RX_QUEUE, NET_QUEUE_MAX, &n->rx) ||
	    virtio_queue_setup(&n->vd, TX_QUEUE, NET_QUEUE_MAX, &n->tx))
		return -PLAT_ENODEV;
	if (!n->rx_bufs)
		n->rx_bufs = mm_dma_alloc((uint64_t)n->rx.size * NET_BUF_SIZE, 4096);
	if (!n->tx_bufs)
		n->tx_bufs = mm_dma_alloc((uint64_t)n->tx.size * NET_BUF_SIZE, 4096);
	if (!n->rx_bufs || !n->tx_bufs) {
		con_printf("# net: no memory for packet buffers\n");
		return -PLAT_ENODEV;
	}
	for (k = 0; k < 6; k++) {
		n->mac[k] = fallback_mac[k];
		if (virtio_has(&n->vd, VIRTIO_NET_F_MAC) &&
		    virtio_cfg_read(&n->vd, NET_CFG_MAC + k, 1, &v) == 0)
			n->mac[k] = (uint8_t)v;
	}
	n->tx_nfree = 0;
	for (k = 0; k < n->tx.size; k++)
		n->tx_free[n->tx_nfree++] = (uint16_t)k;
	for (k = 0; k < n->rx.size; k++)
		post_rx(n, k);
	return 0;
}

static void fill_info(const struct net_dev *n, struct plat_net_info *info)
{
	memcpy(info->mac, n->mac, 6);
	info->how = "virtio-net-pci";
}

int virtio_net_open(struct net_dev *n, struct plat_net_info *info)
{
	int r = virtio_open_begin(&n->state, VIRTIO_ID_NET, "net", "virtio-net", &n->vd);

	if (r) {
		if (r > 0)
			fill_info(n, info);
		return r > 0 ? 0 : r;
	}
	if (setup(n) || virtio_driver_ok(&n->vd)) {
		virtio_fail(&n->vd);
		return -PLAT_ENODEV;
	}
	vring_kick(&n->rx);   /* the receive buffers, now that the device is live */
	n->state = 1;
	con_printf("# net: virtio-net-pci %04x:%04x at 00:%02x.%u (registers at %p): mac "
		   "%02x:%02x:%02x:%02x:%02x:%02x%s, rx queue %u, tx queue %u\n",
		   n->vd.pci.vendor, n->vd.pci.device, n->vd.pci.slot, n->vd.pci.fn,
		   (void *)n->vd.common,
		   n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
		   virtio_has(&n->vd, VIRTIO_NET_F_MAC) ? "" : " (fixed: device has none)",
		   n->rx.size, n->tx.size);
	fill_info(n, info);
	return 0;
}
