// nettests: in-guest tests of the network channel (kernel/netchan.h),
// in the shape of usertests: each test runs in a forked child that
// exits 0 if it passed; a failing check prints one line saying what
// returned what. The runner counts free pages before and after.
//
// The tests use only loopback frames (our MAC or our address as the
// destination) except where they say so, so they pass with any -netdev
// or none. They drive the rings by hand, through libnet/chan.h, and
// build their frames here: libnet's stack is not what is tested.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/chan.h"
#include "libnet/wire.h"
#include "apps/testlib.h"

#define MASK      (NC_NSLOTS - 1)
#define HDRS      42        // Ethernet 14 + IPv4 20 + UDP 8

static struct chan ch;          // this process's channel, once opened
static uint32 ourip;            // host order, as getipaddr gives it
static uint8 frame[NC_FRAMEMAX];   // scratch frames; each test has its own copy
static uint8 frame2[NC_FRAMEMAX];
static struct nc_stats st0, st1;
static uint64 rnd = 0x2545f4914f6cdd1dULL;
static volatile uint32 sink;    // reads the compiler must not drop

static const char *statname[] = {
#define NC_NAME(name, desc) #name,
  NC_STATS(NC_NAME)
#undef NC_NAME
};

// --- helpers ------------------------------------------------------------

static void
wantexit0(char *s, char *who, int pid)
{
  int st = waitst(s, pid);

  if(st != 0){
    printf("%s: %s exited with status %d\n", s, who, st);
    exit(1);
  }
}

// One byte through a pipe: "ready", "go".
static void
tell(char *s, int fd)
{
  want(s, "write to pipe", write(fd, "x", 1), 1);
}

static void
hear(char *s, int fd)
{
  char c;

  want(s, "read from pipe", read(fd, &c, 1), 1);
}

static uint32
next(void)
{
  rnd ^= rnd << 13;
  rnd ^= rnd >> 7;
  rnd ^= rnd << 17;
  return rnd >> 16;
}

// Open this process's channel and learn our address.
static void
xopen(char *s)
{
  wantok(s, "netopen", chan_open(&ch));
  wantok(s, "getipaddr", getipaddr(&ourip, 0, 0));
}

static void
xclaim(char *s, int proto, int port)
{
  want(s, "netclaim", chan_claim(&ch, proto, port), port);
}

static void
xstat(char *s, int fd, struct nc_stats *st)
{
  wantok(s, "netstat", netstat(fd, st));
}

// Check that counter i of before/after moved by exactly d.
static void
wantdelta(char *s, char *who, struct nc_stats *a, struct nc_stats *b, int i, long d)
{
  long got = b->v[i] - a->v[i];

  if(got != d){
    printf("%s: %s %s moved by %ld, wanted %ld\n", s, who, statname[i], got, d);
    exit(1);
  }
}

// Write into f an Ethernet + IPv4 + UDP frame from our MAC and address
// and port sport to dip:dport at MAC dmac (0: ours), with IPv4 id id
// and a payload of plen bytes of the pattern seeded by id. Checksums
// are correct (RFC 791, RFC 768). Returns the frame's length.
static int
udpframe(uint8 *f, const uint8 *dmac, uint32 dip, int sport, int dport, int id, int plen)
{
  uint8 *ip = f + 14, *u = ip + 20, ph[12];
  uint16 sum;

  memmove(f, dmac ? dmac : ch.info->mac, 6);
  memmove(f + 6, ch.info->mac, 6);
  put16(f + 12, 0x0800);
  memset(ip, 0, 20);
  ip[0] = 0x45;
  put16(ip + 2, 28 + plen);
  put16(ip + 4, id);
  ip[8] = 64;
  ip[9] = 17;
  put32(ip + 12, ourip);
  put32(ip + 16, dip);
  put16(ip + 10, cksum_fold(cksum_add(0, ip, 20)));
  put16(u, sport);
  put16(u + 2, dport);
  put16(u + 4, 8 + plen);
  put16(u + 6, 0);
  for(int i = 0; i < plen; i++)
    u[8 + i] = (id * 31 + i * 7) & 0xff;
  put32(ph, ourip);
  put32(ph + 4, dip);
  ph[8] = 0;
  ph[9] = 17;
  put16(ph + 10, 8 + plen);
  sum = cksum_fold(cksum_add(cksum_add(0, ph, 12), u, 8 + plen));
  put16(u + 6, sum ? sum : 0xffff);
  return HDRS + plen;
}

// Copy a frame into the next free TX buffer and hand it over; waits up
// to 2 s for a free slot.
static void
sendframe(char *s, const uint8 *f, int len)
{
  uint64 t0 = clock();
  int r;

  while(chan_txbuf(&ch) == 0){
    if(msince(t0) > 2000)
      fail(s, "no TX slot came back in 2 s");
    wantok(s, "netsync", netsync(ch.fd, 100));
  }
  want(s, "chan_send", chan_send(&ch, f, len), 0);
  r = netsync(ch.fd, 0);
  wantok(s, "netsync", r);
}

// Is f a UDP frame to port?
static int
udpto(const uint8 *f, int len, int port)
{
  return len >= HDRS && get16(f + 12) == 0x0800 && f[14] == 0x45 && f[23] == 17 &&
         get16(f + 36) == port;
}

// Receive the next UDP frame to port into out, skipping others (ARP
// reaches every channel). Returns its length, or -ETIMEDOUT.
static int
recvudp(char *s, int port, uint8 *out, int timeout_ms)
{
  uint64 t0 = clock();
  uint8 *f;
  int len, left, ok;

  for(;;){
    while((f = chan_rxframe(&ch, &len)) != 0){
      ok = udpto(f, len, port);
      if(ok)
        memmove(out, f, len);
      chan_rxpop(&ch);
      if(ok)
        return len;
    }
    left = timeout_ms - msince(t0);
    if(left <= 0)
      return -ETIMEDOUT;
    wantok(s, "netsync", netsync(ch.fd, left));
  }
}

// --- the tests -----------------------------------------------------------

// Raw frames between two processes over loopback arrive byte for byte,
// in order, and are counted on both channels and on the interface.
#define LOOPN 20
static void
loopback(char *s)
{
  int p[2], pid, len, sum = 0;
  struct nc_stats if0, if1;

  wantok(s, "pipe", pipe(p));
  pid = xfork(s);
  if(pid == 0){
    xopen(s);
    xclaim(s, NC_PROTO_UDP, 7001);
    tell(s, p[1]);
    for(int i = 0; i < LOOPN; i++){
      int n = recvudp(s, 7001, frame2, 5000);
      if(n < 0){
        printf("%s: frame %d of %d never came\n", s, i, LOOPN);
        exit(1);
      }
      len = udpframe(frame, 0, ourip, 7002, 7001, i, (i * 137) % (NC_MTU - 28));
      want(s, "received frame length", n, len);
      for(int j = 0; j < len; j++)
        if(frame[j] != frame2[j]){
          printf("%s: frame %d byte %d is 0x%x, wanted 0x%x\n", s, i, j, frame2[j], frame[j]);
          exit(1);
        }
      sum += len;
    }
    xstat(s, ch.fd, &st1);
    want(s, "receiver rx_frames", st1.v[NC_rx_frames], LOOPN);
    want(s, "receiver rx_bytes", st1.v[NC_rx_bytes], sum);
    exit(0);
  }
  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7002);
  hear(s, p[0]);
  xstat(s, -1, &if0);
  for(int i = 0; i < LOOPN; i++){
    len = udpframe(frame, 0, ourip, 7002, 7001, i, (i * 137) % (NC_MTU - 28));
    sendframe(s, frame, len);
  }
  wantexit0(s, "receiver", pid);
  xstat(s, -1, &if1);
  xstat(s, ch.fd, &st1);
  want(s, "sender tx_frames", st1.v[NC_tx_frames], LOOPN);
  want(s, "sender tx_loopback", st1.v[NC_tx_loopback], LOOPN);
  want(s, "sender copy_payload_bytes", st1.v[NC_copy_payload_bytes], 0);
  if(if1.v[NC_rx_frames] - if0.v[NC_rx_frames] < LOOPN ||
     if1.v[NC_tx_loopback] - if0.v[NC_tx_loopback] < LOOPN){
    printf("%s: interface rx_frames +%lu tx_loopback +%lu, wanted at least %d each\n", s,
           if1.v[NC_rx_frames] - if0.v[NC_rx_frames],
           if1.v[NC_tx_loopback] - if0.v[NC_tx_loopback], LOOPN);
    exit(1);
  }
}

