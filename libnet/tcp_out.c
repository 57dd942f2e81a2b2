// tcp_out.c: deciding what a connection sends (RFC 9293 3.8.6, RFC 5681,
// RFC 6675's pipe), and building segments: in the device's buffer when
// the next hop is known, so each payload byte is copied once, from the
// send ring. Also the answers that need no connection: resets and ACKs.
#include "tcp.h"

static uint8_t scratch[TCP_MAXHLEN + NET_MTU];

void
tcp_mss_set(struct tcpcb *tp, int peer_mss)
{
  tp->mss = peer_mss < TCP_MSS_OURS ? peer_mss : TCP_MSS_OURS;
  if(tp->mss < 64)
    tp->mss = 64;    // a tiny MSS would only multiply segments (RFC 9293 3.7.1 lets us floor it)
}

// Bytes the peer holds above snd_una by SACK.
uint32_t
tcp_sacked_bytes(struct tcpcb *tp)
{
  uint32_t n = 0;

  for(int i = 0; i < tp->nsacked; i++)
    n += tp->sacked[i][1] - tp->sacked[i][0];
  return n;
}

// RFC 6675 4 NextSeg, rule 1: the first hole below the highest SACKed
// byte not yet retransmitted in this recovery. 1 and the hole's start and
// length (at most one segment) if there is one.
int
tcp_sack_holes(struct tcpcb *tp, uint32_t *seq, int *len)
{
  uint32_t at = SEQ_MAX(tp->snd_high_rxt, tp->snd_una);

  for(int i = 0; i < tp->nsacked; i++){
    if(SEQ_GEQ(at, tp->sacked[i][1]))
      continue;
    if(SEQ_LT(at, tp->sacked[i][0])){
      uint32_t n = tp->sacked[i][0] - at;
      *seq = at;
      *len = n < (uint32_t)tcp_segsize(tp) ? (int)n : tcp_segsize(tp);
      return 1;
    }
    at = tp->sacked[i][1];
  }
  return 0;
}

// RFC 6675 4 SetPipe, simplified: bytes sent and not acknowledged,
// less those SACKed, less the holes below the highest SACK (lost),
// plus what of those holes we have sent again.
static uint32_t
sack_pipe(struct tcpcb *tp)
{
  uint32_t out = tp->snd_max - tp->snd_una, sacked = tcp_sacked_bytes(tp), holes, rexmit = 0;

  if(tp->nsacked == 0)
    return out;
  holes = tp->sacked[tp->nsacked - 1][1] - tp->snd_una - sacked;
  // what of the holes lies below HighRxt
  uint32_t at = tp->snd_una;
  for(int i = 0; i < tp->nsacked && SEQ_LT(at, tp->snd_high_rxt); i++){
    uint32_t end = SEQ_MIN(tp->sacked[i][0], tp->snd_high_rxt);
    if(SEQ_GT(end, at))
      rexmit += end - at;
    at = tp->sacked[i][1];
  }
  return out - sacked - holes + rexmit;
}

static int
optlen(struct tcpcb *tp)
{
  return (tp->flags & TF_TS) ? 12 : 0;
}

// The window to advertise, scaled, never shrinking what we offered
// (RFC 9293 3.8.6.2.2), and kept shut while small (receiver SWS avoidance).
static uint32_t
advwin(struct tcpcb *tp)
{
  int64_t win = tcp_rcvwin(tp);
  int64_t cap = tp->rcvq.b ? tp->rcvq.cap : tp->rcvbufsize;

  if(win < cap / 4 && win < tp->mss)
    win = 0;
  if(SEQ_GT(tp->rcv_adv, tp->rcv_nxt) && win < (int64_t)(tp->rcv_adv - tp->rcv_nxt))
    win = tp->rcv_adv - tp->rcv_nxt;
  if(win > (int64_t)65535 << tp->rcv_scale)
    win = (int64_t)65535 << tp->rcv_scale;
  return win;
}

int
tcp_segsize(struct tcpcb *tp)
{
  return tp->mss - optlen(tp);
}

