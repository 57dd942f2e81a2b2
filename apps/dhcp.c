// dhcp: the DHCP client (RFC 2131) that netd runs beside its answers
// for the host. It asks for a lease at boot, sets the address, mask and
// router the server gives in the kernel (as ifconfig does, with the
// server and lease for ifconfig to show), writes the DNS servers to
// /etc/resolv.conf, renews at T1 (unicast to the server), rebinds at T2
// (broadcast), and on expiry or a NAK goes back to the static 10.0.2.15
// and starts over.
//
// Why in netd and not a program of its own: a channel costs 2.6 MiB and
// one of 16 slots, gets a copy of every ARP frame and must keep reading
// them; netd has one open for good and runs a turn whenever anything
// arrives. Its port-68 socket is the claim the kernel lets send from
// 0.0.0.0 (kernel/netguard.c, dhcpclient), and nothing else is.
//
// The machine starts with the static address, so it answers at once and
// boot waits for nothing; no answer within a few seconds leaves it so
// (the fallback) while DISCOVERs go on in the background, backing off
// to one a minute. Not done: DECLINE after an ARP probe of the offered
// address, INIT-REBOOT, RELEASE, options overloaded into sname/file, a
// client identifier (the server keys us by MAC), relays (giaddr).
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/net.h"
#include "libnet/socket.h"
#include "kernel/netchan.h"
#include "apps/dhcp.h"

enum { BOOTREQUEST = 1, BOOTREPLY = 2 };
enum { DHCPDISCOVER = 1, DHCPOFFER = 2, DHCPREQUEST = 3, DHCPACK = 5, DHCPNAK = 6 };
enum {                      // RFC 2132 option codes
  OPT_PAD = 0, OPT_MASK = 1, OPT_ROUTER = 3, OPT_DNS = 6, OPT_REQIP = 50,
  OPT_LEASE = 51, OPT_TYPE = 53, OPT_SERVER = 54, OPT_PARAMS = 55,
  OPT_T1 = 58, OPT_T2 = 59, OPT_END = 255,
};
enum {                      // RFC 2131 2, figure 1: the fixed part
  D_OP = 0, D_HTYPE = 1, D_HLEN = 2, D_XID = 4, D_SECS = 8, D_FLAGS = 10,
  D_CIADDR = 12, D_YIADDR = 16, D_CHADDR = 28, D_COOKIE = 236, D_OPTS = 240,
};
#define DHCP_COOKIE 0x63825363   // 99.130.83.99 (RFC 2131 3)
#define DHCP_BROADCAST 0x8000    // flags: "I cannot take unicast before I have the address"
#define DHCP_MINLEN 300          // a BOOTP message's least length (RFC 1542 2.1)
#define DHCP_MAXLEN 576          // what we ask servers to fit in, and read
#define SPORT 67
#define CPORT 68

#define FALLBACK_IP   0x0a00020f  // 10.0.2.15/24 via 10.0.2.2: QEMU user networking's
#define FALLBACK_MASK 0xffffff00
#define FALLBACK_GW   0x0a000202
#define REQUEST_TRIES 4          // REQUESTs for an offer before we DISCOVER again

// RFC 2131 4.4 (figure 5): the client's states.
enum { INIT, SELECTING, REQUESTING, BOUND, RENEWING, REBINDING };

static struct {
  int fd;             // UDP socket on port 68, or -1: not running
  int state;
  uint32_t xid;       // this exchange's transaction id
  uint64_t began;     // ms this exchange began (secs field)
  uint64_t timer;     // ms of the next retransmission or change of state
  int tries;          // messages sent in this state
  uint32_t offered;   // SELECTING -> REQUESTING: the address offered
  uint32_t server;    // the server we take it from (option 54)
  uint32_t ip;        // our lease's address, while BOUND and after
  uint64_t t1, t2;    // ms: renew, rebind (RFC 2131 4.4.5)
  uint64_t expire;    // ms the lease ends
} dh = { .fd = -1 };

struct lease {
  uint32_t ip, mask, router, server;
  uint32_t secs, t1, t2;   // 0: not given
  uint32_t dns[3];
  int ndns;
};

static uint32_t
randu32(void)
{
  uint32_t r = 0;

  ln_random(&r, sizeof(r));
  return r;
}

// RFC 2131 4.1: retransmission after 4 s, then 8, 16, 32, 64, each
// randomized by a second either way.
static uint64_t
backoff(int tries)
{
  int s = tries < 5 ? 4 << (tries - 1) : 64;

  return s * 1000 - 1000 + randu32() % 2001;
}

// RFC 2131 4.4.5: wait half the time left until deadline, but at least
// 60 s (or all that is left, for leases shorter than that).
static uint64_t
halfway(uint64_t now, uint64_t deadline)
{
  uint64_t left = deadline > now ? deadline - now : 0, w = left / 2;

  if(w < 60000)
    w = left < 60000 ? left : 60000;
  return now + w;
}

