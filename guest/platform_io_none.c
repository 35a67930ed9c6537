/*
 * platform_io_none.c - block and packet I/O of the platform interface for a
 * world without a back end yet: every call reports PLAT_ENODEV, so a blk or
 * net workload says SKIP rather than measuring nothing.
 */
#include "platform.h"

int plat_blk_open(struct plat_blk_info *info)
{
	(void)info;
	return -PLAT_ENODEV;
}

int plat_blk_io(struct plat_blk_req *reqs, unsigned int n)
{
	(void)reqs; (void)n;
	return -PLAT_ENODEV;
}

int plat_blk_flush(void)
{
	return -PLAT_ENODEV;
}

int plat_net_open(struct plat_net_info *info)
{
	(void)info;
	return -PLAT_ENODEV;
}

int plat_net_send(const void *frame, size_t len)
{
	(void)frame; (void)len;
	return -PLAT_ENODEV;
}

int plat_net_recv(void *frame, size_t size, uint64_t timeout_ns)
{
	(void)frame; (void)size; (void)timeout_ns;
	return -PLAT_ENODEV;
}
