// httpfile.c: httpd's file-serving path, behind hfile_open, hfile_send
// and hfile_close (apps/http.h). A file is read whole into memory at
// its first request and the copy is shared by every connection sending
// it, so a connection holds no kernel descriptor (a process has NOFILE,
// 16) and the disk is read once per file, not once per request.
//
// The copies live in a small cache. Our stat has no modification time,
// so a copy is trusted while the file's inode and size are unchanged,
// and for at most HF_TTL_MS: a file rewritten in place with the same
// size is served stale for up to that long.
//
// This is the seam for zero copy: a cache of ready-made packets with
// their checksums (Cheetah's) replaces the copies here, and
// hfile_send hands those packets to TCP instead of write()'s copy.
#include "kernel/types.h"
#include "kernel/param.h"
#include "apps/user.h"
#include "libnet/socket.h"
#include "apps/http.h"

#define HF_NCACHE   64                  // files kept after their last send
#define HF_CACHEMAX (4 * 1024 * 1024)   // bytes of copies kept, in use or not
#define HF_HOLDMAX  (16 * 1024 * 1024)  // bytes held at once, kept or not: beyond, -EBUSY
#define HF_TTL_MS   2000                // how long a copy is trusted (above)
#define HF_SENDMAX  (64 * 1024)         // bytes offered to one write

struct hfile {
  char path[MAXPATH];
  int dev;
  uint ino;
  uint64 size;
  char *data;             // the file's bytes (size of them)
  int refs;               // connections sending it
  int cached;             // in cache[]: kept after refs falls to 0
  uint64 loaded;          // ms, when read from the disk
  uint64 used;            // ms, last opened (the least recently used goes first)
};

static struct hfile *cache[HF_NCACHE];
static uint64 cached;     // bytes of the copies in cache[]
static uint64 held;       // bytes of every copy, in cache[] or not

static void
release(struct hfile *f)
{
  held -= f->size;
  free(f->data);
  free(f);
}

// Take cache[i] out of the cache; it is freed now if nobody sends it,
// else by its last hfile_close.
static void
uncache(int i)
{
  struct hfile *f = cache[i];

  cache[i] = 0;
  f->cached = 0;
  cached -= f->size;
  if(f->refs == 0)
    release(f);
}

// Free the least recently used copy that nobody is sending. Returns 0,
// or -1 if every kept copy is in use.
static int
evict(void)
{
  int i, lru = -1;

  for(i = 0; i < HF_NCACHE; i++)
    if(cache[i] && cache[i]->refs == 0 && (lru < 0 || cache[i]->used < cache[lru]->used))
      lru = i;
  if(lru < 0)
    return -1;
  uncache(lru);
  return 0;
}

// The kept copy of path if it still matches st; a stale one is dropped.
static struct hfile *
lookup(const char *path, struct stat *st, uint64 now)
{
  struct hfile *f;

  for(int i = 0; i < HF_NCACHE; i++){
    if((f = cache[i]) == 0 || strcmp(f->path, path) != 0)
      continue;
    if(f->dev == st->dev && f->ino == st->ino && f->size == st->size &&
       now - f->loaded < HF_TTL_MS)
      return f;
    uncache(i);
  }
  return 0;
}

// Read the file at path, st->size bytes, into a new copy. Returns 0
// with *fp, or a negative errno.
static int
load(const char *path, struct stat *st, struct hfile **fp)
{
  struct hfile *f;
  int fd, n;
  uint64 got = 0;

  while(held + st->size > HF_HOLDMAX)
    if(evict() < 0)
      return -EBUSY;
  if((f = malloc(sizeof(*f))) == 0)
    return -ENOMEM;
  memset(f, 0, sizeof(*f));
  if((f->data = malloc(st->size ? st->size : 1)) == 0){
    free(f);
    return -ENOMEM;
  }
  if((fd = open(path, O_RDONLY)) < 0){
    free(f->data);
    free(f);
    return fd;
  }
  // a file that shrank since stat is served as long as it is now
  while(got < st->size && (n = read(fd, f->data + got, st->size - got)) > 0)
    got += n;
  close(fd);
  snprintf(f->path, sizeof(f->path), "%s", path);
  f->dev = st->dev;
  f->ino = st->ino;
  f->size = got;
  held += got;
  *fp = f;
  return 0;
}

// Keep f in the cache if it fits beside the others, making room by
// evicting copies nobody sends.
static void
keep(struct hfile *f)
{
  int i;

  if(f->size > HF_CACHEMAX / 2)
    return;
  while(cached + f->size > HF_CACHEMAX)
    if(evict() < 0)
      return;
  for(i = 0; i < HF_NCACHE && cache[i]; i++)
    ;
  if(i == HF_NCACHE){
    if(evict() < 0)
      return;
    for(i = 0; cache[i]; i++)
      ;
  }
  cache[i] = f;
  f->cached = 1;
  cached += f->size;
}

int
hfile_open(const char *path, struct hfile **fp)
{
  struct stat st;
  struct hfile *f;
  uint64 now = nowms();
  int r;

  if(strlen(path) >= MAXPATH)
    return -ENAMETOOLONG;
  if((r = stat(path, &st)) < 0)
    return -ENOENT;
  if(st.type == T_DIR)
    return -EISDIR;
  if(st.type != T_FILE)
    return -EACCES;
  if((f = lookup(path, &st, now)) == 0){
    if((r = load(path, &st, &f)) < 0)
      return r;
    f->loaded = now;
    keep(f);
  }
  f->used = now;
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
  if(n > HF_SENDMAX)
    n = HF_SENDMAX;
  if((w = write(fd, f->data + off, n)) < 0)
    return errno == EAGAIN ? 0 : -1;
  return w;
}

void
hfile_close(struct hfile *f)
{
  if(--f->refs == 0 && !f->cached)
    release(f);
}
