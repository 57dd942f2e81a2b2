// Physical page allocator: a free list of 4096-byte pages between the
// end of the kernel image and PHYSTOP. Keeps a count so tests can check
// that nothing leaks.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "spinlock.h"
#include "riscv.h"
#include "defs.h"

extern char end[]; // first address after kernel, from kernel.ld

struct run {
  struct run *next;
};

// Pages already filled, for the receive path (kalloc_filled): an idle
// hart fills them ahead of need (kalloc_idle), so a received frame does
// not wait for a 4 KiB memset under TCG (about 3 us). They count as free.
#define NFILLED 32

// Pages a network channel gave back, not wiped, each tagged with the
// channel that had it (kfree_rx): the receive path takes them first
// (kalloc_rx), and netchan.c wipes the part past a frame only if the
// frame goes to another channel (pagetag). With one busy flow, pages
// go round between the device and its process with no 4 KiB fill each
// time, which had cost more than the rest of receiving a frame under
// TCG. They count as free; kalloc() takes (and fills) them last.
//
// A given-back page comes here only once the owner's hart has flushed
// its TLB (netchan.c rxfree), which under TCG happens about once per
// turn of the channel's 512-slot ring, so hundreds come back at once.
// At 256 the pool spilled them to the free list while the device, a
// moment before, had had to take freshly filled pages: half of all
// frames host to guest paid a 4 KiB fill. It holds a ring's worth and
// more (dev_rx_fresh in netstat counts the fills).
#define NRXPOOL 1024

struct {
  struct spinlock lock;
  struct run *freelist;
  int nfree;           // pages on freelist
  char *filled[NFILLED];
  int nfilled;         // pages in filled[]
  char *rxpool[NRXPOOL];
  int nrxpool;         // pages in rxpool[]
} kmem;

// Whose data a page may hold past what was last written into it: a
// channel's serial (netchan.c), or PAGE_CLEAN for a page kalloc()
// filled with junk. Meaningful only for pages from kalloc_rx() and for
// what netchan.c sets; read without a lock by the page's one user.
static uint32 tags[(PHYSTOP - KERNBASE) / PGSIZE];

static void freepage(void *pa, int junk);

// Put all of RAM above the kernel on the free list. No junk fill here:
// writing 128 MiB under TCG costs more than the rest of boot together.
void
kinit()
{
  initlock(&kmem.lock, "kmem");
  for(char *p = (char*)PGROUNDUP((uint64)end); p + PGSIZE <= (char*)PHYSTOP; p += PGSIZE)
    freepage(p, 0);
}

// Free the page of physical memory pointed at by pa,
// which normally should have been returned by kalloc().
// No junk fill here: kalloc() fills every page it hands out, and that
// is what keeps old data (another process's frame, say) from the next
// owner. A fill here too cost a 4 KiB memset per received frame.
void
kfree(void *pa)
{
  freepage(pa, 0);
}

static void
freepage(void *pa, int junk)
{
  struct run *r;

  if(((uint64)pa % PGSIZE) != 0 || (char*)pa < end || (uint64)pa >= PHYSTOP)
    panic("kfree");

  // fill with junk to catch dangling refs.
  if(junk)
    memset(pa, 1, PGSIZE);

  r = (struct run*)pa;
  acquire(&kmem.lock);
  r->next = kmem.freelist;
  kmem.freelist = r;
  kmem.nfree++;
  release(&kmem.lock);
}

// Take a page off the free list, or 0. kmem.lock held.
static struct run *
takefree(void)
{
  struct run *r = kmem.freelist;

  if(r){
    kmem.freelist = r->next;
    kmem.nfree--;
  }
  return r;
}

// Allocate one 4096-byte page. Returns 0 if none is free.
void *
kalloc(void)
{
  struct run *r;

  acquire(&kmem.lock);
  r = takefree();
  if(r == 0 && kmem.nfilled > 0)
    r = (struct run*)kmem.filled[--kmem.nfilled];
  if(r == 0 && kmem.nrxpool > 0)
    r = (struct run*)kmem.rxpool[--kmem.nrxpool];
  release(&kmem.lock);

  if(r){
    memset((char*)r, KJUNK, PGSIZE); // fill with junk
    pagetag_set(r, PAGE_CLEAN);
  }
  return (void*)r;
}

// A page as kalloc() gives it, filled already if an idle hart got to it.
void *
kalloc_filled(void)
{
  char *p = 0;

  acquire(&kmem.lock);
  if(kmem.nfilled > 0)
    p = kmem.filled[--kmem.nfilled];
  release(&kmem.lock);
  if(p == 0)
    return kalloc();
  pagetag_set(p, PAGE_CLEAN);
  return p;
}

// A page for the device to receive into: one a channel gave back, not
// wiped (its tag says whose it was), else a filled one (*fresh set).
void *
kalloc_rx(int *fresh)
{
  char *p = 0;

  acquire(&kmem.lock);
  if(kmem.nrxpool > 0)
    p = kmem.rxpool[--kmem.nrxpool];
  release(&kmem.lock);
  *fresh = p == 0;
  return p ? p : kalloc_filled();
}

// Channel tag gives back pa, which its process may have written
// anywhere: keep it for kalloc_rx, or free it if the pool is full.
void
kfree_rx(void *pa, uint32 tag)
{
  if(((uint64)pa % PGSIZE) != 0 || (char*)pa < end || (uint64)pa >= PHYSTOP)
    panic("kfree_rx");
  pagetag_set(pa, tag);
  acquire(&kmem.lock);
  if(kmem.nrxpool < NRXPOOL){
    kmem.rxpool[kmem.nrxpool++] = pa;
    pa = 0;
  }
  release(&kmem.lock);
  if(pa)
    freepage(pa, 0);
}

uint32
pagetag(void *pa)
{
  return tags[((uint64)pa - KERNBASE) / PGSIZE];
}

void
pagetag_set(void *pa, uint32 tag)
{
  tags[((uint64)pa - KERNBASE) / PGSIZE] = tag;
}

// Fill one page ahead for kalloc_filled(). For an idle hart, with
// interrupts on: one page at a time, so that it looks for work between
// pages. Returns 1 if it filled one.
int
kalloc_idle(void)
{
  struct run *r;

  if(*(volatile int *)&kmem.nfilled >= NFILLED)
    return 0;
  acquire(&kmem.lock);
  r = takefree();
  release(&kmem.lock);
  if(r == 0)
    return 0;
  memset((char*)r, KJUNK, PGSIZE);
  acquire(&kmem.lock);
  if(kmem.nfilled < NFILLED){
    kmem.filled[kmem.nfilled++] = (char*)r;
    r = 0;
  }
  release(&kmem.lock);
  if(r)
    freepage(r, 0);
  return 1;
}

int
kfreecount(void)
{
  int n;

  acquire(&kmem.lock);
  n = kmem.nfree + kmem.nfilled + kmem.nrxpool;
  release(&kmem.lock);
  return n;
}
