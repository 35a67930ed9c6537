/*
 * blkdev.h - one virtio-blk disk of a VM: the device logic (devices/
 * virtio_blk.c) on the PCI transport (devices/virtio_pci.c), its queue
 * doorbells and io_uring completions watched by the VM's I/O thread.
 */
#ifndef KVMINI_BLKDEV_H
#define KVMINI_BLKDEV_H

#include "vmm/iothread.h"
#include "kvmini.h"
#include "devices/pci.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_pci.h"

struct blkdev;

/* A doorbell handler's context: which disk, which queue. */
struct blkdev_kick {
	struct blkdev *d;
	unsigned int q;
	struct io_handler h;
};

struct blkdev {
	struct virtio_blk blk;
	struct virtio_pci vp;
	struct blkdev_kick kick[VIRTIO_BLK_MAX_QUEUES];
	struct io_handler done;
	unsigned int nqueues;
	int blk_ok, vp_ok;
	char name[32];
};

/*
 * blkdev_create - open disk, build the device with nqueues queues, put it on
 * the PCI bus and register its fds with the I/O thread.
 */
int blkdev_create(struct blkdev *d, const struct kvmini_disk *disk, unsigned int nqueues,
		  const struct guest_mem *mem, struct msi_host msi, struct irq_line intx,
		  struct pci_bus *bus, struct iothread *io, struct kvmini_error *err) MUST_CHECK;

/* blkdev_destroy - unregister and free (the I/O thread must be stopped). */
void blkdev_destroy(struct blkdev *d, struct iothread *io);

#endif
