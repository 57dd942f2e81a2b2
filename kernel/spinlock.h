// Mutual exclusion lock.
struct spinlock {
  uint locked;       // is the lock held?
  char *name;        // name of lock, for panics
  struct cpu *cpu;   // the cpu holding the lock
};
