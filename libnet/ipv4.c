// ipv4: IPv4 in and out for a host (RFC 791, RFC 1122 3.2.1): check,
// reassemble and dispatch what arrives; route, number and fragment what
// leaves. Not a router: nothing is forwarded, options are checked for
// RFC 791's format (a parameter problem if broken), skipped and never sent, and there is no multicast, no path MTU discovery (DF is
// never set) and no source routing.
#include "net.h"

// ---- reassembly -------------------------------------------------------------
// RFC 791 3.2 "Reassembly", with a sorted list of fragments per datagram
// instead of a bit table. A datagram is keyed by (src, dst, id, proto),
// and lives REASM_TIMEOUT_MS from its first fragment, as RFC 1122
// 3.3.2 suggests (it gives 60 to 120 s; we hold less memory for less).
// All fragments together may hold REASM_MAXBYTES of payload, and one
// datagram REASM_MAXFRAGS fragments: 45 make the largest datagram at a
// 1500-byte MTU, and the cap bounds both the list nodes' memory (every
// fragment but the last carries 8 bytes or more, so without it 64 KB
// could come as 8192 nodes) and the time spent walking one list.
//
// A fragment overlapping one already held kills its datagram (RFC 5722
// for IPv6, whose reasons apply to IPv4 as well: overlaps serve only to
// fool filters); an exact duplicate is just dropped (RFC 8200 4.5 allows
// it, and the network does duplicate). A killed datagram's slot stays
// "dead" until its timeout so that its late fragments are dropped too,
// instead of starting a datagram that can never complete.

struct frag {
  struct frag *next;   // next higher offset
  int off, len;        // payload bytes [off, off+len) of the datagram
  uint8_t data[];
};

struct reasm {
  int used;
  int dead;            // killed: drop its fragments until it expires
  uint32_t src, dst;   // the key
  uint16_t id;
  uint8_t proto;
  uint64_t expire;     // ln_now_ms() at which it times out
  struct frag *frags;  // sorted by offset, never overlapping
  int have;            // payload bytes held
  int total;           // payload length once the last fragment came, else -1
  int nfrag;           // fragments held
  int hlen;            // header length of the first fragment, 0 until it came
  int llcast;          // some fragment came as a link-layer broadcast
  uint8_t hdr[60];     // its header, options included
};

static struct reasm reasm[REASM_NSLOT];
static int reasm_bytes;   // payload bytes held, all slots together

#define REASM_MAXFRAGS 128

// The largest IPv4 payload: a 65535-byte datagram minus a bare header.
#define IP_MAXPAYLOAD (65535 - IPV4_HLEN)

static int
ip_isbcast(uint32_t a)
{
  return a == 0xffffffff || net_isbcast(a);
}

// Free a slot's fragments and give their bytes back.
static void
reasm_freefrags(struct reasm *r)
{
  struct frag *f, *next;

  for(f = r->frags; f; f = next){
    next = f->next;
    free(f);
  }
  r->frags = 0;
  reasm_bytes -= r->have;
  r->have = 0;
  r->nfrag = 0;
}

static void
reasm_release(struct reasm *r)
{
  reasm_freefrags(r);
  r->used = 0;
  r->dead = 0;
}

// Give up on a datagram, but remember its key until it expires. The
// fragments it held go with it, counted in the datagram.
static void
reasm_kill(struct reasm *r)
{
  LNSTAT(ip_reasm_kill);
  reasm_freefrags(r);
  r->dead = 1;
}

