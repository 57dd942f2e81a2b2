// Supervisor-mode entry for every hart. Hart 0 initializes the machine;
// the others wait for it, then turn on paging and interrupts and join
// the scheduler.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

static volatile int started = 0;

void
main()
{
  if(cpuid() == 0){
    bootargs_init(); // the command line, before kinit frees the device tree's page
    // paging first: the kernel reaches the devices, the UART
    // included, at their KDEV aliases (memlayout.h).
    kinit();         // physical page allocator
    kvminit();       // create kernel page table
    kvminithart();   // turn on paging
    consoleinit();
    printfinit();
    printf("\nkernel is booting\n");
    procinit();      // process table
    trapinit();      // trap vectors
    trapinithart();  // install kernel trap vector
    plicinit();      // set up interrupt controller
    plicinithart();  // ask PLIC for device interrupts
    pollinit();      // the poll() wait channel
    binit();         // buffer cache
    iinit();         // inode table
    fileinit();      // file table
    virtio_disk_init(); // emulated hard disk
    virtio_net_init();  // emulated network card
    virtio_rng_init();  // entropy for getrandom(), if the machine has the device
    random_init();      // getrandom() and its fallback
    profinit();         // the sampling profiler, off until prof start
    netchan_init();     // network channels and filters
    userinit();      // first user process
    __sync_synchronize();
    started = 1;
  } else {
    while(started == 0)
      ;
    __sync_synchronize();
    kvminithart();    // turn on paging
    trapinithart();   // install kernel trap vector
    plicinithart();   // ask PLIC for device interrupts
  }
  scheduler();
}
