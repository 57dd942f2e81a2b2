// Port filters: which channel a received frame belongs to.
//
// A channel claims (IPv4 protocol, local port) pairs exclusively; for
// ICMP the "port" is the echo identifier. The demultiplexer reads only
// the header fields it needs to choose an owner: it implements no
// protocol. The choices:
//   ARP                      every channel gets it (a copy each after
//                            the first): each process keeps its own
//                            ARP cache in libnet
//   UDP, TCP                 the claim on (protocol, destination port)
//   ICMP echo reply          the claim on (ICMP, identifier)
//   ICMP error               the claim on the quoted header's protocol
//                            and source port (or echo identifier)
//   IPv4 fragment, not first the owner of the first fragment with the
//                            same (source, id, protocol), remembered for a
//                            few seconds; one that comes before its first
//                            fragment is held (up to a second) until the
//                            first names the owner; else the default
//                            responder
//   anything else IPv4       the default responder, if one is claimed
// A frame with no owner is counted and dropped.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "errno.h"
#include "netvar.h"

struct spinlock netlock;
struct netif netif;

static struct netchan *defowner;   // the default responder (netd), or 0
static uint16 ephemeral;           // next ephemeral port to try

// Where the later fragments of a datagram go: they carry no port, so we
// remember who got the first one. A small table, oldest entry replaced.
#define NFRAG 32
#define FRAG_TICKS (5 * HZ)
static struct frag {
  struct netchan *c;
  uint32 src;
  uint16 id;
  uint8 proto;
  uint64 when;         // tick the first fragment arrived
} frags[NFRAG];
static int fragnext;

// Later fragments that came before their first: held until it does.
#define NORPHAN 16
#define ORPHAN_TICKS HZ
static struct orphan {
  char *page;          // 0 if the entry is free
  int len;
  uint32 src;
  uint16 id;
  uint8 proto;
  uint64 when;
} orphans[NORPHAN];


// The claim table: NCLAIM entries, enough for every channel to hold its
// whole quota at once, so no channel's claims can crowd out another's.
// Entries are found by (protocol, port) through a hash of chains, and a
// channel's own entries are doubly chained too, so that neither release
// nor giving back one claim of a thousand scans anything. Entry
// indices, not pointers: an entry is 10 bytes.
#define NIL 0xffff
static struct claim {
  uint16 hnext;        // next entry in the same hash chain, or NIL; free list link
  uint16 cnext;        // next entry of the same channel, or NIL
  uint16 cprev;        // previous entry of the same channel, or NIL
  uint16 port;
  uint8 proto;
  uint8 chan;          // owner's index in chans[]
} claims[NCLAIM];
static uint16 hash[NCLAIMHASH];    // first entry of each chain, or NIL
static uint16 freeclaim;           // first free entry, or NIL
_Static_assert(NCLAIM < NIL, "claim indices fit 16 bits, with NIL left over");

static int
claimhash(int proto, int port)
{
  // ports in use cluster (ephemeral runs, well-known low ports): fold
  // the protocol into the low bits so TCP 80 and UDP 80 part ways.
  return (port ^ (proto << 9) ^ (port >> 12)) & (NCLAIMHASH - 1);
}

// The entry for (proto, port), or NIL. netlock held.
static int
claimfind(int proto, int port)
{
  for(int i = hash[claimhash(proto, port)]; i != NIL; i = claims[i].hnext)
    if(claims[i].port == port && claims[i].proto == proto)
      return i;
  return NIL;
}

// The owner of (proto, port), or 0. netlock held.
struct netchan *
netfilt_owner(int proto, int port)
{
  int i = claimfind(proto, port);

  return i == NIL ? 0 : &chans[claims[i].chan];
}

int
netfilt_isdefault(struct netchan *c)
{
  return c == defowner;
}

// A free ephemeral port for proto, or 0 (RFC 6056 section 3.3.2's
// simple search: from where the last one left off). netlock held.
static int
ephemeralport(int proto)
{
  int span = NC_EPHEMERAL_HI - NC_EPHEMERAL_LO + 1;

  for(int i = 0; i < span; i++){
    int p = NC_EPHEMERAL_LO + (ephemeral + i) % span;
    if(claimfind(proto, p) == NIL){
      ephemeral = (ephemeral + i + 1) % span;
      return p;
    }
  }
  return 0;
}

