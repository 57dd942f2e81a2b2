// wc: count lines, words and bytes. A word is a maximal run of
// non-space characters. With more than one file, a total follows.
#include "apps/user.h"

static char buf[1024];

struct counts {
  uint64 lines, words, bytes;
};

// Adds fd's counts to c. Returns 0, or 1 after reporting a read error.
static int
wc(int fd, const char *name, struct counts *c)
{
  int i, n, inword = 0;

  while((n = read(fd, buf, sizeof(buf))) > 0){
    c->bytes += n;
    for(i = 0; i < n; i++){
      if(buf[i] == '\n')
        c->lines++;
      if(isspace(buf[i]))
        inword = 0;
      else if(!inword){
        c->words++;
        inword = 1;
      }
    }
  }
  if(n < 0){
    fprintf(2, "wc: %s: %s\n", name, strerror(-n));
    return 1;
  }
  return 0;
}

// name is NULL for standard input.
static void
show(struct counts *c, const char *name)
{
  if(name)
    printf("%lu %lu %lu %s\n", c->lines, c->words, c->bytes, name);
  else
    printf("%lu %lu %lu\n", c->lines, c->words, c->bytes);
}

// wc: word, line and byte count
// usage: wc [file ...]
int
main(int argc, char *argv[])
{
  struct counts c, total;
  int fd, i, failed = 0;

  memset(&total, 0, sizeof(total));
  if(argc < 2){
    memset(&c, 0, sizeof(c));
    failed = wc(0, "stdin", &c);
    show(&c, 0);
    return failed;
  }
  for(i = 1; i < argc; i++){
    if((fd = open(argv[i], O_RDONLY)) < 0){
      fprintf(2, "wc: %s: %s\n", argv[i], strerror(-fd));
      failed = 1;
      continue;
    }
    memset(&c, 0, sizeof(c));
    failed |= wc(fd, argv[i], &c);
    close(fd);
    show(&c, argv[i]);
    total.lines += c.lines;
    total.words += c.words;
    total.bytes += c.bytes;
  }
  if(argc > 2)
    show(&total, "total");
  return failed;
}
