/* tap.c - see tap.h. */
#include "vmm/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/util.h"

int tap_open(const char *tun_path, const char *name, int multi_queue,
		    char ifname[IFNAMSIZ], struct kvmini_error *err)
{
	struct ifreq ifr;
	int fd, e;

	if (!tun_path)
		tun_path = "/dev/net/tun";
	if (strlen(name) >= IFNAMSIZ)
		return set_err(err, EINVAL, "tap name '%s' is longer than %d characters",
			       name, IFNAMSIZ - 1);
	fd = open(tun_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return set_err(err, e, "cannot open %s for tap '%s': %s%s", tun_path, name,
			       strerror(e), e == ENOENT ? " (load the tun module)" : "");
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (multi_queue)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		close(fd);
		if (e == EINVAL && multi_queue)
			return set_err(err, e, "cannot attach to tap '%s' with several queues: %s "
				       "(is it a tun, or a tap made without multi_queue? "
				       "make it with 'ip tuntap add %s mode tap multi_queue')",
				       name, strerror(e), name);
		return set_err(err, e, "cannot attach to tap '%s': %s%s", name, strerror(e),
			       e == EPERM ? " (needs CAP_NET_ADMIN, or a tap created for this user)" :
			       e == EBUSY ? " (another process holds it)" :
			       e == EINVAL ? " (is it a tun, or a multi-queue tap? "
					     "that needs queues=N)" : "");
	}
	snprintf(ifname, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

int tap_set_queue(int fd, int on)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	return ioctl(fd, TUNSETQUEUE, &ifr) < 0 ? -errno : 0;
}

void tap_default_mac(const char *name, unsigned int index, uint8_t mac[6])
{
	uint32_t h = 2166136261u;      /* FNV-1a */
	const char *p;

	for (p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ index) * 16777619u;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}
