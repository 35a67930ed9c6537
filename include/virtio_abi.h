/*
 * virtio_abi.h - the parts of the virtio 1.x ABI that kvmini's devices use:
 * feature bits, the split virtqueue layout, the virtio-blk request and
 * configuration formats, and the virtio-net header and configuration.
 * (Device status bits live with the transport.)
 *
 * Self-contained on purpose: devices/ does not include <linux/virtio_*.h>.
 * Struct names differ from Linux's (virtq_* rather than vring_*), and the
 * macros that share a name with Linux's headers have identical definitions,
 * so a file that includes both still compiles. Every multi-byte field is
 * little-endian in guest memory (le16/le32/le64 in the spec).
 */
#ifndef KVMINI_VIRTIO_ABI_H
#define KVMINI_VIRTIO_ABI_H

#include <stdint.h>

/* ---- Device-independent feature bits (bit numbers) ---- */
#define VIRTIO_F_INDIRECT_DESC 28   /* descriptors may point at tables */
#define VIRTIO_F_EVENT_IDX     29   /* used_event / avail_event fields */
#define VIRTIO_F_VERSION_1 32       /* virtio 1.x (non-legacy) device */

/* ---- Split virtqueue ---- */
#define VIRTQ_DESC_F_NEXT     1     /* the chain goes on at .next */
#define VIRTQ_DESC_F_WRITE    2     /* the device writes this buffer */
#define VIRTQ_DESC_F_INDIRECT 4     /* the buffer is a descriptor table */

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1  /* driver: do not interrupt me */
#define VIRTQ_USED_F_NO_NOTIFY     1  /* device: do not kick me */

/* Alignment the spec requires of each ring area. */
#define VIRTQ_DESC_ALIGN  16
#define VIRTQ_AVAIL_ALIGN 2
#define VIRTQ_USED_ALIGN  4

#define VIRTQ_MAX_SIZE 32768

struct virtq_desc {
	uint64_t addr;   /* guest-physical buffer address */
	uint32_t len;    /* bytes */
	uint16_t flags;  /* VIRTQ_DESC_F_* */
	uint16_t next;   /* index of the next descriptor if F_NEXT */
};

/* The available ring: flags, idx, ring[size], used_event. */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct virtq_used_elem {
	uint32_t id;     /* head index of the chain */
	uint32_t len;    /* bytes written into device-writable buffers */
};

/* The used ring: flags, idx, ring[size], avail_event. */
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

/* Exact sizes of the three areas of a queue of n entries (with EVENT_IDX). */
#define VIRTQ_DESC_BYTES(n)  (16ULL * (n))
#define VIRTQ_AVAIL_BYTES(n) (6ULL + 2ULL * (n))
#define VIRTQ_USED_BYTES(n)  (6ULL + 8ULL * (n))

_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc layout");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem layout");
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail layout");
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used layout");

/* ---- virtio-blk (device id 2) ---- */
#define VIRTIO_ID_BLOCK 2

#define VIRTIO_BLK_F_SIZE_MAX     1
#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_GEOMETRY     4
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_TOPOLOGY     10
#define VIRTIO_BLK_F_CONFIG_WCE   11
#define VIRTIO_BLK_F_MQ           12
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types. */
#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

/* Status byte values. */
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_SECTOR_SIZE 512
#define VIRTIO_BLK_ID_BYTES    20   /* GET_ID answer, not NUL-terminated */

/* Flag in a discard / write-zeroes segment. */
#define VIRTIO_BLK_DWZ_F_UNMAP 1u

/* The 16 bytes every request starts with. */
struct virtio_blk_req_hdr {
	uint32_t type;     /* VIRTIO_BLK_T_* */
	uint32_t reserved; /* ioprio in legacy devices; ignored */
	uint64_t sector;   /* in 512-byte units, whatever blk_size says */
};

/* One range of a discard or write-zeroes request. */
struct virtio_blk_dwz_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;    /* VIRTIO_BLK_DWZ_F_UNMAP; other bits reserved */
};