// The slot for ip's datagram: the one in progress, else a new one (a free
// slot first, then a dead one). 0 if all are busy.
static struct reasm *
reasm_lookup(const struct ipv4_repr *ip, uint64_t now)
{
  struct reasm *r, *fresh = 0;

  for(r = reasm; r < reasm + REASM_NSLOT; r++){
    if(r->used && r->src == ip->src && r->dst == ip->dst &&
       r->id == ip->id && r->proto == ip->proto)
      return r;
    if(!r->used)
      fresh = r;
    else if(r->dead && fresh == 0)
      fresh = r;
  }
  if(fresh == 0)
    return 0;
  reasm_release(fresh);
  fresh->used = 1;
  fresh->src = ip->src;
  fresh->dst = ip->dst;
  fresh->id = ip->id;
  fresh->proto = ip->proto;
  fresh->expire = now + REASM_TIMEOUT_MS;
  fresh->total = -1;
  fresh->hlen = 0;
  fresh->llcast = 0;
  return fresh;
}

// Link the fragment [off, off+len) into r's sorted list, copying data.
// Returns 1 if stored, 0 if it was an exact duplicate (dropped and
// counted), -1 if r must be killed (overlap, over a limit, no memory).
static int
reasm_insert(struct reasm *r, int off, const uint8_t *data, int len)
{
  struct frag **pp, *f;

  for(pp = &r->frags; *pp && (*pp)->off + (*pp)->len <= off; pp = &(*pp)->next)
    ;
  // *pp is the first fragment ending after off: it must start at or
  // after our end, unless it is the very same fragment again.
  if(*pp && (*pp)->off < off + len){
    if((*pp)->off == off && (*pp)->len == len && memcmp((*pp)->data, data, len) == 0){
      LNSTAT(ip_reasm_drop);
      return 0;
    }
    return -1;
  }
  if(reasm_bytes + len > REASM_MAXBYTES || r->nfrag == REASM_MAXFRAGS)
    return -1;
  f = malloc(sizeof(struct frag) + len);
  if(f == 0)
    return -1;
  f->off = off;
  f->len = len;
  memcpy(f->data, data, len);
  f->next = *pp;
  *pp = f;
  r->nfrag++;
  reasm_bytes += len;
  r->have += len;
  return 1;
}

// Where the highest fragment held ends, 0 if none.
static int
reasm_end(struct reasm *r)
{
  struct frag *f;

  for(f = r->frags; f && f->next; f = f->next)
    ;
  return f ? f->off + f->len : 0;
}

// The datagram in r is whole: build it, header first (ICMP's raw sockets
// want the header in front of the payload), and free the slot.
// Returns a malloc'd packet the caller frees, or 0.
static uint8_t *
reasm_build(struct reasm *r, int *lenp)
{
  struct frag *f;
  uint8_t *pkt;
  int len;

  len = r->hlen + r->total;
  // hlen is set, since fragment zero is here; checked all the same, as
  // is every fragment's end, because a mistake here writes out of bounds.
  if(r->hlen == 0 || reasm_end(r) > r->total || len > 65535 || (pkt = malloc(len)) == 0){
    reasm_kill(r);
    return 0;
  }
  memcpy(pkt, r->hdr, r->hlen);
  for(f = r->frags; f; f = f->next)
    memcpy(pkt + r->hlen + f->off, f->data, f->len);
  // The first fragment's header, made the header of the whole: its
  // length, no fragment bits, and a checksum to match.
  put16(pkt + 2, len);
  put16(pkt + 6, 0);
  put16(pkt + 10, 0);
  put16(pkt + 10, cksum_fold(cksum_add(0, pkt, r->hlen)));
  reasm_release(r);
  *lenp = len;
  return pkt;
}

