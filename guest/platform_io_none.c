/*
 * platform_io_none.c - block and packet I/O of the platform interface, for
 * both worlds until each has a back end: every call reports
 * PLAT_EUNSUPPORTED, so a blk or net workload says SKIP rather than
 * measuring nothing.
 */
#include "platform.h"

int plat_blk_read(uint64_t sector, void *buf, size_t len)
{
	(void)sector; (void)buf; (void)len;
	return -PLAT_EUNSUPPORTED;
}

int plat_blk_write(uint64_t sector, const void *buf, size_t len)
{
	(void)sector; (void)buf; (void)len;
	return -PLAT_EUNSUPPORTED;
}

int plat_net_send(const void *pkt, size_t len)
{
	(void)pkt; (void)len;
	return -PLAT_EUNSUPPORTED;
}

int plat_net_recv(void *pkt, size_t len)
{
	(void)pkt; (void)len;
	return -PLAT_EUNSUPPORTED;
}
