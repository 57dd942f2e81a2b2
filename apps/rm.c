// rm: remove directory entries. A file's data goes when its last link
// and last open descriptor do; empty directories may be removed too
// (the kernel refuses non-empty ones). Not recursive.
#include "apps/user.h"

// rm: remove files
// usage: rm file ...
int
main(int argc, char *argv[])
{
  int i, r, failed = 0;

  if(argc < 2){
    fprintf(2, "usage: rm file ...\n");
    return 1;
  }
  for(i = 1; i < argc; i++){
    if((r = unlink(argv[i])) < 0){
      fprintf(2, "rm: %s: %s\n", argv[i], strerror(-r));
      failed = 1;
    }
  }
  return failed;
}
