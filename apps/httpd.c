// httpd: a static web server, HTTP/1.0 and 1.1, GET and HEAD, with
// keep-alive, pipelining and single byte ranges. One poll() loop serves
// every connection; every socket is non-blocking, and each connection
// has its own deadlines, so a slow or silent client only ever holds up
// itself. A request head is bounded (http.h); a body is sent in pieces
// as the socket takes them, through the file path of httpfile.c.
// See docs/httpd.md for how a request flows through it.
//
// Not done: request bodies (a request with one is answered and its
// connection closed), conditional requests, directory listings, and
// Date and Last-Modified: the machine has no wall clock, and a server
// without one MUST NOT send Date (RFC 9110 6.6.1).
#include "kernel/types.h"
#include "kernel/param.h"
#include "apps/user.h"
#include "libnet/net.h"
#include "libnet/socket.h"
#include "apps/http.h"

#define NCONN     480      // connection slots (libnet has 512 sockets)
#define NSERVE    448      // beyond this many, a new connection gets 503
#define HEADSIZE  1024     // a response head, or a whole error response
#define HEAD_MS   10000    // a request head must come whole within this
#define IDLE_MS   15000    // a kept-alive connection may wait this long for its next request
#define SEND_MS   30000    // a response making no progress this long is abandoned
#define LINGER_MS 2000     // after our FIN, how long we read and discard (below)
#define SNDBUF    (32 * 1024)   // each connection's TCP send ring
#define RCVBUF    (8 * 1024)    // and receive ring: a request head is at most HTTP_HDRMAX

enum {
  C_FREE,      // the slot is free
  C_READ,      // reading a request head
  C_WRITE,     // sending a response
  C_LINGER,    // our FIN is sent; reading until the client's, then closing
};

struct conn {
  int fd;
  int state;             // C_*
  uint64 deadline;       // ms: what the state waits for must happen by then
  struct sockaddr_in peer;
  char *in;              // what the client sent and we have not answered (HTTP_HDRMAX)
  int inlen;
  // the response being sent: head[headoff, headlen), then the body
  char head[HEADSIZE];
  int headlen, headoff;
  struct hfile *body;    // 0: no body beyond head
  uint64 boff, bleft;    // what is left of the body to send
  int close;             // close once this response is sent
  int whole;             // a 200 for all of body: head and body may go as one (hfile_sendwhole)
  // for the access log
  char line[256];        // the request line, made safe
  int status;
  uint64 sent;           // body bytes sent
};

static struct conn conns[NCONN];
static int nconn;
static int nclosed;        // connections ended so far
static char *root = "/www";
static int logfd = 1;       // -1: no log (-q)
static char logbuf[4096];   // lines not yet written: one write a turn of the loop
static int loglen;
static int port = 80;
static int statport;       // -s: serve our libnet counters on this UDP port

// Milliseconds since boot, in 64 bits: uptime()'s int wraps after 24 days.
uint64
nowms(void)
{
  return clock() / 1000;
}

static void
usage(void)
{
  fprintf(2, "usage: httpd [-p port] [-r root] [-l logfile | -q] [-s statport] [-w fd]\n");
  exit(1);
}

// "01/Jan/1970:00:00:42", the date and time s seconds after the epoch.
static void
clfdate(char *buf, int size, uint64 s)
{
  static const char *mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  uint64 days = s / 86400;
  int y = 1970, m = 0, leap, yd;

  for(;;){
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    yd = leap ? 366 : 365;
    if(days < yd)
      break;
    days -= yd;
    y++;
  }
  for(; days >= mdays[m] + (m == 1 && leap); m++)
    days -= mdays[m] + (m == 1 && leap);
  snprintf(buf, size, "%02d/%s/%d:%02d:%02d:%02d", (int)days + 1, mon[m], y,
           (int)(s / 3600 % 24), (int)(s / 60 % 60), (int)(s % 60));
}

// One access-log line in Common Log Format. There is no wall clock, so
// the time is the time since boot, counted from the Unix epoch.
static void
logflush(void)
{
  if(loglen > 0)
    write(logfd, logbuf, loglen);
  loglen = 0;
}

