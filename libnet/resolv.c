// resolv.c: the stub resolver behind netdb.h. A name is a dotted address,
// a line of /etc/hosts, "localhost", or a question to the servers of
// /etc/resolv.conf: over UDP from a random port with a random id, each
// answer checked against where we asked, what we asked and the id
// (RFC 5452 9.1), tried on each server in turn for the configured
// attempts, and asked again over TCP when it comes truncated (RFC 1035
// 4.2.2, RFC 7766). The messages themselves are wire/dns.c's.
// It sits above the socket shim, as an application would.
// Not done: caching, search domains, AAAA, EDNS(0), reverse lookups.
#define LIBNET_NO_MACROS
#include "libnet/sys.h"
#include "libnet/netdb.h"
#include "kernel/netchan.h"
#ifdef LIBNET_HOST
#include <fcntl.h>
#endif

#define RESOLVCONF "/etc/resolv.conf"
#define HOSTS      "/etc/hosts"
#define MAXFILE    8192      // bytes read of either file; the rest is ignored
#define MAXTIMEOUT 30        // seconds, as glibc's RES_MAXRETRANS
#define MAXATTEMPTS 5        // as glibc's RES_MAXRETRY
#define PORTTRIES  8         // random source ports tried before taking the kernel's

int h_errno;
struct ln_resstats ln_resstats;

// ---- the files ------------------------------------------------------------

// Read up to MAXFILE - 1 bytes of path into a malloc'd, NUL-terminated
// buffer, or 0 if it cannot be read. The caller frees it.
static char *
readfile(const char *path)
{
  char *buf;
  int fd, n, got = 0;

  if((fd = open(path, O_RDONLY)) < 0)
    return 0;
  if((buf = malloc(MAXFILE)) == 0){
    close(fd);
    return 0;
  }
  while(got < MAXFILE - 1 && (n = read(fd, buf + got, MAXFILE - 1 - got)) > 0)
    got += n;
  close(fd);
  buf[got] = 0;
  return buf;
}

