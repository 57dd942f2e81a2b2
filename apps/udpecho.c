// udpecho: a UDP echo server, or a client that sends one message and
// prints the echo with its round-trip time.
//
// usage: udpecho -l port
//        udpecho [-W timeout_ms] host port [message]
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/socket.h"

static int
server(int port)
{
  struct sockaddr_in a, from;
  socklen_t fl;
  char buf[2048];
  int s, n;

  if((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0){
    fprintf(2, "udpecho: socket: %s\n", strerror(errno));
    return 1;
  }
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if(bind(s, (struct sockaddr *)&a, sizeof(a)) < 0){
    fprintf(2, "udpecho: bind %d: %s\n", port, strerror(errno));
    return 1;
  }
  printf("udpecho: listening on %d\n", port);
  for(;;){
    fl = sizeof(from);
    if((n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) < 0){
      fprintf(2, "udpecho: recvfrom: %s\n", strerror(errno));
      continue;
    }
    if(sendto(s, buf, n, 0, (struct sockaddr *)&from, fl) < 0)
      fprintf(2, "udpecho: sendto: %s\n", strerror(errno));
  }
}

static int
client(const char *host, int port, const char *msg, int timeout)
{
  struct sockaddr_in a;
  struct timeval tv;
  char buf[2048];
  uint64 t0;
  int s, n, len = strlen(msg);

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if(!inet_aton(host, &a.sin_addr)){
    fprintf(2, "udpecho: bad address %s\n", host);
    return 2;
  }
  if((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
     connect(s, (struct sockaddr *)&a, sizeof(a)) < 0){
    fprintf(2, "udpecho: %s: %s\n", host, strerror(errno));
    return 1;
  }
  tv.tv_sec = timeout / 1000;
  tv.tv_usec = (timeout % 1000) * 1000;
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  t0 = clock();
  if(send(s, msg, len, 0) != len){
    fprintf(2, "udpecho: send: %s\n", strerror(errno));
    return 1;
  }
  if((n = recv(s, buf, sizeof(buf) - 1, 0)) < 0){
    fprintf(2, "udpecho: no echo from %s:%d: %s\n", host, port,
            errno == EAGAIN ? "timed out" : strerror(errno));
    return 1;
  }
  uint64 us = clock() - t0;
  buf[n] = 0;
  printf("udpecho: %d bytes from %s:%d in %d.%03d ms: %s\n", n, host, port,
         (int)(us / 1000), (int)(us % 1000), buf);
  return n == len && memcmp(buf, msg, len) == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
  int c, timeout = 2000, listen = -1;

  while((c = getopt(argc, argv, "l:W:")) != -1){
    switch(c){
    case 'l':
      listen = atoi(optarg);
      break;
    case 'W':
      timeout = atoi(optarg);
      break;
    default:
      goto usage;
    }
  }
  if(listen > 0)
    return server(listen);
  if(argc - optind < 2)
    goto usage;
  return client(argv[optind], atoi(argv[optind + 1]),
                argc - optind > 2 ? argv[optind + 2] : "hello", timeout);
 usage:
  fprintf(2, "usage: udpecho -l port\n       udpecho [-W timeout_ms] host port [message]\n");
  return 2;
}
