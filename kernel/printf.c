// Kernel printf and panic. Output goes straight to the UART, under a
// lock so lines from different harts do not interleave.
#include <stdarg.h>

#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"
#include "proc.h"

volatile int panicked = 0;

static struct {
  struct spinlock lock;
  int locking;     // 0 while panicking: never wait for the lock then
} pr;

static char digits[] = "0123456789abcdef";

static void
printint(long long xx, int base, int sign)
{
  char buf[24];
  int i;
  unsigned long long x;

  if(sign && (sign = (xx < 0)))
    x = -xx;
  else
    x = xx;

  i = 0;
  do {
    buf[i++] = digits[x % base];
  } while((x /= base) != 0);

  if(sign)
    buf[i++] = '-';

  while(--i >= 0)
    consputc(buf[i]);
}

static void
printptr(uint64 x)
{
  consputc('0');
  consputc('x');
  for(int i = 0; i < (sizeof(uint64) * 2); i++, x <<= 4)
    consputc(digits[x >> (sizeof(uint64) * 8 - 4)]);
}

// Print to the console. Knows %d, %u, %x, %p, %s, %c, %%, and the l and
// ll size prefixes on d, u and x.
int
printf(char *fmt, ...)
{
  va_list ap;
  int i, c, locking;
  char *s;

  locking = pr.locking;
  if(locking)
    acquire(&pr.lock);

  va_start(ap, fmt);
  for(i = 0; (c = fmt[i] & 0xff) != 0; i++){
    if(c != '%'){
      consputc(c);
      continue;
    }
    int longs = 0;
    c = fmt[++i] & 0xff;
    while(c == 'l'){
      longs++;
      c = fmt[++i] & 0xff;
    }
    if(c == 0)
      break;
    switch(c){
    case 'd':
      printint(longs ? va_arg(ap, long long) : va_arg(ap, int), 10, 1);
      break;
    case 'u':
      printint(longs ? va_arg(ap, uint64) : va_arg(ap, uint32), 10, 0);
      break;
    case 'x':
      printint(longs ? va_arg(ap, uint64) : va_arg(ap, uint32), 16, 0);
      break;
    case 'p':
      printptr(va_arg(ap, uint64));
      break;
    case 'c':
      consputc(va_arg(ap, uint));
      break;
    case 's':
      if((s = va_arg(ap, char*)) == 0)
        s = "(null)";
      for(; *s; s++)
        consputc(*s);
      break;
    case '%':
      consputc('%');
      break;
    default:
      // unknown: print it as written so the mistake shows.
      consputc('%');
      consputc(c);
      break;
    }
  }
  va_end(ap);

  if(locking)
    release(&pr.lock);

  return 0;
}

// A broken kernel invariant: say where and why, freeze every hart.
void
panic(char *s)
{
  pr.locking = 0;
  printf("panic: %s (hart %d, called from %p)\n", s, cpuid(), __builtin_return_address(0));
  panicked = 1; // freeze uart output from other CPUs
  for(;;)
    ;
}

void
printfinit(void)
{
  initlock(&pr.lock, "pr");
  pr.locking = 1;
}
