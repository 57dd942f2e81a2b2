// Sv39 page tables: the kernel's direct map, and user address spaces.
// User spaces may have holes (page 0, the stack guard page), so the
// user-range helpers skip pages that are not mapped rather than panic.
#include "param.h"
#include "types.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"

pagetable_t kernel_pagetable;

extern char etext[];       // kernel.ld: end of kernel code
extern char trampoline[];  // trampoline.S

// The kernel's page table: devices and RAM mapped at their physical
// addresses, the trampoline at the top, a kernel stack per process.
static pagetable_t
kvmmake(void)
{
  pagetable_t kpgtbl = (pagetable_t) kalloc();
  memset(kpgtbl, 0, PGSIZE);

  kvmmap(kpgtbl, TESTDEV, TESTDEV_PA, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpgtbl, UART0, UART0_PA, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpgtbl, VIRTIO0, VIRTIO0_PA, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpgtbl, VIRTIO1, VIRTIO1_PA, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpgtbl, VIRTIO2, VIRTIO2_PA, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpgtbl, PLIC, PLIC_PA, 0x4000000, PTE_R | PTE_W);
  // kernel text executable and read-only; data and free RAM read-write.
  kvmmap(kpgtbl, KERNBASE, KERNBASE, (uint64)etext-KERNBASE, PTE_R | PTE_X);
  kvmmap(kpgtbl, (uint64)etext, (uint64)etext, PHYSTOP-(uint64)etext, PTE_R | PTE_W);
  kvmmap(kpgtbl, TRAMPOLINE, (uint64)trampoline, PGSIZE, PTE_R | PTE_X);
  proc_mapstacks(kpgtbl);
  return kpgtbl;
}

void
kvminit(void)
{
  kernel_pagetable = kvmmake();
}

// The L2 entries (1 GiB each) every page table shares with the kernel's:
// RAM, devices, kernel stacks. Their lower levels belong to the kernel.
static int kshared[] = { PX(2, KERNBASE), PX(2, KDEV), PX(2, KSTACKBASE) };

// Map the kernel into a process's page table: no PTE_U, so user code
// cannot touch it, but traps and system calls need no satp switch.
void
kvmshare(pagetable_t pt)
{
  for(int i = 0; i < NELEM(kshared); i++)
    pt[kshared[i]] = kernel_pagetable[kshared[i]];
}

int
kvmisshared(int l2index)
{
  for(int i = 0; i < NELEM(kshared); i++)
    if(kshared[i] == l2index)
      return 1;
  return 0;
}

// Take the kernel's entries out again, before the table is freed.
void
kvmunshare(pagetable_t pt)
{
  for(int i = 0; i < NELEM(kshared); i++)
    pt[kshared[i]] = 0;
}

// Switch this hart to the kernel page table and turn on paging.
void
kvminithart()
{
  // wait for any previous writes to the page table memory to finish.
  sfence_vma();
  w_satp(MAKE_SATP(kernel_pagetable));
  // flush stale entries from the TLB.
  sfence_vma();
  mycpu()->pagetable = kernel_pagetable;
}

// The address of the PTE for virtual address va, creating page-table
// pages on the way if alloc != 0. Returns 0 if va is out of range or a
// page-table page could not be allocated. (Priv. spec 4.3.2.)
pte_t *
walk(pagetable_t pagetable, uint64 va, int alloc)
{
  if(va >= MAXVA)
    return 0;

  for(int level = 2; level > 0; level--) {
    pte_t *pte = &pagetable[PX(level, va)];
    if(*pte & PTE_V) {
      pagetable = (pagetable_t)PTE2PA(*pte);
    } else {
      if(!alloc || (pagetable = (pde_t*)kalloc()) == 0)
        return 0;
      memset(pagetable, 0, PGSIZE);
      *pte = PA2PTE(pagetable) | PTE_V;
    }
  }
  return &pagetable[PX(0, va)];
}

// The physical address a user virtual address maps to, or 0 if it is
// not mapped for user access.
uint64
walkaddr(pagetable_t pagetable, uint64 va)
{
  pte_t *pte;

  if(va >= MAXVA)
    return 0;
  pte = walk(pagetable, va, 0);
  if(pte == 0 || (*pte & PTE_V) == 0 || (*pte & PTE_U) == 0)
    return 0;
  return PTE2PA(*pte);
}

