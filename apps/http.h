// http.h: HTTP/1.x as httpd speaks it. The request parser and the
// response helpers (http.c) are pure: no allocation, no globals, no
// system calls, so they build unchanged for the guest and the Linux
// host, where they are unit-tested and fuzzed. The file-serving path
// (httpfile.c) is the guest's alone; it is kept behind three calls so
// that a cache of ready-made packets can replace it (docs/httpd.md).
#ifndef APPS_HTTP_H
#define APPS_HTTP_H
#include <stdint.h>

enum {
  HTTP_LINEMAX = 2048,   // request line, CRLF included: beyond is 414
  HTTP_HDRMAX = 8192,    // whole request head: beyond is 431
  HTTP_NHDRMAX = 64,     // header fields: beyond is 431
  HTTP_PATHMAX = 200,    // decoded path, NUL included: beyond is 414
};

enum { HTTP_GET = 1, HTTP_HEAD, HTTP_OTHER };

// What a Range header asked for (RFC 9110 14.1.2). Several ranges, or
// one we cannot read, are HTTP_RANGE_NONE: a server may ignore Range.
enum {
  HTTP_RANGE_NONE,
  HTTP_RANGE_SPAN,       // bytes=first-last, or first- (last is UINT64_MAX)
  HTTP_RANGE_SUFFIX,     // bytes=-n: the last n bytes (n in first)
};

// One parsed request head. Strings are copies: the buffer parsed may
// be reused at once.
struct http_req {
  int method;            // HTTP_GET, HTTP_HEAD, HTTP_OTHER (a token we do not serve)
  int minor;             // HTTP/1.minor
  int keepalive;         // the connection may carry another request after this one
  int hasbody;           // Content-Length > 0 or Transfer-Encoding: a body we will not read
  int lineoff, linelen;  // the request line in the buffer, without its line end (for the log)
  char path[HTTP_PATHMAX];  // decoded; starts with '/'; no "." or ".." segment, no "//"
  int range;             // HTTP_RANGE_*
  uint64_t first, last;  // the range, as above
};

// Parse the request head at buf[0, len). Returns the head's length
// (the next request, if pipelined, starts there) with *r filled; 0 if
// the head is not complete yet and may still fit; or a negative status
// (-400, -414, -431, -505) when the request must be refused, with
// r->lineoff/linelen set once the request line was found (else -1, 0).
int http_parse(const char *buf, int len, struct http_req *r);

// Resolve r's range against a body of size bytes. Returns 200 (the
// whole body), 206 with *off and *n set, or 416 (unsatisfiable).
int http_range(const struct http_req *r, uint64_t size, uint64_t *off, uint64_t *n);

// The reason phrase for status ("Not Found"); "Unknown" for others.
const char *http_reason(int status);

// The media type for path, by its extension; application/octet-stream
// when none is known.
const char *http_mime(const char *path);

// Append "Common Log Format"-safe text: s[0, n) with every byte outside
// printable ASCII, and '"' and '\\', written as \xHH. Writes at most
// size-1 bytes and a NUL into out; returns the length written.
int http_logsafe(char *out, int size, const char *s, int n);

#ifndef LIBNET_HOST
// The file-serving path (httpfile.c). A response body is an open hfile:
// open it by its path in the file system, send it piece by piece as the
// socket takes it, close it. Files are read whole once, into the payload
// cache (sent by reference, zero copy) or else into memory, and shared
// while they stay unchanged, so no kernel descriptor stays open per
// connection (there are NOFILE of them per process).
struct hfile;

void hfile_init(void);   // before the first socket call: asks for the payload cache

// Open the regular file path. Returns 0 with *fp set, -ENOENT, -EISDIR,
// -EACCES (neither file nor directory), -ENOMEM or -EBUSY (no memory to
// hold it now: try again later), or another error from open/read.
int hfile_open(const char *path, struct hfile **fp);
uint64 hfile_size(struct hfile *f);
// Send bytes [off, off+n) of f on the non-blocking socket fd, as many as
// it takes now. Returns the number sent (0: the socket is full), or -1
// with errno set.
int hfile_send(struct hfile *f, int fd, uint64 off, uint64 n);
void hfile_close(struct hfile *f);
// Send head and all of f as one reference to a copy of both laid out in
// the payload cache (made at the first such call with these head bytes;
// a file keeps two), so a small response goes in as few segments as its
// bytes need. Returns 1 if queued, 0 if it cannot be done this way (send
// head and body apart), -1 with errno (EAGAIN: the socket is full).
int hfile_sendwhole(struct hfile *f, int fd, const char *head, int headlen);

uint64 nowms(void);   // milliseconds since boot (httpd.c)
#endif
#endif
