// usertests: the kernel's in-guest regression tests, in the shape of
// xv6's usertests. Each test is a function run in a forked child; the
// child exits 0 if the test passed. A failing check prints one line
// saying what returned what, then the runner prints "test NAME: FAILED".
// The runner counts free pages before and after and fails the run if
// pages went missing. It does not test the network (nettests does).
//
// Tests use global scratch buffers, not big locals: the user stack is
// only USERSTACK pages and running off it is itself a test (stackguard).
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/fs.h"
#include "apps/user.h"
#include "apps/testlib.h"

#define PGSIZE      4096     // riscv.h is kernel-only; the page size is not
#define CRASHSZ     3072     // one write() that fits one log transaction (file.c splits larger
                             // writes, and a crash may tear them at those boundaries, as in xv6)
#define BIG         (64*1024)
#define FREESLACK   4        // pages other harts may free or take while a test counts
#define HUGEMB      8        // hugefile's size unless named with one: past the indirect
                             // blocks, well into the doubly-indirect ones
#define MAXBYTES    ((long)MAXFILE * BSIZE)

static char buf[BIG];       // scratch; each test has its own copy after fork
static char buf2[BIG];
static struct procinfo pinfo[NPROC];
static volatile uint64 zero;  // a 0 the compiler cannot see through
static int runnerpid;         // the usertests process that forks each test

int main(int, char**);
#define TEXT ((uint64)main)   // mapped readable, never writable

// Addresses no system call may read or write for a process: unmapped,
// kernel-only (the trapframe and trampoline are mapped without PTE_U),
// or beyond what Sv39 can name at all.
static uint64 badaddrs[] = {
  0,
  0x80000000UL,
  0x3fffffe000UL,           // TRAPFRAME
  0x3ffffff000UL,           // TRAMPOLINE
  0x4000000000UL,           // MAXVA
  0xfffffffffffff000UL,
};
#define NBAD (sizeof(badaddrs)/sizeof(badaddrs[0]))

// --- helpers ------------------------------------------------------------

// A child that ran off the rails must have been killed, not exited 0.
static void
wantkilled(char *s, char *what, int pid)
{
  int st;

  st = waitst(s, pid);
  if(st == 0){
    printf("%s: %s: child exited 0, wanted it killed\n", s, what);
    exit(1);
  }
}

static void
xpipe(char *s, int *p)
{
  wantok(s, "pipe", pipe(p));
}

static int
sbrkfailed(char *p)
{
  return (long)p < 0;
}

// The byte at offset o of the files bigfile and friends write.
static char
pat(uint64 o)
{
  return (o * 7 + o / 1024) & 0xff;
}

// Write n bytes of the same value c to fd in chunks of chunk bytes.
static void
writefill(char *s, int fd, int c, int n, int chunk)
{
  int r, m;

  memset(buf, c, chunk);
  while(n > 0){
    m = n < chunk ? n : chunk;
    r = write(fd, buf, m);
    want(s, "write", r, m);
    n -= m;
  }
}

// --- system calls with bad arguments -----------------------------------

// read() into memory the process may not write.
void
badread(char *s)
{
  int fd, i;
  uint64 brk;

  fd = wantok(s, "open README.md", open("README.md", O_RDONLY));
  for(i = 0; i < NBAD; i++)
    want(s, "read into a bad address", read(fd, (void*)badaddrs[i], 5), -EFAULT);
  brk = (uint64)sbrk(0);
  want(s, "read above the heap", read(fd, (void*)(brk + 10*PGSIZE), 5), -EFAULT);
  // Text is mapped without PTE_W; copyout must honour that.
  want(s, "read into text", read(fd, (void*)TEXT, 5), -EFAULT);
  want(s, "read after the faults", read(fd, buf, 5), 5);
  close(fd);
}

// write() from memory the process may not read.
void
badwrite(char *s)
{
  int fd, i, p[2];

  unlink("badwrite");
  fd = wantok(s, "open", open("badwrite", O_CREATE|O_RDWR));
  xpipe(s, p);
  for(i = 0; i < NBAD; i++){
    want(s, "write to a file from a bad address", write(fd, (void*)badaddrs[i], 5), -EFAULT);
    want(s, "write to a pipe from a bad address", write(p[1], (void*)badaddrs[i], 5), -EFAULT);
    want(s, "write to the console from a bad address", write(1, (void*)badaddrs[i], 5), -EFAULT);
  }
  want(s, "write after the faults", write(fd, "hello", 5), 5);
  close(fd);
  close(p[0]);
  close(p[1]);
  unlink("badwrite");
}

// Path arguments the kernel cannot fetch.
void
badpath(char *s)
{
  int i;
  char *a;

  for(i = 0; i < NBAD; i++){
    a = (char*)badaddrs[i];
    want(s, "open(bad)", open(a, O_RDONLY), -EFAULT);
    want(s, "open(bad, O_CREATE)", open(a, O_CREATE|O_RDWR), -EFAULT);
    want(s, "mkdir(bad)", mkdir(a), -EFAULT);
    want(s, "chdir(bad)", chdir(a), -EFAULT);
    want(s, "unlink(bad)", unlink(a), -EFAULT);
    want(s, "link(bad, x)", link(a, "badpathx"), -EFAULT);
    want(s, "link(README.md, bad)", link("README.md", a), -EFAULT);
  }
}

// exec() with bad path, bad argv array, bad argv string. Run in a child
// that exits 42 so that an exec which wrongly succeeds shows as status 0.
void
badexec(char *s)
{
  int pid, i;
  char *argv[3];

  pid = xfork(s);
  if(pid == 0){
    argv[0] = "echo";
    argv[2] = 0;
    for(i = 0; i < NBAD; i++){
      argv[1] = "x";
      want(s, "exec(bad path)", exec((char*)badaddrs[i], argv), -EFAULT);
      want(s, "exec(echo, bad argv)", exec("/echo", (char**)badaddrs[i]), -EFAULT);
      argv[1] = (char*)badaddrs[i];
      if(badaddrs[i] != 0)  // a 0 there just ends argv
        want(s, "exec(echo, {echo, bad})", exec("/echo", argv), -EFAULT);
    }
    exit(42);
  }
  want(s, "child status", waitst(s, pid), 42);
}

void
badpipe(char *s)
{
  int fd;

  want(s, "pipe(NULL)", pipe(0), -EFAULT);
  want(s, "pipe(kernel address)", pipe((int*)0x80000000UL), -EFAULT);
  want(s, "pipe(text)", pipe((int*)TEXT), -EFAULT);
  // The failed calls must not have left descriptors behind.
  fd = dup(0);
  want(s, "dup(0) after failed pipes", fd, 3);
  close(fd);
}

void
badwait(char *s)
{
  int pid, w, n;

  pid = xfork(s);
  if(pid == 0)
    exit(0);
  want(s, "wait(kernel address)", wait((int*)0x80000000UL), -EFAULT);
  // The kernel may or may not have reaped the child; either way it must
  // not be reported twice and the next wait must end with ECHILD.
  n = 0;
  while((w = wait(0)) >= 0){
    if(w != pid || ++n > 1)
      fail(s, "wait reported a child twice or a stranger");
  }
  want(s, "wait with no children", w, -ECHILD);
}

void
badfstat(char *s)
{
  int fd, i;
  struct stat st;

  fd = wantok(s, "open", open("README.md", O_RDONLY));
  for(i = 0; i < NBAD; i++)
    want(s, "fstat(fd, bad)", fstat(fd, (struct stat*)badaddrs[i]), -EFAULT);
  want(s, "fstat(fd, text)", fstat(fd, (struct stat*)TEXT), -EFAULT);
  want(s, "fstat after the faults", fstat(fd, &st), 0);
  close(fd);
}

void
badpoll(char *s)
{
  int i;

  for(i = 0; i < NBAD; i++)
    want(s, "poll(bad, 1, 0)", poll((struct pollfd*)badaddrs[i], 1, 0), -EFAULT);
  // Readable but not writable: revents cannot be stored.
  want(s, "poll(text, 1, 0)", poll((struct pollfd*)TEXT, 1, 0), -EFAULT);
}

void
badgetprocs(char *s)
{
  int i;

  for(i = 0; i < NBAD; i++)
    want(s, "getprocs(bad, NPROC)", getprocs((struct procinfo*)badaddrs[i], NPROC), -EFAULT);
}

// Descriptors that are not open.
void
badfd(char *s)
{
  int fd, bad[] = { -1, 9, NOFILE - 1, NOFILE, 1000, -1000000 };
  int i;
  struct stat st;

  for(i = 0; i < sizeof(bad)/sizeof(bad[0]); i++){
    want(s, "read(bad fd)", read(bad[i], buf, 1), -EBADF);
    want(s, "write(bad fd)", write(bad[i], "x", 1), -EBADF);
    want(s, "close(bad fd)", close(bad[i]), -EBADF);
    want(s, "fstat(bad fd)", fstat(bad[i], &st), -EBADF);
    want(s, "dup(bad fd)", dup(bad[i]), -EBADF);
  }
  fd = wantok(s, "open", open("README.md", O_RDONLY));
  want(s, "write to a read-only fd", write(fd, "x", 1), -EBADF);
  close(fd);
  want(s, "close twice", close(fd), -EBADF);
  unlink("badfd");
  fd = wantok(s, "open", open("badfd", O_CREATE|O_WRONLY));
  want(s, "read from a write-only fd", read(fd, buf, 1), -EBADF);
  close(fd);
  unlink("badfd");
}

// exec of things that are not programs, and of too many arguments.
void
execbad(char *s)
{
  int pid, i;
  char *argv[MAXARG + 2];

  pid = xfork(s);
  if(pid == 0){
    argv[0] = "echo";
    argv[1] = 0;
    want(s, "exec(missing)", exec("/nosuchprogram", argv), -ENOENT);
    want(s, "exec(missing dir/file)", exec("/nosuchdir/echo", argv), -ENOENT);
    wanterr(s, "exec(README.md)", exec("/README.md", argv));
    wanterr(s, "exec(/)", exec("/", argv));
    for(i = 0; i < MAXARG + 1; i++)
      argv[i] = "x";
    argv[MAXARG + 1] = 0;
    want(s, "exec with MAXARG+1 args", exec("/echo", argv), -E2BIG);
    exit(42);
  }
  want(s, "child status", waitst(s, pid), 42);
}

void
killbad(char *s)
{
  int pid;

  want(s, "kill(99999)", kill(99999), -ESRCH);
  want(s, "kill(1<<30)", kill(1 << 30), -ESRCH);
  pid = xfork(s);
  if(pid == 0)
    exit(0);
  want(s, "child status", waitst(s, pid), 0);
  want(s, "kill(reaped child)", kill(pid), -ESRCH);
}

// A path longer than MAXPATH must be refused, not truncated.
void
longpath(char *s)
{
  char *p;

  p = buf;
  memset(p, 'a', 3 * MAXPATH);
  p[3 * MAXPATH] = 0;
  wanterr(s, "open(long, O_CREATE)", open(p, O_CREATE|O_RDWR));
  wanterr(s, "mkdir(long)", mkdir(p));
  wanterr(s, "unlink(long)", unlink(p));
  wanterr(s, "chdir(long)", chdir(p));
}

