// mkfs: make a file system image for the kernel.
//
//   mkfs [-s blocks] fs.img file ... [path=file ...]
//
// Builds an image of blocks BSIZE-byte blocks (default DEFSIZE: 128
// MiB) holding a root directory ("." and
// "..") and a copy of each file, named by its last path component
// without a leading '_' (build/apps/_ls becomes /ls). An argument
// path=file puts file at path instead, making the directories on the
// way (etc/hosts=mkfs/etc/hosts becomes /etc/hosts). Runs on the build
// host; the layout is kernel/fs.h. Multi-byte fields are stored
// little-endian, riscv's byte order, whatever the host's. The image is
// sparse: only blocks holding something are written, the rest are
// holes in the host file that read as zeros, so a large image costs
// little time and disk.
// Does not do: device nodes (init makes /console).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <assert.h>

#define stat xv6_stat  // avoid clash with host struct stat
#include "kernel/types.h"
#include "kernel/fs.h"
#include "kernel/stat.h"
#include "kernel/param.h"
#undef stat

#define DEFSIZE  131072   // blocks in the image unless -s says: 128 MiB
#define MINSIZE  2048     // smallest image: the metadata and some room
// Largest image: the kernel frees a file in one transaction, which may
// write every bitmap block (kernel/fs.c: itrunc, fsinit).
#define MAXSIZE  ((MAXOPBLOCKS - 1) * BPB)
#define BPI      64       // blocks per inode: 2048 inodes in 128 MiB
#define MININODES 200
#define MAXINODES 65535   // a dirent's inum is 16 bits

// Disk layout:
// [ boot block | sb block | log | inode blocks | free bit map | data blocks ]

uint fssize = DEFSIZE;
uint ninodes;
int nbitmap;
int ninodeblocks;
int nlog = LOGSIZE + 1;   // the header, then LOGSIZE blocks
int nmeta;    // Number of meta blocks (boot, sb, nlog, inode, bitmap)
int nblocks;  // Number of data blocks

int fsfd;
struct superblock sb;
uint freeinode = 1;
uint freeblock;

void balloc(int);
void wsect(uint, void*);
void winode(uint, struct dinode*);
void rinode(uint inum, struct dinode *ip);
void rsect(uint sec, void *buf);
uint ialloc(ushort type);
void iappend(uint inum, void *p, int n);
void die(const char *);

// convert to riscv byte order
ushort
xshort(ushort x)
{
  ushort y;
  uchar *a = (uchar*)&y;
  a[0] = x;
  a[1] = x >> 8;
  return y;
}

uint
xint(uint x)
{
  uint y;
  uchar *a = (uchar*)&y;
  a[0] = x;
  a[1] = x >> 8;
  a[2] = x >> 16;
  a[3] = x >> 24;
  return y;
}

// Where argument arg puts its file in the image, as a path from the
// root without a leading '/': before an '=', the path given; else the
// last component of the host path without a leading '_'.
static void
fspath(char *arg, char *path)
{
  char *eq = strchr(arg, '='), *name;

  if(eq){
    while(*arg == '/')
      arg++;
    if(eq - arg >= MAXPATH){
      fprintf(stderr, "mkfs: %s: path too long\n", arg);
      exit(1);
    }
    memcpy(path, arg, eq - arg);
    path[eq - arg] = 0;
    return;
  }
  name = strrchr(arg, '/');
  name = name ? name + 1 : arg;
  if(*name == '_')
    name++;
  snprintf(path, MAXPATH, "%s", name);
}

// The host file argument arg copies.
static char*
hostpath(char *arg)
{
  char *eq = strchr(arg, '=');

  return eq ? eq + 1 : arg;
}

static void
checkname(char *name, char *arg)
{
  if(*name == 0 || strlen(name) > DIRSIZ){
    fprintf(stderr, "mkfs: %s: each name must be 1 to %d bytes\n", arg, DIRSIZ);
    exit(1);
  }
  if(strcmp(name, ".") == 0 || strcmp(name, "..") == 0){
    fprintf(stderr, "mkfs: %s: reserved name\n", arg);
    exit(1);
  }
}

// Add the entry (name, inum) to directory dinum.
static void
addentry(uint dinum, char *name, uint inum)
{
  struct dirent de;

  memset(&de, 0, sizeof(de));
  de.inum = xshort(inum);
  strncpy(de.name, name, DIRSIZ);
  iappend(dinum, &de, sizeof(de));
}

// The directories made so far, by path from the root.
#define NDIRS 32
static struct { char path[MAXPATH]; uint inum; } dirs[NDIRS];
static int ndirs;

