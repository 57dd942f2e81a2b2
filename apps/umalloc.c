// malloc, free, calloc and realloc over sbrk: the free list of K&R's
// "The C Programming Language", section 8.7, kept in address order and
// coalesced on free. Memory is never given back to the kernel.
// Allocation failure returns NULL; nothing here crashes on it.
#include "apps/user.h"

// Every block starts with a header; sizes are counted in headers, so
// that blocks stay 16-byte aligned.
union header {
  struct {
    union header *next;  // next free block (free list only)
    uint64 size;         // block size in headers, this one included
  } s;
  long double align;
};

static union header base;     // empty list's anchor, a zero-size block
static union header *freep;   // where the last search stopped

// Smallest request to sbrk, in headers, so that many small mallocs do
// not each cost a system call.
#define MINGROW 4096

void
free(void *ap)
{
  union header *bp, *p;

  if(ap == 0)
    return;
  bp = (union header*)ap - 1;
  for(p = freep; !(bp > p && bp < p->s.next); p = p->s.next)
    if(p >= p->s.next && (bp > p || bp < p->s.next))
      break;   // bp goes at one end of the arena
  if(bp + bp->s.size == p->s.next){
    bp->s.size += p->s.next->s.size;
    bp->s.next = p->s.next->s.next;
  } else {
    bp->s.next = p->s.next;
  }
  if(p + p->s.size == bp){
    p->s.size += bp->s.size;
    p->s.next = bp->s.next;
  } else {
    p->s.next = bp;
  }
  freep = p;
}

// Asks the kernel for at least nu more headers and frees them into the
// list. Returns the list pointer, or NULL when sbrk refuses.
static union header*
morecore(uint64 nu)
{
  char *p;
  union header *hp;

  if(nu < MINGROW)
    nu = MINGROW;
  if(nu * sizeof(union header) > 0x7fffffff)
    return 0;   // sbrk takes an int
  p = sbrk(nu * sizeof(union header));
  if((long)p < 0)
    return 0;   // a -E* code cast to a pointer
  hp = (union header*)p;
  hp->s.size = nu;
  free(hp + 1);
  return freep;
}

void*
malloc(uint nbytes)
{
  union header *p, *prevp;
  uint64 nunits;

  nunits = ((uint64)nbytes + sizeof(union header) - 1) / sizeof(union header) + 1;
  if((prevp = freep) == 0){
    base.s.next = freep = prevp = &base;
    base.s.size = 0;
  }
  for(p = prevp->s.next; ; prevp = p, p = p->s.next){
    if(p->s.size >= nunits){
      if(p->s.size == nunits){
        prevp->s.next = p->s.next;
      } else {
        // Hand out the tail, so the list entry stays where it is.
        p->s.size -= nunits;
        p += p->s.size;
        p->s.size = nunits;
      }
      freep = prevp;
      return (void*)(p + 1);
    }
    if(p == freep)
      if((p = morecore(nunits)) == 0){
        errno = ENOMEM;
        return 0;
      }
  }
}

void*
calloc(uint n, uint size)
{
  uint64 total = (uint64)n * size;
  void *p;

  if(total > 0xffffffffUL){
    errno = ENOMEM;
    return 0;
  }
  if((p = malloc(total)) != 0)
    memset(p, 0, total);
  return p;
}

// On failure the old block is left alone and NULL returned, as in C.
void*
realloc(void *ap, uint nbytes)
{
  union header *bp;
  uint64 old;
  void *np;

  if(ap == 0)
    return malloc(nbytes);
  if(nbytes == 0){
    free(ap);
    return 0;
  }
  bp = (union header*)ap - 1;
  old = (bp->s.size - 1) * sizeof(union header);
  if(nbytes <= old)
    return ap;
  if((np = malloc(nbytes)) == 0)
    return 0;
  memmove(np, ap, old);
  free(ap);
  return np;
}
