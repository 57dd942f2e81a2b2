// The small C library: program start, strings and memory, number parsing,
// ctype, stat(), gets(), errno and strerror(). No locale, no wide
// characters, no floating point. See user.h for the contract.
#include "apps/user.h"

int errno;

static void (*atexitfn[ATEXIT_MAX])(void);
static int natexit;

// Where exec lands: a0 = argc, a1 = argv, sp at the top of the user
// stack. A program that returns from main exits with main's value,
// through exit, so its atexit handlers run (C11 5.1.2.2.3).
void
_start(int argc, char **argv)
{
  extern int main(int, char**);

  exit(main(argc, argv));
}

// C11 7.22.4.2. Returns 0, or -ENOMEM if ATEXIT_MAX are registered.
int
atexit(void (*fn)(void))
{
  if(natexit >= ATEXIT_MAX)
    return -ENOMEM;
  atexitfn[natexit++] = fn;
  return 0;
}

// C11 7.22.4.4: the handlers in the reverse order of their registration,
// then the process ends. Each is taken off before it runs, so one that
// calls exit does not run again (nor loop), and the rest still run.
void
exit(int status)
{
  while(natexit > 0)
    atexitfn[--natexit]();
  _exit(status);
}

char*
strcpy(char *d, const char *s)
{
  char *p = d;

  while((*p++ = *s++) != 0)
    ;
  return d;
}

// Like the standard one: pads with NULs, and leaves d unterminated
// when s is n bytes or longer.
char*
strncpy(char *d, const char *s, int n)
{
  int i;

  for(i = 0; i < n && s[i]; i++)
    d[i] = s[i];
  for(; i < n; i++)
    d[i] = 0;
  return d;
}

char*
strcat(char *d, const char *s)
{
  strcpy(d + strlen(d), s);
  return d;
}

int
strcmp(const char *p, const char *q)
{
  while(*p && *p == *q)
    p++, q++;
  return (uchar)*p - (uchar)*q;
}

int
strncmp(const char *p, const char *q, int n)
{
  while(n > 0 && *p && *p == *q)
    n--, p++, q++;
  if(n == 0)
    return 0;
  return (uchar)*p - (uchar)*q;
}

uint
strlen(const char *s)
{
  uint n;

  for(n = 0; s[n]; n++)
    ;
  return n;
}

char*
strchr(const char *s, int c)
{
  for(;; s++){
    if(*s == (char)c)
      return (char*)s;
    if(*s == 0)
      return 0;
  }
}

char*
strrchr(const char *s, int c)
{
  const char *last = 0;

  for(;; s++){
    if(*s == (char)c)
      last = s;
    if(*s == 0)
      return (char*)last;
  }
}

char*
strstr(const char *hay, const char *needle)
{
  uint n = strlen(needle);

  for(; *hay; hay++)
    if(strncmp(hay, needle, n) == 0)
      return (char*)hay;
  return n == 0 ? (char*)hay : 0;
}

// Returns NULL (errno ENOMEM) when malloc fails.
char*
strdup(const char *s)
{
  uint n = strlen(s) + 1;
  char *d = malloc(n);

  if(d == 0){
    errno = ENOMEM;
    return 0;
  }
  return memcpy(d, s, n);
}

void*
memset(void *dst, int c, uint n)
{
  uchar *d = dst;

  // a word at a time where aligned: under TCG a byte loop is slow.
  if(((uint64)d & 7) == 0 && n >= 8){
    uint64 w = (uchar)c;
    w |= w << 8;
    w |= w << 16;
    w |= w << 32;
    for(; n >= 8; n -= 8, d += 8)
      *(uint64*)d = w;
  }
  while(n-- > 0)
    *d++ = c;
  return dst;
}