static void
logreq(struct conn *c)
{
  char buf[400], bytes[24], date[32];
  int n;

  if(logfd < 0)
    return;
  if(c->sent)
    snprintf(bytes, sizeof(bytes), "%lu", (unsigned long)c->sent);
  else
    snprintf(bytes, sizeof(bytes), "-");
  clfdate(date, sizeof(date), nowms() / 1000);
  snprintf(buf, sizeof(buf), "%s - - [%s +0000] \"%s\" %d %s\n",
           inet_ntoa(c->peer.sin_addr), date, c->line, c->status, bytes);
  n = strlen(buf);
  if(loglen + n > (int)sizeof(logbuf))
    logflush();
  memmove(logbuf + loglen, buf, n);
  loglen += n;
}

static void
freeconn(struct conn *c)
{
  close(c->fd);
  if(c->body)
    hfile_close(c->body);
  free(c->in);
  c->in = 0;
  c->body = 0;
  c->whole = 0;
  c->fd = -1;
  c->state = C_FREE;
  nconn--;
  nclosed++;
}

// End c at once with a reset: it stalled, or the stack failed it.
static void
abortconn(struct conn *c)
{
  struct linger l = { 1, 0 };

  setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  freeconn(c);
}

// Our side is done: send FIN and read what the client still sends
// until it closes too. Closing with unread bytes would send a reset,
// and the reset could destroy our last response before the client has
// read it (RFC 9112 9.6; Apache's lingering close).
static void
linger(struct conn *c)
{
  shutdown(c->fd, SHUT_WR);
  c->state = C_LINGER;
  c->deadline = nowms() + LINGER_MS;
}

// Start the head of a response in c->head. Returns its length so far.
static int
starthead(struct conn *c, int status, const char *type, uint64 len)
{
  c->status = status;
  return snprintf(c->head, sizeof(c->head),
                  "HTTP/1.1 %d %s\r\nServer: httpd (riscv64 exokernel)\r\n"
                  "Content-Type: %s\r\nContent-Length: %lu\r\n%s",
                  status, http_reason(status), type, (unsigned long)len,
                  c->close ? "Connection: close\r\n" : "Connection: keep-alive\r\n");
}

static void sendsome(struct conn *c);

// Start sending an error (or redirect) response with a short text body.
// extra is more header lines, each ending in CRLF.
static void
senderror(struct conn *c, int status, int head, const char *extra)
{
  char body[96];
  int n, b;

  b = snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));
  n = starthead(c, status, "text/plain", b);
  n += snprintf(c->head + n, sizeof(c->head) - n, "%s\r\n%s", extra, head ? "" : body);
  c->headlen = n < (int)sizeof(c->head) ? n : (int)sizeof(c->head) - 1;
  c->headoff = 0;
  c->sent = head ? 0 : b;
  c->state = C_WRITE;
  c->deadline = nowms() + SEND_MS;
  sendsome(c);
}

// 301 to the directory's own URL: its relative links resolve from
// there. The decoded path is encoded again, all but RFC 3986's pchars.
static void
redirect(struct conn *c, struct http_req *r)
{
  static const char hex[] = "0123456789ABCDEF";
  char loc[3 * HTTP_PATHMAX + 16];
  int n, ch;

  n = snprintf(loc, sizeof(loc), "Location: ");
  for(char *p = r->path; *p; p++){
    ch = (uchar)*p;
    if(isalpha(ch) || isdigit(ch) || strchr("-._~/!$&'()*+,;=:@", ch)){
      loc[n++] = ch;
    } else {
      loc[n++] = '%';
      loc[n++] = hex[ch >> 4];
      loc[n++] = hex[ch & 15];
    }
  }
  snprintf(loc + n, sizeof(loc) - n, "/\r\n");
  senderror(c, 301, r->method == HTTP_HEAD, loc);
}

// Open the file for r, index.html for a directory. Returns as
// hfile_open does.
static int
openpath(struct http_req *r, struct hfile **fp)
{
  char path[MAXPATH + 16];
  int n;

  n = snprintf(path, sizeof(path), "%s%s", root, r->path);
  if(r->path[strlen(r->path) - 1] == '/')
    n += snprintf(path + n, sizeof(path) - n, "index.html");
  if(n >= MAXPATH)
    return -ENAMETOOLONG;
  return hfile_open(path, fp);
}

