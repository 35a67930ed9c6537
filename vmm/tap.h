/*
 * tap.h - the host side of a virtio-net NIC: a tap device opened through
 * /dev/net/tun, one file descriptor per queue pair.
 */
#ifndef KVMINI_TAP_H
#define KVMINI_TAP_H

#include <net/if.h>
#include <stdint.h>

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

/* tap_set_queue - attach (on) or detach a multiqueue tap's queue fd. Returns
 * 0 or -errno. */
int tap_set_queue(int fd, int on);

/* tap_default_mac - a locally administered unicast MAC derived from the tap
 * name and the NIC index, stable from run to run. */
void tap_default_mac(const char *name, unsigned int index, uint8_t mac[6]);

#endif