static uint8_t *
putopt(uint8_t *p, int code, int len, const void *val)
{
  *p++ = code;
  *p++ = len;
  memmove(p, val, len);
  return p + len;
}

static uint8_t *
putopt32(uint8_t *p, int code, uint32_t v)
{
  uint8_t b[4];

  put32(b, v);
  return putopt(p, code, 4, b);
}

// Build a message of type in m (at least DHCP_MAXLEN bytes) for the
// current exchange: ciaddr our address (RENEWING and REBINDING), or the
// requested address and server id (a REQUEST from SELECTING). Returns
// its length.
static int
build(uint8_t *m, int type, uint32_t ciaddr, uint32_t reqip, uint32_t server)
{
  static const uint8_t params[] = { OPT_MASK, OPT_ROUTER, OPT_DNS, OPT_LEASE, OPT_T1, OPT_T2 };
  uint64_t secs = (ln_now_ms() - dh.began) / 1000;
  uint8_t t = type, *p;

  memset(m, 0, DHCP_MAXLEN);
  m[D_OP] = BOOTREQUEST;
  m[D_HTYPE] = 1;   // Ethernet
  m[D_HLEN] = 6;
  put32(m + D_XID, dh.xid);
  put16(m + D_SECS, secs > 0xffff ? 0xffff : secs);
  // RFC 2131 4.1: set BROADCAST while we cannot take unicast to an
  // address not yet ours (the kernel drops it, as it must).
  put16(m + D_FLAGS, ciaddr ? 0 : DHCP_BROADCAST);
  put32(m + D_CIADDR, ciaddr);
  memmove(m + D_CHADDR, netif.mac, 6);
  put32(m + D_COOKIE, DHCP_COOKIE);
  p = putopt(m + D_OPTS, OPT_TYPE, 1, &t);
  if(reqip)
    p = putopt32(p, OPT_REQIP, reqip);
  if(server)
    p = putopt32(p, OPT_SERVER, server);
  p = putopt(p, OPT_PARAMS, sizeof(params), params);
  *p++ = OPT_END;
  return p - m < DHCP_MINLEN ? DHCP_MINLEN : p - m;
}

// Broadcast m from 0.0.0.0:68 to 255.255.255.255:67, built by hand: the
// stack sends only from our address. The kernel lets this through for
// the holder of port 68 alone. Returns 0 or -ENOBUFS.
static int
sendraw(const uint8_t *m, int len)
{
  static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  struct eth_repr e;
  struct ipv4_repr ip;
  struct udp_repr u;
  uint8_t *f;

  if((f = net_txbuf()) == 0)
    return -ENOBUFS;
  memmove(e.dst, bcast, 6);
  memmove(e.src, netif.mac, 6);
  e.type = ETH_TYPE_IPV4;
  eth_emit(f, ETH_HLEN, &e);
  memset(&ip, 0, sizeof(ip));
  ip.ttl = IP_TTL;
  ip.proto = IP_PROTO_UDP;
  ip.id = randu32();
  ip.totlen = IPV4_HLEN + UDP_HLEN + len;
  ip.src = 0;
  ip.dst = 0xffffffff;
  ipv4_emit(f + ETH_HLEN, IPV4_HLEN, &ip);
  u.sport = CPORT;
  u.dport = SPORT;
  u.len = UDP_HLEN + len;
  memmove(f + ETH_HLEN + IPV4_HLEN + UDP_HLEN, m, len);
  udp_emit(f + ETH_HLEN + IPV4_HLEN, u.len, 0, 0xffffffff, &u);
  net_txpush(f, ETH_HLEN + ip.totlen);
  return 0;
}

// Send m from our address through the socket: to the server (RENEWING)
// or to everyone (REBINDING).
static void
sendudp(uint32_t dst, const uint8_t *m, int len)
{
  struct sockaddr_in a;

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(SPORT);
  a.sin_addr.s_addr = htonl(dst);
  sendto(dh.fd, m, len, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof(a));
}

// Send the message the current state calls for.
static void
transmit(void)
{
  static uint8_t m[DHCP_MAXLEN];
  int len;

  switch(dh.state){
  case SELECTING:
    sendraw(m, build(m, DHCPDISCOVER, 0, 0, 0));
    break;
  case REQUESTING:
    sendraw(m, build(m, DHCPREQUEST, 0, dh.offered, dh.server));
    break;
  case RENEWING:
    len = build(m, DHCPREQUEST, dh.ip, 0, 0);
    sendudp(dh.server, m, len);
    break;
  case REBINDING:
    len = build(m, DHCPREQUEST, dh.ip, 0, 0);
    sendudp(0xffffffff, m, len);
    break;
  }
  dh.tries++;
}

