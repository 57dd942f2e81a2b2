// tcp_in.c: segment arrival (RFC 9293 3.10.7), one function per state
// or step, in the RFC's order. The segment arrives parsed: a struct
// tcp_repr and its payload. Every segment dropped is counted by cause.
#include "tcp.h"

// What one arriving segment carries, parsed; travels in arguments.
struct seg {
  const struct ipv4_repr *ip;
  const struct tcp_repr *t;
  const uint8_t *data;
  int dlen;
};

// RFC 5961 7: challenge ACKs are limited to a number a second with a
// random part, so the limit cannot be used to count (CVE-2016-5696).
int
tcp_challenge_ok(void)
{
  static uint64_t second;
  static int left;
  uint64_t now = tcp_now() / 1000;

  if(now != second){
    second = now;
    left = TCP_CHALLENGE_PER_S + tcp_random() % TCP_CHALLENGE_PER_S;
  }
  if(left <= 0){
    LNSTAT(tcp_challenge_limit);
    return 0;
  }
  left--;
  LNSTAT(tcp_challenge_tx);
  return 1;
}

static void
challenge(struct tcpcb *tp)
{
  if(tcp_challenge_ok())
    tcp_ack_now(tp);
}

// The options of a SYN, and what the two ends agreed on.
static void
synopts(struct tcpcb *tp, const struct tcp_repr *t)
{
  tcp_mss_set(tp, t->mss ? t->mss : TCP_MSS_DEFAULT);
  if(t->wscale >= 0){
    tp->flags |= TF_WSCALE;
    tp->snd_scale = t->wscale;
  } else {
    tp->flags &= ~TF_WSCALE;
    tp->snd_scale = tp->rcv_scale = 0;
  }
  if(t->sackok)
    tp->flags |= TF_SACK;
  else
    tp->flags &= ~TF_SACK;
  if(t->tsok){
    tp->flags |= TF_TS;
    tp->ts_recent = t->tsval;
    tp->ts_recent_ms = tcp_now();
  } else {
    tp->flags &= ~TF_TS;
  }
}

// LISTEN (RFC 9293 3.10.7.2): a SYN makes a child in SYN-RECEIVED on
// the listener's queue, if both queues have room.
static void
in_listen(struct tcpcb *l, const struct seg *s)
{
  const struct tcp_repr *t = s->t;
  struct tcpcb *tp;

  if(t->flags & TCP_RST){
    LNSTAT(tcp_drop_listenrst);
    return;
  }
  if(t->flags & TCP_ACK){
    LNSTAT(tcp_rst_tx);
    tcp_respond(s->ip->src, t, t->ack, 0, TCP_RST);
    return;
  }
  if(!(t->flags & TCP_SYN)){
    LNSTAT(tcp_drop_listennosyn);
    return;
  }
  if(l->qlen >= l->backlog || l->q0len >= TCP_SYNQ_MAX){
    LNSTAT(tcp_drop_synqfull);
    return;
  }
  if((tp = tcp_alloc()) == 0){
    LNSTAT(tcp_drop_nomem);
    return;
  }
  tp->laddr = s->ip->dst;
  tp->raddr = s->ip->src;
  tp->lport = l->lport;
  tp->rport = t->sport;
  tp->sndbufsize = l->sndbufsize;
  tp->rcvbufsize = l->rcvbufsize;
  tp->flags |= l->flags & (TF_NODELAY | TF_KEEPALIVE);
  tcp_port_ref(tp->lport);
  tp->parent = l;
  tp->qnext = l->qnext;
  l->qnext = tp;
  l->q0len++;
  tp->irs = t->seq;
  tp->rcv_nxt = t->seq + 1;
  tp->iss = tcp_newiss(tp);
  tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
  tp->snd_recover = tp->iss;
  tp->snd_wnd = t->win;    // never scaled in a SYN (RFC 7323 2.2)
  tp->snd_wl1 = t->seq;
  tp->snd_wl2 = tp->iss;
  tp->snd_high_rxt = tp->iss;
  tp->rcv_adv = tp->last_ack_sent = tp->rcv_nxt;   // every sequence variable starts in sequence space
  synopts(tp, t);
  if(!(tp->flags & TF_WSCALE))
    tp->rcv_scale = 0;
  else
    for(tp->rcv_scale = 0; tp->rcv_scale < 14 && (tp->rcvbufsize >> tp->rcv_scale) > 65535; tp->rcv_scale++)
      ;
  tp->idle_ms = tcp_now();
  tp->state = TCP_SYN_RECEIVED;
  tcp_hash(tp);
  tp->cc->init(tp);
  LNSTAT(tcp_accepts);
  tcp_output(tp);
}

