// free: print how much physical memory is free, in pages and KiB.
#include "apps/user.h"

#define PAGEKIB 4   // a page is 4096 bytes

// free: display free memory
// usage: free
int
main(void)
{
  int n = freemem();

  if(n < 0){
    fprintf(2, "free: %s\n", strerror(-n));
    return 1;
  }
  printf("free: %d pages, %d KiB\n", n, n * PAGEKIB);
  return 0;
}
