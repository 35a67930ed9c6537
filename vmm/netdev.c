/* netdev.c - see netdev.h. */
#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"

#define NET_QUEUE_SIZE 256
#define PCI_CLASS_NETWORK_ETHERNET 0x020000
#define DEVICE_BITS ((1ULL << 24) - 1)   /* feature bits 0-23 are the device's */

/* ---- the device on the transport (vp->lock held in every op) ---- */

static uint64_t ops_features(void *dev)
{
	struct netdev *d = dev;
	uint64_t f = virtio_net_features(&d->net);

	if (d->use_vhost)
		f &= DEVICE_BITS | vhost_net_ring_features(&d->vhost);
	return f;
}

static void ops_config_read(void *dev, uint64_t off, void *data, unsigned int len)
{
	virtio_net_config_read(&((struct netdev *)dev)->net, off, data, len);
}

static int handler_add(struct netdev *d, struct netdev_handler *h)
{
	int r = 0;

	if (!h->added && !(r = iothread_add(d->io, &h->h)))
		h->added = 1;
	return r;
}

static void handler_del(struct netdev *d, struct netdev_handler *h)
{
	if (h->added)
		iothread_del(d->io, &h->h);
	h->added = 0;
}

/* Hand queue q to vhost-net. */
static int vhost_queue_start(struct netdev *d, unsigned int q, struct virtq *vq,
			     uint64_t features)
{
	int call, r;

	if (virtio_net_check_features(&d->net, features) ||
	    virtio_net_configure_tap(&d->net, features))
		return -EINVAL;
	if (!d->vhost_started) {
		r = vhost_net_start(&d->vhost, features, d->mem);
		if (r) {
			log_errno(-r, "%s: vhost-net refused the features or memory", d->name);
			return r;
		}
		d->vhost_started = 1;
	}
	call = virtio_pci_queue_irqfd(&d->vp, q);
	if (call < 0) {
		/* No MSI-X vector: the I/O thread turns vhost's signal into INTx. */
		call = d->call_fd[q];
		if ((r = handler_add(d, &d->call[q])))
			return r;
	}
	r = vhost_net_queue_start(&d->vhost, q, vq, virtio_pci_kick_fd(&d->vp, q), call,
				  d->tap_fd);
	if (r)
		log_errno(-r, "%s: vhost-net refused queue %u", d->name, q);
	return r;
}

static int ops_queue_start(void *dev, unsigned int q, struct virtq *vq, uint64_t features)
{
	struct netdev *d = dev;

	if (d->use_vhost)
		return vhost_queue_start(d, q, vq, features);
	return virtio_net_queue_start(&d->net, q, vq, features);
}

static int ops_kick(void *dev, unsigned int q)
{
	return virtio_net_kick(&((struct netdev *)dev)->net, q);
}

static void ops_reset(void *dev)
{
	struct netdev *d = dev;
	unsigned int q;

	if (d->use_vhost) {
		vhost_net_stop(&d->vhost);
		d->vhost_started = 0;
		for (q = 0; q < VIRTIO_NET_NQUEUES; q++)
			handler_del(d, &d->call[q]);
	}
	virtio_net_reset(&d->net);
}

static const struct virtio_device_ops net_ops = {
	.device_id = 1,
	.class_code = PCI_CLASS_NETWORK_ETHERNET,
	.features = ops_features,
	.config_read = ops_config_read,
	.queue_start = ops_queue_start,
	.kick = ops_kick,
	.reset = ops_reset,
};

/* ---- callbacks from the device (lock held) ---- */

static void on_notify(void *ctx, unsigned int q)
{
	virtio_pci_notify(&((struct netdev *)ctx)->vp, q);
}

static void on_poll(void *ctx, int on)
{
	struct netdev *d = ctx;

	if (on && handler_add(d, &d->tap))
		log_warn("%s: cannot watch the tap; receive stops", d->name);
	else if (!on)
		handler_del(d, &d->tap);
}

/* ---- I/O thread handlers ---- */

static void on_kick(void *ctx)
{
	struct netdev_handler *h = ctx;

	virtio_pci_kick_ready(&h->d->vp, h->q);
}

static void on_tap(void *ctx)
{
	struct netdev *d = ((struct netdev_handler *)ctx)->d;

	virtio_pci_lock(&d->vp);
	if (virtio_net_rx(&d->net) == -EIO)
		virtio_pci_queue_broken(&d->vp, VIRTIO_NET_RXQ);
	virtio_pci_unlock(&d->vp);
}

static void on_call(void *ctx)
{
	struct netdev_handler *h = ctx;
	uint64_t n;

	if (read(h->d->call_fd[h->q], &n, sizeof(n)) < 0)
		return;
	virtio_pci_lock(&h->d->vp);
	virtio_pci_notify(&h->d->vp, h->q);
	virtio_pci_unlock(&h->d->vp);
}

/* ---- set-up ---- */

int netdev_open_tap(const char *tun_path, const char *name, char ifname[IFNAMSIZ],
		    struct kvmini_error *err)
{
	struct ifreq ifr;
	int fd, e;