// SYN-SENT (RFC 9293 3.10.7.3).
static void
in_synsent(struct tcpcb *tp, const struct seg *s)
{
  const struct tcp_repr *t = s->t;
  int ackok = 0;

  if(t->flags & TCP_ACK){
    if(SEQ_LEQ(t->ack, tp->iss) || SEQ_GT(t->ack, tp->snd_max)){
      if(!(t->flags & TCP_RST)){
        LNSTAT(tcp_rst_tx);
        tcp_respond(s->ip->src, t, t->ack, 0, TCP_RST);
      }
      LNSTAT(tcp_drop_badack);
      return;
    }
    ackok = 1;
  }
  if(t->flags & TCP_RST){
    // RFC 5961 3.2: in SYN-SENT a reset counts only if it acknowledges our SYN.
    if(ackok){
      LNSTAT(tcp_conn_refused);
      tcp_drop(tp, ECONNREFUSED);
    } else {
      LNSTAT(tcp_drop_rst);
    }
    return;
  }
  if(!(t->flags & TCP_SYN)){
    LNSTAT(tcp_drop_synsent);
    return;
  }
  tp->irs = t->seq;
  tp->rcv_nxt = t->seq + 1;
  tp->rcv_adv = tp->last_ack_sent = tp->rcv_nxt;   // not 0: 0 may lie "ahead" in sequence space
  synopts(tp, t);
  tp->snd_wnd = t->win;
  tp->snd_wl1 = t->seq;
  tp->snd_wl2 = t->ack;
  tp->max_sndwnd = tp->snd_wnd;
  tp->idle_ms = tcp_now();
  if(ackok){
    // The window starts again with the MSS now known (it was set with
    // 536 at connect); one segment if the SYN had to be sent again
    // (RFC 6298 5.7). A window left below one segment would never send.
    tp->cc->init(tp);
    if(tp->rxtshift > 0)
      tp->cwnd = tp->mss;
    tp->snd_una = t->ack;
    if(tp->flags & TF_RTTING){
      tcp_rtt_sample(tp, ln_now_us() - tp->rtt_start_us);
      tp->flags &= ~TF_RTTING;
    }
    tp->t_rexmt = 0;
    tp->rxtshift = 0;
    tcp_setstate(tp, TCP_ESTABLISHED);
    LNSTAT(tcp_connects);
    tp->flags |= TF_ACKNOW;
  } else {
    // simultaneous open (RFC 9293 3.5, figure 8): SYN-ACK with our ISS again
    tp->state = TCP_SYN_RECEIVED;
    tp->snd_nxt = tp->iss;
    tp->flags |= TF_ACKNOW;
  }
  tcp_output(tp);
}

// Is the segment acceptable (RFC 9293 3.10.7.4, the table of four
// cases)? Part of it in the window is enough; trimming comes later.
static int
acceptable(struct tcpcb *tp, const struct seg *s)
{
  uint32_t seq = s->t->seq, wnd = tcp_rcvwin(tp);
  int len = s->dlen + ((s->t->flags & TCP_SYN) != 0) + ((s->t->flags & TCP_FIN) != 0);

  // never below what we advertised: the window must not shrink
  if(SEQ_GT(tp->rcv_adv, tp->rcv_nxt + wnd))
    wnd = tp->rcv_adv - tp->rcv_nxt;
  if(len == 0){
    if(wnd == 0)
      return seq == tp->rcv_nxt;
    return SEQ_GEQ(seq, tp->rcv_nxt) && SEQ_LT(seq, tp->rcv_nxt + wnd);
  }
  if(wnd == 0)
    return 0;
  return (SEQ_GEQ(seq, tp->rcv_nxt) && SEQ_LT(seq, tp->rcv_nxt + wnd)) ||
         (SEQ_GEQ(seq + len - 1, tp->rcv_nxt) && SEQ_LT(seq + len - 1, tp->rcv_nxt + wnd));
}

