// testlib: what the in-guest test programs (usertests, nettests,
// libnettests) share: failure helpers that say what and how much, and
// the runner: each test in a child of its own under a watchdog, `test
// NAME: OK|FAILED (N ms)`, one test runnable by name, free pages
// counted before and after the run.
#ifndef TESTLIB_H
#define TESTLIB_H

enum { QUICK, SLOW, BYNAME };  // BYNAME: run only when named (crash tests)

struct test {
  void (*fn)(char *);
  char *name;
  int kind;
};

extern int testarg;   // the number after a test's name on the command line, or -1

void fail(char *s, char *msg) __attribute__((noreturn));
void want(char *s, char *what, long got, long wanted);  // exit(1) unless got == wanted
long wantok(char *s, char *what, long got);             // exit(1) if got < 0
void wanterr(char *s, char *what, long got);            // exit(1) unless got < 0
int xfork(char *s);
int waitst(char *s, int pid);                           // the child's exit status
int msince(uint64 t0);                                  // ms since clock() said t0

// usage: prog [-q | -a] [name [N] ...]. Runs the named tests, or every
// QUICK one (-a: SLOW too); exits 0 if all passed and no page leaked.
int testmain(char *prog, struct test *tests, int argc, char *argv[]) __attribute__((noreturn));
#endif
