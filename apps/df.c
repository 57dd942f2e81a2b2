// df: report the file system's size and free space, as Debian's df
// does, in 1 KiB blocks (-i: inodes instead). There is one file system,
// mounted at /; each file named must exist, and gets a line of its own.
// Blocks in use include the file system's own: log, inodes, bitmap.
#include "apps/user.h"
#include "kernel/fs.h"

static int iflag;

// Use%, rounded up as df rounds it: any use at all shows as 1%.
static uint
percent(uint used, uint total)
{
  if(total == 0)
    return 0;
  return (used * 100ULL + total - 1) / total;
}

static void
header(void)
{
  if(iflag)
    printf("Filesystem     Inodes  IUsed  IFree IUse%% Mounted on\n");
  else
    printf("Filesystem  1K-blocks     Used Available Use%% Mounted on\n");
}

// One line for the file system holding path. Returns 0, or 1 with a
// message if path cannot be looked up.
static int
report(char *path)
{
  struct statfs st;
  uint64 kib, freekib;
  int r;

  if((r = statfs(path, &st)) < 0){
    fprintf(2, "df: %s: %s\n", path, strerror(-r));
    return 1;
  }
  if(iflag){
    printf("disk       %10d %6d %6d %4d%% /\n", st.files, st.files - st.ffree,
           st.ffree, percent(st.files - st.ffree, st.files));
    return 0;
  }
  kib = (uint64)st.blocks * st.bsize / 1024;
  freekib = (uint64)st.bfree * st.bsize / 1024;
  printf("disk       %10ld %8ld %9ld %3d%% /\n", kib, kib - freekib, freekib,
         percent(kib - freekib, kib));
  return 0;
}

// df: report file system disk space usage
// usage: df [-i] [file ...]
int
main(int argc, char *argv[])
{
  int c, i, status = 0, printed = 0;

  while((c = getopt(argc, argv, "i")) != -1){
    switch(c){
    case 'i':
      iflag = 1;
      break;
    default:
      fprintf(2, "usage: df [-i] [file ...]\n");
      exit(1);
    }
  }
  if(optind == argc){
    header();
    exit(report("/"));
  }
  for(i = optind; i < argc; i++){
    struct statfs st;
    // like Debian's df, the header comes only if a line follows it.
    if(!printed && statfs(argv[i], &st) == 0){
      header();
      printed = 1;
    }
    status |= report(argv[i]);
  }
  exit(status);
}