// Claim (proto, port) for c; port 0 picks a free ephemeral port.
// Returns the port, -EADDRINUSE, -EPROTONOSUPPORT, -EINVAL, or -EDQUOT
// if c holds NC_CLAIMQUOTA claims already. netlock held.
int
netfilt_claim(struct netchan *c, int proto, int port)
{
  int i, h;

  if(proto == NC_PROTO_DEFAULT){
    if(port != 0)
      return -EINVAL;
    if(defowner && defowner != c)
      return -EADDRINUSE;
    defowner = c;
    return 0;
  }
  if(proto != NC_PROTO_UDP && proto != NC_PROTO_TCP && proto != NC_PROTO_ICMP)
    return -EPROTONOSUPPORT;
  if(port < 0 || port > 65535)
    return -EINVAL;
  if(c->nclaims >= NC_CLAIMQUOTA){
    netif.st.v[NC_claim_reject_quota]++;
    c->st.v[NC_claim_reject_quota]++;
    return -EDQUOT;
  }
  if(port == 0){
    if((port = ephemeralport(proto)) == 0)
      return -EADDRINUSE;
  } else if(claimfind(proto, port) != NIL){
    return -EADDRINUSE;
  }

  // NCLAIM covers every channel's quota: a free entry exists.
  if((i = freeclaim) == NIL)
    panic("netfilt_claim: table full under quota");
  freeclaim = claims[i].hnext;
  h = claimhash(proto, port);
  claims[i].proto = proto;
  claims[i].port = port;
  claims[i].chan = c->id;
  claims[i].hnext = hash[h];
  hash[h] = i;
  claims[i].cnext = c->claims;
  claims[i].cprev = NIL;
  if(c->claims != NIL)
    claims[c->claims].cprev = i;
  c->claims = i;
  c->nclaims++;
  c->st.v[NC_claims_held]++;
  netif.st.v[NC_claims_held]++;
  return port;
}

// Unlink entry i from its hash chain (a few entries long) and from its
// channel's list, and free it. netlock held.
static void
claimfree(int i)
{
  struct claim *cl = &claims[i];
  struct netchan *c = &chans[cl->chan];
  uint16 *pp;

  for(pp = &hash[claimhash(cl->proto, cl->port)]; *pp != i; pp = &claims[*pp].hnext)
    if(*pp == NIL)
      panic("claimfree hash");
  *pp = cl->hnext;
  if(cl->cprev == NIL)
    c->claims = cl->cnext;
  else
    claims[cl->cprev].cnext = cl->cnext;
  if(cl->cnext != NIL)
    claims[cl->cnext].cprev = cl->cprev;
  c->nclaims--;
  c->st.v[NC_claims_held]--;
  netif.st.v[NC_claims_held]--;
  claims[i].hnext = freeclaim;
  freeclaim = i;
}

// Give back one claim of c's. Returns 0 or -ENOENT. netlock held.
int
netfilt_unclaim(struct netchan *c, int proto, int port)
{
  int i;

  if(proto == NC_PROTO_DEFAULT){
    if(defowner != c)
      return -ENOENT;
    defowner = 0;
    return 0;
  }
  if(port < 0 || port > 65535 || (i = claimfind(proto, port)) == NIL || claims[i].chan != c->id)
    return -ENOENT;
  claimfree(i);
  return 0;
}

// Drop every claim c holds: the channel is closing. netlock held.
void
netfilt_release(struct netchan *c)
{
  // (held fragments belong to no channel yet; they expire on their own)
  for(struct frag *fr = frags; fr < &frags[NFRAG]; fr++)
    if(fr->c == c)
      fr->c = 0;
  while(c->claims != NIL)
    claimfree(c->claims);
  if(defowner == c)
    defowner = 0;
}

static void
fragremember(struct netchan *c, uint32 src, uint16 id, int proto)
{
  struct frag *fr = &frags[fragnext++ % NFRAG];
  fr->c = c;
  fr->src = src;
  fr->id = id;
  fr->proto = proto;
  fr->when = ticks;
}

// Hold a later fragment whose owner is not known yet. Returns 1 if held.
static int
orphanhold(char *page, int len, const uint8 *ip)
{
  for(struct orphan *o = orphans; o < &orphans[NORPHAN]; o++)
    if(o->page == 0){
      o->page = page;
      o->len = len;
      o->src = get32(ip + 12);
      o->id = get16(ip + 4);
      o->proto = ip[9];
      o->when = ticks;
      return 1;
    }
  return 0;
}

// The first fragment named c the owner: give it what was held.
static void
orphanrelease(struct netchan *c, uint32 src, uint16 id, int proto)
{
  for(struct orphan *o = orphans; o < &orphans[NORPHAN]; o++)
    if(o->page && o->src == src && o->id == id && o->proto == proto){
      if(netchan_enqueue(c, o->page, o->len) == 0)
        kfree(o->page);
      o->page = 0;
    }
}

