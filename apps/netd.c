// netd: the host's default responder. It holds the kernel's default
// claim, so it receives ARP, ICMP echo requests and any IPv4 frame no
// program has claimed, and answers as a host must when no application
// is running: ARP replies for our address, echo replies, ICMP port
// unreachable for closed UDP ports, resets for closed TCP ports. init
// starts it at boot.
//
// usage: netd [-r fd]   (-r: write one byte to fd once answering)
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/net.h"

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
  arp_gratuitous();
  if(argc == 3 && strcmp(argv[1], "-r") == 0){
    int fd = atoi(argv[2]);
    write(fd, "r", 1);
    close(fd);
  }
  net_run();
}