// RST (RFC 9293 3.10.7.4 second, with RFC 5961 3.2): only the exact
// next sequence number resets; anywhere else in the window draws a
// challenge ACK.
static void
in_rst(struct tcpcb *tp, const struct seg *s)
{
  if(s->t->seq != tp->rcv_nxt){
    LNSTAT(tcp_drop_rstinwin);
    challenge(tp);
    return;
  }
  LNSTAT(tcp_rst_rx);
  switch(tp->state){
  case TCP_SYN_RECEIVED:
    // passive: back to LISTEN, i.e. the child goes (tcp_close); active: refused
    tcp_drop(tp, tp->parent ? 0 : ECONNREFUSED);
    break;
  case TCP_ESTABLISHED: case TCP_FIN_WAIT_1: case TCP_FIN_WAIT_2: case TCP_CLOSE_WAIT:
    tcp_drop(tp, ECONNRESET);
    break;
  default:
    tcp_close(tp);
    break;
  }
}

// Leaving SYN-RECEIVED: a passive child moves to its listener's accept queue.
static void
established(struct tcpcb *tp)
{
  if(tp->parent){
    tp->parent->q0len--;
    tp->parent->qlen++;
  }
  LNSTAT(tcp_connects);
  tcp_setstate(tp, TCP_ESTABLISHED);
}

// RFC 6675 / RFC 2018: the peer's SACK blocks, kept sorted above snd_una.
void
tcp_sack_update(struct tcpcb *tp, const struct tcp_repr *t)
{
  for(int i = 0; i < t->nsack; i++){
    uint32_t a = t->sack[i][0], b = t->sack[i][1];
    int j, k;
    // RFC 2018 / RFC 5961-style sanity: within what we sent, above what is acked
    if(!SEQ_LT(a, b) || SEQ_LEQ(b, tp->snd_una) || SEQ_GT(b, tp->snd_max)){
      LNSTAT(tcp_sack_bad);
      continue;
    }
    if(SEQ_LT(a, tp->snd_una))
      a = tp->snd_una;
    // merge every block that overlaps or touches [a, b)
    for(j = 0, k = 0; j < tp->nsacked; j++){
      uint32_t c = tp->sacked[j][0], d = tp->sacked[j][1];
      if(SEQ_LEQ(c, b) && SEQ_GEQ(d, a)){
        a = SEQ_MIN(a, c);
        b = SEQ_MAX(b, d);
      } else {
        tp->sacked[k][0] = c;
        tp->sacked[k][1] = d;
        k++;
      }
    }
    tp->nsacked = k;
    if(k == TCP_NSACKHOLE){
      LNSTAT(tcp_sack_full);
      continue;
    }
    // insert sorted
    for(j = k; j > 0 && SEQ_GT(tp->sacked[j - 1][0], a); j--){
      tp->sacked[j][0] = tp->sacked[j - 1][0];
      tp->sacked[j][1] = tp->sacked[j - 1][1];
    }
    tp->sacked[j][0] = a;
    tp->sacked[j][1] = b;
    tp->nsacked++;
  }
}

// Forget SACKed ranges that the cumulative ACK has passed.
static void
sack_trim(struct tcpcb *tp)
{
  int j, k;

  for(j = 0, k = 0; j < tp->nsacked; j++){
    if(SEQ_LEQ(tp->sacked[j][1], tp->snd_una))
      continue;
    tp->sacked[k][0] = SEQ_MAX(tp->sacked[j][0], tp->snd_una);
    tp->sacked[k][1] = tp->sacked[j][1];
    k++;
  }
  tp->nsacked = k;
}

// Three duplicate ACKs (RFC 5681 3.2), or SACKed data 3 segments past
// a hole (RFC 6675 5): retransmit, and recover (RFC 6582 3.2).
static void
enter_recovery(struct tcpcb *tp)
{
  int n;

  // RFC 6582 3.2 step 2: not again for losses from the same window
  if(SEQ_LT(tp->snd_una, tp->snd_recover) && tp->snd_recover != tp->iss){
    LNSTAT(tcp_dupack_norecover);
    return;
  }
  LNSTAT(tcp_fast_rexmt);
  tp->snd_recover = tp->snd_max;
  tp->cc->recovery(tp);
  tp->flags |= TF_RECOVERY;
  tp->flags &= ~TF_RTTING;
  n = tcp_rexmtlen(tp);
  tp->snd_high_rxt = tp->snd_una + n;
  tcp_send_seg(tp, tp->snd_una, n, TCP_ACK);
  if(!(tp->flags & TF_SACK))
    tp->cwnd = tp->ssthresh + 3 * tp->mss;
  tcp_setrexmt(tp);
}

