// Machine-mode start: runs once per hart on the entry stack, sets up
// what only machine mode can (delegation, PMP, the timer), then drops to
// supervisor mode in main(). Nothing else runs in machine mode.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

void main();

// entry.S needs one stack per CPU.
__attribute__ ((aligned (16))) char stack0[4096 * NCPU];

// The device tree QEMU loaded, physical (bootargs.c reads it).
uint64 bootdtb;

void
start(uint64 hartid, uint64 dtb)
{
  if(r_mhartid() == 0)
    bootdtb = dtb;

  // mret will "return" to supervisor mode, at main().
  uint64 x = r_mstatus();
  x &= ~MSTATUS_MPP_MASK;
  x |= MSTATUS_MPP_S;
  w_mstatus(x);
  w_mepc((uint64)main);

  // no paging until main() builds the kernel page table.
  w_satp(0);

  // hand all interrupts and exceptions to supervisor mode.
  w_medeleg(0xffff);
  w_mideleg(0xffff);
  w_sie(r_sie() | SIE_SEIE | SIE_STIE | SIE_SSIE);

  // PMP: give supervisor mode access to all of physical memory
  // (a TOR region up to the top of the address space, RWX).
  w_pmpaddr0(0x3fffffffffffffull);
  w_pmpcfg0(0xf);

  // the timer: Sstc lets supervisor mode program stimecmp itself,
  // and the counter-enable bits let S and U mode read the time CSR.
  w_mie(r_mie() | MIE_STIE);
  w_menvcfg(r_menvcfg() | (1L << 63));
  // cycle (bit 0) is for supervisor mode alone: getrandom's fallback
  // mixes it in (random.c).
  w_mcounteren(r_mcounteren() | 2 | 1);
  w_scounteren(2);   // and user mode too: the runtime's clock() reads it directly
  w_stimecmp(r_time() + 10000000 / HZ);
  // The CLINT's machine timer stays unused, but its compare register
  // resets to 0, which leaves a machine timer interrupt pending for ever.
  // QEMU's TCG looks for interrupts under its global lock whenever one is
  // pending, at every exit from translated code, so the hart would wait
  // for that lock at each CSR write while the device holds it. Park the
  // compare register at the end of time.
  *(volatile uint64 *)CLINT_MTIMECMP_PA(r_mhartid()) = ~0ULL;

  // keep each CPU's hartid in its tp register, for cpuid().
  w_tp(r_mhartid());

  asm volatile("mret");
}
