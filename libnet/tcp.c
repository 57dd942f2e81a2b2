// tcp.c: for now, only what a host owes for ports nobody listens on
// (RFC 9293 3.10.7.1, the CLOSED state): a reset, sent by the default
// responder. The connection machinery comes with the TCP issue.
#include "net.h"

void
tcp_input(const struct ipv4_repr *ip, const uint8_t *p, int len, int llcast)
{
  struct tcp_repr t, rst;
  uint8_t seg[TCP_HLEN];
  int off;

  LNSTAT(tcp_rx);
  if((off = tcp_parse(p, len, ip->src, ip->dst, &t)) < 0){
    LNSTAT(tcp_drop_bad);
    return;
  }
  // never answer a reset with a reset; a SYN to a broadcast address is
  // silently dropped (RFC 1122 4.2.3.10).
  if(!netif.isdefault || (t.flags & TCP_RST) || net_isbcast(ip->dst) || llcast){
    LNSTAT(tcp_drop_norst);
    return;
  }

  memset(&rst, 0, sizeof(rst));
  rst.sport = t.dport;
  rst.dport = t.sport;
  rst.wscale = -1;
  if(t.flags & TCP_ACK){
    rst.seq = t.ack;
    rst.flags = TCP_RST;
  } else {
    int seglen = len - off + ((t.flags & TCP_SYN) != 0) + ((t.flags & TCP_FIN) != 0);
    rst.seq = 0;
    rst.ack = t.seq + seglen;
    rst.flags = TCP_RST | TCP_ACK;
  }
  tcp_emit(seg, sizeof(seg), netif.ip, ip->src, &rst, 0);
  if(ipv4_output(ip->src, IP_PROTO_TCP, seg, TCP_HLEN) == 0)
    LNSTAT(tcp_rst_tx);
}

void
tcp_timer(uint64_t now)
{
}

uint64_t
tcp_nexttimer(void)
{
  return ~0ULL;
}

void
tcp_ctlinput(const struct ctlmsg *m, const struct ipv4_repr *qip, const uint8_t *qp, int qlen)
{
}