// The inode of directory path ("" is the root), made with its parents
// if it does not exist yet.
static uint
mkdirs(char *path, uint rootino, char *arg)
{
  char parent[MAXPATH], *name;
  uint pino, inum;
  struct dinode din;

  if(*path == 0)
    return rootino;
  for(int i = 0; i < ndirs; i++)
    if(strcmp(dirs[i].path, path) == 0)
      return dirs[i].inum;
  if(ndirs == NDIRS){
    fprintf(stderr, "mkfs: %s: more than %d directories\n", arg, NDIRS);
    exit(1);
  }
  strcpy(parent, path);
  name = strrchr(parent, '/');
  if(name)
    *name++ = 0;
  else {
    name = path;
    parent[0] = 0;
  }
  checkname(name, arg);
  pino = mkdirs(parent, rootino, arg);
  inum = ialloc(T_DIR);
  addentry(inum, ".", inum);
  addentry(inum, "..", pino);
  addentry(pino, name, inum);
  rinode(pino, &din);         // the new ".." is a link to the parent
  din.nlink = xshort(xshort(din.nlink) + 1);
  winode(pino, &din);
  strcpy(dirs[ndirs].path, path);
  dirs[ndirs++].inum = inum;
  return inum;
}

// Copy the file argument arg names to its place in the image.
static void
addfile(uint rootino, char *arg)
{
  char buf[BSIZE], path[MAXPATH], *name, *src = hostpath(arg);
  uint inum, dinum;
  int fd, cc;
  long total = 0;

  fspath(arg, path);
  name = strrchr(path, '/');
  if(name)
    *name++ = 0;
  else {
    memmove(path + 1, path, strlen(path) + 1);
    path[0] = 0;
    name = path + 1;
  }
  checkname(name, arg);
  dinum = mkdirs(path, rootino, arg);
  if((fd = open(src, 0)) < 0)
    die(src);

  inum = ialloc(T_FILE);
  addentry(dinum, name, inum);

  while((cc = read(fd, buf, sizeof(buf))) > 0){
    total += cc;
    if(total > (long)MAXFILE*BSIZE){
      fprintf(stderr, "mkfs: %s: larger than %d bytes\n", src, (int)(MAXFILE*BSIZE));
      exit(1);
    }
    iappend(inum, buf, cc);
  }
  if(cc < 0)
    die(src);
  close(fd);
}

static void
usage(void)
{
  fprintf(stderr, "usage: mkfs [-s blocks] fs.img file ... [path=file ...]\n");
  exit(1);
}

// The -s argument: a number of blocks within [MINSIZE, MAXSIZE].
static uint
sizearg(char *arg)
{
  char *end;
  unsigned long n = strtoul(arg, &end, 10);

  if(*arg == 0 || *end != 0 || n < MINSIZE || n > MAXSIZE){
    fprintf(stderr, "mkfs: -s %s: the size must be %d to %d blocks of %d bytes\n",
            arg, MINSIZE, (int)MAXSIZE, BSIZE);
    exit(1);
  }
  return n;
}

int
main(int argc, char *argv[])
{
  int i, opt;
  uint rootino, off;
  char buf[BSIZE];
  struct dinode din;

  static_assert(sizeof(int) == 4, "Integers must be 4 bytes!");

  while((opt = getopt(argc, argv, "s:")) != -1){
    if(opt == 's')
      fssize = sizearg(optarg);
    else
      usage();
  }
  // the files' loop below counts from 2, as before options existed.
  argc -= optind - 1;
  argv += optind - 1;
  if(argc < 2)
    usage();

  assert((BSIZE % sizeof(struct dinode)) == 0);
  assert((BSIZE % sizeof(struct dirent)) == 0);

  fsfd = open(argv[1], O_RDWR|O_CREAT|O_TRUNC, 0666);
  if(fsfd < 0)
    die(argv[1]);
  // every block reads as zeros until written.
  if(ftruncate(fsfd, (off_t)fssize * BSIZE) < 0)
    die(argv[1]);

  ninodes = fssize / BPI;
  if(ninodes < MININODES)
    ninodes = MININODES;
  if(ninodes > MAXINODES)
    ninodes = MAXINODES;
  ninodeblocks = ninodes / IPB + 1;
  nbitmap = (fssize + BPB - 1) / BPB;
  nmeta = 2 + nlog + ninodeblocks + nbitmap;
  nblocks = fssize - nmeta;

  sb.magic = xint(FSMAGIC);
  sb.size = xint(fssize);
  sb.nblocks = xint(nblocks);
  sb.ninodes = xint(ninodes);
  sb.nlog = xint(nlog);
  sb.logstart = xint(2);
  sb.inodestart = xint(2+nlog);
  sb.bmapstart = xint(2+nlog+ninodeblocks);

  printf("nmeta %d (boot, super, log blocks %u inode blocks %u, bitmap blocks %u) blocks %d total %u, %u inodes\n",
         nmeta, nlog, ninodeblocks, nbitmap, nblocks, fssize, ninodes);

  freeblock = nmeta;     // the first free block that we can allocate

  memset(buf, 0, sizeof(buf));
  memmove(buf, &sb, sizeof(sb));
  wsect(1, buf);

  rootino = ialloc(T_DIR);
  assert(rootino == ROOTINO);

  addentry(rootino, ".", rootino);
  addentry(rootino, "..", rootino);

  for(i = 2; i < argc; i++){
    char pi[MAXPATH], pj[MAXPATH];
    fspath(argv[i], pi);
    for(int j = 2; j < i; j++){
      fspath(argv[j], pj);
      if(strcmp(pi, pj) == 0){
        fprintf(stderr, "mkfs: %s and %s would both be /%s\n", argv[j], argv[i], pi);
        exit(1);
      }
    }
    addfile(rootino, argv[i]);
  }

  // fix size of root inode dir
  rinode(rootino, &din);
  off = xint(din.size);
  off = ((off/BSIZE) + 1) * BSIZE;
  din.size = xint(off);
  winode(rootino, &din);

  balloc(freeblock);

  exit(0);
}

