/*
 * virtq.h - the device side of a virtio 1.x split virtqueue.
 *
 * The transport places a queue (virtq_init) once the driver has written the
 * three ring addresses; the device then pops descriptor chains the driver
 * made available, gathered into host segments that point straight into
 * guest RAM, and pushes them back on the used ring. Everything the guest
 * wrote is validated before use: ring indexes, descriptor indexes, loops,
 * chain lengths, indirect tables, buffer addresses and lengths (through
 * gmem_ptr, overflow-safe), and the readable-before-writable order. A
 * malformed ring or chain makes virtq_pop fail and marks the queue broken;
 * a broken queue pops nothing more until it is set up again, and the
 * transport should then set DEVICE_NEEDS_RESET.
 *
 * Zero-length descriptors are accepted and skipped: they count towards the
 * chain length limit but yield no segment and their address is not checked.
 * An indirect descriptor may end a chain of direct ones (it cannot carry
 * F_NEXT); its table must be non-empty, a multiple of 16 bytes, inside RAM,
 * and may not contain another indirect descriptor. Its WRITE flag is ignored.
 *
 * Memory ordering: avail->idx is read with an acquire load before ring
 * entries and descriptors; used->idx is published with a release store
 * after the used element; a full fence separates publishing used->idx (or
 * avail_event) from reading the driver's suppression fields.
 *
 * One thread at a time may use a given queue.
 */
#ifndef KVMINI_VIRTQ_H
#define KVMINI_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "base/guestmem.h"
#include "base/util.h"
#include "virtio_abi.h"

/* Most segments one chain may have (direct and indirect together). */
#define VIRTQ_MAX_SEGS 1024

/* One buffer of a chain, translated to a host address. */
struct virtq_seg {
	void *host;        /* inside guest RAM, len bytes valid */
	uint32_t len;      /* never 0 */
	int device_writes; /* 1: device-writable (VIRTQ_DESC_F_WRITE) */
};

/* A popped chain: readable segments first, then writable ones. */
struct virtq_chain {
	uint16_t head;            /* pass to virtq_push */
	unsigned int nsegs;
	uint64_t readable;        /* total bytes of readable segments */
	uint64_t writable;        /* total bytes of writable segments */
	unsigned int nreadable;   /* segments [0, nreadable) are readable */
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

struct virtq {
	const struct guest_mem *mem;
	uint16_t size;            /* entries, a power of two */
	gpa_t desc, avail, used;  /* guest-physical ring addresses */
	struct virtq_desc *desc_host;
	struct virtq_avail *avail_host;
	struct virtq_used *used_host;
	uint16_t last_avail;      /* next avail ring entry to pop */
	uint16_t used_idx;        /* next used ring entry to fill */
	uint16_t signalled_used;  /* used_idx at the last notify decision */
	int event_idx;            /* VIRTIO_F_EVENT_IDX negotiated */
	int indirect;             /* VIRTIO_F_INDIRECT_DESC negotiated */
	int broken;               /* the guest broke the ring: pop refuses */
	uint64_t popped, pushed;  /* counters */
};

/*
 * virtq_init - set up vq over rings the driver placed at desc_gpa,
 * avail_gpa and used_gpa. size must be a power of two in 1..32768; each
 * area (with used_event / avail_event) must lie inside guest RAM and be
 * aligned as the spec requires (16, 2, 4). event_idx and indirect say
 * whether those features were negotiated. Returns 0 or -EINVAL (vq is then
 * left marked broken).
 */
int virtq_init(struct virtq *vq, const struct guest_mem *mem, unsigned int size,
	       gpa_t desc_gpa, gpa_t avail_gpa, gpa_t used_gpa,
	       int event_idx, int indirect) MUST_CHECK;

/*
 * virtq_pop - take the next available chain into c. Returns 1 with c
 * filled, 0 when the ring is empty, or a negative errno (-EINVAL) when the
 * ring or chain is malformed, and -EIO once the queue is broken.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *c) MUST_CHECK;

/*
 * virtq_unpop - give back the last n chains popped and not pushed: the next
 * virtq_pop returns them again (walked and checked afresh). For a device
 * that took buffers it then could not fill. n larger than what was popped
 * since virtq_init is clamped.
 */
void virtq_unpop(struct virtq *vq, uint16_t n);

/*
 * virtq_push - return chain head to the driver, saying written_len bytes
 * were written into its device-writable buffers, and publish used->idx.
 * Returns 0, or -EINVAL for a head outside the queue.
 */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t written_len) MUST_CHECK;

/*
 * virtq_needs_notify - whether the driver wants an interrupt for what was
 * pushed since the last call: with EVENT_IDX, if used_event was crossed;
 * otherwise unless VIRTQ_AVAIL_F_NO_INTERRUPT is set. False when nothing
 * was pushed. Each call starts a new window.
 */
bool virtq_needs_notify(struct virtq *vq);

/*
 * virtq_need_event - the spec's vring_need_event: the used ring went from
 * old to new_idx; true if the entry numbered event_idx was among those
 * written, i.e. event_idx is in [old, new_idx) modulo 2^16.
 */
static inline bool virtq_need_event(uint16_t event_idx, uint16_t new_idx,
				    uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/*
 * virtq_disable_notify - ask the driver not to kick while the device is
 * draining the ring (sets VIRTQ_USED_F_NO_NOTIFY without EVENT_IDX; with
 * EVENT_IDX it does nothing: avail_event simply stays behind).
 */
void virtq_disable_notify(struct virtq *vq);

/*
 * virtq_enable_notify - ask for a kick when the driver adds the next chain
 * (avail_event = last_avail with EVENT_IDX, else clear NO_NOTIFY), then
 * re-check the ring. Returns true if chains arrived meanwhile: the caller
 * must pop again, or it may never be kicked for them.
 */
bool virtq_enable_notify(struct virtq *vq);

/*
 * virtq_enable_notify_more - for a device that needs more chains than are
 * available now (a packet that spans several): ask for a kick when the
 * driver adds past the current avail->idx, then re-check. Returns true if
 * the driver already added more: the caller must look again.
 */
bool virtq_enable_notify_more(struct virtq *vq);

/* virtq_has_work - true if the driver made chains available not yet popped. */
bool virtq_has_work(struct virtq *vq);

/*
 * virtq_chain_read - copy up to len bytes of c's device-readable part,
 * starting off bytes into it, to dst. Returns the bytes copied: len, or
 * fewer where the readable part ends first (0 when off is at or past its
 * end). The chain came from virtq_pop, so every segment is inside RAM.
 */
uint64_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst,
			  uint64_t len);

/*
 * virtq_chain_write - copy up to len bytes from src into c's
 * device-writable part, starting off bytes into it. Returns the bytes
 * copied, clamped as for virtq_chain_read.
 */
uint64_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *src,
			   uint64_t len);

struct iovec;

/*
 * virtq_chain_iov - describe len bytes of segments [first, end) of c,
 * starting skip bytes in, as iovecs (at most end - first of them).
 * Returns the iovec count.
 */
unsigned int virtq_chain_iov(const struct virtq_chain *c, unsigned int first,
			     unsigned int end, uint64_t skip, uint64_t len,
			     struct iovec *iov);

#endif
