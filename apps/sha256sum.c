// sha256sum: print the SHA-256 digest of each file, as coreutils does
// ("HASH  name"), written from FIPS 180-4 sections 4.1.2, 4.2.2, 5.1.1,
// 5.3.3 and 6.2 (apps/sha256.c). No -c (checking a list) and no binary/text modes: there
// is no difference between them here.
#include "apps/user.h"
#include "apps/sha256.h"

static uint8 buf[16384];

// Prints fd's digest under name. Returns 0, or 1 after reporting a read error.
static int
sum(int fd, const char *name)
{
  struct sha256 s;
  uint8 d[32];
  char hex[65];
  int i, n;

  sha256_init(&s);
  while((n = read(fd, buf, sizeof(buf))) > 0)
    sha256_update(&s, buf, n);
  if(n < 0){
    fprintf(2, "sha256sum: %s: %s\n", name, strerror(-n));
    return 1;
  }
  sha256_final(&s, d);
  for(i = 0; i < 32; i++){
    hex[2*i] = "0123456789abcdef"[d[i] >> 4];
    hex[2*i+1] = "0123456789abcdef"[d[i] & 15];
  }
  hex[64] = 0;
  printf("%s  %s\n", hex, name);
  return 0;
}

// sha256sum: print SHA-256 (256-bit) checksums
// usage: sha256sum [file ...]
// With no file, or where a file is "-", reads standard input.
// Exit status 1 if any file could not be read.
int
main(int argc, char *argv[])
{
  int i, fd, failed = 0;

  if(argc > 1 && argv[1][0] == '-' && argv[1][1] != 0 && strcmp(argv[1], "--") != 0){
    fprintf(2, "sha256sum: unknown option %s\nusage: sha256sum [file ...]\n", argv[1]);
    return 1;
  }
  i = (argc > 1 && strcmp(argv[1], "--") == 0) ? 2 : 1;
  if(i >= argc)
    return sum(0, "-");
  for(; i < argc; i++){
    if(strcmp(argv[i], "-") == 0){
      failed |= sum(0, "-");
      continue;
    }
    if((fd = open(argv[i], O_RDONLY)) < 0){
      fprintf(2, "sha256sum: %s: %s\n", argv[i], strerror(-fd));
      failed = 1;
      continue;
    }
    failed |= sum(fd, argv[i]);
    close(fd);
  }
  return failed;
}