void
die(const char *s)
{
  perror(s);
  exit(1);
}

void
wsect(uint sec, void *buf)
{
  if(lseek(fsfd, sec * BSIZE, 0) != sec * BSIZE)
    die("lseek");
  if(write(fsfd, buf, BSIZE) != BSIZE)
    die("write");
}

void
winode(uint inum, struct dinode *ip)
{
  char buf[BSIZE];
  uint bn;
  struct dinode *dip;

  bn = IBLOCK(inum, sb);
  rsect(bn, buf);
  dip = ((struct dinode*)buf) + (inum % IPB);
  *dip = *ip;
  wsect(bn, buf);
}

void
rinode(uint inum, struct dinode *ip)
{
  char buf[BSIZE];
  uint bn;
  struct dinode *dip;

  bn = IBLOCK(inum, sb);
  rsect(bn, buf);
  dip = ((struct dinode*)buf) + (inum % IPB);
  *ip = *dip;
}

void
rsect(uint sec, void *buf)
{
  if(lseek(fsfd, sec * BSIZE, 0) != sec * BSIZE)
    die("lseek");
  if(read(fsfd, buf, BSIZE) != BSIZE)
    die("read");
}

uint
ialloc(ushort type)
{
  uint inum = freeinode++;
  struct dinode din;

  if(inum >= ninodes){
    fprintf(stderr, "mkfs: out of inodes\n");
    exit(1);
  }
  memset(&din, 0, sizeof(din));
  din.type = xshort(type);
  din.nlink = xshort(1);
  din.size = xint(0);
  winode(inum, &din);
  return inum;
}

// Mark blocks 0 .. used-1 allocated in the bitmap. The bitmap blocks
// past those bits stay all zeros: free.
void
balloc(int used)
{
  uchar buf[BSIZE];
  int b, i;

  printf("balloc: first %d blocks have been allocated\n", used);
  for(b = 0; b < used; b += BPB){
    memset(buf, 0, BSIZE);
    for(i = 0; i < BPB && b + i < used; i++)
      buf[i/8] = buf[i/8] | (0x1 << (i%8));
    wsect(xint(sb.bmapstart) + b/BPB, buf);
  }
}

#define min(a, b) ((a) < (b) ? (a) : (b))

// Take the next unused block; blocks are handed out in order.
static uint
newblock(void)
{
  if(freeblock >= fssize){
    fprintf(stderr, "mkfs: out of blocks\n");
    exit(1);
  }
  return freeblock++;
}

// *ap, a block number in riscv order, given a new block if it is 0.
static uint
slot(uint *ap)
{
  if(xint(*ap) == 0)
    *ap = xint(newblock());
  return xint(*ap);
}

// Entry i of index block ib, given a new block if it is 0.
static uint
ibslot(uint ib, uint i)
{
  uint a[NINDIRECT], x;

  rsect(ib, (char*)a);
  if(xint(a[i]) == 0){
    x = slot(&a[i]);
    wsect(ib, (char*)a);
    return x;
  }
  return xint(a[i]);
}

// The block holding file block fbn of din, allocated (with the index
// blocks on the way) if need be; as the kernel's bmap.
static uint
bmap(struct dinode *din, uint fbn)
{
  uint ib;

  if(fbn < NDIRECT)
    return slot(&din->addrs[fbn]);
  fbn -= NDIRECT;
  if(fbn < NINDIRECT)
    return ibslot(slot(&din->addrs[NDIRECT]), fbn);
  fbn -= NINDIRECT;
  ib = ibslot(slot(&din->addrs[NDIRECT+1]), fbn / NINDIRECT);
  return ibslot(ib, fbn % NINDIRECT);
}

// Append n bytes at p to inode inum, allocating blocks in order.
void
iappend(uint inum, void *xp, int n)
{
  char *p = (char*)xp;
  uint fbn, off, n1;
  struct dinode din;
  char buf[BSIZE];
  uint x;

  rinode(inum, &din);
  off = xint(din.size);
  while(n > 0){
    fbn = off / BSIZE;
    if(fbn >= MAXFILE){
      fprintf(stderr, "mkfs: file too large\n");
      exit(1);
    }
    x = bmap(&din, fbn);
    n1 = min(n, (fbn + 1) * BSIZE - off);
    rsect(x, buf);
    memmove(buf + off - (fbn * BSIZE), p, n1);
    wsect(x, buf);
    n -= n1;
    off += n1;
    p += n1;
  }
  din.size = xint(off);
  winode(inum, &din);
}