// A UDP port is claimed once: a second claim, from another channel or
// the same, is refused; the claim dies with its process.
static void
claims(char *s)
{
  int ready[2], done[2], pid;

  wantok(s, "pipe", pipe(ready));
  wantok(s, "pipe", pipe(done));
  pid = xfork(s);
  if(pid == 0){
    xopen(s);
    xclaim(s, NC_PROTO_UDP, 7010);
    want(s, "same channel's second claim", chan_claim(&ch, NC_PROTO_UDP, 7010), -EADDRINUSE);
    tell(s, ready[1]);
    hear(s, done[0]);
    exit(0);
  }
  xopen(s);
  hear(s, ready[0]);
  want(s, "claim of another's port", chan_claim(&ch, NC_PROTO_UDP, 7010), -EADDRINUSE);
  want(s, "release of another's port", chan_claim(&ch, NC_PROTO_UDP | NC_RELEASE, 7010), -ENOENT);
  xclaim(s, NC_PROTO_TCP, 7010);   // another protocol: another port
  want(s, "release TCP", chan_claim(&ch, NC_PROTO_TCP | NC_RELEASE, 7010), 0);
  tell(s, done[1]);
  wantexit0(s, "owner", pid);
  want(s, "claim after the owner exited", chan_claim(&ch, NC_PROTO_UDP, 7010), 7010);
  want(s, "release", chan_claim(&ch, NC_PROTO_UDP | NC_RELEASE, 7010), 0);
  want(s, "second release", chan_claim(&ch, NC_PROTO_UDP | NC_RELEASE, 7010), -ENOENT);
  want(s, "claim after release", chan_claim(&ch, NC_PROTO_UDP, 7010), 7010);
}

// 100 ephemeral claims are distinct, in range, and avoid ports already
// claimed by number.
#define NEPH 100
static void
ephemeral(char *s)
{
  int port[NEPH], r;

  xopen(s);
  for(int i = 0; i < 10; i++)
    xclaim(s, NC_PROTO_UDP, NC_EPHEMERAL_LO + i);
  for(int i = 0; i < NEPH; i++){
    r = chan_claim(&ch, NC_PROTO_UDP, 0);
    wantok(s, "ephemeral claim", r);
    if(r < NC_EPHEMERAL_LO + 10 || r > NC_EPHEMERAL_HI){
      printf("%s: ephemeral claim %d gave port %d, wanted %d..%d\n", s, i, r,
             NC_EPHEMERAL_LO + 10, NC_EPHEMERAL_HI);
      exit(1);
    }
    for(int j = 0; j < i; j++)
      if(port[j] == r){
        printf("%s: ephemeral claims %d and %d both gave port %d\n", s, j, i, r);
        exit(1);
      }
    port[i] = r;
  }
  for(int i = 0; i < NEPH; i++)
    want(s, "release", chan_claim(&ch, NC_PROTO_UDP | NC_RELEASE, port[i]), 0);
}

// A receiver that never syncs holds NC_NSLOTS frames queued; the rest
// are dropped and counted as rx_drop_ringfull, on its channel and on
// the interface.
#define FLOODN (NC_NSLOTS + 44)
static void
ringfull(char *s)
{
  int ready[2], go[2], pid, len, got;
  struct nc_stats if0, if1;

  wantok(s, "pipe", pipe(ready));
  wantok(s, "pipe", pipe(go));
  pid = xfork(s);
  if(pid == 0){
    xopen(s);
    xclaim(s, NC_PROTO_UDP, 7020);
    tell(s, ready[1]);
    hear(s, go[0]);
    xstat(s, ch.fd, &st1);
    want(s, "receiver rx_frames", st1.v[NC_rx_frames], NC_NSLOTS);
    want(s, "receiver rx_drop_ringfull", st1.v[NC_rx_drop_ringfull], FLOODN - NC_NSLOTS);
    for(got = 0; recvudp(s, 7020, frame2, 200) > 0; got++)
      ;
    want(s, "frames received", got, NC_NSLOTS);
    exit(0);
  }
  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7021);
  hear(s, ready[0]);
  xstat(s, -1, &if0);
  for(int i = 0; i < FLOODN; i++){
    len = udpframe(frame, 0, ourip, 7021, 7020, i, 18);
    sendframe(s, frame, len);
  }
  xstat(s, -1, &if1);
  xstat(s, ch.fd, &st1);
  want(s, "sender tx_loopback", st1.v[NC_tx_loopback], FLOODN);
  wantdelta(s, "interface", &if0, &if1, NC_rx_drop_ringfull, FLOODN - NC_NSLOTS);
  tell(s, go[1]);
  wantexit0(s, "receiver", pid);
}

// Handing over every free TX slot at once (head catching up with tail)
// is allowed; the slots must come back once the frames are sent.
static void
txfull(char *s)
{
  int n, len;
  uint64 t0;
  uint8 *b;

  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7025);
  for(int round = 0; round < 3; round++){
    n = 0;
    while((b = chan_txbuf(&ch)) != 0){
      // to an unclaimed port: looped back, then dropped
      len = udpframe(b, 0, ourip, 7025, 7026, n, 18);
      chan_txpush(&ch, len);
      n++;
    }
    if(n < NC_NSLOTS - 2){
      printf("%s: round %d: only %d free TX slots\n", s, round, n);
      exit(1);
    }
    t0 = clock();
    wantok(s, "netsync", netsync(ch.fd, 0));
    while(nc_ring_space(ch.tx) < n - 1){
      if(msince(t0) > 2000){
        printf("%s: round %d: %d slots handed over, %d came back in 2 s (head %d tail %d)\n",
               s, round, n, nc_ring_space(ch.tx), ch.tx->head, ch.tx->tail);
        exit(1);
      }
      wantok(s, "netsync", netsync(ch.fd, 100));
    }
  }
  xstat(s, ch.fd, &st1);
  if(st1.v[NC_tx_loopback] < 3 * (NC_NSLOTS - 2)){
    printf("%s: tx_loopback %lu after 3 full rings\n", s, st1.v[NC_tx_loopback]);
    exit(1);
  }
}

// --- hostile: a process that writes garbage into its rings ---

// Counters a ring write can move.
static int
txcounter(int i)
{
  return i == NC_tx_frames || i == NC_tx_bytes || i == NC_tx_loopback ||
         (i >= NC_rx_reject_badindex && i <= NC_tx_reject_nodev) ||
         i == NC_copy_payload_bytes;
}

// Sync, and check that the counters a ring write can move moved as
// wanted: d1 on counter c1, 1 on c2 (if >= 0), nothing elsewhere.
static void
syncwant(char *s, char *what, int c1, int c2)
{
  xstat(s, ch.fd, &st0);
  wantok(s, "netsync", netsync(ch.fd, 0));
  xstat(s, ch.fd, &st1);
  for(int i = 0; i < NC_NSTATS; i++){
    long d = st1.v[i] - st0.v[i], w;
    if(!txcounter(i) || i == NC_tx_bytes)
      continue;
    w = (i == c1 || i == c2) ? 1 : 0;
    if(d != w){
      printf("%s: %s: %s moved by %ld, wanted %ld\n", s, what, statname[i], d, w);
      exit(1);
    }
  }
}

static uint32 rejslot[64];   // TX slots whose frames must come back NCS_REJECTED
static uint32 rejbuf[64];    // the buffer each named
static int nrej;

// Hand over one TX slot (buf, len, flags) and check it was refused for
// reason why, and for nothing else.
static void
txbad(char *s, char *what, uint32 buf, uint32 len, uint16 flags, int why)
{
  struct nc_slot *sl = &ch.tx->slot[ch.tx->head];

  if(nc_ring_space(ch.tx) == 0)
    fail(s, "no free TX slot");
  sl->buf = buf;
  sl->len = len;
  sl->flags = flags;
  rejbuf[nrej] = buf;
  rejslot[nrej++] = ch.tx->head;
  ch.tx->head = nc_next(ch.tx->head);
  syncwant(s, what, why, -1);
}

