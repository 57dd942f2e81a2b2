// The few string and memory functions the kernel needs.
#include "types.h"

// A word at a time when aligned: every page kalloc hands out is filled,
// and under TCG a byte loop over 4 KiB costs microseconds per page.
void*
memset(void *dst, int c, uint n)
{
  char *d = dst;
  uint i = 0;

  if(((uint64)d & 7) == 0){
    uint64 w = (uchar)c;
    w |= w << 8;
    w |= w << 16;
    w |= w << 32;
    for(; i + 8 <= n; i += 8)
      *(uint64*)(d + i) = w;
  }
  for(; i < n; i++)
    d[i] = c;
  return dst;
}

int
memcmp(const void *v1, const void *v2, uint n)
{
  const uchar *s1 = v1, *s2 = v2;

  for(; n > 0; n--, s1++, s2++)
    if(*s1 != *s2)
      return *s1 - *s2;
  return 0;
}

// Copies correctly when the regions overlap.
void*
memmove(void *dst, const void *src, uint n)
{
  const char *s = src;
  char *d = dst;

  if(n == 0)
    return dst;
  if(s < d && s + n > d){
    s += n;
    d += n;
    while(n-- > 0)
      *--d = *--s;
  } else {
    // word at a time when both are aligned: exec and pipes move a lot.
    if((((uint64)s | (uint64)d) & 7) == 0){
      for(; n >= 8; n -= 8, s += 8, d += 8)
        *(uint64*)d = *(const uint64*)s;
    }
    while(n-- > 0)
      *d++ = *s++;
  }
  return dst;
}

// gcc may emit calls to memcpy itself.
void*
memcpy(void *dst, const void *src, uint n)
{
  return memmove(dst, src, n);
}

int
strncmp(const char *p, const char *q, uint n)
{
  while(n > 0 && *p && *p == *q)
    n--, p++, q++;
  if(n == 0)
    return 0;
  return (uchar)*p - (uchar)*q;
}

char*
strncpy(char *s, const char *t, int n)
{
  char *os = s;

  while(n-- > 0 && (*s++ = *t++) != 0)
    ;
  while(n-- > 0)
    *s++ = 0;
  return os;
}

// Like strncpy but always NUL-terminates.
char*
safestrcpy(char *s, const char *t, int n)
{
  char *os = s;

  if(n <= 0)
    return os;
  while(--n > 0 && (*s++ = *t++) != 0)
    ;
  *s = 0;
  return os;
}

int
strlen(const char *s)
{
  int n;

  for(n = 0; s[n]; n++)
    ;
  return n;
}
