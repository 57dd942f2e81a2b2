// The kernel command line: QEMU's -append, which its boot ROM hands us
// as /chosen/bootargs in the flattened device tree whose address is in
// a1 at entry (entry.S, start.c). Read once, on hart 0 before kinit():
// the tree sits in the last pages of RAM, which kinit gives away. The
// Devicetree Specification, chapter 5 (header, structure block tokens).
// Nothing else of the tree is used: the devices are where memlayout.h
// says.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

#define FDT_MAGIC      0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

static char args[128];   // bootargs, NUL-terminated; "" if none

static uint32
be32(const uint8 *p)
{
  return ((uint32)p[0] << 24) | ((uint32)p[1] << 16) | ((uint32)p[2] << 8) | p[3];
}

// Walk the structure block for /chosen's bootargs property. Every offset
// is checked against the tree's size: a bad tree leaves args empty.
void
bootargs_init(void)
{
  const uint8 *t = (const uint8 *)bootdtb, *s, *strs;
  uint32 size, off, slen, depth = 0, inchosen = 0;

  if(bootdtb < KERNBASE || bootdtb >= PHYSTOP - 40 || be32(t) != FDT_MAGIC)
    return;
  size = be32(t + 4);
  if(size > PHYSTOP - bootdtb || be32(t + 8) >= size || be32(t + 12) >= size)
    return;
  s = t + be32(t + 8);
  strs = t + be32(t + 12);
  slen = size - be32(t + 12);
  for(off = 0; s + off + 4 <= t + size; ){
    uint32 tok = be32(s + off);
    off += 4;
    if(tok == FDT_BEGIN_NODE){
      const char *name = (const char *)(s + off);
      int n = 0;
      while(s + off + n < t + size && name[n])
        n++;
      depth++;
      inchosen = depth == 2 && strncmp(name, "chosen", 7) == 0;
      off += (n + 1 + 3) & ~3;
    } else if(tok == FDT_END_NODE){
      depth--;
      inchosen = 0;
    } else if(tok == FDT_PROP){
      if(s + off + 8 > t + size)
        return;
      uint32 len = be32(s + off), nameoff = be32(s + off + 4);
      const uint8 *val = s + off + 8;
      if(val + len > t + size || nameoff >= slen)
        return;
      if(inchosen && strncmp((const char *)strs + nameoff, "bootargs", slen - nameoff) == 0){
        int n = len < sizeof(args) - 1 ? len : sizeof(args) - 1;
        memmove(args, val, n);
        args[n] = 0;
        return;
      }
      off += 8 + ((len + 3) & ~3);
    } else if(tok != FDT_NOP){
      return;   // FDT_END, or something we do not know
    }
  }
}

// Is opt one of the command line's space-separated words?
int
bootarg(const char *opt)
{
  int n = strlen(opt);

  for(char *p = args; *p; ){
    while(*p == ' ')
      p++;
    int w = 0;
    while(p[w] && p[w] != ' ')
      w++;
    if(w == n && strncmp(p, opt, n) == 0)
      return 1;
    p += w;
  }
  return 0;
}
