// tcp_cc.c: congestion control behind struct tcp_ccops. NewReno: slow
// start and congestion avoidance (RFC 5681 3.1), the window on a
// timeout, and the ssthresh of fast recovery (RFC 6582; the recovery
// steps themselves live in tcp_in.c, shared by every algorithm).
#include "tcp.h"

// RFC 5681 3.1's initial window as RFC 6928 raises it: min(10*MSS,
// max(2*MSS, 14600)), what Linux sends with. With RFC 3390's three
// segments, a fresh connection took two more round trips to fill the
// 64 KiB window slirp offers, and httpd's ab -c 1 /1m ran 4% slower.
static void
nr_init(struct tcpcb *tp)
{
  uint32_t iw = 14600;

  if(iw > 10u * tp->mss)
    iw = 10u * tp->mss;
  if(iw < 2u * tp->mss)
    iw = 2u * tp->mss;
  tp->cwnd = iw;
  tp->ssthresh = 0x7fffffff;    // 3.1: arbitrarily high
  tp->cc_acked = 0;
}

static void
nr_acked(struct tcpcb *tp, uint32_t acked)
{
  if(tp->cwnd < tp->ssthresh){
    // slow start, with appropriate byte counting (RFC 3465, L = 2*SMSS)
    tp->cwnd += acked < 2u * tp->mss ? acked : 2u * tp->mss;
  } else {
    // congestion avoidance: one SMSS per window's worth acknowledged (RFC 5681 eq. 3's byte form)
    tp->cc_acked += acked;
    if(tp->cc_acked >= tp->cwnd){
      tp->cc_acked -= tp->cwnd;
      tp->cwnd += tp->mss;
    }
  }
  if(tp->cwnd > 0x3fffffff)
    tp->cwnd = 0x3fffffff;
}

// RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS)
static uint32_t
halfflight(struct tcpcb *tp)
{
  uint32_t f = (tp->snd_max - tp->snd_una) / 2;
  return f > 2u * tp->mss ? f : 2u * tp->mss;
}

static void
nr_recovery(struct tcpcb *tp)
{
  tp->ssthresh = halfflight(tp);
  tp->cwnd = tp->ssthresh;
}

// RFC 6582 3.2 step 3, full acknowledgment: min(ssthresh, FlightSize + SMSS)
static void
nr_recovered(struct tcpcb *tp)
{
  uint32_t f = tp->snd_max - tp->snd_una;

  tp->cwnd = tp->ssthresh < f + tp->mss ? tp->ssthresh : f + tp->mss;
  tp->cc_acked = 0;
}

// RFC 5681 3.1: after a timeout, the loss window of one segment.
static void
nr_timeout(struct tcpcb *tp)
{
  if(tp->rxtshift <= 1)
    tp->ssthresh = halfflight(tp);   // eq. 4, only on the first timeout of a row
  tp->cwnd = tp->mss;
  tp->cc_acked = 0;
  tp->snd_recover = tp->snd_max;     // RFC 6582 4.1
}

const struct tcp_ccops tcp_newreno = {
  .name = "newreno",
  .init = nr_init,
  .acked = nr_acked,
  .recovery = nr_recovery,
  .recovered = nr_recovered,
  .timeout = nr_timeout,
};
