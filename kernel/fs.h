// On-disk file system format, shared by the kernel and mkfs.
// Layout, in BSIZE blocks:
//   [ boot | super | log header, log | inodes | free bitmap | data ... ]
// mkfs computes the superblock; the kernel only reads it.

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

#define NDIRECT 12
#define NINDIRECT (BSIZE / sizeof(uint))
#define MAXFILE (NDIRECT + NINDIRECT)   // 268 blocks: 268 KB

// On-disk inode. 64 bytes, so a block holds a whole number of them.
struct dinode {
  short type;               // T_DIR, T_FILE, T_DEVICE (stat.h); 0 = free
  short major;              // device number (T_DEVICE only)
  short minor;
  short nlink;              // directory entries naming this inode
  uint size;                // size of file (bytes)
  uint addrs[NDIRECT+1];    // data block addresses; the last is indirect
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
