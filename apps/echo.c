// echo: write the arguments, separated by spaces, and a newline.
// The whole line goes out in one write(), so it is not split up by
// other processes writing to the same console.
#include "apps/user.h"

// echo: write arguments to standard output
// usage: echo [-n] [string ...]
int
main(int argc, char *argv[])
{
  int i, first = 1, nl = 1, len = 0, r;
  char *buf;

  if(argc > 1 && strcmp(argv[1], "-n") == 0){
    nl = 0;
    first = 2;
  }
  for(i = first; i < argc; i++)
    len += strlen(argv[i]) + 1;
  if((buf = malloc(len + 1)) == 0){
    fprintf(2, "echo: %s\n", strerror(ENOMEM));
    return 1;
  }
  len = 0;
  for(i = first; i < argc; i++){
    strcpy(buf + len, argv[i]);
    len += strlen(argv[i]);
    if(i + 1 < argc)
      buf[len++] = ' ';
  }
  if(nl)
    buf[len++] = '\n';
  if(len > 0 && (r = write(1, buf, len)) != len){
    fprintf(2, "echo: write: %s\n", strerror(r < 0 ? -r : EIO));
    return 1;
  }
  return 0;
}