static int
blank(int c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

// Split the line at *p into at most max blank-separated words, NULs
// written in place; a '#' or ';' starts a comment (resolv.conf(5)).
// Moves *p to the next line. Returns the number of words.
static int
words(char **p, char **w, int max)
{
  char *s = *p, *eol;
  int n = 0;

  if((eol = strchr(s, '\n')) != 0)
    *eol = 0;
  *p = eol ? eol + 1 : s + strlen(s);
  for(;;){
    while(blank(*s))
      s++;
    if(*s == 0 || *s == '#' || *s == ';')
      return n;
    if(n == max)
      return n;
    w[n++] = s;
    while(*s && !blank(*s))
      s++;
    if(*s)
      *s++ = 0;
  }
}

// "timeout:N" or "attempts:N": N, bounded to [lo, hi]; -1 if not a number.
static int
optval(const char *s, int lo, int hi)
{
  int v = 0;

  if(*s == 0)
    return -1;
  for(; *s; s++){
    if(*s < '0' || *s > '9')
      return -1;
    if(v < 1000)
      v = v * 10 + *s - '0';
  }
  return v < lo ? lo : v > hi ? hi : v;
}

static void
options(struct ln_resconf *c, char **w, int n)
{
  int v;

  for(int i = 1; i < n; i++){
    if(strncmp(w[i], "timeout:", 8) == 0 && (v = optval(w[i] + 8, 1, MAXTIMEOUT)) > 0)
      c->timeout_ms = v * 1000;
    else if(strncmp(w[i], "attempts:", 9) == 0 && (v = optval(w[i] + 9, 1, MAXATTEMPTS)) > 0)
      c->attempts = v;
  }
}

void
ln_resconf_read(struct ln_resconf *c)
{
  char *buf, *p, *w[8];
  uint32_t a;
  int n;

  c->nns = 0;
  c->timeout_ms = 5000;
  c->attempts = 2;
  if((buf = readfile(RESOLVCONF)) == 0)
    return;
  for(p = buf; *p; ){
    if((n = words(&p, w, 8)) == 0)
      continue;
    if(strcmp(w[0], "nameserver") == 0 && n >= 2 && ip_aton(w[1], &a)){
      if(c->nns < LN_MAXNS)
        c->ns[c->nns++] = a;
    } else if(strcmp(w[0], "options") == 0){
      options(c, w, n);
    }
  }
  free(buf);
}

int
ln_hostsfile(const char *name, uint32_t *addr, char *canon)
{
  char *buf, *p, *w[16];
  uint32_t a;
  int n, i;

  if((buf = readfile(HOSTS)) == 0)
    return 0;
  for(p = buf; *p; ){
    // lines of other families (::1) fail ip_aton and are passed over
    if((n = words(&p, w, 16)) < 2 || !ip_aton(w[0], &a))
      continue;
    for(i = 1; i < n; i++)
      if(dns_namecmp(w[i], name) == 0)
        break;
    if(i == n)
      continue;
    *addr = a;
    if(canon && strlen(w[1]) <= DNS_MAXNAME)
      strcpy(canon, w[1]);
    free(buf);
    return 1;
  }
  free(buf);
  return 0;
}

// ---- asking the servers ---------------------------------------------------

static void
sockaddr_set(struct sockaddr_in *sin, uint32_t ip, uint16_t port)
{
  memset(sin, 0, sizeof(*sin));
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = ln_htonl(ip);
  sin->sin_port = ln_htons(port);
}

// A UDP socket on a random port (RFC 5452 9.2: the port is half of what
// an off-path forger must guess); the kernel's next free port if
// PORTTRIES random ones are taken. Returns the socket or -errno.
static int
udpopen(void)
{
  struct sockaddr_in sin;
  uint16_t r;
  int s, i;

  if((s = ln_socket(AF_INET, SOCK_DGRAM, 0)) < 0)
    return -errno;
  for(i = 0; i < PORTTRIES; i++){
    if(ln_random(&r, sizeof(r)) < 0)
      break;
    sockaddr_set(&sin, 0, NC_EPHEMERAL_LO + r % (NC_EPHEMERAL_HI - NC_EPHEMERAL_LO + 1));
    if(ln_bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0)
      return s;
  }
  sockaddr_set(&sin, 0, 0);
  if(ln_bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0)
    return s;
  i = errno;
  ln_close(s);
  return -i;
}

// Is ip one of the servers we have asked (sent's bit i for c->ns[i])?
static int
asked(const struct ln_resconf *c, int sent, uint32_t ip)
{
  for(int i = 0; i < c->nns; i++)
    if((sent >> i & 1) && c->ns[i] == ip)
      return i;
  return -1;
}

// Wait until deadline (ln_now_ms) for the answer to q: from a server we
// asked, from port 53, with our id and question. Everything else is
// counted and ignored. Returns the index of the server that answered,
// with the answer in a, or -ETIMEDOUT.
static int
udpwait(int s, const struct ln_resconf *c, int sent, uint64_t deadline, uint16_t id,
        const char *name, uint8_t *buf, struct dns_answer *a)
{
  struct sockaddr_in from;
  struct pollfd pfd;
  socklen_t fl;
  uint64_t now;
  int n, i;

  while((now = ln_now_ms()) < deadline){
    pfd.fd = s;
    pfd.events = POLLIN;
    if(ln_poll(&pfd, 1, deadline - now) <= 0)
      continue;
    fl = sizeof(from);
    n = ln_recvfrom(s, buf, DNS_MAXUDP, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if(n < 0)
      continue;
    if((i = asked(c, sent, ln_htonl(from.sin_addr.s_addr))) < 0 ||
       ln_htons(from.sin_port) != DNS_PORT){
      ln_resstats.ign_source++;
      continue;
    }
    n = dns_answer_parse(buf, n, id, name, DNS_T_A, a);
    if(n == 0)
      return i;
    if(n == DNS_EID)
      ln_resstats.ign_id++;
    else if(n == DNS_EQUESTION)
      ln_resstats.ign_question++;
    else
      ln_resstats.ign_bad++;
  }
  ln_resstats.timeouts++;
  return -ETIMEDOUT;
}

// Read exactly n bytes from TCP socket s (its SO_RCVTIMEO bounds each
// wait). Returns 0, or -1 on timeout, error or an early close.
static int
tcpread(int s, uint8_t *buf, int n)
{
  int r;

  for(int got = 0; got < n; got += r)
    if((r = ln_recv(s, buf + got, n - got, 0)) <= 0)
      return -1;
  return 0;
}

// Ask server ns again over TCP (RFC 1035 4.2.2: each message after a
// two-byte length). q has room for two bytes before it. Returns 0 with
// the answer in a, or -errno.
static int
tcpquery(const struct ln_resconf *c, uint32_t ns, uint8_t *q, int qlen, uint16_t id,
         const char *name, struct dns_answer *a)
{
  struct timeval tv = { c->timeout_ms / 1000, c->timeout_ms % 1000 * 1000 };
  struct sockaddr_in sin;
  uint8_t len[2], *buf = 0;
  int s, n, err = ETIMEDOUT;

  ln_resstats.tcp++;
  if((s = ln_socket(AF_INET, SOCK_STREAM, 0)) < 0)
    return -errno;
  ln_setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  ln_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_set(&sin, ns, DNS_PORT);
  put16(q - 2, qlen);
  if(ln_connect(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
     ln_send(s, q - 2, qlen + 2, 0) != qlen + 2 || tcpread(s, len, 2) < 0){
    err = errno;
    goto out;
  }
  err = ENOMEM;
  if((n = get16(len)) == 0 || (buf = malloc(n)) == 0)
    goto out;
  err = ETIMEDOUT;
  if(tcpread(s, buf, n) < 0)
    goto out;
  err = EBADMSG;
  if(dns_answer_parse(buf, n, id, name, DNS_T_A, a) == 0 && !a->tc)
    err = 0;
  else
    ln_resstats.ign_bad++;
out:
  free(buf);
  ln_close(s);
  return -err;
}

// Is this answer the last word, or should the next server be asked?
// RFC 1034 5.3.3: a server failure or refusal says nothing of the name.
static int
final(const struct dns_answer *a)
{
  return a->rcode == DNS_NOERROR || a->rcode == DNS_NXDOMAIN;
}

// The UDP rounds: attempts times over the servers, each try waiting
// timeout_ms for an answer from any server asked so far. q has two
// bytes of room before it, for TCP. Returns 0 with a final answer in a,
// 1 with the last unfinal one (SERVFAIL...), or -errno.
static int
rounds(int s, const struct ln_resconf *c, uint8_t *q, int qlen, uint16_t id,
       const char *name, struct dns_answer *a)
{
  struct sockaddr_in sin;
  uint8_t buf[DNS_MAXUDP];
  int try, i, r, sent = 0, rcode = -1;

  for(try = 0; try < c->attempts; try++){
    for(i = 0; i < c->nns; i++){
      sockaddr_set(&sin, c->ns[i], DNS_PORT);
      if(ln_sendto(s, q, qlen, 0, (struct sockaddr *)&sin, sizeof(sin)) != qlen)
        continue;
      ln_resstats.sent++;
      sent |= 1 << i;
      if((r = udpwait(s, c, sent, ln_now_ms() + c->timeout_ms, id, name, buf, a)) < 0)
        continue;
      if(a->tc && tcpquery(c, c->ns[r], q, qlen, id, name, a) < 0)
        continue;
      if(final(a))
        return 0;
      rcode = a->rcode;
    }
  }
  if(rcode < 0)
    return -ETIMEDOUT;
  // a later message that failed to parse may have written over a
  a->rcode = rcode;
  a->naddr = a->ncname = a->nchain = 0;
  return 1;
}

int
ln_dnsquery(const char *name, const struct ln_resconf *c, struct dns_answer *a)
{
  uint8_t qbuf[2 + DNS_MAXUDP], *q = qbuf + 2;
  uint16_t id;
  int s, qlen, r;

  if(c->nns == 0)
    return -ENOENT;
  if(ln_random(&id, sizeof(id)) < 0)
    return -EIO;
  if((qlen = dns_query_emit(q, DNS_MAXUDP, id, name, DNS_T_A)) < 0)
    return -EINVAL;
  if((s = udpopen()) < 0)
    return s;
  r = rounds(s, c, q, qlen, id, name, a);
  ln_close(s);
  return r < 0 ? r : 0;
}

// ---- names to addresses ---------------------------------------------------

// Look name up: dotted address, localhost, /etc/hosts, DNS (unless
// numeric alone is asked for). Fills addrs (host order, up to
// DNS_MAXADDR) and canon (DNS_MAXNAME + 1 bytes). Returns how many
// addresses, or an EAI_* code.
static int
lookup(const char *name, int numeric, uint32_t *addrs, char *canon)
{
  struct ln_resconf c;
  struct dns_answer a;
  int r;

  if(strlen(name) > DNS_MAXNAME + 1)
    return EAI_NONAME;
  strcpy(canon, name);
  if(ip_aton(name, &addrs[0]))
    return 1;
  if(numeric)
    return EAI_NONAME;
  if(ln_hostsfile(name, &addrs[0], canon))
    return 1;
  // RFC 6761 6.3: localhost is the loopback, whatever the files say
  if(dns_namecmp(name, "localhost") == 0){
    addrs[0] = INADDR_LOOPBACK;
    return 1;
  }
  ln_resconf_read(&c);
  if((r = ln_dnsquery(name, &c, &a)) == -EINVAL)
    return EAI_NONAME;
  if(r < 0)
    return r == -ETIMEDOUT || r == -ENOENT ? EAI_AGAIN : EAI_SYSTEM;
  switch(a.rcode){
  case DNS_NOERROR:
    break;
  case DNS_NXDOMAIN:
    return EAI_NONAME;
  case DNS_SERVFAIL:
    return EAI_AGAIN;
  default:
    return EAI_FAIL;
  }
  if(a.naddr == 0)
    return EAI_NODATA;
  memcpy(addrs, a.addr, a.naddr * sizeof(addrs[0]));
  strcpy(canon, a.name);
  return a.naddr;
}

// ---- the BSD and POSIX calls ----------------------------------------------

struct hostent *
gethostbyname(const char *name)
{
  static char canon[DNS_MAXNAME + 2];
  static uint32_t addrs[DNS_MAXADDR];   // network byte order
  static char *list[DNS_MAXADDR + 1], *aliases[1];
  static struct hostent h;
  int n, i;

  if((n = lookup(name, 0, addrs, canon)) < 0){
    h_errno = n == EAI_AGAIN ? TRY_AGAIN : n == EAI_NODATA ? NO_DATA :
              n == EAI_NONAME ? HOST_NOT_FOUND : NO_RECOVERY;
    return 0;
  }
  for(i = 0; i < n; i++){
    addrs[i] = ln_htonl(addrs[i]);
    list[i] = (char *)&addrs[i];
  }
  list[n] = 0;
  aliases[0] = 0;
  h.h_name = canon;
  h.h_aliases = aliases;
  h.h_addrtype = AF_INET;
  h.h_length = 4;
  h.h_addr_list = list;
  return &h;
}

const char *
hstrerror(int err)
{
  switch(err){
  case HOST_NOT_FOUND:
    return "Unknown host";
  case TRY_AGAIN:
    return "Host name lookup failure";
  case NO_RECOVERY:
    return "Unknown server error";
  case NO_DATA:
    return "No address associated with name";
  }
  return "Unknown resolver error";
}

// The port of a numeric service (0 for none), or -1.
static int
servport(const char *service)
{
  int v = 0;

  if(service == 0)
    return 0;
  if(*service == 0)
    return -1;
  for(const char *s = service; *s; s++){
    if(*s < '0' || *s > '9' || (v = v * 10 + *s - '0') > 65535)
      return -1;
  }
  return v;
}

// One result: the addrinfo, its address and canonical name in one block,
// so freeaddrinfo frees each with one free.
static struct addrinfo *
aialloc(uint32_t ip, int port, int socktype, int proto, const char *canon)
{
  struct addrinfo *ai;
  struct sockaddr_in *sin;
  int clen = canon ? strlen(canon) + 1 : 0;

  if((ai = malloc(sizeof(*ai) + sizeof(*sin) + clen)) == 0)
    return 0;
  memset(ai, 0, sizeof(*ai));
  sin = (struct sockaddr_in *)(ai + 1);
  sockaddr_set(sin, ip, port);
  ai->ai_family = AF_INET;
  ai->ai_socktype = socktype;
  ai->ai_protocol = proto;
  ai->ai_addrlen = sizeof(*sin);
  ai->ai_addr = (struct sockaddr *)sin;
  if(canon){
    ai->ai_canonname = (char *)(sin + 1);
    strcpy(ai->ai_canonname, canon);
  }
  return ai;
}

// Each address once per socket type: hints' own, or TCP and UDP (as
// glibc gives, less its raw entry) when hints name none.
static int
ailist(const uint32_t *addrs, int n, int port, const struct addrinfo *h, const char *canon,
       struct addrinfo **res)
{
  static const int kinds[][2] = { { SOCK_STREAM, IPPROTO_TCP }, { SOCK_DGRAM, IPPROTO_UDP } };
  struct addrinfo **tail = res, *ai;
  int i, k, type, proto;

  *res = 0;
  for(i = 0; i < n; i++){
    for(k = 0; k < 2; k++){
      type = h->ai_socktype ? h->ai_socktype : kinds[k][0];
      proto = h->ai_socktype ? h->ai_protocol : kinds[k][1];
      if(h->ai_socktype == SOCK_STREAM && proto == 0)
        proto = IPPROTO_TCP;
      if(h->ai_socktype == SOCK_DGRAM && proto == 0)
        proto = IPPROTO_UDP;
      if((ai = aialloc(addrs[i], port, type, proto, *res == 0 ? canon : 0)) == 0){
        freeaddrinfo(*res);
        *res = 0;
        return EAI_MEMORY;
      }
      *tail = ai;
      tail = &ai->ai_next;
      if(h->ai_socktype)
        break;
    }
  }
  return 0;
}

int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
            struct addrinfo **res)
{
  static const struct addrinfo none;
  const struct addrinfo *h = hints ? hints : &none;
  char canon[DNS_MAXNAME + 2];
  uint32_t addrs[DNS_MAXADDR];
  int n, port;

  *res = 0;
  if(h->ai_flags & ~(AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_NUMERICSERV))
    return EAI_BADFLAGS;
  if(node == 0 && service == 0)
    return EAI_NONAME;
  if(h->ai_family != AF_UNSPEC && h->ai_family != AF_INET)
    return EAI_FAMILY;
  if(h->ai_socktype != 0 && h->ai_socktype != SOCK_STREAM &&
     h->ai_socktype != SOCK_DGRAM && h->ai_socktype != SOCK_RAW)
    return EAI_SOCKTYPE;
  if((port = servport(service)) < 0 || (port && h->ai_socktype == SOCK_RAW))
    return EAI_SERVICE;
  if(node == 0){
    addrs[0] = h->ai_flags & AI_PASSIVE ? INADDR_ANY : INADDR_LOOPBACK;
    n = 1;
    strcpy(canon, "localhost");
  } else if((n = lookup(node, h->ai_flags & AI_NUMERICHOST, addrs, canon)) < 0){
    return n;
  }
  return ailist(addrs, n, port, h, h->ai_flags & AI_CANONNAME ? canon : 0, res);
}

void
freeaddrinfo(struct addrinfo *ai)
{
  struct addrinfo *next;

  for(; ai; ai = next){
    next = ai->ai_next;
    free(ai);
  }
}

const char *
gai_strerror(int err)
{
  switch(err){
  case 0:
    return "Success";
  case EAI_BADFLAGS:
    return "Bad value for ai_flags";
  case EAI_NONAME:
    return "Name or service not known";
  case EAI_AGAIN:
    return "Temporary failure in name resolution";
  case EAI_FAIL:
    return "Non-recoverable failure in name resolution";
  case EAI_NODATA:
    return "No address associated with hostname";
  case EAI_FAMILY:
    return "ai_family not supported";
  case EAI_SOCKTYPE:
    return "ai_socktype not supported";
  case EAI_SERVICE:
    return "Servname not supported for ai_socktype";
  case EAI_MEMORY:
    return "Memory allocation failure";
  case EAI_SYSTEM:
    return "System error";
  }
  return "Unknown error";
}