// RFC 5827 early retransmit: with fewer than four segments out and
// nothing new that may be sent, three duplicate ACKs can never come;
// one fewer than the segments out is enough (the byte-based form).
static int
early_rexmt(struct tcpcb *tp)
{
  uint32_t out = tp->snd_max - tp->snd_una;
  int oseg = (out + tp->mss - 1) / tp->mss;
  int unsent = tcp_sndlen(tp) - (int)out;

  if(oseg < 2 || oseg >= 4)
    return 0;
  if(unsent > 0 && tp->snd_wnd > out)
    return 0;     // new data can go (limited transmit): wait for the usual three
  if(tp->dupacks >= oseg - 1){
    LNSTAT(tcp_early_rexmt);
    return 1;
  }
  return 0;
}

// New data acknowledged (RFC 9293 3.10.7.4 fifth, "ESTABLISHED"): the
// send queue shrinks, RTT is sampled, congestion control hears of it.
static void
newack(struct tcpcb *tp, const struct seg *s)
{
  uint32_t ack = s->t->ack, acked = ack - tp->snd_una;
  int fin = (tp->flags & TF_SENTFIN) && ack == tp->snd_max;
  int bytes = acked - fin;

  if(bytes > tcp_sndlen(tp))
    bytes = tcp_sndlen(tp);
  if(bytes > 0)
    tcp_snddrop(tp, bytes);
  // RFC 6298 with Karn's rule: time one segment a round trip, never a retransmitted one
  if((tp->flags & TF_RTTING) && SEQ_GT(ack, tp->rtt_seq)){
    tcp_rtt_sample(tp, ln_now_us() - tp->rtt_start_us);
    tp->flags &= ~TF_RTTING;
  }
  tp->rxtshift = 0;
  if(tp->flags & TF_RECOVERY){
    if(SEQ_GEQ(ack, tp->snd_recover)){
      // RFC 6582 3.2 step 3: a full acknowledgment ends recovery
      tp->flags &= ~TF_RECOVERY;
      tp->cc->recovered(tp);
    } else {
      // step 3, partial: the next hole is lost too; resend it, deflate
      LNSTAT(tcp_partial_ack);
      tp->snd_una = ack;
      sack_trim(tp);
      if(!(tp->flags & TF_SACK)){
        tcp_send_seg(tp, ack, tcp_rexmtlen(tp), TCP_ACK);
        tp->cwnd = tp->cwnd > acked ? tp->cwnd - acked : 0;
        if(acked >= (uint32_t)tp->mss)
          tp->cwnd += tp->mss;
      }
      tcp_setrexmt(tp);
    }
  } else {
    tp->cc->acked(tp, acked);
  }
  tp->dupacks = 0;
  tp->snd_una = ack;
  if(SEQ_LT(tp->snd_nxt, tp->snd_una))
    tp->snd_nxt = tp->snd_una;
  if(SEQ_LT(tp->snd_high_rxt, tp->snd_una))
    tp->snd_high_rxt = tp->snd_una;
  sack_trim(tp);
  // RFC 6298 5.2, 5.3
  if(tp->snd_una == tp->snd_max)
    tp->t_rexmt = 0;
  else if(!(tp->flags & TF_PERSIST))
    tcp_setrexmt(tp);
}

