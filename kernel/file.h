// Open files, in-memory inodes and the device switch.
// Needs fs.h (NDIRECT) and sleeplock.h.

struct file {
  enum {
    FD_NONE,
    FD_PIPE,
    FD_INODE,
    FD_DEVICE,
    FD_NETCHAN,   // a network channel (netchan.c)
  } type;
  int ref;             // reference count
  char readable;
  char writable;
  struct pipe *pipe;   // FD_PIPE
  struct inode *ip;    // FD_INODE and FD_DEVICE
  uint off;            // FD_INODE
  short major;         // FD_DEVICE
  struct netchan *chan; // FD_NETCHAN
  uint chgen;          // FD_NETCHAN: chan->gen when opened; a stale file is dead
};

#define major(dev)  ((dev) >> 16 & 0xFFFF)
#define minor(dev)  ((dev) & 0xFFFF)
#define mkdev(m,n)  ((uint)((m)<<16| (n)))

// In-memory copy of an inode.
struct inode {
  uint dev;           // device number
  uint inum;          // inode number
  int ref;            // reference count (itable.lock)
  struct sleeplock lock; // protects everything below here
  int valid;          // inode has been read from disk?
  uint64 gen;         // generation: new at each write, truncation or read from disk

  short type;         // copy of disk inode
  short major;
  short minor;
  short nlink;
  uint size;
  uint addrs[NDIRECT+2];
};

// Device switch: maps a major device number to its functions.
// read and write return bytes moved or -E*; user_* says whether the
// address is a user virtual address or a kernel one. poll returns the
// subset of events (POLLIN/POLLOUT) that would not block; 0 = not set.
struct devsw {
  int (*read)(int user_dst, uint64 dst, int n);
  int (*write)(int user_src, uint64 src, int n);
  int (*poll)(int events);
};

extern struct devsw devsw[];

#define CONSOLE 1
