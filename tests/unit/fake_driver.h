/*
 * fake_driver.h - the one virtio driver the device unit tests share.
 *
 * Guest RAM is a heap buffer at guest-physical 0 (AddressSanitizer sees any
 * device access outside it). Split virtqueues are laid out in it and driven
 * the way the guest's own driver does it (guest/vring.c, whose logic this
 * copies for the host: a free list of descriptors kept in driver-private
 * links, per-head bookkeeping of the chain length, writable bytes and the
 * caller's cookie, and every used entry checked before it is believed),
 * plus what no real driver does: raw descriptors and hostile chains (loops,
 * wrapping lengths and addresses, buffers outside RAM, too many
 * descriptors, nested or broken indirect tables, an avail index that jumps).
 * A virtio-pci transport is driven through its BAR 0 handlers as a driver
 * would, after finding its capabilities: feature negotiation, queue set-up,
 * doorbells, reset.
 *
 * Failures are Criterion assertions. A test file includes "fake_driver.c"
 * (it is not built on its own: the Makefile builds each tests/unit/test_*.c
 * alone).
 */
#ifndef KVMINI_TEST_FAKE_DRIVER_H
#define KVMINI_TEST_FAKE_DRIVER_H

#include <stdint.h>

#include "base/guestmem.h"
#include "devices/virtio_pci.h"
#include "devices/virtq.h"
#include "virtio_abi.h"

/* Largest queue the fake driver keeps books for. */
#define FD_QUEUE_MAX 1024

/* ---- guest RAM ---- */

extern uint8_t *fd_ram;          /* host address of guest-physical 0 */
extern uint64_t fd_ram_size;
extern struct guest_mem fd_mem;  /* what devices get */

/* fd_ram_init - size bytes of zeroed guest RAM; allocations start at 4 KiB. */
void fd_ram_init(uint64_t size);

/* fd_ram_fini - free the RAM. */
void fd_ram_fini(void);

/* fd_ptr - the host address of [gpa, gpa+len), which must be inside RAM. */
void *fd_ptr(uint64_t gpa, uint64_t len);

/* fd_alloc - len zeroed bytes of RAM aligned to align (a power of two). */
uint64_t fd_alloc(uint64_t len, uint64_t align);

/* fd_put - a copy of len bytes of data in RAM (8-byte aligned). */
uint64_t fd_put(const void *data, uint64_t len);

/* ---- queues ---- */

/* One buffer of a chain. */
struct fd_seg {
	uint64_t gpa;
	uint32_t len;
	int writes;      /* the device writes it (VIRTQ_DESC_F_WRITE) */
};

#define FD_R(gpa, len) ((struct fd_seg){ (gpa), (len), 0 })
#define FD_W(gpa, len) ((struct fd_seg){ (gpa), (len), 1 })

struct fd_queue {
	uint16_t size;                 /* entries, a power of two */
	uint64_t desc, avail, used;    /* ring addresses */
	uint16_t free_head, nfree;     /* descriptors in no chain */
	uint16_t avail_next;           /* avail->idx as published */
	uint16_t used_last;            /* next used entry to look at */
	/* Driver-private per-descriptor state: the device cannot touch it. */
	uint16_t link[FD_QUEUE_MAX];   /* next descriptor, free list or chain */
	uint16_t chain_n[FD_QUEUE_MAX];   /* at a head: its descriptors; 0: idle */
	uint32_t writable[FD_QUEUE_MAX];  /* at a head: bytes the device may write */
	uint32_t cookie[FD_QUEUE_MAX];    /* at a head: the caller's tag */
};

/* fd_queue_init - a queue of size entries with its rings allocated in RAM. */
void fd_queue_init(struct fd_queue *q, uint16_t size);

/*
 * fd_queue_place - a queue of size entries whose rings are at desc, avail
 * and used, which may lie partly or wholly outside RAM (what is inside is
 * zeroed).
 */
void fd_queue_place(struct fd_queue *q, uint16_t size, uint64_t desc, uint64_t avail,
		    uint64_t used);

/* fd_queue_start - virtq_init vq on q's rings, which must succeed. */
void fd_queue_start(struct fd_queue *q, struct virtq *vq, int event_idx, int indirect);

/*
 * fd_queue_jump - move both ring indexes to idx, as if idx chains had been
 * through (for wrap-around tests; the device's indexes are the test's).
 */
void fd_queue_jump(struct fd_queue *q, uint16_t idx);

/* The rings and the EVENT_IDX fields, as the device sees them. */
struct virtq_desc *fd_desc(const struct fd_queue *q, uint16_t i);
struct virtq_avail *fd_avail(const struct fd_queue *q);
struct virtq_used *fd_used(const struct fd_queue *q);
uint16_t *fd_used_event(const struct fd_queue *q);   /* after the avail ring */
uint16_t *fd_avail_event(const struct fd_queue *q);  /* after the used ring */

/*
 * fd_add - make a chain of the n segments available (published at once),
 * tagged with cookie. Returns its head; asserts there were n free
 * descriptors.
 */
uint16_t fd_add(struct fd_queue *q, const struct fd_seg *segs, unsigned int n,
		uint32_t cookie);

/*
 * fd_add_indirect - the same through one indirect descriptor whose table
 * (n entries) is allocated in RAM.
 */
