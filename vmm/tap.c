/* tap.c - see tap.h. */
#include "vmm/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/util.h"

_Static_assert(VIRTIO_NET_TAP_CSUM == TUN_F_CSUM && VIRTIO_NET_TAP_TSO4 == TUN_F_TSO4 &&
	       VIRTIO_NET_TAP_TSO6 == TUN_F_TSO6 && VIRTIO_NET_TAP_ECN == TUN_F_TSO_ECN &&
	       VIRTIO_NET_TAP_UFO == TUN_F_UFO, "tap offload bits");

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

unsigned int tap_probe_offloads(int fd, int *is_tap)
{
	static const unsigned int extra[] = { TUN_F_TSO4, TUN_F_TSO6, TUN_F_TSO_ECN, TUN_F_UFO };
	struct ifreq ifr;
	unsigned int got = 0, i;

	memset(&ifr, 0, sizeof(ifr));
	if (is_tap)
		*is_tap = 0;
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return 0;
	if (is_tap)
		*is_tap = 1;
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) < 0)
		return 0;
	got = TUN_F_CSUM;
	/* TSO_ECN is only accepted next to TSO4/6: probe cumulatively. */
	for (i = 0; i < ARRAY_SIZE(extra); i++)
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(got | extra[i])) == 0)
			got |= extra[i];
	if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0) {
		/* the tap keeps the offloads: harmless until tap_configure */
	}
	return got;
}

int tap_configure(int fd, unsigned int hdr_len, unsigned int offloads)
{
	int hdr = (int)hdr_len;

	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, (unsigned long)offloads) < 0)
		return -errno;
	return 0;
}

void tap_backend_init(struct tap_backend *t, int fd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	t->fd = fd;
	t->is_tap = fd >= 0 && ioctl(fd, TUNGETIFF, &ifr) == 0;
}

static ssize_t be_recv(void *ctx, void *buf, size_t len)
{
	const struct tap_backend *t = ctx;
	ssize_t n = read(t->fd, buf, len);

	return n < 0 ? -errno : n;
}

static ssize_t be_sendv(void *ctx, const struct iovec *iov, unsigned int iovcnt)
{
	const struct tap_backend *t = ctx;
	ssize_t n = writev(t->fd, iov, (int)iovcnt);

	return n < 0 ? -errno : n;
}

static int be_configure(void *ctx, unsigned int hdr_len, unsigned int offloads)
{
	const struct tap_backend *t = ctx;

	return t->is_tap ? tap_configure(t->fd, hdr_len, offloads) : 0;
}

static const struct net_io_ops tap_io_ops = {
	.recv = be_recv,
	.sendv = be_sendv,
	.configure = be_configure,
};

struct net_io tap_backend_io(struct tap_backend *t)
{
	return (struct net_io){ .ops = &tap_io_ops, .ctx = t };
}
