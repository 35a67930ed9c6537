/* virtio_blk.c - see virtio_blk.h. Device: virtio 1.x, 5.2. */
#include "virtio_blk.h"
#include "runtime.h"

#define BLK_QUEUE_MAX 256
#define BLK_WAIT_NS   (10ull * 1000000000ull)  /* no completion for this long: give up */
#define FLUSH_SLOT    PLAT_BLK_MAX_BATCH
#define MAX_DATA_SEGS (VRING_MAX - 2)
#define STATUS_NONE   0xff                    /* not written by the device */

#define BLK_CFG_CAPACITY 0x00
#define BLK_CFG_SEG_MAX  0x0c
#define BLK_CFG_BLK_SIZE 0x14

/* Stop using the device after something it did wrong or never did. */
static int give_up(struct blk_dev *b)
{
	b->state = -1;
	if (virtio_reset(&b->vd) == 0)
		virtio_fail(&b->vd);
	return -PLAT_EIO;
}

/*
 * The next completed request's cookie, waiting up to BLK_WAIT_NS. Returns 0,
 * or -PLAT_EIO (with a console line) after a timeout or a bad used entry.
 */
static int next_done(struct blk_dev *b, uint32_t *cookie)
{
	uint64_t t0 = plat_time_ns();
	uint32_t len;

	for (;;) {
		int r = vring_poll(&b->vq, cookie, &len);

		if (r == 1)
			return 0;
		if (r < 0) {
			con_printf("# blk: device returned an invalid used entry (id or length %u); "
				   "device reset, disk given up\n", len);
			return give_up(b);
		}
		if (plat_time_ns() - t0 > BLK_WAIT_NS) {
			con_printf("# blk: %u request(s) not completed within 10 s (device status "
				   "%#x); device reset, disk given up\n", vring_in_flight(&b->vq),
				   virtio_status(&b->vd));
			return give_up(b);
		}
		__asm__ volatile("pause");
	}
}

/*
 * Split the len bytes at buf into physically contiguous pieces in segs (at
 * most max). Returns the number of pieces, or -PLAT_EINVAL when buf is not
 * mapped or needs more than max.
 */
static int data_segs(void *buf, uint32_t len, int device_writes, struct vring_seg *segs,
		     unsigned int max)
{
	uint8_t *p = buf;
	unsigned int n = 0;

	while (len) {
		uint64_t pa, contig;
		uint32_t piece;

		if (mm_virt_to_phys(p, &pa, &contig))
			return -PLAT_EINVAL;
		piece = contig < len ? (uint32_t)contig : len;
		if (n && segs[n - 1].pa + segs[n - 1].len == pa) {
			segs[n - 1].len += piece;
		} else {
			if (n == max)
				return -PLAT_EINVAL;
			segs[n].pa = pa;
			segs[n].len = piece;
			segs[n].device_writes = device_writes;
			n++;
		}
		p += piece;
		len -= piece;
	}
	return (int)n;
}

/* Data segments a request may have: the device's limit and the queue's. */
static unsigned int seg_limit(const struct blk_dev *b)
{
	unsigned int lim = b->vq.size - 2u;

	if (lim > MAX_DATA_SEGS)
		lim = MAX_DATA_SEGS;
	if (b->seg_max && b->seg_max < lim)
		lim = b->seg_max;
	return lim;
}

/* Check one request; 0 or -PLAT_EINVAL. */
static int check_req(const struct blk_dev *b, const struct plat_blk_req *q)
{
	struct vring_seg segs[MAX_DATA_SEGS];
	uint64_t count = q->len / PLAT_BLK_SECTOR;

	if (!q->buf || !q->len || q->len % PLAT_BLK_SECTOR || q->len > PLAT_BLK_MAX_LEN ||
	    q->sector > b->sectors || count > b->sectors - q->sector ||
	    (q->write && b->read_only))
		return -PLAT_EINVAL;
	if (data_segs(q->buf, q->len, 0, segs, seg_limit(b)) < 0) {
		con_printf("# blk: buffer %p (%u bytes) is unmapped or needs more than %u "
			   "segments\n", q->buf, q->len, seg_limit(b));
		return -PLAT_EINVAL;
	}
	return 0;
}

/* Queue request i: header, data pieces, status. Returns 0 or -PLAT_ENOMEM (no room). */
static int add_req(struct blk_dev *b, const struct plat_blk_req *q, unsigned int i)
{
	struct vring_seg segs[MAX_DATA_SEGS + 2];
	struct blk_slot *s = &b->slots[i];
	int n = data_segs(q->buf, q->len, !q->write, segs + 1, seg_limit(b));

	if (n < 0 || (unsigned int)n + 2 > vring_free_descs(&b->vq))
		return -PLAT_ENOMEM;
	s->hdr.type = q->write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
	s->hdr.reserved = 0;
	s->hdr.sector = q->sector;
	s->status = STATUS_NONE;
	segs[0] = (struct vring_seg){ (uint64_t)(uintptr_t)&s->hdr, sizeof(s->hdr), 0 };
	segs[n + 1] = (struct vring_seg){ (uint64_t)(uintptr_t)&s->status, 1, 1 };
	return vring_add(&b->vq, segs, (unsigned int)n + 2, i);
}

/* The device's verdict on slot i: 0 or -PLAT_EIO. */
static int slot_status(const struct blk_dev *b, unsigned int i)
{
	return *(volatile uint8_t *)&b->slots[i].status == VIRTIO_BLK_S_OK ? 0 : -PLAT_EIO;
}