// Hand over one TX slot holding a good frame in buf; it must be sent.
static void
txgood(char *s, char *what, uint32 buf, int len, int loop)
{
  struct nc_slot *sl = &ch.tx->slot[ch.tx->head];

  sl->buf = buf;
  sl->len = len;
  sl->flags = 0;
  ch.tx->head = nc_next(ch.tx->head);
  syncwant(s, what, NC_tx_frames, loop ? NC_tx_loopback : -1);
}

// Spare buffers: outside both rings from the start, so the process owns them.
#define SPARE(i) (2 * NC_NSLOTS + (i))

static void
ringindex(char *s)
{
  uint32 h;

  // TX head out of range; the kernel keeps its own idea of head.
  h = ch.tx->head;
  ch.tx->head = NC_NSLOTS;
  syncwant(s, "TX head 256", NC_tx_reject_badindex, -1);
  ch.tx->head = 0xffffffff;
  syncwant(s, "TX head ~0", NC_tx_reject_badindex, -1);
  ch.tx->head = h;
  syncwant(s, "TX head restored", -1, -1);

  // RX head out of range, and past tail (we own no RX slot now).
  while(chan_rxframe(&ch, (int*)&h))
    chan_rxpop(&ch);
  h = ch.rx->head;
  ch.rx->head = 1000;
  syncwant(s, "RX head 1000", NC_rx_reject_badindex, -1);
  ch.rx->head = (ch.rx->tail + 5) & MASK;
  syncwant(s, "RX head past tail", NC_rx_reject_badindex, -1);
  ch.rx->head = h;
  syncwant(s, "RX head restored", -1, -1);
}

static void
badslots(char *s, int port)
{
  uint8 *b;
  int len;

  txbad(s, "buf NC_NBUFS", NC_NBUFS, 60, 0, NC_tx_reject_badbuf);
  txbad(s, "buf ~0", 0xffffffff, 60, 0, NC_tx_reject_badbuf);
  txbad(s, "buf in a kernel RX slot", ch.rx->slot[(ch.rx->tail + 7) & MASK].buf, 60, 0,
        NC_tx_reject_notowned);

  // a good frame in SPARE(0), then bad copies of it in SPARE(1..)
  len = udpframe(chan_buf(&ch, SPARE(0)), 0, ourip, port, port, 1, 64);
  txbad(s, "len 0", SPARE(0), 0, 0, NC_tx_reject_badlen);
  txbad(s, "len 13", SPARE(0), 13, 0, NC_tx_reject_badlen);
  txbad(s, "len 1515", SPARE(0), 1515, 0, NC_tx_reject_badlen);
  txbad(s, "len 65535", SPARE(0), 65535, 0, NC_tx_reject_badlen);
  txbad(s, "flags 1", SPARE(0), len, NCS_REJECTED, NC_tx_reject_badflags);
  txbad(s, "flags 0x8000", SPARE(0), len, 0x8000, NC_tx_reject_badflags);

  b = chan_buf(&ch, SPARE(1));
  memmove(b, chan_buf(&ch, SPARE(0)), len);
  b[11] ^= 1;
  txbad(s, "wrong source MAC", SPARE(1), len, 0, NC_tx_reject_srcmac);

  b = chan_buf(&ch, SPARE(2));
  memmove(b, chan_buf(&ch, SPARE(0)), len);
  b[29] ^= 1;   // (the header checksum is not the kernel's business)
  txbad(s, "wrong source IP", SPARE(2), len, 0, NC_tx_reject_srcip);

  b = chan_buf(&ch, SPARE(3));
  udpframe(b, 0, ourip, port + 1, port, 1, 64);
  txbad(s, "unclaimed source port", SPARE(3), len, 0, NC_tx_reject_srcport);

  b = chan_buf(&ch, SPARE(4));
  memmove(b, chan_buf(&ch, SPARE(0)), len);
  put16(b + 12, 0x86dd);
  txbad(s, "EtherType IPv6", SPARE(4), len, 0, NC_tx_reject_proto);

  b = chan_buf(&ch, SPARE(5));
  memmove(b, chan_buf(&ch, SPARE(0)), len);
  b[23] = 47;
  txbad(s, "IPv4 protocol GRE", SPARE(5), len, 0, NC_tx_reject_proto);

  txbad(s, "IPv4 header cut at 10 bytes", SPARE(0), 14 + 10, 0, NC_tx_reject_malformed);

  b = chan_buf(&ch, SPARE(6));
  memmove(b, chan_buf(&ch, SPARE(0)), len);
  b[14] = 0x4f;   // a 60-byte IPv4 header in a frame with room for 20
  txbad(s, "IHL beyond frame", SPARE(6), 34, 0, NC_tx_reject_malformed);

  b = chan_buf(&ch, SPARE(7));
  memmove(b, chan_buf(&ch, SPARE(0)), len);
  put16(b + 16, 1400);
  txbad(s, "total length beyond frame", SPARE(7), len, 0, NC_tx_reject_malformed);

  b = chan_buf(&ch, SPARE(8));
  memmove(b, chan_buf(&ch, SPARE(0)), len);
  b[14] = 0x65;
  txbad(s, "IP version 6 in an IPv4 frame", SPARE(8), len, 0, NC_tx_reject_malformed);
}

