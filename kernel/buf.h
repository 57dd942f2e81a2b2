// A block in the buffer cache (bio.c). Needs fs.h for BSIZE.
struct buf {
  int valid;   // has data been read from disk?
  int disk;    // does the disk "own" buf? (set while a request is in flight)
  uint dev;
  uint blockno;
  struct sleeplock lock;  // held by whoever uses data[]
  uint refcnt;            // references held by bget() callers and the log's pin
  struct buf *prev; // LRU cache list
  struct buf *next;
  uchar data[BSIZE];
};
