// Every check on what a process hands the kernel to send, in one place.
//
// The checks read the process's buffer while the process sits in
// netsync(); netchan.c then copies exactly the bytes checked for the
// device to read, so they cannot change between check and transmission. The rule: a process may send only as itself. The
// source MAC must be the interface's; an IPv4 frame must come from the
// interface's address and from a port (or echo identifier) the channel
// has claimed (or, for the holder of UDP port 68 alone, a DHCP request
// from 0.0.0.0 to the broadcast address); an ARP frame must name the interface as its sender. The
// default responder (netd) may also send ICMP of any kind, since it
// answers for the host, and TCP resets and bare ACKs (no SYN, no payload) from ports nobody holds; any
// channel may send an ICMP error about a datagram sent to its own port.
// Nothing else leaves: no other EtherType, no other IP protocol.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "netvar.h"

#define ARP_LEN 28

// Check an ARP frame f of len bytes (RFC 826 layout for Ethernet and
// IPv4). Returns -1 if it may be sent, else the counter of the reason.
static int
checkarp(const uint8 *f, int len, int *hlen)
{
  const uint8 *a = f + ETH_HLEN;
  uint32 spa;

  if(len < ETH_HLEN + ARP_LEN || get16(a) != 1 || get16(a + 2) != ETHERTYPE_IPV4 ||
     a[4] != 6 || a[5] != 4)
    return NC_tx_reject_malformed;
  if(memcmp(a + 8, netif.mac, 6) != 0)
    return NC_tx_reject_srcmac;
  // 0.0.0.0 is an ARP probe (RFC 5227), allowed.
  spa = get32(a + 14);
  if(spa != netif.ip && spa != 0)
    return NC_tx_reject_srcip;
  *hlen = ETH_HLEN + ARP_LEN;
  return -1;
}

// Is (dst, id, proto) a datagram whose first fragment c sent lately?
// Returns its record, or 0. netlock held.
static struct fragid *
fragfind(struct netchan *c, uint32 dst, uint16 id, int proto)
{
  for(struct fragid *f = c->fragid; f < &c->fragid[NFRAGID]; f++)
    if(f->when && ticks - f->when < FRAGID_TICKS &&
       f->dst == dst && f->id == id && f->proto == proto)
      return f;
  return 0;
}

// A datagram is fragmented at the far end by (source, destination, id,
// protocol) alone (RFC 791 3.2), and every channel sends from the same
// source. So a channel may send a later fragment only of a datagram
// whose first fragment it sent, and a first fragment only if no other
// channel sent one lately with the same key: else one process could
// splice its bytes into another's datagram. Returns -1 or the reason.
// netlock held.
static int
checkfrag(struct netchan *c, const uint8 *ip)
{
  uint32 dst = get32(ip + 16);
  uint16 id = get16(ip + 4);
  int proto = ip[9];
  struct fragid *f;

  if((get16(ip + 6) & 0x1fff) != 0)
    return fragfind(c, dst, id, proto) ? -1 : NC_tx_reject_fragment;
  for(struct netchan *o = chans; o < &chans[NNETCHAN]; o++)
    if(o != c && o->used && fragfind(o, dst, id, proto))
      return NC_tx_reject_fragid;
  if((f = fragfind(c, dst, id, proto)) == 0){
    f = &c->fragid[c->fragnext];
    c->fragnext = (c->fragnext + 1) % NFRAGID;
  }
  f->dst = dst;
  f->id = id;
  f->proto = proto;
  f->when = ticks ? ticks : 1;
  return -1;
}