// Handles overlap in either direction.
void*
memmove(void *dst, const void *src, int n)
{
  uchar *d = dst;
  const uchar *s = src;

  if(s < d && s + n > d){
    d += n;
    s += n;
    while(n-- > 0)
      *--d = *--s;
  } else {
    // forward: bytes until d is aligned, then a word at a time (under
    // TCG a byte loop is slow). When s is not aligned with d, each word
    // is put together from the two aligned words it straddles, as
    // packet payloads (2 mod 8 in a frame) always are.
    while(n > 0 && ((uint64)d & 7) != 0){
      *d++ = *s++;
      n--;
    }
    int k = (uint64)s & 7;
    if(k == 0){
      for(; n >= 8; n -= 8, d += 8, s += 8)
        *(uint64*)d = *(const uint64*)s;
    } else if(n >= 16){
      const uint64 *w = (const uint64*)(s - k);
      uint64 lo = *w++, hi;
      int r = 8 * k, l = 64 - r;
      // stop while the last aligned word read still holds bytes we need
      for(; n >= 16; n -= 8, d += 8, s += 8){
        hi = *w++;
        *(uint64*)d = (lo >> r) | (hi << l);
        lo = hi;
      }
    }
    while(n-- > 0)
      *d++ = *s++;
  }
  return dst;
}

// The compiler may emit calls to memcpy for structure copies, so it
// must exist even though memmove would do.
void*
memcpy(void *dst, const void *src, uint n)
{
  return memmove(dst, src, n);
}

int
memcmp(const void *a, const void *b, uint n)
{
  const uchar *p = a, *q = b;

  for(; n > 0; n--, p++, q++)
    if(*p != *q)
      return *p - *q;
  return 0;
}

// Reads one line from fd 0, a byte at a time so that nothing past the
// newline is consumed (a child may read the rest). Keeps the newline;
// always NUL-terminates. Returns buf; buf[0] == 0 means EOF or error.
char*
gets(char *buf, int max)
{
  int i = 0;
  char c;

  while(i + 1 < max){
    if(read(0, &c, 1) < 1)
      break;
    buf[i++] = c;
    if(c == '\n' || c == '\r')
      break;
  }
  buf[i] = 0;
  return buf;
}

// Returns 0, or -E* from open/fstat (also left in errno).
int
stat(const char *path, struct stat *st)
{
  int fd, r;

  fd = open(path, O_RDONLY);
  if(fd < 0){
    errno = -fd;
    return fd;
  }
  r = fstat(fd, st);
  close(fd);
  if(r < 0)
    errno = -r;
  return r;
}

