// exec: replace the current process's memory with a program from the
// file system. The old image is freed only once the new one is whole,
// so a failed exec returns to the caller unchanged.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "elf.h"
#include "errno.h"

static int
flags2perm(int flags)
{
  int perm = 0;
  if(flags & ELF_PROG_FLAG_EXEC)
    perm = PTE_X;
  if(flags & ELF_PROG_FLAG_WRITE)
    perm |= PTE_W;
  return perm;
}

// Load a segment into pagetable at va, which must be page-aligned and
// already mapped. Returns 0 or -1.
static int
loadseg(pagetable_t pagetable, uint64 va, struct inode *ip, uint offset, uint sz)
{
  uint i, n;
  uint64 pa;

  for(i = 0; i < sz; i += PGSIZE){
    pa = walkaddr(pagetable, va + i);
    if(pa == 0)
      panic("loadseg: address should exist");
    n = sz - i < PGSIZE ? sz - i : PGSIZE;
    if(readi(ip, 0, (uint64)pa, offset+i, n) != n)
      return -1;
  }
  return 0;
}

// Read and map every loadable segment of the ELF file ip into
// pagetable. Returns 0 or a negative errno; *szp is the end of what was
// mapped either way, so the caller can free it.
static int
loadelf(pagetable_t pagetable, struct inode *ip, struct elfhdr *elf, uint64 *szp)
{
  struct proghdr ph;
  uint64 sz1;
  int i, off;

  if(readi(ip, 0, (uint64)elf, 0, sizeof(*elf)) != sizeof(*elf) || elf->magic != ELF_MAGIC)
    return -ENOEXEC;

  for(i = 0, off = elf->phoff; i < elf->phnum; i++, off += sizeof(ph)){
    if(readi(ip, 0, (uint64)&ph, off, sizeof(ph)) != sizeof(ph))
      return -ENOEXEC;
    if(ph.type != ELF_PROG_LOAD)
      continue;
    if(ph.memsz < ph.filesz || ph.vaddr + ph.memsz < ph.vaddr)
      return -ENOEXEC;
    // page 0 stays unmapped; segments are page-aligned and ascending.
    if(ph.vaddr < PGSIZE || ph.vaddr % PGSIZE != 0 || ph.vaddr < *szp)
      return -ENOEXEC;
    if(ph.vaddr + ph.memsz > USERTOP)
      return -ENOMEM;
    if((sz1 = uvmalloc(pagetable, ph.vaddr, ph.vaddr + ph.memsz, flags2perm(ph.flags))) == 0)
      return -ENOMEM;
    *szp = sz1;
    if(loadseg(pagetable, ph.vaddr, ip, ph.off, ph.filesz) < 0)
      return -ENOEXEC;
  }
  if(*szp == 0)
    return -ENOEXEC;
  return 0;
}

// Copy argv strings and the argv array to the top of the new stack.
// Returns the new sp (with argv at it), or a negative errno.
static long
pushargs(pagetable_t pagetable, uint64 sp, uint64 stackbase, char **argv, int *argcp)
{
  uint64 ustack[MAXARG+1];
  int argc;

  for(argc = 0; argv[argc]; argc++) {
    if(argc >= MAXARG)
      return -E2BIG;
    sp -= strlen(argv[argc]) + 1;
    sp -= sp % 16; // riscv sp must be 16-byte aligned
    if(sp < stackbase)
      return -E2BIG;
    if(copyout(pagetable, sp, argv[argc], strlen(argv[argc]) + 1) < 0)
      return -E2BIG;
    ustack[argc] = sp;
  }
  ustack[argc] = 0;

  sp -= (argc+1) * sizeof(uint64);
  sp -= sp % 16;
  if(sp < stackbase)
    return -E2BIG;
  if(copyout(pagetable, sp, (char *)ustack, (argc+1)*sizeof(uint64)) < 0)
    return -E2BIG;
  *argcp = argc;
  return sp;
}

// Returns argc (which lands in a0, main's first argument) or a
// negative errno; on error the caller's image is untouched.
int
kexec(char *path, char **argv)
{
  char *s, *last;
  int argc = 0;
  long r;
  uint64 sz = 0, sz1, oldsz, stackbase, sp;
  struct elfhdr elf;
  struct inode *ip;
  pagetable_t pagetable = 0, oldpagetable;
  struct proc *p = myproc();

  begin_op();

  if((ip = namei(path)) == 0){
    end_op();
    return -ENOENT;
  }
  ilock(ip);

  if((pagetable = proc_pagetable(p)) == 0){
    r = -ENOMEM;
    goto bad;
  }
  if((r = loadelf(pagetable, ip, &elf, &sz)) < 0)
    goto bad;
  iunlockput(ip);
  end_op();
  ip = 0;

  // one unmapped guard page, then the stack. A stack overflow faults
  // on the guard page instead of overwriting the data below it.
  stackbase = PGROUNDUP(sz) + PGSIZE;
  if((sz1 = uvmalloc(pagetable, stackbase, stackbase + USERSTACK*PGSIZE, PTE_W)) == 0){
    r = -ENOMEM;
    goto bad;
  }
  sz = sz1;
  sp = sz;

  if((r = pushargs(pagetable, sp, stackbase, argv, &argc)) < 0)
    goto bad;
  sp = r;

  // a1 is main's argv; a0 (argc) is our return value.
  p->trapframe->a1 = sp;

  // the program's name, for debugging and fault messages.
  for(last=s=path; *s; s++)
    if(*s == '/')
      last = s+1;
  safestrcpy(p->name, last, sizeof(p->name));

  // commit to the new image. A network channel does not survive exec:
  // its region is mapped in the old page table.
  netchan_release(p);
  oldpagetable = p->pagetable;
  oldsz = p->sz;
  p->pagetable = pagetable;
  p->sz = sz;
  p->stackbase = stackbase;
  p->trapframe->epc = elf.entry;
  p->trapframe->sp = sp;
  // we run on the old table: move to the new one before freeing it.
  push_off();
  p->ptgen++;
  loadpt(p->pagetable, p->ptgen);
  pop_off();
  proc_freepagetable(oldpagetable, oldsz);

  return argc;

 bad:
  if(pagetable)
    proc_freepagetable(pagetable, sz);
  if(ip){
    iunlockput(ip);
    end_op();
  }
  return r;
}
