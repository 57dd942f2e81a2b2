// Powering the machine off through the virt board's sifive_test device:
// a write of 0x5555 stops QEMU with exit status 0; 0x3333 | (code << 16)
// stops it with a failure code.
#include "types.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

void
poweroff(int code)
{
  volatile uint32 *dev = (uint32 *)TESTDEV;
  if(code == 0)
    *dev = 0x5555;
  else
    *dev = 0x3333 | ((uint32)code << 16);
  for(;;)
    ;
}
