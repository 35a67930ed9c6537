/*
 * vdev.h - what every virtio PCI device of a VM (blkdev.c, netdev.c) shares
 * on the host side: its transport put on the PCI bus with the INTx line of
 * its slot (as the DSDT's _PRT says), a name for its log lines, and the
 * file descriptors the VM's I/O thread watches for it - queue doorbells
 * (ioeventfds) handed to virtio_pci_kick_ready, and whatever else the
 * device needs watched (completions, a tap, a vhost call eventfd).
 */
#ifndef KVMINI_VDEV_H
#define KVMINI_VDEV_H

#include "base/guestmem.h"
#include "base/util.h"
#include "devices/irq.h"
#include "devices/msi.h"
#include "devices/pci.h"
#include "devices/virtio_pci.h"
#include "vmm/iothread.h"

/* What a VM gives each of its virtio devices. */
struct vdev_host {
	const struct guest_mem *mem;
	struct msi_host msi;
	struct irq_line intx;      /* legacy fallback; .irq is picked from the slot */
	struct pci_bus *bus;
	struct iothread *io;
};

/* A file descriptor the I/O thread watches for a device. */
struct vdev_watch {
	struct io_handler h;       /* h.ctx is this watch */
	void *owner;               /* the device (for the handler) */
	unsigned int n;            /* which of the owner's: a queue, a pair */
	int added;                 /* registered with the I/O thread */
};

/* One virtio PCI device's transport glue (the transport itself is the device's). */
struct vdev {
	struct virtio_pci *vp;
	struct iothread *io;
	unsigned int nqueues;
	struct vdev_watch kick[VIRTIO_PCI_MAX_QUEUES];  /* queue doorbells */
	int vp_ok;
	char name[32];             /* "virtio-blk@03", for log lines */
};

/*
 * vdev_create - a transport vp for dev (ops) with nqueues queues of up to
 * queue_size entries, on host's bus, its INTx line the slot's pin A; named
 * "virtio-<kind>@<slot>". what names the device in errors ("disk 'x.img'").
 * The doorbells are not watched yet (vdev_watch_kick). Returns 0, or a
 * negative errno with a one-line reason in err; vdev_destroy undoes a
 * partial set-up.
 */
int vdev_create(struct vdev *v, struct virtio_pci *vp, const struct virtio_device_ops *ops,
		void *dev, unsigned int nqueues, uint16_t queue_size,
		const struct vdev_host *host, const char *kind, const char *what,
		struct kvmini_error *err) MUST_CHECK;

/*
 * vdev_watch_kick - watch queue q's doorbell: the I/O thread runs the
 * device's kick (virtio_pci_kick_ready) when the driver rings it. Returns 0
 * or a negative errno.
 */
int vdev_watch_kick(struct vdev *v, unsigned int q) MUST_CHECK;

/* vdev_watch_init - w watches fd for owner's number n; fn(w) runs when it is readable. */
void vdev_watch_init(struct vdev_watch *w, int fd, void (*fn)(void *w), void *owner,
		     unsigned int n);

/* vdev_watch_add - start watching w (nothing if it is already). 0 or -errno. */
int vdev_watch_add(struct vdev *v, struct vdev_watch *w) MUST_CHECK;

/* vdev_watch_del - stop watching w (nothing if it is not). */
void vdev_watch_del(struct vdev *v, struct vdev_watch *w);

/*
 * vdev_destroy - stop watching the doorbells and destroy the transport
 * (the I/O thread is stopped). The device's own watches are its to delete
 * first.
 */
void vdev_destroy(struct vdev *v);

#endif
