/*
 * blkdev.h - one virtio-blk disk of a VM: the image on io_uring
 * (vmm/blk_backend.c), the device logic (devices/virtio_blk.c) on the PCI
 * transport (devices/virtio_pci.c), its queue doorbells and io_uring
 * completions watched by the VM's I/O thread (vmm/vdev.c).
 */
#ifndef KVMINI_BLKDEV_H
#define KVMINI_BLKDEV_H

#include "devices/virtio_blk.h"
#include "devices/virtio_pci.h"
#include "kvmini.h"
#include "vmm/blk_backend.h"
#include "vmm/vdev.h"

struct blkdev {
	struct blk_backend be;
	struct virtio_blk blk;
	struct virtio_pci vp;
	struct vdev v;             /* doorbells, PCI slot, name */
	struct vdev_watch done;    /* io_uring completions */
	int be_ok, blk_ok;
};

/*
 * blkdev_create - open disk, build the device with nqueues queues (at most
 * VIRTIO_BLK_MAX_QUEUES; more are cut), put it on host's PCI bus and
 * register its fds with the I/O thread. Returns 0, or a negative errno with
 * a one-line reason in err (then blkdev_destroy frees what was built).
 */
int blkdev_create(struct blkdev *d, const struct kvmini_disk *disk, unsigned int nqueues,
		  const struct vdev_host *host, struct kvmini_error *err) MUST_CHECK;

/* blkdev_destroy - unregister and free (the I/O thread must be stopped). */
void blkdev_destroy(struct blkdev *d, struct iothread *io);

#endif
