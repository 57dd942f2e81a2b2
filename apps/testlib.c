// testlib.c: the failure helpers and the runner the in-guest test
// programs share (testlib.h).
#include "apps/user.h"
#include "apps/testlib.h"

#define TESTLIMIT 120   // seconds a test may run before it is killed

int testarg = -1;

void
fail(char *s, char *msg)
{
  printf("%s: %s\n", s, msg);
  exit(1);
}

// Negative results are shown with their errno name, so a failure line
// says why.
void
want(char *s, char *what, long got, long wanted)
{
  if(got == wanted)
    return;
  if(got < 0 && got > -4096)
    printf("%s: %s returned %ld (%s), wanted %ld\n", s, what, got, strerror(-got), wanted);
  else
    printf("%s: %s returned %ld, wanted %ld\n", s, what, got, wanted);
  exit(1);
}

long
wantok(char *s, char *what, long got)
{
  if(got < 0){
    printf("%s: %s returned %ld (%s), wanted success\n", s, what, got, strerror(-got));
    exit(1);
  }
  return got;
}

// For calls whose exact error code the contract leaves open.
void
wanterr(char *s, char *what, long got)
{
  if(got >= 0){
    printf("%s: %s returned %ld, wanted an error\n", s, what, got);
    exit(1);
  }
}

int
xfork(char *s)
{
  int pid = fork();

  if(pid < 0){
    printf("%s: fork returned %d (%s)\n", s, pid, strerror(-pid));
    exit(1);
  }
  return pid;
}

int
waitst(char *s, int pid)
{
  int st, w;

  while((w = wait(&st)) != pid){
    if(w < 0){
      printf("%s: wait returned %d (%s), wanted pid %d\n", s, w, strerror(-w), pid);
      exit(1);
    }
  }
  return st;
}

int
msince(uint64 t0)
{
  return (clock() - t0) / 1000;
}

// Run one test in a child, with a watchdog child that kills it after
// TESTLIMIT seconds. Returns 0 if the test passed.
static int
run(char *prog, struct test *t)
{
  int pid, dog, w, st, xstatus = -1, done = 0, timedout = 0;
  uint64 t0 = clock();

  pid = fork();
  if(pid < 0){
    printf("%s: fork for %s returned %d\n", prog, t->name, pid);
    return -1;
  }
  if(pid == 0){
    t->fn(t->name);
    exit(0);
  }
  dog = fork();
  if(dog == 0){
    sleep(TESTLIMIT * 1000);
    kill(pid);
    exit(0);
  }
  while((w = wait(&st)) >= 0){
    if(w == pid){
      xstatus = st;
      done = 1;
      if(dog > 0)
        kill(dog);
    } else if(w == dog && !done){
      timedout = 1;
    }
  }
  if(timedout)
    printf("%s: %s still running after %d s, killed\n", prog, t->name, TESTLIMIT);
  else if(xstatus != 0 && xstatus != 1)
    printf("%s: %s exited with status %d\n", prog, t->name, xstatus);
  printf("test %s: %s (%d ms)\n", t->name, xstatus == 0 ? "OK" : "FAILED", msince(t0));
  return xstatus == 0 ? 0 : -1;
}

static struct test *
lookup(struct test *tests, char *name)
{
  for(struct test *t = tests; t->name; t++)
    if(strcmp(t->name, name) == 0)
      return t;
  return 0;
}

int
testmain(char *prog, struct test *tests, int argc, char *argv[])
{
  struct test *t;
  int all = 0, named = 0, fails = 0, free0, free1, i;

  free0 = freemem();
  for(i = 1; i < argc; i++){
    if(strcmp(argv[i], "-q") == 0)
      all = 0;
    else if(strcmp(argv[i], "-a") == 0)
      all = 1;
    else if((t = lookup(tests, argv[i])) != 0){
      named = 1;
      testarg = -1;
      if(i + 1 < argc && isdigit(argv[i + 1][0]))
        testarg = atoi(argv[++i]);
      if(run(prog, t) != 0)
        fails++;
    } else {
      fprintf(2, "usage: %s [-q | -a] [name [N] ...]\nno test named %s\n", prog, argv[i]);
      exit(1);
    }
  }
  if(!named)
    for(t = tests; t->name; t++)
      if(t->kind == QUICK || (all && t->kind == SLOW))
        if(run(prog, t) != 0)
          fails++;
  // orphans are reaped by init, and a channel's pages may wait a moment
  // for the device to let go: give them two seconds.
  free1 = freemem();
  for(i = 0; i < 40 && free1 < free0; i++){
    sleep(50);
    free1 = freemem();
  }
  printf("free pages: %d before, %d after\n", free0, free1);
  if(free1 < free0){
    printf("%s: %d pages lost\n", prog, free0 - free1);
    fails++;
  }
  if(fails){
    printf("SOME TESTS FAILED\n");
    exit(1);
  }
  printf("ALL TESTS PASSED\n");
  exit(0);
}
