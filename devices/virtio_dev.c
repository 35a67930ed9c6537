/* virtio_dev.c - see virtio_dev.h. */
#include "devices/virtio_dev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int virtio_dev_init(struct virtio_dev *d, unsigned int nqueues, uint64_t features)
{
	memset(d, 0, sizeof(*d));
	if (nqueues == 0 || nqueues > VIRTIO_DEV_MAX_QUEUES)
		return -EINVAL;
	d->chain = malloc(sizeof(*d->chain));
	if (!d->chain)
		return -ENOMEM;
	d->nqueues = nqueues;
	d->features = features;
	return 0;
}

void virtio_dev_destroy(struct virtio_dev *d)
{
	free(d->chain);
	d->chain = NULL;
}

void virtio_dev_set_irq(struct virtio_dev *d, struct virtio_irq irq)
{
	d->irq = irq;
}

int virtio_dev_check_features(const struct virtio_dev *d, uint64_t f)
{
	if ((f & ~d->features) || !(f & VIRTIO_DEV_BIT(VIRTIO_F_VERSION_1)))
		return -EINVAL;
	return 0;
}

int virtio_dev_queue_start(struct virtio_dev *d, unsigned int q, struct virtq *vq,
			   uint64_t features)
{
	if (q >= d->nqueues || !vq)
		return -EINVAL;
	d->vq[q] = vq;
	d->acked = features;
	return 0;
}

struct virtq *virtio_dev_queue(const struct virtio_dev *d, unsigned int q)
{
	return q < d->nqueues ? d->vq[q] : NULL;
}

void virtio_dev_reset(struct virtio_dev *d)
{
	memset(d->vq, 0, sizeof(d->vq));
	d->acked = 0;
	d->pushed = 0;
}

int virtio_dev_break(struct virtio_dev *d, unsigned int q)
{
	struct virtq *vq = virtio_dev_queue(d, q);

	if (vq)
		vq->broken = 1;
	if (d->irq.broken)
		d->irq.broken(d->irq.ctx, d->irq.qbase + q);
	return -EIO;
}

int virtio_dev_push(struct virtio_dev *d, unsigned int q, uint16_t head, uint32_t len)
{
	struct virtq *vq = virtio_dev_queue(d, q);

	if (!vq)
		return -EIO;
	if (virtq_push(vq, head, len) < 0)
		return virtio_dev_break(d, q);
	d->pushed |= 1u << q;
	return 0;
}

void virtio_dev_signal(struct virtio_dev *d)
{
	unsigned int q;

	for (q = 0; q < d->nqueues && d->pushed; q++) {
		if (!(d->pushed & (1u << q)))
			continue;
		d->pushed &= ~(1u << q);
		if (d->vq[q] && virtq_needs_notify(d->vq[q]) && d->irq.notify) {
			d->irq.notify(d->irq.ctx, d->irq.qbase + q);
			d->notifications++;
		}
	}
	d->pushed = 0;
}

int virtio_dev_drain(struct virtio_dev *d, unsigned int q, virtio_chain_fn *fn, void *ctx)
{
	struct virtq *vq = virtio_dev_queue(d, q);
	int n = 0, r;

	if (!vq)
		return -EINVAL;
	do {
		virtq_disable_notify(vq);
		for (;;) {
			r = virtq_pop(vq, d->chain);
			if (r == 0)
				break;
			if (r < 0)
				return virtio_dev_break(d, q);
			r = fn(ctx, q, d->chain);
			if (r < 0)
				return virtio_dev_break(d, q);
			n++;
			if (r == VIRTIO_DEV_STOP)
				return n;
		}
	} while (virtq_enable_notify(vq));
	return n;
}

void virtio_dev_config_read(const void *cfg, size_t size, uint64_t off, void *data,
			    unsigned int len)
{
	const uint8_t *c = cfg;
	uint8_t *out = data;
	unsigned int i;

	for (i = 0; i < len; i++)
		out[i] = off < size && i < size - off ? c[off + i] : 0;
}
