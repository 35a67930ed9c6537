/*
 * tap.h - the host side of a virtio-net NIC: a tap device opened through
 * /dev/net/tun, one file descriptor per queue pair, its offload ioctls, and
 * the struct net_io (devices/net_io.h) that a virtio_net pair moves its
 * packets through.
 */
#ifndef KVMINI_TAP_H
#define KVMINI_TAP_H

#include <net/if.h>
#include <stdint.h>

#include "devices/net_io.h"
#include "kvmini.h"

/*
 * tap_open - open /dev/net/tun (tun_path, NULL for the default) and attach
 * to tap name, creating it if it does not exist, with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR, and IFF_MULTI_QUEUE if multi_queue (each call then adds a
 * queue), non-blocking. The kernel's name is written to ifname. Returns the
 * fd or a negative errno with err filled (naming the likely fix).
 */
int tap_open(const char *tun_path, const char *name, int multi_queue,
	     char ifname[IFNAMSIZ], struct kvmini_error *err);

/*
 * tap_set_queue - attach (on) or detach a multiqueue tap's queue fd.
 * Returns 0 or -errno.
 */
int tap_set_queue(int fd, int on);

/*
 * tap_default_mac - a locally administered unicast MAC derived from the tap
 * name and the NIC index, stable from run to run.
 */
void tap_default_mac(const char *name, unsigned int index, uint8_t mac[6]);

/*
 * tap_probe_offloads - which offloads (VIRTIO_NET_TAP_*) the tap behind fd
 * accepts (TUNSETOFFLOAD probes, then reset to none); 0 for an fd that is
 * not a tap. *is_tap (may be NULL) is set to whether fd is a tap.
 */
unsigned int tap_probe_offloads(int fd, int *is_tap);

/*
 * tap_configure - set the tap's virtio-net header size (TUNSETVNETHDRSZ)
 * and the offloads VIRTIO_NET_TAP_* it may hand the guest (TUNSETOFFLOAD).
 * Returns 0 or -errno.
 */
int tap_configure(int fd, unsigned int hdr_len, unsigned int offloads);

/* One queue of a tap as a virtio_net pair's host end. */
struct tap_backend {
	int fd;          /* not owned */
	int is_tap;      /* the tap ioctls apply to fd */
};

/*
 * tap_backend_init - a host end on fd: a tap queue, or any fd that carries
 * one packet (virtio-net header first) per read and write, for which
 * configuring is a no-op.
 */
void tap_backend_init(struct tap_backend *t, int fd);

/*
 * tap_backend_io - t as a struct net_io: recv is a read, sendv a writev,
 * configure tap_configure (on a tap only); t must outlive its users.
 */
struct net_io tap_backend_io(struct tap_backend *t);

#endif
