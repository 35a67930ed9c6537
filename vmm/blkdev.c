/* blkdev.c - see blkdev.h. */
#include "vmm/blkdev.h"

#include <errno.h>
#include <string.h>

#include "base/log.h"

#define BLK_QUEUE_SIZE 256

/*
 * io_uring finished something: complete it under the transport's lock. A
 * queue found broken meanwhile was reported by the device itself, with its
 * number, through virtio_pci_irq.
 */
static void on_done(void *ctx)
{
	struct vdev_watch *w = ctx;
	struct blkdev *d = w->owner;
	int r;

	virtio_pci_lock(&d->vp);
	r = virtio_blk_complete(&d->blk);
	virtio_pci_unlock(&d->vp);
	if (r < 0 && r != -EIO)
		log_debug("%s: completing requests: %s", d->v.name, strerror(-r));
}

int blkdev_create(struct blkdev *d, const struct kvmini_disk *disk, unsigned int nqueues,
		  const struct vdev_host *host, struct kvmini_error *err)
{
	struct blk_io io;
	char what[300];
	unsigned int q;
	int r;

	memset(d, 0, sizeof(*d));
	if (nqueues > VIRTIO_BLK_MAX_QUEUES)
		nqueues = VIRTIO_BLK_MAX_QUEUES;
	snprintf(what, sizeof(what), "disk '%s'", disk->path);
	r = blk_backend_open(&d->be, disk->path, disk->readonly, disk->direct, 0, err);
	if (r)
		return r;
	d->be_ok = 1;
	io = blk_backend_io(&d->be);
	r = virtio_blk_init(&d->blk, &io, disk->path, nqueues, err);
	if (r)
		return r;
	d->blk_ok = 1;
	r = vdev_create(&d->v, &d->vp, &virtio_blk_ops, &d->blk, nqueues, BLK_QUEUE_SIZE,
			host, "blk", what, err);
	if (r)
		return r;
	virtio_blk_set_irq(&d->blk, virtio_pci_irq(&d->vp, 0));
	for (q = 0; q < nqueues; q++)
		if ((r = vdev_watch_kick(&d->v, q)))
			return set_err_host(err, -r, "%s: cannot watch its queue", what);
	vdev_watch_init(&d->done, virtio_blk_event_fd(&d->blk), on_done, d, 0);
	if ((r = vdev_watch_add(&d->v, &d->done)))
		return set_err_host(err, -r, "%s: cannot watch its completions", what);
	log_info("%s: %s%s, %u queues", d->v.name, disk->path,
		 disk->readonly ? " (read-only)" : "", nqueues);
	return 0;
}

void blkdev_destroy(struct blkdev *d, struct iothread *io)
{
	(void)io;   /* the one the device was created with */
	vdev_watch_del(&d->v, &d->done);
	vdev_destroy(&d->v);
	if (d->blk_ok)
		virtio_blk_destroy(&d->blk);
	if (d->be_ok)
		blk_backend_close(&d->be);
	d->blk_ok = d->be_ok = 0;
}
