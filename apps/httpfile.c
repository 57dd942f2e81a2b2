// httpfile.c: httpd's file-serving path, behind hfile_init, hfile_open,
// hfile_send and hfile_close (apps/http.h). Cheetah's design: a file is
// read once, at its first request, into the channel's payload cache,
// which the network device reads in place, with the one's-complement sum
// of each segment-sized chunk computed as it loads. A response's body is
// then queued on the connection as a reference to those bytes
// (ln_sendref, libnet/netref.h): TCP builds only headers, each segment's
// checksum is its header's sum plus the chunk's stored one, and no byte
// of the body is copied by the CPU, on the first transmission or any
// retransmission, however many connections send the file at once.
//
// The cache holds up to HF_NFILES files in HF_CACHEPAGES pages; the
// least recently used file nobody is sending leaves when one more does
// not fit. A file's range stays put while any connection's send queue
// still names it (netref.refs), so a range is reused only after the last
// acknowledgment. A file too big for the cache, or met when every cached
// file is busy, is read into memory instead and sent with write(), which
// copies (counted: libnet's tcp_tx_copy_bytes).
//
// A cached file is trusted while stat() gives the same device, inode,
// size and generation (kernel/stat.h: the generation changes with every
// write), so a file rewritten on disk is read again at its next request.
// While the file system's generation (fsgen()) has not moved since the
// file was last found so, nothing anywhere changed: no stat is needed.
#include "kernel/types.h"
#include "kernel/param.h"
#include "apps/user.h"
#include "libnet/socket.h"
#include "libnet/chan.h"
#include "apps/http.h"

#define HF_NFILES     128                 // files held at once: cached, or still being sent
#define HF_CACHEPAGES 1024                // the payload cache: 4 MiB
#define HF_CHUNK      1448                // one segment's payload: MSS 1460 less timestamps
#define HF_ALIGN      64                  // where a file's range may start in the cache
#define HF_MEMMAX     (4 * 1024 * 1024)   // bytes of in-memory copies kept
#define HF_HOLDMAX    (16 * 1024 * 1024)  // bytes of in-memory copies at once: beyond, -EBUSY
#define HF_SENDMAX    (64 * 1024)         // bytes offered to one write
#define HF_WHOLEMAX   (64 * 1024)         // files whose whole responses are laid out too
#define HF_NREF       3                   // ranges a file may hold: its bytes, two whole responses

struct hfile {
  char path[MAXPATH];
  int dev;
  uint ino;
  uint64 gen;
  uint64 size;
  uint64 fsgen;           // the file system's generation when last found unchanged
  // its ranges of the payload cache, with their chunk sums (len 0: none):
  // r[0] the file's bytes; r[1], r[2] whole 200 responses, head and body
  // (one keep-alive, one close, say: hfile_sendwhole)
  struct netref r[HF_NREF];
  char *data;             // the bytes in memory, when not in r[0]
  int refs;               // connections sending it
  int cached;             // found by later requests; else freed once nothing uses it
  uint64 used;            // ms, last opened (the least recently used goes first)
};

// Every file held: cached ones, and those dropped from the cache (stale,
// evicted) that a connection or a TCP send queue still uses.
static struct hfile *files[HF_NFILES];
static uint8 *pc;          // the payload cache, 0 if there is none
static uint32 pcsize;
static uint64 kept;        // bytes of cached in-memory copies
static uint64 held;        // bytes of every in-memory copy

// Ask for the payload cache. Before the first socket call.
void
hfile_init(void)
{
  chan_wantcache(HF_CACHEPAGES);
}

static int
busy(struct hfile *f)
{
  for(int k = 0; k < HF_NREF; k++)
    if(f->r[k].refs > 0)
      return 1;
  return f->refs > 0;
}

static void
release(int i)
{
  struct hfile *f = files[i];

  files[i] = 0;
  if(f->data)
    held -= f->size;
  free(f->data);
  for(int k = 0; k < HF_NREF; k++)
    free((void *)f->r[k].sums);
  free(f);
}

// Stop finding f for new requests; it goes when nothing uses it.
static void
uncache(int i)
{
  struct hfile *f = files[i];

  f->cached = 0;
  if(f->data)
    kept -= f->size;
  if(!busy(f))
    release(i);
}

// Free what is out of the cache and used no more: TCP lets go of a
// range only as the peer acknowledges its last byte.
static void
reap(void)
{
  for(int i = 0; i < HF_NFILES; i++)
    if(files[i] && !files[i]->cached && !busy(files[i]))
      release(i);
}

