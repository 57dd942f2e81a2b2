// http.c: the HTTP/1.x request parser and response helpers httpd uses
// (RFC 9110 semantics, RFC 9112 message syntax). Pure: no allocation,
// no globals, no system calls; it builds for the guest and, with
// -DLIBNET_HOST, for the host's unit tests and fuzzer. It does not read
// bodies: a request with one is served and its connection closed.
#ifdef LIBNET_HOST
#include <string.h>
#else
#include "kernel/types.h"
#include "apps/user.h"
#endif
#include "apps/http.h"

static int
lower(int c)
{
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
digit(int c)
{
  return c >= '0' && c <= '9';
}

static int
hexval(int c)
{
  if(digit(c))
    return c - '0';
  c = lower(c);
  if(c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

// A tchar (RFC 9110 5.6.2): what methods and field names are made of.
static int
tchar(int c)
{
  if((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || digit(c))
    return 1;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != 0;
}

// Do s[0, n) and the NUL-terminated lowercase word w match, ignoring case?
static int
ieq(const char *s, int n, const char *w)
{
  int i;

  for(i = 0; i < n; i++)
    if(w[i] == 0 || lower((unsigned char)s[i]) != w[i])
      return 0;
  return w[n] == 0;
}

// The index of the first '\n' in b[from, len), or -1.
static int
findlf(const char *b, int from, int len)
{
  for(; from < len; from++)
    if(b[from] == '\n')
      return from;
  return -1;
}

// The end of the line whose LF is at lf, less an optional CR before it
// (RFC 9112 2.2: a recipient may take a bare LF as a line end).
static int
lineend(const char *b, int start, int lf)
{
  return lf > start && b[lf - 1] == '\r' ? lf - 1 : lf;
}

// Could b[s, e) begin a request line? It is printable ASCII and spaces
// only, so a control byte or a byte above 0x7e (a TLS handshake, binary
// junk) is refused at once, without waiting for a line end.
static int
lineok(const char *b, int s, int e)
{
  for(; s < e; s++)
    if((unsigned char)b[s] < 0x20 || (unsigned char)b[s] > 0x7e)
      return 0;
  return 1;
}

// Finish the segment that ends path[0, *n): resolve "." and ".." (RFC
// 3986 5.2.4: ".." never climbs above the root) and drop an empty one
// ("//"). seg is where the segment starts, just past its '/'.
static void
endseg(char *path, int *n, int seg)
{
  int len = *n - seg;

  if(len == 1 && path[seg] == '.'){
    *n = seg;
  } else if(len == 2 && path[seg] == '.' && path[seg + 1] == '.'){
    *n = seg;
    if(seg > 1)
      for(*n = seg - 1; path[*n - 1] != '/'; (*n)--)
        ;
  }
}

// Decode the path of the target t[0, n) into r->path: percent escapes
// decoded, dot segments resolved, repeated slashes collapsed, the query
// dropped. Returns 0, -400 for a bad escape or a decoded control byte
// (NUL among them), -414 if it does not fit.
static int
decodepath(const char *t, int n, struct http_req *r)
{
  char *p = r->path;
  int i, len = 1, seg = 1, c, h, l;

  p[0] = '/';
  for(i = 1; i < n && t[i] != '?' && t[i] != '#'; i++){
    c = (unsigned char)t[i];
    if(c == '%'){
      if(i + 2 >= n || (h = hexval(t[i + 1])) < 0 || (l = hexval(t[i + 2])) < 0)
        return -400;
      c = h << 4 | l;
      i += 2;
    }
    if(c < 0x20 || c == 0x7f)
      return -400;
    if(len + 2 > HTTP_PATHMAX)
      return -414;
    if(c == '/'){
      endseg(p, &len, seg);
      if(p[len - 1] != '/')
        p[len++] = '/';
      seg = len;
      continue;
    }
    p[len++] = c;
  }
  endseg(p, &len, seg);
  p[len] = 0;
  return 0;
}

// The path of a request target (RFC 9112 3.2): origin-form "/a/b?q",
// or absolute-form "http://host/a/b", which a server MUST accept.
static int
parsetarget(const char *t, int n, struct http_req *r)
{
  int i;

  if(n > 0 && t[0] == '/')
    return decodepath(t, n, r);
  if(n >= 7 && ieq(t, 7, "http://")){
    for(i = 7; i < n && t[i] != '/' && t[i] != '?' && t[i] != '#'; i++)
      ;
    if(i == n || t[i] != '/')
      return decodepath("/", 1, r);
    return decodepath(t + i, n - i, r);
  }
  return -400;
}

// The request line b[s, e) (RFC 9112 3): method SP target SP version,
// one space each.
static int
parseline(const char *b, int s, int e, struct http_req *r)
{
  int m, t, st;

  for(m = s; m < e && tchar(b[m]); m++)
    ;
  if(m == s || m == e || b[m] != ' ')
    return -400;
  // methods are case-sensitive (RFC 9110 9.1): "get" is not GET
  if(m - s == 3 && memcmp(b + s, "GET", 3) == 0)
    r->method = HTTP_GET;
  else if(m - s == 4 && memcmp(b + s, "HEAD", 4) == 0)
    r->method = HTTP_HEAD;
  else
    r->method = HTTP_OTHER;
  for(t = m + 1; t < e && b[t] != ' '; t++)
    ;
  if(t == m + 1 || e - t != 9 || memcmp(b + t, " HTTP/", 6) != 0)
    return -400;
  if(!digit(b[t + 6]) || b[t + 7] != '.' || !digit(b[t + 8]))
    return -400;
  if(b[t + 6] != '1')
    return -505;
  r->minor = b[t + 8] - '0';
  if((st = parsetarget(b + m + 1, t - m - 1, r)) < 0)
    return st;
  return 0;
}

// A decimal number b[s, e), digits only. Returns 0 with *v, or -1 if
// empty, not digits, or above 2^62 (no file is that large).
static int
number(const char *b, int s, int e, uint64_t *v)
{
  if(s == e)
    return -1;
  for(*v = 0; s < e; s++){
    if(!digit(b[s]) || *v > (1ULL << 62) / 10)
      return -1;
    *v = *v * 10 + (b[s] - '0');
  }
  return 0;
}

// Range (RFC 9110 14.2): "bytes=a-b", "bytes=a-" or "bytes=-n". Anything
// else, several ranges among it, leaves r->range NONE: the whole body.
static void
parserange(const char *b, int s, int e, struct http_req *r)
{
  int dash;

  r->range = HTTP_RANGE_NONE;
  if(e - s < 7 || !ieq(b + s, 6, "bytes="))
    return;
  s += 6;
  for(dash = s; dash < e && b[dash] != '-'; dash++)
    ;
  if(dash == e)
    return;
  if(dash == s){
    if(number(b, s + 1, e, &r->first) == 0)
      r->range = HTTP_RANGE_SUFFIX;
    return;
  }
  if(number(b, s, dash, &r->first) < 0)
    return;
  if(dash + 1 == e)
    r->last = UINT64_MAX;
  else if(number(b, dash + 1, e, &r->last) < 0 || r->last < r->first)
    return;
  r->range = HTTP_RANGE_SPAN;
}

// Connection (RFC 9110 7.6.1): a list of tokens; we act on two.
static void
parseconn(const char *b, int s, int e, int *close, int *keep)
{
  int t;

  while(s < e){
    while(s < e && (b[s] == ',' || b[s] == ' ' || b[s] == '\t'))
      s++;
    for(t = s; t < e && b[t] != ',' && b[t] != ' ' && b[t] != '\t'; t++)
      ;
    if(ieq(b + s, t - s, "close"))
      *close = 1;
    if(ieq(b + s, t - s, "keep-alive"))
      *keep = 1;
    s = t;
  }
}

// What the fields we read said, until the head ends.
struct fields {
  int nhost, close, keep, nrange;
  int haslen;
  uint64_t clen;
};

// One field line b[s, e) (RFC 9112 5). Returns 0 or -400.
static int
parsefield(const char *b, int s, int e, struct fields *f, struct http_req *r)
{
  int c, v, ve;
  uint64_t n;

  // no obs-fold (5.2) and no space before the colon (5.1): both MUST be refused
  for(c = s; c < e && tchar(b[c]); c++)
    ;
  if(c == s || c == e || b[c] != ':')
    return -400;
  for(v = c + 1; v < e && (b[v] == ' ' || b[v] == '\t'); v++)
    ;
  for(ve = e; ve > v && (b[ve - 1] == ' ' || b[ve - 1] == '\t'); ve--)
    ;
  for(int i = v; i < ve; i++)
    if(((unsigned char)b[i] < 0x20 && b[i] != '\t') || b[i] == 0x7f)
      return -400;
  if(ieq(b + s, c - s, "host")){
    f->nhost++;
  } else if(ieq(b + s, c - s, "connection")){
    parseconn(b, v, ve, &f->close, &f->keep);
  } else if(ieq(b + s, c - s, "content-length")){
    // 6.3: an invalid length, or two that differ, is unrecoverable
    if(number(b, v, ve, &n) < 0 || (f->haslen && n != f->clen))
      return -400;
    f->haslen = 1;
    f->clen = n;
    if(n > 0)
      r->hasbody = 1;
  } else if(ieq(b + s, c - s, "transfer-encoding")){
    r->hasbody = 1;
  } else if(ieq(b + s, c - s, "range")){
    if(f->nrange++ == 0)
      parserange(b, v, ve, r);
    else
      r->range = HTTP_RANGE_NONE;
  }
  return 0;
}

// The field lines from b[p] to the empty line. Returns the head's
// length, 0 if it has not all come, or a negative status.
static int
parsefields(const char *b, int p, int len, struct http_req *r)
{
  struct fields f;
  int lf, e, st, n = 0;

  memset(&f, 0, sizeof(f));
  for(;;){
    if((lf = findlf(b, p, len)) < 0)
      return len >= HTTP_HDRMAX ? -431 : 0;
    if(lf + 1 > HTTP_HDRMAX)
      return -431;
    e = lineend(b, p, lf);
    if(e == p)
      break;
    if(++n > HTTP_NHDRMAX)
      return -431;
    if((st = parsefield(b, p, e, &f, r)) < 0)
      return st;
    p = lf + 1;
  }
  // RFC 9112 3.2: a 1.1 request without exactly one Host MUST get a 400
  if((r->minor >= 1 && f.nhost != 1) || f.nhost > 1)
    return -400;
  if(r->minor >= 1)
    r->keepalive = !f.close;
  else
    r->keepalive = f.keep && !f.close;
  if(r->hasbody)
    r->keepalive = 0;
  return lf + 1;
}

int
http_parse(const char *b, int len, struct http_req *r)
{
  int p = 0, lf, e, st;

  memset(r, 0, sizeof(*r));
  r->lineoff = -1;
  // RFC 9112 2.2: empty lines before a request line SHOULD be ignored
  while(p < len && (b[p] == '\n' || (b[p] == '\r' && p + 1 < len && b[p + 1] == '\n')))
    p += b[p] == '\r' ? 2 : 1;
  if(p >= HTTP_LINEMAX)
    return -400;
  if((lf = findlf(b, p, len)) < 0){
    // what came of the line so far must still be able to become one
    e = len > p && b[len - 1] == '\r' ? len - 1 : len;
    if(!lineok(b, p, e))
      return -400;
    if(len - p >= HTTP_LINEMAX)
      return -414;
    return 0;
  }
  e = lineend(b, p, lf);
  r->lineoff = p;
  r->linelen = e - p;
  if(lf + 1 - p > HTTP_LINEMAX)
    return -414;
  if(!lineok(b, p, e))
    return -400;
  if((st = parseline(b, p, e, r)) < 0)
    return st;
  return parsefields(b, lf + 1, len, r);
}

int
http_range(const struct http_req *r, uint64_t size, uint64_t *off, uint64_t *n)
{
  uint64_t last;

  switch(r->range){
  case HTTP_RANGE_SPAN:
    if(r->first >= size)
      return 416;
    last = r->last < size - 1 ? r->last : size - 1;
    *off = r->first;
    *n = last - r->first + 1;
    return 206;
  case HTTP_RANGE_SUFFIX:
    // 14.1.3: a suffix longer than the body means all of it
    if(r->first == 0 || size == 0)
      return 416;
    *n = r->first < size ? r->first : size;
    *off = size - *n;
    return 206;
  }
  return 200;
}

static const struct {
  int status;
  const char *reason;
} reasons[] = {
  { 200, "OK" },
  { 206, "Partial Content" },
  { 301, "Moved Permanently" },
  { 400, "Bad Request" },
  { 403, "Forbidden" },
  { 404, "Not Found" },
  { 405, "Method Not Allowed" },
  { 408, "Request Timeout" },
  { 414, "URI Too Long" },
  { 416, "Range Not Satisfiable" },
  { 431, "Request Header Fields Too Large" },
  { 500, "Internal Server Error" },
  { 503, "Service Unavailable" },
  { 505, "HTTP Version Not Supported" },
};

const char *
http_reason(int status)
{
  for(unsigned i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
    if(reasons[i].status == status)
      return reasons[i].reason;
  return "Unknown";
}

static const struct {
  const char *ext;
  const char *type;
} mimes[] = {
  { "html", "text/html" },
  { "htm", "text/html" },
  { "css", "text/css" },
  { "js", "text/javascript" },      // RFC 9239
  { "png", "image/png" },
  { "jpg", "image/jpeg" },
  { "jpeg", "image/jpeg" },
  { "gif", "image/gif" },
  { "svg", "image/svg+xml" },
  { "txt", "text/plain" },
  { "ico", "image/x-icon" },
};

const char *
http_mime(const char *path)
{
  const char *dot = 0, *p;

  for(p = path; *p; p++){
    if(*p == '/')
      dot = 0;
    else if(*p == '.')
      dot = p + 1;
  }
  if(dot)
    for(unsigned i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
      if(ieq(dot, strlen(dot), mimes[i].ext))
        return mimes[i].type;
  return "application/octet-stream";
}

int
http_logsafe(char *out, int size, const char *s, int n)
{
  static const char hex[] = "0123456789abcdef";
  int o = 0, c;

  if(size <= 0)
    return 0;
  for(int i = 0; i < n; i++){
    c = (unsigned char)s[i];
    if(c >= 0x20 && c < 0x7f && c != '"' && c != '\\'){
      if(o + 1 >= size)
        break;
      out[o++] = c;
    } else {
      if(o + 4 >= size)
        break;
      out[o++] = '\\';
      out[o++] = 'x';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o] = 0;
  return o;
}