// May channel c send the ICMP message at ic? icmplen bytes of it are in
// the frame, avail of those in the kernel's copy. Echo requests and
// replies need the identifier claimed. An error (unreachable, time
// exceeded, parameter problem) may speak only of a datagram that was
// addressed to a port c claims: the quoted header and the quoted
// destination port are then checked too, and *hlen grows to cover them
// (RFC 792: the original IP header and at least 8 bytes of its data).
// The default responder may send anything.
static int
checkicmp(struct netchan *c, const uint8 *ic, int icmplen, int avail, int *hlen)
{
  int type = ic[0], qhl;
  const uint8 *q = ic + 8;

  if(netfilt_isdefault(c))
    return -1;
  if(type == ICMP_ECHO || type == ICMP_ECHOREPLY)
    return netfilt_owner(NC_PROTO_ICMP, get16(ic + 4)) == c ? -1 : NC_tx_reject_srcport;
  if(type != 3 && type != 11 && type != 12)
    return NC_tx_reject_proto;
  if(icmplen < 8 + 20 || avail < 8 + 20 || (q[0] >> 4) != 4)
    return NC_tx_reject_malformed;
  qhl = (q[0] & 0xf) * 4;
  if(qhl < 20 || 8 + qhl + 4 > icmplen || 8 + qhl + 4 > avail)
    return NC_tx_reject_malformed;
  if((q[9] != NC_PROTO_UDP && q[9] != NC_PROTO_TCP) || get32(q + 16) != netif.ip ||
     netfilt_owner(q[9], get16(q + qhl + 2)) != c)
    return NC_tx_reject_srcport;
  *hlen += qhl + 4;
  return -1;
}

// A DHCP client without an address yet sends from 0.0.0.0 port 68 to
// 255.255.255.255 port 67, as a link-layer broadcast (RFC 2131 4.1,
// 4.4.1). Only the channel holding UDP port 68 may, and only that: one
// whole datagram (a fragment's later pieces would carry no port to
// check), to the server port, to everyone. The ports are within the
// bytes checkipv4 copies for the device. f is the frame, ip its IPv4
// header of hl bytes, tot long (both checked against the frame).
static int
dhcpclient(struct netchan *c, const uint8 *f, const uint8 *ip, int hl, int tot)
{
  static const uint8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  const uint8 *u = ip + hl;

  if(get32(ip + 12) != 0 || ip[9] != NC_PROTO_UDP || (get16(ip + 6) & 0x3fff) != 0)
    return 0;
  if(tot - hl < 8 || get32(ip + 16) != 0xffffffff || memcmp(f, bcast, 6) != 0)
    return 0;
  return get16(u) == 68 && get16(u + 2) == 67 && netfilt_owner(NC_PROTO_UDP, 68) == c;
}

// Check an IPv4 frame f of len bytes.
static int
checkipv4(struct netchan *c, const uint8 *f, int len, int *hlen)
{
  const uint8 *ip = f + ETH_HLEN;
  int hl, tot, proto, l4need, why;

  if(len < ETH_HLEN + 20 || (ip[0] >> 4) != 4 || (hl = (ip[0] & 0xf) * 4) < 20 ||
     ETH_HLEN + hl > len)
    return NC_tx_reject_malformed;
  tot = get16(ip + 2);
  if(tot < hl || ETH_HLEN + tot > len)
    return NC_tx_reject_malformed;
  if(get32(ip + 12) != netif.ip && !dhcpclient(c, f, ip, hl, tot))
    return NC_tx_reject_srcip;
  proto = ip[9];
  if(proto != NC_PROTO_UDP && proto != NC_PROTO_TCP && proto != NC_PROTO_ICMP)
    return NC_tx_reject_proto;

  if((get16(ip + 6) & 0x1fff) != 0){
    // a later fragment: no transport header to check, but it must
    // belong to a datagram whose first fragment c sent.
    *hlen = ETH_HLEN + hl;
    return checkfrag(c, ip);
  }

  l4need = proto == NC_PROTO_ICMP ? 8 : 4;
  if(proto == NC_PROTO_TCP && netfilt_isdefault(c))
    l4need = 14;   // through the flags: the default responder may send resets and bare ACKs
  if(tot - hl < l4need)
    return NC_tx_reject_malformed;
  *hlen = ETH_HLEN + hl + l4need;
  if(proto == NC_PROTO_ICMP){
    int copied = (len < NC_HDRCOPY - NC_HDRROOM ? len : NC_HDRCOPY - NC_HDRROOM) - ETH_HLEN - hl;
    why = checkicmp(c, ip + hl, tot - hl, copied, hlen);
  } else {
    struct netchan *owner = netfilt_owner(proto, get16(ip + hl));
    why = owner == c ? -1 : NC_tx_reject_srcport;
    // RFC 9293 3.10.7.1: a segment to a port nobody holds gets a reset;
    // the default responder sends it, from that unclaimed port. It also
    // answers for the TIME-WAIT and FIN-WAIT-2 connections of processes
    // that exited (libnet/tcp_orphan.c): a bare ACK, no SYN, no payload.
    if(owner == 0 && proto == NC_PROTO_TCP && netfilt_isdefault(c) &&
       ((ip[hl + 13] & 0x04) || (!(ip[hl + 13] & 0x02) && tot - hl == (ip[hl + 12] >> 4) * 4)))
      why = -1;
  }
  // a first fragment: from now on c may send its datagram's later ones.
  if(why < 0 && (get16(ip + 6) & 0x2000))
    why = checkfrag(c, ip);
  return why;
}

