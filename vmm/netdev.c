/* netdev.c - see netdev.h. */
#include "vmm/netdev.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"

#define NET_QUEUE_SIZE 256
#define PCI_CLASS_NETWORK_ETHERNET 0x020000
#define DEVICE_BITS ((1ULL << 24) - 1)   /* feature bits 0-23 are the device's */
#define PAIR_LOGS 16   /* active-count changes logged at info level, then debug */

/* Queue q's pair (q < 2 * npairs): rx is 2 * index, tx 2 * index + 1. */
static struct netdev_pair *pair_of(struct netdev *d, unsigned int q)
{
	return &d->pair[q / 2];
}

static int is_ctrl(const struct netdev *d, unsigned int q)
{
	return d->npairs > 1 && q == 2 * d->npairs;
}

/* Watch a pair's tap exactly when its device wants it and the pair is active. */
static void update_poll(struct netdev_pair *p)
{
	if (p->want_poll && p->active) {
		if (vdev_watch_add(&p->d->v, &p->tap))
			log_warn("%s: cannot watch tap queue %u; its receive stops", p->d->v.name,
				 p->index);
	} else {
		vdev_watch_del(&p->d->v, &p->tap);
	}
}

/* Attach or detach pair p's tap queue (multiqueue taps only). */
static int tap_queue_attach(struct netdev_pair *p, int on)
{
	int r;

	if (p->d->npairs == 1 || p->attached == on)
		return 0;
	if ((r = tap_set_queue(p->tap_fd, on)))
		return r;
	p->attached = on;
	return 0;
}

int netdev_set_pairs(struct netdev *d, unsigned int pairs)
{
	unsigned int i;
	int r, ret = 0;

	if (pairs < 1 || pairs > d->npairs)
		return -EINVAL;
	for (i = 0; i < d->npairs; i++) {
		struct netdev_pair *p = &d->pair[i];

		p->active = i < pairs;
		r = tap_queue_attach(p, p->active);
		if (r) {
			log_errno(-r, "%s: cannot %s tap queue %u", d->v.name,
				  p->active ? "attach" : "detach", i);
			ret = r;
		}
		update_poll(p);
	}
	if (d->active != pairs) {
		if (d->pair_logs < PAIR_LOGS) {
			d->pair_logs++;
			log_info("%s: %u of %u queue pairs active", d->v.name, pairs, d->npairs);
		} else {
			log_debug("%s: %u of %u queue pairs active", d->v.name, pairs, d->npairs);
		}
	}
	d->active = pairs;
	return ret;
}

/* ---- the device on the transport (vp->lock held in every op) ---- */

static uint64_t ops_features(void *dev)
{
	struct netdev *d = dev;
	uint64_t f = virtio_net_features(&d->pair[0].net);

	if (d->use_vhost)
		f &= DEVICE_BITS | vhost_net_ring_features(&d->pair[0].vhost);
	return f;
}

static void ops_config_read(void *dev, uint64_t off, void *data, unsigned int len)
{
	virtio_net_config_read(&((struct netdev *)dev)->pair[0].net, off, data, len);
}

/* Hand queue q (the pair's queue lq: 0 rx, 1 tx) to the pair's vhost-net. */
static int vhost_queue_start(struct netdev *d, unsigned int q, struct virtq *vq,
			     uint64_t features)
{
	struct netdev_pair *p = pair_of(d, q);
	unsigned int lq = q % 2;
	int call, r;

	if (virtio_net_check_features(&p->net, features) ||
	    virtio_net_configure_backend(&p->net, features))
		return -EINVAL;
	if (!p->vhost_started) {
		r = vhost_net_start(&p->vhost, features, d->mem);
		if (r) {
			log_errno(-r, "%s: vhost-net refused the features or memory", d->v.name);
			return r;
		}
		p->vhost_started = 1;
	}
	call = virtio_pci_queue_irqfd(&d->vp, q);
	if (call < 0) {
		/* No MSI-X vector: the I/O thread turns vhost's signal into INTx. */
		call = d->call_fd[q];
		if ((r = vdev_watch_add(&d->v, &d->call[q])))
			return r;
	}
	r = vhost_net_queue_start(&p->vhost, lq, vq, virtio_pci_kick_fd(&d->vp, q), call,
				  p->tap_fd);
	if (r)
		log_errno(-r, "%s: vhost-net refused queue %u", d->v.name, q);
	return r;
}

static int ops_queue_start(void *dev, unsigned int q, struct virtq *vq, uint64_t features)
{
	struct netdev *d = dev;

	if (is_ctrl(d, q)) {
		if (virtio_net_check_features(&d->pair[0].net, features))
			return -EINVAL;
		virtio_net_ctrl_start(&d->ctrl, vq);
		return 0;
	}
	if (q >= 2 * d->npairs)
		return -EINVAL;
	if (d->use_vhost)
		return vhost_queue_start(d, q, vq, features);
	return virtio_net_queue_start(&pair_of(d, q)->net, q % 2, vq, features);
}