// A buffer handed to the device cannot be handed over again before it
// comes back. Needs a device; without one both are refused as nodev.
static void
inflight(char *s, int port)
{
  static const uint8 gw[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
  int len = udpframe(chan_buf(&ch, SPARE(9)), gw, 0x0a000202, port, 9, 2, 100);

  for(int i = 0; i < 2; i++){
    struct nc_slot *sl = &ch.tx->slot[ch.tx->head];
    sl->buf = SPARE(9);
    sl->len = len;
    sl->flags = 0;
    ch.tx->head = nc_next(ch.tx->head);
  }
  xstat(s, ch.fd, &st0);
  wantok(s, "netsync", netsync(ch.fd, 0));
  xstat(s, ch.fd, &st1);
  if(st1.v[NC_tx_reject_nodev] - st0.v[NC_tx_reject_nodev] == 2){
    printf("%s: no network device, in-flight buffer check skipped\n", s);
    return;
  }
  wantdelta(s, "in flight", &st0, &st1, NC_tx_frames, 1);
  wantdelta(s, "in flight", &st0, &st1, NC_tx_reject_notowned, 1);
  rejbuf[nrej] = ch.tx->slot[(ch.tx->head - 1) & MASK].buf;
  rejslot[nrej++] = (ch.tx->head - 1) & MASK;
  // let it come back before the buffer is used again
  sleep(100);
}

// Wait for a UDP frame to port in the RX ring, leaving it there; pops
// anything else. Returns its slot.
static struct nc_slot *
rxpeek(char *s, int port)
{
  uint64 t0 = clock();
  uint8 *f;
  int len;

  for(;;){
    while((f = chan_rxframe(&ch, &len)) != 0){
      if(udpto(f, len, port))
        return &ch.rx->slot[ch.rx->head];
      chan_rxpop(&ch);
    }
    if(msince(t0) > 2000)
      fail(s, "looped-back frame to self never came");
    wantok(s, "netsync", netsync(ch.fd, 100));
  }
}

// RX slots given back with buffers the process does not own are
// refused; with one it owns, accepted.
static void
badrx(char *s, int port)
{
  struct nc_slot *sl;
  uint32 b;
  int len;

  len = udpframe(chan_buf(&ch, SPARE(10)), 0, ourip, port, port, 3, 80);
  txgood(s, "frame to self", SPARE(10), len, 1);
  sl = rxpeek(s, port);
  sl->buf = NC_NBUFS + 5;
  ch.rx->head = nc_next(ch.rx->head);
  syncwant(s, "RX slot back with buf out of range", NC_rx_reject_badbuf, -1);

  len = udpframe(chan_buf(&ch, SPARE(11)), 0, ourip, port, port, 4, 80);
  txgood(s, "frame to self", SPARE(11), len, 1);
  sl = rxpeek(s, port);
  sl->buf = ch.rx->slot[(ch.rx->tail + 9) & MASK].buf;
  ch.rx->head = nc_next(ch.rx->head);
  syncwant(s, "RX slot back with a kernel RX buffer", NC_rx_reject_badbuf, -1);

  // swapping in a buffer we own is allowed; the delivered one is ours.
  len = udpframe(chan_buf(&ch, SPARE(12)), 0, ourip, port, port, 5, 80);
  txgood(s, "frame to self", SPARE(12), len, 1);
  sl = rxpeek(s, port);
  b = sl->buf;
  sl->buf = SPARE(13);
  ch.rx->head = nc_next(ch.rx->head);
  syncwant(s, "RX slot back with a spare buffer", -1, -1);
  txgood(s, "send from the buffer swapped out", b, 14 + 20 + 8 + 80, 1);
}

// Every refused frame comes back marked NCS_REJECTED, with its buffer,
// in the slot before its own (netchan.h: a slot comes back with the
// buffer, and the flags, of the slot after it).
static void
rejflags(char *s, int port)
{
  int len = udpframe(chan_buf(&ch, SPARE(14)), 0, ourip, port, port, 6, 10);

  txgood(s, "last frame to self", SPARE(14), len, 1);
  for(int i = 0; i < nrej; i++){
    uint32 k = (rejslot[i] - 1) & MASK;
    if(((k - ch.tx->head) & MASK) >= nc_ring_space(ch.tx)){
      printf("%s: refused TX slot %d not handed back (head %d tail %d)\n", s, k,
             ch.tx->head, ch.tx->tail);
      exit(1);
    }
    if((ch.tx->slot[k].flags & NCS_REJECTED) == 0 || ch.tx->slot[k].buf != (uint16)rejbuf[i]){
      printf("%s: refused frame of TX slot %d came back in slot %d with buf %d flags 0x%x, "
             "wanted buf %d\n", s, rejslot[i], k, ch.tx->slot[k].buf, ch.tx->slot[k].flags,
             (uint16)rejbuf[i]);
      exit(1);
    }
  }
}

// Random writes all over both rings and a buffer, nrounds times.
static void
garbage(int port, int nrounds)
{
  uint8 *b;

  for(int i = 0; i < nrounds; i++){
    switch(next() % 6){
    case 0:
      ch.tx->head = next() % 4 == 0 ? next() : next() & MASK;
      break;
    case 1:
      ch.rx->head = next() % 4 == 0 ? next() : next() & MASK;
      break;
    case 2:
      ch.tx->slot[next() & MASK].buf = next() % 4 == 0 ? next() : next() % NC_NBUFS;
      ch.tx->slot[next() & MASK].len = next();
      ch.tx->slot[next() & MASK].flags = next() % 2 ? next() : 0;
      break;
    case 3:
      ch.rx->slot[next() & MASK].buf = next() % 4 == 0 ? next() : next() % NC_NBUFS;
      ch.rx->slot[next() & MASK].len = next();
      break;
    case 4: {
      // a good frame with a few bytes changed, in the slot at head
      static const uint8 gw[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
      uint32 k = SPARE(20 + next() % 8), h = ch.tx->head & MASK;
      b = chan_buf(&ch, k);
      int len = udpframe(b, next() % 2 ? 0 : gw, ourip, port, port, i, next() % 200);
      for(int n = next() % 4; n > 0; n--)
        b[next() % 64] = next();
      ch.tx->slot[h].buf = k;
      ch.tx->slot[h].len = len;
      ch.tx->slot[h].flags = 0;
      ch.tx->head = nc_next(h);
      break;
    }
    case 5:
      ch.tx->reserved[next() % 14] = next();
      ch.rx->reserved[next() % 14] = next();
      break;
    }
    netsync(ch.fd, 0);
  }
}

// The hostile child: every bad ring write refused and counted; then
// random garbage; then a fresh channel still works.
static void
hostilechild(char *s)
{
  int len, n;

  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7030);
  ringindex(s);
  badslots(s, 7030);
  inflight(s, 7030);
  badrx(s, 7030);
  rejflags(s, 7030);
  garbage(7030, testarg > 0 ? testarg : 20000);
  close(ch.fd);

  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7030);
  len = udpframe(frame, 0, ourip, 7030, 7030, 7, 200);
  sendframe(s, frame, len);
  n = recvudp(s, 7030, frame2, 2000);
  want(s, "frame to self after the garbage", n, len);
  if(memcmp(frame, frame2, len) != 0)
    fail(s, "frame to self after the garbage differs");
  exit(0);
}

// One line of a channel's frame counters, for a failure's report.
static void
chanline(char *s, char *who)
{
  struct nc_stats st;
  uint64 rej = 0;

  xstat(s, ch.fd, &st);
  for(int i = NC_tx_reject_badbuf; i <= NC_tx_reject_nodev; i++)
    rej += st.v[i];
  printf("%s: %s: rx_frames %lu ringfull %lu tx_frames %lu loopback %lu rejected %lu\n", s, who,
         st.v[NC_rx_frames], st.v[NC_rx_drop_ringfull], st.v[NC_tx_frames],
         st.v[NC_tx_loopback], rej);
}

// The well-behaved pair: ping sends a numbered frame to pong, pong
// echoes it, until ping's stop pipe closes; pong's closes when ping
// exits. Any loss fails.
static void
pong(char *s, int ready, int stop)
{
  struct pollfd pf;
  uint8 *f;
  int len;

  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7041);
  tell(s, ready);
  for(;;){
    pf.fd = stop;
    pf.events = POLLIN;
    if(poll(&pf, 1, 0) > 0)
      exit(0);
    wantok(s, "netsync", netsync(ch.fd, 20));
    while((f = chan_rxframe(&ch, &len)) != 0){
      if(udpto(f, len, 7041)){
        memmove(frame, f, len);
        put16(frame + 34, 7041);
        put16(frame + 36, 7040);
        put16(frame + 40, 0);   // UDP checksum: none
      } else
        len = 0;
      chan_rxpop(&ch);
      if(len)
        sendframe(s, frame, len);
    }
  }
}

static void
ping(char *s, int ready, int stop)
{
  struct pollfd pf;
  int rounds = 0, len, n;

  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7040);
  tell(s, ready);
  for(;;){
    pf.fd = stop;
    pf.events = POLLIN;
    if(poll(&pf, 1, 0) > 0)
      break;
    len = udpframe(frame, 0, ourip, 7040, 7041, rounds & 0xffff, 100 + rounds % 900);
    sendframe(s, frame, len);
    for(;;){
      n = recvudp(s, 7040, frame2, 2000);
      if(n < 0){
        printf("%s: echo %d never came\n", s, rounds);
        chanline(s, "ping");
        exit(1);
      }
      // skip strays (the hostile child's random frames may land here)
      if(n == len && memcmp(frame + 42, frame2 + 42, len - 42) == 0)
        break;
    }
    rounds++;
  }
  printf("%s: %d echoes while the hostile child ran\n", s, rounds);
  exit(rounds > 0 ? 0 : 1);
}

static void
hostile(char *s)
{
  int ready[2], stop[2], pongstop[2], pp, pg, h;

  // The parent stops ping; ping alone stops pong, by exiting: its end
  // of pongstop is the last. (When the parent stopped both, pong could
  // see the stop between ping's last frame and its echo, and exit with
  // that frame unanswered: with four harts, now and then.)
  wantok(s, "pipe", pipe(ready));
  wantok(s, "pipe", pipe(stop));
  wantok(s, "pipe", pipe(pongstop));
  pg = xfork(s);
  if(pg == 0){
    close(stop[0]);
    close(stop[1]);
    close(pongstop[1]);
    pong(s, ready[1], pongstop[0]);
  }
  hear(s, ready[0]);
  pp = xfork(s);
  if(pp == 0){
    close(stop[1]);
    close(pongstop[0]);
    ping(s, ready[1], stop[0]);
  }
  close(pongstop[0]);
  close(pongstop[1]);
  hear(s, ready[0]);
  h = xfork(s);
  if(h == 0)
    hostilechild(s);
  wantexit0(s, "hostile child", h);
  close(stop[1]);
  for(int i = 0; i < 2; i++){
    int st = 0, w = wait(&st);
    if(w != pp && w != pg){
      printf("%s: wait returned %d\n", s, w);
      exit(1);
    }
    if(st != 0){
      printf("%s: %s exited with status %d\n", s, w == pp ? "ping" : "pong", st);
      exit(1);
    }
  }
}

