// seedecho: the TCP echo server of the seed's phase document, written
// as it would be for Linux, one client at a time. It is a compatibility
// test: on Linux it builds and runs with only its includes changed, the
// commented ones below in place of ours (pcap-tests/test_echo.py does
// exactly that). Keep it ordinary BSD code.
//
// #include <sys/types.h>
// #include <sys/socket.h>
// #include <netinet/in.h>
// #include <arpa/inet.h>
// #include <unistd.h>
// #include <stdio.h>
// #include <stdlib.h>
// #include <string.h>
// #include <errno.h>
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/socket.h"

static void
fail(const char *what)
{
  printf("seedecho: %s: %s\n", what, strerror(errno));
  exit(1);
}

// seedecho: echo TCP clients, one at a time
// usage: seedecho [port]
int
main(int argc, char *argv[])
{
  struct sockaddr_in addr, peer;
  socklen_t len;
  char buf[512];
  int s, c, n, port = 7;

  if(argc > 2 || (argc == 2 && (port = atoi(argv[1])) <= 0) || port > 65535){
    printf("usage: seedecho [port]\n");
    exit(1);
  }
  if((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
    fail("socket");
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(port);
  if(bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
    fail("bind");
  if(listen(s, 5) < 0)
    fail("listen");
  printf("seedecho: listening on port %d\n", port);
  for(;;){
    len = sizeof(peer);
    if((c = accept(s, (struct sockaddr *)&peer, &len)) < 0)
      fail("accept");
    printf("seedecho: connection from %s:%d\n", inet_ntoa(peer.sin_addr), ntohs(peer.sin_port));
    while((n = read(c, buf, sizeof(buf))) > 0)
      if(write(c, buf, n) != n)
        break;
    close(c);
  }
}
