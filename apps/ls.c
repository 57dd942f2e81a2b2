// ls: list files. For each directory operand, one line per entry; for
// any other operand, one line for the file itself. Each line holds the
// name, type (1 dir, 2 file, 3 device), inode number and size in bytes.
#include "apps/user.h"
#include "kernel/param.h"
#include "kernel/fs.h"

static int failed;

// Prints one line; name need not be NUL-terminated within DIRSIZ.
static void
entry(const char *name, int namelen, struct stat *st)
{
  printf("%-*.*s %d %d %lu\n", DIRSIZ, namelen, name, st->type, st->ino,
         (unsigned long)st->size);
}

static void
listdir(int fd, const char *path)
{
  char buf[MAXPATH];
  struct dirent de;
  struct stat st;
  int n, plen, r;

  plen = strlen(path);
  if(plen + 1 + DIRSIZ + 1 > (int)sizeof(buf)){
    fprintf(2, "ls: %s: %s\n", path, strerror(ENAMETOOLONG));
    failed = 1;
    return;
  }
  strcpy(buf, path);
  buf[plen] = '/';
  while((n = read(fd, &de, sizeof(de))) == sizeof(de)){
    if(de.inum == 0)
      continue;
    memmove(buf + plen + 1, de.name, DIRSIZ);
    buf[plen + 1 + DIRSIZ] = 0;
    if((r = stat(buf, &st)) < 0){
      fprintf(2, "ls: %s: %s\n", buf, strerror(-r));
      failed = 1;
      continue;
    }
    entry(de.name, strlen(buf + plen + 1), &st);
  }
  if(n < 0){
    fprintf(2, "ls: %s: %s\n", path, strerror(-n));
    failed = 1;
  }
}

static void
ls(const char *path)
{
  struct stat st;
  int fd, r;

  if((fd = open(path, O_RDONLY)) < 0){
    fprintf(2, "ls: %s: %s\n", path, strerror(-fd));
    failed = 1;
    return;
  }
  if((r = fstat(fd, &st)) < 0){
    fprintf(2, "ls: %s: %s\n", path, strerror(-r));
    failed = 1;
  } else if(st.type == T_DIR){
    listdir(fd, path);
  } else {
    entry(path, strlen(path), &st);
  }
  close(fd);
}

// ls: list directory contents
// usage: ls [file ...]
int
main(int argc, char *argv[])
{
  int i;

  if(argc < 2)
    ls(".");
  for(i = 1; i < argc; i++)
    ls(argv[i]);
  return failed;
}
