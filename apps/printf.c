// Formatted output: printf, fprintf and snprintf over one formatter.
// Conversions: %d %i %u %x %X %o %p %s %c %%, with l/ll (and z) size
// prefixes, a field width (or *), the '-' and '0' flags, and a precision
// for %s. No floating point.
//
// printf and fprintf collect their output in a buffer and write() it
// in one call (more only if it overflows), so that lines printed by
// different processes to the console do not interleave mid-line.
#include <stdarg.h>
#include "apps/user.h"

// Where formatted characters go: a caller's buffer (snprintf) or a
// local one flushed to fd (fd >= 0).
struct sink {
  char *buf;
  int size;    // bytes buf can hold
  int len;     // bytes now in buf
  int total;   // characters produced so far, including flushed/dropped
  int fd;      // -1 for snprintf
};

static void
flush(struct sink *s)
{
  if(s->fd >= 0 && s->len > 0)
    write(s->fd, s->buf, s->len);
  s->len = 0;
}

static void
putc(struct sink *s, char c)
{
  s->total++;
  if(s->fd >= 0){
    if(s->len == s->size)
      flush(s);
    s->buf[s->len++] = c;
  } else if(s->len + 1 < s->size){
    // snprintf keeps the last byte for the NUL.
    s->buf[s->len++] = c;
  }
}

static void
pad(struct sink *s, char c, int n)
{
  while(n-- > 0)
    putc(s, c);
}

// Emits str (n bytes) in a field of width w: padded on the right when
// left is set, else on the left with padc.
static void
field(struct sink *s, const char *str, int n, int w, int left, char padc)
{
  int i;

  if(!left)
    pad(s, padc, w - n);
  for(i = 0; i < n; i++)
    putc(s, str[i]);
  if(left)
    pad(s, ' ', w - n);
}

// Formats an integer. The zero padding goes after the sign, as in C.
static void
number(struct sink *s, uint64 v, int base, int neg, int upper,
       int w, int left, int zero)
{
  const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];
  int i = sizeof(tmp);

  do {
    tmp[--i] = dig[v % base];
    v /= base;
  } while(v != 0);
  if(neg && zero && !left){
    putc(s, '-');
    pad(s, '0', w - 1 - ((int)sizeof(tmp) - i));
    field(s, tmp + i, sizeof(tmp) - i, 0, 0, ' ');
    return;
  }
  if(neg)
    tmp[--i] = '-';
  field(s, tmp + i, sizeof(tmp) - i, w, left, zero && !left ? '0' : ' ');
}

static void
format(struct sink *s, const char *fmt, va_list ap)
{
  const char *str;
  int left, zero, w, prec, lng, n;
  uint64 u;
  long v;
  char c;

  for(; *fmt; fmt++){
    if(*fmt != '%'){
      putc(s, *fmt);
      continue;
    }
    fmt++;
    left = zero = 0;
    for(;; fmt++){
      if(*fmt == '-')
        left = 1;
      else if(*fmt == '0')
        zero = 1;
      else
        break;
    }
    w = 0;
    if(*fmt == '*'){
      w = va_arg(ap, int);
      if(w < 0){
        left = 1;
        w = -w;
      }
      fmt++;
    }
    for(; isdigit(*fmt); fmt++)
      w = w * 10 + (*fmt - '0');
    prec = -1;
    if(*fmt == '.'){
      fmt++;
      prec = 0;
      if(*fmt == '*'){
        prec = va_arg(ap, int);
        fmt++;
      }
      for(; isdigit(*fmt); fmt++)
        prec = prec * 10 + (*fmt - '0');
    }
    lng = 0;
    for(; *fmt == 'l' || *fmt == 'z'; fmt++)
      lng = 1;   // long and long long are both 64 bits here

    switch(*fmt){
    case 'd':
    case 'i':
      v = lng ? va_arg(ap, long) : va_arg(ap, int);
      number(s, v < 0 ? -(uint64)v : (uint64)v, 10, v < 0, 0, w, left, zero);
      break;
    case 'u':
    case 'x':
    case 'X':
    case 'o':
      u = lng ? va_arg(ap, uint64) : va_arg(ap, uint);
      number(s, u, *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16, 0, *fmt == 'X',
             w, left, zero);
      break;
    case 'p':
      u = (uint64)va_arg(ap, void*);
      putc(s, '0');
      putc(s, 'x');
      number(s, u, 16, 0, 0, 16, 0, 1);
      break;
    case 's':
      str = va_arg(ap, const char*);
      if(str == 0)
        str = "(null)";
      for(n = 0; str[n] && (prec < 0 || n < prec); n++)
        ;
      field(s, str, n, w, left, ' ');
      break;
    case 'c':
      c = va_arg(ap, int);
      field(s, &c, 1, w, left, ' ');
      break;
    case '%':
      putc(s, '%');
      break;
    case 0:
      // A lone '%' at the end: print it rather than run off the string.
      putc(s, '%');
      return;
    default:
      // Unknown conversions print as written, to be seen and fixed.
      putc(s, '%');
      putc(s, *fmt);
      break;
    }
  }
}

static void
vfprintf(int fd, const char *fmt, va_list ap)
{
  char buf[256];
  struct sink s = { buf, sizeof(buf), 0, 0, fd };

  format(&s, fmt, ap);
  flush(&s);
}

void
fprintf(int fd, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vfprintf(fd, fmt, ap);
  va_end(ap);
}

void
printf(const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vfprintf(1, fmt, ap);
  va_end(ap);
}

// Returns the length the whole output would have had, as C's does;
// writes at most size-1 characters and a NUL when size > 0.
int
snprintf(char *buf, int size, const char *fmt, ...)
{
  struct sink s = { buf, size, 0, 0, -1 };
  va_list ap;

  va_start(ap, fmt);
  format(&s, fmt, ap);
  va_end(ap);
  if(size > 0)
    buf[s.len] = 0;
  return s.total;
}
