/* blkdev.c - see blkdev.h. */
#include "vmm/blkdev.h"

#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "bios/layout.h"

#define BLK_QUEUE_SIZE 256
#define PCI_CLASS_STORAGE_OTHER 0x018000

static uint64_t ops_features(void *dev)
{
	return virtio_blk_features(&((struct blkdev *)dev)->blk);
}

static void ops_config_read(void *dev, uint64_t off, void *data, unsigned int len)
{
	virtio_blk_config_read(&((struct blkdev *)dev)->blk, off, data, len);
}

static int ops_queue_start(void *dev, unsigned int q, struct virtq *vq, uint64_t features)
{
	(void)features;
	return virtio_blk_queue_start(&((struct blkdev *)dev)->blk, q, vq);
}

static int ops_kick(void *dev, unsigned int q)
{
	return virtio_blk_kick(&((struct blkdev *)dev)->blk, q);
}

static void ops_reset(void *dev)
{
	virtio_blk_reset(&((struct blkdev *)dev)->blk);
}

static const struct virtio_device_ops blk_ops = {
	.device_id = 2,
	.class_code = PCI_CLASS_STORAGE_OTHER,
	.features = ops_features,
	.config_read = ops_config_read,
	.queue_start = ops_queue_start,
	.kick = ops_kick,
	.reset = ops_reset,
};

/* The device's notifier: called with the transport lock held (see below). */
static void notify(void *ctx, unsigned int q)
{
	virtio_pci_notify(&((struct blkdev *)ctx)->vp, q);
}

static void on_kick(void *ctx)
{
	struct blkdev_kick *k = ctx;

	virtio_pci_kick_ready(&k->d->vp, k->q);
}

static void on_done(void *ctx)
{
	struct blkdev *d = ctx;

	virtio_pci_lock(&d->vp);
	if (virtio_blk_complete(&d->blk) == -EIO)
		virtio_pci_queue_broken(&d->vp, 0);
	virtio_pci_unlock(&d->vp);
}

int blkdev_create(struct blkdev *d, const struct kvmini_disk *disk, unsigned int nqueues,
		  const struct guest_mem *mem, struct msi_host msi, struct irq_line intx,
		  struct pci_bus *bus, struct iothread *io, struct kvmini_error *err)
{
	unsigned int q;
	int r;

	memset(d, 0, sizeof(*d));
	if (nqueues > VIRTIO_BLK_MAX_QUEUES)
		nqueues = VIRTIO_BLK_MAX_QUEUES;
	d->nqueues = nqueues;
	r = virtio_blk_init(&d->blk, disk->path, disk->readonly, disk->direct, nqueues, err);
	if (r)
		return r;
	d->blk_ok = 1;
	r = virtio_pci_init(&d->vp, &blk_ops, d, mem, msi, intx, nqueues, BLK_QUEUE_SIZE);
	if (r)
		return set_err(err, -r, "disk '%s': cannot create its PCI function: %s",
			       disk->path, strerror(-r));
	d->vp_ok = 1;
	virtio_blk_set_notifier(&d->blk, notify, d);
	r = pci_bus_add(bus, &d->vp.pci);
	if (r < 0)
		return set_err(err, -r, "disk '%s': no room on the PCI bus", disk->path);
	snprintf(d->name, sizeof(d->name), "virtio-blk@%02x", r);
	/* INTx fallback line: pin A of the slot, as the DSDT's _PRT says. */
	d->vp.intx.irq = pci_intx_gsi((unsigned int)r, 0);
	d->vp.pci.cfg[PCI_INTERRUPT_LINE] = (uint8_t)d->vp.intx.irq;
	for (q = 0; q < nqueues; q++) {
		d->kick[q] = (struct blkdev_kick){ .d = d, .q = q };
		d->kick[q].h = (struct io_handler){ .fd = virtio_pci_kick_fd(&d->vp, q),
						    .fn = on_kick, .ctx = &d->kick[q] };
		if ((r = iothread_add(io, &d->kick[q].h)))
			return set_err(err, -r, "disk '%s': cannot watch its queue", disk->path);
	}
	d->done = (struct io_handler){ .fd = virtio_blk_event_fd(&d->blk), .fn = on_done, .ctx = d };
	if ((r = iothread_add(io, &d->done)))
		return set_err(err, -r, "disk '%s': cannot watch its completions", disk->path);
	log_info("%s: %s%s, %u queues", d->name, disk->path, disk->readonly ? " (read-only)" : "",
		 nqueues);
	return 0;
}

void blkdev_destroy(struct blkdev *d, struct iothread *io)
{
	unsigned int q;

	for (q = 0; q < d->nqueues; q++)
		if (d->kick[q].h.fn)
			iothread_del(io, &d->kick[q].h);
	if (d->done.fn)
		iothread_del(io, &d->done);
	if (d->vp_ok)
		virtio_pci_destroy(&d->vp);
	if (d->blk_ok)
		virtio_blk_destroy(&d->blk);
	d->vp_ok = d->blk_ok = 0;
}