// The ACK field (RFC 9293 3.10.7.4 fifth, RFC 5961 5.2). Returns 0 if
// the segment is to be dropped.
static int
in_ack(struct tcpcb *tp, const struct seg *s)
{
  const struct tcp_repr *t = s->t;
  uint32_t ack = t->ack, win = (uint32_t)t->win << tp->snd_scale;

  // RFC 5961 5.2: acceptable if SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT
  if(SEQ_GT(ack, tp->snd_max)){
    LNSTAT(tcp_drop_ackahead);
    tcp_ack_now(tp);
    return 0;
  }
  if(SEQ_LT(ack, tp->snd_una - (tp->max_sndwnd > 65535 ? tp->max_sndwnd : 65535))){
    LNSTAT(tcp_drop_ackold);
    challenge(tp);
    return 0;
  }
  if(tp->state == TCP_SYN_RECEIVED){
    if(SEQ_LEQ(ack, tp->snd_una)){
      LNSTAT(tcp_rst_tx);
      tcp_respond(s->ip->src, t, ack, 0, TCP_RST);
      return 0;
    }
    tp->snd_wnd = win;
    tp->snd_wl1 = t->seq;
    tp->snd_wl2 = ack;
    tp->max_sndwnd = win;
    established(tp);
  }
  uint32_t sacked = tcp_sacked_bytes(tp);
  if(tp->flags & TF_SACK)
    tcp_sack_update(tp, t);
  if(SEQ_GT(ack, tp->snd_una)){
    newack(tp, s);
  } else if(ack == tp->snd_una && s->dlen == 0 && !(t->flags & (TCP_SYN | TCP_FIN)) &&
            (win == tp->snd_wnd || tcp_sacked_bytes(tp) > sacked) &&
            tp->snd_max != tp->snd_una && !(tp->flags & TF_PERSIST)){
    // a duplicate ACK (RFC 5681 2, "DUPLICATE ACKNOWLEDGMENT"), or with
    // SACK one that brings new SACK information, whatever its window
    // (RFC 6675 2): a receiver holding out-of-order data, as Linux does,
    // offers a smaller window with each one, so the window test alone
    // would never see three and every loss would wait for the RTO. Not the
    // answers to zero-window probes: the only byte out is the probe's, and
    // a fast retransmit would send a segment into a shut window (RFC 9293
    // 3.8.6.1); BSD counts none while its persist timer runs either.
    LNSTAT(tcp_dupack);
    tp->dupacks++;
    if(tp->flags & TF_RECOVERY){
      if(!(tp->flags & TF_SACK))
        tp->cwnd += tp->mss;   // RFC 6582 3.2 step 4: inflate
    } else if(tp->dupacks == 3 || ((tp->flags & TF_SACK) && tcp_sacked_bytes(tp) >= 3u * tp->mss) ||
              early_rexmt(tp)){
      enter_recovery(tp);
    }
  }
  // the send window (RFC 9293 3.10.7.4: SND.WL1/WL2 keep old segments from setting it)
  if(SEQ_LT(tp->snd_wl1, t->seq) || (tp->snd_wl1 == t->seq && SEQ_LEQ(tp->snd_wl2, ack))){
    if(win > tp->snd_wnd && (tp->flags & TF_PERSIST)){
      // the window opened: stop probing
      tp->flags &= ~TF_PERSIST;
      tp->persist_shift = 0;
      tp->t_rexmt = 0;
      tp->snd_nxt = tp->snd_una;
    }
    tp->snd_wnd = win;
    tp->snd_wl1 = t->seq;
    tp->snd_wl2 = ack;
    if(win > tp->max_sndwnd)
      tp->max_sndwnd = win;
  }
  // our FIN acknowledged: where each closing state goes (RFC 9293 3.10.7.4)
  if((tp->flags & TF_SENTFIN) && tp->snd_una == tp->snd_max){
    switch(tp->state){
    case TCP_FIN_WAIT_1:
      tcp_setstate(tp, TCP_FIN_WAIT_2);
      // an orphan waits for the peer's FIN no longer than 2 MSL (as BSD and Linux bound it)
      if(tp->flags & TF_ORPHAN)
        tcp_settimer(&tp->t_2msl, tcp_now() + 2 * (uint64_t)tcp_msl_ms);
      break;
    case TCP_CLOSING:
      tcp_timewait(tp);
      return 0;
    case TCP_LAST_ACK:
      tcp_close(tp);
      return 0;
    }
  }
  return 1;
}

// Out-of-order bytes at seq, already placed in the ring: remember the
// range, merged, most recent first (RFC 2018 4 wants the newest block
// first). Returns 0, or -1 if no range is free.
static int
ooo_add(struct tcpcb *tp, uint32_t a, uint32_t b)
{
  int j, k;

  for(j = 0, k = 0; j < tp->nooo; j++){
    uint32_t c = tp->ooo[j][0], d = tp->ooo[j][1];
    if(SEQ_LEQ(c, b) && SEQ_GEQ(d, a)){
      a = SEQ_MIN(a, c);
      b = SEQ_MAX(b, d);
    } else {
      tp->ooo[k][0] = c;
      tp->ooo[k][1] = d;
      k++;
    }
  }
  if(k == TCP_NOOO){
    tp->nooo = k;
    return -1;
  }
  memmove(tp->ooo[1], tp->ooo[0], k * sizeof(tp->ooo[0]));
  tp->ooo[0][0] = a;
  tp->ooo[0][1] = b;
  tp->nooo = k + 1;
  return 0;
}

