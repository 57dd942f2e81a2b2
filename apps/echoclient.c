// echoclient: a client for an echo server (RFC 862) over TCP. Sends
// count messages one after another, reads each back whole before the
// next, checks every byte and reports round-trip times as ping does.
// Each message sends and reads at once (a non-blocking socket and
// poll), so one larger than the buffers on the way does not deadlock
// against a server that echoes as it reads.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/socket.h"
#include "libnet/netdb.h"

#define MAXCOUNT 1000000
#define MAXSIZE  65536
#define TIMEOUT  10000   // ms without progress before a message is given up

static char *host;
static int port;

static void
usage(void)
{
  fprintf(2, "usage: echoclient [-n count] [-s size] host port\n");
  exit(1);
}

static int
parseint(const char *s, int lo, int hi)
{
  char *end;
  long v = strtol(s, &end, 10);

  if(*s == 0 || *end != 0 || v < lo || v > hi)
    return -1;
  return v;
}

// Byte i of message m: varies with both, and repeats only every 256
// messages at the same offset, so a message echoed twice, or a byte
// out of place, does not pass for the right one.
static uint8
pattern(int m, int i)
{
  return (uint8)(i + (i >> 8) * 7 + m * 31 + (m >> 8));
}

// Write out and read back len bytes into in, both as far as the socket
// lets us, until all len came back. Returns 0, -1 if the server closed
// first (*got says how much came), or an errno.
static int
exchange(int s, const uint8 *out, uint8 *in, int len, int *got)
{
  struct pollfd p;
  int sent = 0, n;

  *got = 0;
  while(*got < len){
    p.fd = s;
    p.events = POLLIN | (sent < len ? POLLOUT : 0);
    if((n = poll(&p, 1, TIMEOUT)) < 0)
      return errno;
    if(n == 0)
      return ETIMEDOUT;
    if(sent < len && (p.revents & (POLLOUT | POLLERR | POLLHUP))){
      if((n = write(s, out + sent, len - sent)) < 0 && errno != EAGAIN)
        return errno;
      if(n > 0)
        sent += n;
    }
    if(p.revents & (POLLIN | POLLERR | POLLHUP)){
      if((n = read(s, in + *got, len - *got)) < 0 && errno != EAGAIN)
        return errno;
      if(n == 0)
        return -1;
      if(n > 0)
        *got += n;
    }
  }
  return 0;
}

// Compare message m as it came back. Returns how many bytes differ,
// after describing the first.
static int
check(int m, const uint8 *in, int len)
{
  int i, bad = 0;

  for(i = 0; i < len; i++){
    if(in[i] == pattern(m, i))
      continue;
    if(bad++ == 0)
      fprintf(2, "echoclient: message %d byte %d: got 0x%x, wanted 0x%x\n",
              m + 1, i, in[i], pattern(m, i));
  }
  return bad;
}

// Open a connection to host:port. Returns the socket, or exits.
static int
dial(void)
{
  struct sockaddr_in a;
  int s, one = 1;

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  struct addrinfo hints, *res;
  int r;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_INET;
  if((r = getaddrinfo(host, 0, &hints, &res)) != 0){
    fprintf(2, "echoclient: %s: %s\n", host, gai_strerror(r));
    exit(1);
  }
  a.sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  if((s = socket(AF_INET, SOCK_STREAM, 0)) < 0){
    fprintf(2, "echoclient: socket: %s\n", strerror(errno));
    exit(1);
  }
  if(connect(s, (struct sockaddr *)&a, sizeof(a)) < 0){
    fprintf(2, "echoclient: connect %s:%d: %s\n", host, port, strerror(errno));
    exit(1);
  }
  // one small message waits for its echo: Nagle would only delay it.
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  fcntl(s, F_SETFL, O_NONBLOCK);
  return s;
}

static void
msec(uint64 us, char *buf, int n)
{
  snprintf(buf, n, "%d.%03d", (int)(us / 1000), (int)(us % 1000));
}

// echoclient: send messages to an echo server and check what comes back
// usage: echoclient [-n count] [-s size] host port
//   -n  messages to send (default 10)
//   -s  bytes in each (default 64, up to 65536)
// Prints "N messages, B bytes, E errors; rtt min/avg/max = a/b/c ms".
// Exit status 0 if every byte came back as sent, 1 otherwise.
int
main(int argc, char *argv[])
{
  uint8 *out, *in;
  uint64 t0, rtt, rttmin = ~0ULL, rttmax = 0, rttsum = 0, bytes = 0;
  char lo[16], avg[16], hi[16];
  int c, s, m, r, got, count = 10, size = 64, nerr = 0, done = 0;

  while((c = getopt(argc, argv, "n:s:")) != -1){
    switch(c){
    case 'n':
      if((count = parseint(optarg, 1, MAXCOUNT)) < 0){
        fprintf(2, "echoclient: bad count %s (1 to %d)\n", optarg, MAXCOUNT);
        usage();
      }
      break;
    case 's':
      if((size = parseint(optarg, 1, MAXSIZE)) < 0){
        fprintf(2, "echoclient: bad size %s (1 to %d)\n", optarg, MAXSIZE);
        usage();
      }
      break;
    default:
      usage();
    }
  }
  if(argc - optind != 2)
    usage();
  host = argv[optind];
  if((port = parseint(argv[optind + 1], 1, 65535)) < 0){
    fprintf(2, "echoclient: bad port %s (1 to 65535)\n", argv[optind + 1]);
    usage();
  }
  if((out = malloc(size)) == 0 || (in = malloc(size)) == 0){
    fprintf(2, "echoclient: out of memory\n");
    exit(1);
  }
  s = dial();
  for(m = 0; m < count; m++){
    for(int i = 0; i < size; i++)
      out[i] = pattern(m, i);
    t0 = clock();
    if((r = exchange(s, out, in, size, &got)) != 0){
      if(r < 0)
        fprintf(2, "echoclient: %s:%d closed the connection: message %d, %d of %d bytes back\n",
                host, port, m + 1, got, size);
      else
        fprintf(2, "echoclient: message %d: %s (%d of %d bytes back)\n",
                m + 1, strerror(r), got, size);
      nerr++;
      break;
    }
    rtt = clock() - t0;
    if(check(m, in, size) > 0)
      nerr++;
    done++;
    bytes += size;
    rttsum += rtt;
    if(rtt < rttmin)
      rttmin = rtt;
    if(rtt > rttmax)
      rttmax = rtt;
  }
  close(s);
  printf("%d messages, %lu bytes, %d errors", done, (unsigned long)bytes, nerr);
  if(done > 0){
    msec(rttmin, lo, sizeof(lo));
    msec(rttsum / done, avg, sizeof(avg));
    msec(rttmax, hi, sizeof(hi));
    printf("; rtt min/avg/max = %s/%s/%s ms", lo, avg, hi);
  }
  printf("\n");
  exit(nerr == 0 && done == count ? 0 : 1);
}