// --- processes -----------------------------------------------------------

void
exitstatus(char *s)
{
  int pid;

  pid = xfork(s);
  if(pid == 0)
    exit(42);
  want(s, "wait status of exit(42)", waitst(s, pid), 42);
  pid = xfork(s);
  if(pid == 0)
    exit(-3);
  want(s, "wait status of exit(-3)", waitst(s, pid), -3);
  want(s, "wait(NULL) with no children", wait(0), -ECHILD);
}

// Many children, each exiting with its own status, reaped in any order.
void
forkwait(char *s)
{
  int pids[20], i, j, w, st;

  for(i = 0; i < 20; i++){
    pids[i] = xfork(s);
    if(pids[i] == 0){
      if(getpid() <= 0)
        exit(99);
      exit(i + 1);
    }
  }
  for(i = 0; i < 20; i++){
    w = wait(&st);
    for(j = 0; j < 20 && pids[j] != w; j++)
      ;
    if(j == 20){
      printf("%s: wait returned %d, not one of my children\n", s, w);
      exit(1);
    }
    want(s, "child exit status", st, j + 1);
    pids[j] = -1;
  }
  want(s, "wait after the last child", wait(0), -ECHILD);
}

// Fork until the process table is full: fork must fail with an error
// code, every child must be reaped, and then fork must work again.
void
forkfull(char *s)
{
  int n, pid, r;

  for(n = 0; n < 2 * NPROC; n++){
    pid = fork();
    if(pid < 0)
      break;
    if(pid == 0)
      exit(0);
  }
  r = pid;
  if(n == 2 * NPROC)
    fail(s, "fork never failed");
  if(n < NPROC / 2){
    printf("%s: only %d forks succeeded\n", s, n);
    exit(1);
  }
  for(; n > 0; n--)
    wantok(s, "wait", wait(0));
  want(s, "wait after the last child", wait(0), -ECHILD);
  pid = xfork(s);
  if(pid == 0)
    exit(0);
  want(s, "child status after refilling", waitst(s, pid), 0);
  if(r != -EAGAIN && r != -ENOMEM)
    printf("%s: note: full table gave %d (%s)\n", s, r, strerror(-r));
}

// A child that touches page 0 (load, store or jump) dies; we do not.
void
nullderef(char *s)
{
  int pid;

  pid = xfork(s);
  if(pid == 0){
    printf("%s: loaded %d from 0\n", s, *(volatile int*)zero);
    exit(0);
  }
  wantkilled(s, "load from NULL", pid);
  pid = xfork(s);
  if(pid == 0){
    *(volatile int*)zero = 1;
    exit(0);
  }
  wantkilled(s, "store to NULL", pid);
  pid = xfork(s);
  if(pid == 0){
    ((void (*)(void))zero)();
    exit(0);
  }
  wantkilled(s, "jump to NULL", pid);
}

static int
recurse(int depth)
{
  volatile char frame[1024];

  frame[depth % sizeof(frame)] = depth;
  if(depth > 1000)
    return 0;
  return recurse(depth + 1) + frame[(depth * 7) % sizeof(frame)];
}

// Recursing a thousand 1 KiB frames runs through the guard page below
// the USERSTACK pages; that must kill the child, not grow into the heap.
void
stackguard(char *s)
{
  int pid;

  pid = xfork(s);
  if(pid == 0){
    printf("%s: recursed without a fault (%d)\n", s, recurse(0));
    exit(0);
  }
  wantkilled(s, "recursion past the stack", pid);
}

// bytes through a pipe in writes and reads of odd sizes, some larger
// than the pipe: every byte arrives once, in order, across the ring's
// wrap (the pipe copies in runs up to its end, not a byte at a time).
void
pipedata(char *s)
{
  int p[2], pid, total = 200000, got = 0, n;
  static char wbuf[5000], rbuf[3000];

  xpipe(s, p);
  pid = xfork(s);
  if(pid == 0){
    close(p[0]);
    for(int sent = 0, k = 1; sent < total; k = k * 7 % 4999 + 1){
      if(k > total - sent)
        k = total - sent;
      for(int i = 0; i < k; i++)
        wbuf[i] = (sent + i) % 251;
      if(write(p[1], wbuf, k) != k)
        exit(2);
      sent += k;
    }
    exit(0);
  }
  close(p[1]);
  for(int k = 1; (n = read(p[0], rbuf, k)) > 0; k = k * 5 % 2999 + 1){
    for(int i = 0; i < n; i++)
      if(rbuf[i] != (char)((got + i) % 251)){
        printf("%s: byte %d is %d, wanted %d\n", s, got + i, rbuf[i], (got + i) % 251);
        exit(1);
      }
    got += n;
  }
  close(p[0]);
  want(s, "bytes through the pipe", got, total);
  want(s, "the writer's exit status", waitst(s, pid), 0);
}

// kill a child sleeping in sleep(), blocked in read() and spinning.
void
killsleep(char *s)
{
  int pid, p[2], how;
  uint64 t0;
  volatile uint64 x;

  for(how = 0; how < 3; how++){
    xpipe(s, p);
    pid = xfork(s);
    if(pid == 0){
      close(p[1]);
      if(how == 0)
        sleep(100000);
      else if(how == 1)
        read(p[0], buf, 1);
      else
        for(x = 0; ; x++)
          ;
      exit(0);
    }
    sleep(20);
    t0 = clock();
    want(s, "kill(child)", kill(pid), 0);
    wantkilled(s, how == 0 ? "killed in sleep" : how == 1 ? "killed in read" : "killed spinning", pid);
    if(msince(t0) > 1000){
      printf("%s: killed child took %d ms to die\n", s, msince(t0));
      exit(1);
    }
    close(p[0]);
    close(p[1]);
  }
}

// kill a child just as it goes to sleep, many times: a kill that lands
// after the child's last look at killed() and before it sleeps must
// still wake it (kill() wakes only a process already asleep). The
// child reads from a pipe nobody writes to, so a lost kill leaves it
// asleep; the parent kills it after a delay that sweeps over the
// child's way from fork into read(), then polls a second pipe whose
// only writer is the child: it reaches end of file when the child is
// gone.
void
killrace(char *s)
{
  int pid, p[2], q[2], n = testarg > 0 ? testarg : 300;
  struct pollfd pf;
  volatile int x;

  for(int i = 0; i < n; i++){
    xpipe(s, p);
    xpipe(s, q);
    pid = xfork(s);
    if(pid == 0){
      close(p[1]);
      close(q[0]);
      read(p[0], buf, 1);
      exit(0);
    }
    close(q[1]);
    for(x = 0; x < (i % 100) * 3000; x++)
      ;
    want(s, "kill(child)", kill(pid), 0);
    pf.fd = q[0];
    pf.events = POLLIN;
    pf.revents = 0;
    if(poll(&pf, 1, 1000) != 1){
      printf("%s: kill %d of %d was lost: the child still sleeps after 1 s\n", s, i, n);
      close(p[1]);    // let it go
      waitst(s, pid);
      exit(1);
    }
    wantkilled(s, "killed entering read", pid);
    close(p[0]);
    close(p[1]);
    close(q[0]);
  }
}

// exec with arguments; the output goes to a file we then read.
void
execargs(char *s)
{
  int pid, fd, n;
  char *argv[] = { "echo", "hello", "world", 0 };

  unlink("execout");
  pid = xfork(s);
  if(pid == 0){
    close(1);
    want(s, "open(execout) as fd 1", open("execout", O_CREATE|O_WRONLY), 1);
    exec("/echo", argv);
    exit(42);
  }
  want(s, "echo's exit status", waitst(s, pid), 0);
  fd = wantok(s, "open(execout)", open("execout", O_RDONLY));
  n = read(fd, buf, 100);
  want(s, "read(execout)", n, 12);
  if(memcmp(buf, "hello world\n", 12) != 0)
    fail(s, "echo wrote something other than \"hello world\\n\"");
  close(fd);
  unlink("execout");
}

void
getprocstest(char *s)
{
  int n, i, me;

  me = getpid();
  n = wantok(s, "getprocs", getprocs(pinfo, NPROC));
  if(n < 3)
    fail(s, "getprocs saw fewer than 3 processes");
  for(i = 0; i < n && pinfo[i].pid != me; i++)
    ;
  if(i == n)
    fail(s, "getprocs did not list my pid");
  if(strcmp(pinfo[i].name, "usertests") != 0){
    printf("%s: my name is \"%s\", wanted \"usertests\"\n", s, pinfo[i].name);
    exit(1);
  }
  want(s, "my state", pinfo[i].state, RUNNING);
  if(pinfo[i].sz == 0)
    fail(s, "my size is 0");
  want(s, "my parent", pinfo[i].ppid, runnerpid);
  n = getprocs(pinfo, 1);
  if(n != 1)
    want(s, "getprocs(pi, 1)", n, 1);
}

// fork copies memory: the child's writes do not reach the parent.
static int forkglobal = 1;

void
forkmem(char *s)
{
  int pid;
  char *p;

  p = sbrk(PGSIZE);
  if(sbrkfailed(p))
    fail(s, "sbrk(PGSIZE) failed");
  p[100] = 'p';
  pid = xfork(s);
  if(pid == 0){
    if(p[100] != 'p' || forkglobal != 1)
      exit(2);
    p[100] = 'c';
    forkglobal = 2;
    exit(0);
  }
  want(s, "child status", waitst(s, pid), 0);
  if(p[100] != 'p' || forkglobal != 1)
    fail(s, "child's writes showed up in the parent");
}

// --- memory --------------------------------------------------------------

void
sbrkbasic(char *s)
{
  char *a, *p;
  int i;

  a = sbrk(0);
  p = sbrk(3 * PGSIZE);
  want(s, "sbrk(3 pages)", (long)p, (long)a);
  for(i = 0; i < 3 * PGSIZE; i++)
    p[i] = i;
  for(i = 0; i < 3 * PGSIZE; i++)
    if(p[i] != (char)i)
      fail(s, "heap does not hold what was written");
  want(s, "sbrk(0) after growing", (long)sbrk(0), (long)(a + 3 * PGSIZE));
  want(s, "sbrk(1)", (long)sbrk(1), (long)(a + 3 * PGSIZE));
  want(s, "sbrk(0) after sbrk(1)", (long)sbrk(0), (long)(a + 3 * PGSIZE + 1));
  want(s, "sbrk(-3 pages - 1)", (long)sbrk(-3 * PGSIZE - 1), (long)(a + 3 * PGSIZE + 1));
  want(s, "sbrk(0) after shrinking", (long)sbrk(0), (long)a);
}

