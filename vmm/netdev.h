/*
 * netdev.h - one virtio-net NIC of a VM: a host tap, the device logic
 * (devices/virtio_net.c) on the PCI transport (devices/virtio_pci.c), and
 * one of two data paths:
 *
 *  - vhost-net (vmm/vhost_net.c): at DRIVER_OK the kernel gets the rings,
 *    each queue's doorbell ioeventfd as kick and its MSI-X irqfd as call, and
 *    the tap. The I/O thread watches nothing of this NIC; packets, kicks and
 *    interrupts never reach kvmini's userspace. A vector the driver masks
 *    has its eventfd detached from KVM (devices/virtio_pci.c), so vhost's
 *    signals wait until it is unmasked; a driver that did not enable MSI-X
 *    gets a call eventfd that the I/O thread turns into the INTx interrupt.
 *  - userspace: the I/O thread watches the tap and the queue doorbells and
 *    runs virtio_net_rx / virtio_net_kick.
 *
 * vhost=on fails if /dev/vhost-net cannot be used; auto falls back to the
 * userspace path with one warning; off never tries it.
 *
 * Multiqueue (queues=N > 1): the tap is opened N times with
 * IFF_MULTI_QUEUE, one fd per queue pair, and each pair has its own
 * struct virtio_net (receive buffer, chain scratch, tap watch) and, with
 * vhost, its own /dev/vhost-net (a vhost-net device serves one pair). The
 * queues are rx0, tx0, ..., rxN-1, txN-1 and then the control queue, which
 * is always served on the I/O thread (devices/virtio_net_ctrl.c). Pairs
 * beyond the count the driver set with VQ_PAIRS_SET (one until it does)
 * have their tap queue detached (TUNSETQUEUE) and their tap fd unwatched.
 */
#ifndef KVMINI_NETDEV_H
#define KVMINI_NETDEV_H

#include <net/if.h>

#include "devices/virtio_net.h"
#include "devices/virtio_net_ctrl.h"
#include "devices/virtio_pci.h"
#include "kvmini.h"
#include "vmm/tap.h"
#include "vmm/vdev.h"
#include "vmm/vhost_net.h"

struct netdev;

/* Every queue of a NIC: the pairs' rx and tx, then the control queue. */
#define NETDEV_MAX_QUEUES (2 * KVMINI_NIC_MAX_QUEUES + 1)

/* One rx/tx queue pair: its own tap queue, device state and vhost-net. */
struct netdev_pair {
	struct netdev *d;
	unsigned int index;
	int tap_fd;
	struct tap_backend tap_be; /* the tap queue as the device's host end */
	struct virtio_net net;     /* userspace path state of this pair only */
	struct vhost_net vhost;    /* vhost path: this pair's /dev/vhost-net */
	int vhost_started;
	struct vdev_watch tap;     /* n is the pair index */
	int want_poll;             /* the device asked to watch the tap */
	int active;                /* within the driver's active pair count */
	int attached;              /* the tap queue is attached (multiqueue) */
	int net_ok;
};

struct netdev {
	struct netdev_pair pair[KVMINI_NIC_MAX_QUEUES];
	unsigned int npairs;       /* queue pairs offered */
	unsigned int nqueues;      /* 2 * npairs, + 1 control queue if npairs > 1 */
	unsigned int active;       /* pairs in use */
	unsigned int pair_logs;    /* active-count changes logged so far */
	struct virtio_net_ctrl ctrl;
	struct virtio_pci vp;
	struct vdev v;             /* doorbells, PCI slot, name */
	int use_vhost;
	const struct guest_mem *mem;
	struct vdev_watch call[NETDEV_MAX_QUEUES];  /* vhost without MSI-X */
	int call_fd[NETDEV_MAX_QUEUES];
	int ctrl_ok;
	char ifname[IFNAMSIZ];
};


/*
 * netdev_set_pairs - make the first pairs queue pairs (1..npairs) active and
 * the others idle: tap queues attached or detached, tap fds watched or not.
 * The control queue's VQ_PAIRS_SET; call with d->vp.lock held once the
 * device is on the bus. Returns 0 or a negative errno.
 */
int netdev_set_pairs(struct netdev *d, unsigned int pairs) MUST_CHECK;

/*
 * netdev_create - open the tap, once per queue pair (and vhost-net as
 * nic->vhost says, once per pair), build the device, put it on host's PCI
 * bus and register what the I/O thread watches. index numbers the NIC (for
 * a default MAC). Returns 0, or a negative errno with a one-line reason in
 * err (then netdev_destroy frees what was built).
 */
int netdev_create(struct netdev *d, const struct kvmini_nic *nic, unsigned int index,
		  const struct vdev_host *host, struct kvmini_error *err) MUST_CHECK;

/* netdev_destroy - stop vhost, unregister, close (the I/O thread is stopped). */
void netdev_destroy(struct netdev *d);

#endif
