// cat: copy files, or standard input, to standard output.
#include "apps/user.h"

static char buf[1024];

// Copies fd to fd 1. Returns 0, or 1 after reporting an error.
static int
cat(int fd, const char *name)
{
  int n, w, off;

  while((n = read(fd, buf, sizeof(buf))) > 0){
    for(off = 0; off < n; off += w){
      if((w = write(1, buf + off, n - off)) <= 0){
        fprintf(2, "cat: write: %s\n", strerror(w < 0 ? -w : EIO));
        return 1;
      }
    }
  }
  if(n < 0){
    fprintf(2, "cat: %s: %s\n", name, strerror(-n));
    return 1;
  }
  return 0;
}

// cat: concatenate files
// usage: cat [file ...]
int
main(int argc, char *argv[])
{
  int fd, i, failed = 0;

  if(argc < 2)
    return cat(0, "stdin");
  for(i = 1; i < argc; i++){
    if((fd = open(argv[i], O_RDONLY)) < 0){
      fprintf(2, "cat: %s: %s\n", argv[i], strerror(-fd));
      failed = 1;
      continue;
    }
    failed |= cat(fd, argv[i]);
    close(fd);
  }
  return failed;
}