// One fragment of a datagram for us; *llcast says whether it came as a
// link-layer broadcast. Returns the reassembled datagram (malloc'd; the
// caller dispatches and frees it) when this fragment completed one, and
// sets *llcast if any of its fragments came so (RFC 1122 3.2.2 forbids
// an error about it then), else 0. Every fragment it refuses is counted.
static uint8_t *
reasm_input(const struct ipv4_repr *ip, const uint8_t *pkt, uint64_t now, int *lenp, int *llcast)
{
  struct reasm *r;
  int off, len, more, rc;

  off = (ip->frag & IPV4_OFFMASK) * 8;
  len = ip->totlen - ip->hlen;
  more = (ip->frag & IPV4_MF) != 0;
  // RFC 791: every fragment but the last carries a multiple of 8 bytes.
  if(len == 0 || (more && len % 8 != 0)){
    LNSTAT(ip_reasm_drop);
    return 0;
  }
  r = reasm_lookup(ip, now);
  if(r == 0 || r->dead){
    LNSTAT(ip_reasm_drop);
    return 0;
  }
  // Too long for any datagram (the "ping of death"), or disagreeing with
  // the end the last fragment gave, or a last fragment ending before
  // bytes already held.
  if(off + len > IP_MAXPAYLOAD || (r->total >= 0 && off + len > r->total) ||
     (!more && r->total >= 0 && off + len != r->total) ||
     (!more && r->total < 0 && reasm_end(r) > off + len)){
    LNSTAT(ip_reasm_drop);
    reasm_kill(r);
    return 0;
  }
  rc = reasm_insert(r, off, pkt + ip->hlen, len);
  if(rc <= 0){
    if(rc < 0){
      LNSTAT(ip_reasm_drop);
      reasm_kill(r);
    }
    return 0;
  }
  r->llcast |= *llcast;
  if(!more)
    r->total = off + len;
  if(off == 0){
    r->hlen = ip->hlen;
    memcpy(r->hdr, pkt, ip->hlen);
  }
  // Every fragment lies in [0, total) and none overlap, so holding total
  // bytes means there are no holes.
  if(r->total >= 0 && r->have == r->total){
    *llcast = r->llcast;
    return reasm_build(r, lenp);
  }
  return 0;
}

// Expire datagrams whose fragments did not all come in time. RFC 1122
// 3.3.2: if fragment zero is here, say so with a time exceeded,
// code 1 (RFC 792), quoting its header and first 8 bytes.
void
ipv4_timer(uint64_t now)
{
  struct reasm *r;
  uint8_t quote[60 + 8];
  int n, llcast;

  for(r = reasm; r < reasm + REASM_NSLOT; r++){
    if(!r->used || r->expire > now)
      continue;
    if(r->dead){
      reasm_release(r);
      continue;
    }
    LNSTAT(ip_reasm_timeout);
    n = 0;
    if(r->hlen > 0 && r->frags && r->frags->off == 0){
      memcpy(quote, r->hdr, r->hlen);
      n = r->frags->len < 8 ? r->frags->len : 8;
      memcpy(quote + r->hlen, r->frags->data, n);
      n += r->hlen;
    }
    // Free first: the error goes out through ipv4_output, which must
    // find the slot table consistent if anything comes back in.
    llcast = r->llcast;
    reasm_release(r);
    if(n > 0)
      icmp_error(ICMP_TIMXCEED, 1, 0, quote, n, llcast);
  }
}

uint64_t
ipv4_nexttimer(void)
{
  struct reasm *r;
  uint64_t t = ~0ULL;

  for(r = reasm; r < reasm + REASM_NSLOT; r++)
    if(r->used && r->expire < t)
      t = r->expire;
  return t;
}

// ---- input ---------------------------------------------------------------------

// Hand a whole datagram to its protocol. pkt holds the header (ip->hlen
// bytes) and then the payload, so icmp.c can find the header in front.
// llcast: it came as a link-layer broadcast or multicast.
static void
ipv4_dispatch(const struct ipv4_repr *ip, const uint8_t *pkt, int llcast)
{
  const uint8_t *p = pkt + ip->hlen;
  int len = ip->totlen - ip->hlen;

  switch(ip->proto){
  case IP_PROTO_ICMP:
    icmp_input(ip, p, len);
    break;
  case IP_PROTO_UDP:
    udp_input(ip, p, len, llcast);
    break;
  case IP_PROTO_TCP:
    tcp_input(ip, p, len, llcast);
    break;
  default:
    // RFC 1122 3.2.2.1: a host SHOULD say protocol unreachable. Only
    // the host's default responder speaks for it; icmp_error refuses
    // what 3.2.2 forbids (to a broadcast, by link-layer broadcast).
    LNSTAT(ip_drop_proto);
    if(netif.isdefault)
      icmp_error(ICMP_UNREACH, ICMP_UNREACH_PROTO, 0, pkt, ip->totlen, llcast);
    break;
  }
}

