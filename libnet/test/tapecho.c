// tapecho: libnet built for the Linux host, on a tap device: it answers
// ARP and ping for 10.0.2.15 and echoes UDP on port 7, so a test can put
// Linux's own stack on the other end of the link (pcap-tests/test_libnet_tap.py).
//
// usage: tapecho ifname
#define LIBNET_NO_MACROS
#include "libnet/net.h"
#include "libnet/socket.h"

struct netdev *tap_netdev(const char *ifname, const uint8_t mac[6]);

int
main(int argc, char *argv[])
{
  static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = ln_htons(7) }, from;
  socklen_t fl;
  struct netdev *d;
  static char buf[65536];
  int s, n;

  if(argc != 2 || (d = tap_netdev(argv[1], mac)) == 0){
    fprintf(stderr, "usage: tapecho ifname (as root, the tap device made first)\n");
    return 2;
  }
  net_init(d);
  net_become_default();
  arp_gratuitous();
  if((s = ln_socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
     ln_bind(s, (struct sockaddr *)&a, sizeof(a)) < 0){
    perror("tapecho: socket");
    return 1;
  }
  printf("tapecho: ready\n");
  fflush(stdout);
  for(;;){
    fl = sizeof(from);
    if((n = ln_recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) < 0)
      continue;
    ln_sendto(s, buf, n, 0, (struct sockaddr *)&from, fl);
  }
}
