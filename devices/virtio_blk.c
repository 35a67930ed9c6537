/* virtio_blk.c - see virtio_blk.h. */
#include "devices/virtio_blk.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

#define SECTOR VIRTIO_BLK_SECTOR_SIZE
#define HDR_BYTES sizeof(struct virtio_blk_req_hdr)
#define INLINE_IOV 8

struct virtio_blk_req {
	uint8_t *status;        /* the last device-writable byte */
	struct iovec *iov;      /* inl, or allocated for long chains */
	struct iovec inl[INLINE_IOV];
	uint64_t expect;        /* bytes an IN/OUT must transfer */
	uint32_t type;
	uint16_t head;
	uint16_t q;
};

/* ---- request slots ---- */

/* The user_data that names r to the disk. */
static uint64_t req_tag(const struct virtio_blk *b, const struct virtio_blk_req *r)
{
	return (uint64_t)(r - b->reqs);
}

static struct virtio_blk_req *req_get(struct virtio_blk *b)
{
	struct virtio_blk_req *r = &b->reqs[b->free_reqs[--b->nfree]];

	r->iov = r->inl;
	return r;
}

static void req_put(struct virtio_blk *b, struct virtio_blk_req *r)
{
	if (r->iov != r->inl)
		free(r->iov);
	r->iov = NULL;
	b->free_reqs[b->nfree++] = (unsigned int)(r - b->reqs);
}

/* Write the status, return the chain to the driver, free the slot. */
static void req_finish(struct virtio_blk *b, struct virtio_blk_req *r,
		       uint8_t status, uint64_t written)
{
	*r->status = status;
	if (virtio_dev_queue(&b->vdev, r->q) &&
	    virtio_dev_push(&b->vdev, r->q, r->head, (uint32_t)(written + 1)) < 0) {
		/* the queue is broken now, and reported */
	}
	req_put(b, r);
}

/* ---- request parsing ---- */

/* Sector range [sector, sector+n) inside the disk? Overflow-safe. */
static int range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t n)
{
	uint64_t end;

	return !__builtin_add_overflow(sector, n, &end) && end <= b->capacity;
}

/*
 * IN or OUT: data is the writable part without the status byte (IN) or the
 * readable part after the header (OUT). Returns a status to finish with
 * now, or -1 when I/O was queued.
 */
