// socket.h: the BSD socket interface over libnet: stream sockets (TCP),
// datagram sockets (UDP) and raw ICMP for ping. Ordinary BSD code compiles against it by
// including this header instead of <sys/socket.h>, <netinet/in.h> and
// <arpa/inet.h>. Calls return -1 and set errno on failure.
//
// Socket descriptors are numbers from SOCK_FDBASE (64) up, above the
// kernel's; close, read, write and poll are taken over (by macro) so
// they work on sockets and kernel descriptors alike. Define
// LIBNET_NO_MACROS to get only the ln_ names.
#ifndef LIBNET_SOCKET_H
#define LIBNET_SOCKET_H
#include <stdint.h>
#include <stddef.h>
#ifndef LIBNET_HOST
#include "kernel/types.h"
#include "apps/user.h"
#else
#include <sys/types.h>
#include <string.h>
#include <poll.h>
#include <errno.h>
#endif

#define AF_INET      2
#define PF_INET      AF_INET
#define SOCK_STREAM  1
#define SOCK_DGRAM   2
#define SOCK_RAW     3
#define IPPROTO_IP    0
#define IPPROTO_ICMP  1
#define IPPROTO_TCP   6
#define IPPROTO_UDP  17
#define INADDR_ANY        ((in_addr_t)0x00000000)
#define INADDR_BROADCAST  ((in_addr_t)0xffffffff)
#define INADDR_LOOPBACK   ((in_addr_t)0x7f000001)
#define INADDR_NONE       ((in_addr_t)0xffffffff)

// Option numbers are Linux's, so code written there reads the same.
#define SOL_SOCKET    1
#define SO_REUSEADDR  2
#define SO_ERROR      4
#define SO_BROADCAST  6
#define SO_SNDBUF     7
#define SO_RCVBUF     8
#define SO_KEEPALIVE  9
#define SO_LINGER    13
#define SO_RCVTIMEO  20
#define SO_SNDTIMEO  21
#define TCP_NODELAY   1      // level IPPROTO_TCP

#define MSG_PEEK      0x02
#define MSG_DONTWAIT  0x40
#define MSG_WAITALL   0x100
#define MSG_NOSIGNAL  0x4000 // accepted; there are no signals to suppress

#define SHUT_RD       0
#define SHUT_WR       1
#define SHUT_RDWR     2

#define SOMAXCONN   128

struct linger {
  int l_onoff;
  int l_linger;              // seconds
};

#define F_GETFL       3
#define F_SETFL       4
#ifndef O_NONBLOCK
#define O_NONBLOCK    04000
#endif

typedef uint32_t socklen_t;
typedef uint16_t sa_family_t;
typedef uint16_t in_port_t;
typedef uint32_t in_addr_t;

struct in_addr {
  in_addr_t s_addr;          // network byte order
};

struct sockaddr {
  sa_family_t sa_family;
  char sa_data[14];
};

struct sockaddr_in {
  sa_family_t sin_family;    // AF_INET
  in_port_t sin_port;        // network byte order
  struct in_addr sin_addr;   // network byte order
  uint8_t sin_zero[8];
};

#ifndef LIBNET_HOST
struct timeval {
  long tv_sec;
  long tv_usec;
};
#else
#include <sys/time.h>
#endif

// Byte order: the guest and the usual hosts are little-endian.
static inline uint16_t ln_htons(uint16_t v) { return (uint16_t)(v << 8 | v >> 8); }
static inline uint32_t ln_htonl(uint32_t v)
{
  return (v << 24) | ((v << 8) & 0xff0000) | ((v >> 8) & 0xff00) | (v >> 24);
}

// select(): descriptors below LN_FD_SETSIZE.
#define LN_FD_SETSIZE 640    // above SOCK_FDBASE + NSOCK
typedef struct { uint64_t bits[LN_FD_SETSIZE / 64]; } ln_fd_set;

int ln_socket(int domain, int type, int protocol);
int ln_bind(int fd, const struct sockaddr *addr, socklen_t len);
int ln_connect(int fd, const struct sockaddr *addr, socklen_t len);
int ln_listen(int fd, int backlog);
int ln_accept(int fd, struct sockaddr *addr, socklen_t *len);
int ln_shutdown(int fd, int how);
ssize_t ln_sendto(int fd, const void *buf, size_t len, int flags,
                  const struct sockaddr *to, socklen_t tolen);
ssize_t ln_recvfrom(int fd, void *buf, size_t len, int flags,
                    struct sockaddr *from, socklen_t *fromlen);
ssize_t ln_send(int fd, const void *buf, size_t len, int flags);
ssize_t ln_recv(int fd, void *buf, size_t len, int flags);
int ln_close(int fd);
int ln_read(int fd, void *buf, int n);
int ln_write(int fd, const void *buf, int n);
int ln_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int ln_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
int ln_setsockopt(int fd, int level, int opt, const void *val, socklen_t len);
int ln_getsockopt(int fd, int level, int opt, void *val, socklen_t *len);
int ln_fcntl(int fd, int cmd, int arg);
int ln_poll(struct pollfd *fds, int nfds, int timeout_ms);
int ln_select(int nfds, ln_fd_set *r, ln_fd_set *w, ln_fd_set *e, struct timeval *tv);
in_addr_t ln_inet_addr(const char *s);
int ln_inet_aton(const char *s, struct in_addr *a);
char *ln_inet_ntoa(struct in_addr a);
int ln_issock(int fd);
void ln_serve_stats(int fd);   // answer netstat -l -p: this process's libnet counters
#include "netref.h"             // zero copy: ln_cache, ln_sendref

#ifndef LIBNET_NO_MACROS
#define htons(v) ln_htons(v)
#define ntohs(v) ln_htons(v)
#define htonl(v) ln_htonl(v)
#define ntohl(v) ln_htonl(v)
#define socket ln_socket
#define bind ln_bind
#define connect ln_connect
#define listen ln_listen
#define accept ln_accept
#define shutdown ln_shutdown
#define sendto ln_sendto
#define recvfrom ln_recvfrom
#define send ln_send
#define recv ln_recv
#define close ln_close
#define read ln_read
#define write ln_write
#define getsockname ln_getsockname
#define getpeername ln_getpeername
#define setsockopt ln_setsockopt
#define getsockopt ln_getsockopt
#define fcntl ln_fcntl
#define poll ln_poll
#define select ln_select
#define fd_set ln_fd_set
#define FD_SETSIZE LN_FD_SETSIZE
#define FD_ZERO(s) memset((s), 0, sizeof(*(s)))
#define FD_SET(fd, s) ((s)->bits[(fd) / 64] |= 1ULL << ((fd) % 64))
#define FD_CLR(fd, s) ((s)->bits[(fd) / 64] &= ~(1ULL << ((fd) % 64)))
#define FD_ISSET(fd, s) (((s)->bits[(fd) / 64] >> ((fd) % 64)) & 1)
#define inet_addr ln_inet_addr
#define inet_aton ln_inet_aton
#define inet_ntoa ln_inet_ntoa
#endif
#endif