// A new exchange in state st: a fresh transaction id (RFC 2131 4.1).
static void
begin(int st)
{
  dh.state = st;
  dh.xid = randu32();
  dh.began = ln_now_ms();
  dh.tries = 0;
}

// INIT: ask anyone for a lease, now.
static void
discover(void)
{
  begin(SELECTING);
  transmit();
  dh.timer = ln_now_ms() + backoff(dh.tries);
}

static void
setcfg(uint32_t ip, uint32_t mask, uint32_t gw, uint32_t server, uint32_t lease)
{
  struct nc_ipcfg c;

  memset(&c, 0, sizeof(c));
  c.ip = ip;
  c.mask = mask;
  c.gw = gw;
  c.server = server;
  c.lease = lease;
  setipcfg(&c);
}

// The lease is gone (expired, or the server said NAK): RFC 2131 4.4.5
// says stop using the address. We go back to the static one the machine
// booted with, and ask again.
static void
unbind(void)
{
  dh.ip = 0;
  setcfg(FALLBACK_IP, FALLBACK_MASK, FALLBACK_GW, 0, 0);
  discover();
}

// Write the DNS servers to /etc/resolv.conf, one "nameserver a.b.c.d"
// line each, if that is not what it says already: a disk write at every
// renewal would be a write for nothing.
static void
writeresolv(const struct lease *l)
{
  static char want[3 * 28], have[sizeof(want) + 1];
  char a[16];
  int n = 0, fd, got;

  for(int i = 0; i < l->ndns; i++)
    n += snprintf(want + n, sizeof(want) - n, "nameserver %s\n", ip_ntoa(l->dns[i], a));
  if((fd = open("/etc/resolv.conf", O_RDONLY)) >= 0){
    got = read(fd, have, sizeof(have));
    close(fd);
    if(got == n && memcmp(have, want, n) == 0)
      return;
  }
  mkdir("/etc");
  if((fd = open("/etc/resolv.conf", O_CREATE | O_WRONLY | O_TRUNC)) < 0)
    return;
  write(fd, want, n);
  close(fd);
}

// The classful mask, for a server that gives none (RFC 2131 leaves it to
// the client; RFC 1122 3.3.1.1 has hosts fall back on it).
static uint32_t
classmask(uint32_t ip)
{
  if((ip >> 31) == 0)
    return 0xff000000;
  if((ip >> 30) == 2)
    return 0xffff0000;
  return 0xffffff00;
}

// DHCPACK: take the lease (RFC 2131 4.4.1, 4.4.5).
static void
takelease(const struct lease *l)
{
  uint64_t now = ln_now_ms();
  uint32_t mask = l->mask ? l->mask : classmask(l->ip), gw = l->router;
  uint32_t secs = l->secs ? l->secs : NC_LEASE_INF;

  if((gw & mask) != (l->ip & mask))
    gw = 0;   // a router off the subnet is no use to us, and the kernel refuses it
  setcfg(l->ip, mask, gw, l->server ? l->server : dh.server, secs);
  if(l->ndns > 0)
    writeresolv(l);
  dh.state = BOUND;
  dh.ip = l->ip;
  if(l->server)
    dh.server = l->server;
  if(secs == NC_LEASE_INF){
    dh.t1 = dh.t2 = dh.expire = ~0ULL;
  } else {
    // RFC 2131 4.4.5: T1 half the lease, T2 seven eighths, unless given.
    dh.expire = now + (uint64_t)secs * 1000;
    dh.t1 = now + (uint64_t)(l->t1 && l->t1 < secs ? l->t1 : secs / 2) * 1000;
    dh.t2 = now + (uint64_t)(l->t2 && l->t2 < secs ? l->t2 : secs / 8 * 7) * 1000;
    if(secs < 8)   // a lease of seconds: secs/8*7 rounds to 0
      dh.t2 = now + (uint64_t)secs * 875;
    if(dh.t1 > dh.t2)
      dh.t1 = dh.t2;
  }
  dh.timer = dh.t1;
}

// Read the options of message m (len bytes) into l; returns the message
// type, or -1 if malformed.
static int
parseopts(const uint8_t *m, int len, struct lease *l)
{
  int type = -1;

  for(int i = D_OPTS; i < len; ){
    int code = m[i], n;
    if(code == OPT_PAD){
      i++;
      continue;
    }
    if(code == OPT_END)
      break;
    if(i + 2 > len || i + 2 + (n = m[i + 1]) > len)
      return -1;
    const uint8_t *v = m + i + 2;
    if(code == OPT_TYPE && n == 1)
      type = v[0];
    else if(code == OPT_MASK && n == 4)
      l->mask = get32(v);
    else if(code == OPT_ROUTER && n >= 4)
      l->router = get32(v);
    else if(code == OPT_SERVER && n == 4)
      l->server = get32(v);
    else if(code == OPT_LEASE && n == 4)
      l->secs = get32(v);
    else if(code == OPT_T1 && n == 4)
      l->t1 = get32(v);
    else if(code == OPT_T2 && n == 4)
      l->t2 = get32(v);
    else if(code == OPT_DNS)
      for(int k = 0; k + 4 <= n && l->ndns < sizeof(l->dns) / sizeof(l->dns[0]); k += 4)
        l->dns[l->ndns++] = get32(v + k);
    i += 2 + n;
  }
  return type;
}