// Answer the request r: a file, its range, or why not.
static void
respond(struct conn *c, struct http_req *r)
{
  struct hfile *f;
  uint64 size, off = 0, len;
  int st, n, head = r->method == HTTP_HEAD;
  char range[80];

  c->close = !r->keepalive;
  if(r->method == HTTP_OTHER){
    senderror(c, 405, 0, "Allow: GET, HEAD\r\n");
    return;
  }
  if((st = openpath(r, &f)) < 0){
    if(st == -EISDIR)
      redirect(c, r);
    else if(st == -ENOENT)
      senderror(c, 404, head, "");
    else if(st == -EACCES)
      senderror(c, 403, head, "");
    else if(st == -ENAMETOOLONG)
      senderror(c, 414, head, "");
    else if(st == -EBUSY || st == -ENOMEM)
      senderror(c, 503, head, "Retry-After: 1\r\n");
    else
      senderror(c, 500, head, "");
    return;
  }
  size = len = hfile_size(f);
  range[0] = 0;
  // Range is defined for GET only (RFC 9110 14.2)
  st = head ? 200 : http_range(r, size, &off, &len);
  if(st == 416){
    hfile_close(f);
    snprintf(range, sizeof(range), "Content-Range: bytes */%lu\r\n", (unsigned long)size);
    senderror(c, 416, 0, range);
    return;
  }
  if(st == 206)
    snprintf(range, sizeof(range), "Content-Range: bytes %lu-%lu/%lu\r\n",
             (unsigned long)off, (unsigned long)(off + len - 1), (unsigned long)size);
  n = starthead(c, st, http_mime(r->path[strlen(r->path) - 1] == '/' ? "/index.html" : r->path), len);
  n += snprintf(c->head + n, sizeof(c->head) - n, "Accept-Ranges: bytes\r\n%s\r\n", range);
  c->headlen = n;
  c->headoff = 0;
  c->body = head ? 0 : f;
  if(head)
    hfile_close(f);
  c->boff = off;
  c->bleft = head ? 0 : len;
  c->whole = st == 200 && !head;
  c->sent = 0;
  c->state = C_WRITE;
  c->deadline = nowms() + SEND_MS;
  sendsome(c);
}

// Keep the request line for the log, made safe to print.
static void
keepline(struct conn *c, struct http_req *r)
{
  if(r->lineoff < 0)
    snprintf(c->line, sizeof(c->line), "-");
  else
    http_logsafe(c->line, sizeof(c->line), c->in + r->lineoff, r->linelen);
}

// Answer the next request in c->in if it has all come. Returns 1 if a
// response was started, 0 if more bytes are needed.
static int
nextreq(struct conn *c)
{
  struct http_req r;
  int n;

  if(c->inlen == 0 || (n = http_parse(c->in, c->inlen, &r)) == 0)
    return 0;
  keepline(c, &r);
  if(n < 0){
    // the rest of the stream cannot be framed: answer and close
    c->close = 1;
    senderror(c, -n, 0, "");
    return 1;
  }
  c->inlen -= n;
  memmove(c->in, c->in + n, c->inlen);
  respond(c, &r);
  return 1;
}

// c's response is sent: log it, then close or wait for the next request.
static void
done(struct conn *c)
{
  logreq(c);
  if(c->body){
    hfile_close(c->body);
    c->body = 0;
  }
  c->whole = 0;
  if(c->close){
    linger(c);
    return;
  }
  c->state = C_READ;
  c->deadline = nowms() + (c->inlen > 0 ? HEAD_MS : IDLE_MS);
}

// Answer every whole request c has buffered while each response is sent
// at once: pipelined requests. A loop, not done() calling nextreq(),
// keeps the stack flat however many requests came in one read.
static void
serve(struct conn *c)
{
  while(c->state == C_READ && nextreq(c))
    ;
}

// Send what the socket takes of c's response.
static void
sendsome(struct conn *c)
{
  int n;

  if(c->whole && c->headoff == 0){
    if((n = hfile_sendwhole(c->body, c->fd, c->head, c->headlen)) < 0){
      if(errno != EAGAIN)
        abortconn(c);
      return;
    }
    if(n > 0){
      c->headoff = c->headlen;
      c->sent = c->bleft;
      c->boff += c->bleft;
      c->bleft = 0;
    }
    c->whole = 0;
  }
  while(c->headoff < c->headlen){
    if((n = write(c->fd, c->head + c->headoff, c->headlen - c->headoff)) < 0){
      if(errno != EAGAIN)
        abortconn(c);
      return;
    }
    if(n == 0)
      return;
    c->headoff += n;
    c->deadline = nowms() + SEND_MS;
  }
  while(c->bleft > 0){
    if((n = hfile_send(c->body, c->fd, c->boff, c->bleft)) < 0){
      abortconn(c);
      return;
    }
    if(n == 0)
      return;
    c->boff += n;
    c->bleft -= n;
    c->sent += n;
    c->deadline = nowms() + SEND_MS;
  }
  done(c);
}