// A buffer given back in an RX slot is the kernel's and is unmapped: the
// process that touches it anyway is not killed, its accesses reach a
// scratch page of its own, and a frame later delivered in that buffer
// reads as sent. (The flush before that delivery is not what this shows:
// the frames come over loopback, whose flip for the sender flushes too.
// test_udp.py's sink -k test, with frames from the wire, does.)
static void
givenback(char *s)
{
  uint8 *b0;
  int n, len;

  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7040);
  // slots 0..NC_NSLOTS-3 filled and given back: the kernel delivers
  // next in the two slots never used, then in slot 0, buffer 0 again.
  for(int i = 0; i < NC_NSLOTS - 2; i++){
    len = udpframe(frame, 0, ourip, 7040, 7040, i, 18);
    sendframe(s, frame, len);
    if(recvudp(s, 7040, frame2, 5000) != len)
      fail(s, "a frame to ourselves never came");
  }
  b0 = chan_buf(&ch, ch.rx->slot[0].buf);
  memset(b0, 0xa5, 64);              // the kernel's buffer: lands on scratch
  if(b0[63] != 0xa5)
    fail(s, "scratch page does not keep what was written");
  for(int i = 0; i < 3; i++){
    len = udpframe(frame, 0, ourip, 7040, 7040, 1000 + i, 18 + i);
    sendframe(s, frame, len);
    n = recvudp(s, 7040, frame2, 5000);
    want(s, "frame length after the wrap", n, len);
    if(memcmp(frame, frame2, len) != 0){
      printf("%s: frame %d after the wrap differs (byte 0 0x%x)\n", s, i, frame2[0]);
      exit(1);
    }
  }
  if(ch.rx->slot[0].buf != (uint32)(b0 - chan_buf(&ch, 0)) / NC_BUFSIZE)
    fail(s, "slot 0 holds another buffer");
}

// The info page is readable and right, and writing it kills; the
// region is not inherited by fork.
static void
infopage(char *s)
{
  struct nc_info *ni;
  int pid;

  xopen(s);
  ni = ch.info;
  want(s, "info version", ni->version, NC_VERSION);
  want(s, "info nslots", ni->nslots, NC_NSLOTS);
  want(s, "info nbufs", ni->nbufs, NC_NBUFS);
  want(s, "info bufsize", ni->bufsize, NC_BUFSIZE);
  want(s, "info rx_off", ni->rx_off, NC_RX_OFF);
  want(s, "info tx_off", ni->tx_off, NC_TX_OFF);
  want(s, "info buf_off", ni->buf_off, NC_BUF_OFF);
  want(s, "info mtu", ni->mtu, NC_MTU);
  for(int i = 0; i < 8; i++)
    want(s, "info reserved", ni->reserved[i], 0);
  if((ni->mac[0] | ni->mac[1] | ni->mac[2] | ni->mac[3] | ni->mac[4] | ni->mac[5]) == 0 ||
     (ni->mac[0] & 1))
    fail(s, "info mac is zero or multicast");
  want(s, "initial RX head", ch.rx->head, 0);
  want(s, "initial RX tail", ch.rx->tail, 0);
  want(s, "initial TX free slots", nc_ring_space(ch.tx), NC_NSLOTS - 1);

  // a child of the owner has no channel: the region is not there, and
  // the inherited descriptor is not its channel.
  pid = xfork(s);
  if(pid == 0){
    want(s, "child netsync on the parent's channel", netsync(ch.fd, 0), -EBADF);
    want(s, "child netclaim on the parent's channel", netclaim(ch.fd, NC_PROTO_UDP, 7050), -EBADF);
    sink = *(volatile uint32 *)(NC_VA + NC_INFO_OFF);
    exit(0);
  }
  if(waitst(s, pid) == 0)
    fail(s, "a forked child read the parent's channel region");

  pid = xfork(s);
  if(pid == 0){
    close(ch.fd);
    xopen(s);
    ch.info->version = 99;
    exit(0);
  }
  if(waitst(s, pid) == 0)
    fail(s, "writing the info page did not kill the writer");
  want(s, "info version after the child's write", ni->version, NC_VERSION);

  // the region ends where it says
  pid = xfork(s);
  if(pid == 0){
    close(ch.fd);
    xopen(s);
    *(volatile uint8 *)(NC_VA + NC_SIZE) = 1;
    exit(0);
  }
  if(waitst(s, pid) == 0)
    fail(s, "writing past the region did not kill the writer");
}

// The error codes of the channel calls.
static void
errors(char *s)
{
  int p[2], fd;
  uint32 ip, mask, gw;
  struct nc_stats st;

  wantok(s, "pipe", pipe(p));
  want(s, "netopen(1)", netopen(1), -EINVAL);
  want(s, "netsync before netopen", netsync(p[0], 0), -EBADF);
  xopen(s);
  want(s, "second netopen", netopen(0), -EBUSY);
  want(s, "netsync on a pipe", netsync(p[0], 0), -EBADF);
  want(s, "netsync on the console", netsync(0, 0), -EBADF);
  want(s, "netsync on fd -1", netsync(-1, 0), -EBADF);
  want(s, "netsync on fd 1000", netsync(1000, 0), -EBADF);
  want(s, "netclaim on a pipe", netclaim(p[1], NC_PROTO_UDP, 7060), -EBADF);
  want(s, "netstat on a pipe", netstat(p[0], &st), -EBADF);
  want(s, "netclaim proto 99", netclaim(ch.fd, 99, 7060), -EPROTONOSUPPORT);
  want(s, "netclaim proto 255", netclaim(ch.fd, 255, 7060), -EPROTONOSUPPORT);
  want(s, "netclaim port 65536", netclaim(ch.fd, NC_PROTO_UDP, 65536), -EINVAL);
  want(s, "netclaim port -1", netclaim(ch.fd, NC_PROTO_UDP, -1), -EINVAL);
  want(s, "release of no claim", netclaim(ch.fd, NC_PROTO_UDP | NC_RELEASE, 7060), -ENOENT);
  want(s, "netstat to address 0", netstat(ch.fd, 0), -EFAULT);
  want(s, "netstat to a kernel address", netstat(-1, (struct nc_stats *)0x80000000UL), -EFAULT);
  want(s, "getipaddr to address 0x10", getipaddr((uint32 *)0x10, 0, 0), -EFAULT);
  want(s, "getipaddr", getipaddr(&ip, &mask, &gw), 0);
  want(s, "default ip", ip, 0x0a00020f);
  want(s, "default mask", mask, 0xffffff00);
  want(s, "default gw", gw, 0x0a000202);
  want(s, "setipaddr non-contiguous mask", setipaddr(ip, 0xff00ff00, gw), -EINVAL);
  want(s, "setipaddr 0.0.0.0", setipaddr(0, mask, gw), -EINVAL);
  want(s, "setipaddr gw off the subnet", setipaddr(ip, mask, 0x0b000001), -EINVAL);

  // closing the descriptor closes the channel; a new one can be opened.
  xclaim(s, NC_PROTO_UDP, 7061);
  fd = ch.fd;
  want(s, "close", close(fd), 0);
  want(s, "netsync after close", netsync(fd, 0), -EBADF);
  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7061);
}

// Opening and closing channels (by exit) leaks no page.
static void
opencycles(char *s)
{
  int n = testarg > 0 ? testarg : 1000, f0, f1, pid, len;

  // the runner forks its watchdog just after us: let that settle.
  sleep(100);
  f0 = freemem();
  for(int i = 0; i < n; i++){
    pid = xfork(s);
    if(pid == 0){
      int port;
      xopen(s);
      port = wantok(s, "ephemeral claim", chan_claim(&ch, NC_PROTO_UDP, 0));
      chan_buf(&ch, 0)[0] = 1;
      chan_buf(&ch, NC_NSLOTS + 3)[100] = 2;
      chan_buf(&ch, NC_NBUFS - 1)[NC_BUFSIZE - 1] = 3;
      // the frame reaches our own ring, or is dropped for want of
      // an owner, or is left in a TX slot never synced.
      len = udpframe(frame, 0, ourip, port, i % 3 == 1 ? 9 : port, i, i % 300);
      if(i % 3 == 2)
        want(s, "chan_send", chan_send(&ch, frame, len), 0);
      else
        sendframe(s, frame, len);
      exit(0);
    }
    if(waitst(s, pid) != 0){
      printf("%s: cycle %d failed\n", s, i);
      exit(1);
    }
  }
  // an idle hart frees the last child's page-table root at its next
  // tick (proc.c rootfree): give it a few.
  f1 = freemem();
  for(int k = 0; k < 20 && f1 < f0; k++){
    sleep(10);
    f1 = freemem();
  }
  if(f1 < f0){
    printf("%s: free pages %d before %d cycles, %d after\n", s, f0, n, f1);
    exit(1);
  }
}

