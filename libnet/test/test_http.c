// Host tests for httpd's request parser (apps/http.c): what a browser,
// curl and ab send, pipelining, every refusal status, paths that try
// to leave the root, ranges, and the helpers for types and the log.
#include <stdint.h>
#include "apps/http.h"
#include "libnet/test/test.h"

// Parse the NUL-terminated s; returns http_parse's result.
static int
parse(const char *s, struct http_req *r)
{
  return http_parse(s, strlen(s), r);
}

static void
test_curl(void)
{
  const char *s = "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                  "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
  struct http_req r;

  CHECKEQ(parse(s, &r), strlen(s));
  CHECKEQ(r.method, HTTP_GET);
  CHECKEQ(r.minor, 1);
  CHECKEQ(r.keepalive, 1);
  CHECKEQ(r.hasbody, 0);
  CHECKEQ(r.range, HTTP_RANGE_NONE);
  CHECK(strcmp(r.path, "/index.html") == 0);
  CHECKEQ(r.lineoff, 0);
  CHECKEQ(r.linelen, 24);
}

// HTTP/1.0 closes unless asked; 1.1 keeps unless asked; no Host in 1.0 is fine.
static void
test_keepalive(void)
{
  struct http_req r;

  CHECK(parse("GET / HTTP/1.0\r\n\r\n", &r) > 0);
  CHECKEQ(r.keepalive, 0);
  CHECKEQ(r.minor, 0);
  CHECK(parse("HEAD / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r) > 0);
  CHECKEQ(r.keepalive, 1);
  CHECKEQ(r.method, HTTP_HEAD);
  CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", &r) > 0);
  CHECKEQ(r.keepalive, 0);
  // a body we will not read ends the connection
  CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n", &r) > 0);
  CHECKEQ(r.keepalive, 0);
  CHECKEQ(r.hasbody, 1);
  CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &r) > 0);
  CHECKEQ(r.keepalive, 1);
}

// Two requests in one read: the first's length is where the second starts.
static void
test_pipelined(void)
{
  const char *a = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const char *b = "HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n";
  char buf[256];
  struct http_req r;
  int n;

  snprintf(buf, sizeof(buf), "%s%s", a, b);
  CHECKEQ(n = parse(buf, &r), strlen(a));
  CHECK(strcmp(r.path, "/a") == 0);
  CHECKEQ(parse(buf + n, &r), strlen(b));
  CHECK(strcmp(r.path, "/b") == 0);
  CHECKEQ(r.method, HTTP_HEAD);
}

// Every prefix of a head is "not yet"; bare LF line ends and one empty
// line before the request are accepted (RFC 9112 2.2).
static void
test_partial(void)
{
  const char *s = "\r\nGET /x HTTP/1.1\nHost: x\n\n";
  struct http_req r;
  int i, n = strlen(s);

  for(i = 0; i < n; i++)
    CHECKEQ(http_parse(s, i, &r), 0);
  CHECKEQ(http_parse(s, n, &r), n);
  CHECKEQ(r.lineoff, 2);
  CHECK(strcmp(r.path, "/x") == 0);
}

static void
test_paths(void)
{
  static const struct {
    const char *target, *path;
  } t[] = {
    { "/", "/" },
    { "/a/b/", "/a/b/" },
    { "/a//b", "/a/b" },
    { "/a/./b/.", "/a/b/" },
    { "/a/../../../etc/passwd", "/etc/passwd" },
    { "/..", "/" },
    { "/%2e%2E/x", "/x" },
    { "/a%20b?q=/../..", "/a b" },
    { "/a#frag", "/a" },
    { "http://example/d/e", "/d/e" },
    { "HTTP://example", "/" },
    { "/a/b/..", "/a/" },
  };
  char buf[512];
  struct http_req r;

  for(unsigned i = 0; i < NELEM(t); i++){
    snprintf(buf, sizeof(buf), "GET %s HTTP/1.0\r\n\r\n", t[i].target);
    CHECK(parse(buf, &r) > 0);
    if(strcmp(r.path, t[i].path) != 0){
      printf("%s: %s became %s, wanted %s\n", test_name, t[i].target, r.path, t[i].path);
      test_failed = 1;
    }
  }
}