// Fragments whose first never came go to the default responder, which
// owes the sender a time-exceeded message, or are dropped.
static void
orphanexpire(struct netchan *defowner)
{
  for(struct orphan *o = orphans; o < &orphans[NORPHAN]; o++)
    if(o->page && ticks - o->when >= ORPHAN_TICKS){
      // (a full queue is counted by netchan_enqueue: count each frame once)
      if(defowner == 0){
        netif.st.v[NC_rx_drop_nofilter]++;
        kfree(o->page);
      } else if(netchan_enqueue(defowner, o->page, o->len) == 0){
        kfree(o->page);
      }
      o->page = 0;
    }
}

static struct netchan *
fraglookup(uint32 src, uint16 id, int proto)
{
  for(struct frag *fr = frags; fr < &frags[NFRAG]; fr++)
    if(fr->c && fr->src == src && fr->id == id && fr->proto == proto &&
       ticks - fr->when < FRAG_TICKS && fr->c->used)
      return fr->c;
  return 0;
}

// Is the frame addressed to this host at the link layer?
static int
formac(const uint8 *dst)
{
  static const uint8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  return memcmp(dst, netif.mac, 6) == 0 || memcmp(dst, bcast, 6) == 0;
}

// Is dst (host order) one of this host's IPv4 addresses, broadcasts included?
static int
forip(uint32 dst)
{
  if(dst == netif.ip || dst == 0xffffffff)
    return 1;
  if(netif.mask != 0xffffffff && dst == (netif.ip | ~netif.mask))
    return 1;
  return 0;
}

// Does a frame this host sends stay on this host? netlock held.
int
netfilt_islocal(const uint8 *f, int len)
{
  if(memcmp(f, netif.mac, 6) == 0)
    return 1;
  if(len >= ETH_HLEN + 20 && get16(f + 12) == ETHERTYPE_IPV4){
    uint32 dst = get32(f + ETH_HLEN + 16);
    return dst == netif.ip || (dst >> 24) == 127;
  }
  return 0;
}

// The owner of an ICMP message at ic (icmplen bytes), by its echo id or,
// for an error, by the header it quotes (RFC 792: the original IP header
// and at least 8 bytes of its data). 0 if none; *bad set if malformed.
static struct netchan *
icmpowner(const uint8 *ic, int icmplen, int *bad)
{
  int type = ic[0];

  if(type == ICMP_ECHOREPLY)
    return netfilt_owner(NC_PROTO_ICMP, get16(ic + 4));
  if(type == 3 || type == 4 || type == 5 || type == 11 || type == 12){
    const uint8 *q = ic + 8;
    int qlen = icmplen - 8;
    if(qlen < 20 || (q[0] >> 4) != 4 || (q[0] & 0xf) * 4 + 8 > qlen){
      *bad = 1;
      return 0;
    }
    const uint8 *ql4 = q + (q[0] & 0xf) * 4;
    int qproto = q[9];
    if(qproto == NC_PROTO_UDP || qproto == NC_PROTO_TCP)
      return netfilt_owner(qproto, get16(ql4));      // our source port
    if(qproto == NC_PROTO_ICMP)
      return netfilt_owner(NC_PROTO_ICMP, get16(ql4 + 4));
  }
  return 0;
}

#define HOLD (-1)   // ipowner's cause for "a later fragment, owner unknown yet"

// Choose the owner of an IPv4 frame f of len bytes. Returns it, or 0
// with *cause set to the counter to bump. netlock held.
static struct netchan *
ipowner(const uint8 *f, int len, int *cause)
{
  const uint8 *ip = f + ETH_HLEN;
  int iplen = len - ETH_HLEN, hl, tot, proto, bad = 0;
  struct netchan *c = 0;

  if(iplen < 20 || (ip[0] >> 4) != 4 || (hl = (ip[0] & 0xf) * 4) < 20 || hl > iplen){
    *cause = NC_rx_drop_malformed;
    return 0;
  }
  tot = get16(ip + 2);
  if(tot < hl || tot > iplen){
    *cause = NC_rx_drop_malformed;
    return 0;
  }
  if(!forip(get32(ip + 16))){
    *cause = NC_rx_drop_notforus;
    return 0;
  }
  proto = ip[9];
  int frag = get16(ip + 6);
  if((frag & 0x1fff) != 0){
    // a later fragment: no transport header here.
    c = fraglookup(get32(ip + 12), get16(ip + 4), proto);
    if(c == 0){
      *cause = HOLD;
      return 0;
    }
  } else {
    // a whole datagram or a first fragment: the transport header is here.
    const uint8 *l4 = ip + hl;
    int l4len = tot - hl;
    if(proto == NC_PROTO_UDP || proto == NC_PROTO_TCP){
      if(l4len < 4){
        *cause = NC_rx_drop_malformed;
        return 0;
      }
      c = netfilt_owner(proto, get16(l4 + 2));
    } else if(proto == NC_PROTO_ICMP){
      if(l4len < 8){
        *cause = NC_rx_drop_malformed;
        return 0;
      }
      c = icmpowner(l4, l4len, &bad);
      if(bad){
        *cause = NC_rx_drop_malformed;
        return 0;
      }
    }
    if(c == 0 && defowner){
      c = defowner;
      netif.st.v[NC_rx_to_default]++;
    }
    if(c && (frag & 0x2000)){   // more fragments follow: remember the owner
      fragremember(c, get32(ip + 12), get16(ip + 4), proto);
      orphanrelease(c, get32(ip + 12), get16(ip + 4), proto);
    }
  }
  if(c == 0)
    *cause = NC_rx_drop_nofilter;
  return c;
}