// A datagram for us whose header has a malformed option (RFC 791 3.1).
// RFC 1122 3.2.2.5: a host SHOULD send a parameter problem (RFC 792:
// type 12, code 0, the pointer in the first octet after the ICMP
// header) naming the octet at fault, when it discards a datagram for a
// bad header field. The host's default responder answers, to a source
// that names one host; icmp_error refuses the rest of what 3.2.2
// forbids (later fragments, errors about errors, broadcasts).
static void
ipv4_badopt(const struct ipv4_repr *ip, const uint8_t *p, int llcast)
{
  uint32_t ptr;

  if(!netif.isdefault || !net_isours(ip->dst) || !net_isvalidsrc(ip->src))
    return;
  ptr = ipv4_optcheck(p, ip->hlen);
  icmp_error(ICMP_PARAMPROB, 0, ptr << 24, p, ip->totlen, llcast);
}

// One received IPv4 packet, p..p+len (the Ethernet payload, perhaps
// padded), in a frame whose header is eth. Safe against any bytes:
// ipv4_parse checks every length before we use it. p is not kept after
// return.
void
ipv4_input(const struct eth_repr *eth, const uint8_t *p, int len)
{
  struct ipv4_repr ip;
  uint8_t *whole;
  int hl, wlen, llcast;

  // RFC 1122 3.2.2 (and 3.3.6 for multicast): no ICMP error about a
  // datagram sent as a link-layer broadcast, even to our unicast
  // address; the mark travels with the datagram to where errors are decided.
  llcast = eth != 0 && eth_isgroup(eth->dst);
  LNSTAT(ip_rx);
  hl = len < 0 ? WIRE_ESHORT : ipv4_parse(p, len, &ip);
  switch(hl){
  case WIRE_ESHORT:
    LNSTAT(ip_drop_short);
    return;
  case WIRE_EVERSION:
    LNSTAT(ip_drop_version);
    return;
  case WIRE_EHLEN:
    LNSTAT(ip_drop_hlen);
    return;
  case WIRE_ELEN:
    LNSTAT(ip_drop_len);
    return;
  case WIRE_ECKSUM:
    LNSTAT(ip_drop_cksum);
    return;
  case WIRE_EFORMAT:
    LNSTAT(ip_drop_format);
    ipv4_badopt(&ip, p, llcast);
    return;
  }
  if(hl < 0){
    // a code wire.h gained without a case above: malformed, somehow.
    LNSTAT(ip_drop_format);
    return;
  }
  if(!net_isours(ip.dst)){
    LNSTAT(ip_drop_notforus);
    return;
  }
  if(!net_isvalidsrc(ip.src)){
    LNSTAT(ip_drop_badsrc);
    return;
  }
  if((ip.frag & (IPV4_MF | IPV4_OFFMASK)) == 0){
    ipv4_dispatch(&ip, p, llcast);
    return;
  }
  LNSTAT(ip_frag_rx);
  whole = reasm_input(&ip, p, ln_now_ms(), &wlen, &llcast);
  if(whole == 0)
    return;
  LNSTAT(ip_reasm_ok);
  // Parse what we built, so the repr says exactly what the header does.
  if(ipv4_parse(whole, wlen, &ip) < 0)
    LNSTAT(ip_reasm_kill);    // cannot happen: we just checksummed it
  else
    ipv4_dispatch(&ip, whole, llcast);
  free(whole);
}

// ---- errors about what we sent -------------------------------------------------

// Each transport's ctlinput, by IP protocol number (BSD's
// inetsw[].pr_ctlinput): the one place that knows which protocol
// reads which quote.
static void (*const ctlinput[256])(const struct ctlmsg *, const struct ipv4_repr *,
                                   const uint8_t *, int) = {
  [IP_PROTO_ICMP] = icmp_ctlinput,
  [IP_PROTO_TCP] = tcp_ctlinput,
  [IP_PROTO_UDP] = udp_ctlinput,
};

