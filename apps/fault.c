// fault: fault on purpose, to exercise the kernel's trap handling. The
// kernel should kill it with a one-line message and carry on. It prints
// nothing before faulting; a line afterwards means the fault was missed.
//
//   fault        load from address 0 (page 0 is never mapped)
//   fault ill    execute an illegal instruction
//   fault store  store into the program's own read-only text
//   fault wild   load from 0xdeadbeef000, far above anything mapped
#include "apps/user.h"

// Hides an address from the compiler, which would otherwise see the
// undefined behaviour and emit a trap or nothing instead of the access.
static uint64
opaque(uint64 a)
{
  asm volatile("" : "+r"(a));
  return a;
}

// fault: make a deliberate fault
// usage: fault [ill | store | wild]
int
main(int argc, char *argv[])
{
  const char *mode = argc > 1 ? argv[1] : "null";
  volatile int x = 0;

  if(strcmp(mode, "null") == 0)
    x = *(volatile int*)opaque(0);
  else if(strcmp(mode, "ill") == 0)
    asm volatile(".4byte 0");   // all-zero bits: defined illegal in RISC-V
  else if(strcmp(mode, "store") == 0)
    *(volatile int*)opaque((uint64)main) = 0;
  else if(strcmp(mode, "wild") == 0)
    x = *(volatile int*)opaque(0xdeadbeef000UL);
  else {
    fprintf(2, "usage: fault [ill | store | wild]\n");
    return 2;
  }
  fprintf(2, "fault: %s: survived (x=%d)\n", mode, x);
  return 1;
}