// Shrinking returns pages to the kernel, and the freed range is gone.
void
sbrkneg(char *s)
{
  char *a, *p;
  int f0, f1, f2, pid;

  a = sbrk(0);
  f0 = freemem();
  p = sbrk(64 * PGSIZE);
  if(sbrkfailed(p))
    fail(s, "sbrk(64 pages) failed");
  memset(p, 1, 64 * PGSIZE);
  f1 = freemem();
  // freemem() counts the whole machine: another hart may free a dead
  // process's page-table root meanwhile (proc.c rootfree), so allow a
  // few pages of background traffic either way.
  if(f0 - f1 < 64 - FREESLACK){
    printf("%s: sbrk(64 pages) took %d free pages, wanted >= 64\n", s, f0 - f1);
    exit(1);
  }
  want(s, "sbrk(-64 pages)", (long)sbrk(-64 * PGSIZE), (long)(a + 64 * PGSIZE));
  f2 = freemem();
  if(f2 - f1 < 64 - FREESLACK){
    printf("%s: sbrk(-64 pages) gave back %d pages, wanted >= 64\n", s, f2 - f1);
    exit(1);
  }
  pid = xfork(s);
  if(pid == 0){
    printf("%s: read %d from freed heap\n", s, *(volatile char*)(a + 10));
    exit(0);
  }
  wantkilled(s, "touching freed heap", pid);
}

// Requests no machine can meet fail cleanly and change nothing.
void
sbrkhuge(char *s)
{
  char *a, *p;
  int f0, f1;

  a = sbrk(0);
  f0 = freemem();
  p = sbrk(0x7fffffff);
  if(!sbrkfailed(p))
    fail(s, "sbrk(0x7fffffff) succeeded on a 128 MiB machine");
  want(s, "sbrk(0) after huge sbrk", (long)sbrk(0), (long)a);
  p = sbrk(-((long)a + 100 * PGSIZE));
  if(!sbrkfailed(p)){
    printf("%s: sbrk(-(size + 100 pages)) returned %p, wanted an error\n", s, p);
    exit(1);
  }
  want(s, "sbrk(0) after shrinking below 0", (long)sbrk(0), (long)a);
  f1 = freemem();
  // Page-table pages the failed grow left behind may stay until exit:
  // one per 512 pages it got before failing, at most all of memory.
  if(f1 < f0 - (f0 / 256 + 32)){
    printf("%s: free pages %d before, %d after failed sbrks\n", s, f0, f1);
    exit(1);
  }
}

// Allocate until the kernel says no, then give it all back.
void
sbrkfull(char *s)
{
  long total, chunk;
  char *p;
  int f0, f1, f2, pid, fd[2];

  f0 = freemem();
  total = 0;
  for(chunk = 1024 * 1024; chunk >= PGSIZE; chunk /= 16){
    for(;;){
      if(total > 1024L * 1024 * 1024)
        fail(s, "sbrk gave more than 1 GiB on a 128 MiB machine");
      p = sbrk(chunk);
      if(sbrkfailed(p)){
        want(s, "sbrk when memory is exhausted", (long)p, -ENOMEM);
        break;
      }
      p[chunk - 1] = 1;
      total += chunk;
    }
  }
  f1 = freemem();
  if(total < 32L * 1024 * 1024){
    printf("%s: only %ld bytes before sbrk failed\n", s, total);
    exit(1);
  }
  // The kernel must refuse, not panic, while nothing is free.
  pid = fork();
  if(pid == 0)
    exit(0);
  if(pid > 0)
    wait(0);
  if(pipe(fd) == 0){
    close(fd[0]);
    close(fd[1]);
  }
  p = sbrk(-total);
  if(sbrkfailed(p))
    want(s, "sbrk(-total)", (long)p, 0);
  f2 = freemem();
  // Page-table pages may stay until exit (one per 512 pages mapped).
  if(f2 < f0 - (total / PGSIZE / 256 + 32)){
    printf("%s: free pages %d at start, %d when full, %d after freeing\n", s, f0, f1, f2);
    exit(1);
  }
}

void
freememtest(char *s)
{
  int f;

  f = freemem();
  if(f <= 0 || f > 128 * 1024 * 1024 / PGSIZE){
    printf("%s: freemem() returned %d, wanted 1..32768\n", s, f);
    exit(1);
  }
}

// --- pipes ---------------------------------------------------------------

void
pipebasic(char *s)
{
  int p[2];

  xpipe(s, p);
  want(s, "write(pipe)", write(p[1], "hello", 5), 5);
  want(s, "read(pipe)", read(p[0], buf, 100), 5);
  if(memcmp(buf, "hello", 5) != 0)
    fail(s, "pipe returned the wrong bytes");
  close(p[0]);
  close(p[1]);
}

// Readers see EOF once every write end is closed, in any process.
void
pipeeof(char *s)
{
  int p[2], pid;

  xpipe(s, p);
  pid = xfork(s);
  if(pid == 0){
    close(p[0]);
    write(p[1], "abc", 3);
    exit(0);
  }
  close(p[1]);
  want(s, "read(pipe)", readn(p[0], buf, 3), 3);
  want(s, "read after writer closed", read(p[0], buf, 10), 0);
  want(s, "child status", waitst(s, pid), 0);
  close(p[0]);
}

// Writing with no reader gives EPIPE; there are no signals to kill us.
void
pipeepipe(char *s)
{
  int p[2], pid, st;

  xpipe(s, p);
  close(p[0]);
  want(s, "write with no reader", write(p[1], "x", 1), -EPIPE);
  close(p[1]);
  // A writer blocked on a full pipe must also wake up when the reader goes.
  xpipe(s, p);
  pid = xfork(s);
  if(pid == 0){
    close(p[0]);
    memset(buf, 'z', BIG);
    st = write(p[1], buf, BIG);
    // EPIPE, or the count written before the reader went (POSIX).
    exit(st == -EPIPE || (st > 0 && st < BIG) ? 7 : 8);
  }
  close(p[1]);
  sleep(50);
  close(p[0]);
  st = waitst(s, pid);
  if(st != 7)
    fail(s, "writer blocked on a full pipe did not get EPIPE when the reader closed");
}

// Several writers push a lot through one pipe; nothing is lost or mixed
// within a write, and EOF comes only after the last writer exits.
#define NWRITER 4
#define PERWRITER (3 * PGSIZE + 100)
void
pipebig(char *s)
{
  int p[2], i, n, j, count[NWRITER], st;

  xpipe(s, p);
  for(i = 0; i < NWRITER; i++){
    if(xfork(s) == 0){
      close(p[0]);
      writefill(s, p[1], 'a' + i, PERWRITER, 500);
      exit(0);
    }
  }
  close(p[1]);
  memset(count, 0, sizeof(count));
  while((n = read(p[0], buf2, 1234)) > 0){
    for(j = 0; j < n; j++){
      if(buf2[j] < 'a' || buf2[j] >= 'a' + NWRITER)
        fail(s, "read a byte no writer wrote");
      count[buf2[j] - 'a']++;
    }
  }
  want(s, "read at the end", n, 0);
  for(i = 0; i < NWRITER; i++){
    want(s, "bytes from one writer", count[i], PERWRITER);
    wantok(s, "wait", wait(&st));
    want(s, "writer status", st, 0);
  }
  close(p[0]);
}

// Bytes come out in order whatever the chunk sizes on either side.
void
pipeorder(char *s)
{
  int p[2], pid, i, n, m, got;

  xpipe(s, p);
  pid = xfork(s);
  if(pid == 0){
    close(p[0]);
    for(i = 0; i < 20000; i++)
      buf[i] = pat(i);
    for(i = 0; i < 20000; i += m){
      m = 1 + (i * 13) % 997;
      if(i + m > 20000)
        m = 20000 - i;
      want(s, "write", write(p[1], buf + i, m), m);
    }
    exit(0);
  }
  close(p[1]);
  got = 0;
  for(m = 1; (n = read(p[0], buf2 + got, m)) > 0; m = m % 1500 + 77)
    got += n;
  want(s, "bytes through the pipe", got, 20000);
  for(i = 0; i < 20000; i++)
    if(buf2[i] != pat(i))
      fail(s, "bytes came out of order");
  want(s, "child status", waitst(s, pid), 0);
  close(p[0]);
}

// 1000 one-byte round trips between two processes.
void
pingpong(char *s)
{
  int a[2], b[2], pid, i;
  char c;
  uint64 t0;

  xpipe(s, a);
  xpipe(s, b);
  pid = xfork(s);
  if(pid == 0){
    for(i = 0; i < 1000; i++){
      if(read(a[0], &c, 1) != 1)
        exit(2);
      c++;
      if(write(b[1], &c, 1) != 1)
        exit(3);
    }
    exit(0);
  }
  t0 = clock();
  for(i = 0; i < 1000; i++){
    c = i;
    want(s, "write(ping)", write(a[1], &c, 1), 1);
    want(s, "read(pong)", read(b[0], &c, 1), 1);
    want(s, "pong byte", (uchar)c, (uchar)(i + 1));
  }
  want(s, "child status", waitst(s, pid), 0);
  printf("%s: 1000 round trips in %d ms\n", s, msince(t0));
  close(a[0]); close(a[1]); close(b[0]); close(b[1]);
}

// --- file system ---------------------------------------------------------

void
createwrite(char *s)
{
  int fd, i;

  unlink("cw");
  fd = wantok(s, "open(cw, O_CREATE)", open("cw", O_CREATE|O_RDWR));
  for(i = 0; i < 100; i++)
    buf[i] = 'a' + i % 26;
  want(s, "write", write(fd, buf, 100), 100);
  close(fd);
  fd = wantok(s, "open(cw)", open("cw", O_RDONLY));
  want(s, "read", read(fd, buf2, 200), 100);
  if(memcmp(buf, buf2, 100) != 0)
    fail(s, "read back other bytes than written");
  want(s, "read at EOF", read(fd, buf2, 200), 0);
  close(fd);
  want(s, "unlink(cw)", unlink("cw"), 0);
  want(s, "open after unlink", open("cw", O_RDONLY), -ENOENT);
  want(s, "unlink twice", unlink("cw"), -ENOENT);
}

// 150 KiB: past the direct blocks and into the indirect ones.
void
bigfile(char *s)
{
  int fd, i, j, n;
  uint64 off;
  struct stat st;

  unlink("bigfile");
  fd = wantok(s, "open(bigfile)", open("bigfile", O_CREATE|O_RDWR));
  for(i = 0; i < 150; i++){
    for(j = 0; j < 1024; j++)
      buf[j] = pat(i * 1024 + j);
    want(s, "write(1 KiB)", write(fd, buf, 1024), 1024);
  }
  close(fd);
  fd = wantok(s, "open(bigfile)", open("bigfile", O_RDONLY));
  want(s, "fstat", fstat(fd, &st), 0);
  want(s, "size", st.size, 150 * 1024);
  want(s, "type", st.type, T_FILE);
  off = 0;
  while((n = read(fd, buf, 700)) > 0){
    for(j = 0; j < n; j++)
      if(buf[j] != pat(off + j)){
        printf("%s: byte %ld is %d, wanted %d\n", s, off + j, buf[j], pat(off + j));
        exit(1);
      }
    off += n;
  }
  want(s, "bytes read back", off, 150 * 1024);
  close(fd);
  want(s, "unlink(bigfile)", unlink("bigfile"), 0);
}

