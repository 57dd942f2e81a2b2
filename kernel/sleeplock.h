// Long-term lock for processes: the holder may sleep.
struct sleeplock {
  uint locked;       // is the lock held?
  struct spinlock lk; // spinlock protecting this sleep lock
  char *name;        // name of lock, for panics
  int pid;           // process holding lock
};
