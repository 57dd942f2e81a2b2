// Fuzz httpd's request parser (apps/http.c). The input is a request
// head as a client would send it. Whatever it is, http_parse must
// return a head length within the input, "more", or one of the refusal
// statuses; a parsed path must be one httpd can join to its root
// safely; and a parse must not change when more bytes follow the head
// (pipelining) nor succeed on any shorter prefix.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "apps/http.h"

#define CHECK(c) do { \
  if(!(c)){ \
    fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
    abort(); \
  } \
} while(0)

// The promises a parsed path keeps: rooted, NUL-terminated in its
// array, no control byte, no empty, "." or ".." segment.
static void
checkpath(const char *p)
{
  size_t n = strnlen(p, HTTP_PATHMAX);

  CHECK(n < HTTP_PATHMAX && p[0] == '/');
  for(size_t i = 0; i < n; i++){
    CHECK((unsigned char)p[i] >= 0x20 && p[i] != 0x7f);
    if(p[i] != '/')
      continue;
    CHECK(p[i + 1] != '/');
    CHECK(!(p[i + 1] == '.' && (p[i + 2] == '/' || p[i + 2] == 0)));
    CHECK(!(p[i + 1] == '.' && p[i + 2] == '.' && (p[i + 3] == '/' || p[i + 3] == 0)));
  }
}

static void
checkrange(const struct http_req *r, uint64_t size)
{
  uint64_t off = ~0ULL, n = ~0ULL;
  int st = http_range(r, size, &off, &n);

  CHECK(st == 200 || st == 206 || st == 416);
  if(st == 206)
    CHECK(n >= 1 && off < size && n <= size - off);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct http_req r, r2;
  char *b, log[256];
  int n, len = size > HTTP_HDRMAX ? HTTP_HDRMAX : (int)size;

  b = malloc(len ? len : 1);
  CHECK(b != 0);
  memcpy(b, data, len);
  n = http_parse(b, len, &r);
  CHECK(n == 0 || n == -400 || n == -414 || n == -431 || n == -505 || (n > 0 && n <= len));
  if(r.lineoff >= 0){
    CHECK(r.linelen >= 0 && r.lineoff + r.linelen <= len);
    CHECK(http_logsafe(log, sizeof(log), b + r.lineoff, r.linelen) < (int)sizeof(log));
  }
  if(n > 0){
    CHECK(r.method >= HTTP_GET && r.method <= HTTP_OTHER);
    CHECK(r.minor >= 0 && r.minor <= 9);
    checkpath(r.path);
    CHECK(http_mime(r.path) != 0);
    checkrange(&r, 0);
    checkrange(&r, 1);
    checkrange(&r, 65536);
    checkrange(&r, r.first);
    // the same head alone parses the same
    CHECK(http_parse(b, n, &r2) == n);
    CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
    // no prefix is a whole head
    for(int k = n - 1; k >= 0 && k >= n - 4; k--)
      CHECK(http_parse(b, k, &r2) == 0);
  }
  free(b);
  return 0;
}
