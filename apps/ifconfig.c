// ifconfig: show or set the interface's IPv4 configuration. The kernel
// holds the configuration (it checks every frame a process sends
// against it); setting it also announces the new address with a
// gratuitous ARP, so neighbours forget the old mapping. An address set
// here is static: netd's DHCP client, if it holds a lease, sets its own
// again when it renews.
// Not done: more than one interface (there is only eth0), aliases,
// up/down, changing the MAC or the MTU. Programs already running keep
// the address their stack read when it started.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/net.h"
#include "libnet/chan.h"

static const char *names[] = {
#define NC_NAME(name, desc) #name,
  NC_STATS(NC_NAME)
#undef NC_NAME
};

static char *
ntoa(uint32 a, char *buf)
{
  return ip_ntoa(a, buf);
}

// Where the address came from: set by hand (or the boot default), or
// leased by netd's DHCP client, from whom and for how much longer.
static void
source(void)
{
  struct nc_ipcfg c;
  char b[16];

  if(getipcfg(&c) < 0)
    return;
  if(c.server == 0)
    printf("        static%s\n", c.flags & NCI_NODHCP ? " (booted with DHCP off)" : "");
  else if(c.lease == NC_LEASE_INF)
    printf("        dhcp from %s, lease without end\n", ntoa(c.server, b));
  else
    printf("        dhcp from %s, lease %u s left\n", ntoa(c.server, b), c.lease);
}

// The interface line, where its address came from, then every kernel counter as "name value", three
// to a line (the names are NC_STATS's, as netstat prints them).
static int
show(void)
{
  struct nc_stats st;
  struct netdev *d;
  uint32 ip, mask, gw;
  char b1[16], b2[16], b3[16];
  int r, i;

  if((r = getipaddr(&ip, &mask, &gw)) < 0){
    fprintf(2, "ifconfig: getipaddr: %s\n", strerror(-r));
    return 1;
  }
  printf("eth0: mac ");
  // The MAC is only on a channel's info page; with every channel
  // taken we still show the rest.
  if((d = chan_netdev()) != 0)
    printf("%02x:%02x:%02x:%02x:%02x:%02x", d->mac[0], d->mac[1], d->mac[2],
           d->mac[3], d->mac[4], d->mac[5]);
  else
    printf("unknown");
  printf(" inet %s netmask %s gateway %s mtu %d\n", ntoa(ip, b1), ntoa(mask, b2),
         ntoa(gw, b3), NC_MTU);
  source();
  if((r = netstat(-1, &st)) < 0){
    fprintf(2, "ifconfig: netstat: %s\n", strerror(-r));
    return 1;
  }
  for(i = 0; i < NC_NSTATS; i++)
    printf("%s%s %lu%s", i % 3 == 0 ? "        " : "  ", names[i], st.v[i],
           i % 3 == 2 || i == NC_NSTATS - 1 ? "\n" : "");
  return 0;
}

static uint32
addr(const char *what, const char *s)
{
  uint32 a;

  if(!ip_aton(s, &a)){
    fprintf(2, "ifconfig: bad %s %s: want a.b.c.d\n", what, s);
    exit(2);
  }
  return a;
}

// Set the address, and the mask and gateway if given (else keep the
// current ones), then announce it.
static int
set(int argc, char *argv[])
{
  uint32 ip, mask, gw;
  int r, i;

  if((r = getipaddr(&ip, &mask, &gw)) < 0){
    fprintf(2, "ifconfig: getipaddr: %s\n", strerror(-r));
    return 1;
  }
  ip = addr("address", argv[0]);
  for(i = 1; i < argc; i += 2){
    if(i + 1 == argc){
      fprintf(2, "ifconfig: %s wants a value\n", argv[i]);
      return 2;
    }
    if(strcmp(argv[i], "netmask") == 0){
      mask = addr("netmask", argv[i + 1]);
    } else if(strcmp(argv[i], "gw") == 0 || strcmp(argv[i], "gateway") == 0){
      gw = addr("gateway", argv[i + 1]);
    } else {
      fprintf(2, "ifconfig: unknown keyword %s\n", argv[i]);
      return 2;
    }
  }
  if((r = setipaddr(ip, mask, gw)) < 0){
    fprintf(2, "ifconfig: setipaddr: %s (mask contiguous, address and gateway on the subnet?)\n",
            strerror(-r));
    return 2;
  }
  if(net_autoinit() < 0){
    fprintf(2, "ifconfig: no network channel: address set, not announced\n");
    return 1;
  }
  net_setaddr(ip, mask, gw);
  arp_gratuitous();
  net_poll(0);
  return show();
}

// ifconfig: show or set the interface's address
// usage: ifconfig [eth0]
//        ifconfig [eth0] address [netmask mask] [gw gateway]
int
main(int argc, char *argv[])
{
  argc--;
  argv++;
  if(argc > 0 && strcmp(argv[0], "eth0") == 0){
    argc--;
    argv++;
  }
  if(argc == 0)
    exit(show());
  if(argv[0][0] == '-'){
    fprintf(2, "usage: ifconfig [eth0] [address [netmask mask] [gw gateway]]\n");
    exit(2);
  }
  exit(set(argc, argv));
}