// An error about a datagram we sent: an ICMP error's quote, or a packet
// ARP gave up on (q, qlen bytes, its IP header first). Hands the quoted
// transport bytes, unread, to the quoted protocol's ctlinput: at least
// 8 of them, since RFC 1122 3.2.2 says an error MUST quote 8 and every
// transport we speak keeps its ports or echo id there. Never reads
// past qlen, nor past the quoted totlen (a quote may carry link padding).
void
ipv4_ctlinput(const struct ctlmsg *m, const uint8_t *q, int qlen)
{
  struct ipv4_repr qip;
  int hl, n;

  hl = qlen < 0 ? WIRE_ESHORT : ipv4_parse_quoted(q, qlen, &qip);
  if(hl < 0 || (n = (qip.totlen < qlen ? qip.totlen : qlen) - hl) < 8){
    LNSTAT(ip_ctl_badquote);
    return;
  }
  // RFC 792: errors are only about fragment zero; a later fragment's
  // first bytes are data, not a transport header.
  if(qip.frag & IPV4_OFFMASK){
    LNSTAT(ip_ctl_frag);
    return;
  }
  if(ctlinput[qip.proto] == 0){
    LNSTAT(ip_ctl_noproto);
    return;
  }
  LNSTAT(ip_ctl_up);
  ctlinput[qip.proto](m, &qip, q + hl, n);
}

// ---- output --------------------------------------------------------------------

static uint16_t ipid;        // identification of the next datagram
static int ipid_seeded;
static uint8_t scratch[NET_MTU];   // packets waiting for ARP are built here

// RFC 791 wants id unique per (src, dst, proto) while a datagram may
// live; every process runs its own stack with the same address, so
// start each somewhere different.
static uint16_t
ipv4_nextid(void)
{
  if(!ipid_seeded){
    ipid = (uint16_t)(ln_now_us() * 2654435761u >> 16);
    ipid_seeded = 1;
  }
  return ipid++;
}

// The next hop for dst. A broadcast goes to itself: netif.c maps it to
// the Ethernet broadcast address.
static int
ipv4_nexthop(uint32_t dst, uint32_t *nexthop)
{
  if(ip_isbcast(dst)){
    *nexthop = dst;
    return 0;
  }
  return net_route(dst, nexthop);
}

// Send one packet: header from ip, then len payload bytes. Written
// straight into a TX frame if the neighbour is known and a buffer is
// free, else built in scratch and handed to ARP's queue. Returns 0 if
// sent or queued, or -E*; ip_tx counts only what reached the device.
static int
ipv4_send(uint32_t nexthop, struct ipv4_repr *ip, const uint8_t *payload, int len)
{
  const uint8_t *mac;
  uint8_t *frame, *pkt;
  int rc;

  ip->totlen = IPV4_HLEN + len;
  frame = eth_txbegin(nexthop, &mac);
  pkt = frame ? frame + ETH_HLEN : scratch;
  ipv4_emit(pkt, IPV4_HLEN, ip);
  memcpy(pkt + IPV4_HLEN, payload, len);
  if(frame){
    eth_txfinish(frame, mac, ip->totlen);
    rc = 0;
  } else {
    rc = eth_output_ip(nexthop, pkt, ip->totlen);
  }
  if(rc == 0)
    LNSTAT(ip_tx);
  if(rc == ETH_QUEUED){
    LNSTAT(ip_tx_arpwait);
    rc = 0;
  }
  return rc;
}