// rcv_nxt moved: take in every held range it now reaches.
static void
ooo_pull(struct tcpcb *tp)
{
  int again = 1;

  while(again){
    again = 0;
    for(int j = 0; j < tp->nooo; j++){
      if(SEQ_LEQ(tp->ooo[j][0], tp->rcv_nxt)){
        if(SEQ_GT(tp->ooo[j][1], tp->rcv_nxt)){
          tp->rcvq.len += tp->ooo[j][1] - tp->rcv_nxt;
          tp->rcv_nxt = tp->ooo[j][1];
        }
        tp->nooo--;
        memmove(tp->ooo[j], tp->ooo[j + 1], (tp->nooo - j) * sizeof(tp->ooo[0]));
        again = 1;
        break;
      }
    }
  }
}

// Segment text (RFC 9293 3.10.7.4 seventh): trimmed to what is new and
// fits, copied into the receive ring in place, in order or not.
// Returns 1 if the FIN, if any, is next in sequence.
static int
in_data(struct tcpcb *tp, const struct seg *s)
{
  uint32_t seq = s->t->seq;
  const uint8_t *d = s->data;
  int n = s->dlen, fin = (s->t->flags & TCP_FIN) != 0, room;
  int hadooo = tp->nooo > 0;

  if(SEQ_LT(seq, tp->rcv_nxt)){
    uint32_t skip = tp->rcv_nxt - seq;
    if(skip >= (uint32_t)n){
      if(n > 0)
        LNSTAT(tcp_rx_dup);
      skip = n;
    } else {
      LNSTAT(tcp_rx_partdup);
    }
    d += skip;
    n -= skip;
    seq += skip;
  }
  if(n == 0)
    return fin && seq == tp->rcv_nxt;
  if(tcp_bufinit(&tp->rcvq, tp->rcvbufsize) < 0){
    LNSTAT(tcp_drop_nomem);
    return 0;
  }
  room = tp->rcvq.cap - tp->rcvq.len - (int)(seq - tp->rcv_nxt);
  if(n > room){
    LNSTAT(tcp_rx_trimwin);
    n = room > 0 ? room : 0;
    fin = 0;
  }
  if(n == 0)
    return 0;
  tp->flags |= TF_ACKNOW;   // until decided otherwise below
  if(tp->flags & TF_SHUTRD){
    // SHUT_RD: accepted and acknowledged, then thrown away
    LNSTAT(tcp_rx_shutrd);
    if(seq == tp->rcv_nxt){
      tp->rcv_nxt += n;
      tp->nooo = 0;     // held out-of-order bytes would now lie behind rcv_nxt
    }
    return fin && seq == tp->rcv_nxt;
  }
  tcpbuf_put(&tp->rcvq, tp->rcvq.len + (seq - tp->rcv_nxt), d, n);
  if(seq == tp->rcv_nxt){
    tp->rcvq.len += n;
    tp->rcv_nxt += n;
    LNSTAT(tcp_rx_inorder);
    lnstat[LN_tcp_rx_bytes] += n;
    ooo_pull(tp);
    // RFC 5681 4.2: ACK at least every second full segment, within 500 ms
    // (our TCP_DELACK_MS); at once when the segment fills a hole. The
    // second segment's ACK waits for the end of this turn of the loop,
    // so a burst the kernel hands over in one sync gets one ACK, as
    // Linux acknowledges what its driver merged (GRO).
    if(!hadooo && !fin){
      tp->flags &= ~TF_ACKNOW;
      if(++tp->segs_unacked >= 2)
        tcp_ackturn(tp);
      else if(tp->t_delack == 0)
        tcp_settimer(&tp->t_delack, tcp_now() + TCP_DELACK_MS);
    }
  } else {
    // RFC 5681 4.2: an out-of-order segment is acknowledged at once
    LNSTAT(tcp_rx_ooo);
    if(ooo_add(tp, seq, seq + n) < 0){
      LNSTAT(tcp_drop_ooofull);
      return 0;
    }
    return 0;
  }
  return fin && seq + n == tp->rcv_nxt;
}

