// grep: print the lines that match a pattern. The pattern language is
// the small one of Kernighan and Pike's "The Practice of Programming"
// (section 9.2): c a literal, . any character, ^ and $ anchors, and
// c* zero or more of the preceding. No classes, no escapes, no \| or +.
#include "apps/user.h"

static char buf[1024];

static int matchhere(const char *re, const char *text);

// c* at the start of text, then the rest of re: shortest match first.
static int
matchstar(int c, const char *re, const char *text)
{
  do {
    if(matchhere(re, text))
      return 1;
  } while(*text != 0 && (*text++ == c || c == '.'));
  return 0;
}

static int
matchhere(const char *re, const char *text)
{
  if(re[0] == 0)
    return 1;
  if(re[1] == '*')
    return matchstar(re[0], re + 2, text);
  if(re[0] == '$' && re[1] == 0)
    return *text == 0;
  if(*text != 0 && (re[0] == '.' || re[0] == *text))
    return matchhere(re + 1, text + 1);
  return 0;
}

// Does re match anywhere in text?
static int
match(const char *re, const char *text)
{
  if(re[0] == '^')
    return matchhere(re + 1, text);
  do {
    if(matchhere(re, text))
      return 1;
  } while(*text++ != 0);
  return 0;
}

// Prints line (len bytes, then a newline) if it matches, prefixed
// with name when there is one. Returns 1 on a match.
static int
consider(const char *re, char *line, int len, const char *name)
{
  char out[sizeof(buf) + 64];
  int room = sizeof(out) - sizeof(buf) - 2, n = 0;

  line[len] = 0;
  if(!match(re, line))
    return 0;
  // Built up and written at once, to keep the line whole on the console.
  if(name)
    n = snprintf(out, room, "%s:", name);
  if(n > room - 1)
    n = room - 1;   // a very long file name is cut short
  memmove(out + n, line, len);
  out[n + len] = '\n';
  write(1, out, n + len + 1);
  return 1;
}

// Greps fd. A line longer than the buffer is matched in pieces.
// Returns 1 if any line matched, 0 if none, -1 after a read error.
static int
grep(const char *re, int fd, const char *name)
{
  int n, i, start, have = 0, found = 0;

  while((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0){
    start = 0;
    for(i = have; i < have + n; i++){
      if(buf[i] == '\n'){
        found |= consider(re, buf + start, i - start, name);
        start = i + 1;
      }
    }
    have += n - start;
    memmove(buf, buf + start, have);
    if(have == sizeof(buf) - 1){
      found |= consider(re, buf, have, name);
      have = 0;
    }
  }
  if(n < 0){
    fprintf(2, "grep: %s: %s\n", name ? name : "stdin", strerror(-n));
    return -1;
  }
  if(have > 0)
    found |= consider(re, buf, have, name);
  return found;
}

// grep: search for a pattern
// usage: grep pattern [file ...]
int
main(int argc, char *argv[])
{
  int fd, i, r, found = 0, failed = 0;

  if(argc < 2){
    fprintf(2, "usage: grep pattern [file ...]\n");
    return 2;
  }
  if(argc == 2){
    r = grep(argv[1], 0, 0);
    return r < 0 ? 2 : !r;
  }
  for(i = 2; i < argc; i++){
    if((fd = open(argv[i], O_RDONLY)) < 0){
      fprintf(2, "grep: %s: %s\n", argv[i], strerror(-fd));
      failed = 1;
      continue;
    }
    r = grep(argv[1], fd, argc > 3 ? argv[i] : 0);
    if(r < 0)
      failed = 1;
    else
      found |= r;
    close(fd);
  }
  return failed ? 2 : !found;
}
