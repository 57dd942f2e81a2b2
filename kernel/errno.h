// Error codes, shared by kernel and user space.
// System calls return -E* on failure; the user runtime and libnet's socket
// shim turn that into -1 and errno. The numbers are Linux's, so ordinary
// code that compares errno against them reads the same here.
#ifndef ERRNO_H
#define ERRNO_H
#define EPERM            1   // operation not permitted
#define ENOENT           2   // no such file or directory
#define ESRCH            3   // no such process
#define EINTR            4   // interrupted (process killed while waiting)
#define EIO              5   // input/output error
#define E2BIG            7   // argument list too long
#define ENOEXEC          8   // not an executable
#define EBADF            9   // bad file descriptor
#define ECHILD          10   // no child processes
#define EAGAIN          11   // try again (non-blocking)
#define EWOULDBLOCK     EAGAIN
#define ENOMEM          12   // out of memory
#define EACCES          13   // permission denied
#define EFAULT          14   // bad address
#define EBUSY           16   // resource busy
#define EEXIST          17   // file exists
#define EXDEV           18   // cross-device link
#define ENODEV          19   // no such device
#define ENOTDIR         20   // not a directory
#define EISDIR          21   // is a directory
#define EINVAL          22   // invalid argument
#define ENFILE          23   // file table full
#define EMFILE          24   // too many open files
#define EFBIG           27   // file too large
#define ENOSPC          28   // no space left on device
#define ESPIPE          29   // illegal seek
#define EPIPE           32   // broken pipe
#define ERANGE          34   // result out of range
#define ENAMETOOLONG    36   // file name too long
#define ENOSYS          38   // no such system call
#define ENOTEMPTY       39   // directory not empty
#define EPROTO          71   // protocol error
#define EBADMSG         74   // malformed message
#define ENOTSOCK        88   // not a socket
#define EDESTADDRREQ    89   // destination address required
#define EMSGSIZE        90   // message too long
#define EPROTOTYPE      91   // wrong protocol type for socket
#define ENOPROTOOPT     92   // protocol option not available
#define EPROTONOSUPPORT 93   // protocol not supported
#define EOPNOTSUPP      95   // operation not supported
#define EAFNOSUPPORT    97   // address family not supported
#define EADDRINUSE      98   // address already in use
#define EADDRNOTAVAIL   99   // address not available
#define ENETDOWN       100   // network is down
#define ENETUNREACH    101   // network unreachable
#define ECONNABORTED   103   // connection aborted
#define ECONNRESET     104   // connection reset by peer
#define ENOBUFS        105   // no buffer space
#define EISCONN        106   // already connected
#define ENOTCONN       107   // not connected
#define ETIMEDOUT      110   // timed out
#define ECONNREFUSED   111   // connection refused
#define EHOSTUNREACH   113   // no route to host
#define EALREADY       114   // operation already in progress
#define EINPROGRESS    115   // operation in progress
#define EDQUOT         122   // quota exceeded (a channel's port claims)
#endif
