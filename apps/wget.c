// wget: fetch one URL over HTTP/1.1 (RFC 9112) into a file or standard
// output, with GNU wget's messages, progress bar and exit statuses.
// The body goes out as it arrives, never whole in memory. Bodies framed
// by Content-Length, by chunks or by the connection's close; redirects
// followed up to 20; network failures retried (-t), resuming with a
// Range request where the server allows it.
//
// What it does not do: HTTPS (there is no TLS), proxies,
// authentication, cookies, recursion, compressed encodings (it asks
// for identity), IPv6. Host names go through libnet's resolver.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/socket.h"
#include "libnet/netdb.h"

// GNU wget's exit statuses (its manual, "Exit Status").
enum {
  EXIT_OK = 0,
  EXIT_GENERIC = 1,
  EXIT_PARSE = 2,       // bad command line
  EXIT_IO = 3,          // the output could not be written
  EXIT_NETWORK = 4,
  EXIT_PROTOCOL = 7,
  EXIT_SERVER = 8,      // the server answered with an error
};

// What one request can come to besides an exit status.
enum {
  RETRY = -1,           // a network failure: another try may succeed
  REDIRECT = -2,        // the url now holds the new location
};

// A connection closed by the peer, among the negative errnos conn_*
// return; strerror() does not know it, so messages name it themselves.
#define ECLOSED 4096

#define MAXREDIRECT 20
#define MAXWAITRETRY 10       // seconds: GNU's --waitretry default
#define MAXLINE 2048          // longest status or header line
#define REDRAWMS 250          // the bar redraws at most this often
#define BARWIDTH 21
#define NSAMPLE 12            // rate over the last NSAMPLE redraws (3 s)

struct url {
  char host[256];
  int port;
  char path[1024];            // from the '/', with any query, no fragment
};

// A connection and what has arrived on it but not been used.
struct conn {
  int fd;
  char buf[16384];
  int pos, len;               // unread bytes are buf[pos..len)
};

// What a response's status line and headers said.
struct resp {
  int status;
  char reason[128];
  char location[1024];        // empty if none
  char type[128];             // Content-Type, empty if none
  int64_t length;             // Content-Length, -1 if none
  int64_t rstart, rtotal;     // Content-Range of a 206, else -1
  int chunked;
};

// The download as a whole, across tries and redirects.
struct xfer {
  char *oname;                // -O, or 0 to name the file after the URL
  char name[256];             // the file being written
  int out;                    // its descriptor, -1 until the first 2xx
  uint64 got;                 // body bytes written so far
  int64_t total;              // the body's whole size, -1 if unknown
  uint64 skip;                // body bytes to drop: a Range the server ignored
};

// The progress bar. Samples of (time, bytes) taken at each redraw give
// the rate over the last few seconds, as GNU's does, so a stall shows.
struct bar {
  int on;
  const char *name;
  int64_t total;              // -1 if unknown
  uint64 got, start_got;
  uint64 t0, tdraw;           // ms since boot at the start and at the last redraw
  uint64 st[NSAMPLE], sgot[NSAMPLE];
  int ns, bounce;
};

static int quiet;
static int timeout_ms = 900 * 1000;   // GNU's default read timeout; 0 for none
static int tries = 20;                // GNU's default; 0 for no limit
static struct bar bar;

#define say(...) do { if(!quiet) fprintf(2, __VA_ARGS__); } while(0)

static void
usage(void)
{
  fprintf(2, "usage: wget [-q] [-O file|-] [-T seconds] [-t tries] URL\n");
  exit(EXIT_PARSE);
}

// --- names and numbers -----------------------------------------------

// The one place host names become addresses: getaddrinfo (literals,
// /etc/hosts, localhost, then DNS). Returns 0 or -1.
static int
lookup(const char *host, struct in_addr *a)
{
  struct addrinfo hints, *res;

  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_INET;
  if(getaddrinfo(host, 0, &hints, &res) != 0)
    return -1;
  *a = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return 0;
}