// The largest file: a write that would cross MAXFILE blocks is cut
// short there, the next is refused with EFBIG, and the file is sparse,
// so only the blocks written are taken, and all come back on unlink.
void
filemax(char *s)
{
  int fd;
  struct stat st;
  struct statfs fs0, fs1;

  unlink("filemax");
  fd = wantok(s, "open(filemax)", open("filemax", O_CREATE|O_RDWR));
  // counted after the create, which may have grown the directory
  want(s, "statfs", statfs("/", &fs0), 0);
  want(s, "lseek to 10 bytes before the limit", lseek(fd, MAXBYTES - 10, SEEK_SET),
       MAXBYTES - 10);
  memset(buf, 'm', 1024);
  want(s, "write across the limit", write(fd, buf, 20), 10);
  want(s, "write at the limit", write(fd, buf, 20), -EFBIG);
  want(s, "lseek past the limit", lseek(fd, 1, SEEK_CUR), -EINVAL);
  want(s, "fstat", fstat(fd, &st), 0);
  want(s, "size", st.size, MAXBYTES);
  want(s, "read the last bytes", lseek(fd, -10, SEEK_END), MAXBYTES - 10);
  want(s, "read", read(fd, buf2, 100), 10);
  if(memcmp(buf2, buf, 10) != 0)
    fail(s, "the last 10 bytes are not the ones written");
  want(s, "statfs", statfs("/", &fs1), 0);
  // the data block, the doubly-indirect block and one indirect block
  want(s, "blocks the sparse file takes", fs0.bfree - fs1.bfree, 3);
  close(fd);
  want(s, "unlink(filemax)", unlink("filemax"), 0);
  want(s, "statfs", statfs("/", &fs1), 0);
  want(s, "free blocks after unlink", fs1.bfree, fs0.bfree);
}

static void
mfname(char *p, int i)
{
  snprintf(p, 32, "mf/f%02d", i);
}

void
manyfiles(char *s)
{
  int i, fd;
  char name[32];

  mkdir("mf");
  for(i = 0; i < 60; i++){
    mfname(name, i);
    fd = wantok(s, "open(mf/fNN, O_CREATE)", open(name, O_CREATE|O_RDWR));
    want(s, "write", write(fd, name, strlen(name)), strlen(name));
    close(fd);
  }
  for(i = 0; i < 60; i++){
    mfname(name, i);
    fd = wantok(s, "open(mf/fNN)", open(name, O_RDONLY));
    want(s, "read", read(fd, buf, 100), strlen(name));
    if(memcmp(buf, name, strlen(name)) != 0)
      fail(s, "a file holds another's name");
    close(fd);
  }
  want(s, "unlink(nonempty mf)", unlink("mf"), -ENOTEMPTY);
  for(i = 0; i < 60; i++){
    mfname(name, i);
    want(s, "unlink(mf/fNN)", unlink(name), 0);
  }
  want(s, "unlink(empty mf)", unlink("mf"), 0);
}

void
dirs(char *s)
{
  int fd;
  struct stat st;

  unlink("dd/sub");
  unlink("dd/ff");
  unlink("dd");
  want(s, "mkdir(dd)", mkdir("dd"), 0);
  want(s, "mkdir(dd) again", mkdir("dd"), -EEXIST);
  want(s, "chdir(dd)", chdir("dd"), 0);
  fd = wantok(s, "open(ff)", open("ff", O_CREATE|O_RDWR));
  want(s, "write", write(fd, "xyz", 3), 3);
  close(fd);
  want(s, "chdir(..)", chdir(".."), 0);
  fd = wantok(s, "open(dd/ff)", open("dd/ff", O_RDONLY));
  want(s, "read(dd/ff)", read(fd, buf, 10), 3);
  close(fd);
  fd = wantok(s, "open(dd/../dd/./ff)", open("dd/../dd/./ff", O_RDONLY));
  close(fd);
  want(s, "mkdir(dd/sub)", mkdir("dd/sub"), 0);
  want(s, "chdir(dd/sub)", chdir("dd/sub"), 0);
  want(s, "chdir(../..)", chdir("../.."), 0);
  fd = wantok(s, "open(dd)", open("dd", O_RDONLY));
  want(s, "fstat(dd)", fstat(fd, &st), 0);
  want(s, "type of dd", st.type, T_DIR);
  close(fd);
  wanterr(s, "open(dd, O_WRONLY)", open("dd", O_WRONLY));
  wanterr(s, "open(dd, O_RDWR)", open("dd", O_RDWR));
  want(s, "unlink(nonempty dd)", unlink("dd"), -ENOTEMPTY);
  want(s, "unlink(dd/sub)", unlink("dd/sub"), 0);
  want(s, "unlink(dd/ff)", unlink("dd/ff"), 0);
  want(s, "unlink(dd)", unlink("dd"), 0);
  want(s, "chdir(dd) after unlink", chdir("dd"), -ENOENT);
}

// . and .. at the root, and names that cannot be removed.
void
dotdot(char *s)
{
  int fd;
  struct stat a, b;

  want(s, "chdir(/)", chdir("/"), 0);
  want(s, "chdir(..) at /", chdir(".."), 0);
  fd = wantok(s, "open(.)", open(".", O_RDONLY));
  fstat(fd, &a);
  close(fd);
  fd = wantok(s, "open(/)", open("/", O_RDONLY));
  fstat(fd, &b);
  close(fd);
  want(s, "inode of / after chdir(..)", a.ino, b.ino);
  wanterr(s, "unlink(.)", unlink("."));
  wanterr(s, "unlink(..)", unlink(".."));
  wanterr(s, "mkdir(/)", mkdir("/"));
  wanterr(s, "mkdir(.)", mkdir("."));
}

void
linkunlink(char *s)
{
  int fd;
  struct stat st;

  unlink("la");
  unlink("lb");
  fd = wantok(s, "open(la)", open("la", O_CREATE|O_RDWR));
  want(s, "write", write(fd, "hi", 2), 2);
  close(fd);
  want(s, "link(la, lb)", link("la", "lb"), 0);
  want(s, "link(la, lb) again", link("la", "lb"), -EEXIST);
  want(s, "link(missing, lc)", link("nosuchfile", "lc"), -ENOENT);
  wanterr(s, "link(/, ld)", link("/", "ld"));
  fd = wantok(s, "open(lb)", open("lb", O_RDONLY));
  want(s, "fstat", fstat(fd, &st), 0);
  want(s, "nlink after link", st.nlink, 2);
  close(fd);
  want(s, "unlink(la)", unlink("la"), 0);
  fd = wantok(s, "open(lb) after unlink(la)", open("lb", O_RDONLY));
  want(s, "read(lb)", read(fd, buf, 10), 2);
  want(s, "fstat", fstat(fd, &st), 0);
  want(s, "nlink after unlink", st.nlink, 1);
  close(fd);
  want(s, "unlink(lb)", unlink("lb"), 0);
  want(s, "open(lb) after unlink", open("lb", O_RDONLY), -ENOENT);
}

// An unlinked file lives on while it is open.
void
unlinkopen(char *s)
{
  int fd, fd2;

  unlink("uo");
  fd = wantok(s, "open(uo)", open("uo", O_CREATE|O_RDWR));
  fd2 = wantok(s, "open(uo) again", open("uo", O_RDONLY));
  writefill(s, fd, 'u', 5000, 1000);
  want(s, "unlink(uo) while open", unlink("uo"), 0);
  want(s, "open(uo) after unlink", open("uo", O_RDONLY), -ENOENT);
  writefill(s, fd, 'v', 100, 100);
  want(s, "read through the other fd", readn(fd2, buf2, 6000), 5100);
  if(buf2[0] != 'u' || buf2[4999] != 'u' || buf2[5000] != 'v' || buf2[5099] != 'v')
    fail(s, "unlinked file holds the wrong bytes");
  close(fd);
  close(fd2);
  fd = wantok(s, "create uo again", open("uo", O_CREATE|O_RDWR));
  want(s, "read new uo", read(fd, buf, 10), 0);
  close(fd);
  unlink("uo");
}

static void
ccname(char *p, int i)
{
  snprintf(p, 8, "cc%02d", i);
}

// Four processes create, link and unlink the same 40 names at once.
// Each call must succeed or fail with the code the race explains; the
// directory must end up consistent.
void
concreate(char *s)
{
  int i, j, r, fd, st;
  char name[8], other[8];
  struct stat sb;

  for(i = 0; i < 4; i++){
    if(xfork(s) == 0){
      for(r = 0; r < 3; r++){
        for(j = 0; j < 40; j++){
          ccname(name, j);
          ccname(other, (j + 1) % 40);
          switch((i + j + r) % 3){
          case 0:
            fd = unlink(name);
            if(fd != 0 && fd != -ENOENT)
              want(s, "unlink(ccNN)", fd, 0);
            break;
          case 1:
            fd = wantok(s, "open(ccNN, O_CREATE)", open(name, O_CREATE|O_RDWR));
            wantok(s, "write", write(fd, name, 4));
            close(fd);
            break;
          default:
            fd = link(other, name);
            if(fd != 0 && fd != -EEXIST && fd != -ENOENT)
              want(s, "link(ccNN, ccMM)", fd, 0);
          }
        }
      }
      exit(0);
    }
  }
  for(i = 0; i < 4; i++){
    wantok(s, "wait", wait(&st));
    want(s, "child status", st, 0);
  }
  for(j = 0; j < 40; j++){
    ccname(name, j);
    fd = open(name, O_RDONLY);
    if(fd >= 0){
      want(s, "fstat(ccNN)", fstat(fd, &sb), 0);
      want(s, "type of ccNN", sb.type, T_FILE);
      close(fd);
      want(s, "unlink(ccNN)", unlink(name), 0);
    } else {
      want(s, "open(ccNN)", fd, -ENOENT);
    }
    want(s, "open(ccNN) after cleanup", open(name, O_RDONLY), -ENOENT);
  }
}

// Four processes write four files at once.
void
fourfiles(char *s)
{
  int i, fd, n, j, total, st;
  char name[8];

  for(i = 0; i < 4; i++){
    snprintf(name, sizeof(name), "ff%d", i);
    unlink(name);
    if(xfork(s) == 0){
      fd = wantok(s, "open(ffN)", open(name, O_CREATE|O_RDWR));
      writefill(s, fd, '0' + i, 12 * 500, 500);
      exit(0);
    }
  }
  for(i = 0; i < 4; i++){
    wantok(s, "wait", wait(&st));
    want(s, "child status", st, 0);
  }
  for(i = 0; i < 4; i++){
    snprintf(name, sizeof(name), "ff%d", i);
    fd = wantok(s, "open(ffN)", open(name, O_RDONLY));
    total = 0;
    while((n = read(fd, buf, 1000)) > 0){
      for(j = 0; j < n; j++)
        if(buf[j] != '0' + i)
          fail(s, "a file holds another writer's bytes");
      total += n;
    }
    want(s, "file size", total, 12 * 500);
    close(fd);
    unlink(name);
  }
}

