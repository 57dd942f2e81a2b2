// On-disk file system format, shared by the kernel and mkfs.
// Layout, in BSIZE blocks:
//   [ boot | super | log header, log | inodes | free bitmap | data ... ]
// mkfs computes the superblock; the kernel only reads it, so one kernel
// boots an image of any size mkfs makes.

#define ROOTINO  1   // root i-number
#define BSIZE 1024   // block size

// The superblock, block 1.
struct superblock {
  uint magic;        // must be FSMAGIC
  uint size;         // size of file system image (blocks)
  uint nblocks;      // number of data blocks
  uint ninodes;      // number of inodes
  uint nlog;         // number of log blocks, header included
  uint logstart;     // block number of first log block (the header)
  uint inodestart;   // block number of first inode block
  uint bmapstart;    // block number of first free map block
};

#define FSMAGIC 0x10203040

// A file's blocks: NDIRECT named in the inode, NINDIRECT more named by
// the indirect block addrs[NDIRECT], and NDINDIRECT more by the
// doubly-indirect block addrs[NDIRECT+1], which names NINDIRECT
// indirect blocks. A block number 0 is a hole: it reads as zeros and
// takes no disk block until written.
#define NDIRECT 11
#define NINDIRECT (BSIZE / sizeof(uint))
#define NDINDIRECT (NINDIRECT * NINDIRECT)
#define MAXFILE (NDIRECT + NINDIRECT + NDINDIRECT)  // 65803 blocks: 64.26 MiB

// On-disk inode. 64 bytes, so a block holds a whole number of them.
struct dinode {
  short type;               // T_DIR, T_FILE, T_DEVICE (stat.h); 0 = free
  short major;              // device number (T_DEVICE only)
  short minor;
  short nlink;              // directory entries naming this inode
  uint size;                // size of file (bytes)
  uint addrs[NDIRECT+2];    // direct blocks, then indirect, doubly-indirect
};

// Inodes per block.
#define IPB           (BSIZE / sizeof(struct dinode))

// Block holding inode i.
#define IBLOCK(i, sb)     ((i) / IPB + sb.inodestart)

// Bitmap bits per block.
#define BPB           (BSIZE*8)

// Bitmap block holding the bit for block b.
#define BBLOCK(b, sb) ((b)/BPB + sb.bmapstart)

// A directory is a file of these. inum 0 marks a free entry. A name
// of exactly DIRSIZ bytes has no terminating NUL.
#define DIRSIZ 14

struct dirent {
  ushort inum;
  char name[DIRSIZ];
};

// What statfs() reports (df): sizes in BSIZE blocks. Blocks in use
// include the file system's own (log, inodes, bitmap).
struct statfs {
  uint bsize;    // bytes per block
  uint blocks;   // blocks in the file system (the superblock's size)
  uint bfree;    // blocks free
  uint files;    // inodes (inode 0, never used, not counted)
  uint ffree;    // inodes free
};
