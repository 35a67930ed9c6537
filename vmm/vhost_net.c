/* vhost_net.c - see vhost_net.h. */
#include "vmm/vhost_net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/log.h"

#define RING_FEATURES (~0ULL << 24)

int vhost_net_open(struct vhost_net *v, const char *path, struct kvmini_error *err)
{
	int e;

	memset(v, 0, sizeof(*v));
	if (!path)
		path = "/dev/vhost-net";
	v->fd = open(path, O_RDWR | O_CLOEXEC);
	if (v->fd < 0) {
		e = errno;
		return set_err(err, e, "cannot open %s: %s%s", path, strerror(e),
			       e == ENOENT ? " (load the vhost_net module)" : "");
	}
	if (ioctl(v->fd, VHOST_SET_OWNER) < 0 ||
	    ioctl(v->fd, VHOST_GET_FEATURES, &v->features) < 0) {
		e = errno;
		close(v->fd);
		v->fd = -1;
		return set_err(err, e, "%s: cannot set it up: %s", path, strerror(e));
	}
	return 0;
}

uint64_t vhost_net_ring_features(const struct vhost_net *v)
{
	return v->features & RING_FEATURES;
}

int vhost_net_start(struct vhost_net *v, uint64_t features, const struct guest_mem *mem)
{
	struct vhost_memory *m;
	/*
	 * Of the device bits vhost knows MRG_RXBUF; the offloads are the tap's
	 * business. VHOST_NET_F_VIRTIO_NET_HDR (bit 27) is never offered to a
	 * driver, so the tap keeps the header (see vhost_net.h).
	 */
	uint64_t f = features & v->features;
	unsigned int i;
	int r = 0;

	if (ioctl(v->fd, VHOST_SET_FEATURES, &f) < 0)
		return -errno;
	m = calloc(1, sizeof(*m) + mem->nr_regions * sizeof(m->regions[0]));
	if (!m)
		return -ENOMEM;
	m->nregions = mem->nr_regions;
	for (i = 0; i < mem->nr_regions; i++) {
		m->regions[i].guest_phys_addr = mem->region[i].gpa;
		m->regions[i].memory_size = mem->region[i].size;
		m->regions[i].userspace_addr = (uintptr_t)mem->region[i].host;
	}
	if (ioctl(v->fd, VHOST_SET_MEM_TABLE, m) < 0)
		r = -errno;
	free(m);
	return r;
}

int vhost_net_queue_start(struct vhost_net *v, unsigned int q, const struct virtq *vq,
			  int kick_fd, int call_fd, int tap_fd)
{
	struct vhost_vring_state num = { .index = q, .num = vq->size };
	struct vhost_vring_state base = { .index = q, .num = 0 };
	struct vhost_vring_addr addr = {
		.index = q,
		.desc_user_addr = (uintptr_t)vq->desc_host,
		.avail_user_addr = (uintptr_t)vq->avail_host,
		.used_user_addr = (uintptr_t)vq->used_host,
	};
	struct vhost_vring_file kick = { .index = q, .fd = kick_fd };
	struct vhost_vring_file call = { .index = q, .fd = call_fd };
	struct vhost_vring_file backend = { .index = q, .fd = tap_fd };

	if (q >= VHOST_NET_QUEUES)
		return -EINVAL;
	if (ioctl(v->fd, VHOST_SET_VRING_NUM, &num) < 0 ||
	    ioctl(v->fd, VHOST_SET_VRING_BASE, &base) < 0 ||
	    ioctl(v->fd, VHOST_SET_VRING_ADDR, &addr) < 0 ||
	    ioctl(v->fd, VHOST_SET_VRING_KICK, &kick) < 0 ||
	    ioctl(v->fd, VHOST_SET_VRING_CALL, &call) < 0 ||
	    ioctl(v->fd, VHOST_NET_SET_BACKEND, &backend) < 0)
		return -errno;
	v->running[q] = 1;
	return 0;
}

void vhost_net_stop(struct vhost_net *v)
{
	unsigned int q;

	for (q = 0; q < VHOST_NET_QUEUES; q++) {
		struct vhost_vring_file backend = { .index = q, .fd = -1 };
		struct vhost_vring_state base = { .index = q };

		if (!v->running[q])
			continue;
		if (ioctl(v->fd, VHOST_NET_SET_BACKEND, &backend) < 0)
			log_errno(errno, "vhost-net: cannot detach the tap from queue %u", q);
		if (ioctl(v->fd, VHOST_GET_VRING_BASE, &base) < 0)
			log_errno(errno, "vhost-net: cannot stop queue %u", q);
		v->running[q] = 0;
	}
}

void vhost_net_close(struct vhost_net *v)
{
	if (v->fd < 0)
		return;
	vhost_net_stop(v);
	close(v->fd);
	v->fd = -1;
}
