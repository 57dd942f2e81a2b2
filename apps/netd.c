// netd: the host's default responder. It holds the kernel's default
// claim, so it receives ARP, ICMP echo requests and any IPv4 frame no
// program has claimed, and answers as a host must when no application
// is running: ARP replies for our address, echo replies, ICMP port
// unreachable for closed UDP ports, parameter problems for malformed
// headers, resets for closed TCP ports. init starts it at boot.
// Its libnet counters are the host's answers, so it shows them to local
// programs on request (netstat -l), over the loopback. It also keeps the
// TCP connections exiting programs leave in TIME-WAIT or FIN-WAIT-2
// (libnet/tcp_orphan.c), and answers for them until they end, and it
// runs the DHCP client (dhcp.c), which keeps the interface's address.
//
// usage: netd [-r fd]   (-r: write one byte to fd once answering)
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/net.h"
#include "libnet/socket.h"
#include "apps/dhcp.h"

static int statfd = -1;

// Answer each waiting counter request, if it came from this host: the
// kernel loops our own address back without the wire, so nobody off the
// host can ask (and a spoofed source gets the answer sent to itself).
// The queue is looked at first, so that an idle turn costs no system call.
static void
servestats(void)
{
  static uint8 out[4 + sizeof(lnstat)];
  struct sock *s = sock_byport(IP_PROTO_UDP, NET_STATPORT);
  struct sockaddr_in from;
  socklen_t fl;
  char q[16];
  uint32 n = LN_NSTATS;

  while(s && s->rqhead){
    fl = sizeof(from);
    if(recvfrom(statfd, q, sizeof(q), MSG_DONTWAIT, (struct sockaddr *)&from, &fl) < 0)
      return;
    if(ntohl(from.sin_addr.s_addr) != netif.ip)
      continue;
    memmove(out, &n, 4);
    memmove(out + 4, lnstat, sizeof(lnstat));
    sendto(statfd, out, sizeof(out), 0, (struct sockaddr *)&from, fl);
  }
}

// Take in the TCP connections exiting processes hand over (tcp_orphan.c),
// from this host only, as the counters are served.
static int handfd = -1;

static void
serveadopt(void)
{
  static uint8 msg[2048];
  struct sock *s = sock_byport(IP_PROTO_UDP, NET_TCPHANDPORT);
  struct sockaddr_in from;
  socklen_t fl;
  int n;

  while(s && s->rqhead){
    fl = sizeof(from);
    if((n = recvfrom(handfd, msg, sizeof(msg), MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) < 0)
      return;
    if(ntohl(from.sin_addr.s_addr) != netif.ip)
      continue;
    tcp_adopt(msg, n);
  }
}

static void
serve(void)
{
  servestats();
  serveadopt();
  dhcp_serve();
}

// The counter service's socket; without it netd still answers for the host.
static void
openstats(void)
{
  struct sockaddr_in a;

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(NET_STATPORT);
  if((statfd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
     bind(statfd, (struct sockaddr *)&a, sizeof(a)) < 0)
    fprintf(2, "netd: counters port %d: %s\n", NET_STATPORT, strerror(errno));
  a.sin_port = htons(NET_TCPHANDPORT);
  if((handfd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
     bind(handfd, (struct sockaddr *)&a, sizeof(a)) < 0)
    fprintf(2, "netd: tcp handoff port %d: %s\n", NET_TCPHANDPORT, strerror(errno));
}

int
main(int argc, char *argv[])
{
  struct netdev *d;
  int r;

  if((d = chan_netdev()) == 0){
    fprintf(2, "netd: no network channel\n");
    exit(1);
  }
  net_init(d);
  if((r = net_become_default()) < 0){
    fprintf(2, "netd: default responder: %s\n", strerror(-r));
    exit(1);
  }
  openstats();
  dhcp_start();
  arp_gratuitous();
  if(argc == 3 && strcmp(argv[1], "-r") == 0){
    int fd = atoi(argv[2]);
    write(fd, "r", 1);
    close(fd);
  }
  net_run(serve);
}
