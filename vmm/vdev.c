/* vdev.c - see vdev.h. */
#include "vmm/vdev.h"

#include <errno.h>
#include <string.h>

#include "bios/layout.h"

static void on_kick(void *ctx)
{
	struct vdev_watch *w = ctx;

	virtio_pci_kick_ready(w->owner, w->n);
}

int vdev_create(struct vdev *v, struct virtio_pci *vp, const struct virtio_device_ops *ops,
		void *dev, unsigned int nqueues, uint16_t queue_size,
		const struct vdev_host *host, const char *kind, const char *what,
		struct kvmini_error *err)
{
	unsigned int q;
	int r;

	v->vp = vp;
	v->io = host->io;
	v->nqueues = 0;
	v->vp_ok = 0;
	memset(v->kick, 0, sizeof(v->kick));
	r = virtio_pci_init(vp, ops, dev, host->mem, host->msi, host->intx, nqueues,
			    queue_size);
	if (r)
		return set_err(err, -r, "%s: cannot create its PCI function: %s", what,
			       strerror(-r));
	v->vp_ok = 1;
	v->nqueues = nqueues;
	for (q = 0; q < nqueues; q++)
		vdev_watch_init(&v->kick[q], virtio_pci_kick_fd(vp, q), on_kick, vp, q);
	r = pci_bus_add(host->bus, &vp->pci);
	if (r < 0)
		return set_err(err, -r, "%s: no room on the PCI bus", what);
	snprintf(v->name, sizeof(v->name), "virtio-%s@%02x", kind, r);
	/* INTx fallback line: pin A of the slot, as the DSDT's _PRT says. */
	vp->intx.irq = pci_intx_gsi((unsigned int)r, 0);
	vp->pci.cfg[PCI_INTERRUPT_LINE] = (uint8_t)vp->intx.irq;
	return 0;
}

int vdev_watch_kick(struct vdev *v, unsigned int q)
{
	if (q >= v->nqueues)
		return -EINVAL;
	return vdev_watch_add(v, &v->kick[q]);
}

void vdev_watch_init(struct vdev_watch *w, int fd, void (*fn)(void *w), void *owner,
		     unsigned int n)
{
	*w = (struct vdev_watch){ .h = { .fd = fd, .fn = fn, .ctx = w }, .owner = owner,
				  .n = n };
}

int vdev_watch_add(struct vdev *v, struct vdev_watch *w)
{
	int r;

	if (w->added)
		return 0;
	r = iothread_add(v->io, &w->h);
	if (r == 0)
		w->added = 1;
	return r;
}

void vdev_watch_del(struct vdev *v, struct vdev_watch *w)
{
	if (w->added)
		iothread_del(v->io, &w->h);
	w->added = 0;
}

void vdev_destroy(struct vdev *v)
{
	unsigned int q;

	for (q = 0; q < v->nqueues; q++)
		vdev_watch_del(v, &v->kick[q]);
	if (v->vp_ok)
		virtio_pci_destroy(v->vp);
	v->vp_ok = 0;
	v->nqueues = 0;
}