// The FIN (RFC 9293 3.10.7.4 eighth), once everything before it is in.
static void
in_fin(struct tcpcb *tp)
{
  tp->rcv_nxt++;
  tp->nooo = 0;         // nothing lies beyond the FIN: what was held there was never data
  tp->flags |= TF_RCVDFIN | TF_ACKNOW;
  LNSTAT(tcp_fin_rx);
  switch(tp->state){
  case TCP_SYN_RECEIVED:
  case TCP_ESTABLISHED:
    tcp_setstate(tp, TCP_CLOSE_WAIT);
    break;
  case TCP_FIN_WAIT_1:
    // our FIN is not acknowledged yet (in_ack would have moved us on)
    tcp_setstate(tp, TCP_CLOSING);
    break;
  case TCP_FIN_WAIT_2:
    tcp_output(tp);
    tcp_timewait(tp);
    break;
  }
}

// Timestamps (RFC 7323 5.3, 4.3): PAWS drops a segment older than the
// last one; TS.Recent follows the segment that covers Last.ACK.sent.
static int
paws(struct tcpcb *tp, const struct seg *s)
{
  const struct tcp_repr *t = s->t;

  if(!(tp->flags & TF_TS) || !t->tsok){
    if((tp->flags & TF_TS) && !(t->flags & TCP_RST))
      LNSTAT(tcp_rx_nots);   // RFC 7323 3.2 lets us accept it; Linux does, so do we
    return 1;
  }
  if(!(t->flags & TCP_RST) && (int32_t)(t->tsval - tp->ts_recent) < 0 &&
     tcp_now() - tp->ts_recent_ms < 24ULL * 24 * 3600 * 1000){
    LNSTAT(tcp_drop_paws);
    tcp_ack_now(tp);
    return 0;
  }
  if(SEQ_LEQ(t->seq, tp->last_ack_sent) &&
     SEQ_LEQ(tp->last_ack_sent, t->seq + s->dlen + ((t->flags & (TCP_SYN | TCP_FIN)) != 0))){
    tp->ts_recent = t->tsval;
    tp->ts_recent_ms = tcp_now();
  }
  return 1;
}

// A synchronized state, or SYN-RECEIVED (RFC 9293 3.10.7.4), step by step.
static void
in_sync(struct tcpcb *tp, const struct seg *s)
{
  const struct tcp_repr *t = s->t;
  struct tcp_repr synack;
  struct seg s2;
  int finok;

  if(!paws(tp, s))
    return;
  // In SYN-RECEIVED the peer's SYN again lies below RCV.NXT, where the
  // window check would only ACK it. Alone, it says our SYN-ACK was lost:
  // send that again. Acknowledging our SYN, it is the SYN-ACK of a
  // simultaneous open (RFC 9293 3.5 figure 8, line 6): its ACK completes
  // the handshake, so it goes on as that ACK, the SYN taken off.
  if(tp->state == TCP_SYN_RECEIVED && (t->flags & TCP_SYN) && t->seq == tp->irs){
    if(!(t->flags & TCP_ACK)){
      LNSTAT(tcp_rx_dupsyn);
      tp->snd_nxt = tp->iss;
      tcp_output(tp);
      return;
    }
    synack = *t;
    synack.flags &= ~TCP_SYN;
    synack.seq++;
    s2 = *s;
    s2.t = t = &synack;
    s = &s2;
  }
  // first: the sequence number
  if(!acceptable(tp, s)){
    if(t->flags & TCP_RST){
      LNSTAT(tcp_drop_rstoutwin);
      return;
    }
    LNSTAT(tcp_drop_outwin);
    if(tp->state == TCP_TIME_WAIT){
      // RFC 9293 3.10.7.4: an unacceptable segment is acknowledged, here
      // as in every synchronized state; a retransmitted FIN also restarts
      // the 2 MSL wait. Not a bare ACK: two ends answering each other's
      // stale ACKs with ACKs would never stop.
      if(t->flags & TCP_FIN)
        tcp_settimer(&tp->t_2msl, tcp_now() + 2 * (uint64_t)tcp_msl_ms);
      if((t->flags & TCP_FIN) || s->dlen > 0)
        tcp_send_seg(tp, tp->snd_nxt, 0, TCP_ACK);
      return;
    }
    tcp_ack_now(tp);
    return;
  }
  tp->idle_ms = tcp_now();
  tp->keep_probes = 0;
  // second: RST
  if(t->flags & TCP_RST){
    in_rst(tp, s);
    return;
  }
  // fourth: SYN (RFC 5961 4.2: a challenge ACK, whatever the state)
  if(t->flags & TCP_SYN){
    LNSTAT(tcp_drop_syninwin);
    challenge(tp);
    return;
  }
  // fifth: ACK
  if(!(t->flags & TCP_ACK)){
    LNSTAT(tcp_drop_noack);
    return;
  }
  if(!in_ack(tp, s))
    return;
  if(tp->state == TCP_TIME_WAIT){
    if(t->flags & TCP_FIN){
      tcp_settimer(&tp->t_2msl, tcp_now() + 2 * (uint64_t)tcp_msl_ms);
      tcp_ack_now(tp);
    }
    return;
  }
  // seventh: text, in the states that still receive it
  finok = 0;
  switch(tp->state){
  case TCP_ESTABLISHED: case TCP_FIN_WAIT_1: case TCP_FIN_WAIT_2:
    if(s->dlen > 0 && (tp->flags & TF_ORPHAN)){
      // RFC 9293 3.10.4 / RFC 2525 2.17: no one will read it: reset
      LNSTAT(tcp_drop_afterclose);
      LNSTAT(tcp_rst_tx);
      tcp_send_seg(tp, tp->snd_max, 0, TCP_RST | TCP_ACK);
      tcp_drop(tp, ECONNRESET);
      return;
    }
    finok = in_data(tp, s);
    break;
  default:
    if(s->dlen > 0)
      LNSTAT(tcp_rx_afterfin);
    break;
  }
  // eighth: FIN
  if((t->flags & TCP_FIN) && finok && !(tp->flags & TF_RCVDFIN))
    in_fin(tp);
  if(tp->state != TCP_CLOSED && tp->state != TCP_TIME_WAIT)
    tcp_output(tp);
}

