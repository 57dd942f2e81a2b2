// sys.h: what libnet needs from its platform, the guest's user runtime
// or the Linux host's libc: memory, strings, errno, a millisecond clock,
// random bytes.
// Only this header knows which one it is built for.
#ifndef LIBNET_SYS_H
#define LIBNET_SYS_H
#include <stdint.h>
#include <stddef.h>

#ifdef LIBNET_HOST
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#define ln_printf printf
// A test may run libnet on a virtual clock by defining ln_vclock_us and
// moving it itself (test/twostack.h: two stacks, one clock). The
// reference is weak: in programs that do not define it, its address is
// 0 and the real clock runs.
extern uint64_t ln_vclock_us __attribute__((weak));
static inline uint64_t
ln_now_us(void)
{
  struct timespec ts;
  if(&ln_vclock_us != 0)
    return ln_vclock_us;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

// Fill buf with n random bytes from getrandom(2). Returns n, or -errno.
static inline int
ln_random(void *buf, int n)
{
  ssize_t r;

  for(int got = 0; got < n; got += r){
    r = getrandom((char*)buf + got, n - got, 0);
    if(r < 0 && errno == EINTR)
      r = 0;
    else if(r < 0)
      return -errno;
  }
  return n;
}
#else
#include "kernel/types.h"
#include "apps/user.h"
#define ln_printf printf
static inline uint64_t
ln_now_us(void)
{
  return clock();
}

// Fill buf with n random bytes, for TCP's initial sequence numbers
// (RFC 6528) and ephemeral ports (RFC 6056). getrandom gives at most
// GETRANDOM_MAX a call; without the entropy device its bytes are weak
// timer jitter (kernel/random.h). Returns n, or -E*.
static inline int
ln_random(void *buf, int n)
{
  int r;

  for(int got = 0; got < n; got += r)
    if((r = getrandom((char*)buf + got, n - got, 0)) <= 0)
      return r < 0 ? r : -EIO;
  return n;
}
#endif

// Milliseconds since some fixed point; libnet's timers run on it. Tests
// on the host may move it (ln_clock_offset) to expire timers at once.
extern int64_t ln_clock_offset_ms;
static inline uint64_t
ln_now_ms(void)
{
  return ln_now_us() / 1000 + ln_clock_offset_ms;
}
#endif
