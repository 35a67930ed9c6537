/*
 * vhost_net.h - the in-kernel virtio-net data path (/dev/vhost-net): the
 * kernel reads and writes the guest's rings and the tap itself, woken by the
 * queue's ioeventfd (kick) and interrupting the guest through the MSI-X
 * vector's irqfd (call), so packets never pass through kvmini's userspace.
 *
 * kvmini keeps the tap in IFF_VNET_HDR mode with a 12-byte header and does
 * not ask for VHOST_NET_F_VIRTIO_NET_HDR: the tap supplies and consumes the
 * virtio-net header, vhost copies it (and fills num_buffers on receive).
 *
 * Life cycle: vhost_net_open once (VHOST_SET_OWNER, VHOST_GET_FEATURES);
 * at each DRIVER_OK vhost_net_start (features, memory table) and
 * vhost_net_queue_start per queue; at a device reset vhost_net_stop
 * (backend detached, rings stopped) before the driver may move them;
 * vhost_net_close at the end.
 */
#ifndef KVMINI_VHOST_NET_H
#define KVMINI_VHOST_NET_H

#include <stdint.h>

#include "base/guestmem.h"
#include "base/util.h"
#include "devices/virtq.h"

#define VHOST_NET_QUEUES 2   /* rx, tx */

struct vhost_net {
	int fd;
	uint64_t features;              /* what the kernel offers */
	int running[VHOST_NET_QUEUES];  /* backend attached to queue q */
};

/*
 * vhost_net_open - open path (NULL: /dev/vhost-net), become its owner and
 * read its features. Returns 0, or a negative errno with err filled
 * (-ENOENT when the node does not exist).
 */
int vhost_net_open(struct vhost_net *v, const char *path, struct kvmini_error *err) MUST_CHECK;

/*
 * vhost_net_ring_features - which of the device-independent feature bits
 * (24 and up) the kernel handles; a device offers no others in vhost mode.
 */
uint64_t vhost_net_ring_features(const struct vhost_net *v);

/*
 * vhost_net_start - give the kernel the negotiated features (only those it
 * knows) and every guest RAM region. Returns 0 or a negative errno.
 */
int vhost_net_start(struct vhost_net *v, uint64_t features,
		    const struct guest_mem *mem) MUST_CHECK;

/*
 * vhost_net_queue_start - hand queue q (0 rx, 1 tx) to the kernel: its size
 * and rings (host addresses from vq, which virtq_init checked), base index
 * 0, kick_fd, call_fd, then the tap as backend. Returns 0 or -errno.
 */
int vhost_net_queue_start(struct vhost_net *v, unsigned int q, const struct virtq *vq,
			  int kick_fd, int call_fd, int tap_fd) MUST_CHECK;

/*
 * vhost_net_stop - detach the tap from every running queue and take the
 * rings back (VHOST_GET_VRING_BASE); nothing touches guest memory after.
 */
void vhost_net_stop(struct vhost_net *v);

/* vhost_net_close - stop and close. */
void vhost_net_close(struct vhost_net *v);

#endif