// Send payload (a transport header and its data, len bytes) to dst as
// one datagram, in fragments if it exceeds the MTU (RFC 791 3.2
// "Fragmentation": offsets in 8-byte units, MF on all but the last).
// Returns 0 or -ENETUNREACH, -EMSGSIZE, -ENOBUFS; if one fragment
// cannot go, the rest are not sent.
int
ipv4_output(uint32_t dst, int proto, const uint8_t *payload, int len)
{
  struct ipv4_repr ip;
  uint32_t nexthop;
  int off, n, rc, maxfrag;

  if(len < 0 || len > IP_MAXPAYLOAD)
    return -EMSGSIZE;
  if(ipv4_nexthop(dst, &nexthop) < 0){
    LNSTAT(ip_drop_noroute);
    return -ENETUNREACH;
  }
  memset(&ip, 0, sizeof ip);
  ip.ttl = IP_TTL;
  ip.proto = proto;
  ip.id = ipv4_nextid();
  ip.src = netif.ip;
  ip.dst = dst;
  if(IPV4_HLEN + len <= NET_MTU)
    return ipv4_send(nexthop, &ip, payload, len);
  maxfrag = (NET_MTU - IPV4_HLEN) & ~7;
  for(off = 0; off < len; off += n){
    n = len - off < maxfrag ? len - off : maxfrag;
    ip.frag = off / 8;
    if(off + n < len)
      ip.frag |= IPV4_MF;
    rc = ipv4_send(nexthop, &ip, payload + off, n);
    if(rc < 0)
      return rc;
    LNSTAT(ip_frag_out);
  }
  return 0;
}

// The zero-copy path's state between ipv4_txbegin and ipv4_txfinish:
// one packet at a time, as the stack is single-threaded.
static struct {
  uint8_t *frame;
  const uint8_t *mac;
  struct ipv4_repr ip;
} txc;

// Where to write len payload bytes for dst, straight in a TX frame; 0
// if the packet would need fragmenting, the route or the neighbour's MAC
// is missing, or no buffer is free (the caller then uses ipv4_output,
// which reports why). A non-zero return must be followed by
// ipv4_txfinish(*cookie) before anything else is sent.
uint8_t *
ipv4_txbegin(uint32_t dst, int proto, int len, void **cookie)
{
  uint32_t nexthop;

  if(len < 0 || IPV4_HLEN + len > NET_MTU)
    return 0;
  if(ipv4_nexthop(dst, &nexthop) < 0)
    return 0;
  txc.frame = eth_txbegin(nexthop, &txc.mac);
  if(txc.frame == 0)
    return 0;
  memset(&txc.ip, 0, sizeof txc.ip);
  txc.ip.ttl = IP_TTL;
  txc.ip.proto = proto;
  txc.ip.src = netif.ip;
  txc.ip.dst = dst;
  txc.ip.totlen = IPV4_HLEN + len;
  *cookie = &txc;
  return txc.frame + ETH_HLEN + IPV4_HLEN;
}

// Put the header in front of the payload written since ipv4_txbegin and
// send the frame: all of it from the buffer (hdrlen < 0), or hdrlen
// bytes from it and the rest from the payload cache. Returns 0, or
// -EINVAL for a cookie not ours.
static int
finish(void *cookie, int hdrlen, uint32_t payoff, int paylen)
{
  if(cookie != &txc || txc.frame == 0)
    return -EINVAL;
  // The id is taken now, not at txbegin, so an abandoned begin costs none.
  txc.ip.id = ipv4_nextid();
  ipv4_emit(txc.frame + ETH_HLEN, IPV4_HLEN, &txc.ip);
  if(hdrlen < 0)
    eth_txfinish(txc.frame, txc.mac, txc.ip.totlen);
  else
    eth_txsplit(txc.frame, txc.mac, IPV4_HLEN + hdrlen, payoff, paylen);
  txc.frame = 0;
  LNSTAT(ip_tx);
  return 0;
}

int
ipv4_txfinish(void *cookie)
{
  return finish(cookie, -1, 0, 0);
}

int
ipv4_txsplit(void *cookie, int hdrlen, uint32_t payoff, int paylen)
{
  if(IPV4_HLEN + hdrlen + paylen != txc.ip.totlen)
    return -EINVAL;
  return finish(cookie, hdrlen, payoff, paylen);
}
