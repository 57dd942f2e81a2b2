// POSIX getopt(3): short options only, grouped ("-ab"), with arguments
// attached ("-ofile") or following ("-o file"). Scanning stops at the
// first non-option, at "-" alone, or after "--". No argument permuting,
// no long options.
#include "apps/user.h"

char *optarg;
int optind = 1;
int opterr = 1;
int optopt;

// Position inside the current grouped argument, so that "-abc" is
// handed out one letter per call. 0 means start a new argv element.
static int optpos;

static void
complain(char *const argv[], const char *what, int c)
{
  if(opterr)
    fprintf(2, "%s: %s -- %c\n", argv[0], what, c);
}

// Returns the next option letter, '?' for an unknown one or a missing
// argument (':' instead for the latter if optstring starts with ':'),
// or -1 when the options are over; optind then indexes the first operand.
int
getopt(int argc, char *const argv[], const char *optstring)
{
  char *arg;
  const char *spec;
  int c, quiet = (optstring[0] == ':');

  optarg = 0;
  if(optpos == 0){
    if(optind >= argc || argv[optind] == 0)
      return -1;
    arg = argv[optind];
    if(arg[0] != '-' || arg[1] == 0)
      return -1;
    if(strcmp(arg, "--") == 0){
      optind++;
      return -1;
    }
    optpos = 1;
  }
  arg = argv[optind];
  c = arg[optpos++];
  optopt = c;
  spec = (c == ':') ? 0 : strchr(optstring + quiet, c);
  if(spec == 0){
    if(!quiet)
      complain(argv, "illegal option", c);
    if(arg[optpos] == 0){
      optind++;
      optpos = 0;
    }
    return '?';
  }
  if(spec[1] == ':'){
    if(arg[optpos] != 0){
      optarg = arg + optpos;
      optind++;
    } else if(optind + 1 < argc){
      optarg = argv[optind + 1];
      optind += 2;
    } else {
      optind++;
      optpos = 0;
      if(quiet)
        return ':';
      complain(argv, "option requires an argument", c);
      return '?';
    }
    optpos = 0;
    return c;
  }
  if(arg[optpos] == 0){
    optind++;
    optpos = 0;
  }
  return c;
}
