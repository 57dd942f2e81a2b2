// kill: kill processes by pid. A killed process exits the next time
// it enters or leaves the kernel.
#include "apps/user.h"

// kill: terminate processes
// usage: kill pid ...
int
main(int argc, char *argv[])
{
  int i, pid, r, failed = 0;
  char *end;

  if(argc < 2){
    fprintf(2, "usage: kill pid ...\n");
    return 1;
  }
  for(i = 1; i < argc; i++){
    pid = strtol(argv[i], &end, 10);
    if(end == argv[i] || *end != 0){
      fprintf(2, "kill: %s: %s\n", argv[i], strerror(EINVAL));
      failed = 1;
      continue;
    }
    if((r = kill(pid)) < 0){
      fprintf(2, "kill: %s: %s\n", argv[i], strerror(-r));
      failed = 1;
    }
  }
  return failed;
}