static int
lower(int c)
{
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

// Returns the value after "name:" if line is that header, else 0.
// Header names are case-insensitive (RFC 9110 5.1).
static char *
header(char *line, const char *name)
{
  int n = strlen(name);

  for(int i = 0; i < n; i++)
    if(lower(line[i]) != name[i])
      return 0;
  if(line[n] != ':')
    return 0;
  line += n + 1;
  while(*line == ' ' || *line == '\t')
    line++;
  return line;
}

// Parses a decimal number that fills s. Returns it, or -1.
static int64_t
decimal(const char *s)
{
  int64_t v = 0;

  if(!isdigit(*s))
    return -1;
  for(; isdigit(*s); s++){
    if(v > (((int64_t)1 << 62) - 9) / 10)
      return -1;
    v = v * 10 + (*s - '0');
  }
  while(*s == ' ' || *s == '\t')
    s++;
  return *s == 0 ? v : -1;
}

// Seconds with up to three decimals ("2", "0.5") in milliseconds, or -1.
static int
seconds(const char *s)
{
  int ms = 0, scale = 1000;

  if(!isdigit(*s))
    return -1;
  for(; isdigit(*s); s++){
    if(ms > 1000000000 / 10)
      return -1;
    ms = ms * 10 + (*s - '0') * 1000;
  }
  if(*s == '.')
    for(s++; isdigit(*s); s++)
      ms += (*s - '0') * (scale /= 10);
  return *s == 0 ? ms : -1;
}

// n bytes as GNU shows them: "999", "12.3K", "16.0M".
static void
human(char *buf, int size, uint64 n)
{
  const char *unit = "KMGT";
  uint64 v;
  int i;

  if(n < 1024){
    snprintf(buf, size, "%lu", n);
    return;
  }
  for(i = 0, v = n * 10 / 1024; v >= 10240 && i < 3; i++)
    v /= 1024;
  if(v < 1000)
    snprintf(buf, size, "%lu.%lu%c", v / 10, v % 10, unit[i]);
  else
    snprintf(buf, size, "%lu%c", v / 10, unit[i]);
}

// A rate in bytes per second: "123KB/s", "1.23MB/s" (sp puts a space
// before the unit, as GNU's final line does).
static void
rate(char *buf, int size, uint64 bps, int sp)
{
  const char *unit[] = { "B/s", "KB/s", "MB/s", "GB/s" };
  const char *gap = sp ? " " : "";
  uint64 v = bps * 100;
  int i = 0;

  for(; v >= 1000 * 100 && i < 3; i++)
    v /= 1024;
  if(v < 10 * 100)
    snprintf(buf, size, "%lu.%02lu%s%s", v / 100, v % 100, gap, unit[i]);
  else if(v < 100 * 100)
    snprintf(buf, size, "%lu.%lu%s%s", v / 100, v / 10 % 10, gap, unit[i]);
  else
    snprintf(buf, size, "%lu%s%s", v / 100, gap, unit[i]);
}

// A duration: "2.3s" (or "2s" without tenths), "1m 5s", "2h 10m", "3d 4h".
static void
duration(char *buf, int size, uint64 ms, int tenths)
{
  uint64 s = ms / 1000;

  if(s < 60 && tenths)
    snprintf(buf, size, "%lu.%lus", s, ms / 100 % 10);
  else if(s < 60)
    snprintf(buf, size, "%lus", s);
  else if(s < 3600)
    snprintf(buf, size, "%lum %lus", s / 60, s % 60);
  else if(s < 86400)
    snprintf(buf, size, "%luh %lum", s / 3600, s / 60 % 60);
  else
    snprintf(buf, size, "%lud %luh", s / 86400, s / 3600 % 24);
}

// glibc's words for the network errors, which GNU wget's messages use.
static const char *
errmsg(int e)
{
  switch(e){
  case ETIMEDOUT: return "Connection timed out";
  case ECONNREFUSED: return "Connection refused";
  case ECONNRESET: return "Connection reset by peer";
  case EHOSTUNREACH: return "No route to host";
  case ENETUNREACH: return "Network is unreachable";
  }
  return strerror(e);
}

static uint64
now_ms(void)
{
  return clock() / 1000;
}

// --- the progress bar ------------------------------------------------

static void
bar_start(const char *name, uint64 got, int64_t total)
{
  memset(&bar, 0, sizeof(bar));
  bar.on = !quiet;
  bar.name = name;
  bar.got = bar.start_got = got;
  bar.total = total;
  bar.t0 = now_ms();
}

// The bar itself: a growing "====>" for a known size, a bouncing
// "<=>" for an unknown one.
static void
bar_fill(char *p)
{
  int i, n, at;

  memset(p, ' ', BARWIDTH);
  p[BARWIDTH] = 0;
  if(bar.total >= 0){
    n = bar.got >= bar.total ? BARWIDTH : (int)(bar.got * BARWIDTH / bar.total);
    for(i = 0; i < n; i++)
      p[i] = i == n - 1 ? '>' : '=';
    return;
  }
  // back and forth across the bar, one step per redraw
  at = bar.bounce % (2 * (BARWIDTH - 3));
  if(at > BARWIDTH - 3)
    at = 2 * (BARWIDTH - 3) - at;
  memmove(p + at, "<=>", 3);
}

// Bytes per second over the samples kept, 0 before there are two.
static uint64
bar_rate(uint64 t, uint64 got)
{
  int old = bar.ns < NSAMPLE ? 0 : bar.ns % NSAMPLE;

  if(bar.ns == 0 || t <= bar.st[old])
    return 0;
  return (got - bar.sgot[old]) * 1000 / (t - bar.st[old]);
}

// Redraws the line in place (\r), in one write so nothing splits it.
// done: the last draw, with the total time instead of the ETA.
static void
bar_draw(int done)
{
  char fill[BARWIDTH + 1], size[16], speed[16], eta[24], pct[8], line[128];
  uint64 t = now_ms(), bps;

  bar.tdraw = t;
  bps = done ? (bar.got - bar.start_got) * 1000 / (t > bar.t0 ? t - bar.t0 : 1)
             : bar_rate(t, bar.got);
  bar.st[bar.ns % NSAMPLE] = t;
  bar.sgot[bar.ns % NSAMPLE] = bar.got;
  bar.ns++;
  bar.bounce++;
  bar_fill(fill);
  human(size, sizeof(size), bar.got);
  if(bps > 0)
    rate(speed, sizeof(speed), bps, 0);
  else
    strcpy(speed, "--.-KB/s");
  eta[0] = pct[0] = 0;
  if(bar.total >= 0)
    snprintf(pct, sizeof(pct), "%d%%", bar.got >= bar.total ? 100 : (int)(bar.got * 100 / bar.total));
  if(done){
    strcpy(eta, "in ");
    duration(eta + 3, sizeof(eta) - 3, t - bar.t0, 1);
  } else if(bar.total > 0 && bps > 0 && bar.got < bar.total){
    strcpy(eta, "eta ");
    duration(eta + 4, sizeof(eta) - 4, (bar.total - bar.got) * 1000 / bps, 0);
  }
  snprintf(line, sizeof(line), "\r%-20.20s %4s[%s] %7s %9s  %-11s",
           bar.name, pct, fill, size, speed, eta);
  write(2, line, strlen(line));
}

// The download reached got bytes; redraw if it is time.
static void
bar_update(uint64 got)
{
  bar.got = got;
  if(bar.on && (bar.ns == 0 || now_ms() - bar.tdraw >= REDRAWMS))
    bar_draw(0);
}

// Time passes without data: redraw if it is time, so a stall shows.
static void
bar_tick(void)
{
  bar_update(bar.got);
}

static void
bar_end(void)
{
  if(bar.on){
    bar_draw(1);
    write(2, "\n\n", 2);
  }
  bar.on = 0;
}

// --- URLs ------------------------------------------------------------

// Parses "http://host[:port][/path]", or the same without "http://"
// as GNU allows, into u. Returns 0, or an exit status after saying
// what is wrong.
static int
url_parse(const char *s, struct url *u)
{
  const char *h, *e, *p;
  int n, port = 80;

  if(strncmp(s, "https://", 8) == 0){
    say("wget: %s: HTTPS support not compiled in (there is no TLS).\n", s);
    return EXIT_GENERIC;
  }
  h = s;
  if(strncmp(s, "http://", 7) == 0)
    h = s + 7;
  else if((p = strstr(s, "://")) != 0 && strchr(s, '/') == p + 1){
    say("wget: %s: Unsupported scheme.\n", s);
    return EXIT_GENERIC;
  }
  for(e = h; *e && strchr("/:?#@", *e) == 0; e++)
    ;
  if(e == h || *e == '@' || e - h >= sizeof(u->host)){
    say("wget: %s: Invalid host name.\n", s);
    return EXIT_PARSE;
  }
  memmove(u->host, h, e - h);
  u->host[e - h] = 0;
  if(*e == ':'){
    for(port = 0, e++, n = 0; isdigit(*e) && n < 6; e++, n++)
      port = port * 10 + (*e - '0');
    if(n == 0 || n == 6 || port < 1 || port > 65535 || (*e && strchr("/?#", *e) == 0)){
      say("wget: %s: Bad port number.\n", s);
      return EXIT_PARSE;
    }
  }
  u->port = port;
  n = strchr(e, '#') ? strchr(e, '#') - e : strlen(e);
  if(n + 2 > sizeof(u->path)){
    say("wget: %s: URL too long.\n", s);
    return EXIT_PARSE;
  }
  u->path[0] = '/';
  memmove(u->path + (*e != '/'), e, n);
  u->path[n + (*e != '/')] = 0;
  return 0;
}

// RFC 3986 5.2.4: takes "." and ".." segments out of a path (up to
// any query), in place, as a relative reference needs.
static void
url_clean(char *path)
{
  char *in = path, *out = path, *end, *q;
  int n;

  end = strchr(path, '?') ? strchr(path, '?') : path + strlen(path);
  while(in < end){
    // in points at a '/'; the segment runs to the next '/' or the end
    for(q = in + 1; q < end && *q != '/'; q++)
      ;
    n = q - in - 1;
    if(n == 1 && in[1] == '.'){
      if(q == end)
        *out++ = '/';
    } else if(n == 2 && in[1] == '.' && in[2] == '.'){
      while(out > path && *--out != '/')
        ;
      if(q == end)
        *out++ = '/';
    } else {
      memmove(out, in, n + 1);
      out += n + 1;
    }
    in = q;
  }
  if(out == path)
    *out++ = '/';
  memmove(out, end, strlen(end) + 1);
}

// Follows a Location (RFC 9110 10.2.2): absolute, scheme-relative,
// absolute path, or relative to the current path's directory. Rewrites
// u; returns 0 or an exit status.
static int
url_follow(struct url *u, const char *loc)
{
  char buf[sizeof(u->path) + 300], *slash;
  int n;

  if(strstr(loc, "://") != 0 && strchr(loc, '/') == strstr(loc, "://") + 1)
    return url_parse(loc, u);
  if(loc[0] == '/' && loc[1] == '/'){
    snprintf(buf, sizeof(buf), "http:%s", loc);
    return url_parse(buf, u);
  }
  if(loc[0] == '/'){
    snprintf(buf, sizeof(buf), "http://%s:%d%s", u->host, u->port, loc);
    if((n = url_parse(buf, u)) == 0)
      url_clean(u->path);
    return n;
  }
  // the directory of the path, without its query: "/a/b?q" -> "/a/"
  n = strlen(u->path);
  if(strchr(u->path, '?'))
    n = strchr(u->path, '?') - u->path;
  for(slash = u->path + n; slash > u->path && slash[-1] != '/'; slash--)
    ;
  n = slash - u->path;
  snprintf(buf, sizeof(buf), "http://%s:%d%.*s%s", u->host, u->port, n, u->path, loc);
  if((n = url_parse(buf, u)) == 0)
    url_clean(u->path);
  return n;
}

// The local name GNU gives a URL: its last path segment, without the
// query, or index.html for a directory.
static void
url_name(struct url *u, char *name, int size)
{
  char *p = u->path, *q;
  int n;

  n = strchr(p, '?') ? strchr(p, '?') - p : strlen(p);
  for(q = p + n; q > p && q[-1] != '/'; q--)
    ;
  n -= q - p;
  if(n == 0)
    snprintf(name, size, "index.html");
  else
    snprintf(name, size, "%.*s", n, q);
}

// --- the connection --------------------------------------------------

// Connects c to u, saying so as GNU does. Returns 0, or an exit status
// or RETRY after saying what went wrong.
static int
conn_open(struct conn *c, struct url *u)
{
  struct sockaddr_in a;
  struct timeval tv;
  int s;

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(u->port);
  if(lookup(u->host, &a.sin_addr) < 0){
    say("wget: unable to resolve host address '%s'\n", u->host);
    return EXIT_NETWORK;
  }
  if(inet_addr(u->host) == a.sin_addr.s_addr)
    say("Connecting to %s:%d... ", u->host, u->port);
  else
    say("Connecting to %s|%s|:%d... ", u->host, inet_ntoa(a.sin_addr), u->port);
  if((s = socket(AF_INET, SOCK_STREAM, 0)) < 0){
    say("failed: %s.\n", strerror(errno));
    return EXIT_GENERIC;
  }
  // -T bounds the handshake and sending the request; reads poll.
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = timeout_ms % 1000 * 1000;
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if(connect(s, (struct sockaddr *)&a, sizeof(a)) < 0){
    say("failed: %s.\n", errmsg(errno));
    close(s);
    // GNU gives up at once on a refusal: nobody is listening.
    return errno == ECONNREFUSED ? EXIT_NETWORK : RETRY;
  }
  say("connected.\n");
  c->fd = s;
  c->pos = c->len = 0;
  return 0;
}

// Reads more into c->buf, waiting at most -T without data, redrawing the
// bar meanwhile. Returns the bytes added, or -ECLOSED, -ETIMEDOUT or
// another negative errno.
static int
conn_fill(struct conn *c)
{
  struct pollfd p;
  uint64 until = timeout_ms ? now_ms() + timeout_ms : ~0ULL, t;
  int n;

  if(c->pos > 0){
    memmove(c->buf, c->buf + c->pos, c->len - c->pos);
    c->len -= c->pos;
    c->pos = 0;
  }
  if(c->len == sizeof(c->buf))
    return -E2BIG;      // a read of 0 bytes would look like the close
  for(;;){
    n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
    if(n > 0){
      c->len += n;
      return n;
    }
    if(n == 0)
      return -ECLOSED;
    if(errno != EAGAIN)
      return -errno;
    if((t = now_ms()) >= until)
      return -ETIMEDOUT;
    p.fd = c->fd;
    p.events = POLLIN;
    poll(&p, 1, until - t < REDRAWMS ? until - t : REDRAWMS);
    bar_tick();
  }
}

// The first '\n' in p[0..n), or 0.
static char *
findnl(char *p, int n)
{
  for(; n > 0; p++, n--)
    if(*p == '\n')
      return p;
  return 0;
}

// Reads one line into line, without its CRLF (or bare LF). Returns its
// length, -E2BIG if longer than size, or conn_fill's errors.
static int
conn_line(struct conn *c, char *line, int size)
{
  char *nl;
  int n, e;

  while((nl = findnl(c->buf + c->pos, c->len - c->pos)) == 0){
    if(c->len - c->pos >= size)
      return -E2BIG;
    if((e = conn_fill(c)) < 0)
      return e;
  }
  n = nl - (c->buf + c->pos);
  if(n >= size)
    return -E2BIG;
  memmove(line, c->buf + c->pos, n);
  c->pos += n + 1;
  if(n > 0 && line[n - 1] == '\r')
    n--;
  line[n] = 0;
  return n;
}

// --- HTTP ------------------------------------------------------------

// Sends the GET for u, asking for the body from byte from on if a
// try before got that far. Returns 0 or a negative errno.
static int
request(struct conn *c, struct url *u, uint64 from)
{
  static char req[sizeof(u->path) + sizeof(u->host) + 256];
  char host[sizeof(u->host) + 8], range[48];
  int n;

  // RFC 9110 7.2: Host carries the port unless it is the default.
  if(u->port == 80)
    snprintf(host, sizeof(host), "%s", u->host);
  else
    snprintf(host, sizeof(host), "%s:%d", u->host, u->port);
  range[0] = 0;
  if(from > 0)
    snprintf(range, sizeof(range), "Range: bytes=%lu-\r\n", from);
  n = snprintf(req, sizeof(req),
               "GET %s HTTP/1.1\r\n"
               "Host: %s\r\n"
               "User-Agent: Wget/1.0 (riscv64 libnet)\r\n"
               "Accept: */*\r\n"
               "Accept-Encoding: identity\r\n"
               "Connection: close\r\n"
               "%s\r\n", u->path, host, range);
  if(send(c->fd, req, n, 0) != n)
    return -errno;
  // from here on reads wait in conn_fill's poll, which also redraws
  fcntl(c->fd, F_SETFL, O_NONBLOCK);
  return 0;
}

// "bytes first-last/total" (RFC 9110 14.4), total maybe "*".
static void
content_range(char *v, struct resp *r)
{
  char *dash, *slash;

  if(strncmp(v, "bytes ", 6) != 0 || (dash = strchr(v, '-')) == 0 ||
     (slash = strchr(v, '/')) == 0 || slash < dash)
    return;
  *dash = *slash = 0;
  r->rstart = decimal(v + 6);
  r->rtotal = strcmp(slash + 1, "*") == 0 ? -1 : decimal(slash + 1);
}

// Takes in one header line. Returns 0, or -EBADMSG for a bad length.
static int
resp_header(char *line, struct resp *r)
{
  char *v;

  if((v = header(line, "content-length")) != 0){
    if((r->length = decimal(v)) < 0)
      return -EBADMSG;
  } else if((v = header(line, "transfer-encoding")) != 0){
    for(char *p = v; *p; p++)
      *p = lower(*p);
    r->chunked = strstr(v, "chunked") != 0;
  } else if((v = header(line, "location")) != 0)
    snprintf(r->location, sizeof(r->location), "%s", v);
  else if((v = header(line, "content-type")) != 0)
    snprintf(r->type, sizeof(r->type), "%s", v);
  else if((v = header(line, "content-range")) != 0)
    content_range(v, r);
  return 0;
}

// Reads a status line and its headers into r, passing over interim
// (1xx) responses. Returns 0, or -EBADMSG for what is not HTTP, or the
// connection's negative errors.
static int
resp_read(struct conn *c, struct resp *r)
{
  static char line[MAXLINE];
  int n;

  do {
    memset(r, 0, sizeof(*r));
    r->length = r->rstart = r->rtotal = -1;
    if((n = conn_line(c, line, sizeof(line))) < 0)
      return n;
    // RFC 9112 4: HTTP-version SP 3DIGIT SP [reason]
    if(strncmp(line, "HTTP/1.", 7) != 0 || !isdigit(line[7]) || line[8] != ' ' ||
       !isdigit(line[9]) || !isdigit(line[10]) || !isdigit(line[11]) ||
       (line[12] != ' ' && line[12] != 0))
      return -EBADMSG;
    r->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    snprintf(r->reason, sizeof(r->reason), "%s", line[12] ? line + 13 : "");
    while((n = conn_line(c, line, sizeof(line))) > 0)
      if(resp_header(line, r) < 0)
        return -EBADMSG;
    if(n < 0)
      return n;
  } while(r->status >= 100 && r->status < 200);
  return 0;
}

// Writes body bytes to the output, after dropping what a resumed try
// was sent again. Returns 0 or EXIT_IO.
static int
put(struct xfer *x, char *p, int n)
{
  int k;

  if(x->skip > 0){
    k = x->skip < n ? x->skip : n;
    x->skip -= k;
    p += k;
    n -= k;
  }
  if(n == 0)
    return 0;
  if(write(x->out, p, n) != n){
    bar_end();
    say("wget: %s: write error at byte %lu\n", x->name, x->got);
    return EXIT_IO;
  }
  x->got += n;
  bar_update(x->got);
  return 0;
}

// Copies n body bytes to the output, or all up to the close if n < 0.
// Returns 0, EXIT_IO, or the connection's negative errors.
static int
copy(struct conn *c, struct xfer *x, int64_t n)
{
  int k, e;

  while(n != 0){
    if(c->pos == c->len && (e = conn_fill(c)) < 0)
      return n < 0 && e == -ECLOSED ? 0 : e;
    k = c->len - c->pos;
    if(n >= 0 && k > n)
      k = n;
    if((e = put(x, c->buf + c->pos, k)) != 0)
      return e;
    c->pos += k;
    if(n > 0)
      n -= k;
  }
  return 0;
}

// A chunk-size line: hex digits, then maybe ";extensions". -1 if bad.
static int64_t
chunk_size(char *line)
{
  int64_t v = 0;
  char *p = line;
  int d;

  for(; isdigit(*p) || (lower(*p) >= 'a' && lower(*p) <= 'f'); p++){
    d = isdigit(*p) ? *p - '0' : lower(*p) - 'a' + 10;
    if(v >> 58)
      return -1;
    v = v * 16 + d;
  }
  while(*p == ' ' || *p == '\t')
    p++;
  return p == line || (*p != 0 && *p != ';') ? -1 : v;
}

// RFC 9112 7.1: chunks, each a size line, data and CRLF, up to a chunk
// of size 0; then trailer fields (ignored) up to an empty line.
// Returns 0, EXIT_PROTOCOL, EXIT_IO or the connection's negative errors.
static int
chunked(struct conn *c, struct xfer *x)
{
  static char line[MAXLINE];
  int64_t size;
  int n, e;

  for(;;){
    if((n = conn_line(c, line, sizeof(line))) < 0)
      return n;
    if((size = chunk_size(line)) < 0){
      bar_end();
      say("wget: malformed chunk size '%.40s'\n", line);
      return EXIT_PROTOCOL;
    }
    if(size == 0)
      break;
    if((e = copy(c, x, size)) != 0)
      return e;
    if((n = conn_line(c, line, sizeof(line))) < 0)
      return n;
    if(n > 0){
      bar_end();
      say("wget: chunk of %ld bytes not followed by CRLF\n", size);
      return EXIT_PROTOCOL;
    }
  }
  while((n = conn_line(c, line, sizeof(line))) > 0)
    ;
  // a server that closes instead of ending the trailer sent every byte
  return n == -ECLOSED ? 0 : n;
}

// --- the download ----------------------------------------------------

// Opens the output when the first 2xx arrives, so an error leaves no
// file behind. Without -O the file is named after the URL, with ".1",
// ".2"... added if that name is taken, as GNU does. Returns 0 or EXIT_IO.
static int
out_open(struct xfer *x)
{
  char base[sizeof(x->name)];
  struct stat st;
  int i;

  if(x->oname && strcmp(x->oname, "-") == 0){
    x->out = 1;
    say("Saving to: 'STDOUT'\n\n");
    return 0;
  }
  if(x->oname)
    snprintf(x->name, sizeof(x->name), "%s", x->oname);
  else {
    strcpy(base, x->name);
    for(i = 1; stat(x->name, &st) >= 0; i++)
      snprintf(x->name, sizeof(x->name), "%s.%d", base, i);
  }
  if((x->out = open(x->name, O_CREATE | O_WRONLY | O_TRUNC)) < 0){
    say("%s: %s\n", x->name, strerror(-x->out));
    return EXIT_IO;
  }
  say("Saving to: '%s'\n\n", x->name);
  return 0;
}

static void
say_length(struct xfer *x, struct resp *r)
{
  char all[16], rest[16];

  human(all, sizeof(all), x->total);
  human(rest, sizeof(rest), x->total - x->got);
  if(x->total < 0)
    say("Length: unspecified");
  else if(r->status == 206)
    say("Length: %ld (%s), %ld (%s) remaining", x->total, all, x->total - x->got, rest);
  else if(x->total >= 1024)
    say("Length: %ld (%s)", x->total, all);
  else
    say("Length: %ld", x->total);
  if(r->type[0])
    say(" [%s]", r->type);
  say("\n");
}

// The last line: size, time and mean rate of this try.
static void
say_saved(struct xfer *x)
{
  char size[48], t[24], speed[24];
  uint64 ms = now_ms() - bar.t0;

  duration(t, sizeof(t), ms, 1);
  rate(speed, sizeof(speed), (x->got - bar.start_got) * 1000 / (ms > 0 ? ms : 1), 1);
  if(x->total >= 0)
    snprintf(size, sizeof(size), "[%lu/%ld]", x->got, x->total);
  else
    snprintf(size, sizeof(size), "[%lu]", x->got);
  if(x->out == 1)
    say("written to stdout %s in %s (%s)\n", size, t, speed);
  else
    say("'%s' saved %s in %s (%s)\n", x->name, size, t, speed);
}

// A 2xx: the body goes to the output. Returns EXIT_OK, another exit
// status, or RETRY after saying where the body broke off.
static int
save(struct conn *c, struct xfer *x, struct resp *r)
{
  int e;

  if(r->status == 206 && r->rstart != (int64_t)x->got){
    say("wget: asked for bytes from %lu on, the server sent from %ld\n", x->got, r->rstart);
    return EXIT_PROTOCOL;
  }
  if(r->status == 204 && !r->chunked)
    r->length = 0;      // RFC 9110 15.3.5: never a body, whatever the framing says
  // a 200 to a Range request is the whole body again: drop what we have
  x->skip = r->status == 206 ? 0 : x->got;
  if(r->status == 206)
    x->total = r->rtotal;
  else
    x->total = r->chunked ? -1 : r->length;
  say_length(x, r);
  if(x->out < 0 && (e = out_open(x)) != 0)
    return e;
  bar_start(x->name, x->got, x->total);
  // RFC 9112 6.3: chunked framing wins over a Content-Length
  if(r->chunked)
    e = chunked(c, x);
  else
    e = copy(c, x, r->length);
  if(e > 0)
    return e;
  bar_end();
  if(e == 0){
    say_saved(x);
    return EXIT_OK;
  }
  if(e == -ECLOSED)
    say("Connection closed at byte %lu. ", x->got);
  else if(x->total >= 0)
    say("Read error at byte %lu/%ld (%s). ", x->got, x->total, errmsg(-e));
  else
    say("Read error at byte %lu (%s). ", x->got, errmsg(-e));
  return RETRY;
}

// A 3xx with a Location: u becomes where it points.
static int
redirect(struct url *u, struct resp *r)
{
  int e;

  if(r->location[0] == 0){
    say("Location: unspecified\nERROR: Redirection (%d) without location.\n", r->status);
    return EXIT_SERVER;
  }
  say("Location: %s [following]\n", r->location);
  if((e = url_follow(u, r->location)) != 0)
    return e;
  return REDIRECT;
}

// One request and its response on an open connection. Returns an exit
// status, RETRY or REDIRECT.
static int
exchange(struct conn *c, struct url *u, struct xfer *x)
{
  static struct resp r;
  int e;

  if((e = request(c, u, x->got)) < 0){
    say("wget: sending the request: %s. ", errmsg(-e));
    return RETRY;
  }
  say("HTTP request sent, awaiting response... ");
  if((e = resp_read(c, &r)) < 0){
    if(e == -EBADMSG || e == -E2BIG){
      say("Malformed status line or header.\n");
      return EXIT_PROTOCOL;
    }
    if(e == -ECLOSED)
      say("No data received. ");
    else
      say("Read error (%s) in headers. ", errmsg(-e));
    return RETRY;
  }
  say("%d %s\n", r.status, r.reason);
  switch(r.status){
  case 301: case 302: case 303: case 307: case 308:
    return redirect(u, &r);
  }
  if(r.status < 200 || r.status >= 300){
    say("ERROR %d: %s.\n", r.status, r.reason);
    return EXIT_SERVER;
  }
  return save(c, x, &r);
}

static void
say_url(struct url *u, int try)
{
  char port[8], n[16];

  snprintf(port, sizeof(port), ":%d", u->port);
  n[0] = 0;
  if(try > 1)
    snprintf(n, sizeof(n), "(try:%2d)  ", try);
  say("--  %shttp://%s%s%s\n", n, u->host, u->port == 80 ? "" : port, u->path);
}

static struct conn conn;

// Takes the options into the globals and x; exits on bad ones.
// Returns the URL.
static char *
options(int argc, char *argv[], struct xfer *x)
{
  int c;

  while((c = getopt(argc, argv, "O:qT:t:")) != -1){
    switch(c){
    case 'O':
      x->oname = optarg;
      break;
    case 'q':
      quiet = 1;
      break;
    case 'T':
      if((timeout_ms = seconds(optarg)) < 0){
        fprintf(2, "wget: -T: invalid timeout '%s'\n", optarg);
        usage();
      }
      break;
    case 't':
      if((tries = decimal(optarg)) < 0 || tries > 1000000){
        fprintf(2, "wget: -t: invalid number of tries '%s'\n", optarg);
        usage();
      }
      break;
    default:
      usage();
    }
  }
  if(argc - optind != 1)
    usage();
  if(x->oname && strlen(x->oname) >= sizeof(x->name)){
    fprintf(2, "wget: %s: file name too long\n", x->oname);
    exit(EXIT_PARSE);
  }
  return argv[optind];
}

// wget: the non-interactive network downloader, for HTTP
// usage: wget [-q] [-O file|-] [-T seconds] [-t tries] URL
//   -O  write to file ("-": standard output) instead of the name the
//       URL's path gives (index.html for a directory)
//   -q  print nothing
//   -T  give up a connect or read after this long without progress
//       (seconds, decimals allowed; default 900, 0 for never)
//   -t  tries on a network failure (default 20, 0 for no limit)
// Exit status as GNU wget's: 0 done, 1 generic, 2 usage, 3 output
// error, 4 network failure, 7 protocol error, 8 the server said no.
int
main(int argc, char *argv[])
{
  struct url u;
  struct xfer x;
  int e, try = 1, nredirect = 0;

  memset(&x, 0, sizeof(x));
  x.out = -1;
  if((e = url_parse(options(argc, argv, &x), &u)) != 0)
    exit(e);
  url_name(&u, x.name, sizeof(x.name) - 8);   // the original URL names the file
  for(;;){
    say_url(&u, try);
    if((e = conn_open(&conn, &u)) == 0){
      e = exchange(&conn, &u, &x);
      close(conn.fd);
    }
    if(e == REDIRECT){
      if(++nredirect > MAXREDIRECT){
        say("%d redirections exceeded.\n", MAXREDIRECT);
        exit(EXIT_SERVER);
      }
      continue;
    }
    if(e != RETRY)
      break;
    if(tries != 0 && try >= tries){
      say("Giving up.\n\n");
      e = EXIT_NETWORK;
      break;
    }
    say("Retrying.\n\n");
    // linear backoff, as GNU's --waitretry
    sleep((try < MAXWAITRETRY ? try : MAXWAITRETRY) * 1000);
    try++;
  }
  if(x.out > 1)
    close(x.out);
  exit(e);
}
