// init: the first user process. Opens the console as fds 0, 1 and 2,
// starts netd (the network's default responder) and runs the shell,
// starting a new one whenever it exits, and netd again if it dies. Orphans are
// reparented to init by the kernel; waiting here is what reaps them.
#include "apps/user.h"

#define CONSOLE 1   // the console's major device number

static char *shargv[] = { "sh", 0 };

// Start a program in the background. Returns its pid or -1.
static int
spawn(char **argv)
{
  int pid = fork();

  if(pid < 0){
    fprintf(2, "init: fork: %s\n", strerror(-pid));
    return -1;
  }
  if(pid == 0){
    pid = exec(argv[0], argv);
    fprintf(2, "init: exec %s: %s\n", argv[0], strerror(-pid));
    exit(1);
  }
  return pid;
}

// Start a daemon and wait (up to 2 s) until it says it is answering, by
// a byte on the pipe whose end it is given after flag, so the shell starts
// on a settled machine: tests that count free pages, or ping us, at once,
// see netd's and httpd's channels (httpd's payload cache too) already there.
static int
startready(char *prog, char *flag)
{
  int p[2], pid;
  char fdarg[8], c;
  struct pollfd pf;
  char *argv[] = { prog, flag, fdarg, 0 };

  if(pipe(p) < 0)
    return -1;
  snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
  pid = spawn(argv);
  close(p[1]);
  pf.fd = p[0];
  pf.events = POLLIN;
  if(pid > 0 && poll(&pf, 1, 2000) == 1)
    read(p[0], &c, 1);
  close(p[0]);
  return pid;
}

static int
startnetd(void)
{
  return startready("netd", "-r");
}

// Opens /console as fd 0, making the device node first on a fresh disk.
static void
console_open(void)
{
  int fd;

  if((fd = open("console", O_RDWR)) < 0){
    mknod("console", CONSOLE, 0);
    fd = open("console", O_RDWR);
  }
  if(fd < 0)
    exit(1);   // nowhere to even say so
  dup(fd);     // stdout
  dup(fd);     // stderr
}

// init: start the console shell and keep it running
// usage: init
int
main(void)
{
  int pid, wpid, netd, started = 0;

  console_open();
  netd = startnetd();
  startready("httpd", "-w");   // the web server (port 80, /www), in the background
  for(;;){
    printf(started ? "init: restarting sh\n" : "init: starting sh\n");
    started = 1;
    pid = fork();
    if(pid < 0){
      fprintf(2, "init: fork: %s\n", strerror(-pid));
      sleep(1000);
      continue;
    }
    if(pid == 0){
      pid = exec("sh", shargv);
      fprintf(2, "init: exec sh: %s\n", strerror(-pid));
      exit(1);
    }
    // Reap everything until the shell itself is gone.
    for(;;){
      wpid = wait(0);
      if(wpid == pid)
        break;
      if(wpid == netd){
        fprintf(2, "init: netd exited, restarting it\n");
        sleep(1000);
        netd = startnetd();
      }
      if(wpid < 0){
        fprintf(2, "init: wait: %s\n", strerror(-wpid));
        break;
      }
    }
  }
}
