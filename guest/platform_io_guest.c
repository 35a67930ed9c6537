/*
 * platform_io_guest.c - block and packet I/O of the platform interface on
 * bare x86-64: the first virtio-blk and the first virtio-net PCI device,
 * driven by polling (virtio_blk.c, virtio_net.c). One device of each.
 */
#include "platform.h"
#include "virtio_blk.h"
#include "virtio_net.h"

static struct blk_dev disk;
static struct net_dev port;

int plat_blk_open(struct plat_blk_info *info)
{
	return virtio_blk_open(&disk, info);
}

int plat_blk_io(struct plat_blk_req *reqs, unsigned int n)
{
	return virtio_blk_io(&disk, reqs, n);
}

int plat_blk_flush(void)
{
	return virtio_blk_flush(&disk);
}

int plat_net_open(struct plat_net_info *info)
{
	return virtio_net_open(&port, info);
}

int plat_net_send(const void *frame, size_t len)
{
	return virtio_net_send(&port, frame, len);
}

int plat_net_recv(void *frame, size_t size, uint64_t timeout_ns)
{
	return virtio_net_recv(&port, frame, size, timeout_ns);
}