// One message from a server, in state order (RFC 2131 4.4, figure 5).
static void
input(const uint8_t *m, int len)
{
  struct lease l;
  int type;

  if(len < D_OPTS || m[D_OP] != BOOTREPLY || get32(m + D_XID) != dh.xid ||
     memcmp(m + D_CHADDR, netif.mac, 6) != 0 || get32(m + D_COOKIE) != DHCP_COOKIE)
    return;
  memset(&l, 0, sizeof(l));
  if((type = parseopts(m, len, &l)) < 0)
    return;
  l.ip = get32(m + D_YIADDR);
  switch(dh.state){
  case SELECTING:
    // the first offer will do (4.4.1 lets the client choose how).
    if(type != DHCPOFFER || l.ip == 0 || l.server == 0)
      return;
    dh.offered = l.ip;
    dh.server = l.server;
    dh.state = REQUESTING;
    dh.tries = 0;
    transmit();
    dh.timer = ln_now_ms() + backoff(dh.tries);
    break;
  case REQUESTING:
  case RENEWING:
  case REBINDING:
    // only the server we asked answers for it; rebinding asked them all.
    if(dh.state != REBINDING && l.server != 0 && l.server != dh.server)
      return;
    if(type == DHCPACK && l.ip != 0)
      takelease(&l);
    else if(type == DHCPNAK && dh.ip)
      unbind();
    else if(type == DHCPNAK)
      discover();
    break;
  }
}

// A timer ran out: retransmit, or move on (RFC 2131 4.4.5).
static void
timeout(uint64_t now)
{
  switch(dh.state){
  case SELECTING:
    transmit();
    dh.timer = now + backoff(dh.tries);
    break;
  case REQUESTING:
    if(dh.tries >= REQUEST_TRIES){
      discover();
      break;
    }
    transmit();
    dh.timer = now + backoff(dh.tries);
    break;
  case BOUND:
    begin(RENEWING);
    /* fall through */
  case RENEWING:
    if(now >= dh.t2){
      begin(REBINDING);
      transmit();
      dh.timer = halfway(now, dh.expire);
      break;
    }
    transmit();
    dh.timer = halfway(now, dh.t2);
    break;
  case REBINDING:
    if(now >= dh.expire){
      unbind();
      break;
    }
    transmit();
    dh.timer = halfway(now, dh.expire);
    break;
  }
}

// Start: take port 68 and DISCOVER, unless the machine was booted with
// DHCP off. A lease left by an earlier netd is renewed at once.
void
dhcp_start(void)
{
  struct sockaddr_in a;
  struct nc_ipcfg c;
  uint64_t now = ln_now_ms();

  if(getipcfg(&c) < 0 || (c.flags & NCI_NODHCP))
    return;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(CPORT);
  if((dh.fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
     bind(dh.fd, (struct sockaddr *)&a, sizeof(a)) < 0){
    fprintf(2, "netd: dhcp port %d: %s\n", CPORT, strerror(errno));
    if(dh.fd >= 0)
      close(dh.fd);
    dh.fd = -1;
    return;
  }
  if(c.server != 0 && c.lease != 0){
    dh.state = BOUND;
    dh.ip = c.ip;
    dh.server = c.server;
    dh.expire = c.lease == NC_LEASE_INF ? ~0ULL : now + (uint64_t)c.lease * 1000;
    dh.t1 = now;
    dh.t2 = c.lease == NC_LEASE_INF ? ~0ULL : now + (uint64_t)c.lease * 500;
    dh.timer = now;
  } else {
    discover();
  }
  net_rundeadline = dh.timer;
}

// After each of netd's turns: take the servers' answers, run the timer,
// and tell net_run when to come back.
void
dhcp_serve(void)
{
  static uint8_t m[DHCP_MAXLEN];
  struct sock *s = sock_byport(IP_PROTO_UDP, CPORT);
  int n;

  if(dh.fd < 0)
    return;
  while(s && s->rqhead){
    if((n = recvfrom(dh.fd, m, sizeof(m), MSG_DONTWAIT, 0, 0)) < 0)
      break;
    input(m, n);
  }
  if(ln_now_ms() >= dh.timer)
    timeout(ln_now_ms());
  net_rundeadline = dh.timer;
}