int virtio_blk_io(struct blk_dev *b, struct plat_blk_req *reqs, unsigned int n)
{
	unsigned int i, next = 0, done = 0, failed = 0;

	if (b->state != 1)
		return b->state ? -PLAT_EIO : -PLAT_ENODEV;
	if (!reqs || n == 0 || n > PLAT_BLK_MAX_BATCH)
		return -PLAT_EINVAL;
	for (i = 0; i < n; i++)
		if (check_req(b, &reqs[i]))
			return -PLAT_EINVAL;
	for (i = 0; i < n; i++)
		reqs[i].status = -PLAT_EIO;
	/* As many as fit, one notification, then more as completions free room. */
	while (done < n) {
		uint32_t c;

		while (next < n && add_req(b, &reqs[next], next) == 0)
			next++;
		vring_kick(&b->vq);
		if (next_done(b, &c))
			return -PLAT_EIO;
		if (c >= n)
			return give_up(b);   /* not a cookie of this call: cannot happen */
		reqs[c].status = slot_status(b, c);
		if (reqs[c].status && !failed++)
			con_printf("# blk: %s of %u bytes at sector %llu failed (status %u)\n",
				   reqs[c].write ? "write" : "read", reqs[c].len,
				   (unsigned long long)reqs[c].sector, b->slots[c].status);
		done++;
	}
	return failed ? -PLAT_EIO : 0;
}

int virtio_blk_flush(struct blk_dev *b)
{
	struct blk_slot *s = &b->slots[FLUSH_SLOT];
	struct vring_seg segs[2];
	uint32_t c;

	if (b->state != 1)
		return -PLAT_EIO;
	if (!virtio_has(&b->vd, VIRTIO_BLK_F_FLUSH))
		return 0;
	s->hdr.type = VIRTIO_BLK_T_FLUSH;
	s->hdr.reserved = 0;
	s->hdr.sector = 0;
	s->status = STATUS_NONE;
	segs[0] = (struct vring_seg){ (uint64_t)(uintptr_t)&s->hdr, sizeof(s->hdr), 0 };
	segs[1] = (struct vring_seg){ (uint64_t)(uintptr_t)&s->status, 1, 1 };
	if (vring_add(&b->vq, segs, 2, FLUSH_SLOT))
		return give_up(b);   /* nothing is in flight between calls */
	vring_kick(&b->vq);
	if (next_done(b, &c))
		return -PLAT_EIO;
	if (c != FLUSH_SLOT)
		return give_up(b);
	if (slot_status(b, FLUSH_SLOT)) {
		con_printf("# blk: flush failed (status %u)\n", s->status);
		return -PLAT_EIO;
	}
	return 0;
}

/* Capacity, limits and mode from the configuration and the features. */
static int read_config(struct blk_dev *b)
{
	uint64_t v;

	if (virtio_cfg_read(&b->vd, BLK_CFG_CAPACITY, 8, &v)) {
		con_printf("# blk: cannot read the capacity from the device configuration\n");
		return -PLAT_ENODEV;
	}
	b->sectors = v;
	b->seg_max = 0;
	if (virtio_has(&b->vd, VIRTIO_BLK_F_SEG_MAX) &&
	    virtio_cfg_read(&b->vd, BLK_CFG_SEG_MAX, 4, &v) == 0)
		b->seg_max = (uint32_t)v;
	b->blk_size = PLAT_BLK_SECTOR;
	if (virtio_has(&b->vd, VIRTIO_BLK_F_BLK_SIZE) &&
	    virtio_cfg_read(&b->vd, BLK_CFG_BLK_SIZE, 4, &v) == 0 && v)
		b->blk_size = (uint32_t)v;
	b->read_only = virtio_has(&b->vd, VIRTIO_BLK_F_RO);
	return 0;
}

static void fill_info(const struct blk_dev *b, struct plat_blk_info *info)
{
	info->sectors = b->sectors;
	info->read_only = b->read_only;
	info->how = "virtio-blk-pci";
}

int virtio_blk_open(struct blk_dev *b, struct plat_blk_info *info)
{
	uint64_t want = 1ull << VIRTIO_BLK_F_RO | 1ull << VIRTIO_BLK_F_BLK_SIZE |
			1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_FLUSH;
	int r = virtio_open_begin(&b->state, VIRTIO_ID_BLOCK, "blk", "virtio-blk", &b->vd);

	if (r) {
		if (r > 0)
			fill_info(b, info);
		return r > 0 ? 0 : r;
	}
	if (!b->slots)
		b->slots = mm_dma_alloc(sizeof(struct blk_slot) * (PLAT_BLK_MAX_BATCH + 1), 64);
	if (!b->slots) {
		con_printf("# blk: no memory for request headers\n");
		return -PLAT_ENODEV;
	}
	if (virtio_negotiate(&b->vd, want) || read_config(b) ||
	    virtio_queue_setup(&b->vd, 0, BLK_QUEUE_MAX, &b->vq) ||
	    virtio_driver_ok(&b->vd)) {
		virtio_fail(&b->vd);
		return -PLAT_ENODEV;
	}
	b->state = 1;
	con_printf("# blk: virtio-blk-pci %04x:%04x at 00:%02x.%u (registers at %p): "
		   "%llu sectors, block %u, queue %u, seg_max %u, flush %s%s\n",
		   b->vd.pci.vendor, b->vd.pci.device, b->vd.pci.slot, b->vd.pci.fn,
		   (void *)b->vd.common,
		   (unsigned long long)b->sectors, b->blk_size, b->vq.size, b->seg_max,
		   virtio_has(&b->vd, VIRTIO_BLK_F_FLUSH) ? "yes" : "no",
		   b->read_only ? ", read-only" : "");
	fill_info(b, info);
	return 0;
}
