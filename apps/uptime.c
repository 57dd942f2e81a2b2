// uptime: print how long the system has been running, in seconds to
// the millisecond, from the microsecond clock.
#include "apps/user.h"

// uptime: show time since boot
// usage: uptime
int
main(void)
{
  uint64 us = clock();

  printf("up %lu.%03lu s\n", us / 1000000, (us / 1000) % 1000);
  return 0;
}
