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

/* ---- chain helpers ---- */

/* Copy n readable bytes at offset off of c into dst (caller checked sizes). */
static void chain_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t n)
{
	struct iovec iov[HDR_BYTES];
	unsigned int i, k = virtq_chain_iov(c, 0, c->nreadable, off, n, iov);
	uint8_t *p = dst;

	for (i = 0; i < k && i < ARRAY_SIZE(iov); i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
}

/* ---- request slots ---- */

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
	struct virtq *vq = b->vq[r->q];

	*r->status = status;
	if (vq) {
		if (virtq_push(vq, r->head, (uint32_t)(written + 1)) < 0)
			vq->broken = 1;
		b->to_notify |= 1u << r->q;
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
		e = blk_backend_queue_readv(&b->be, r->iov, n, sector * SECTOR,
					    (uint64_t)(r - b->reqs));
	else
		e = blk_backend_queue_writev(&b->be, r->iov, n, sector * SECTOR,
					     (uint64_t)(r - b->reqs));
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
	chain_read(c, HDR_BYTES, &seg, sizeof(seg));
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
		e = blk_backend_queue_discard(&b->be, off, len, (uint64_t)(r - b->reqs));
	else
		e = blk_backend_queue_write_zeroes(&b->be, off, len,
						   !!(flags & VIRTIO_BLK_DWZ_F_UNMAP),
						   (uint64_t)(r - b->reqs));
	return e < 0 ? VIRTIO_BLK_S_IOERR : -1;
}

/* GET_ID: copy up to 20 bytes of serial into the writable buffers. */
static uint64_t do_get_id(const struct virtio_blk *b, const struct virtq_chain *c)
{
	uint64_t n = c->writable - 1, done = 0;
	struct iovec iov[VIRTIO_BLK_ID_BYTES];
	unsigned int i, k;

	if (n > VIRTIO_BLK_ID_BYTES)
		n = VIRTIO_BLK_ID_BYTES;
	k = virtq_chain_iov(c, c->nreadable, c->nsegs, 0, n, iov);
	for (i = 0; i < k && i < ARRAY_SIZE(iov); i++) {
		memcpy(iov[i].iov_base, b->serial + done, iov[i].iov_len);
		done += iov[i].iov_len;
	}
	return done;
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

	if (c->writable == 0) {
		b->vq[q]->broken = 1;        /* nowhere to put a status */
		return -EIO;
	}
	r = req_get(b);
	r->head = c->head;
	r->q = (uint16_t)q;
	r->status = (uint8_t *)last->host + last->len - 1;
	r->type = UINT32_MAX;
	if (c->readable < HDR_BYTES) {
		req_finish(b, r, VIRTIO_BLK_S_IOERR, 0);
		return 0;
	}
	chain_read(c, 0, &hdr, sizeof(hdr));
	r->type = le32toh(hdr.type);
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		st = do_rw(b, r, c, le64toh(hdr.sector));
		break;
	case VIRTIO_BLK_T_FLUSH:
		st = blk_backend_queue_flush(&b->be, (uint64_t)(r - b->reqs)) < 0 ?
		     VIRTIO_BLK_S_IOERR : -1;
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
		/* fall through */
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

/* Interrupt each queue that got completions, if its driver wants it. */
static void signal_queues(struct virtio_blk *b)
{
	unsigned int q;

	for (q = 0; q < b->nqueues; q++) {
		if (!(b->to_notify & (1u << q)) || !b->vq[q])
			continue;
		if (virtq_needs_notify(b->vq[q]) && b->notify) {
			b->notify(b->notify_ctx, q);
			b->notifications++;
		}
	}
	b->to_notify = 0;
}

/* Submit what the drained requests prepared, as one batch. */
static int submit_batch(struct virtio_blk *b)
{
	int r;

	if (b->be.prepared == 0)
		return 0;
	b->batches++;
	r = blk_backend_submit(&b->be);
	return r < 0 ? r : 0;
}

/*
 * Take every available request of queue q. Stops early, marking the queue
 * throttled, when every request slot is in use. Returns the number of
 * requests taken or -EIO.
 */
static int drain_queue(struct virtio_blk *b, unsigned int q)
{
	struct virtq *vq = b->vq[q];
	int n = 0, r;

	b->throttled[q] = 0;
	do {
		virtq_disable_notify(vq);
		for (;;) {
			if (b->nfree == 0) {
				b->throttled[q] = 1;
				return n;
			}
			r = virtq_pop(vq, b->chain);
			if (r == 0)
				break;
			if (r < 0 || handle_request(b, q, b->chain) < 0)
				return -EIO;
			b->requests++;
			n++;
		}
	} while (virtq_enable_notify(vq));
	return n;
}

int virtio_blk_kick(struct virtio_blk *b, unsigned int q)
{
	int n, r;

	pthread_mutex_lock(&b->lock);
	if (q >= b->nqueues || !b->vq[q]) {
		pthread_mutex_unlock(&b->lock);
		return -EINVAL;
	}
	n = drain_queue(b, q);
	r = submit_batch(b);
	signal_queues(b);
	pthread_mutex_unlock(&b->lock);
	return n < 0 ? n : r < 0 ? r : n;
}

int virtio_blk_complete(struct virtio_blk *b)
{
	unsigned int q;
	int r, ret = 0;

	pthread_mutex_lock(&b->lock);
	r = blk_backend_reap(&b->be, on_complete, b);
	if (r < 0)
		ret = r;
	for (q = 0; q < b->nqueues; q++) {
		if (b->throttled[q] && b->vq[q] && drain_queue(b, q) < 0)
			ret = -EIO;
	}
	r = submit_batch(b);
	if (r < 0 && ret == 0)
		ret = r;
	signal_queues(b);
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
	c->num_queues = htole16((uint16_t)b->nqueues);
	c->max_discard_sectors = htole32(VIRTIO_BLK_MAX_DWZ_SECTORS);
	c->max_discard_seg = htole32(1);
	c->discard_sector_alignment = htole32(VIRTIO_BLK_DISCARD_ALIGN);
	c->max_write_zeroes_sectors = htole32(VIRTIO_BLK_MAX_DWZ_SECTORS);
	c->max_write_zeroes_seg = htole32(1);
	c->write_zeroes_may_unmap = 1;

	b->features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_EVENT_IDX |
		      1ULL << VIRTIO_F_INDIRECT_DESC | 1ULL << VIRTIO_BLK_F_SEG_MAX |
		      1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH |
		      1ULL << VIRTIO_BLK_F_MQ;
	if (b->readonly)
		b->features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		b->features |= 1ULL << VIRTIO_BLK_F_DISCARD |
			       1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
}

int virtio_blk_init(struct virtio_blk *b, const char *path, int readonly,
		    int direct, unsigned int nqueues, struct kvmini_error *err)
{
	unsigned int i;
	int r;

	memset(b, 0, sizeof(*b));
	if (nqueues == 0 || nqueues > VIRTIO_BLK_MAX_QUEUES)
		return set_err(err, EINVAL, "disk '%s': %u queues (must be 1 to %d)",
			       path, nqueues, VIRTIO_BLK_MAX_QUEUES);
	r = blk_backend_open(&b->be, path, readonly, direct, 0, err);
	if (r < 0)
		return r;
	b->readonly = !!readonly;
	b->nqueues = nqueues;
	b->capacity = b->be.size / SECTOR;
	b->nreqs = b->be.max_ops;
	b->chain = malloc(sizeof(*b->chain));
	b->reqs = calloc(b->nreqs, sizeof(*b->reqs));
	b->free_reqs = calloc(b->nreqs, sizeof(*b->free_reqs));
	if (!b->chain || !b->reqs || !b->free_reqs) {
		r = set_err(err, ENOMEM, "out of memory for disk '%s'", path);
		goto fail;
	}
	for (i = 0; i < b->nreqs; i++)
		b->free_reqs[i] = b->nreqs - 1 - i;
	b->nfree = b->nreqs;
	r = pthread_mutex_init(&b->lock, NULL);
	if (r) {
		r = set_err(err, r, "disk '%s': cannot create a mutex", path);
		goto fail;
	}
	make_serial(b->serial, path);
	build_config(b);
	return 0;
fail:
	free(b->chain);
	free(b->reqs);
	free(b->free_reqs);
	blk_backend_close(&b->be);
	memset(b, 0, sizeof(*b));
	return r;
}

void virtio_blk_reset(struct virtio_blk *b)
{
	int r;

	pthread_mutex_lock(&b->lock);
	r = blk_backend_drain(&b->be, on_drop, b);
	if (r < 0)   /* the slots of what is lost stay taken */
		log_errno(-r, "virtio-blk reset: cannot wait for I/O in flight");
	memset(b->vq, 0, sizeof(b->vq));
	memset(b->throttled, 0, sizeof(b->throttled));
	b->to_notify = 0;
	pthread_mutex_unlock(&b->lock);
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b->reqs)
		return;
	virtio_blk_reset(b);
	blk_backend_close(&b->be);
	pthread_mutex_destroy(&b->lock);
	free(b->chain);
	free(b->reqs);
	free(b->free_reqs);
	memset(b, 0, sizeof(*b));
}

uint64_t virtio_blk_features(const struct virtio_blk *b)
{
	return b->features;
}

void virtio_blk_config_read(struct virtio_blk *b, uint64_t off, void *data,
			    unsigned int len)
{
	const uint8_t *cfg = (const uint8_t *)&b->cfg;
	uint8_t *out = data;
	unsigned int i;

	for (i = 0; i < len; i++)
		out[i] = off < sizeof(b->cfg) && i < sizeof(b->cfg) - off ?
			 cfg[off + i] : 0;
}

void virtio_blk_set_notifier(struct virtio_blk *b, virtio_blk_notify_fn *notify,
			     void *ctx)
{
	pthread_mutex_lock(&b->lock);
	b->notify = notify;
	b->notify_ctx = ctx;
	pthread_mutex_unlock(&b->lock);
}

int virtio_blk_queue_start(struct virtio_blk *b, unsigned int q, struct virtq *vq)
{
	if (q >= b->nqueues || !vq)
		return -EINVAL;
	pthread_mutex_lock(&b->lock);
	b->vq[q] = vq;
	b->throttled[q] = 0;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

int virtio_blk_event_fd(const struct virtio_blk *b)
{
	return blk_backend_event_fd(&b->be);
}
