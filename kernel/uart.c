// Driver for the 16550a UART QEMU emulates at UART0.
// Output is synchronous: the emulated transmitter is always ready at
// once, so waiting for it costs nothing and keeps this file short.
// Input arrives by interrupt and goes to consoleintr().
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"

// the UART's registers, relative to UART0 (16550 datasheet).
#define Reg(reg) ((volatile unsigned char *)(UART0 + (reg)))
#define RHR 0                 // receive holding register (input bytes)
#define THR 0                 // transmit holding register (output bytes)
#define IER 1                 // interrupt enable register
#define IER_RX_ENABLE (1<<0)
#define FCR 2                 // FIFO control register
#define FCR_FIFO_ENABLE (1<<0)
#define FCR_FIFO_CLEAR (3<<1) // clear the content of the two FIFOs
#define LCR 3                 // line control register
#define LCR_EIGHT_BITS (3<<0)
#define LCR_BAUD_LATCH (1<<7) // special mode to set baud rate
#define LSR 5                 // line status register
#define LSR_RX_READY (1<<0)   // input is waiting to be read from RHR
#define LSR_TX_IDLE (1<<5)    // THR can accept another character to send

#define ReadReg(reg) (*(Reg(reg)))
#define WriteReg(reg, v) (*(Reg(reg)) = (v))

extern volatile int panicked; // from printf.c

void
uartinit(void)
{
  WriteReg(IER, 0x00);               // interrupts off while we set up
  WriteReg(LCR, LCR_BAUD_LATCH);     // 38.4K baud: divisor 3
  WriteReg(0, 0x03);
  WriteReg(1, 0x00);
  WriteReg(LCR, LCR_EIGHT_BITS);     // 8 bits, no parity, baud latch off
  WriteReg(FCR, FCR_FIFO_ENABLE | FCR_FIFO_CLEAR);
  WriteReg(IER, IER_RX_ENABLE);      // interrupt on received bytes only
}

// Write one byte, waiting for the transmitter. Safe anywhere, also in
// interrupt handlers and panic().
void
uartputc_sync(int c)
{
  push_off();
  if(panicked)
    for(;;)
      ;
  while((ReadReg(LSR) & LSR_TX_IDLE) == 0)
    ;
  WriteReg(THR, c);
  pop_off();
}

void
uartputc(int c)
{
  uartputc_sync(c);
}

// One input byte, or -1 if none is waiting.
int
uartgetc(void)
{
  if(ReadReg(LSR) & LSR_RX_READY)
    return ReadReg(RHR);
  return -1;
}

// The UART interrupted: pass every waiting input byte to the console.
void
uartintr(void)
{
  int c;

  while((c = uartgetc()) != -1)
    consoleintr(c);
}
