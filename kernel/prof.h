// The sampling profiler's interface, shared by the kernel (prof.c) and
// apps/prof.c: int prof(int cmd, uint64 *buf, int n).
#ifndef PROF_H
#define PROF_H

enum { PROF_START = 1, PROF_STOP, PROF_READ, PROF_COUNTS };  // cmd

#define PROF_NSAMPLE 32768   // samples kept: 32 s of one hart at HZ 1000
#define PROF_LOCKED (1ULL << 39)  // in a kernel sample: a tick while a spinlock was held,
                                  // charged to the caller of the outermost acquire

// The events PROF_COUNTS reports, in this order; KICKTIME is in ticks
// of the time CSR (100 ns).
enum profcount { PROF_SYSCALL, PROF_DEVINTR, PROF_NETINTR, PROF_TIMER, PROF_KICK, PROF_KICKTIME, PROF_FAULT, PROF_NCOUNT };
#define PROF_COUNTNAMES { "syscalls", "devintrs", "netintrs", "timerintrs", "netkicks", "kick100ns", "netfaults" }

#endif
