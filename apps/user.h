// The user runtime: system calls (usys.S) and the small C library
// (ulib.c, printf.c, umalloc.c, getopt.c) every program in apps/ links.
// System calls return >= 0 on success and -E* (errno.h) on failure; the
// libc-style helpers below that say so set errno and return -1 instead.
#ifndef USER_H
#define USER_H
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/poll.h"
#include "kernel/errno.h"
#include "kernel/procinfo.h"
#include "kernel/random.h"

#ifndef NULL
#define NULL ((void*)0)
#endif
typedef uint64 size_t;
typedef long ssize_t;

// system calls (usys.S); see kernel/syscall.h
int fork(void);
void _exit(int) __attribute__((noreturn));  // the system call: no atexit handlers
int wait(int*);
int pipe(int*);
int write(int, const void*, int);
int read(int, void*, int);
int close(int);
int kill(int);
int exec(const char*, char**);
int open(const char*, int);
int mknod(const char*, short, short);
int unlink(const char*);
int fstat(int fd, struct stat*);
int link(const char*, const char*);
int mkdir(const char*);
int chdir(const char*);
int dup(int);
int getpid(void);
char* sbrk(int);
int sleep(int ms);
int uptime(void);                         // milliseconds since boot
int poll(struct pollfd*, int nfds, int timeout_ms);
uint64 clock(void);                       // monotonic microseconds since boot (the time CSR, no system call)
int getprocs(struct procinfo*, int n);
int freemem(void);                        // free physical pages
int halt(void);
int fscrash(int n);
struct nc_stats;
int setipaddr(uint32 ip, uint32 mask, uint32 gw);  // host byte order
int getipaddr(uint32 *ip, uint32 *mask, uint32 *gw);
struct nc_ipcfg;
int setipcfg(const struct nc_ipcfg *cfg);   // the address and where it came from (kernel/netchan.h)
int getipcfg(struct nc_ipcfg *cfg);
int netopen(int flags);                   // a network channel (kernel/netchan.h)
int netsync(int fd, int timeout_ms);
int netclaim(int fd, int proto, int port);
int netstat(int fd, struct nc_stats *st);
int prof(int cmd, uint64 *buf, int n);        // the sampling profiler (kernel/prof.c)
int getrandom(void *buf, int n, int flags);  // bytes written, at most GETRANDOM_MAX (kernel/random.h)
long lseek(int fd, long off, int whence); // the new offset; whence SEEK_* (kernel/fcntl.h)
struct statfs;
int statfs(const char *path, struct statfs *st);  // kernel/fs.h
uint64 fsgen(void);   // the last generation any file was given (stat's gen): unchanged, nothing changed

// ulib.c
extern int errno;                         // set by the libc-style helpers
// exit runs the atexit handlers, last registered first, each once, then
// _exit. Up to ATEXIT_MAX handlers; atexit returns 0, or -ENOMEM when
// full. A fork child inherits them, as in C.
#define ATEXIT_MAX 16
void exit(int) __attribute__((noreturn));
int atexit(void (*fn)(void));
int stat(const char*, struct stat*);
char* strcpy(char*, const char*);
char* strncpy(char*, const char*, int);
char* strcat(char*, const char*);
int strcmp(const char*, const char*);
int strncmp(const char*, const char*, int);
uint strlen(const char*);
char* strchr(const char*, int);
char* strrchr(const char*, int);
char* strstr(const char*, const char*);
char* strdup(const char*);
void* memset(void*, int, uint);
void* memmove(void*, const void*, int);
void* memcpy(void*, const void*, uint);
int memcmp(const void*, const void*, uint);
char* gets(char*, int max);
int atoi(const char*);
long strtol(const char*, char**, int base);
int parseport(const char*);    // 1 to 65535 in decimal, or -1
unsigned long strtoul(const char*, char**, int base);
int isspace(int);
int isdigit(int);
int isalpha(int);
int isprint(int);
const char* strerror(int err);            // err as a positive E* code
int readn(int fd, void *buf, int n);      // read exactly n bytes unless EOF/error

// printf.c: %d %i %u %x %lx %ld %lu %p %s %c %%, width, '-', '0' flags;
// also "%.3f"-style doubles are NOT supported (use integer math).
void fprintf(int fd, const char*, ...) __attribute__ ((format (printf, 2, 3)));
void printf(const char*, ...) __attribute__ ((format (printf, 1, 2)));
int snprintf(char*, int size, const char*, ...) __attribute__ ((format (printf, 3, 4)));

// umalloc.c
void* malloc(uint);
void free(void*);
void* calloc(uint, uint);
void* realloc(void*, uint);

// getopt.c: POSIX getopt, no long options
extern char *optarg;
extern int optind, opterr, optopt;
int getopt(int argc, char * const argv[], const char *optstring);
#endif