static int do_rw(struct virtio_blk *b, struct virtio_blk_req *r,
		 const struct virtq_chain *c, uint64_t sector)
{
	int in = r->type == VIRTIO_BLK_T_IN;
	uint64_t len = in ? c->writable - 1 : c->readable - HDR_BYTES;
	unsigned int first = in ? c->nreadable : 0, end = in ? c->nsegs : c->nreadable;
	uint64_t skip = in ? 0 : HDR_BYTES;
	unsigned int n;
	int e;

	if ((in ? c->readable - HDR_BYTES : c->writable - 1) != 0)
		return VIRTIO_BLK_S_IOERR;   /* data buffer of the wrong direction */
	if (!in && b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (len % SECTOR || len > VIRTIO_BLK_MAX_IO_BYTES ||
	    !range_ok(b, sector, len / SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	if (end - first > INLINE_IOV) {
		r->iov = calloc(end - first, sizeof(*r->iov));
		if (!r->iov) {
			r->iov = r->inl;
			return VIRTIO_BLK_S_IOERR;
		}
	}
	n = virtq_chain_iov(c, first, end, skip, len, r->iov);
	r->expect = len;
	if (in)
		e = b->io.ops->readv(b->io.be, r->iov, n, sector * SECTOR, req_tag(b, r));
	else
		e = b->io.ops->writev(b->io.be, r->iov, n, sector * SECTOR, req_tag(b, r));
	return e < 0 ? VIRTIO_BLK_S_IOERR : -1;
}

/* DISCARD or WRITE_ZEROES with one segment after the header. */
static int do_dwz(struct virtio_blk *b, struct virtio_blk_req *r,
		  const struct virtq_chain *c)
{
	uint64_t data = c->readable - HDR_BYTES, sector, off, len;
	struct virtio_blk_dwz_seg seg;
	uint32_t flags, num;
	int discard = r->type == VIRTIO_BLK_T_DISCARD, e;

	if (b->readonly || data == 0 || data % sizeof(seg))
		return VIRTIO_BLK_S_IOERR;
	if (data > sizeof(seg))
		return VIRTIO_BLK_S_UNSUPP;    /* max_*_seg is 1 */
	virtq_chain_read(c, HDR_BYTES, &seg, sizeof(seg));
	sector = le64toh(seg.sector);
	num = le32toh(seg.num_sectors);
	flags = le32toh(seg.flags);
	if ((flags & ~VIRTIO_BLK_DWZ_F_UNMAP) ||
	    (discard && (flags & VIRTIO_BLK_DWZ_F_UNMAP)))
		return VIRTIO_BLK_S_UNSUPP;
	if (num > VIRTIO_BLK_MAX_DWZ_SECTORS || !range_ok(b, sector, num))
		return VIRTIO_BLK_S_IOERR;
	if (num == 0)
		return VIRTIO_BLK_S_OK;
	off = sector * SECTOR;
	len = (uint64_t)num * SECTOR;
	if (discard)
		e = b->io.ops->discard(b->io.be, off, len, req_tag(b, r));
	else
		e = b->io.ops->write_zeroes(b->io.be, off, len,
					    !!(flags & VIRTIO_BLK_DWZ_F_UNMAP), req_tag(b, r));
	return e < 0 ? VIRTIO_BLK_S_IOERR : -1;
}

/* GET_ID: copy up to 20 bytes of serial into the writable buffers. */
static uint64_t do_get_id(const struct virtio_blk *b, const struct virtq_chain *c)
{
	uint64_t n = c->writable - 1;

	if (n > VIRTIO_BLK_ID_BYTES)
		n = VIRTIO_BLK_ID_BYTES;
	return virtq_chain_write(c, 0, b->serial, n);
}

/* Start one popped request. Returns 0, or -EIO if the chain breaks the queue. */
static int handle_request(struct virtio_blk *b, unsigned int q,
			  const struct virtq_chain *c)
{
	const struct virtq_seg *last = &c->seg[c->nsegs ? c->nsegs - 1 : 0];
	struct virtio_blk_req_hdr hdr;
	struct virtio_blk_req *r;
	uint64_t written = 0;
	int st;

	if (c->writable == 0)
		return -EIO;                 /* nowhere to put a status */
	r = req_get(b);
	r->head = c->head;
	r->q = (uint16_t)q;
	r->status = (uint8_t *)last->host + last->len - 1;
	r->type = UINT32_MAX;
	if (c->readable < HDR_BYTES) {
		req_finish(b, r, VIRTIO_BLK_S_IOERR, 0);
		return 0;
	}
	virtq_chain_read(c, 0, &hdr, sizeof(hdr));
	r->type = le32toh(hdr.type);
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		st = do_rw(b, r, c, le64toh(hdr.sector));
		break;
	case VIRTIO_BLK_T_FLUSH:
		st = b->io.ops->flush(b->io.be, req_tag(b, r)) < 0 ? VIRTIO_BLK_S_IOERR : -1;
		break;
	case VIRTIO_BLK_T_GET_ID:
		written = do_get_id(b, c);
		st = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		st = do_dwz(b, r, c);
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (st >= 0)
		req_finish(b, r, (uint8_t)st, written);
	return 0;
}

/* ---- completions ---- */

static void on_complete(void *ctx, uint64_t user_data, int res)
{
	struct virtio_blk *b = ctx;
	struct virtio_blk_req *r;
	uint64_t written = 0;
	uint8_t st = VIRTIO_BLK_S_OK;

	if (user_data >= b->nreqs)
		return;
	r = &b->reqs[user_data];
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		written = res > 0 ? (uint64_t)res : 0;
		if (written > r->expect)
			written = r->expect;
		__attribute__((fallthrough));
	case VIRTIO_BLK_T_OUT:
		if (res < 0 || (uint64_t)res != r->expect)
			st = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_DISCARD:
		if (res < 0 && res != -EOPNOTSUPP)
			st = VIRTIO_BLK_S_IOERR;
		break;
	default:
		if (res < 0)
			st = VIRTIO_BLK_S_IOERR;
		break;
	}
	req_finish(b, r, st, written);
}

/* A reset dropped the queues: free the slot, touch no guest memory. */
static void on_drop(void *ctx, uint64_t user_data, int res)
{
	struct virtio_blk *b = ctx;

	(void)res;
	if (user_data < b->nreqs)
		req_put(b, &b->reqs[user_data]);
}

/* Submit what the drained requests prepared, as one batch. */
static int submit_batch(struct virtio_blk *b)
{
	int r = b->io.ops->submit(b->io.be);

	if (r != 0)
		b->batches++;
	return r < 0 ? r : 0;
}

/* One chain of a drain: start its request; stop when every slot is taken. */
static int take_request(void *ctx, unsigned int q, struct virtq_chain *c)
{
	struct virtio_blk *b = ctx;

	if (handle_request(b, q, c) < 0)
		return -EIO;
	b->requests++;
	if (b->nfree == 0) {
		b->throttled[q] = 1;
		return VIRTIO_DEV_STOP;
	}
	return VIRTIO_DEV_NEXT;
}

/*
 * Take every available request of queue q. Stops early, marking the queue
 * throttled, when every request slot is in use. Returns the number of
 * requests taken or -EIO.
 */
static int drain_queue(struct virtio_blk *b, unsigned int q)
{
	b->throttled[q] = 0;
	if (b->nfree == 0) {
		virtq_disable_notify(virtio_dev_queue(&b->vdev, q));
		b->throttled[q] = 1;
		return 0;
	}
	return virtio_dev_drain(&b->vdev, q, take_request, b);
}

int virtio_blk_kick(struct virtio_blk *b, unsigned int q)
{
	int n, r;

	pthread_mutex_lock(&b->lock);
	if (!virtio_dev_queue(&b->vdev, q)) {
		pthread_mutex_unlock(&b->lock);
		return -EINVAL;
	}
	n = drain_queue(b, q);
	r = submit_batch(b);
	virtio_dev_signal(&b->vdev);
	pthread_mutex_unlock(&b->lock);
	return n < 0 ? n : r < 0 ? r : n;
}

int virtio_blk_complete(struct virtio_blk *b)
{
	unsigned int q;
	int r, ret = 0;

	pthread_mutex_lock(&b->lock);
	r = b->io.ops->reap(b->io.be, on_complete, b);
	if (r < 0)
		ret = r;
	for (q = 0; q < b->vdev.nqueues; q++) {
		if (b->throttled[q] && virtio_dev_queue(&b->vdev, q) && drain_queue(b, q) < 0)
			ret = -EIO;
	}
	r = submit_batch(b);
	if (r < 0 && ret == 0)
		ret = r;
	virtio_dev_signal(&b->vdev);
	pthread_mutex_unlock(&b->lock);
	return ret;
}

/* ---- set-up ---- */

/* A 20-byte serial: the image's base name and a hash of its path. */
static void make_serial(char serial[VIRTIO_BLK_ID_BYTES], const char *path)
{
	const char *base = strrchr(path, '/');
	char buf[VIRTIO_BLK_ID_BYTES + 1];
	uint32_t h = 2166136261u;      /* FNV-1a */
	const char *p;

	for (p = path; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	base = base ? base + 1 : path;
	snprintf(buf, sizeof(buf), "%.11s-%08x", base, h);
	memset(serial, 0, VIRTIO_BLK_ID_BYTES);
	memcpy(serial, buf, strnlen(buf, VIRTIO_BLK_ID_BYTES));
}

static void build_config(struct virtio_blk *b)
{
	struct virtio_blk_config_space *c = &b->cfg;

	memset(c, 0, sizeof(*c));
	c->capacity = htole64(b->capacity);
	c->seg_max = htole32(VIRTIO_BLK_SEG_MAX);
	c->blk_size = htole32(SECTOR);
	c->num_queues = htole16((uint16_t)b->vdev.nqueues);
	c->max_discard_sectors = htole32(VIRTIO_BLK_MAX_DWZ_SECTORS);
	c->max_discard_seg = htole32(1);
	c->discard_sector_alignment = htole32(VIRTIO_BLK_DISCARD_ALIGN);
	c->max_write_zeroes_sectors = htole32(VIRTIO_BLK_MAX_DWZ_SECTORS);
	c->max_write_zeroes_seg = htole32(1);
	c->write_zeroes_may_unmap = 1;
}

/* What the device offers: fixed, but for the read-only disk's. */
static uint64_t offered(int readonly)
{
	uint64_t f = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_EVENT_IDX |
		     1ULL << VIRTIO_F_INDIRECT_DESC | 1ULL << VIRTIO_BLK_F_SEG_MAX |
		     1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH |
		     1ULL << VIRTIO_BLK_F_MQ;

	if (readonly)
		return f | 1ULL << VIRTIO_BLK_F_RO;
	return f | 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
}

int virtio_blk_init(struct virtio_blk *b, const struct blk_io *io, const char *name,
		    unsigned int nqueues, struct kvmini_error *err)
{
	unsigned int i;
	int r;

	memset(b, 0, sizeof(*b));
	if (nqueues == 0 || nqueues > VIRTIO_BLK_MAX_QUEUES)
		return set_err(err, EINVAL, "disk '%s': %u queues (must be 1 to %d)",
			       name, nqueues, VIRTIO_BLK_MAX_QUEUES);
	if (!io || !io->ops || io->max_ops == 0)
		return set_err(err, EINVAL, "disk '%s': no back end to do its I/O", name);
	b->io = *io;
	b->readonly = !!io->readonly;
	b->capacity = io->size / SECTOR;
	b->nreqs = io->max_ops;
	r = virtio_dev_init(&b->vdev, nqueues, offered(b->readonly));
	if (r) {
		r = set_err(err, -r, "out of memory for disk '%s'", name);
		goto fail;
	}
	b->reqs = calloc(b->nreqs, sizeof(*b->reqs));
	b->free_reqs = calloc(b->nreqs, sizeof(*b->free_reqs));
	if (!b->reqs || !b->free_reqs) {
		r = set_err(err, ENOMEM, "out of memory for disk '%s'", name);
		goto fail;
	}
	for (i = 0; i < b->nreqs; i++)
		b->free_reqs[i] = b->nreqs - 1 - i;
	b->nfree = b->nreqs;
	r = pthread_mutex_init(&b->lock, NULL);
	if (r) {
		r = set_err(err, r, "disk '%s': cannot create a mutex", name);
		goto fail;
	}
	make_serial(b->serial, name);
	build_config(b);
	return 0;
fail:
	virtio_dev_destroy(&b->vdev);
	free(b->reqs);
	free(b->free_reqs);
	memset(b, 0, sizeof(*b));
	return r;
}

void virtio_blk_reset(struct virtio_blk *b)
{
	int r;

	pthread_mutex_lock(&b->lock);
	r = b->io.ops->drain(b->io.be, on_drop, b);
	if (r < 0)   /* the slots of what is lost stay taken */
		log_errno(-r, "virtio-blk reset: cannot wait for I/O in flight");
	virtio_dev_reset(&b->vdev);
	memset(b->throttled, 0, sizeof(b->throttled));
	pthread_mutex_unlock(&b->lock);
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b->reqs)
		return;
	virtio_blk_reset(b);
	pthread_mutex_destroy(&b->lock);
	virtio_dev_destroy(&b->vdev);
	free(b->reqs);
	free(b->free_reqs);
	memset(b, 0, sizeof(*b));
}

uint64_t virtio_blk_features(const struct virtio_blk *b)
{
	return b->vdev.features;
}

void virtio_blk_config_read(struct virtio_blk *b, uint64_t off, void *data,
			    unsigned int len)
{
	virtio_dev_config_read(&b->cfg, sizeof(b->cfg), off, data, len);
}

void virtio_blk_set_irq(struct virtio_blk *b, struct virtio_irq irq)
{
	pthread_mutex_lock(&b->lock);
	virtio_dev_set_irq(&b->vdev, irq);
	pthread_mutex_unlock(&b->lock);
}

int virtio_blk_queue_start(struct virtio_blk *b, unsigned int q, struct virtq *vq,
			   uint64_t features)
{
	int r;

	if (virtio_dev_check_features(&b->vdev, features))
		return -EINVAL;
	pthread_mutex_lock(&b->lock);
	r = virtio_dev_queue_start(&b->vdev, q, vq, features);
	if (r == 0)
		b->throttled[q] = 0;
	pthread_mutex_unlock(&b->lock);
	return r;
}

int virtio_blk_event_fd(const struct virtio_blk *b)
{
	return b->io.event_fd;
}

/* ---- the transport's view ---- */

static uint64_t op_features(void *dev)
{
	return virtio_blk_features(dev);
}

static void op_config_read(void *dev, uint64_t off, void *data, unsigned int len)
{
	virtio_blk_config_read(dev, off, data, len);
}

static int op_queue_start(void *dev, unsigned int q, struct virtq *vq, uint64_t features)
{
	return virtio_blk_queue_start(dev, q, vq, features);
}

static int op_kick(void *dev, unsigned int q)
{
	return virtio_blk_kick(dev, q);
}

static void op_reset(void *dev)
{
	virtio_blk_reset(dev);
}

const struct virtio_device_ops virtio_blk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.class_code = 0x018000,   /* mass storage, other */
	.features = op_features,
	.config_read = op_config_read,
	.queue_start = op_queue_start,
	.kick = op_kick,
	.reset = op_reset,
};