// Check the headers of the frame f (len bytes) that channel c wants to
// send. No check reads past the first NC_HDRCOPY - NC_HDRROOM bytes.
// Returns -1 if the frame may go, with *hlen set to how many leading
// bytes were checked (the kernel sends those from its copy), else the
// NC_tx_reject_* counter that says why not. netlock held.
int
netguard_tx(struct netchan *c, const uint8 *f, int len, int *hlen)
{
  *hlen = ETH_HLEN;
  if(memcmp(f + 6, netif.mac, 6) != 0)
    return NC_tx_reject_srcmac;
  switch(get16(f + 12)){
  case ETHERTYPE_ARP:
    return checkarp(f, len, hlen);
  case ETHERTYPE_IPV4:
    return checkipv4(c, f, len, hlen);
  default:
    return NC_tx_reject_proto;
  }
}

// Check the headers of a split frame (netchan.h, NCS_PAYLOAD): hdrlen
// bytes at f, followed on the wire by paylen bytes from the channel's
// payload cache, which no check reads. The usual checks (netguard_tx)
// apply to the headers as to any frame, on UDP and TCP over IPv4 only
// and no fragment: an ICMP error's quoted header, or a later fragment's
// transport header, would lie in the unchecked payload. The IPv4 total
// length must count the payload exactly, and every byte the checks read
// must lie in the headers. Returns -1 if the frame may go, else the
// counter of the reason. netlock held.
int
netguard_txsplit(struct netchan *c, const uint8 *f, int hdrlen, int paylen)
{
  const uint8 *ip = f + ETH_HLEN;
  int hl, hlen, why;

  if(hdrlen < ETH_HLEN + 20 || get16(f + 12) != ETHERTYPE_IPV4 || (ip[0] >> 4) != 4)
    return NC_tx_reject_splithdr;
  hl = (ip[0] & 0xf) * 4;
  if(hl < 20 || ETH_HLEN + hl > hdrlen)
    return NC_tx_reject_splithdr;
  if((ip[9] != NC_PROTO_UDP && ip[9] != NC_PROTO_TCP) || (get16(ip + 6) & 0x3fff) != 0)
    return NC_tx_reject_splithdr;
  if(get16(ip + 2) != hdrlen - ETH_HLEN + paylen)
    return NC_tx_reject_splitlen;
  if((why = netguard_tx(c, f, hdrlen + paylen, &hlen)) >= 0)
    return why;
  return hlen <= hdrlen ? -1 : NC_tx_reject_splithdr;
}
