// tap.c: libnet on a Linux tap device (host builds only), so the whole
// stack, built for the host under the sanitizers, talks to Linux's own
// stack over a real L2 link: the second backend beside the guest's
// channel. There is no kernel filter here: the tap gives us every frame
// on its segment, and claims are only recorded, as loop.c does.
#ifdef LIBNET_HOST
#include "net.h"
#include "kernel/netchan.h"
// after net.h: <linux/if_ether.h> #defines names wire.h uses in enums
#include <fcntl.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>

static struct netdev tapdev;
static uint8_t txf[NET_FRAMEMAX], rxf[NET_FRAMEMAX];
static int rxlen;          // length of the frame in rxf, 0 if none

static uint8_t *
ttxbuf(struct netdev *d)
{
  return txf;
}

// A tap write is a whole frame or nothing; a full queue drops it, as a
// wire would.
static void
ttxpush(struct netdev *d, int len)
{
  if(write(d->fd, txf, len) != len)
    LNSTAT(eth_tx_nobuf);
}

static uint8_t *
trxframe(struct netdev *d, int *len)
{
  if(rxlen == 0){
    int n = read(d->fd, rxf, sizeof(rxf));
    if(n <= 0)
      return 0;
    rxlen = n;
  }
  *len = rxlen;
  return rxf;
}

static void
trxpop(struct netdev *d)
{
  rxlen = 0;
}

// Wait up to timeout_ms for a frame. Returns 1 if one is there.
static int
tsync(struct netdev *d, int timeout_ms)
{
  struct pollfd p = { .fd = d->fd, .events = POLLIN };

  if(rxlen > 0)
    return 1;
  return poll(&p, 1, timeout_ms) > 0;
}

static int
tclaim(struct netdev *d, int proto, int port)
{
  static int next = 49152;

  if(proto & NC_RELEASE)
    return 0;
  return port ? port : next++;
}

// Open tap device ifname (created beforehand, e.g. by `ip tuntap add`).
// Our MAC is mac. Returns the device, or 0 with errno set.
struct netdev *
tap_netdev(const char *ifname, const uint8_t mac[6])
{
  struct ifreq ifr;
  int fd;

  if((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK)) < 0)
    return 0;
  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  if(ioctl(fd, TUNSETIFF, &ifr) < 0){
    close(fd);
    return 0;
  }
  memmove(tapdev.mac, mac, 6);
  tapdev.fd = fd;
  tapdev.txbuf = ttxbuf;
  tapdev.txpush = ttxpush;
  tapdev.rxframe = trxframe;
  tapdev.rxpop = trxpop;
  tapdev.sync = tsync;
  tapdev.claim = tclaim;
  return &tapdev;
}
#endif