void
enotdir(char *s)
{
  int fd;

  unlink("nd");
  fd = wantok(s, "open(nd)", open("nd", O_CREATE|O_RDWR));
  close(fd);
  want(s, "mkdir(nd/x)", mkdir("nd/x"), -ENOTDIR);
  want(s, "open(nd/x, O_CREATE)", open("nd/x", O_CREATE|O_RDWR), -ENOTDIR);
  want(s, "chdir(nd)", chdir("nd"), -ENOTDIR);
  wanterr(s, "open(nd/x)", open("nd/x", O_RDONLY));
  wanterr(s, "unlink(nd/x)", unlink("nd/x"));
  wanterr(s, "link(README.md, nd/x)", link("README.md", "nd/x"));
  want(s, "open(nd, O_CREATE) of an existing file", (fd = open("nd", O_CREATE|O_RDWR)) >= 0, 1);
  close(fd);
  want(s, "mkdir(nd)", mkdir("nd"), -EEXIST);
  want(s, "unlink(nd)", unlink("nd"), 0);
}

void
openmodes(char *s)
{
  int fd;
  struct stat st;

  unlink("om");
  fd = wantok(s, "open(om)", open("om", O_CREATE|O_WRONLY));
  want(s, "write", write(fd, "hello world", 11), 11);
  close(fd);
  fd = wantok(s, "open(om, O_CREATE) again", open("om", O_CREATE|O_RDWR));
  want(s, "fstat", fstat(fd, &st), 0);
  want(s, "size after O_CREATE of an existing file", st.size, 11);
  close(fd);
  fd = wantok(s, "open(om, O_TRUNC)", open("om", O_WRONLY|O_TRUNC));
  want(s, "fstat", fstat(fd, &st), 0);
  want(s, "size after O_TRUNC", st.size, 0);
  want(s, "write", write(fd, "bye", 3), 3);
  close(fd);
  fd = wantok(s, "open(om)", open("om", O_RDONLY));
  want(s, "read", read(fd, buf, 100), 3);
  close(fd);
  unlink("om");
}

// dup and fork share one offset.
void
fdshare(char *s)
{
  int fd, fd2, pid;

  unlink("fs");
  fd = wantok(s, "open(fs)", open("fs", O_CREATE|O_RDWR));
  fd2 = wantok(s, "dup", dup(fd));
  want(s, "write(fd)", write(fd, "ab", 2), 2);
  want(s, "write(dup)", write(fd2, "cd", 2), 2);
  pid = xfork(s);
  if(pid == 0){
    want(s, "write in child", write(fd, "ef", 2), 2);
    exit(0);
  }
  want(s, "child status", waitst(s, pid), 0);
  want(s, "write after child", write(fd2, "gh", 2), 2);
  close(fd);
  close(fd2);
  fd = wantok(s, "open(fs)", open("fs", O_RDONLY));
  want(s, "read", read(fd, buf, 100), 8);
  if(memcmp(buf, "abcdefgh", 8) != 0)
    fail(s, "descriptors do not share one offset");
  close(fd);
  unlink("fs");
}

// Run out of descriptors: EMFILE, and a failed pipe leaks none.
void
fdfull(char *s)
{
  int fd, n, p[2];

  for(n = 0; ; n++){
    fd = open("README.md", O_RDONLY);
    if(fd < 0)
      break;
  }
  want(s, "open with every fd in use", fd, -EMFILE);
  want(s, "fds opened", n, NOFILE - 3);
  close(NOFILE - 1);
  want(s, "pipe with one fd free", pipe(p), -EMFILE);
  want(s, "open after the failed pipe", open("README.md", O_RDONLY), NOFILE - 1);
  for(fd = 3; fd < NOFILE; fd++)
    want(s, "close", close(fd), 0);
}

// The word at each 4-byte-aligned offset o of hugefile's file: o itself,
// give or take a salt, so a block read from the wrong place shows.
#define HUGESALT 0x5a5a0000
static uint hbuf[BIG/4];

static void
hugefill(long off)
{
  for(int i = 0; i < BIG/4; i++)
    hbuf[i] = off + 4*i + HUGESALT;
}

// The byte at offset o of hugefile's file (riscv is little-endian).
static uchar
hugebyte(long o)
{
  return ((uint)(o & ~3L) + HUGESALT) >> (8 * (o & 3));
}

// Read n bytes at o through an lseek with whence and check them.
static void
hugeat(char *s, int fd, long o, int whence, long size)
{
  long where = whence == SEEK_SET ? o : whence == SEEK_END ? o - size : 0;
  int n = o + 16 <= size ? 16 : size - o;

  if(whence == SEEK_CUR)
    where = o - lseek(fd, 0, SEEK_CUR);
  want(s, "lseek", lseek(fd, where, whence), o);
  want(s, "read after lseek", read(fd, buf, 16), n);
  for(int i = 0; i < n; i++)
    if((uchar)buf[i] != hugebyte(o + i)){
      printf("%s: byte %ld is %d, wanted %d\n", s, o + i, (uchar)buf[i], hugebyte(o + i));
      exit(1);
    }
}

// The blocks a file of nb blocks takes: its data and index blocks.
static long
fileblocks(long nb)
{
  long b = nb;

  if(nb > NDIRECT)
    b += 1;
  if(nb > NDIRECT + NINDIRECT)
    b += 1 + (nb - NDIRECT - NINDIRECT + NINDIRECT - 1) / NINDIRECT;
  return b;
}

// The size hugefile's phases work with: N MiB if named with N, else
// HUGEMB.
static long
hugesize(char *s)
{
  long size = (testarg > 0 ? testarg : HUGEMB) * 1024L * 1024;

  if(size > MAXBYTES)
    fail(s, "asked for a file larger than MAXFILE");
  return size;
}

// Phase 1: grow the file "huge" to the size, from what it holds
// already (so a large file can be written in steps, each within the
// runner's time limit). statfs must show exactly the data and index
// blocks added taken.
void
hugewrite(char *s)
{
  long size = hugesize(s), off, old;
  struct statfs fs0, fs1;
  struct stat st;
  uint64 t0;
  int fd;

  fd = wantok(s, "open(huge)", open("huge", O_CREATE|O_RDWR));
  // counted after the create, which may have grown the directory
  want(s, "statfs", statfs("/", &fs0), 0);
  want(s, "fstat", fstat(fd, &st), 0);
  old = st.size;
  if(old % BIG != 0 || old > size)
    fail(s, "huge is larger already, or not made of whole writes");
  want(s, "lseek(0, SEEK_END)", lseek(fd, 0, SEEK_END), old);
  t0 = clock();
  for(off = old; off < size; off += BIG){
    hugefill(off);
    want(s, "write(64 KiB)", write(fd, hbuf, BIG), BIG);
  }
  printf("%s: %ld MiB written in %d ms\n", s, (size - old) >> 20, msince(t0));
  want(s, "fstat", fstat(fd, &st), 0);
  want(s, "size", st.size, size);
  want(s, "statfs", statfs("/", &fs1), 0);
  want(s, "blocks taken", fs0.bfree - fs1.bfree,
       fileblocks(size / BSIZE) - fileblocks(old / BSIZE));
  close(fd);
}

// Phase 2: "huge" reads back whole, and at seeks into each kind of
// block; a rewrite across a block boundary in its middle takes no
// block.
void
hugeread(char *s)
{
  long size = hugesize(s), off;
  struct statfs fs0, fs1;
  struct stat st;
  uint64 t0;
  int fd, i;

  fd = wantok(s, "open(huge)", open("huge", O_RDWR));
  want(s, "fstat", fstat(fd, &st), 0);
  want(s, "size", st.size, size);
  t0 = clock();
  for(off = 0; off < size; off += BIG){
    want(s, "read(64 KiB)", read(fd, hbuf, BIG), BIG);
    for(i = 0; i < BIG/4; i++)
      if(hbuf[i] != off + 4*i + HUGESALT){
        printf("%s: word at %ld is %x, wanted %lx\n", s, off + 4*i, hbuf[i],
               off + 4*i + HUGESALT);
        exit(1);
      }
  }
  want(s, "read at EOF", read(fd, hbuf, BIG), 0);
  printf("%s: %ld MiB read in %d ms\n", s, size >> 20, msince(t0));

  // a direct block, an indirect one, doubly-indirect ones, the last bytes
  hugeat(s, fd, 100, SEEK_SET, size);
  hugeat(s, fd, NDIRECT * BSIZE + 4097, SEEK_CUR, size);
  hugeat(s, fd, (NDIRECT + NINDIRECT) * BSIZE - 3, SEEK_SET, size);
  hugeat(s, fd, size / 2 + 5, SEEK_CUR, size);
  hugeat(s, fd, size - 3 * BSIZE - 1, SEEK_END, size);
  hugeat(s, fd, size - 5, SEEK_END, size);

  want(s, "statfs", statfs("/", &fs0), 0);
  off = size / 2 + BSIZE - 10;
  want(s, "lseek to the middle", lseek(fd, off, SEEK_SET), off);
  memset(buf, 'Z', 20);
  want(s, "rewrite 20 bytes", write(fd, buf, 20), 20);
  want(s, "offset after the rewrite", lseek(fd, 0, SEEK_CUR), off + 20);
  want(s, "lseek back", lseek(fd, -40, SEEK_CUR), off - 20);
  want(s, "read around it", read(fd, buf2, 60), 60);
  for(i = 0; i < 60; i++)
    if((uchar)buf2[i] != (i >= 20 && i < 40 ? 'Z' : hugebyte(off - 20 + i)))
      fail(s, "a rewrite in the middle read back wrong");
  // put the pattern back, for another read
  hugefill(off & ~(BIG - 1L));
  want(s, "lseek back", lseek(fd, off, SEEK_SET), off);
  want(s, "restore", write(fd, (char*)hbuf + (off & (BIG - 1)), 20), 20);
  want(s, "statfs", statfs("/", &fs1), 0);
  want(s, "blocks taken by a rewrite", fs0.bfree - fs1.bfree, 0);
  want(s, "fstat", fstat(fd, &st), 0);
  want(s, "size after the rewrite", st.size, size);
  close(fd);
}

// Phase 3: O_TRUNC frees every block "huge" took, and unlink its inode.
void
hugetrunc(char *s)
{
  long size = hugesize(s);
  struct statfs fs0, fs1;
  struct stat st;
  int fd;

  want(s, "statfs", statfs("/", &fs0), 0);
  want(s, "stat(huge)", stat("huge", &st), 0);
  want(s, "size", st.size, size);
  fd = wantok(s, "open(huge, O_TRUNC)", open("huge", O_RDWR|O_TRUNC));
  want(s, "fstat", fstat(fd, &st), 0);
  want(s, "size after O_TRUNC", st.size, 0);
  want(s, "read after O_TRUNC", read(fd, buf, 10), 0);
  want(s, "statfs", statfs("/", &fs1), 0);
  want(s, "blocks freed by O_TRUNC", fs1.bfree - fs0.bfree, fileblocks(size / BSIZE));
  close(fd);
  want(s, "unlink(huge)", unlink("huge"), 0);
  want(s, "statfs", statfs("/", &fs1), 0);
  want(s, "blocks freed in all", fs1.bfree - fs0.bfree, fileblocks(size / BSIZE));
  want(s, "inodes freed", fs1.ffree - fs0.ffree, 1);
}

