// test.h: the harness for libnet's host unit tests, in the shape of
// xv6's usertests: each file lists its tests in a table of {fn, "name"},
// test_main runs them all (or the one named on the command line),
// prints "name: OK" or "name: FAILED" with what went wrong, and ends
// with "prog: N passed, N failed", which make host-test adds up.
// Host only: it uses stdio. State is file-level because each test
// binary is one file and runs one test at a time.
#ifndef LIBNET_TEST_H
#define LIBNET_TEST_H
#include <stdio.h>
#include <string.h>

struct test {
  void (*fn)(void);
  const char *name;
};

static const char *test_name;  // the test running now, for failure lines
static int test_failed;        // set by any failed CHECK in it

#define CHECK(c) do { \
  if(!(c)){ \
    printf("%s: %s:%d: CHECK(%s) failed\n", test_name, __FILE__, __LINE__, #c); \
    test_failed = 1; \
  } \
} while(0)

// Compare as long long, so one macro serves every integer width and
// a failure says what the value was.
#define CHECKEQ(a, b) do { \
  long long a_ = (a), b_ = (b); \
  if(a_ != b_){ \
    printf("%s: %s:%d: %s is %lld (0x%llx), wanted %lld (0x%llx)\n", test_name, \
           __FILE__, __LINE__, #a, a_, (unsigned long long)a_, b_, (unsigned long long)b_); \
    test_failed = 1; \
  } \
} while(0)

#define CHECKMEM(a, b, n) test_checkmem(__FILE__, __LINE__, #a, (a), (b), (n))

static void __attribute__((unused))
test_checkmem(const char *file, int line, const char *what, const void *a, const void *b, size_t n)
{
  const unsigned char *x = a, *y = b;
  size_t i;

  for(i = 0; i < n; i++){
    if(x[i] != y[i]){
      printf("%s: %s:%d: %s differs at byte %zu of %zu: 0x%02x, wanted 0x%02x\n",
             test_name, file, line, what, i, n, x[i], y[i]);
      test_failed = 1;
      return;
    }
  }
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

// Run the tests in t[0..n), or only the one named by argv[1].
// Returns the exit status: 0 if all passed.
static int
test_main(const struct test *t, int n, int argc, char **argv)
{
  const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  int i, pass = 0, fail = 0;

  for(i = 0; i < n; i++){
    if(argc > 1 && strcmp(argv[1], t[i].name) != 0)
      continue;
    test_name = t[i].name;
    test_failed = 0;
    t[i].fn();
    printf("%s: %s\n", t[i].name, test_failed ? "FAILED" : "OK");
    if(test_failed)
      fail++;
    else
      pass++;
  }
  printf("%s: %d passed, %d failed\n", prog, pass, fail);
  return fail != 0 || pass == 0;
}
#endif