// Add a mapping to the kernel page table, at boot only.
void
kvmmap(pagetable_t kpgtbl, uint64 va, uint64 pa, uint64 sz, int perm)
{
  if(mappages(kpgtbl, va, sz, pa, perm) != 0)
    panic("kvmmap");
}

// Map [va, va+size) to physical pages from pa. va and size need not be
// page-aligned. Returns 0, or -1 if a page-table page could not be had.
int
mappages(pagetable_t pagetable, uint64 va, uint64 size, uint64 pa, int perm)
{
  uint64 a, last;
  pte_t *pte;

  if(size == 0)
    panic("mappages: size");

  a = PGROUNDDOWN(va);
  last = PGROUNDDOWN(va + size - 1);
  for(;;){
    if((pte = walk(pagetable, a, 1)) == 0)
      return -1;
    if(*pte & PTE_V)
      panic("mappages: remap");
    *pte = PA2PTE(pa) | perm | PTE_V;
    if(a == last)
      break;
    a += PGSIZE;
    pa += PGSIZE;
  }
  return 0;
}

// Remove npages of mappings from va, freeing the pages if do_free.
// Pages that are not mapped (holes) are skipped.
void
uvmunmap(pagetable_t pagetable, uint64 va, uint64 npages, int do_free)
{
  pte_t *pte;

  if((va % PGSIZE) != 0)
    panic("uvmunmap: not aligned");

  for(uint64 a = va; a < va + npages*PGSIZE; a += PGSIZE){
    if((pte = walk(pagetable, a, 0)) == 0 || (*pte & PTE_V) == 0)
      continue;
    if(PTE_FLAGS(*pte) == PTE_V)
      panic("uvmunmap: not a leaf");
    if(do_free)
      kfree((void*)PTE2PA(*pte));
    *pte = 0;
  }
}

// An empty user page table, or 0 if out of memory.
pagetable_t
uvmcreate()
{
  pagetable_t pagetable = (pagetable_t) kalloc();
  if(pagetable == 0)
    return 0;
  memset(pagetable, 0, PGSIZE);
  return pagetable;
}

// Grow a process from oldsz to newsz with zeroed pages mapped with
// PTE_R|PTE_U|xperm. Returns the new size, or 0 on failure (after
// undoing the partial growth).
uint64
uvmalloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz, int xperm)
{
  char *mem;

  if(newsz < oldsz)
    return oldsz;
  if(newsz > USERTOP)
    return 0;

  oldsz = PGROUNDUP(oldsz);
  for(uint64 a = oldsz; a < newsz; a += PGSIZE){
    mem = kalloc();
    if(mem == 0){
      uvmdealloc(pagetable, a, oldsz);
      return 0;
    }
    memset(mem, 0, PGSIZE);
    if(mappages(pagetable, a, PGSIZE, (uint64)mem, PTE_R|PTE_U|xperm) != 0){
      kfree(mem);
      uvmdealloc(pagetable, a, oldsz);
      return 0;
    }
  }
  return newsz;
}

// Shrink a process from oldsz to newsz. Returns the new size.
uint64
uvmdealloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz)
{
  if(newsz >= oldsz)
    return oldsz;

  if(PGROUNDUP(newsz) < PGROUNDUP(oldsz)){
    int npages = (PGROUNDUP(oldsz) - PGROUNDUP(newsz)) / PGSIZE;
    uvmunmap(pagetable, PGROUNDUP(newsz), npages, 1);
  }
  return newsz;
}

// Free the page-table pages themselves; every leaf must be gone.
static void
freewalk(pagetable_t pagetable)
{
  for(int i = 0; i < 512; i++){
    pte_t pte = pagetable[i];
    if((pte & PTE_V) && (pte & (PTE_R|PTE_W|PTE_X)) == 0){
      freewalk((pagetable_t)PTE2PA(pte));
      pagetable[i] = 0;
    } else if(pte & PTE_V){
      panic("freewalk: leaf");
    }
  }
  kfree((void*)pagetable);
}

// Free user memory pages, then page-table pages.
void
uvmfree(pagetable_t pagetable, uint64 sz)
{
  if(sz > 0)
    uvmunmap(pagetable, 0, PGROUNDUP(sz)/PGSIZE, 1);
  freewalk(pagetable);
}

