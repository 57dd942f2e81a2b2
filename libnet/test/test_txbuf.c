// Host tests for a device with no TX buffer to lend (loop_txlimit):
// net_txbuf never waits, only syncs once without waiting (loop_synclog
// shows every sync's timeout), and each layer's output gives -ENOBUFS
// back or counts the frame it drops, once.
#include "libnet/test/stack.h"

// Every sync since the last look was allowed no wait; returns how many.
static int
nowait(void)
{
  int t[64], n, i;

  n = loop_synclog(t, NELEM(t));
  for(i = 0; i < n && i < (int)NELEM(t); i++)
    if(t[i] != 0)
      printf("%s: sync %d of %d had timeout %d ms\n", test_name, i, n, t[i]);
  for(i = 0; i < n && i < (int)NELEM(t); i++)
    CHECKEQ(t[i], 0);
  return n;
}

// No buffer: 0 after one sync with timeout 0, and no second sync until
// another sync has run; one that gives buffers back lets the next ask
// succeed.
static void
test_txbuf_nowait(void)
{
  uint8_t *f;

  stack_reset();
  loop_txlimit(0);
  nowait();
  CHECK(net_txbuf() == 0);
  CHECKEQ(nowait(), 1);
  CHECK(net_txbuf() == 0);
  CHECKEQ(nowait(), 0);
  net_poll(0);
  CHECK(nowait() > 0);
  CHECK(net_txbuf() == 0);
  CHECKEQ(nowait(), 1);
  // Two slots: the third ask finds both busy, and its sync frees them.
  loop_txlimit(2);
  CHECK((f = net_txbuf()) != 0);
  net_txpush(f, 60);
  CHECK((f = net_txbuf()) != 0);
  net_txpush(f, 60);
  CHECKEQ(nowait(), 0);
  CHECK(net_txbuf() != 0);
  CHECKEQ(nowait(), 1);
  CHECKEQ(STAT(eth_tx_nobuf), 0);     // nothing was dropped
  CHECKEQ(stack_drain(), 2);
}

// UDP: -ENOBUFS to the caller, the datagram counted once whichever
// path (zero-copy, or built aside) asked; a fragmented one stops at
// the first fragment that has no buffer.
static void
test_udp_nobuf(void)
{
  static uint8_t data[3000];

  stack_reset();
  stack_learn(PEER, peermac);
  loop_txlimit(0);
  CHECKEQ(udp_output(5000, PEER, 9, (const uint8_t *)"x", 1), -ENOBUFS);
  CHECKEQ(STAT(eth_tx_nobuf), 1);
  CHECKEQ(STAT(udp_tx), 0);
  CHECKEQ(STAT(ip_tx), 0);
  CHECKEQ(udp_output(5000, PEER, 9, data, sizeof data), -ENOBUFS);
  CHECKEQ(STAT(eth_tx_nobuf), 2);
  CHECKEQ(statn("ip_frag_out"), 0);
  CHECKEQ(nowait(), 1);
  CHECKEQ(stack_drain(), 0);
  loop_txlimit(1);
  CHECKEQ(udp_output(5000, PEER, 9, data, sizeof data), 0);  // each fragment's sync frees the slot
  CHECKEQ(statn("ip_frag_out"), 3);
  CHECKEQ(nowait(), 2);
  CHECKEQ(stack_drain(), 3);
}

// The default responder with no buffer: an echo reply, an error and an
// ARP reply are not sent, each counted as eth_tx_nobuf and not as sent.
static void
test_answers_nobuf(void)
{
  uint8_t f[FMAX];

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  loop_txlimit(0);
  stack_input(f, stack_icmpframe(f, PEER, ICMP_ECHO, 0, 1, 1, 0, "abcd", 4));
  CHECKEQ(STAT(icmp_echo_reply_tx), 0);
  stack_input(f, stack_udpframe(f, PEER, 4000, ME, 9999, "x", 1));
  CHECKEQ(STAT(icmp_err_tx), 0);
  stack_input(f, stack_arpframe(f, ARP_REQUEST, peermac, PEER, ME));
  CHECKEQ(STAT(arp_reply_tx), 0);
  CHECKEQ(STAT(eth_tx_nobuf), 3);
  CHECKEQ(STAT(eth_tx), 0);
  nowait();
  CHECKEQ(stack_drain(), 0);
}

// ARP: a request with no buffer is not sent but the packet waits, and
// the retry asks; when the answer comes and the ring is full, what
// waited is dropped, counted, with one sync for all of it.
static void
test_arp_nobuf(void)
{
  uint8_t f[FMAX];
  int i;

  stack_reset();
  loop_txlimit(0);
  CHECKEQ(udp_output(5000, PEER, 9, (const uint8_t *)"a", 1), 0);
  CHECKEQ(STAT(arp_req_tx), 0);
  CHECKEQ(STAT(eth_tx_nobuf), 1);
  CHECKEQ(statn("ip_tx_arpwait"), 1);
  loop_txlimit(-1);
  ln_clock_offset_ms += ARP_RETRY_MS;
  net_poll(0);
  CHECKEQ(STAT(arp_req_tx), 1);
  for(i = 0; i < 2; i++)
    CHECKEQ(udp_output(5000, PEER, 9, (const uint8_t *)"b", 1), 0);
  CHECKEQ(stack_drain(), 1);
  loop_txlimit(0);
  nowait();
  stack_input(f, stack_arpframe(f, ARP_REPLY, peermac, PEER, ME));
  CHECKEQ(statn("arp_queue_nobuf"), 3);
  CHECKEQ(statn("arp_queue_sent"), 0);
  CHECKEQ(STAT(eth_tx_nobuf), 4);
  CHECKEQ(nowait(), 1);
  CHECKEQ(statn("ip_tx_arpwait"), statn("arp_queue_sent") + statn("arp_queue_nobuf") +
          STAT(arp_unresolved));
  CHECKEQ(stack_drain(), 0);
}

static const struct test tests[] = {
  { test_txbuf_nowait, "txbuf_nowait" },
  { test_udp_nobuf, "udp_nobuf" },
  { test_answers_nobuf, "answers_nobuf" },
  { test_arp_nobuf, "arp_nobuf" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