// Each refusal, with the status httpd sends.
static void
test_refused(void)
{
  static const struct {
    const char *req;
    int status;
  } t[] = {
    { "junk\r\n\r\n", -400 },
    { "GET /\r\n\r\n", -400 },                           // HTTP/0.9
    { "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", -400 },       // two spaces
    { "GET / HTTP/1.1\r\n\r\n", -400 },                   // 1.1 without Host
    { "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", -400 },
    { "GET / HTTP/1.1\r\nHost : a\r\n\r\n", -400 },       // space before colon
    { "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", -400 },
    { "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", -400 },
    { "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", -400 },
    { "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
    { "GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
    { "GET a HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
    { "GET / HTTP/2.0\r\nHost: a\r\n\r\n", -505 },
    { "GET / HTTP/1.1\r\nHost: \001\r\n\r\n", -400 },
    { "\026\003\001\002\000", -400 },                   // a TLS hello, before any line end
  };
  struct http_req r;

  for(unsigned i = 0; i < NELEM(t); i++){
    int n = http_parse(t[i].req, strlen(t[i].req) + (t[i].req[0] == '\026'), &r);
    if(n != t[i].status){
      printf("%s: %d: got %d, wanted %d\n", test_name, i, n, t[i].status);
      test_failed = 1;
    }
  }
  // a method we do not serve parses: httpd answers 405
  CHECK(parse("DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n", &r) > 0);
  CHECKEQ(r.method, HTTP_OTHER);
  CHECK(parse("get /x HTTP/1.1\r\nHost: a\r\n\r\n", &r) > 0);
  CHECKEQ(r.method, HTTP_OTHER);
}

// 414 for a long line, complete or not; 431 for a long head or too many fields.
static void
test_limits(void)
{
  static char buf[HTTP_HDRMAX + 4096];
  struct http_req r;
  int n;

  n = snprintf(buf, sizeof(buf), "GET /");
  memset(buf + n, 'a', HTTP_LINEMAX);
  CHECKEQ(http_parse(buf, HTTP_LINEMAX, &r), -414);
  CHECKEQ(http_parse(buf, HTTP_LINEMAX - 1, &r), 0);
  // a path over HTTP_PATHMAX in a line that fits
  n = snprintf(buf, sizeof(buf), "GET /%0300d HTTP/1.0\r\n\r\n", 0);
  CHECKEQ(http_parse(buf, n, &r), -414);
  n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
  while(n < HTTP_HDRMAX)
    n += snprintf(buf + n, sizeof(buf) - n, "X-Pad: %0500d\r\n", 0);
  CHECKEQ(http_parse(buf, HTTP_HDRMAX, &r), -431);
  CHECKEQ(http_parse(buf, HTTP_HDRMAX - 600, &r), 0);
  n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
  for(int i = 0; i < HTTP_NHDRMAX; i++)
    n += snprintf(buf + n, sizeof(buf) - n, "X: y\r\n");
  n += snprintf(buf + n, sizeof(buf) - n, "\r\n");
  CHECKEQ(http_parse(buf, n, &r), -431);
}

static void
test_ranges(void)
{
  static const struct {
    const char *range;
    uint64_t size;
    int status;
    uint64_t off, n;
  } t[] = {
    { "bytes=0-99", 1000, 206, 0, 100 },
    { "bytes=100-", 1000, 206, 100, 900 },
    { "bytes=-10", 1000, 206, 990, 10 },
    { "bytes=-5000", 1000, 206, 0, 1000 },
    { "bytes=900-5000", 1000, 206, 900, 100 },
    { "bytes=999-999", 1000, 206, 999, 1 },
    { "bytes=1000-", 1000, 416, 0, 0 },
    { "bytes=-0", 1000, 416, 0, 0 },
    { "bytes=0-", 0, 416, 0, 0 },
    { "bytes=5-1", 1000, 200, 0, 0 },          // invalid: ignored
    { "bytes=0-1,5-6", 1000, 200, 0, 0 },      // several: ignored
    { "items=0-1", 1000, 200, 0, 0 },
    { "bytes=99999999999999999999-", 1000, 200, 0, 0 },
  };
  char buf[256];
  struct http_req r;
  uint64_t off, n;

  for(unsigned i = 0; i < NELEM(t); i++){
    snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nRange: %s\r\n\r\n", t[i].range);
    CHECK(parse(buf, &r) > 0);
    off = n = 0;
    int st = http_range(&r, t[i].size, &off, &n);
    if(st != t[i].status || (st == 206 && (off != t[i].off || n != t[i].n))){
      printf("%s: %s of %llu: %d off %llu n %llu\n", test_name, t[i].range,
             (unsigned long long)t[i].size, st, (unsigned long long)off, (unsigned long long)n);
      test_failed = 1;
    }
  }
}

static void
test_helpers(void)
{
  char out[32];

  CHECK(strcmp(http_mime("/index.html"), "text/html") == 0);
  CHECK(strcmp(http_mime("/s/STYLE.CSS"), "text/css") == 0);
  CHECK(strcmp(http_mime("/logo.png"), "image/png") == 0);
  CHECK(strcmp(http_mime("/a.b/file"), "application/octet-stream") == 0);
  CHECK(strcmp(http_mime("/1k"), "application/octet-stream") == 0);
  CHECK(strcmp(http_reason(431), "Request Header Fields Too Large") == 0);
  CHECK(strcmp(http_reason(299), "Unknown") == 0);
  CHECKEQ(http_logsafe(out, sizeof(out), "a\"b\n", 4), 10);
  CHECK(strcmp(out, "a\\x22b\\x0a") == 0);
  CHECKEQ(http_logsafe(out, 4, "abcdef", 6), 3);
}

static const struct test tests[] = {
  { test_curl, "curl" },
  { test_keepalive, "keepalive" },
  { test_pipelined, "pipelined" },
  { test_partial, "partial" },
  { test_paths, "paths" },
  { test_refused, "refused" },
  { test_limits, "limits" },
  { test_ranges, "ranges" },
  { test_helpers, "helpers" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