// Drop the least recently used cached file nobody is sending. mem: only
// one held in memory. Returns 0, or -1 if there is none.
static int
evict(int mem)
{
  int i, lru = -1;

  for(i = 0; i < HF_NFILES; i++)
    if(files[i] && files[i]->cached && !busy(files[i]) && (!mem || files[i]->data) &&
       (lru < 0 || files[i]->used < files[lru]->used))
      lru = i;
  if(lru < 0)
    return -1;
  uncache(lru);
  return 0;
}

// The cached copy of path if it still matches st; a stale one is dropped.
static struct hfile *
lookup(const char *path, struct stat *st)
{
  struct hfile *f;

  for(int i = 0; i < HF_NFILES; i++){
    if((f = files[i]) == 0 || !f->cached || strcmp(f->path, path) != 0)
      continue;
    if(f->dev == st->dev && f->ino == st->ino && f->size == st->size && f->gen == st->gen)
      return f;
    uncache(i);
  }
  return 0;
}

// The cached copy of path if nothing in the file system has changed
// since it was last found current.
static struct hfile *
fresh(const char *path, uint64 gen)
{
  for(int i = 0; i < HF_NFILES; i++)
    if(files[i] && files[i]->cached && files[i]->fsgen == gen && strcmp(files[i]->path, path) == 0)
      return files[i];
  return 0;
}

// Does [off, off+len) of the payload cache overlap a range held?
static int
overlaps(uint32 off, uint32 len)
{
  for(int i = 0; i < HF_NFILES; i++)
    for(int k = 0; files[i] && k < HF_NREF; k++){
      struct netref *r = &files[i]->r[k];
      if(r->len && off < r->off + r->len && r->off < off + len)
        return 1;
    }
  return 0;
}

// A free range of len bytes of the payload cache, first fit, making room
// by evicting files nobody sends. Returns its offset, or -1.
static int
cachespace(uint32 len)
{
  if(pc == 0 || len == 0 || len > pcsize / 2)
    return -1;
  for(;;){
    // the candidates: the start, and the end of each range held
    if(!overlaps(0, len))
      return 0;
    for(int i = 0; i < HF_NFILES; i++)
      for(int k = 0; files[i] && k < HF_NREF; k++){
        struct netref *r = &files[i]->r[k];
        uint32 off = (r->off + r->len + HF_ALIGN - 1) / HF_ALIGN * HF_ALIGN;
        if(r->len && off + len <= pcsize && !overlaps(off, len))
          return off;
      }
    if(evict(0) < 0)
      return -1;
  }
}

// Describe [off, off+len) of the payload cache, already filled, as r:
// each chunk's sum computed now, once. 0 or -ENOMEM.
static int
describe(struct netref *r, uint32 off, uint32 len)
{
  uint32 n = (len + HF_CHUNK - 1) / HF_CHUNK, *sums;

  if((sums = malloc((n ? n : 1) * sizeof(uint32))) == 0)
    return -ENOMEM;
  for(uint32 i = 0; i * HF_CHUNK < len; i++)
    sums[i] = ln_cksum(pc + off + i * HF_CHUNK, len - i * HF_CHUNK < HF_CHUNK ? len - i * HF_CHUNK : HF_CHUNK);
  r->off = off;
  r->len = len;
  r->chunk = HF_CHUNK;
  r->sums = sums;
  return 0;
}

// Read fd's st->size bytes into dst; a file that shrank since stat is
// served as long as it is now. Returns the bytes read.
static uint64
readall(int fd, char *dst, uint64 size)
{
  uint64 got = 0;
  int n;

  while(got < size && (n = read(fd, dst + got, size - got)) > 0)
    got += n;
  return got;
}

// Load into the payload cache at off: the bytes, then each chunk's sum.
static int
loadcache(struct hfile *f, int fd, uint32 off, uint64 size)
{
  size = readall(fd, (char *)pc + off, size);
  f->size = size;
  return size ? describe(&f->r[0], off, size) : 0;
}

static int
loadmem(struct hfile *f, int fd, uint64 size)
{
  while(held + size > HF_HOLDMAX)
    if(evict(1) < 0)
      return -EBUSY;
  if((f->data = malloc(size ? size : 1)) == 0)
    return -ENOMEM;
  f->size = readall(fd, f->data, size);
  held += f->size;
  return 0;
}