// exec closes the channel and frees its claims; a failed exec does not.
static void
execclose(char *s)
{
  int p[2], pid, r = 0;
  uint64 t0;
  char *args[] = { "sleep", "2", 0 };

  wantok(s, "pipe", pipe(p));
  pid = xfork(s);
  if(pid == 0){
    char *bad[] = { "nosuchprogram", 0 };
    xopen(s);
    xclaim(s, NC_PROTO_UDP, 7070);
    if(exec("nosuchprogram", bad) >= 0)
      fail(s, "exec of nosuchprogram succeeded");
    want(s, "netsync after a failed exec", netsync(ch.fd, 0), 0);
    want(s, "claim after a failed exec", chan_claim(&ch, NC_PROTO_UDP, 7070), -EADDRINUSE);
    tell(s, p[1]);
    exec("sleep", args);
    fail(s, "exec sleep failed");
  }
  hear(s, p[0]);
  xopen(s);
  t0 = clock();
  while(msince(t0) < 1500 && (r = chan_claim(&ch, NC_PROTO_UDP, 7070)) == -EADDRINUSE)
    sleep(10);
  want(s, "claim of the port after the owner's exec", r, 7070);
  if(msince(t0) >= 1500)
    fail(s, "port freed only when the exec'd program exited");
  wantexit0(s, "sleep", pid);
}

// poll() on a channel blocks until a frame arrives, or times out.
static void
pollchan(char *s)
{
  int ready[2], go[2], pid, r, ms;
  struct pollfd pf;
  uint64 t0;

  wantok(s, "pipe", pipe(ready));
  wantok(s, "pipe", pipe(go));
  pid = xfork(s);
  if(pid == 0){
    xopen(s);
    xclaim(s, NC_PROTO_UDP, 7081);
    hear(s, go[0]);
    sleep(300);
    sendframe(s, frame, udpframe(frame, 0, ourip, 7081, 7080, 1, 32));
    exit(0);
  }
  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7080);
  pf.fd = ch.fd;
  pf.events = POLLIN;
  pf.revents = 0;
  t0 = clock();
  r = poll(&pf, 1, 200);
  ms = msince(t0);
  want(s, "poll with nothing to receive", r, 0);
  if(ms < 150 || ms > 2000){
    printf("%s: poll(200 ms) returned after %d ms\n", s, ms);
    exit(1);
  }
  tell(s, go[1]);
  t0 = clock();
  r = poll(&pf, 1, 5000);
  ms = msince(t0);
  want(s, "poll while a frame comes", r, 1);
  if((pf.revents & POLLIN) == 0){
    printf("%s: poll revents 0x%x, wanted POLLIN\n", s, pf.revents);
    exit(1);
  }
  if(ms < 200 || ms > 4000){
    printf("%s: poll returned after %d ms, the frame was sent after 300\n", s, ms);
    exit(1);
  }
  want(s, "frame received after poll", recvudp(s, 7080, frame2, 1000), HDRS + 32);
  wantexit0(s, "sender", pid);
}

// netsync with a timeout and nothing to receive returns 0 after about
// the timeout; with timeout 0 at once.
static void
synctimeout(char *s)
{
  uint64 t0;
  int r, ms;

  xopen(s);
  t0 = clock();
  r = netsync(ch.fd, 0);
  ms = msince(t0);
  want(s, "netsync(0)", r, 0);
  if(ms > 100){
    printf("%s: netsync(0) took %d ms\n", s, ms);
    exit(1);
  }
  t0 = clock();
  r = netsync(ch.fd, 300);
  ms = msince(t0);
  want(s, "netsync(300)", r, 0);
  if(ms < 280 || ms > 2000){
    printf("%s: netsync(300) returned after %d ms\n", s, ms);
    exit(1);
  }
}

// A process blocked in netsync forever can still be killed.
static void
killsync(char *s)
{
  int p[2], pid;

  wantok(s, "pipe", pipe(p));
  pid = xfork(s);
  if(pid == 0){
    xopen(s);
    tell(s, p[1]);
    netsync(ch.fd, -1);
    exit(0);
  }
  hear(s, p[0]);
  sleep(100);
  wantok(s, "kill", kill(pid));
  if(waitst(s, pid) == 0)
    fail(s, "killed child exited 0");
}

// Channels are limited system-wide; when all are taken netopen says
// -ENFILE, and they come back when their owners exit.
#define NKIDS 20
static void
chanlimit(char *s)
{
  int res[2], done[2], pid[NKIDS], ok = 0, full = 0;
  char c;

  wantok(s, "pipe", pipe(res));
  wantok(s, "pipe", pipe(done));
  for(int i = 0; i < NKIDS; i++){
    pid[i] = xfork(s);
    if(pid[i] == 0){
      close(done[1]);
      int r = netopen(0);
      c = r >= 0 ? 'o' : r == -ENFILE ? 'f' : 'e';
      write(res[1], &c, 1);
      read(done[0], &c, 1);
      exit(0);
    }
  }
  for(int i = 0; i < NKIDS; i++){
    want(s, "read result", read(res[0], &c, 1), 1);
    if(c == 'o')
      ok++;
    else if(c == 'f')
      full++;
    else
      fail(s, "netopen failed with neither success nor -ENFILE");
  }
  close(done[1]);
  for(int i = 0; i < NKIDS; i++){
    int st = 0, w = wait(&st);
    if(w < 0 || st != 0){
      printf("%s: wait returned %d, status %d\n", s, w, st);
      exit(1);
    }
  }
  if(full == 0 || ok + full != NKIDS){
    printf("%s: %d of %d opens succeeded, %d got -ENFILE\n", s, ok, NKIDS, full);
    exit(1);
  }
  xopen(s);
}

// --- the runner ----------------------------------------------------------

// An ICMP error from us about a datagram sent to dport: time exceeded,
// reassembly, quoting its IPv4 and UDP headers (RFC 792). Returns the
// frame's length.
static int
icmperrframe(uint8 *f, int dport)
{
  static const uint8 gwmac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
  uint8 *ip = f + 14, *ic = ip + 20, *q = ic + 8, *u = q + 20;
  uint32 peer = 0x0a000202;

  memset(f, 0, 14 + 20 + 8 + 28);
  memmove(f, gwmac, 6);
  memmove(f + 6, ch.info->mac, 6);
  put16(f + 12, 0x0800);
  ip[0] = 0x45;
  put16(ip + 2, 20 + 8 + 28);
  ip[8] = 64;
  ip[9] = 1;
  put32(ip + 12, ourip);
  put32(ip + 16, peer);
  put16(ip + 10, cksum_fold(cksum_add(0, ip, 20)));
  ic[0] = 11;
  ic[1] = 1;
  q[0] = 0x45;
  put16(q + 2, 28);
  q[8] = 64;
  q[9] = 17;
  put32(q + 12, peer);
  put32(q + 16, ourip);
  put16(q + 10, cksum_fold(cksum_add(0, q, 20)));
  put16(u, 5555);
  put16(u + 2, dport);
  put16(u + 4, 8);
  put16(ic + 2, cksum_fold(cksum_add(0, ic, 8 + 28)));
  return 14 + 20 + 8 + 28;
}

// A process may send an ICMP error about a datagram sent to a port it
// holds (its stack times out a reassembly), and about no other port.
static void
icmperr(char *s)
{
  int len, mine = 7300, other = 7301;

  xopen(s);
  xclaim(s, NC_PROTO_UDP, mine);
  xstat(s, ch.fd, &st0);
  len = icmperrframe(frame, mine);
  sendframe(s, frame, len);
  len = icmperrframe(frame, other);
  sendframe(s, frame, len);
  len = icmperrframe(frame2, mine);   // again: a permitted one after the refused
  sendframe(s, frame2, len);
  wantok(s, "netsync", netsync(ch.fd, 100));
  xstat(s, ch.fd, &st1);
  wantdelta(s, "channel", &st0, &st1, NC_tx_reject_srcport, 1);
  wantdelta(s, "channel", &st0, &st1, NC_tx_reject_proto, 0);
  wantdelta(s, "channel", &st0, &st1, NC_tx_frames, 2);
}


