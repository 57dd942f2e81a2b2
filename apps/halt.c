// halt: power the machine off. The file system is consistent at any
// moment (its log sees to that), so nothing is synced first.
#include "apps/user.h"

// halt: stop the system
// usage: halt
int
main(void)
{
  int r = halt();

  fprintf(2, "halt: %s\n", strerror(r < 0 ? -r : EIO));
  return 1;
}