// Free a process's user memory and page-table pages, all but the root,
// which keeps the kernel's shared entries (and no others): a hart may
// still have it in satp (proc.c rootfree).
void
uvmfreekeeproot(pagetable_t pagetable, uint64 sz)
{
  if(sz > 0)
    uvmunmap(pagetable, 0, PGROUNDUP(sz)/PGSIZE, 1);
  for(int i = 0; i < 512; i++){
    pte_t pte = pagetable[i];
    if(!(pte & PTE_V) || kvmisshared(i))
      continue;
    if(pte & (PTE_R|PTE_W|PTE_X))
      panic("uvmfreekeeproot: leaf");
    freewalk((pagetable_t)PTE2PA(pte));
    pagetable[i] = 0;
  }
}

// Copy a parent's memory, holes and all, into a child's page table.
// Returns 0, or -1 after freeing what was copied.
int
uvmcopy(pagetable_t old, pagetable_t new, uint64 sz)
{
  pte_t *pte;
  uint64 pa, i;
  uint flags;
  char *mem;

  for(i = 0; i < sz; i += PGSIZE){
    if((pte = walk(old, i, 0)) == 0 || (*pte & PTE_V) == 0)
      continue;
    pa = PTE2PA(*pte);
    flags = PTE_FLAGS(*pte);
    if((mem = kalloc()) == 0)
      goto err;
    memmove(mem, (char*)pa, PGSIZE);
    if(mappages(new, i, PGSIZE, (uint64)mem, flags) != 0){
      kfree(mem);
      goto err;
    }
  }
  return 0;

 err:
  uvmunmap(new, 0, i / PGSIZE, 1);
  return -1;
}

// The physical page behind user address va if it is mapped with the
// user bit and all of perm, else 0.
static uint64
uaddr(pagetable_t pagetable, uint64 va, int perm)
{
  pte_t *pte;

  if(va >= MAXVA)
    return 0;
  pte = walk(pagetable, va, 0);
  if(pte == 0 || (*pte & (PTE_V|PTE_U|perm)) != (PTE_V|PTE_U|perm))
    return 0;
  return PTE2PA(*pte);
}

// Copy len bytes from kernel src to user dstva.
// Returns 0, or -1 if any byte is not writable user memory.
int
copyout(pagetable_t pagetable, uint64 dstva, char *src, uint64 len)
{
  uint64 n, va0, pa0;

  while(len > 0){
    va0 = PGROUNDDOWN(dstva);
    if((pa0 = uaddr(pagetable, va0, PTE_W)) == 0)
      return -1;
    n = PGSIZE - (dstva - va0);
    if(n > len)
      n = len;
    memmove((void *)(pa0 + (dstva - va0)), src, n);
    len -= n;
    src += n;
    dstva = va0 + PGSIZE;
  }
  return 0;
}

// Copy len bytes from user srcva to kernel dst.
// Returns 0, or -1 if any byte is not readable user memory.
int
copyin(pagetable_t pagetable, char *dst, uint64 srcva, uint64 len)
{
  uint64 n, va0, pa0;

  while(len > 0){
    va0 = PGROUNDDOWN(srcva);
    if((pa0 = uaddr(pagetable, va0, PTE_R)) == 0)
      return -1;
    n = PGSIZE - (srcva - va0);
    if(n > len)
      n = len;
    memmove(dst, (void *)(pa0 + (srcva - va0)), n);
    len -= n;
    dst += n;
    srcva = va0 + PGSIZE;
  }
  return 0;
}

// Copy a NUL-terminated string from user srcva to dst, at most max
// bytes including the NUL. Returns 0, or -1 if it is unreadable or
// longer than max.
int
copyinstr(pagetable_t pagetable, char *dst, uint64 srcva, uint64 max)
{
  uint64 n, va0, pa0;

  while(max > 0){
    va0 = PGROUNDDOWN(srcva);
    if((pa0 = uaddr(pagetable, va0, PTE_R)) == 0)
      return -1;
    n = PGSIZE - (srcva - va0);
    if(n > max)
      n = max;

    char *p = (char *) (pa0 + (srcva - va0));
    while(n > 0){
      if(*p == '\0'){
        *dst = '\0';
        return 0;
      }
      *dst++ = *p++;
      n--;
      max--;
    }
    srcva = va0 + PGSIZE;
  }
  return -1;
}
