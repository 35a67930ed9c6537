/*
 * netdev.h - one virtio-net NIC of a VM: a host tap, the device logic
 * (devices/virtio_net.c) on the PCI transport (devices/virtio_pci.c), and
 * one of two data paths:
 *
 *  - vhost-net (vmm/vhost_net.c): at DRIVER_OK the kernel gets the rings,
 *    each queue's doorbell ioeventfd as kick and its MSI-X irqfd as call, and
 *    the tap. The I/O thread watches nothing of this NIC; packets, kicks and
 *    interrupts never reach kvmini's userspace. Limits: the transport masks
 *    MSI-X vectors in userspace, so a vector the driver masks is still
 *    raised by vhost (Linux's driver does not mask its queue vectors in
 *    normal operation); a driver that did not enable MSI-X gets a call
 *    eventfd that the I/O thread turns into the INTx interrupt.
 *  - userspace: the I/O thread watches the tap and the queue doorbells and
 *    runs virtio_net_rx / virtio_net_kick.
 *
 * vhost=on fails if /dev/vhost-net cannot be used; auto falls back to the
 * userspace path with one warning; off never tries it.
 */
#ifndef KVMINI_NETDEV_H
#define KVMINI_NETDEV_H

#include <net/if.h>

#include "iothread.h"
#include "kvmini.h"
#include "pci.h"
#include "vhost_net.h"
#include "virtio_net.h"
#include "virtio_pci.h"

struct netdev;

/* An I/O handler's context: which NIC, which queue. */
struct netdev_handler {
	struct netdev *d;
	unsigned int q;
	struct io_handler h;
	int added;
};

struct netdev {
	struct virtio_net net;
	struct virtio_pci vp;
	struct vhost_net vhost;
	int use_vhost;
	int vhost_started;
	int tap_fd;
	const struct guest_mem *mem;
	struct iothread *io;
	struct netdev_handler kick[VIRTIO_NET_NQUEUES];  /* userspace path */
	struct netdev_handler call[VIRTIO_NET_NQUEUES];  /* vhost without MSI-X */
	int call_fd[VIRTIO_NET_NQUEUES];
	struct netdev_handler tap;
	int net_ok, vp_ok;
	char ifname[IFNAMSIZ];
	char name[32];
};

/*
 * netdev_open_tap - open /dev/net/tun (tun_path, NULL for the default) and
 * attach to tap name, creating it if it does not exist, with IFF_TAP |
 * IFF_NO_PI | IFF_VNET_HDR, non-blocking. The kernel's name is written to
 * ifname. Returns the fd or a negative errno with err filled.
 */
int netdev_open_tap(const char *tun_path, const char *name, char ifname[IFNAMSIZ],
		    struct kvmini_error *err) MUST_CHECK;

/*
 * netdev_create - open the tap (and vhost-net as nic->vhost says), build
 * the device, put it on the PCI bus and register what the I/O thread
 * watches. index numbers the NIC (for a default MAC).
 */
int netdev_create(struct netdev *d, const struct kvmini_nic *nic, unsigned int index,
		  const struct guest_mem *mem, struct msi_host msi, struct irq_line intx,
		  struct pci_bus *bus, struct iothread *io, struct kvmini_error *err) MUST_CHECK;

/* netdev_destroy - stop vhost, unregister, close (the I/O thread is stopped). */
void netdev_destroy(struct netdev *d);

#endif