// A file of N MiB (usertests hugefile N; default HUGEMB), reaching the
// doubly-indirect blocks: the three phases above in one test. Larger
// sizes than the runner's time limit allows are run phase by phase
// (scripts/stress_fs.py: hugewrite 32 hugewrite 64 hugeread 64 ...).
void
hugefile(char *s)
{
  unlink("huge");
  hugewrite(s);
  hugeread(s);
  hugetrunc(s);
}

// lseek's whences and errors, on a file, a directory, pipes and the
// console; an offset shared through dup; and holes: a write past the
// end leaves a gap that reads as zeros and takes no blocks.
void
lseektest(char *s)
{
  int fd, fd2, p[2], i;
  struct stat st;
  struct statfs fs0, fs1;

  unlink("lseekf");
  fd = wantok(s, "open(lseekf)", open("lseekf", O_CREATE|O_RDWR));
  want(s, "statfs", statfs("/", &fs0), 0);
  for(i = 0; i < 100; i++)
    buf[i] = 'a' + i % 26;
  want(s, "write", write(fd, buf, 100), 100);
  want(s, "SEEK_CUR 0 after the write", lseek(fd, 0, SEEK_CUR), 100);
  want(s, "SEEK_SET 10", lseek(fd, 10, SEEK_SET), 10);
  want(s, "read at 10", read(fd, buf2, 5), 5);
  if(memcmp(buf2, buf + 10, 5) != 0)
    fail(s, "read after SEEK_SET 10 gave other bytes");
  want(s, "SEEK_CUR -3", lseek(fd, -3, SEEK_CUR), 12);
  want(s, "SEEK_END -1", lseek(fd, -1, SEEK_END), 99);
  want(s, "read the last byte", read(fd, buf2, 5), 1);
  want(s, "last byte", buf2[0], buf[99]);
  want(s, "SEEK_END 0", lseek(fd, 0, SEEK_END), 100);
  want(s, "read at EOF", read(fd, buf2, 5), 0);

  // errors leave the offset alone
  want(s, "bad whence", lseek(fd, 0, 3), -EINVAL);
  want(s, "whence -1", lseek(fd, 0, -1), -EINVAL);
  want(s, "SEEK_SET -1", lseek(fd, -1, SEEK_SET), -EINVAL);
  want(s, "SEEK_CUR -101", lseek(fd, -101, SEEK_CUR), -EINVAL);
  want(s, "SEEK_END -101", lseek(fd, -101, SEEK_END), -EINVAL);
  want(s, "SEEK_SET past the largest file", lseek(fd, MAXBYTES + 1, SEEK_SET), -EINVAL);
  want(s, "SEEK_CUR by 2^62", lseek(fd, 1L << 62, SEEK_CUR), -EINVAL);
  want(s, "SEEK_CUR by -2^62", lseek(fd, -(1L << 62), SEEK_CUR), -EINVAL);
  want(s, "offset after the errors", lseek(fd, 0, SEEK_CUR), 100);
  want(s, "SEEK_SET to the largest file", lseek(fd, MAXBYTES, SEEK_SET), MAXBYTES);

  // dup shares the offset
  fd2 = wantok(s, "dup", dup(fd));
  want(s, "SEEK_SET 7 on one", lseek(fd, 7, SEEK_SET), 7);
  want(s, "the other's offset", lseek(fd2, 0, SEEK_CUR), 7);
  close(fd2);

  // a hole: 3000 bytes past the end, within the direct blocks, then
  // one 10 MiB on, in the doubly-indirect ones
  want(s, "statfs", statfs("/", &fs1), 0);
  want(s, "blocks for 100 bytes", fs0.bfree - fs1.bfree, 1);
  want(s, "SEEK_END +3000", lseek(fd, 3000, SEEK_END), 3100);
  want(s, "write past the end", write(fd, "X", 1), 1);
  want(s, "fstat", fstat(fd, &st), 0);
  want(s, "size after the gap", st.size, 3101);
  want(s, "SEEK_SET 0", lseek(fd, 0, SEEK_SET), 0);
  want(s, "read through the gap", readn(fd, buf2, 4000), 3101);
  if(memcmp(buf2, buf, 100) != 0)
    fail(s, "the bytes before the gap changed");
  for(i = 100; i < 3100; i++)
    if(buf2[i] != 0){
      printf("%s: byte %d in the gap is %d, wanted 0\n", s, i, buf2[i]);
      exit(1);
    }
  want(s, "the byte after the gap", buf2[3100], 'X');
  want(s, "statfs", statfs("/", &fs1), 0);
  // block 0 (bytes 0-1023) and block 3 (3072-4095); 1 and 2 are holes
  want(s, "blocks after the gap", fs0.bfree - fs1.bfree, 2);
  want(s, "SEEK_SET 10 MiB", lseek(fd, 10L << 20, SEEK_SET), 10L << 20);
  want(s, "write at 10 MiB", write(fd, "Y", 1), 1);
  want(s, "statfs", statfs("/", &fs1), 0);
  // and the data block, the doubly-indirect block and one indirect block
  want(s, "blocks after a write at 10 MiB", fs0.bfree - fs1.bfree, 2 + 3);
  want(s, "lseek into the hole", lseek(fd, (10L << 20) - 5, SEEK_SET), (10L << 20) - 5);
  want(s, "read across the hole's end", read(fd, buf2, 100), 6);
  if(memcmp(buf2, "\0\0\0\0\0Y", 6) != 0)
    fail(s, "the hole before 10 MiB does not read as zeros");
  close(fd);
  want(s, "unlink(lseekf)", unlink("lseekf"), 0);
  want(s, "statfs", statfs("/", &fs1), 0);
  want(s, "free blocks after unlink", fs1.bfree, fs0.bfree);

  // a directory can be seeked; pipes, the console, bad fds cannot
  fd = wantok(s, "open(.)", open(".", O_RDONLY));
  want(s, "SEEK_SET 16 in a directory", lseek(fd, 16, SEEK_SET), 16);
  close(fd);
  xpipe(s, p);
  want(s, "lseek(pipe read end)", lseek(p[0], 0, SEEK_SET), -ESPIPE);
  want(s, "lseek(pipe write end)", lseek(p[1], 0, SEEK_CUR), -ESPIPE);
  close(p[0]);
  close(p[1]);
  want(s, "lseek(console)", lseek(1, 0, SEEK_CUR), -ESPIPE);
  want(s, "lseek(closed fd)", lseek(p[0], 0, SEEK_SET), -EBADF);
  want(s, "lseek(-1)", lseek(-1, 0, SEEK_SET), -EBADF);
  want(s, "lseek(NOFILE)", lseek(NOFILE, 0, SEEK_SET), -EBADF);
}

// statfs: a path that does not exist, and a bad address.
void
statfstest(char *s)
{
  struct statfs st;

  want(s, "statfs(/)", statfs("/", &st), 0);
  want(s, "bsize", st.bsize, BSIZE);
  if(st.bfree == 0 || st.bfree >= st.blocks || st.ffree == 0 || st.ffree >= st.files)
    fail(s, "free counts out of range");
  want(s, "statfs(nonexistent)", statfs("nonexistent", &st), -ENOENT);
  want(s, "statfs(README.md/x)", statfs("README.md/x", &st), -ENOTDIR);
  for(int i = 0; i < NBAD; i++)
    want(s, "statfs(/, bad address)", statfs("/", (struct statfs*)badaddrs[i]), -EFAULT);
  want(s, "statfs(bad path address)", statfs((char*)0, &st), -EFAULT);
}

// Generations (stat's gen, fsgen): the same while nothing changes, a
// stat included; new after a write of the same size in place, and after
// a truncation; fsgen moves with any of them.
void
gentest(char *s)
{
  struct stat a, b;
  uint64 g0, g1;
  int fd;

  unlink("genfile");
  fd = wantok(s, "open(genfile)", open("genfile", O_CREATE|O_RDWR));
  want(s, "write", write(fd, "aaaa", 4), 4);
  close(fd);
  want(s, "stat", stat("genfile", &a), 0);
  g0 = fsgen();
  want(s, "stat again", stat("genfile", &b), 0);
  want(s, "gen after a stat", b.gen, a.gen);
  want(s, "fsgen after a stat", fsgen(), g0);
  fd = wantok(s, "open(genfile)", open("genfile", O_RDWR));
  want(s, "write in place", write(fd, "bbbb", 4), 4);
  close(fd);
  want(s, "stat", stat("genfile", &b), 0);
  want(s, "size", b.size, 4);
  if(b.gen == a.gen)
    fail(s, "a write in place left the generation as it was");
  g1 = fsgen();
  if(g1 == g0)
    fail(s, "a write left fsgen as it was");
  fd = wantok(s, "open(genfile, O_TRUNC)", open("genfile", O_RDWR|O_TRUNC));
  close(fd);
  want(s, "stat", stat("genfile", &a), 0);
  if(a.gen == b.gen || fsgen() == g1)
    fail(s, "a truncation left the generation as it was");
  want(s, "unlink(genfile)", unlink("genfile"), 0);
}

// Fill the disk: ENOSPC, then everything comes back on unlink. Slow.
void
diskfull(char *s)
{
  int fd, i, r, nf;
  char name[16];

  memset(buf, 'd', 1024);
  r = 0;
  for(nf = 0; nf < 100 && r != -ENOSPC; nf++){
    snprintf(name, sizeof(name), "df%d", nf);
    unlink(name);
    fd = open(name, O_CREATE|O_RDWR);
    if(fd < 0){
      r = fd;
      break;
    }
    while((r = write(fd, buf, 1024)) == 1024)
      ;
    close(fd);
    if(r < 0 && r != -EFBIG && r != -ENOSPC)
      want(s, "write", r, -ENOSPC);
  }
  want(s, "write or create on a full disk", r, -ENOSPC);
  for(i = 0; i < nf; i++){
    snprintf(name, sizeof(name), "df%d", i);
    unlink(name);
  }
  fd = wantok(s, "open after freeing", open("df0", O_CREATE|O_RDWR));
  writefill(s, fd, 'e', 100 * 1024, 1024);
  close(fd);
  unlink("df0");
}

// --- clock ---------------------------------------------------------------

void
clockmono(char *s)
{
  uint64 t0, t, prev;
  int i;

  t0 = prev = clock();
  for(i = 0; i < 10000; i++){
    t = clock();
    if(t < prev){
      printf("%s: clock went back from %ld to %ld\n", s, prev, t);
      exit(1);
    }
    prev = t;
  }
  sleep(10);
  if(clock() <= t0)
    fail(s, "clock did not advance over sleep(10)");
}

void
sleeptime(char *s)
{
  uint64 t0;
  int i, us;

  for(i = 0; i < 3; i++){
    t0 = clock();
    want(s, "sleep(50)", sleep(50), 0);
    us = clock() - t0;
    if(us < 50000 || us >= 500000){
      printf("%s: sleep(50) took %d us, wanted 50000..500000\n", s, us);
      exit(1);
    }
  }
  t0 = clock();
  sleep(0);
  if(msince(t0) > 100)
    fail(s, "sleep(0) took more than 100 ms");
}

void
uptimetest(char *s)
{
  int u0, u1;

  u0 = uptime();
  sleep(100);
  u1 = uptime();
  if(u1 - u0 < 99 || u1 - u0 > 1000){
    printf("%s: uptime went %d -> %d over sleep(100)\n", s, u0, u1);
    exit(1);
  }
}

