// test_twoudp.c: the two-stack harness proved with UDP: ARP across the
// link, a datagram each way, and each of the link's knobs doing what
// it says (loss, duplication, reordering, delay, the hook).
#include "libnet/test/twostack.h"
#include "libnet/test/test.h"
#include <stdlib.h>

enum { PA = 7000, PB = 7001 };

// Datagram sockets: a on A at PA, b on B at PB.
static int a, b;

static void
setup(void)
{
  two_reset();
  a = two_socket(A, SOCK_DGRAM, PA);
  b = two_socket(B, SOCK_DGRAM, PB);
  CHECK(a >= SOCK_FDBASE);
  CHECK(b >= SOCK_FDBASE);
}

// Send msg from fd on s to the other stack's port.
static void
say(struct stack *s, int fd, const char *msg)
{
  struct sockaddr_in to;

  if(s == A)
    two_sin(&to, TWO_IPB, PB);
  else
    two_sin(&to, TWO_IPA, PA);
  CHECKEQ(s->ln_sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof to), strlen(msg));
}

// A datagram waiting on fd, into buf (NUL-terminated); its length, or
// -1 if none waits.
static int
heard(struct stack *s, int fd, char *buf, int max)
{
  int n = s->ln_recvfrom(fd, buf, max - 1, MSG_DONTWAIT, 0, 0);

  if(n >= 0)
    buf[n] = 0;
  return n;
}

// A first datagram, on a clean link, so both neighbours are known.
static void
warmup(void)
{
  char buf[64];

  say(A, a, "warm");
  CHECK(pump_until(heard(B, b, buf, sizeof buf) >= 0, 100));
}

static void
arp_resolves_across_link(void)
{
  uint8_t mac[6];
  char buf[64];

  setup();
  CHECKEQ(A->arp_lookup(TWO_IPB, mac), 0);
  say(A, a, "hello");
  CHECK(pump_until(heard(B, b, buf, sizeof buf) >= 0, 100));
  CHECKEQ(A->arp_lookup(TWO_IPB, mac), 1);
  CHECKMEM(mac, B->mac, 6);
  CHECKEQ(B->arp_lookup(TWO_IPA, mac), 1);   // learned from the request
  CHECKMEM(mac, A->mac, 6);
  CHECKEQ(TWOSTAT(A, arp_req_tx), 1);
  CHECKEQ(TWOSTAT(B, arp_reply_tx), 1);
  CHECKEQ(TWOSTAT(A, arp_queue_sent), 1);
  CHECKEQ(AB->delivered, 2);   // the request, then the datagram
  CHECKEQ(BA->delivered, 1);   // the reply
}

static void
datagram_goes_there_and_back(void)
{
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  char buf[64];
  int n;

  setup();
  say(A, a, "ping");
  CHECK(pump_until((n = B->ln_recvfrom(b, buf, sizeof buf, MSG_DONTWAIT,
                                       (struct sockaddr *)&from, &fl)) >= 0, 100));
  CHECKEQ(n, 4);
  CHECKMEM(buf, "ping", 4);
  CHECKEQ(from.sin_addr.s_addr, ln_htonl(TWO_IPA));
  CHECKEQ(from.sin_port, ln_htons(PA));
  CHECKEQ(B->ln_sendto(b, "pong", 4, 0, (struct sockaddr *)&from, fl), 4);
  CHECK(pump_until(heard(A, a, buf, sizeof buf) >= 0, 100));
  CHECK(strcmp(buf, "pong") == 0);
  CHECKEQ(TWOSTAT(A, udp_rx), 1);
  CHECKEQ(TWOSTAT(B, udp_rx), 1);
}

static void
loss_at_100_percent_loses_it(void)
{
  char buf[64];

  setup();
  warmup();
  AB->loss = 100;
  say(A, a, "gone");
  CHECK(!pump_until(heard(B, b, buf, sizeof buf) >= 0, 1000));
  CHECKEQ(AB->lost, 1);
  CHECKEQ(TWOSTAT(B, udp_rx), 1);   // the warm-up's only
}

static void
duplication_delivers_twice(void)
{
  char buf[64];

  setup();
  warmup();
  AB->dup = 100;
  say(A, a, "twice");
  CHECK(pump_until(heard(B, b, buf, sizeof buf) >= 0, 100));
  CHECK(strcmp(buf, "twice") == 0);
  CHECK(pump_until(heard(B, b, buf, sizeof buf) >= 0, 100));
  CHECK(strcmp(buf, "twice") == 0);
  pump(100);
  CHECKEQ(heard(B, b, buf, sizeof buf), -1);
  CHECKEQ(AB->duped, 1);
}

