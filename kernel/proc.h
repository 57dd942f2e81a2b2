// Processes and CPUs.
#include "procinfo.h"

// Saved registers for kernel context switches (swtch.S).
struct context {
  uint64 ra;
  uint64 sp;
  uint64 s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;  // callee-saved
};

// Per-CPU state.
struct cpu {
  struct proc *proc;          // the process running on this cpu, or null
  struct context context;     // swtch() here to enter scheduler()
  int noff;                   // depth of push_off() nesting
  int intena;                 // were interrupts enabled before push_off()?
  uint64 offpc;               // who took the outermost spinlock (for prof.c)
  pagetable_t pagetable;      // the page table in satp (ptlock)
  uint64 ptgen;               // its owner's ptgen when loaded or last flushed here
  int rootdead;               // pagetable's process is gone: free its root on the next switch (ptlock)
};

extern struct cpu cpus[NCPU];

// Per-process data for the trap handling code in trampoline.S.
// Sits in a page by itself just under the trampoline page in the user
// page table; not mapped in the kernel page table. uservec saves user
// registers here, loads kernel_sp and kernel_hartid, and jumps
// to kernel_trap. usertrapret() and userret set up the kernel_* fields,
// restore the user registers and sret. Offsets are used by trampoline.S.
struct trapframe {
  /*   0 */ uint64 unused;        // (was the kernel's satp: the kernel is mapped in every page table)
  /*   8 */ uint64 kernel_sp;     // top of process's kernel stack
  /*  16 */ uint64 kernel_trap;   // usertrap()
  /*  24 */ uint64 epc;           // saved user program counter
  /*  32 */ uint64 kernel_hartid; // saved kernel tp
  /*  40 */ uint64 ra;
  /*  48 */ uint64 sp;
  /*  56 */ uint64 gp;
  /*  64 */ uint64 tp;
  /*  72 */ uint64 t0;
  /*  80 */ uint64 t1;
  /*  88 */ uint64 t2;
  /*  96 */ uint64 s0;
  /* 104 */ uint64 s1;
  /* 112 */ uint64 a0;
  /* 120 */ uint64 a1;
  /* 128 */ uint64 a2;
  /* 136 */ uint64 a3;
  /* 144 */ uint64 a4;
  /* 152 */ uint64 a5;
  /* 160 */ uint64 a6;
  /* 168 */ uint64 a7;
  /* 176 */ uint64 s2;
  /* 184 */ uint64 s3;
  /* 192 */ uint64 s4;
  /* 200 */ uint64 s5;
  /* 208 */ uint64 s6;
  /* 216 */ uint64 s7;
  /* 224 */ uint64 s8;
  /* 232 */ uint64 s9;
  /* 240 */ uint64 s10;
  /* 248 */ uint64 s11;
  /* 256 */ uint64 t3;
  /* 264 */ uint64 t4;
  /* 272 */ uint64 t5;
  /* 280 */ uint64 t6;
};

// Per-process state.
struct proc {
  struct spinlock lock;

  // p->lock must be held when using these:
  enum procstate state;        // process state
  void *chan;                  // if non-zero, sleeping on chan
  int killed;                  // if non-zero, have been killed
  int xstate;                  // exit status to be returned to parent's wait
  int pid;                     // process ID

  // wait_lock must be held when using this:
  struct proc *parent;         // parent process

  // these are private to the process, so p->lock need not be held.
  uint64 kstack;               // virtual address of kernel stack
  uint64 sz;                   // size of process memory (bytes)
  uint64 stackbase;            // lowest address of the user stack (guard page just below)
  pagetable_t pagetable;       // user page table
  uint64 ptgen;                // bumped by every change to pagetable (ptchanged())
  uint64 tlbgen;               // bumped each time the hart running us flushed its TLB
  struct cpu *lastcpu;         // the hart that ran us last
  struct trapframe *trapframe; // data page for trampoline.S
  struct context context;      // swtch() here to run process
  struct file *ofile[NOFILE];  // open files
  struct inode *cwd;           // current directory
  char name[16];               // process name (debugging)
  void *netchan;               // network channel, or 0 (network issue)
  uint64 cputicks;             // timer ticks that found it running: ms of CPU (ps)
};
