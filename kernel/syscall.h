// System call numbers, shared by kernel (syscall.c) and user space (usys.S).
// Arguments go in a0..a5, the number in a7; the result comes back in a0:
// >= 0 on success, -E* (errno.h) on failure.
#define SYS_fork     1   // int fork(void)
#define SYS_exit     2   // void exit(int status)
#define SYS_wait     3   // int wait(int *status)
#define SYS_pipe     4   // int pipe(int fd[2])
#define SYS_read     5   // int read(int fd, void *buf, int n)
#define SYS_kill     6   // int kill(int pid)
#define SYS_exec     7   // int exec(const char *path, char **argv)
#define SYS_fstat    8   // int fstat(int fd, struct stat *st)
#define SYS_chdir    9   // int chdir(const char *path)
#define SYS_dup     10   // int dup(int fd)
#define SYS_getpid  11   // int getpid(void)
#define SYS_sbrk    12   // char *sbrk(int n); (char*)-1 style errors are -ENOMEM
#define SYS_sleep   13   // int sleep(int ms)
#define SYS_uptime  14   // int uptime(void): milliseconds since boot
#define SYS_open    15   // int open(const char *path, int omode)
#define SYS_write   16   // int write(int fd, const void *buf, int n)
#define SYS_mknod   17   // int mknod(const char *path, short major, short minor)
#define SYS_unlink  18   // int unlink(const char *path)
#define SYS_link    19   // int link(const char *old, const char *new)
#define SYS_mkdir   20   // int mkdir(const char *path)
#define SYS_close   21   // int close(int fd)
#define SYS_poll    22   // int poll(struct pollfd *fds, int nfds, int timeout_ms)
#define SYS_clock   23   // uint64 clock(void): monotonic microseconds since boot (the runtime reads the time CSR instead)
#define SYS_getprocs 24  // int getprocs(struct procinfo *pi, int n)
#define SYS_freemem 25   // int freemem(void): free physical pages
#define SYS_halt    26   // void halt(void): power the machine off
#define SYS_fscrash 27   // int fscrash(int n): power off after the next n disk writes (crash tests)
#define SYS_setipaddr 29 // int setipaddr(uint32 ip, uint32 mask, uint32 gw) 
#define SYS_getipaddr 30 // int getipaddr(uint32 *ip, uint32 *mask, uint32 *gw)
#define SYS_netopen   31 // int netopen(int flags): open a network channel (netchan.h)
#define SYS_netsync   32 // int netsync(int fd, int timeout_ms)
#define SYS_netclaim  33 // int netclaim(int fd, int proto, int port)
#define SYS_netstat   34 // int netstat(int fd, struct nc_stats *st)
#define SYS_getrandom 35 // int getrandom(void *buf, int n, int flags): bytes written (random.h)
#define SYS_setipcfg  40 // int setipcfg(const struct nc_ipcfg *cfg): address and where it came from (netchan.h)
#define SYS_getipcfg  41 // int getipcfg(struct nc_ipcfg *cfg)
