// File status, shared by kernel and user space.
#ifndef STAT_H
#define STAT_H
#define T_DIR     1   // directory
#define T_FILE    2   // file
#define T_DEVICE  3   // device

struct stat {
  int dev;     // file system's disk device
  uint ino;    // inode number
  short type;  // T_DIR, T_FILE or T_DEVICE
  short nlink; // number of links to file
  uint64 size; // size of file in bytes
  uint64 gen;  // changes whenever the bytes may have (a write, a truncation,
               // the inode read from disk again): what a cache of them checks
};
#endif