// A segment for a port and no connection: RFC 9293 3.10.7.1, CLOSED.
static void
in_closed(const struct ipv4_repr *ip, const struct tcp_repr *t, int dlen)
{
  if((t->flags & TCP_RST) || (!netif.isdefault && !tcp_port_held(t->dport))){
    LNSTAT(tcp_drop_norst);
    return;
  }
  tcp_reset_for(ip, t, dlen);
}

// A TCP segment for us: ip is its IP header (ip->hlen bytes before p),
// p the segment, len bytes; llcast if it came as a link-layer broadcast.
void
tcp_input(const struct ipv4_repr *ip, const uint8_t *p, int len, int llcast)
{
  struct tcp_repr t;
  struct seg s;
  struct tcpcb *tp;
  int off;

  LNSTAT(tcp_rx);
  if((off = tcp_parse(p, len, ip->src, ip->dst, &t)) < 0){
    // RFC 9293 3.1 MUST-7: a malformed option drops the segment
    if(off == WIRE_EFORMAT)
      LNSTAT(tcp_drop_badopt);
    else
      LNSTAT(tcp_drop_bad);
    return;
  }
  // RFC 1122 4.2.3.10: nothing to or from a broadcast, by IP or by link
  if(llcast || net_isbcast(ip->dst)){
    LNSTAT(tcp_drop_norst);
    return;
  }
  s.ip = ip;
  s.t = &t;
  s.data = p + off;
  s.dlen = len - off;
  tp = tcp_lookup(ip->dst, t.dport, ip->src, t.sport);
  if(tp && tp->state == TCP_TIME_WAIT && (t.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
     (SEQ_GT(t.seq, tp->rcv_nxt) ||
      ((tp->flags & TF_TS) && t.tsok && (int32_t)(t.tsval - tp->ts_recent) > 0))){
    // A new connection on the old 4-tuple: its SYN is beyond anything
    // the old one sent, or newer by timestamp (RFC 9293 3.10.7.4 and
    // RFC 6191, as BSD and Linux allow). TIME-WAIT gives way to the listener.
    LNSTAT(tcp_timewait_reuse);
    tcp_close(tp);
    tp = tcp_lookup(ip->dst, t.dport, ip->src, t.sport);
  }
  if(tp == 0 || tp->state == TCP_CLOSED){
    in_closed(ip, &t, s.dlen);
    return;
  }
  switch(tp->state){
  case TCP_LISTEN:
    in_listen(tp, &s);
    break;
  case TCP_SYN_SENT:
    in_synsent(tp, &s);
    break;
  default:
    in_sync(tp, &s);
    break;
  }
}
