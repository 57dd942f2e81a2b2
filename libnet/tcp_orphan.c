// tcp_orphan.c: connections that outlive their process. A kernel stack
// keeps a closed connection's TIME-WAIT (and an unanswered FIN-WAIT-2)
// after the process is gone; here the stack goes with the process, so
// at exit (tcp_exit, stream.c) what is left is handed to netd, the
// default responder: once the process's claims are released, the
// kernel sends netd every segment for those ports, and netd's libnet
// takes the connections in (tcp_adopt) as orphans of its own. The peer
// sees the answers a kernel stack would give: an ACK for a
// retransmitted FIN in TIME-WAIT, a reset for data after close, and
// nothing but silence once 2*MSL is over.
//
// The handoff is a UDP datagram over the loopback to NET_TCPHANDPORT,
// accepted only from our own address (the kernel loops it without the
// wire). Any local process could send one; the worst it can do is make
// netd acknowledge segments on a port nobody claims, for 2*MSL.
#include "tcp.h"
#include "kernel/netchan.h"

enum { HANDOFF_MAGIC = 0x54435048, HANDOFF_MAX = 24 };   // "TCPH"; records a datagram

// One connection, as netd needs it: host order (the same machine reads it).
struct handoff {
  uint32_t laddr, raddr;
  uint16_t lport, rport;
  uint8_t state, snd_scale, rcv_scale, flags;   // flags: 1 timestamps, 2 window scale
  uint32_t snd_nxt, rcv_nxt, snd_wnd, rcv_adv;
  uint32_t ts_recent, ts_offset;
  uint32_t left_ms;                             // of 2*MSL, or of the FIN-WAIT-2 bound
  uint16_t mss, pad;
};

static int
handoff_ok(struct tcpcb *tp)
{
  return tp->state == TCP_TIME_WAIT || tp->state == TCP_FIN_WAIT_2;
}

// Send netd every connection in TIME-WAIT or FIN-WAIT-2, and forget
// them. Returns how many were handed over. Called at exit, after
// tcp_exit has let the others finish.
int
tcp_handoff(void)
{
  uint8_t msg[8 + HANDOFF_MAX * sizeof(struct handoff)];
  struct tcpcb *tp, *next;
  uint64_t now = tcp_now();
  int n = 0, total = 0, port;

  if(netif.dev == 0 || netif.isdefault)
    return 0;
  if((port = netif.dev->claim(netif.dev, IP_PROTO_UDP, 0)) < 0)
    return 0;
  for(tp = tcb_list; ; tp = next){
    next = tp ? tp->next : 0;
    if(tp && handoff_ok(tp)){
      struct handoff h;
      memset(&h, 0, sizeof(h));
      h.laddr = tp->laddr;
      h.raddr = tp->raddr;
      h.lport = tp->lport;
      h.rport = tp->rport;
      h.state = tp->state;
      h.snd_scale = tp->snd_scale;
      h.rcv_scale = tp->rcv_scale;
      h.flags = ((tp->flags & TF_TS) ? 1 : 0) | ((tp->flags & TF_WSCALE) ? 2 : 0);
      h.snd_nxt = tp->snd_max;
      h.rcv_nxt = tp->rcv_nxt;
      h.snd_wnd = tp->snd_wnd;
      h.rcv_adv = tp->rcv_adv;
      h.ts_recent = tp->ts_recent;
      h.ts_offset = tp->ts_offset;
      h.left_ms = tp->t_2msl > now ? tp->t_2msl - now : 2 * (uint64_t)tcp_msl_ms;
      h.mss = tp->mss;
      memmove(msg + 8 + n * sizeof(h), &h, sizeof(h));
      n++;
      tcp_free(tp);
    }
    if(n > 0 && (n == HANDOFF_MAX || tp == 0)){
      uint32_t hdr[2] = { HANDOFF_MAGIC, n };
      memmove(msg, hdr, 8);
      if(udp_output(port, netif.ip, NET_TCPHANDPORT, msg, 8 + n * sizeof(struct handoff)) == 0)
        LNSTAT(tcp_handoff_tx);
      netif.dev->sync(netif.dev, 0);
      total += n;
      n = 0;
    }
    if(tp == 0)
      break;
  }
  netif.dev->claim(netif.dev, IP_PROTO_UDP | NC_RELEASE, port);
  return total;
}

// netd: take in the connections a process handed over, as orphans in
// the state they were in. A record for a connection we hold already,
// or malformed, is dropped and counted.
void
tcp_adopt(const uint8_t *msg, int len)
{
  uint32_t hdr[2];
  struct handoff h;
  struct tcpcb *tp;

  if(len < 8){
    LNSTAT(tcp_adopt_bad);
    return;
  }
  memmove(hdr, msg, 8);
  if(hdr[0] != HANDOFF_MAGIC || hdr[1] > HANDOFF_MAX || len != 8 + (int)(hdr[1] * sizeof(h))){
    LNSTAT(tcp_adopt_bad);
    return;
  }
  for(uint32_t i = 0; i < hdr[1]; i++){
    memmove(&h, msg + 8 + i * sizeof(h), sizeof(h));
    if((h.state != TCP_TIME_WAIT && h.state != TCP_FIN_WAIT_2) || h.lport == 0 || h.rport == 0 ||
       h.left_ms > 4 * (uint32_t)tcp_msl_ms + 1000 || h.snd_scale > 14 || h.rcv_scale > 14 ||
       tcp_lookup(h.laddr, h.lport, h.raddr, h.rport) != 0){
      LNSTAT(tcp_adopt_bad);
      continue;
    }
    if((tp = tcp_alloc()) == 0){
      LNSTAT(tcp_drop_nomem);
      return;
    }
    tp->laddr = h.laddr;
    tp->raddr = h.raddr;
    tp->lport = h.lport;
    tp->rport = h.rport;
    tp->state = h.state;
    tp->flags = TF_ORPHAN | TF_SENTFIN | TF_FINQUEUED | ((h.flags & 1) ? TF_TS : 0) |
                ((h.flags & 2) ? TF_WSCALE : 0) | (h.state == TCP_TIME_WAIT ? TF_RCVDFIN : 0);
    tp->snd_scale = h.snd_scale;
    tp->rcv_scale = h.rcv_scale;
    tp->iss = h.snd_nxt - 1;
    tp->snd_una = tp->snd_nxt = tp->snd_max = h.snd_nxt;
    tp->snd_recover = tp->snd_una;
    tp->snd_wnd = tp->max_sndwnd = h.snd_wnd;
    tp->rcv_nxt = h.rcv_nxt;
    tp->rcv_adv = h.rcv_adv;
    tp->last_ack_sent = h.rcv_nxt;
    tp->ts_recent = h.ts_recent;
    tp->ts_recent_ms = tcp_now();
    tp->ts_offset = h.ts_offset;
    tp->mss = h.mss;
    tp->cc->init(tp);
    tcp_settimer(&tp->t_2msl, tcp_now() + h.left_ms);
    tcp_hash(tp);
    LNSTAT(tcp_adopted);
  }
}