static int ops_kick(void *dev, unsigned int q)
{
	struct netdev *d = dev;

	if (is_ctrl(d, q))
		return virtio_net_ctrl_kick(&d->ctrl);
	if (q >= 2 * d->npairs)
		return -EINVAL;
	return virtio_net_kick(&pair_of(d, q)->net, q % 2);
}

static void ops_reset(void *dev)
{
	struct netdev *d = dev;
	unsigned int i, q;

	for (i = 0; i < d->npairs; i++) {
		struct netdev_pair *p = &d->pair[i];

		if (d->use_vhost) {
			vhost_net_stop(&p->vhost);
			p->vhost_started = 0;
		}
		virtio_net_reset(&p->net);
	}
	if (d->use_vhost)
		for (q = 0; q < d->nqueues; q++)
			vdev_watch_del(&d->v, &d->call[q]);
	if (d->ctrl_ok)
		virtio_net_ctrl_reset(&d->ctrl);
	if (d->npairs > 1 && netdev_set_pairs(d, 1))
		log_warn("%s: the extra tap queues stay attached after the reset", d->v.name);
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

static void on_poll(void *ctx, int on)
{
	struct netdev_pair *p = ctx;

	p->want_poll = on;
	update_poll(p);
}

static int on_ctrl_pairs(void *ctx, unsigned int pairs)
{
	return netdev_set_pairs(ctx, pairs);
}

/* ---- I/O thread handlers ---- */

/*
 * A pair's tap is readable. A receive queue found broken is reported by
 * the device itself, with its number, through virtio_pci_irq.
 */
static void on_tap(void *ctx)
{
	struct vdev_watch *w = ctx;
	struct netdev *d = w->owner;

	virtio_pci_lock(&d->vp);
	if (virtio_net_rx(&d->pair[w->n].net) < 0) {
		/* broken, and reported */
	}
	virtio_pci_unlock(&d->vp);
}

/* vhost signalled queue w->n and there is no MSI-X vector: raise INTx. */
static void on_call(void *ctx)
{
	struct vdev_watch *w = ctx;
	struct netdev *d = w->owner;
	uint64_t n;

	if (read(d->call_fd[w->n], &n, sizeof(n)) < 0)
		return;
	virtio_pci_lock(&d->vp);
	virtio_pci_notify(&d->vp, w->n);
	virtio_pci_unlock(&d->vp);
}

/* ---- set-up ---- */

/* One /dev/vhost-net per pair, as nic->vhost says. */
static int open_vhost(struct netdev *d, const struct kvmini_nic *nic,
		      struct kvmini_error *err)
{
	struct kvmini_error verr;
	unsigned int i;
	int r = 0;

	if (nic->vhost == 0)
		return 0;
	for (i = 0; i < d->npairs && !r; i++)
		r = vhost_net_open(&d->pair[i].vhost, NULL, &verr);
	if (r == 0) {
		d->use_vhost = 1;
		return 0;
	}
	while (i-- > 0)
		if (d->pair[i].vhost.fd >= 0)
			vhost_net_close(&d->pair[i].vhost);
	if (nic->vhost > 0)
		return set_err(err, -r, "tap '%s' with vhost=on: %s", d->ifname, verr.msg);
	log_warn("tap '%s': vhost-net unavailable (%s); using the userspace data path",
		 d->ifname, verr.msg);
	return 0;
}

static int open_backends(struct netdev *d, const struct kvmini_nic *nic,
			 struct kvmini_error *err)
{
	unsigned int i;
	int r;

	for (i = 0; i < d->npairs; i++) {
		/* Later queues name the tap the kernel gave (nic->tap may be a pattern). */
		r = tap_open(NULL, i ? d->ifname : nic->tap, d->npairs > 1, d->ifname,
				    err);
		if (r < 0)
			return r;
		d->pair[i].tap_fd = r;
		d->pair[i].attached = 1;
	}
	snprintf(d->v.name, sizeof(d->v.name), "net %s", d->ifname);
	return open_vhost(d, nic, err);
}

/* Pair i's device state on its tap fd; every pair offers the same. */
static int pair_init(struct netdev *d, unsigned int i, const uint8_t mac[6],
		     unsigned int offloads, struct kvmini_error *err)
{
	struct netdev_pair *p = &d->pair[i];
	int r;

	tap_backend_init(&p->tap_be, p->tap_fd);
	r = virtio_net_init(&p->net, tap_backend_io(&p->tap_be), mac, offloads, err);
	if (r)
		return r;
	p->net_ok = 1;
	if (virtio_net_set_max_pairs(&p->net, d->npairs))
		return set_err(err, EINVAL, "tap '%s': bad queue pair count %u", d->ifname,
			       d->npairs);
	/* The pair's rx queue is the transport's 2 * i, its tx queue 2 * i + 1. */
	virtio_net_set_irq(&p->net, virtio_pci_irq(&d->vp, 2 * i));
	virtio_net_set_poll(&p->net, on_poll, p);
	vdev_watch_init(&p->tap, p->tap_fd, on_tap, d, i);
	return 0;
}

/* The I/O thread's handlers: doorbells (userspace path, control queue), calls. */
static int queue_handlers(struct netdev *d, struct kvmini_error *err)
{
	unsigned int q;
	int r;

	for (q = 0; q < d->nqueues; q++) {
		if (d->use_vhost && !is_ctrl(d, q)) {
			/* vhost polls the doorbells itself. */
			d->call_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (d->call_fd[q] < 0)
				return set_err_host(err, errno, "eventfd: %s", strerror(errno));
			vdev_watch_init(&d->call[q], d->call_fd[q], on_call, d, q);
		} else if ((r = vdev_watch_kick(&d->v, q))) {
			return set_err_host(err, -r, "tap '%s': cannot watch its queue", d->ifname);
		}
	}
	return 0;
}

int netdev_create(struct netdev *d, const struct kvmini_nic *nic, unsigned int index,
		  const struct vdev_host *host, struct kvmini_error *err)
{
	char what[IFNAMSIZ + 8];
	uint8_t mac[6];
	unsigned int i, offloads;
	int r;

	memset(d, 0, sizeof(*d));
	d->npairs = 1;
	for (i = 0; i < KVMINI_NIC_MAX_QUEUES; i++) {
		d->pair[i] = (struct netdev_pair){ .d = d, .index = i, .tap_fd = -1 };
		d->pair[i].vhost.fd = -1;
	}
	for (i = 0; i < NETDEV_MAX_QUEUES; i++)
		d->call_fd[i] = -1;
	d->mem = host->mem;
	if (!nic->tap)
		return set_err(err, EINVAL, "a NIC needs a tap name (tap=NAME)");
	if (nic->queues > KVMINI_NIC_MAX_QUEUES)
		return set_err(err, EINVAL, "tap '%s': queues=%u, at most %d", nic->tap,
			       nic->queues, KVMINI_NIC_MAX_QUEUES);
	if (nic->queues)
		d->npairs = nic->queues;
	d->nqueues = 2 * d->npairs + (d->npairs > 1);
	d->active = d->npairs;
	r = open_backends(d, nic, err);
	if (r)
		return r;
	if (nic->has_mac)
		memcpy(mac, nic->mac, 6);
	else
		tap_default_mac(d->ifname, index, mac);
	offloads = tap_probe_offloads(d->pair[0].tap_fd, NULL);
	for (i = 0; i < d->npairs; i++)
		if ((r = pair_init(d, i, mac, offloads, err)))
			return r;
	if (d->npairs > 1) {
		r = virtio_net_ctrl_init(&d->ctrl, d->npairs, on_ctrl_pairs, d);
		if (r)
			return set_err(err, -r, "tap '%s': no control queue: %s", d->ifname,
				       strerror(-r));
		d->ctrl_ok = 1;
		/* The control queue follows the pairs' queues. */
		virtio_net_ctrl_set_irq(&d->ctrl, virtio_pci_irq(&d->vp, 2 * d->npairs));
	}
	snprintf(what, sizeof(what), "tap '%s'", d->ifname);
	r = vdev_create(&d->v, &d->vp, &net_ops, d, d->nqueues, NET_QUEUE_SIZE, host, "net",
			what, err);
	if (r)
		return r;
	if ((r = queue_handlers(d, err)))
		return r;
	/* Until the driver sets more, only the first pair carries packets. */
	d->pair_logs = PAIR_LOGS;   /* the first change is not news */
	r = netdev_set_pairs(d, 1);
	d->pair_logs = 0;
	if (r)
		return set_err(err, -r, "tap '%s': cannot detach its extra queues: %s",
			       d->ifname, strerror(-r));
	log_info("%s: tap %s, mac %02x:%02x:%02x:%02x:%02x:%02x, %s data path, %u queue pair%s",
		 d->v.name, d->ifname, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
		 d->use_vhost ? "vhost-net" : "userspace", d->npairs, d->npairs > 1 ? "s" : "");
	return 0;
}

void netdev_destroy(struct netdev *d)
{
	unsigned int i, q;

	for (i = 0; i < d->npairs; i++)
		if (d->pair[i].vhost.fd >= 0)
			vhost_net_close(&d->pair[i].vhost);
	for (q = 0; q < d->nqueues; q++)
		vdev_watch_del(&d->v, &d->call[q]);
	for (i = 0; i < d->npairs; i++)
		vdev_watch_del(&d->v, &d->pair[i].tap);
	for (q = 0; q < NETDEV_MAX_QUEUES; q++) {
		if (d->call_fd[q] >= 0)
			close(d->call_fd[q]);
		d->call_fd[q] = -1;
	}
	vdev_destroy(&d->v);
	if (d->ctrl_ok)
		virtio_net_ctrl_destroy(&d->ctrl);
	for (i = 0; i < d->npairs; i++) {
		struct netdev_pair *p = &d->pair[i];

		if (p->net_ok)
			virtio_net_destroy(&p->net);
		if (p->tap_fd >= 0)
			close(p->tap_fd);
		p->net_ok = 0;
		p->tap_fd = -1;
	}
	d->ctrl_ok = 0;
}
