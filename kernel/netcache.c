// A channel's payload cache (netchan.h, "The payload cache"): pages the
// process fills once and the device sends from many times, mapped after
// the buffer pool and never moved or flipped. And, for every page the
// device reads that a channel would free when it closes (cache pages,
// header copies), the number of frames in flight that read it.
//
// The count is kept by physical page, not in the channel: a channel
// whose frames outlive its close (netchan_release waits a second, not
// for ever) may be opened again by another process meanwhile, but a
// page in flight stays out of the free list until its last frame is
// done. This file allocates, maps and frees; netchan.c sends.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "errno.h"
#include "netvar.h"

// Frames in flight reading each page of RAM (a frame reads one header
// page and at most two cache pages, a channel has NC_NSLOTS slots: far
// below ORPHAN). ORPHAN: its channel let go of the page, and the last
// frame to finish frees it. Guarded by netlock.
#define ORPHAN 0x8000
static uint16 devref[(PHYSTOP - KERNBASE) / PGSIZE];

static uint16 *
refof(uint64 pa)
{
  if(pa < KERNBASE || pa >= PHYSTOP)
    panic("netcache refof");
  return &devref[(pa - KERNBASE) / PGSIZE];
}

// Give c a cache of npages fresh pages (junk, as kalloc fills them:
// nobody's data). Returns 0, or -ENOMEM with none kept.
int
netcache_alloc(struct netchan *c, int npages)
{
  for(c->ncache = 0; c->ncache < npages; c->ncache++){
    if((c->cache[c->ncache] = kalloc()) == 0){
      netcache_free(c);
      return -ENOMEM;
    }
  }
  return 0;
}

// Map c's cache read-write after the pool, in pagetable pt. Returns 0
// or -ENOMEM; the caller unmaps what was mapped.
int
netcache_map(struct netchan *c, pagetable_t pt)
{
  for(int i = 0; i < c->ncache; i++)
    if(mappages(pt, NC_VA + NC_CACHE_OFF + (uint64)i * PGSIZE, PGSIZE,
                (uint64)c->cache[i], PTE_R|PTE_W|PTE_U) < 0)
      return -ENOMEM;
  return 0;
}

// Let go of page: free it now if no frame in flight reads it, else
// leave it to the last one (netcache_drop). netlock held.
static void
orphan(char *page)
{
  uint16 *r = refof((uint64)page);

  if(*r == 0)
    kfree(page);
  else
    *r |= ORPHAN;
}

// netcache_orphan, taking netlock.
void
netcache_orphan(char *page)
{
  acquire(&netlock);
  orphan(page);
  release(&netlock);
}

// Let go of c's whole cache, unmapped already (netchan_release): pages
// in flight are freed as their last frame finishes.
void
netcache_free(struct netchan *c)
{
  acquire(&netlock);
  for(int i = 0; i < c->ncache; i++){
    orphan(c->cache[i]);
    c->cache[i] = 0;
  }
  c->ncache = 0;
  release(&netlock);
}

// One more frame in flight reads the page at pa. netlock held.
void
netcache_hold(uint64 pa)
{
  uint16 *r = refof(PGROUNDDOWN(pa));

  if((*r & ~ORPHAN) >= ORPHAN - 1)
    panic("netcache_hold");
  (*r)++;
}

// A frame that read the page at pa is done; the last one frees a page
// its channel let go of. netlock held.
void
netcache_drop(uint64 pa)
{
  uint16 *r = refof(PGROUNDDOWN(pa));

  if((*r & ~ORPHAN) == 0)
    panic("netcache_drop");
  (*r)--;
  if(*r == ORPHAN){
    *r = 0;
    kfree((void*)PGROUNDDOWN(pa));
  }
}
