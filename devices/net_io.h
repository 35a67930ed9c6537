/*
 * net_io.h - what virtio-net's userspace data path asks of the host end of
 * a queue pair: whole packets in and out, each with the 12-byte virtio 1.x
 * header in front, and a way to say which header size and offloads the
 * driver negotiated. The device model makes no host I/O of its own;
 * vmm/tap.c implements this on a tap queue (or on any fd that carries one
 * packet per read and write, as the unit tests' SOCK_SEQPACKET pair does).
 */
#ifndef KVMINI_NET_IO_H
#define KVMINI_NET_IO_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Offloads the host end may use towards the guest (values of linux/if_tun.h TUN_F_*). */
#define VIRTIO_NET_TAP_CSUM 0x01
#define VIRTIO_NET_TAP_TSO4 0x02
#define VIRTIO_NET_TAP_TSO6 0x04
#define VIRTIO_NET_TAP_ECN  0x08
#define VIRTIO_NET_TAP_UFO  0x10

struct net_io_ops {
	/* Read one packet into buf (at most len bytes): its length, 0 at end
	 * of file, or -errno (-EAGAIN: nothing to read now). */
	ssize_t (*recv)(void *ctx, void *buf, size_t len);
	/* Write one packet gathered from iov: bytes written or -errno. */
	ssize_t (*sendv)(void *ctx, const struct iovec *iov, unsigned int iovcnt);
	/* Use hdr_len-byte headers and the offloads VIRTIO_NET_TAP_* towards
	 * the guest: 0 or -errno. */
	int (*configure)(void *ctx, unsigned int hdr_len, unsigned int offloads);
};

/* One queue pair's host end. */
struct net_io {
	const struct net_io_ops *ops;
	void *ctx;
};

#endif
