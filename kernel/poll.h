// poll(), shared by kernel and user space. Same layout and bits as POSIX.
// Any file kind may be polled: console, pipes, files (always ready) and,
// from the network issue on, network channels.
#ifndef POLL_H
#define POLL_H
struct pollfd {
  int fd;          // descriptor to watch; negative entries are ignored
  short events;    // POLLIN | POLLOUT wanted
  short revents;   // (k) what is ready, plus POLLERR/POLLHUP/POLLNVAL
};
#define POLLIN    0x001   // readable without blocking
#define POLLPRI   0x002
#define POLLOUT   0x004   // writable without blocking
#define POLLERR   0x008
#define POLLHUP   0x010   // the other end is gone
#define POLLNVAL  0x020   // fd is not open
#endif
