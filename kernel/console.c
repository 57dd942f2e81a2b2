// The console: line-buffered input from the UART, output to it.
// Reads return one line at a time; ^D ends input, ^U erases the line,
// backspace erases a character, ^P lists processes.
// The console joins poll(): it is readable when a whole line (or ^D)
// is waiting.
#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "memlayout.h"
#include "riscv.h"
#include "proc.h"
#include "defs.h"
#include "errno.h"
#include "poll.h"

#define BACKSPACE 0x100
#define C(x)  ((x)-'@')  // Control-x

// Echo one character, erasing for a backspace.
void
consputc(int c)
{
  if(c == BACKSPACE){
    uartputc_sync('\b'); uartputc_sync(' '); uartputc_sync('\b');
  } else {
    uartputc_sync(c);
  }
}

struct {
  struct spinlock lock;
  struct spinlock wlock;  // keeps one write() together on the screen
#define INPUT_BUF_SIZE 128
  char buf[INPUT_BUF_SIZE];
  uint r;  // read index
  uint w;  // write index: end of the last complete line
  uint e;  // edit index
} cons;

// Write n bytes from user (or kernel) address src to the console.
int
consolewrite(int user_src, uint64 src, int n)
{
  char chunk[64];
  int i = 0;

  acquire(&cons.wlock);
  while(i < n){
    int m = n - i < sizeof(chunk) ? n - i : sizeof(chunk);
    if(either_copyin(chunk, user_src, src + i, m) == -1){
      release(&cons.wlock);
      return i > 0 ? i : -EFAULT;
    }
    for(int j = 0; j < m; j++)
      uartputc_sync(chunk[j]);
    i += m;
  }
  release(&cons.wlock);
  return n;
}

// Read up to one line into dst. Blocks until a line is complete.
// Returns bytes read, 0 at ^D on an empty line, -EINTR if killed.
int
consoleread(int user_dst, uint64 dst, int n)
{
  uint target = n;
  int c;
  char cbuf;

  acquire(&cons.lock);
  while(n > 0){
    while(cons.r == cons.w){
      if(killed(myproc())){
        release(&cons.lock);
        return -EINTR;
      }
      sleepintr(&cons.r, &cons.lock);
    }

    c = cons.buf[cons.r++ % INPUT_BUF_SIZE];

    if(c == C('D')){  // end-of-file
      if(n < target){
        // keep ^D for next time, so the caller gets a 0-byte result.
        cons.r--;
      }
      break;
    }

    cbuf = c;
    if(either_copyout(user_dst, dst, &cbuf, 1) == -1){
      if(n == target){
        release(&cons.lock);
        return -EFAULT;
      }
      break;
    }
    dst++;
    --n;
    if(c == '\n')
      break;
  }
  release(&cons.lock);
  return target - n;
}

// Readable when a complete line or ^D is waiting; always writable.
int
consolepoll(int events)
{
  int ready = POLLOUT;

  acquire(&cons.lock);
  if(cons.r != cons.w)
    ready |= POLLIN;
  release(&cons.lock);
  return ready & (events | POLLERR | POLLHUP);
}

// One input character from the UART interrupt: edit the line, echo it,
// and wake readers (and pollers) when a line is complete.
void
consoleintr(int c)
{
  acquire(&cons.lock);

  switch(c){
  case C('P'):
    procdump();
    break;
  case C('U'):
    while(cons.e != cons.w && cons.buf[(cons.e-1) % INPUT_BUF_SIZE] != '\n'){
      cons.e--;
      consputc(BACKSPACE);
    }
    break;
  case C('H'):
  case '\x7f':
    if(cons.e != cons.w){
      cons.e--;
      consputc(BACKSPACE);
    }
    break;
  default:
    if(c != 0 && cons.e - cons.r < INPUT_BUF_SIZE){
      c = (c == '\r') ? '\n' : c;
      consputc(c);
      cons.buf[cons.e++ % INPUT_BUF_SIZE] = c;
      if(c == '\n' || c == C('D') || cons.e - cons.r == INPUT_BUF_SIZE){
        cons.w = cons.e;
        wakeup(&cons.r);
        pollwakeup();
      }
    }
    break;
  }

  release(&cons.lock);
}

void
consoleinit(void)
{
  initlock(&cons.lock, "cons");
  initlock(&cons.wlock, "conswrite");
  uartinit();

  devsw[CONSOLE].read = consoleread;
  devsw[CONSOLE].write = consolewrite;
  devsw[CONSOLE].poll = consolepoll;
}
