// mkdir: make directories. Parents are not made (no -p).
#include "apps/user.h"

// mkdir: make directories
// usage: mkdir dir ...
int
main(int argc, char *argv[])
{
  int i, r, failed = 0;

  if(argc < 2){
    fprintf(2, "usage: mkdir dir ...\n");
    return 1;
  }
  for(i = 1; i < argc; i++){
    if((r = mkdir(argv[i])) < 0){
      fprintf(2, "mkdir: %s: %s\n", argv[i], strerror(-r));
      failed = 1;
    }
  }
  return failed;
}