uint16_t fd_add_indirect(struct fd_queue *q, const struct fd_seg *segs, unsigned int n,
			 uint32_t cookie);

/*
 * fd_poll - take the next used entry: its cookie and the length the device
 * wrote. Returns 1, 0 when there is none, or -1 when the device returned
 * something impossible (an index beyond what was made available, an
 * unknown or idle head, a length beyond the chain's writable bytes).
 */
int fd_poll(struct fd_queue *q, uint32_t *cookie, uint32_t *len);

/*
 * fd_used_len - the length of the used entry for head among those the
 * device published (asserts there is one).
 */
uint32_t fd_used_len(const struct fd_queue *q, uint16_t head);

/* fd_free_descs - descriptors fd_add can still use. */
unsigned int fd_free_descs(const struct fd_queue *q);

/* ---- raw descriptors, for layouts no driver makes ---- */

/* fd_raw - take a free descriptor and write it as given; its index. */
uint16_t fd_raw(struct fd_queue *q, uint64_t addr, uint32_t len, uint16_t flags,
		uint16_t next);

/* fd_publish - make head available, whatever it is. */
void fd_publish(struct fd_queue *q, uint16_t head);

/* fd_table - an indirect table of n descriptors in RAM, zeroed. */
uint64_t fd_table(unsigned int n);

/* fd_table_set - entry i of the table at gpa. */
void fd_table_set(uint64_t table, unsigned int i, uint64_t addr, uint32_t len,
		  uint16_t flags, uint16_t next);

/* ---- hostile chains ---- */

enum fd_hostile {
	FD_LOOP,               /* a -> b -> a */
	FD_ZERO_LEN_LOOP,      /* a zero-length descriptor chained to itself */
	FD_HEAD_OUT_OF_RANGE,  /* the head is no descriptor */
	FD_NEXT_OUT_OF_RANGE,  /* next = 0xffff */
	FD_PAST_RAM,           /* a buffer that runs off the end of RAM */
	FD_AT_RAM_END,         /* a buffer that starts where RAM ends */
	FD_ADDR_WRAPS,         /* address + length wraps 2^64 */
	FD_LEN_WRAPS,          /* length 2^32 - 1 from inside RAM */
	FD_READ_AFTER_WRITE,   /* a readable buffer after a writable one */
	FD_AVAIL_JUMP,         /* avail->idx runs more than a ring ahead */
	FD_TOO_MANY,           /* VIRTQ_MAX_SEGS + 1 descriptors (indirect) */
	FD_NESTED_INDIRECT,    /* an indirect table inside one */
	FD_INDIRECT_LOOP,      /* a loop inside an indirect table */
	FD_INDIRECT_OUT_OF_RANGE, /* next past the end of the table */
	FD_INDIRECT_BAD_LEN,   /* a table length not a multiple of 16 */
	FD_INDIRECT_EMPTY,     /* a table of length 0 */
	FD_INDIRECT_PAST_RAM,  /* a table that runs off the end of RAM */
	FD_INDIRECT_WITH_NEXT, /* an indirect descriptor that goes on */
	FD_HOSTILE_COUNT
};

/* fd_hostile_name - a few words for messages. */
const char *fd_hostile_name(enum fd_hostile h);

/*
 * fd_hostile - publish one chain of kind h on q (whose device negotiated
 * INDIRECT_DESC, for the indirect kinds to be about what they say).
 */
void fd_hostile(struct fd_queue *q, enum fd_hostile h);

/* ---- the virtio-pci transport, through BAR 0 ---- */

struct fd_pci {
	struct virtio_pci *vp;
	uint32_t common, notify, isr, device;  /* BAR 0 offsets, from the capabilities */
	uint32_t notify_mult;
};

/* fd_pci_attach - drive vp; finds and checks its vendor capabilities. */
void fd_pci_attach(struct fd_pci *p, struct virtio_pci *vp);

/* fd_pci_read / fd_pci_write - a BAR 0 access of len bytes (1, 2, 4 or 8). */
uint64_t fd_pci_read(const struct fd_pci *p, uint64_t off, unsigned int len);
void fd_pci_write(const struct fd_pci *p, uint64_t off, uint64_t val, unsigned int len);

/* fd_pci_status - the device status byte. */
uint8_t fd_pci_status(const struct fd_pci *p);

/* fd_pci_features - the 64 feature bits the device offers. */
uint64_t fd_pci_features(const struct fd_pci *p);

/*
 * fd_pci_start - initialise the device as a driver does: reset,
 * ACKNOWLEDGE | DRIVER, write features, FEATURES_OK (stopping there if the
 * device refuses it), then the nq queues (size and rings of qs[i], MSI-X
 * vector i, enable) and DRIVER_OK. Returns the status the device shows.
 */
uint8_t fd_pci_start(const struct fd_pci *p, uint64_t features, const struct fd_queue *qs,
		     unsigned int nq);

/*
 * fd_pci_kick - ring queue q's doorbell and do what the I/O thread does
 * when its eventfd turns readable (virtio_pci_kick_ready).
 */
void fd_pci_kick(const struct fd_pci *p, unsigned int q);

/* fd_pci_reset - write status 0. */
void fd_pci_reset(const struct fd_pci *p);

#endif