// A retransmission from snd_una: a segment's worth of what is queued,
// as tcp_send_seg will cut it.
int
tcp_rexmtlen(struct tcpcb *tp)
{
  struct netref *ref;
  uint32_t at;
  int n = tcp_sndlen(tp);

  if(n > tcp_segsize(tp))
    n = tcp_segsize(tp);
  return tcp_sndclip(tp, 0, n, &ref, &at);
}

// The partial sum of bytes [at, at+len) of r's range: stored when they
// are one whole chunk, else read from the cache (reading, not copying).
static uint32_t
refsum(struct netref *r, uint32_t at, int len)
{
  if(r->sums && r->chunk > 0 && at % r->chunk == 0 && ((uint32_t)len == r->chunk || at + len == r->len))
    return r->sums[at / r->chunk];
  return cksum_add(0, netif.dev->cache + r->off + at, len);
}

// Build and send one segment: up to len bytes of the send stream from
// seq (the SYN and FIN flags take their places in sequence space around
// them), fewer if the bytes at seq end sooner in the ring or their
// reference (tcp_sndclip). Bytes of a reference the device reads from
// the payload cache, and only the header is built; so too for bytes of
// a send ring in the device's ring room (tcp_sndbufinit), unless they
// are few or wrap around its end. Other ring bytes are copied into the
// frame. Returns the data bytes sent, or -E* (-ENOBUFS:
// no TX buffer now).
int
tcp_send_seg(struct tcpcb *tp, uint32_t seq, int len, int flags)
{
  struct tcp_repr t;
  uint32_t win = advwin(tp), at = 0, src = tp->laddr ? tp->laddr : netif.ip;
  struct netref *ref = 0;
  void *cookie = 0;
  uint8_t *p, *q;
  uint32_t payoff = 0, sum = 0;
  int hlen, r, split, data = seq - tp->snd_una;

  memset(&t, 0, sizeof(t));
  t.sport = tp->lport;
  t.dport = tp->rport;
  t.seq = seq;
  t.ack = (flags & TCP_ACK) ? tp->rcv_nxt : 0;
  t.flags = flags;
  t.wscale = -1;
  if(flags & TCP_SYN){
    // RFC 9293 3.7.1; RFC 7323 2.2 (the SYN's window is never scaled); RFC 2018 2
    t.mss = TCP_MSS_OURS;
    t.win = win > 65535 ? 65535 : win;
    if(tp->state == TCP_SYN_SENT || (tp->flags & TF_WSCALE))
      t.wscale = tp->rcv_scale;
    if(tp->state == TCP_SYN_SENT || (tp->flags & TF_SACK))
      t.sackok = 1;
    if(tp->state == TCP_SYN_SENT || (tp->flags & TF_TS))
      t.tsok = 1;
    data = 0;
  } else {
    t.win = win >> tp->rcv_scale;
    if(tp->flags & TF_TS)
      t.tsok = 1;
    // RFC 2018 4: the newest block first; as many as fit
    if((tp->flags & TF_SACK) && tp->nooo > 0 && len == 0){
      t.nsack = tp->nooo < (t.tsok ? 3 : 4) ? tp->nooo : (t.tsok ? 3 : 4);
      for(int i = 0; i < t.nsack; i++){
        t.sack[i][0] = tp->ooo[i][0];
        t.sack[i][1] = tp->ooo[i][1];
      }
    }
  }
  if(t.tsok){
    t.tsval = (uint32_t)tcp_now() + tp->ts_offset;
    t.tsecr = (flags & TCP_ACK) ? tp->ts_recent : 0;
  }
  if(flags & TCP_RST)
    t.tsok = t.tsok && (flags & TCP_ACK);
  if(len > 0)
    len = tcp_sndclip(tp, data, len, &ref, &at);
  hlen = tcp_hdrlen(&t);
  if((p = ipv4_txbegin(tp->raddr, IP_PROTO_TCP, hlen + len, &cookie)) == 0)
    p = scratch;
  // a split frame, whose payload the device reads in place: bytes of a
  // reference, or of a send ring in ring room
  split = 0;
  if(p != scratch && ref && netif.dev->txsplit){
    payoff = ref->off + at;
    sum = refsum(ref, at, len);
    split = LN_tcp_tx_ref_bytes;
  } else if(p != scratch && ref == 0 && len >= TCP_RINGMIN &&
            (q = tcp_bufinplace(&tp->sndq, at, len, &payoff)) != 0){
    sum = cksum_add(0, q, len);
    split = LN_tcp_tx_ring_bytes;
  }
  if(split){
    tcp_emit_sum(p, hlen, src, tp->raddr, &t, len, sum);
    r = ipv4_txsplit(cookie, hlen, payoff, len);
    if(r == 0)
      lnstat[split] += len;
  } else {
    if(ref){
      memmove(p + hlen, netif.dev->cache + ref->off + at, len);
      lnstat[LN_tcp_tx_refcopy_bytes] += len;
    } else if(len > 0){
      tcpbuf_get(&tp->sndq, at, p + hlen, len);
      lnstat[LN_tcp_tx_copy_bytes] += len;
    }
    tcp_emit(p, hlen + len, src, tp->raddr, &t, len);
    if(p == scratch)
      r = ipv4_output(tp->raddr, IP_PROTO_TCP, p, hlen + len);
    else
      r = ipv4_txfinish(cookie);
  }
  if(r < 0){
    LNSTAT(tcp_tx_nobuf);
    return r;
  }
  LNSTAT(tcp_tx);
  if(len > 0){
    if(SEQ_LT(seq, tp->snd_max)){
      LNSTAT(tcp_tx_rexmt);
      lnstat[LN_tcp_tx_rexmt_bytes] += len;
    } else {
      lnstat[LN_tcp_tx_bytes] += len;
    }
  }
  if(flags & TCP_ACK){
    tp->last_ack_sent = tp->rcv_nxt;
    if(SEQ_GT(tp->rcv_nxt + win, tp->rcv_adv))
      tp->rcv_adv = tp->rcv_nxt + win;
    tp->flags &= ~(TF_ACKNOW | TF_DELACK);
    tp->segs_unacked = 0;
    tp->t_delack = 0;
  }
  return len;
}

