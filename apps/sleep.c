// sleep: pause for a number of seconds. A fraction is allowed
// ("0.5"); it is kept to the millisecond, the system call's unit.
#include "apps/user.h"

// Parses "N" or "N.DDD" seconds into milliseconds. Returns -1 if s is
// not such a number or is too large for the system call.
static long
parse_ms(const char *s)
{
  long ms = 0, scale = 100;
  const char *p = s;

  if(!isdigit(*p) && !(*p == '.' && isdigit(p[1])))
    return -1;
  for(; isdigit(*p); p++){
    ms = ms * 10 + (*p - '0') * 1000;
    if(ms > 0x7fffffff)
      return -1;
  }
  if(*p == '.')
    for(p++; isdigit(*p); p++){
      ms += (*p - '0') * scale;   // digits past the third add nothing
      scale /= 10;
    }
  if(*p != 0 || ms > 0x7fffffff)
    return -1;
  return ms;
}

// sleep: suspend execution for an interval
// usage: sleep seconds
int
main(int argc, char *argv[])
{
  long ms;
  int r;

  if(argc != 2 || (ms = parse_ms(argv[1])) < 0){
    fprintf(2, "usage: sleep seconds\n");
    return 1;
  }
  if((r = sleep(ms)) < 0){
    fprintf(2, "sleep: %s\n", strerror(-r));
    return 1;
  }
  return 0;
}