// Loopback moves the sender's page to the receiver: what lies past the
// frame's end (the sender's earlier frames, anything it kept there) must
// not go with it. The receiver sees no more than a wire would show.
static void
looptail(char *s)
{
  int p[2], pid, len;
  uint8 *b, *f;

  wantok(s, "pipe", pipe(p));
  pid = xfork(s);
  if(pid == 0){
    xopen(s);
    xclaim(s, NC_PROTO_UDP, 7050);
    tell(s, p[1]);
    for(int i = 0; i < 10; i++){
      uint64 t0 = clock();
      while((f = chan_rxframe(&ch, &len)) == 0 || !udpto(f, len, 7050)){
        if(f)
          chan_rxpop(&ch);
        if(msince(t0) > 5000)
          fail(s, "a looped-back frame never came");
        wantok(s, "netsync", netsync(ch.fd, 100));
      }
      for(int j = len; j < NC_BUFSIZE; j++)
        if(f[j] == 0xa7){
          printf("%s: frame %d (%d bytes): the sender's byte 0xa7 at offset %d\n", s, i, len, j);
          exit(1);
        }
      chan_rxpop(&ch);
    }
    exit(0);
  }
  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7051);
  hear(s, p[0]);
  for(int i = 0; i < 10; i++){
    while((b = chan_txbuf(&ch)) == 0)
      wantok(s, "netsync", netsync(ch.fd, 100));
    memset(b, 0xa7, NC_BUFSIZE);   // what the sender keeps in its buffer
    len = udpframe(b, 0, ourip, 7051, 7050, i, 8 + i);
    chan_txpush(&ch, len);
    wantok(s, "netsync", netsync(ch.fd, 0));
  }
  wantexit0(s, "receiver", pid);
  xstat(s, ch.fd, &st1);
  if(st1.v[NC_wipe_bytes] < 10 * (NC_BUFSIZE - NC_FRAMEMAX))
    fail(s, "wipe_bytes does not count the wiped tails");
}

// A channel may hold NC_CLAIMQUOTA claims and no more (-EDQUOT, and
// counted); it cannot crowd another channel out, which still claims.
static void
claimquota(char *s)
{
  int ready[2], done[2], pid, r, n = 0;

  wantok(s, "pipe", pipe(ready));
  wantok(s, "pipe", pipe(done));
  pid = xfork(s);
  if(pid == 0){
    xopen(s);
    while((r = chan_claim(&ch, NC_PROTO_UDP, 0)) > 0)
      n++;
    want(s, "claim past the quota", r, -EDQUOT);
    want(s, "claims held", n, NC_CLAIMQUOTA);
    want(s, "TCP claim past the quota", chan_claim(&ch, NC_PROTO_TCP, 7060), -EDQUOT);
    xstat(s, ch.fd, &st1);
    want(s, "claim_reject_quota", st1.v[NC_claim_reject_quota], 2);
    tell(s, ready[1]);
    hear(s, done[0]);
    exit(0);
  }
  close(ready[1]);   // a child that fails closes the pipe: no hang here
  hear(s, ready[0]);
  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7061);
  xclaim(s, NC_PROTO_ICMP, 7061);
  r = chan_claim(&ch, NC_PROTO_TCP, 0);
  if(r < NC_EPHEMERAL_LO)
    fail(s, "an ephemeral claim failed while another channel held its quota");
  tell(s, done[1]);
  wantexit0(s, "hog", pid);
  // the hog's claims died with it: a whole quota fits again.
  for(n = 0; n < NC_CLAIMQUOTA - 3; n++)
    wantok(s, "claim after the hog exited", chan_claim(&ch, NC_PROTO_UDP, 0));
  want(s, "claim past the quota", chan_claim(&ch, NC_PROTO_UDP, 0), -EDQUOT);
}

// Write into f a UDP fragment from our port sport to ourip:dport: IPv4
// id, offset off (bytes, a multiple of 8), more-fragments mf, with plen
// bytes of payload (no UDP header after the first). Returns its length.
static int
fragframe(uint8 *f, int sport, int dport, int id, int off, int mf, int plen)
{
  int len = udpframe(f, 0, ourip, sport, dport, id, plen);
  uint8 *ip = f + 14;

  put16(ip + 6, (mf ? 0x2000 : 0) | (off / 8));
  put16(ip + 10, 0);
  put16(ip + 10, cksum_fold(cksum_add(0, ip, 20)));
  return len;
}

// A channel may send a later fragment only of a datagram whose first
// fragment it sent, and no first fragment with another channel's live
// (destination, id, protocol): else it could splice its bytes into
// another process's datagram at the far end.
static void
fraglater(char *s)
{
  int ready[2], done[2], pid, len;

  wantok(s, "pipe", pipe(ready));
  wantok(s, "pipe", pipe(done));
  pid = xfork(s);
  if(pid == 0){
    xopen(s);
    xclaim(s, NC_PROTO_UDP, 7071);
    hear(s, ready[0]);
    xstat(s, ch.fd, &st0);
    len = fragframe(frame, 7071, 7072, 0x5150, 64, 1, 40);
    sendframe(s, frame, len);                        // the other's datagram: refused
    len = fragframe(frame, 7071, 7072, 0x5150, 0, 1, 40);
    sendframe(s, frame, len);                        // its id, as a first: refused
    len = fragframe(frame, 7071, 7072, 0x5151, 64, 0, 40);
    sendframe(s, frame, len);                        // no first sent: refused
    len = fragframe(frame, 7071, 7072, 0x5152, 0, 1, 40);
    sendframe(s, frame, len);                        // its own first: sent
    len = fragframe(frame, 7071, 7072, 0x5152, 48, 0, 40);
    sendframe(s, frame, len);                        // and its later fragment
    wantok(s, "netsync", netsync(ch.fd, 100));
    xstat(s, ch.fd, &st1);
    wantdelta(s, "other", &st0, &st1, NC_tx_reject_fragment, 2);
    wantdelta(s, "other", &st0, &st1, NC_tx_reject_fragid, 1);
    wantdelta(s, "other", &st0, &st1, NC_tx_frames, 2);
    tell(s, done[1]);
    exit(0);
  }
  close(done[1]);    // a child that fails closes the pipe: no hang here
  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7070);
  xclaim(s, NC_PROTO_UDP, 7072);   // every fragment lands here, none in netd's reassembly
  xstat(s, ch.fd, &st0);
  len = fragframe(frame, 7070, 7072, 0x5150, 0, 1, 40);
  sendframe(s, frame, len);                          // first: sent, and ours
  len = fragframe(frame, 7070, 7072, 0x5150, 48, 1, 40);
  sendframe(s, frame, len);                          // a later one of ours: sent
  tell(s, ready[1]);
  hear(s, done[0]);
  len = fragframe(frame, 7070, 7072, 0x5150, 96, 0, 40);
  sendframe(s, frame, len);                          // still ours after the other tried
  wantok(s, "netsync", netsync(ch.fd, 100));
  xstat(s, ch.fd, &st1);
  wantdelta(s, "owner", &st0, &st1, NC_tx_frames, 3);
  wantdelta(s, "owner", &st0, &st1, NC_tx_reject_fragment, 0);
  wantexit0(s, "other", pid);
}

// A process that sends one frame and waits gets its buffer back once
// the device is done, without pushing another frame: the slot the
// kernel keeps holds the kernel's own buffer, not the last one sent.
static void
txlast(char *s)
{
  uint32 b, h;
  uint64 t0;
  int len, back = 0;

  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7080);
  for(int round = 0; round < 3; round++){
    h = ch.tx->head;
    b = ch.tx->slot[h].buf;
    len = udpframe(chan_buf(&ch, b), 0, ourip, 7080, 7081, round, 18);  // looped back
    chan_txpush(&ch, len);
    t0 = clock();
    for(back = 0; !back && msince(t0) < 2000; ){
      wantok(s, "netsync", netsync(ch.fd, 50));
      for(uint32 k = ch.tx->head; k != ch.tx->tail; k = nc_next(k))
        if(ch.tx->slot[k].buf == b)
          back = 1;
    }
    if(!back){
      printf("%s: round %d: buffer %d, sent from slot %d, not back in 2 s (head %d tail %d)\n",
             s, round, b, h, ch.tx->head, ch.tx->tail);
      exit(1);
    }
    want(s, "free TX slots", nc_ring_space(ch.tx), NC_NSLOTS - 1);
  }
}