void
tcp_ack_now(struct tcpcb *tp)
{
  tp->flags |= TF_ACKNOW;
  tcp_output(tp);
}

// Should len bytes go now? RFC 9293 3.8.6.2.1 (sender SWS avoidance)
// and RFC 896 (Nagle), as RFC 1122 4.2.3.4 combines them.
static int
worth(struct tcpcb *tp, int len, int avail, int segsize)
{
  if(len == segsize)
    return 1;
  if(len > 0 && tp->max_sndwnd > 0 && (uint32_t)len >= tp->max_sndwnd / 2)
    return 1;
  if(len == avail && len > 0 &&
     ((tp->flags & (TF_NODELAY | TF_FINQUEUED)) || tp->snd_nxt == tp->snd_una))
    return 1;
  if(SEQ_LT(tp->snd_nxt, tp->snd_max) && len > 0)
    return 1;    // a retransmission goes as it is
  return 0;
}

// Send what the connection may: SYN, data, FIN, ACK. Returns 0, or
// -ENOBUFS if it stopped for want of a TX buffer (TF_BLOCKED: the loop
// tries again next turn).
int
tcp_output(struct tcpcb *tp)
{
  int segsize = tcp_segsize(tp);

  if(tp->flags & TF_BLOCKED){
    tp->flags &= ~TF_BLOCKED;
    tcp_nblocked--;
  }
  for(;;){
    int flags = TCP_ACK, len = 0, avail, r, cut = 0;
    uint32_t seq = tp->snd_nxt, win, inflight;

    if(tp->state == TCP_CLOSED || tp->state == TCP_LISTEN)
      return 0;
    if(tp->state == TCP_TIME_WAIT)
      goto justack;    // only ever an ACK (RFC 9293 3.10.7.4: a FIN again, an old segment)
    if(tp->state == TCP_SYN_SENT || tp->state == TCP_SYN_RECEIVED){
      if(tp->snd_nxt != tp->iss){
        if(!(tp->flags & TF_ACKNOW) || tp->state == TCP_SYN_SENT)
          return 0;
      } else {
        flags = tp->state == TCP_SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK;
        if((r = tcp_send_seg(tp, tp->iss, 0, flags)) < 0)
          goto blocked;
        tp->snd_nxt = tp->iss + 1;
        if(SEQ_GT(tp->snd_nxt, tp->snd_max))
          tp->snd_max = tp->snd_nxt;
        if(tp->rxtshift == 0 && !(tp->flags & TF_RTTING)){
          tp->flags |= TF_RTTING;
          tp->rtt_seq = tp->iss;
          tp->rtt_start_us = ln_now_us();
        }
        if(tp->t_rexmt == 0)
          tcp_setrexmt(tp);
        return 0;
      }
    }

    // SACK recovery (RFC 6675 5): holes first, while the pipe has room
    if((tp->flags & (TF_RECOVERY | TF_SACK)) == (TF_RECOVERY | TF_SACK)){
      uint32_t hseq;
      int hlen;
      if(sack_pipe(tp) + tp->mss > tp->cwnd)
        goto justack;
      if(tcp_sack_holes(tp, &hseq, &hlen)){
        if((r = tcp_send_seg(tp, hseq, hlen, TCP_ACK)) < 0)
          goto blocked;
        tp->snd_high_rxt = hseq + r;
        LNSTAT(tcp_sack_rexmt);
        continue;
      }
    }

    avail = tcp_sndlen(tp) - (int)(tp->snd_nxt - tp->snd_una);
    if(avail < 0)
      avail = 0;     // the FIN's place
    win = tp->snd_wnd < tp->cwnd ? tp->snd_wnd : tp->cwnd;
    // RFC 3042 limited transmit: each of the first two duplicate ACKs
    // lets one new segment go past cwnd, within the peer's window, so a
    // small window still draws the three a fast retransmit needs
    if(!(tp->flags & TF_RECOVERY) && tp->dupacks > 0 && tp->dupacks < 3 && seq == tp->snd_max){
      uint32_t lt = tp->cwnd + (uint32_t)tp->dupacks * tp->mss;
      win = tp->snd_wnd < lt ? tp->snd_wnd : lt;
    }
    inflight = tp->snd_nxt - tp->snd_una;
    if((tp->flags & (TF_RECOVERY | TF_SACK)) == (TF_RECOVERY | TF_SACK)){
      uint32_t pp = sack_pipe(tp);
      win = tp->cwnd > pp ? tp->snd_nxt - tp->snd_una + (tp->cwnd - pp) : tp->snd_nxt - tp->snd_una;
      if(win > tp->snd_wnd)
        win = tp->snd_wnd;
    }
    len = avail;
    if(len > segsize)
      len = segsize;
    if(win > inflight){
      if((uint32_t)len > win - inflight)
        len = win - inflight;
    } else {
      len = 0;
    }

    // zero window with data waiting and nothing in flight: probe (RFC 9293 3.8.6.1)
    if(tp->snd_wnd == 0 && avail > 0 && tp->snd_una == tp->snd_max && !(tp->flags & TF_PERSIST)){
      tp->flags |= TF_PERSIST;
      tp->persist_shift = 0;
      tcp_settimer(&tp->t_rexmt, tcp_now() + (tp->rto_ms > TCP_PERSIST_MIN_MS ? tp->rto_ms : TCP_PERSIST_MIN_MS));
    }

    if(len > 0){
      // a segment ends where its bytes' extent or chunk does; one cut
      // short so, with more behind it, is as good as a full one
      struct netref *ref;
      uint32_t at;
      int n = tcp_sndclip(tp, seq - tp->snd_una, len, &ref, &at);
      if(n < len){
        len = n;
        cut = 1;
      } else if(!worth(tp, len, avail, segsize)){
        len = 0;
      }
    }
    if((tp->flags & TF_FINQUEUED) && len == avail && !cut &&
       (!(tp->flags & TF_SENTFIN) || SEQ_LT(tp->snd_nxt, tp->snd_max)) &&
       tp->state != TCP_SYN_SENT && tp->state != TCP_SYN_RECEIVED)
      flags |= TCP_FIN;
    if(len > 0 && len == avail && !cut)
      flags |= TCP_PSH;

    if(len == 0 && !(flags & TCP_FIN)){
      // a window update is worth an ACK when it opens two segments or
      // half the ring; not when the window only slides with arriving
      // data and an ACK is owed at the end of this turn anyway (with a
      // window at its 64 KiB cap, every second segment slid it two)
      if(tp->flags & TF_ACKTURN)
        goto justack;
      uint32_t w = advwin(tp);
      int64_t grow = (int64_t)(tp->rcv_nxt + w) - (int64_t)tp->rcv_adv;
      int cap = tp->rcvq.b ? tp->rcvq.cap : tp->rcvbufsize;
      if(grow >= 2 * tp->mss || grow >= cap / 2)
        tp->flags |= TF_ACKNOW;
      goto justack;
    }
    if((r = tcp_send_seg(tp, seq, len, flags)) < 0)
      goto blocked;
    if(len > 0 && SEQ_GEQ(seq, tp->snd_max) && !(tp->flags & TF_RTTING) && !(tp->flags & TF_RECOVERY)){
      tp->flags |= TF_RTTING;
      tp->rtt_seq = seq;
      tp->rtt_start_us = ln_now_us();
    }
    tp->snd_nxt = seq + len;
    if(flags & TCP_FIN){
      tp->snd_nxt++;
      if(!(tp->flags & TF_SENTFIN)){
        tp->flags |= TF_SENTFIN;
        LNSTAT(tcp_fin_tx);
      }
    }
    if(SEQ_GT(tp->snd_nxt, tp->snd_max))
      tp->snd_max = tp->snd_nxt;
    if(tp->t_rexmt == 0 && tp->snd_una != tp->snd_max)
      tcp_setrexmt(tp);
    if(flags & TCP_FIN)
      return 0;
  }
justack:
  // A bare ACK carries snd_max, not snd_nxt: while snd_nxt is back for a
  // retransmission, an old sequence number would make the peer find the
  // ACK outside its window and drop it, ACK field and all; two ends doing
  // that to each other stall for good (BSD's tcp_output says the same).
  if(tp->flags & TF_ACKNOW){
    if(tcp_send_seg(tp, tp->snd_max, 0, TCP_ACK) < 0)
      goto blocked;
  }
  return 0;
blocked:
  if(!(tp->flags & TF_BLOCKED)){
    tp->flags |= TF_BLOCKED;
    tcp_nblocked++;
    tcp_turnq(tp);
  }
  return -ENOBUFS;
}