static void
reordering_swaps_two(void)
{
  char buf[64];

  setup();
  warmup();
  AB->reorder = 100;
  say(A, a, "first");
  say(A, a, "second");
  CHECK(pump_until(heard(B, b, buf, sizeof buf) >= 0, 100));
  CHECK(strcmp(buf, "second") == 0);
  CHECK(pump_until(heard(B, b, buf, sizeof buf) >= 0, 100));
  CHECK(strcmp(buf, "first") == 0);
  CHECKEQ(AB->reordered, 1);
}

static void
held_frame_goes_if_nothing_overtakes(void)
{
  char buf[64];
  uint64_t t0;

  setup();
  warmup();
  AB->reorder = 100;
  t0 = two_now_ms();
  say(A, a, "alone");
  CHECK(pump_until(heard(B, b, buf, sizeof buf) >= 0, 100));
  CHECKEQ(two_now_ms() - t0, LINK_HOLDMS);
  CHECKEQ(AB->reordered, 0);
}

static void
delay_holds_frame_for_its_time(void)
{
  char buf[64];
  uint64_t t0;

  setup();
  warmup();
  AB->delay_ms = 20;
  BA->delay_ms = 30;
  t0 = two_now_ms();
  say(A, a, "slow");
  pump(19);
  CHECKEQ(heard(B, b, buf, sizeof buf), -1);
  CHECK(pump_until(heard(B, b, buf, sizeof buf) >= 0, 100));
  CHECKEQ(two_now_ms() - t0, 20);
  t0 = two_now_ms();
  say(B, b, "back");
  CHECK(pump_until(heard(A, a, buf, sizeof buf) >= 0, 100));
  CHECKEQ(two_now_ms() - t0, 30);
}

// Drops the second frame it sees; l->arg counts them.
static int
dropsecond(struct link *l, uint8_t *f, int *len)
{
  int *n = l->arg;

  return ++*n == 2 ? LINK_DROP : LINK_PASS;
}

static void
hook_drops_the_frame_it_chooses(void)
{
  char buf[64];
  int n = 0;

  setup();
  warmup();
  AB->hook = dropsecond;
  AB->arg = &n;
  say(A, a, "one");
  say(A, a, "two");
  say(A, a, "three");
  CHECK(pump_until(heard(B, b, buf, sizeof buf) >= 0, 100));
  CHECK(strcmp(buf, "one") == 0);
  CHECK(pump_until(heard(B, b, buf, sizeof buf) >= 0, 100));
  CHECK(strcmp(buf, "three") == 0);
  CHECKEQ(AB->hooked, 1);
}

// The same seed gives the same run: the link's dice are the harness's.
// Returns which of 40 datagrams arrived, one bit each.
static uint64_t
lossyrun(void)
{
  char buf[64];
  uint64_t got = 0;

  setup();
  warmup();
  AB->loss = 50;
  for(int i = 0; i < 40; i++){
    snprintf(buf, sizeof buf, "%d", i);
    say(A, a, buf);
  }
  pump(100);
  while(heard(B, b, buf, sizeof buf) >= 0)
    got |= 1ULL << atoi(buf);
  return got;
}

static void
same_seed_same_losses(void)
{
  uint64_t first = lossyrun();

  CHECKEQ(lossyrun(), first);
  CHECK(AB->lost > 0 && AB->lost < 40);
}

static const struct test tests[] = {
  { arp_resolves_across_link, "arp_resolves_across_link" },
  { datagram_goes_there_and_back, "datagram_goes_there_and_back" },
  { loss_at_100_percent_loses_it, "loss_at_100_percent_loses_it" },
  { duplication_delivers_twice, "duplication_delivers_twice" },
  { reordering_swaps_two, "reordering_swaps_two" },
  { held_frame_goes_if_nothing_overtakes, "held_frame_goes_if_nothing_overtakes" },
  { delay_holds_frame_for_its_time, "delay_holds_frame_for_its_time" },
  { hook_drops_the_frame_it_chooses, "hook_drops_the_frame_it_chooses" },
  { same_seed_same_losses, "same_seed_same_losses" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
