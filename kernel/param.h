// Kernel limits. Shared with user space (usertests probes some of them).
#ifndef PARAM_H
#define PARAM_H
#define NPROC        64    // maximum number of processes
#define NCPU          8    // maximum number of CPUs
#define NOFILE       16    // open files per process
#define NFILE       100    // open files per system
#define NINODE       50    // maximum number of active i-nodes
#define NDEV         10    // maximum major device number
#define ROOTDEV       1    // device number of file system root disk
#define MAXARG       32    // max exec arguments
#define MAXOPBLOCKS  64    // max # of blocks any FS op writes; also bounds the
                           // bitmap: freeing a file may touch every bitmap block
#define LOGSIZE      (MAXOPBLOCKS*3)  // max data blocks in on-disk log
#define NBUF         (LOGSIZE+16)     // size of disk block cache: the log pins
                                      // up to LOGSIZE, reads need the rest
#define MAXPATH     128    // maximum file path name
#define USERSTACK     4    // user stack pages
#define NPOLL        16    // most descriptors one poll() may watch
#define HZ         1000    // timer interrupts per second
#define NETSPIN_US  200    // a network wait polls the device this long before it sleeps
#define TIMEBASE 10000000  // QEMU virt's time CSR runs at 10 MHz
#endif