// --- poll ----------------------------------------------------------------

void
polltimeout(char *s)
{
  struct pollfd pf[1];
  uint64 t0;
  int ms;

  t0 = clock();
  want(s, "poll(no fds, 100 ms)", poll(pf, 0, 100), 0);
  ms = msince(t0);
  if(ms < 100 || ms > 1000){
    printf("%s: poll(100 ms) took %d ms\n", s, ms);
    exit(1);
  }
  t0 = clock();
  want(s, "poll(no fds, 0 ms)", poll(pf, 0, 0), 0);
  if(msince(t0) > 50)
    fail(s, "poll with timeout 0 blocked");
}

// Writes from a child wake a poller.
static int
latewriter(int fd, int ms)
{
  int pid;

  pid = fork();
  if(pid == 0){
    sleep(ms);
    write(fd, "w", 1);
    exit(0);
  }
  return pid;
}

void
pollpipe(char *s)
{
  int p[2], pid, ms;
  struct pollfd pf;
  uint64 t0;

  xpipe(s, p);
  pf.fd = p[0];
  pf.events = POLLIN;
  pf.revents = 0;
  want(s, "poll(empty pipe, 0 ms)", poll(&pf, 1, 0), 0);
  want(s, "revents of an empty pipe", pf.revents, 0);
  t0 = clock();
  pid = latewriter(p[1], 50);
  want(s, "poll(pipe, 2000 ms)", poll(&pf, 1, 2000), 1);
  ms = msince(t0);
  if(!(pf.revents & POLLIN) || (pf.revents & (POLLNVAL|POLLERR)))
    want(s, "revents", pf.revents, POLLIN);
  if(ms < 40 || ms > 1500){
    printf("%s: poll returned after %d ms, child wrote after 50\n", s, ms);
    exit(1);
  }
  want(s, "read", read(p[0], buf, 10), 1);
  want(s, "child status", waitst(s, pid), 0);
  pf.fd = p[1];
  pf.events = POLLOUT;
  want(s, "poll(write end, POLLOUT)", poll(&pf, 1, 0), 1);
  want(s, "revents of a write end", pf.revents, POLLOUT);
  close(p[0]);
  close(p[1]);
}

// The last writer going away shows as POLLHUP, also while blocked.
void
pollhup(char *s)
{
  int p[2], pid;
  struct pollfd pf;
  uint64 t0;

  xpipe(s, p);
  pid = xfork(s);
  if(pid == 0){
    sleep(50);
    exit(0);
  }
  close(p[1]);  // the child holds the only write end now
  pf.fd = p[0];
  pf.events = POLLIN;
  t0 = clock();
  want(s, "poll until the writer exits", poll(&pf, 1, 3000), 1);
  if(!(pf.revents & POLLHUP))
    want(s, "revents", pf.revents, POLLHUP);
  if(msince(t0) > 2000)
    fail(s, "poll did not wake when the writer exited");
  want(s, "read at hangup", read(p[0], buf, 10), 0);
  want(s, "child status", waitst(s, pid), 0);
  close(p[0]);
}

void
pollnval(char *s)
{
  int fd;
  struct pollfd pf[2];

  fd = dup(0);
  close(fd);
  pf[0].fd = fd;
  pf[0].events = POLLIN;
  pf[1].fd = -1;         // negative entries are ignored
  pf[1].events = POLLIN;
  pf[1].revents = 0;
  want(s, "poll(closed fd)", poll(pf, 2, 1000), 1);
  want(s, "revents of a closed fd", pf[0].revents, POLLNVAL);
  want(s, "revents of fd -1", pf[1].revents, 0);
}

// Four pipes, one written: poll reports exactly that one.
void
pollmany(char *s)
{
  int p[4][2], i, pid;
  struct pollfd pf[4];

  for(i = 0; i < 4; i++){
    xpipe(s, p[i]);
    pf[i].fd = p[i][0];
    pf[i].events = POLLIN;
  }
  pid = latewriter(p[2][1], 30);
  want(s, "poll(4 pipes)", poll(pf, 4, 2000), 1);
  for(i = 0; i < 4; i++)
    want(s, "revents", pf[i].revents, i == 2 ? POLLIN : 0);
  want(s, "read", read(p[2][0], buf, 10), 1);
  want(s, "poll(4 drained pipes, 0 ms)", poll(pf, 4, 0), 0);
  want(s, "child status", waitst(s, pid), 0);
  for(i = 0; i < 4; i++){
    close(p[i][0]);
    close(p[i][1]);
  }
}

void
pollforever(char *s)
{
  int p[2], pid, ms;
  struct pollfd pf;
  uint64 t0;

  xpipe(s, p);
  pf.fd = p[0];
  pf.events = POLLIN;
  t0 = clock();
  pid = latewriter(p[1], 100);
  want(s, "poll(pipe, -1)", poll(&pf, 1, -1), 1);
  ms = msince(t0);
  if(ms < 90){
    printf("%s: poll(-1) returned after %d ms, data came after 100\n", s, ms);
    exit(1);
  }
  want(s, "revents", pf.revents, POLLIN);
  want(s, "child status", waitst(s, pid), 0);
  close(p[0]);
  close(p[1]);
}

void
pollinval(char *s)
{
  struct pollfd pf[NPOLL + 1];
  int i;

  for(i = 0; i < NPOLL + 1; i++){
    pf[i].fd = 0;
    pf[i].events = POLLOUT;
  }
  want(s, "poll(NPOLL+1 fds)", poll(pf, NPOLL + 1, 0), -EINVAL);
  want(s, "poll(-1 fds)", poll(pf, -1, 0), -EINVAL);
  wantok(s, "poll(NPOLL fds)", poll(pf, NPOLL, 0));
}

// Files are always ready.
void
pollfile(char *s)
{
  int fd;
  struct pollfd pf;

  fd = wantok(s, "open", open("README.md", O_RDONLY));
  pf.fd = fd;
  pf.events = POLLIN;
  want(s, "poll(file)", poll(&pf, 1, 1000), 1);
  want(s, "revents of a file", pf.revents, POLLIN);
  close(fd);
}

// --- several harts -------------------------------------------------------

#define NPAR 4

struct parres {
  uint64 sum;
  int most;
};

// Burn CPU in slices; between slices count how many children of parent
// are on a CPU right now (this one included).
static void
spin(int parent, struct parres *r)
{
  uint64 x;
  int slice, i, n, run;

  x = 1;
  r->most = 0;
  for(slice = 0; slice < 40; slice++){
    for(i = 0; i < 200000; i++)
      x = x * 6364136223846793005UL + 1442695040888963407UL;
    n = getprocs(pinfo, NPROC);
    run = 0;
    for(i = 0; i < n; i++)
      if(pinfo[i].ppid == parent && pinfo[i].state == RUNNING)
        run++;
    if(run > r->most)
      r->most = run;
  }
  r->sum = x;
}

// NPAR children compute the same thing at once; they must agree and at
// least two must have been seen running at the same moment.
void
parallel(char *s)
{
  int p[2], i, most, st, me;
  struct parres r;
  uint64 sum, t0;

  me = getpid();
  xpipe(s, p);
  t0 = clock();
  for(i = 0; i < NPAR; i++){
    if(xfork(s) == 0){
      close(p[0]);
      spin(me, &r);
      write(p[1], &r, sizeof(r));
      exit(0);
    }
  }
  close(p[1]);
  most = 0;
  sum = 0;
  for(i = 0; i < NPAR; i++){
    want(s, "read(result)", readn(p[0], &r, sizeof(r)), sizeof(r));
    if(i > 0 && r.sum != sum)
      fail(s, "children computed different results");
    sum = r.sum;
    if(r.most > most)
      most = r.most;
  }
  for(i = 0; i < NPAR; i++){
    wantok(s, "wait", wait(&st));
    want(s, "child status", st, 0);
  }
  printf("%s: %d children, up to %d ran at once, %d ms\n", s, NPAR, most, msince(t0));
  if(most < 2)
    fail(s, "no two children ever ran at the same time");
  close(p[0]);
}

// --- crash and recovery (driven by the host, see pcap-tests) -------------

// Prepare "crashfile" full of 'A', arm fscrash(N), then overwrite it
// with 'B' in one write(). The machine powers off inside that write.
void
crashwrite(char *s)
{
  int fd, n;

  unlink("crashfile");
  fd = wantok(s, "open(crashfile)", open("crashfile", O_CREATE|O_RDWR));
  memset(buf, 'A', CRASHSZ);
  want(s, "write A", write(fd, buf, CRASHSZ), CRASHSZ);
  close(fd);
  fd = wantok(s, "open(crashfile)", open("crashfile", O_WRONLY));
  n = testarg >= 0 ? testarg : 5;
  printf("crashwrite: prepared\n");
  wantok(s, "fscrash", fscrash(n));
  memset(buf, 'B', CRASHSZ);
  n = write(fd, buf, CRASHSZ);
  printf("crashwrite: no crash (write returned %d)\n", n);
  exit(1);
}

// After the reboot: crashfile is all old or all new, and the file system
// still works.
void
crashcheck(char *s)
{
  int fd, i;
  struct stat st;

  fd = wantok(s, "open(crashfile)", open("crashfile", O_RDONLY));
  want(s, "fstat", fstat(fd, &st), 0);
  want(s, "size of crashfile", st.size, CRASHSZ);
  want(s, "read(crashfile)", readn(fd, buf, CRASHSZ + 1), CRASHSZ);
  close(fd);
  if(buf[0] != 'A' && buf[0] != 'B'){
    printf("%s: first byte is %d, wanted 'A' or 'B'\n", s, buf[0]);
    exit(1);
  }
  for(i = 1; i < CRASHSZ; i++)
    if(buf[i] != buf[0]){
      printf("%s: byte %d is '%c', byte 0 is '%c': a torn write\n", s, i, buf[i], buf[0]);
      exit(1);
    }
  printf("crashcheck: content %c\n", buf[0]);
  unlink("crashcheck2");
  fd = wantok(s, "open(crashcheck2)", open("crashcheck2", O_CREATE|O_RDWR));
  writefill(s, fd, 'c', 3000, 1000);
  close(fd);
  fd = wantok(s, "open(crashcheck2)", open("crashcheck2", O_RDONLY));
  want(s, "read(crashcheck2)", readn(fd, buf2, 4000), 3000);
  close(fd);
  for(i = 0; i < 3000; i++)
    if(buf2[i] != 'c')
      fail(s, "crashcheck2 holds the wrong bytes");
  want(s, "unlink(crashcheck2)", unlink("crashcheck2"), 0);
  want(s, "unlink(crashfile)", unlink("crashfile"), 0);
}

// --- memmove ---------------------------------------------------------------

