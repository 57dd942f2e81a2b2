// The RISC-V Platform-Level Interrupt Controller: routes the UART and
// virtio interrupts to each hart's supervisor context.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

void
plicinit(void)
{
  // a non-zero priority enables each interrupt source.
  *(uint32*)(PLIC + UART0_IRQ*4) = 1;
  *(uint32*)(PLIC + VIRTIO0_IRQ*4) = 1;
  *(uint32*)(PLIC + VIRTIO1_IRQ*4) = 1;
  *(uint32*)(PLIC + VIRTIO2_IRQ*4) = 1;
}

void
plicinithart(void)
{
  int hart = cpuid();

  // this hart's S-mode context takes the uart and the three virtio devices.
  *(uint32*)PLIC_SENABLE(hart) = (1 << UART0_IRQ) | (1 << VIRTIO0_IRQ) |
    (1 << VIRTIO1_IRQ) | (1 << VIRTIO2_IRQ);

  // accept every priority above 0.
  *(uint32*)PLIC_SPRIORITY(hart) = 0;
}

// Which interrupt should we serve? 0 if none.
int
plic_claim(void)
{
  int hart = cpuid();
  return *(uint32*)PLIC_SCLAIM(hart);
}

// Tell the PLIC we have served this interrupt.
void
plic_complete(int irq)
{
  int hart = cpuid();
  *(uint32*)PLIC_SCLAIM(hart) = irq;
}
