// getrandom(): random bytes for processes (random.h has the contract).
// From the virtio entropy device (virtio_rng.c) when there is one, else
// from timer jitter, which is weak (below). Keeps no pool: every call
// reads the device afresh, so no two callers share bytes.
// Does not do: entropy estimation, reseeding schedules, or blocking
// until "enough" entropy: there is either a device or there is not.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "errno.h"
#include "random.h"
#include "defs.h"

#define DEVTRIES 4      // device reads per call before falling back

static struct spinlock randlock;   // guards the counters and jitter state
static uint64 jstate;              // jitter mixer state, carried between calls

// counters by source (not exported: kept for the debugger and the docs)
static uint64 dev_bytes;           // bytes the device gave
static uint64 jitter_bytes;        // bytes from timer jitter: no device
static uint64 jitter_short;        // bytes from jitter: the device gave too few

// splitmix64's finalizer (Steele, Lea, Flood, "Fast splittable
// pseudorandom number generators", 2014): every input bit flips about
// half the output bits. It spreads the few varying low bits of each
// counter reading over the word; it adds no entropy.
static uint64
mix64(uint64 x)
{
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// One 64-bit word of timer jitter. WEAK: it rests on the low bits of the
// cycle counter (under QEMU's TCG the host's time-stamp counter) varying
// unpredictably across a little work whose length depends on the last
// reading, 16 readings mixed per word. Nobody has measured how much an
// observer who knows the boot time could guess. randlock held.
static uint64
jitter64(void)
{
  uint64 c, t;

  for(int i = 0; i < 16; i++){
    c = r_cycle();
    t = r_time();
    jstate = mix64(jstate ^ c ^ (t << 32) ^ i);
    // a loop of data-dependent length, so the next reading lands a
    // varying number of cycles on
    for(volatile int k = jstate & 63; k > 0; k--)
      ;
  }
  return mix64(jstate ^ ticks);
}

// Fill dst[0..n) from timer jitter. randlock held.
static void
jitter_fill(uint8 *dst, int n)
{
  uint64 w = 0;

  for(int i = 0; i < n; i++){
    if(i % 8 == 0)
      w = jitter64();
    dst[i] = w;
    w >>= 8;
  }
}

void
random_init(void)
{
  initlock(&randlock, "random");
  jstate = mix64(r_cycle() ^ r_time());
}

// Fill dst with n (<= GETRANDOM_MAX) random bytes, from the device if
// there is one, else from jitter. With GRND_DEVICE, never from jitter:
// returns what the device gave (maybe fewer), -ENODEV without one, or
// -EIO if it gave nothing. Otherwise returns n. Process context.
int
random_read(uint8 *dst, int n, int flags)
{
  int got = 0, r;

  if(virtio_rng_present()){
    for(int i = 0; i < DEVTRIES && got < n; i++){
      if((r = virtio_rng_read(dst + got, n - got)) < 0)
        break;
      got += r;
    }
  }
  if(flags & GRND_DEVICE){
    acquire(&randlock);
    dev_bytes += got;
    release(&randlock);
    if(!virtio_rng_present())
      return -ENODEV;
    return got > 0 ? got : -EIO;
  }
  acquire(&randlock);
  dev_bytes += got;
  if(got < n){
    if(virtio_rng_present())
      jitter_short += n - got;
    else
      jitter_bytes += n - got;
    jitter_fill(dst + got, n - got);
  }
  release(&randlock);
  return n;
}

// int getrandom(void *buf, int n, int flags): random.h.
uint64
sys_getrandom(void)
{
  uint64 addr;
  int n, flags, r;
  uint8 b[GETRANDOM_MAX];

  argaddr(0, &addr);
  argint(1, &n);
  argint(2, &flags);
  if(n < 0 || (flags & ~(GRND_NONBLOCK | GRND_DEVICE)) != 0)
    return -EINVAL;
  if(n > GETRANDOM_MAX)
    n = GETRANDOM_MAX;
  if(n == 0)
    return 0;
  if((n = random_read(b, n, flags)) < 0)
    return n;
  r = copyout(myproc()->pagetable, addr, (char*)b, n);
  memset(b, 0, n);
  if(r < 0)
    return -EFAULT;
  return n;
}