int
isspace(int c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int
isdigit(int c)
{
  return c >= '0' && c <= '9';
}

int
isalpha(int c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int
isprint(int c)
{
  return c >= 0x20 && c < 0x7f;
}

// Value of c as a digit in any base up to 36, or 36 if it is none.
static int
digitval(int c)
{
  if(isdigit(c))
    return c - '0';
  if(c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  if(c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return 36;
}

// The common part of strtol and strtoul: skips space, reads a sign and
// the digits, and picks the base when it is 0 (0x.. hex, 0.. octal).
// Saturates at ~0UL with errno ERANGE. *endp is s when no digit was read.
static unsigned long
parseul(const char *s, const char **endp, int base, int *neg)
{
  const char *p = s;
  unsigned long v = 0, lim;
  int d, any = 0, over = 0;

  *neg = 0;
  while(isspace(*p))
    p++;
  if(*p == '-' || *p == '+')
    *neg = (*p++ == '-');
  if((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
     digitval(p[2]) < 16){
    p += 2;
    base = 16;
  } else if(base == 0){
    base = (p[0] == '0') ? 8 : 10;
  }
  if(base < 2 || base > 36){
    errno = EINVAL;
    *endp = s;
    return 0;
  }
  lim = ~0UL / base;
  for(; (d = digitval(*p)) < base; p++){
    any = 1;
    if(v > lim || v * base > ~0UL - d)
      over = 1;
    v = v * base + d;
  }
  *endp = any ? p : s;
  if(over){
    errno = ERANGE;
    return ~0UL;
  }
  return v;
}

long
strtol(const char *s, char **endptr, int base)
{
  const char *end;
  unsigned long v, max = (~0UL) >> 1;
  int neg;

  v = parseul(s, &end, base, &neg);
  if(endptr)
    *endptr = (char*)end;
  if(neg){
    if(v > max + 1){
      errno = ERANGE;
      return -(long)max - 1;
    }
    return -(long)v;
  }
  if(v > max){
    errno = ERANGE;
    return max;
  }
  return v;
}

// As in C, a leading '-' negates the result modulo 2^64.
unsigned long
strtoul(const char *s, char **endptr, int base)
{
  const char *end;
  unsigned long v;
  int neg;

  v = parseul(s, &end, base, &neg);
  if(endptr)
    *endptr = (char*)end;
  return neg ? -v : v;
}

int
atoi(const char *s)
{
  return strtol(s, 0, 10);
}

// Indexed by code; holes are NULL. Must follow kernel/errno.h.
static const char *errnames[] = {
  [0]               "success",
  [EPERM]           "operation not permitted",
  [ENOENT]          "no such file or directory",
  [ESRCH]           "no such process",
  [EINTR]           "interrupted",
  [EIO]             "input/output error",
  [E2BIG]           "argument list too long",
  [ENOEXEC]         "not an executable",
  [EBADF]           "bad file descriptor",
  [ECHILD]          "no child processes",
  [EAGAIN]          "try again",
  [ENOMEM]          "out of memory",
  [EACCES]          "permission denied",
  [EFAULT]          "bad address",
  [EBUSY]           "resource busy",
  [EEXIST]          "file exists",
  [EXDEV]           "cross-device link",
  [ENODEV]          "no such device",
  [ENOTDIR]         "not a directory",
  [EISDIR]          "is a directory",
  [EINVAL]          "invalid argument",
  [ENFILE]          "file table full",
  [EMFILE]          "too many open files",
  [EFBIG]           "file too large",
  [ENOSPC]          "no space left on device",
  [ESPIPE]          "illegal seek",
  [EPIPE]           "broken pipe",
  [ERANGE]          "result out of range",
  [ENAMETOOLONG]    "file name too long",
  [ENOSYS]          "no such system call",
  [ENOTEMPTY]       "directory not empty",
  [EPROTO]          "protocol error",
  [EBADMSG]         "malformed message",
  [ENOTSOCK]        "not a socket",
  [EDESTADDRREQ]    "destination address required",
  [EMSGSIZE]        "message too long",
  [EPROTOTYPE]      "wrong protocol type for socket",
  [ENOPROTOOPT]     "protocol option not available",
  [EPROTONOSUPPORT] "protocol not supported",
  [EOPNOTSUPP]      "operation not supported",
  [EAFNOSUPPORT]    "address family not supported",
  [EADDRINUSE]      "address already in use",
  [EADDRNOTAVAIL]   "address not available",
  [ENETDOWN]        "network is down",
  [ENETUNREACH]     "network unreachable",
  [ECONNABORTED]    "connection aborted",
  [ECONNRESET]      "connection reset by peer",
  [ENOBUFS]         "no buffer space",
  [EISCONN]         "already connected",
  [ENOTCONN]        "not connected",
  [ETIMEDOUT]       "timed out",
  [ECONNREFUSED]    "connection refused",
  [EHOSTUNREACH]    "no route to host",
  [EALREADY]        "operation already in progress",
  [EDQUOT]          "quota exceeded",
  [EINPROGRESS]     "operation in progress",
};

// err is a positive E* code; a negative one (a raw system call result)
// is accepted too, since passing one is an easy slip.
const char*
strerror(int err)
{
  static char unknown[24];

  if(err < 0)
    err = -err;
  if(err < (int)(sizeof(errnames)/sizeof(errnames[0])) && errnames[err])
    return errnames[err];
  snprintf(unknown, sizeof(unknown), "error %d", err);
  return unknown;
}

// Reads until n bytes arrived, EOF or an error, since pipes and the
// console hand back short reads. Returns the count read (< n only at
// EOF), or -E* if the very first read failed.
int
readn(int fd, void *buf, int n)
{
  int got = 0, r;

  while(got < n){
    r = read(fd, (char*)buf + got, n - got);
    if(r < 0){
      errno = -r;
      return got > 0 ? got : r;
    }
    if(r == 0)
      break;
    got += r;
  }
  return got;
}

// Monotonic microseconds since boot, read from the time CSR (10 MHz on
// QEMU's virt board) without a system call: the kernel lets user mode
// read it (scounteren.TM), and libnet asks for the time several times
// per packet. The system call SYS_clock gives the same value.
uint64
clock(void)
{
  uint64 t;

  asm volatile("rdtime %0" : "=r" (t));
  return t / 10;
}

// A TCP or UDP port number written in decimal: 1 to 65535, the whole
// string, or -1.
int
parseport(const char *s)
{
  char *end;
  long v = strtol(s, &end, 10);

  if(*s == 0 || *end != 0 || v < 1 || v > 65535)
    return -1;
  return v;
}