// Give every channel but the first a copy of an ARP frame; the first
// gets the page itself. Returns 1 if the page was taken. netlock held.
static int
arpfanout(char *page, int len)
{
  int taken = 0, tried = 0;

  for(struct netchan *c = chans; c < &chans[NNETCHAN]; c++){
    if(!c->used)
      continue;
    tried = 1;
    char *p = page;
    if(taken){
      if((p = kalloc()) == 0){
        netif.st.v[NC_rx_drop_nomem]++;
        continue;
      }
      memmove(p, page, len);
      netif.st.v[NC_copy_bytes] += len;
    }
    if(netchan_enqueue(c, p, len) == 0){
      if(taken)
        kfree(p);
      continue;
    }
    taken = 1;
  }
  // a channel whose queue was full counted rx_drop_ringfull already;
  // nofilter is for a frame no channel was there to take.
  if(!tried)
    netif.st.v[NC_rx_drop_nofilter]++;
  return taken;
}

// Deliver a received frame, in a page of its own, to its owner's queue.
// Returns 1 if some channel took the page, 0 if it was dropped (the
// caller still owns it). netlock held; the caller wakes pollers.
int
netfilt_deliver(char *page, int len)
{
  const uint8 *f = (const uint8 *)page;
  struct netchan *c;
  int cause = NC_rx_drop_nofilter;

  if(len < ETH_HLEN){
    netif.st.v[NC_rx_drop_malformed]++;
    return 0;
  }
  if(!formac(f)){
    netif.st.v[NC_rx_drop_notforus]++;
    return 0;
  }
  switch(get16(f + 12)){
  case ETHERTYPE_ARP:
    return arpfanout(page, len);
  case ETHERTYPE_IPV4:
    orphanexpire(defowner);
    c = ipowner(f, len, &cause);
    if(c == 0 && cause == HOLD){
      if(orphanhold(page, len, f + ETH_HLEN))
        return 1;
      c = defowner;          // no room to hold it
      cause = NC_rx_drop_nofilter;
    }
    break;
  default:
    c = 0;
    break;
  }
  if(c == 0){
    netif.st.v[cause]++;
    return 0;
  }
  return netchan_enqueue(c, page, len);
}

// The device received something that is not a frame (too short, or a
// header we never asked for). Called without the driver's lock.
void
netfilt_rxbad(void)
{
  acquire(&netlock);
  netif.st.v[NC_rx_drop_malformed]++;
  release(&netlock);
}

// The device received a frame into page (called by virtio_net.c without
// its lock held). Returns 1 if the page now belongs to a channel, 0 if
// the driver keeps it.
int
netfilt_rx(char *page, int len)
{
  int taken;

  acquire(&netlock);
  taken = netfilt_deliver(page, len);
  release(&netlock);
  if(taken)
    pollwakeup();
  return taken;
}

void
netfilt_init(void)
{
  initlock(&netlock, "net");
  // QEMU user networking's defaults (10.0.2.15/24 via 10.0.2.2), static
  // until netd's DHCP client has a lease: the machine answers at once.
  netif.ip = 0x0a00020f;
  netif.mask = 0xffffff00;
  netif.gw = 0x0a000202;
  // make DHCP=0 (the default with NET=dgram, whose tests count every
  // frame) boots with dhcp=0: netd does not ask for a lease.
  if(bootarg("dhcp=0"))
    netif.flags |= NCI_NODHCP;
  for(int i = 0; i < NCLAIMHASH; i++)
    hash[i] = NIL;
  for(int i = 0; i < NCLAIM; i++)
    claims[i].hnext = i + 1 < NCLAIM ? i + 1 : NIL;
  freeclaim = 0;
  for(int i = 0; i < NNETCHAN; i++){
    chans[i].claims = NIL;
    chans[i].nclaims = 0;
  }
}