/* Device configuration space, up to write_zeroes_may_unmap. */
struct virtio_blk_config_space {
	uint64_t capacity;                 /* 0x00, 512-byte sectors */
	uint32_t size_max;                 /* 0x08 */
	uint32_t seg_max;                  /* 0x0c */
	uint16_t geo_cylinders;            /* 0x10 */
	uint8_t geo_heads;                 /* 0x12 */
	uint8_t geo_sectors;               /* 0x13 */
	uint32_t blk_size;                 /* 0x14 */
	uint8_t physical_block_exp;        /* 0x18 */
	uint8_t alignment_offset;          /* 0x19 */
	uint16_t min_io_size;              /* 0x1a */
	uint32_t opt_io_size;              /* 0x1c */
	uint8_t writeback;                 /* 0x20 */
	uint8_t unused0;                   /* 0x21 */
	uint16_t num_queues;               /* 0x22 */
	uint32_t max_discard_sectors;      /* 0x24 */
	uint32_t max_discard_seg;          /* 0x28 */
	uint32_t discard_sector_alignment; /* 0x2c */
	uint32_t max_write_zeroes_sectors; /* 0x30 */
	uint32_t max_write_zeroes_seg;     /* 0x34 */
	uint8_t write_zeroes_may_unmap;    /* 0x38 */
	uint8_t unused1[3];                /* 0x39 */
} __attribute__((packed));

_Static_assert(sizeof(struct virtio_blk_req_hdr) == 16, "blk header layout");
_Static_assert(sizeof(struct virtio_blk_dwz_seg) == 16, "blk dwz layout");
_Static_assert(sizeof(struct virtio_blk_config_space) == 60, "blk config layout");
_Static_assert(__builtin_offsetof(struct virtio_blk_config_space, num_queues) == 0x22,
	       "blk config num_queues offset");
_Static_assert(__builtin_offsetof(struct virtio_blk_config_space,
				  write_zeroes_may_unmap) == 0x38,
	       "blk config write_zeroes_may_unmap offset");

/* ---- virtio-net (device id 1) ---- */
#define VIRTIO_ID_NET 1

#define VIRTIO_NET_F_CSUM        0   /* device takes packets with partial csum */
#define VIRTIO_NET_F_GUEST_CSUM  1   /* driver takes packets with partial csum */
#define VIRTIO_NET_F_MAC         5
#define VIRTIO_NET_F_GUEST_TSO4  7
#define VIRTIO_NET_F_GUEST_TSO6  8
#define VIRTIO_NET_F_GUEST_ECN   9
#define VIRTIO_NET_F_GUEST_UFO   10
#define VIRTIO_NET_F_HOST_TSO4   11
#define VIRTIO_NET_F_HOST_TSO6   12
#define VIRTIO_NET_F_HOST_ECN    13
#define VIRTIO_NET_F_HOST_UFO    14
#define VIRTIO_NET_F_MRG_RXBUF   15
#define VIRTIO_NET_F_STATUS      16
#define VIRTIO_NET_F_CTRL_VQ     17
#define VIRTIO_NET_F_MQ          22

#define VIRTIO_NET_S_LINK_UP     1

/* Control queue (CTRL_VQ): class, command, data out; one ack byte in. */
#define VIRTIO_NET_OK            0
#define VIRTIO_NET_ERR           1
#define VIRTIO_NET_CTRL_MQ       4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN 1
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX 0x8000

/* virtio_net_hdr.flags and .gso_type */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE  0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP   3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN   0x80

/*
 * The header in front of every packet in both directions. A virtio 1.x
 * device always has num_buffers (12 bytes), with or without MRG_RXBUF.
 */
struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;  /* rx: chains this packet spans (MRG_RXBUF) */
};

/* Device configuration space. */
struct virtio_net_config_space {
	uint8_t mac[6];
	uint16_t status;               /* VIRTIO_NET_S_* */
	uint16_t max_virtqueue_pairs;
	uint16_t mtu;
} __attribute__((packed));

_Static_assert(sizeof(struct virtio_net_hdr_v1) == 12, "net header layout");
_Static_assert(sizeof(struct virtio_net_config_space) == 12, "net config layout");

#endif