// Read the file at path into a new hfile, held in files[slot]: into
// the payload cache if it has room, else into memory. Returns 0 with
// *fp, or a negative errno.
static int
load(const char *path, struct stat *st, int slot, struct hfile **fp)
{
  struct hfile *f;
  int fd, off, r;

  if((f = malloc(sizeof(*f))) == 0)
    return -ENOMEM;
  memset(f, 0, sizeof(*f));
  if((fd = open(path, O_RDONLY)) < 0){
    free(f);
    return fd;
  }
  if(st->size > 0 && (off = cachespace(st->size)) >= 0)
    r = loadcache(f, fd, off, st->size);
  else
    r = loadmem(f, fd, st->size);
  close(fd);
  if(r < 0){
    free(f);
    return r;
  }
  snprintf(f->path, sizeof(f->path), "%s", path);
  f->dev = st->dev;
  f->ino = st->ino;
  f->gen = st->gen;
  files[slot] = f;
  *fp = f;
  return 0;
}

// Keep f for later requests if an in-memory copy has room beside the
// others, made by evicting copies nobody sends.
static void
keep(struct hfile *f)
{
  if(f->data){
    if(f->size > HF_MEMMAX / 2)
      return;
    while(kept + f->size > HF_MEMMAX)
      if(evict(1) < 0)
        return;
    kept += f->size;
  }
  f->cached = 1;
}

// A free slot of files[], evicting if all are taken; -1 if every file
// held is in use.
static int
freeslot(void)
{
  for(;;){
    for(int i = 0; i < HF_NFILES; i++)
      if(files[i] == 0)
        return i;
    if(evict(0) < 0)
      return -1;
  }
}

int
hfile_open(const char *path, struct hfile **fp)
{
  struct stat st;
  struct hfile *f;
  uint64 now;
  int r, slot;

  if(pc == 0)
    pc = ln_cache(&pcsize);
  reap();
  if(strlen(path) >= MAXPATH)
    return -ENAMETOOLONG;
  // nothing in the file system changed since f was found current: it
  // still is, without a stat (the path's lookup costs more than the rest
  // of a small response)
  now = fsgen();
  if((f = fresh(path, now)) != 0)
    goto found;
  if((r = stat(path, &st)) < 0)
    return -ENOENT;
  if(st.type == T_DIR)
    return -EISDIR;
  if(st.type != T_FILE)
    return -EACCES;
  if((f = lookup(path, &st)) == 0){
    if((slot = freeslot()) < 0)
      return -EBUSY;
    if((r = load(path, &st, slot, &f)) < 0)
      return r;
    keep(f);
  }
  f->fsgen = now;    // taken before the stat: a change after it makes f look stale, not fresh
found:
  f->used = nowms();
  f->refs++;
  *fp = f;
  return 0;
}

uint64
hfile_size(struct hfile *f)
{
  return f->size;
}

int
hfile_send(struct hfile *f, int fd, uint64 off, uint64 n)
{
  int w;

  if(off >= f->size)
    return 0;
  if(n > f->size - off)
    n = f->size - off;
  if(f->r[0].len){
    if(ln_sendref(fd, &f->r[0], off, n) < 0)
      return errno == EAGAIN ? 0 : -1;
    return n;
  }
  if(n > HF_SENDMAX)
    n = HF_SENDMAX;
  if((w = write(fd, f->data + off, n)) < 0)
    return errno == EAGAIN ? 0 : -1;
  return w;
}

// The whole response head + f's bytes, in the payload cache: found, or
// laid out now in a free slot of r[1..]. 0 if it cannot be.
static struct netref *
whole(struct hfile *f, const char *head, int headlen)
{
  struct netref *r;
  int k, off;

  for(k = 1; k < HF_NREF; k++){
    r = &f->r[k];
    if(r->len == headlen + f->size && memcmp(pc + r->off, head, headlen) == 0)
      return r;
  }
  if(pc == 0 || f->size > HF_WHOLEMAX)
    return 0;
  for(k = 1; k < HF_NREF && f->r[k].len; k++)
    ;
  if(k == HF_NREF || (off = cachespace(headlen + f->size)) < 0)
    return 0;
  memmove(pc + off, head, headlen);
  memmove(pc + off + headlen, f->data ? f->data : (char *)pc + f->r[0].off, f->size);
  if(describe(&f->r[k], off, headlen + f->size) < 0)
    return 0;
  return &f->r[k];
}

int
hfile_sendwhole(struct hfile *f, int fd, const char *head, int headlen)
{
  struct netref *r;

  if((r = whole(f, head, headlen)) == 0)
    return 0;
  if(ln_sendref(fd, r, 0, r->len) < 0)
    return -1;
  return 1;
}

void
hfile_close(struct hfile *f)
{
  f->refs--;     // reap frees it once it is out of the cache and TCP is done with it too
}
