// Physical memory layout of QEMU's virt machine, and the kernel's and
// processes' virtual layouts.
//
// physical:
// 00001000 -- boot ROM (unused: we run with -bios none)
// 00100000 -- sifive_test: write here to power off (power.c)
// 02000000 -- CLINT (unused: Sstc gives S-mode its own timer)
// 0C000000 -- PLIC
// 10000000 -- uart0
// 10001000 -- virtio-mmio slot 0: the disk
// 10002000 -- virtio-mmio slot 1: the network device
// 80000000 -- RAM; -kernel loads the kernel here, entry.S starts here
// 80000000 + 128M -- end of RAM (PHYSTOP)

#define TESTDEV 0x100000L
#define UART0 0x10000000L
#define UART0_IRQ 10

// virtio-mmio slots: each 0x1000 apart, interrupt 1 + slot.
#define VIRTIO0 0x10001000L
#define VIRTIO0_IRQ 1
#define VIRTIO1 0x10002000L
#define VIRTIO1_IRQ 2

#define PLIC 0x0c000000L
#define PLIC_PRIORITY (PLIC + 0x0)
#define PLIC_PENDING (PLIC + 0x1000)
#define PLIC_SENABLE(hart) (PLIC + 0x2080 + (hart)*0x100)
#define PLIC_SPRIORITY(hart) (PLIC + 0x201000 + (hart)*0x2000)
#define PLIC_SCLAIM(hart) (PLIC + 0x201004 + (hart)*0x2000)

#define KERNBASE 0x80000000L
#define PHYSTOP (KERNBASE + 128*1024*1024)

// The trampoline page sits at the top of every address space,
// user and kernel, so the trap code keeps running across the satp switch.
#define TRAMPOLINE (MAXVA - PGSIZE)

// Kernel stacks sit below the trampoline, each with an unmapped guard page.
#define KSTACK(p) (TRAMPOLINE - ((p)+1)* 2*PGSIZE)

// User address space, from zero:
//   page 0 (unmapped: NULL dereferences fault)
//   text, data, bss (from 0x1000)
//   guard page (unmapped)
//   USERSTACK pages of stack
//   heap (sbrk)
//   ...
//   TRAPFRAME (p->trapframe, used by the trampoline)
//   TRAMPOLINE
#define TRAPFRAME (TRAMPOLINE - PGSIZE)