// memmove copies every length at every pair of alignments (word copies
// from a misaligned source are put together from two aligned words),
// and overlapping ranges in both directions, touching nothing else.
void
memmovetest(char *s)
{
  static uchar src[200], dst[200], want_[200];

  for(int i = 0; i < 200; i++)
    src[i] = i * 7 + 3;
  for(int so = 0; so < 8; so++)
    for(int dof = 0; dof < 8; dof++)
      for(int n = 0; n <= 120; n++){
        memset(dst, 0xee, sizeof(dst));
        memmove(dst + dof, src + so, n);
        for(int i = 0; i < 200; i++){
          uchar w = i >= dof && i < dof + n ? src[so + i - dof] : 0xee;
          if(dst[i] != w){
            printf("%s: memmove(dst+%d, src+%d, %d): byte %d is %d, wanted %d\n", s, dof, so, n, i, dst[i], w);
            exit(1);
          }
        }
      }
  for(int shift = -9; shift <= 9; shift++){
    for(int i = 0; i < 200; i++)
      want_[i] = dst[i] = i;
    for(int i = 0; i < 100; i++)
      want_[50 + shift + i] = 50 + i;
    memmove(dst + 50 + shift, dst + 50, 100);
    if(memcmp(dst, want_, 200) != 0){
      printf("%s: overlapping memmove by %d wrong\n", s, shift);
      exit(1);
    }
  }
}

// --- getrandom and atexit ------------------------------------------------

// Ones among n bytes.
static int
popcount(uchar *b, int n)
{
  int c = 0;

  for(int i = 0; i < n; i++)
    for(int v = b[i]; v; v >>= 1)
      c += v & 1;
  return c;
}

// getrandom fills exactly what it says, differently each time, with
// about as many ones as zeros; it caps a call at GETRANDOM_MAX and
// refuses bad arguments. Holds with the device and without it.
void
getrandomtest(char *s)
{
  uchar *a = (uchar*)buf, *b = (uchar*)buf2;
  int ones, r;

  memset(a, 0xa5, 64);
  want(s, "getrandom(32)", getrandom(a, 32, 0), 32);
  for(int i = 32; i < 64; i++)
    if(a[i] != 0xa5)
      fail(s, "getrandom(32) wrote past 32 bytes");
  want(s, "getrandom(32) again", getrandom(b, 32, 0), 32);
  if(memcmp(a, b, 32) == 0)
    fail(s, "two getrandom(32) calls gave the same bytes");
  // 16 calls of 256 bytes: 32768 bits, mean 16384, sd 90.5; allow 6 sd.
  for(int i = 0; i < 16; i++)
    want(s, "getrandom(256)", getrandom(a + 256*i, 256, 0), 256);
  ones = popcount(a, 4096);
  if(ones < 16384 - 543 || ones > 16384 + 543){
    printf("%s: %d ones in 32768 random bits, wanted 16384 +- 543\n", s, ones);
    exit(1);
  }
  want(s, "getrandom(1000)", getrandom(a, 1000, 0), GETRANDOM_MAX);
  want(s, "getrandom(0)", getrandom(a, 0, 0), 0);
  want(s, "getrandom(-1)", getrandom(a, -1, 0), -EINVAL);
  want(s, "getrandom with unknown flags", getrandom(a, 16, 0x8000), -EINVAL);
  want(s, "getrandom(NULL)", getrandom(0, 16, 0), -EFAULT);
  want(s, "getrandom into text", getrandom((void*)TEXT, 16, 0), -EFAULT);
  want(s, "getrandom into the kernel", getrandom((void*)0x80000000L, 16, 0), -EFAULT);
  r = getrandom(a, 16, GRND_DEVICE);
  if(r != 16 && r != -ENODEV){
    printf("%s: getrandom(16, GRND_DEVICE) returned %d, wanted 16 or -ENODEV\n", s, r);
    exit(1);
  }
}

// The machine has the entropy device (make qemu's default): GRND_DEVICE,
// which refuses the jitter fallback, gives bytes.
void
rngdev(char *s)
{
  want(s, "getrandom(64, GRND_DEVICE)", getrandom(buf, 64, GRND_DEVICE), 64);
  want(s, "getrandom(256, GRND_DEVICE)", getrandom(buf, 256, GRND_DEVICE), 256);
}

// Run by name on a machine without the device (make RNG=0): GRND_DEVICE
// says so, and plain getrandom still gives bytes (getrandomtest).
void
rngnodev(char *s)
{
  want(s, "getrandom(64, GRND_DEVICE)", getrandom(buf, 64, GRND_DEVICE), -ENODEV);
  want(s, "getrandom(64)", getrandom(buf, 64, 0), 64);
}

static int atexitfd = -1;   // where the handlers below write

static void
atexit1(void)
{
  write(atexitfd, "1", 1);
}

static void
atexit2(void)
{
  write(atexitfd, "2", 1);
}

static void
atexit3(void)
{
  write(atexitfd, "3", 1);
}

static void
atexitnop(void)
{
}

// Read what the children wrote to p until EOF, into buf; close p[0].
static int
readall(char *s, int *p)
{
  int n = 0, r;

  close(p[1]);
  while((r = read(p[0], buf + n, 64)) > 0)
    n += r;
  wantok(s, "read from pipe", r);
  close(p[0]);
  buf[n] = 0;
  return n;
}

// exit runs the atexit handlers last registered first, once each; _exit
// runs none; a fork child runs the ones it inherited. atexit takes
// ATEXIT_MAX handlers, then says -ENOMEM.
void
atexittest(char *s)
{
  int p[2], pid;

  wantok(s, "pipe", pipe(p));
  pid = xfork(s);
  if(pid == 0){
    atexitfd = p[1];
    want(s, "atexit", atexit(atexit1), 0);
    want(s, "atexit", atexit(atexit2), 0);
    want(s, "atexit", atexit(atexit3), 0);
    exit(7);
  }
  want(s, "exit status with handlers", waitst(s, pid), 7);
  readall(s, p);
  if(strcmp(buf, "321") != 0){
    printf("%s: exit ran handlers as \"%s\", wanted \"321\"\n", s, buf);
    exit(1);
  }

  wantok(s, "pipe", pipe(p));
  pid = xfork(s);
  if(pid == 0){
    atexitfd = p[1];
    atexit(atexit1);
    atexit(atexit2);
    _exit(5);
  }
  want(s, "_exit status", waitst(s, pid), 5);
  if(readall(s, p) != 0){
    printf("%s: _exit ran handlers: \"%s\"\n", s, buf);
    exit(1);
  }

  wantok(s, "pipe", pipe(p));
  pid = xfork(s);
  if(pid == 0){
    atexitfd = p[1];
    atexit(atexit1);
    pid = fork();
    if(pid < 0)
      _exit(2);
    if(pid == 0){
      atexit(atexit2);
      exit(0);           // "21"
    }
    if(wait(0) != pid)
      _exit(3);
    atexit(atexit3);
    exit(0);             // then "31"
  }
  want(s, "exit status of the forking child", waitst(s, pid), 0);
  readall(s, p);
  if(strcmp(buf, "2131") != 0){
    printf("%s: parent and fork child ran \"%s\", wanted \"2131\"\n", s, buf);
    exit(1);
  }

  pid = xfork(s);
  if(pid == 0){
    for(int i = 0; i < ATEXIT_MAX; i++)
      if(atexit(atexitnop) != 0)
        _exit(10 + i);
    _exit(atexit(atexitnop) == -ENOMEM ? 0 : 1);
  }
  want(s, "exit status after ATEXIT_MAX + 1 atexit calls", waitst(s, pid), 0);
}

// --- the runner ----------------------------------------------------------

struct test tests[] = {
  {badread, "badread", QUICK},
  {badwrite, "badwrite", QUICK},
  {badpath, "badpath", QUICK},
  {badexec, "badexec", QUICK},
  {badpipe, "badpipe", QUICK},
  {badwait, "badwait", QUICK},
  {badfstat, "badfstat", QUICK},
  {badpoll, "badpoll", QUICK},
  {badgetprocs, "badgetprocs", QUICK},
  {badfd, "badfd", QUICK},
  {execbad, "execbad", QUICK},
  {killbad, "killbad", QUICK},
  {longpath, "longpath", QUICK},
  {exitstatus, "exitstatus", QUICK},
  {forkwait, "forkwait", QUICK},
  {forkfull, "forkfull", QUICK},
  {nullderef, "nullderef", QUICK},
  {stackguard, "stackguard", QUICK},
  {pipedata, "pipedata", QUICK},
  {killsleep, "killsleep", QUICK},
  {killrace, "killrace", QUICK},
  {execargs, "execargs", QUICK},
  {getprocstest, "getprocs", QUICK},
  {forkmem, "forkmem", QUICK},
  {sbrkbasic, "sbrkbasic", QUICK},
  {sbrkneg, "sbrkneg", QUICK},
  {sbrkhuge, "sbrkhuge", QUICK},
  {sbrkfull, "sbrkfull", QUICK},
  {freememtest, "freemem", QUICK},
  {pipebasic, "pipebasic", QUICK},
  {pipeeof, "pipeeof", QUICK},
  {pipeepipe, "pipeepipe", QUICK},
  {pipebig, "pipebig", QUICK},
  {pipeorder, "pipeorder", QUICK},
  {pingpong, "pingpong", QUICK},
  {createwrite, "createwrite", QUICK},
  {bigfile, "bigfile", QUICK},
  {filemax, "filemax", QUICK},
  {hugefile, "hugefile", QUICK},
  {hugewrite, "hugewrite", BYNAME},
  {hugeread, "hugeread", BYNAME},
  {hugetrunc, "hugetrunc", BYNAME},
  {lseektest, "lseek", QUICK},
  {statfstest, "statfs", QUICK},
  {gentest, "gen", QUICK},
  {manyfiles, "manyfiles", QUICK},
  {dirs, "dirs", QUICK},
  {dotdot, "dotdot", QUICK},
  {linkunlink, "linkunlink", QUICK},
  {unlinkopen, "unlinkopen", QUICK},
  {concreate, "concreate", QUICK},
  {fourfiles, "fourfiles", QUICK},
  {enotdir, "enotdir", QUICK},
  {openmodes, "openmodes", QUICK},
  {fdshare, "fdshare", QUICK},
  {fdfull, "fdfull", QUICK},
  {clockmono, "clockmono", QUICK},
  {sleeptime, "sleeptime", QUICK},
  {uptimetest, "uptime", QUICK},
  {polltimeout, "polltimeout", QUICK},
  {pollpipe, "pollpipe", QUICK},
  {pollhup, "pollhup", QUICK},
  {pollnval, "pollnval", QUICK},
  {pollmany, "pollmany", QUICK},
  {pollforever, "pollforever", QUICK},
  {pollinval, "pollinval", QUICK},
  {pollfile, "pollfile", QUICK},
  {parallel, "parallel", QUICK},
  {getrandomtest, "getrandom", QUICK},
  {memmovetest, "memmove", QUICK},
  {rngdev, "rngdev", QUICK},
  {rngnodev, "rngnodev", BYNAME},
  {atexittest, "atexit", QUICK},
  {diskfull, "diskfull", SLOW},
  {crashwrite, "crashwrite", BYNAME},
  {crashcheck, "crashcheck", BYNAME},
  {0, 0, 0},
};

// usertests: the kernel's tests, each in a child of its own.
// usage: usertests [-q | -a] [name [N] ...]
int
main(int argc, char *argv[])
{
  runnerpid = getpid();
  testmain("usertests", tests, argc, argv);
}