// A reset or ACK with no connection behind it: answer t, which came
// from raddr, with seq and ack.
void
tcp_respond(uint32_t raddr, const struct tcp_repr *t, uint32_t seq, uint32_t ack, int flags)
{
  struct tcp_repr r;
  uint8_t seg[TCP_HLEN];

  memset(&r, 0, sizeof(r));
  r.sport = t->dport;
  r.dport = t->sport;
  r.seq = seq;
  r.ack = ack;
  r.flags = flags;
  r.wscale = -1;
  // the checksum covers the source IP will write, netif.ip, whatever
  // address of ours (127/8 too) t came to: a reset summed over that one
  // would fail at the far end, or at our own parser (fuzz_stack found it)
  tcp_emit(seg, sizeof(seg), netif.ip, raddr, &r, 0);
  ipv4_output(raddr, IP_PROTO_TCP, seg, TCP_HLEN);
}

// RFC 9293 3.10.7.1: the reset a closed port owes t (never for a reset).
void
tcp_reset_for(const struct ipv4_repr *ip, const struct tcp_repr *t, int dlen)
{
  if(t->flags & TCP_ACK){
    tcp_respond(ip->src, t, t->ack, 0, TCP_RST);
  } else {
    int seglen = dlen + ((t->flags & TCP_SYN) != 0) + ((t->flags & TCP_FIN) != 0);
    tcp_respond(ip->src, t, 0, t->seq + seglen, TCP_RST | TCP_ACK);
  }
  LNSTAT(tcp_rst_tx);
}
