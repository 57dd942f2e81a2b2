// udp.c: UDP (RFC 768) between the IPv4 layer and the sockets.
// Checks each datagram, finds its socket by local port, and queues a
// copy there. Output builds the datagram in the device's buffer when
// it can (ipv4_txbegin), so the payload is copied once, from the caller.
#include "net.h"

// A datagram for us: ip is its IP header (ip->hlen bytes before p), p
// the UDP datagram, len bytes; llcast if it came as a link-layer broadcast.
void
udp_input(const struct ipv4_repr *ip, const uint8_t *p, int len, int llcast)
{
  struct udp_repr u;
  struct sock *s;
  int r;

  LNSTAT(udp_rx);
  if((r = udp_parse(p, len, ip->src, ip->dst, &u)) < 0){
    if(r == WIRE_ECKSUM)
      LNSTAT(udp_drop_cksum);
    else
      LNSTAT(udp_drop_bad);
    return;
  }
  s = sock_byport(IP_PROTO_UDP, u.dport);
  if(s && s->raddr && (s->raddr != ip->src || s->rport != u.sport))
    s = 0;   // a connected socket hears only its peer
  if(s == 0){
    LNSTAT(udp_drop_noport);
    // RFC 1122 4.1.3.1: port unreachable, if we answer for the host;
    // icmp_error refuses it for a broadcast, by IP or by link (3.2.2).
    if(netif.isdefault)
      icmp_error(ICMP_UNREACH, ICMP_UNREACH_PORT, 0, p - ip->hlen, ip->hlen + len, llcast);
    return;
  }
  r = sock_deliver(s, ip->src, u.sport, ip->ttl, p + UDP_HLEN, u.len - UDP_HLEN);
  if(r == -ENOBUFS)
    LNSTAT(udp_drop_full);
  else if(r < 0)
    LNSTAT(sock_drop_nomem);
}

// An error about a datagram we sent: qip is its quoted IP header, qp
// the quoted UDP header (qlen >= 8 bytes, as ipv4_ctlinput promises).
// The socket learns it only if connected to the quoted destination
// (RFC 1122 4.1.3.3: UDP MUST pass ICMP errors up; sock_error keeps an
// unconnected socket, as BSD does, and a connected one about another
// peer from hearing it).
void
udp_ctlinput(const struct ctlmsg *m, const struct ipv4_repr *qip, const uint8_t *qp, int qlen)
{
  struct udp_repr u;

  u.sport = get16(qp);
  u.dport = get16(qp + 2);
  sock_error(IP_PROTO_UDP, u.sport, qip->dst, u.dport, m->err);
}

// Send len bytes of data from sport to dst:dport. Returns 0 or -E*.
int
udp_output(uint16_t sport, uint32_t dst, uint16_t dport, const uint8_t *data, int len)
{
  static uint8_t scratch[65536];
  struct udp_repr u;
  void *cookie;
  uint8_t *p;
  int r;

  if(len > 65507)
    return -EMSGSIZE;
  u.sport = sport;
  u.dport = dport;
  u.len = UDP_HLEN + len;
  if((p = ipv4_txbegin(dst, IP_PROTO_UDP, u.len, &cookie)) != 0){
    memmove(p + UDP_HLEN, data, len);
    udp_emit(p, u.len, netif.ip, dst, &u);
    r = ipv4_txfinish(cookie);
  } else {
    memmove(scratch + UDP_HLEN, data, len);
    udp_emit(scratch, u.len, netif.ip, dst, &u);
    r = ipv4_output(dst, IP_PROTO_UDP, scratch, u.len);
  }
  if(r == 0)
    LNSTAT(udp_tx);
  return r;
}
