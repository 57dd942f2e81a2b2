// Physical memory layout of QEMU's virt machine, and the kernel's and
// processes' virtual layouts.
//
// physical:
// 00001000 -- boot ROM (unused: we run with -bios none)
// 00100000 -- sifive_test: write here to power off (power.c)
// 02000000 -- CLINT (unused but for parking mtimecmp: Sstc gives S-mode its own timer)
// 0C000000 -- PLIC
// 10000000 -- uart0
// 10001000 -- virtio-mmio slot 0: the disk
// 10002000 -- virtio-mmio slot 1: the network device
// 10003000 -- virtio-mmio slot 2: the entropy device (may be empty)
// 80000000 -- RAM; -kernel loads the kernel here, entry.S starts here
// 80000000 + 128M -- end of RAM (PHYSTOP)

// The kernel is mapped into every process's page table (without PTE_U),
// so a trap or system call never switches satp: under QEMU's TCG each
// satp write flushes the whole software TLB, and refilling it cost more
// than the system call itself. User memory lives below USERTOP, so the
// kernel's regions must not: RAM stays mapped one to one at KERNBASE
// (2 GiB), and the devices, which sit low in physical memory, are
// mapped at KDEV + their physical address.
#define KDEV 0x2000000000L             // 128 GiB: devices, one 1 GiB L2 entry
#define TESTDEV_PA 0x100000L
#define UART0_PA 0x10000000L
#define VIRTIO0_PA 0x10001000L
#define VIRTIO1_PA 0x10002000L
#define VIRTIO2_PA 0x10003000L
#define PLIC_PA 0x0c000000L
#define CLINT_PA 0x02000000L
#define CLINT_MTIMECMP_PA(hart) (CLINT_PA + 0x4000 + 8*(hart))  // start.c, physical

#define TESTDEV (KDEV + TESTDEV_PA)
#define UART0 (KDEV + UART0_PA)
#define UART0_IRQ 10

// virtio-mmio slots: each 0x1000 apart, interrupt 1 + slot.
#define VIRTIO0 (KDEV + VIRTIO0_PA)
#define VIRTIO0_IRQ 1
#define VIRTIO1 (KDEV + VIRTIO1_PA)
#define VIRTIO1_IRQ 2
#define VIRTIO2 (KDEV + VIRTIO2_PA)
#define VIRTIO2_IRQ 3

#define PLIC (KDEV + PLIC_PA)
#define PLIC_PRIORITY (PLIC + 0x0)
#define PLIC_PENDING (PLIC + 0x1000)
#define PLIC_SENABLE(hart) (PLIC + 0x2080 + (hart)*0x100)
#define PLIC_SPRIORITY(hart) (PLIC + 0x201000 + (hart)*0x2000)
#define PLIC_SCLAIM(hart) (PLIC + 0x201004 + (hart)*0x2000)

#define KERNBASE 0x80000000L
#define PHYSTOP (KERNBASE + 128*1024*1024)

// The trampoline page sits at the top of every address space: stvec
// points there while a process runs.
#define TRAMPOLINE (MAXVA - PGSIZE)

// Kernel stacks, each above an unmapped guard page, in their own 1 GiB
// L2 entry (192 GiB), shared by every page table like RAM and devices.
#define KSTACKBASE 0x3000000000L
#define KSTACK(p) (KSTACKBASE + ((p)*2+1)*PGSIZE)

// The top of user memory (exclusive) below the kernel's RAM mapping.
// (The network channel's region, NC_VA, sits above the kernel regions.)
#define USERTOP KERNBASE

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
