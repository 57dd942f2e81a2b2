// ln: make a hard link: new becomes another name for old's inode.
// No symbolic links.
#include "apps/user.h"

// ln: link files
// usage: ln old new
int
main(int argc, char *argv[])
{
  int r;

  if(argc != 3){
    fprintf(2, "usage: ln old new\n");
    return 1;
  }
  if((r = link(argv[1], argv[2])) < 0){
    fprintf(2, "ln: %s -> %s: %s\n", argv[2], argv[1], strerror(-r));
    return 1;
  }
  return 0;
}
