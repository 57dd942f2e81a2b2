// touch: create empty files. Existing files are left as they are:
// there are no timestamps to update.
#include "apps/user.h"

// touch: create files
// usage: touch file ...
int
main(int argc, char *argv[])
{
  int i, fd, failed = 0;

  if(argc < 2){
    fprintf(2, "usage: touch file ...\n");
    return 1;
  }
  for(i = 1; i < argc; i++){
    if((fd = open(argv[i], O_CREATE | O_RDWR)) < 0){
      fprintf(2, "touch: %s: %s\n", argv[i], strerror(-fd));
      failed = 1;
      continue;
    }
    close(fd);
  }
  return failed;
}