	if (!tun_path)
		tun_path = "/dev/net/tun";
	if (strlen(name) >= IFNAMSIZ)
		return set_err(err, EINVAL, "tap name '%s' is longer than %d characters",
			       name, IFNAMSIZ - 1);
	fd = open(tun_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return set_err(err, e, "cannot open %s for tap '%s': %s%s", tun_path, name,
			       strerror(e), e == ENOENT ? " (load the tun module)" : "");
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		close(fd);
		return set_err(err, e, "cannot attach to tap '%s': %s%s", name, strerror(e),
			       e == EPERM ? " (needs CAP_NET_ADMIN, or a tap created for this user)" :
			       e == EBUSY ? " (another process holds it)" :
			       e == EINVAL ? " (is it a tun, or a multi-queue tap?)" : "");
	}
	snprintf(ifname, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

/* A locally administered unicast MAC from the tap name and the NIC index. */
static void default_mac(const char *name, unsigned int index, uint8_t mac[6])
{
	uint32_t h = 2166136261u;      /* FNV-1a */
	const char *p;

	for (p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ index) * 16777619u;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

static int open_backends(struct netdev *d, const struct kvmini_nic *nic,
			 struct kvmini_error *err)
{
	struct kvmini_error verr;
	int r;

	r = netdev_open_tap(NULL, nic->tap, d->ifname, err);
	if (r < 0)
		return r;
	d->tap_fd = r;
	snprintf(d->name, sizeof(d->name), "net %s", d->ifname);
	if (nic->vhost == 0)
		return 0;
	r = vhost_net_open(&d->vhost, NULL, &verr);
	if (r == 0) {
		d->use_vhost = 1;
		return 0;
	}
	if (nic->vhost > 0)
		return set_err(err, -r, "tap '%s' with vhost=on: %s", d->ifname, verr.msg);
	log_warn("tap '%s': vhost-net unavailable (%s); using the userspace data path",
		 d->ifname, verr.msg);
	return 0;
}

int netdev_create(struct netdev *d, const struct kvmini_nic *nic, unsigned int index,
		  const struct guest_mem *mem, struct msi_host msi, struct irq_line intx,
		  struct pci_bus *bus, struct iothread *io, struct kvmini_error *err)
{
	uint8_t mac[6];
	unsigned int q, offloads;
	int r;

	memset(d, 0, sizeof(*d));
	d->tap_fd = -1;
	d->vhost.fd = -1;
	d->call_fd[0] = d->call_fd[1] = -1;
	d->mem = mem;
	d->io = io;
	if (!nic->tap)
		return set_err(err, EINVAL, "a NIC needs a tap name (tap=NAME)");
	r = open_backends(d, nic, err);
	if (r)
		return r;
	if (nic->has_mac)
		memcpy(mac, nic->mac, 6);
	else
		default_mac(d->ifname, index, mac);
	offloads = virtio_net_tap_probe(d->tap_fd, NULL);
	r = virtio_net_init(&d->net, d->tap_fd, mac, offloads, err);
	if (r)
		return r;
	d->net_ok = 1;
	r = virtio_pci_init(&d->vp, &net_ops, d, mem, msi, intx, VIRTIO_NET_NQUEUES,
			   NET_QUEUE_SIZE);
	if (r)
		return set_err(err, -r, "tap '%s': cannot create its PCI function: %s",
			       d->ifname, strerror(-r));
	d->vp_ok = 1;
	virtio_net_set_callbacks(&d->net, on_notify, on_poll, d);
	r = pci_bus_add(bus, &d->vp.pci);
	if (r < 0)
		return set_err(err, -r, "tap '%s': no room on the PCI bus", d->ifname);
	snprintf(d->name, sizeof(d->name), "virtio-net@%02x", r);
	/* INTx fallback line: the DSDT's _PRT routes slot s pin A to GSI 16 + s % 4. */
	d->vp.intx.irq = 16 + (unsigned int)r % 4;
	d->vp.pci.cfg[PCI_INTERRUPT_LINE] = (uint8_t)d->vp.intx.irq;
	d->tap = (struct netdev_handler){ .d = d,
		.h = { .fd = d->tap_fd, .fn = on_tap, .ctx = &d->tap } };
	for (q = 0; q < VIRTIO_NET_NQUEUES; q++) {
		d->kick[q] = (struct netdev_handler){ .d = d, .q = q,
			.h = { .fd = virtio_pci_kick_fd(&d->vp, q), .fn = on_kick,
			       .ctx = &d->kick[q] } };
		if (d->use_vhost) {
			/* vhost polls the doorbells itself. */
			d->call_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (d->call_fd[q] < 0)
				return set_err(err, errno, "eventfd: %s", strerror(errno));
			d->call[q] = (struct netdev_handler){ .d = d, .q = q,
				.h = { .fd = d->call_fd[q], .fn = on_call, .ctx = &d->call[q] } };
		} else if ((r = handler_add(d, &d->kick[q]))) {
			return set_err(err, -r, "tap '%s': cannot watch its queue", d->ifname);
		}
	}
	log_info("%s: tap %s, mac %02x:%02x:%02x:%02x:%02x:%02x, %s data path", d->name,
		 d->ifname, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
		 d->use_vhost ? "vhost-net" : "userspace");
	return 0;
}

void netdev_destroy(struct netdev *d)
{
	unsigned int q;

	if (d->vhost.fd >= 0)
		vhost_net_close(&d->vhost);
	if (d->io) {
		for (q = 0; q < VIRTIO_NET_NQUEUES; q++) {
			handler_del(d, &d->kick[q]);
			handler_del(d, &d->call[q]);
		}
		handler_del(d, &d->tap);
	}
	for (q = 0; q < VIRTIO_NET_NQUEUES; q++)
		if (d->call_fd[q] >= 0)
			close(d->call_fd[q]);
	if (d->vp_ok)
		virtio_pci_destroy(&d->vp);
	if (d->net_ok)
		virtio_net_destroy(&d->net);
	if (d->tap_fd >= 0)
		close(d->tap_fd);
	d->vp_ok = d->net_ok = 0;
	d->tap_fd = -1;
	d->call_fd[0] = d->call_fd[1] = -1;
}