// c is readable: take what came, and answer it if it is a whole request.
static void
readsome(struct conn *c)
{
  int n;

  n = read(c->fd, c->in + c->inlen, HTTP_HDRMAX - c->inlen);
  if(n < 0 && errno == EAGAIN)
    return;
  if(n <= 0){
    // the client is gone, or closed between requests
    freeconn(c);
    return;
  }
  if(c->inlen == 0)
    c->deadline = nowms() + HEAD_MS;
  c->inlen += n;
  serve(c);
}

// After our FIN: discard what comes until the client's FIN.
static void
drain(struct conn *c)
{
  static char junk[2048];
  int n;

  while((n = read(c->fd, junk, sizeof(junk))) > 0)
    ;
  if(n == 0 || errno != EAGAIN)
    freeconn(c);
}

// A deadline passed. A client that began a request and stalled gets 408;
// one that sent nothing is closed quietly (as after an idle keep-alive).
static void
expire(struct conn *c)
{
  if(c->state == C_READ && c->inlen > 0){
    snprintf(c->line, sizeof(c->line), "-");
    c->close = 1;
    senderror(c, 408, 0, "");
  } else if(c->state == C_LINGER || c->state == C_READ){
    freeconn(c);
  } else {
    logreq(c);
    abortconn(c);
  }
}

// Take every connection waiting on the listening socket ls. Beyond
// NSERVE each gets 503 at once; beyond NCONN it is closed. Returns 1 if
// accept ran out of sockets, so the caller stops listening until a
// connection ends.
static int
take(int ls)
{
  struct sockaddr_in peer;
  socklen_t len;
  struct conn *c;
  int fd;

  for(;;){
    len = sizeof(peer);
    if((fd = accept(ls, (struct sockaddr *)&peer, &len)) < 0){
      if(errno == EAGAIN || errno == ECONNABORTED || errno == ECONNRESET)
        return 0;
      return errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM;
    }
    if(nconn == NCONN){
      close(fd);
      continue;
    }
    for(c = conns; c->state != C_FREE; c++)
      ;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->peer = peer;
    c->state = C_READ;
    c->deadline = nowms() + HEAD_MS;
    nconn++;
    if(nconn > NSERVE || (c->in = malloc(HTTP_HDRMAX)) == 0){
      snprintf(c->line, sizeof(c->line), "-");
      c->close = 1;
      senderror(c, 503, 0, "Retry-After: 1\r\n");
    }
  }
}

// The loop. pfd[0] is the listener, pfd[1] the counter socket (-1 for
// none), then one per connection in use;
// who[] names each one's slot. A connection waits for POLLIN while it
// reads a request or lingers, for POLLOUT while it sends.
static void
run(int ls, int ss)
{
  static struct pollfd pfd[NCONN + 2];
  static struct conn *who[NCONN + 2];
  struct conn *c;
  uint64 now, next;
  int i, n, full = 0, fullat = 0, timeout;

  for(;;){
    now = nowms();
    next = 0;
    pfd[0].fd = full ? -1 : ls;
    pfd[0].events = POLLIN;
    pfd[1].fd = ss;
    pfd[1].events = POLLIN;
    n = 2;
    for(c = conns; c < &conns[NCONN]; c++){
      if(c->state == C_FREE)
        continue;
      if(c->deadline <= now){
        expire(c);
        if(c->state == C_FREE)
          continue;
      }
      if(next == 0 || c->deadline < next)
        next = c->deadline;
      pfd[n].fd = c->fd;
      pfd[n].events = c->state == C_WRITE ? POLLOUT : POLLIN;
      pfd[n].revents = 0;
      who[n++] = c;
    }
    timeout = next == 0 ? -1 : next > now ? (int)(next - now) : 0;
    logflush();
    if(poll(pfd, n, timeout) < 0){
      fprintf(2, "httpd: poll: %s\n", strerror(errno));
      sleep(100);
      continue;
    }
    if(pfd[1].revents)
      ln_serve_stats(ss);
    for(i = 2; i < n; i++){
      c = who[i];
      // an error or hang-up shows at the read or write it wakes
      if(pfd[i].revents == 0 || c->state == C_FREE)
        continue;
      if(c->state == C_WRITE){
        sendsome(c);
        serve(c);
      } else if(c->state == C_READ)
        readsome(c);
      else
        drain(c);
    }
    // out of sockets: listen again once a connection has ended
    if(full && nclosed != fullat)
      full = 0;
    if(pfd[0].revents && take(ls)){
      full = 1;
      fullat = nclosed;
    }
  }
}