// A channel takes no page for the buffers that start in RX slots, and
// frees the page of a buffer given back once that is safe: after a ring
// and a half of frames to itself, read and given back, it holds about
// what it held when opened (docs/architecture.md, memory per channel).
static void
rxmemory(char *s)
{
  int f0, f1, f2, len, n;
  uint8 *f;

  // Slack (128 pages at open, 64 after): the region's page-table pages, and what
  // other processes and the device take and give meanwhile. Before, a
  // channel took 1171 pages at open, and grew by 512 if pages of given-
  // back buffers were kept.
  f0 = freemem();
  xopen(s);
  xclaim(s, NC_PROTO_UDP, 7090);
  f1 = freemem();
  if(f0 - f1 > NC_NBUFS - NC_NSLOTS + 128){
    printf("%s: netopen took %d pages, wanted at most %d\n", s, f0 - f1,
           NC_NBUFS - NC_NSLOTS + 128);
    exit(1);
  }
  for(int i = 0; i < NC_NSLOTS * 3 / 2; i++){
    len = udpframe(frame, 0, ourip, 7090, 7090, i, 100);
    sendframe(s, frame, len);
    for(n = 0; (f = chan_rxframe(&ch, &len)) != 0; n++)
      chan_rxpop(&ch);
  }
  for(int i = 0; i < 3; i++)
    wantok(s, "netsync", netsync(ch.fd, 20));
  while(chan_rxframe(&ch, &len) != 0)
    chan_rxpop(&ch);
  wantok(s, "netsync", netsync(ch.fd, 20));
  f2 = freemem();
  if(f1 - f2 > 64){
    printf("%s: the channel grew by %d pages over %d frames\n", s, f1 - f2, NC_NSLOTS * 3 / 2);
    exit(1);
  }
}

// Fill every free TX slot with a frame for the wire, to 10.0.2.2
// through QEMU's gateway MAC. Returns how many were handed over.
static const uint8 gwmac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static int
txfill(int port, int id)
{
  uint8 *b;
  int n = 0, len;

  while((b = chan_txbuf(&ch)) != 0){
    len = udpframe(b, gwmac, 0x0a000202, port, 9, id + n, 18);
    chan_txpush(&ch, len);
    n++;
  }
  return n;
}

// Wait for a TX slot to come back, by netsync (how = 0) or by poll for
// POLLOUT (how = 1), with a 10 s timeout. POLLOUT says a netsync makes
// progress: it may send frames that waited for room in the device, and
// the slots come back later, so poll is asked again, a few times at
// most. Returns the ms it took.
static int
txwait(char *s, int how)
{
  struct pollfd pf;
  uint64 t0 = clock();
  int r, polls = 0;

  if(how == 0){
    wantok(s, "netsync(10000)", netsync(ch.fd, 10000));
    return msince(t0);
  }
  while(nc_ring_space(ch.tx) == 0 && msince(t0) < 10000){
    pf.fd = ch.fd;
    pf.events = POLLOUT;
    pf.revents = 0;
    r = poll(&pf, 1, 10000);
    if(++polls > 4){
      printf("%s: poll said POLLOUT %d times, no TX slot came back\n", s, polls);
      exit(1);
    }
    want(s, "poll(POLLOUT, 10000)", r, 1);
    want(s, "poll revents", pf.revents, POLLOUT);
    wantok(s, "netsync(0)", netsync(ch.fd, 0));
  }
  return msince(t0);
}

// Fill the device's TX queue from another process: a child hands over
// its whole TX ring and keeps quiet until told. Returns its pid; the
// child has handed its frames over when this returns.
static int
txhog(char *s, int *ready, int *go, int port)
{
  int pid = xfork(s);

  if(pid == 0){
    xopen(s);
    xclaim(s, NC_PROTO_UDP, port);
    txfill(port, 0);
    wantok(s, "hog netsync(0)", netsync(ch.fd, 0));
    tell(s, ready[1]);
    hear(s, go[0]);
    exit(0);
  }
  hear(s, ready[0]);
  return pid;
}

// One round of txwake: fill the ring, hand it over, wait for slots by
// netsync (how 0) or poll (how 1), then take every slot back.
static void
txround(char *s, int how, int port, int shared)
{
  int n, ms, space;

  n = txfill(port, how * NC_NSLOTS);
  if(n < NC_NSLOTS - 2){
    printf("%s: only %d free TX slots to fill\n", s, n);
    exit(1);
  }
  wantok(s, "netsync(0)", netsync(ch.fd, 0));
  space = nc_ring_space(ch.tx);
  if(testarg > 0 && space != 0){
    printf("%s: %d TX slots back at once, the device should hold them\n", s, space);
    exit(1);
  }
  if(space == 0){
    ms = txwait(s, how);
    space = nc_ring_space(ch.tx);
    if(space == 0 || ms > 7000 || (testarg > 0 && ms < testarg / 2)){
      printf("%s: %s%s waited %d ms for TX slots, %d back (device holds %d ms)\n",
             s, how ? "poll" : "netsync", shared ? " behind another sender" : "",
             ms, space, testarg);
      exit(1);
    }
  }
  for(uint64 t0 = clock(); nc_ring_space(ch.tx) < n; ){
    if(msince(t0) > 8000)
      fail(s, "TX slots not all back in 8 s");
    wantok(s, "netsync", netsync(ch.fd, 100));
  }
}

// A process whose TX slots are all in flight waits in netsync (or
// poll(POLLOUT)) until the device gives some back, not until its
// timeout: libnet never blocks in a send, it keeps its data and waits
// here. Alone, its own frames fill the device; shared, another
// process's do, and none of its own is in the device when it starts to
// wait, only queued behind. With an argument N the device holds each
// burst N ms (make NETDEVOPTS=,tx=timer,x-txtimer=...): then the ring
// must be full when the wait starts, and the wait must take about N ms
// (or 2N behind another sender), not the 10 s timeout.
static void
txwake(char *s)
{
  int ready[2], go[2], pid;

  for(int how = 0; how < 2; how++){
    pid = xfork(s);
    if(pid == 0){
      xopen(s);
      xclaim(s, NC_PROTO_UDP, 7110);
      txround(s, how, 7110, 0);
      exit(0);
    }
    wantexit0(s, "sender alone", pid);
  }
  for(int how = 0; how < 2; how++){
    wantok(s, "pipe", pipe(ready));
    wantok(s, "pipe", pipe(go));
    pid = txhog(s, ready, go, 7111);
    xopen(s);
    xclaim(s, NC_PROTO_UDP, 7112);
    txround(s, how, 7112, 1);
    wantok(s, "close", chan_close(&ch));
    tell(s, go[1]);
    wantexit0(s, "hog", pid);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
  }
}

struct test tests[] = {
  {loopback, "loopback", QUICK},
  {claims, "claims", QUICK},
  {ephemeral, "ephemeral", QUICK},
  {ringfull, "ringfull", QUICK},
  {txfull, "txfull", QUICK},
  {hostile, "hostile", QUICK},
  {infopage, "infopage", QUICK},
  {givenback, "givenback", QUICK},
  {errors, "errors", QUICK},
  {execclose, "execclose", QUICK},
  {pollchan, "pollchan", QUICK},
  {synctimeout, "synctimeout", QUICK},
  {killsync, "killsync", QUICK},
  {chanlimit, "chanlimit", QUICK},
  {opencycles, "opencycles", QUICK},
  {icmperr, "icmperr", QUICK},
  {looptail, "looptail", QUICK},
  {claimquota, "claimquota", QUICK},
  {fraglater, "fraglater", QUICK},
  {txlast, "txlast", QUICK},
  {rxmemory, "rxmemory", QUICK},
  {txwake, "txwake", QUICK},
  {0, 0, 0},
};

// nettests: the network channel's tests, each in a child of its own.
// usage: nettests [-q | -a] [name [N] ...]
// A number after a name is its argument (opencycles: cycles; hostile:
// garbage rounds).
int
main(int argc, char *argv[])
{
  testmain("nettests", tests, argc, argv);
}