// Open the log file for appending: there is no O_APPEND, so read to its end.
static int
openlog(const char *path)
{
  static char buf[4096];
  int fd;

  if((fd = open(path, O_RDWR | O_CREATE)) < 0)
    return fd;
  while(read(fd, buf, sizeof(buf)) > 0)
    ;
  return fd;
}

static int
listenon(int port)
{
  struct sockaddr_in a;
  int s, one = 1, sz;

  if((s = socket(AF_INET, SOCK_STREAM, 0)) < 0){
    fprintf(2, "httpd: socket: %s\n", strerror(errno));
    return -1;
  }
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  // accepted connections inherit these: 256 of them must fit in memory
  sz = SNDBUF;
  setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
  sz = RCVBUF;
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
  // a head and its body go as written, not held back for an ACK (Nagle)
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if(bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, SOMAXCONN) < 0){
    fprintf(2, "httpd: port %d: %s\n", port, strerror(errno));
    close(s);
    return -1;
  }
  fcntl(s, F_SETFL, O_NONBLOCK);
  return s;
}

// The UDP socket for -s.
static int
statsock(int port)
{
  struct sockaddr_in a;
  int s;

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0){
    fprintf(2, "httpd: udp port %d: %s\n", port, strerror(errno));
    return -1;
  }
  fcntl(s, F_SETFL, O_NONBLOCK);
  return s;
}

// httpd: serve the files under root over HTTP
// usage: httpd [-p port] [-r root] [-l logfile | -q] [-s statport] [-w fd]
//   -p  the TCP port (default 80)
//   -r  the directory served (default /www); a directory's page is its index.html
//   -l  append the access log to logfile instead of the console
//   -q  no access log
//   -s  tell local programs this process's libnet counters on UDP
//       statport (netstat -l -p statport), as netd tells its own
//   -w  write one byte to descriptor fd once listening (init waits for it)
// Exit status 1 on a usage error, a root that is not a directory, or a
// port that cannot be had; otherwise it runs until killed.
int
main(int argc, char *argv[])
{
  struct stat st;
  char *logpath = 0;
  int ch, ls, ss = -1, n, readyfd = -1;

  while((ch = getopt(argc, argv, "p:r:l:qs:w:")) != -1){
    switch(ch){
    case 'p':
      if((port = parseport(optarg)) < 0){
        fprintf(2, "httpd: bad port %s (1 to 65535)\n", optarg);
        usage();
      }
      break;
    case 'r':
      root = optarg;
      break;
    case 'l':
      logpath = optarg;
      break;
    case 'q':
      logfd = -1;
      break;
    case 's':
      if((statport = parseport(optarg)) < 0){
        fprintf(2, "httpd: bad port %s (1 to 65535)\n", optarg);
        usage();
      }
      break;
    case 'w':
      readyfd = atoi(optarg);
      break;
    default:
      usage();
    }
  }
  if(optind != argc)
    usage();
  // "/" serves the whole tree: drop the trailing slash we would double
  n = strlen(root);
  while(n > 1 && root[n - 1] == '/')
    root[--n] = 0;
  if(stat(root, &st) < 0 || st.type != T_DIR){
    fprintf(2, "httpd: %s: not a directory\n", root);
    exit(1);
  }
  if(n == 1)
    root = "";
  if(logpath && (logfd = openlog(logpath)) < 0){
    fprintf(2, "httpd: %s: %s\n", logpath, strerror(-logfd));
    exit(1);
  }
  for(n = 0; n < NCONN; n++)
    conns[n].fd = -1;
  hfile_init();
  if((ls = listenon(port)) < 0)
    exit(1);
  if(statport && (ss = statsock(statport)) < 0)
    exit(1);
  if(readyfd >= 0){
    write(readyfd, "", 1);
    close(readyfd);
  }
  run(ls, ss);
  return 0;
}
