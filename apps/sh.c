// sh: the shell. Reads a line, parses it into a small tree, runs it.
//
//   line     := list
//   list     := pipeline { (';' | '&') pipeline } [';' | '&']
//   pipeline := command { '|' command }
//   command  := '(' list ')' { redir } | { word | redir }
//   redir    := '<' word | '>' word | '>>' word
//
// Words may be quoted with '...' or "..." (no escapes inside); '#' at
// the start of a word begins a comment. Builtins: cd, exit. "$?" is the
// last command's exit status (0 to 255), outside '...'; there are no
// other variables, no globbing, signals or job control beyond '&'.
//
// ">>" appends: there is no O_APPEND or lseek, so the file is opened
// read-write and read to its end before the command writes to it.
#include "apps/user.h"
#include "kernel/param.h"

#define LINEMAX  512   // longest input line
#define NTOK     128   // most tokens in one line
#define NNODE     64   // most tree nodes in one line

// lex leaves this byte where a word said "$?": the status is read when
// the command runs, so that "cat nofile; echo $?" prints 1, not the status
// from before the line. A line holding the byte itself is refused.
#define STATUSMARK '\001'

// Token kinds; a one-character operator is its own character.
enum { T_END = 0, T_WORD = 'w', T_APPEND = 'A' };

struct token {
  int kind;
  char *word;   // T_WORD: the text, quotes removed
};

// Tree node kinds.
enum { N_EXEC, N_GROUP, N_PIPE, N_LIST, N_BACK };

struct node {
  int kind;
  char *argv[MAXARG + 1];   // N_EXEC
  int argc;
  char *in, *out;           // redirections, N_EXEC and N_GROUP
  int append;               // out was given with ">>"
  struct node *left;        // N_GROUP body; N_PIPE, N_LIST: first part; N_BACK: job
  struct node *right;       // N_PIPE, N_LIST: second part (may be NULL for N_LIST)
};

// All per-line state. Rebuilt for every line; nodes and words live here.
static struct token toks[NTOK];
static int ntok, tokpos;
static char words[LINEMAX * 2];
static struct node nodes[NNODE];
static int nnode;
static int scriptfd = -1;   // sh's own input when running a script file
static int status;          // exit status of the last foreground command, 0..255
static char xwords[LINEMAX * 4];  // one command's words with $? expanded
static int nxword;

static struct node *parse_list(void);
static int run(struct node *n);
static void runchild(struct node *n) __attribute__((noreturn));

// Copies one character of a word from p to *w, or the mark for "$?"
// if dollar allows it. Returns where the next character is.
static char*
lexchar(char *p, char **w, int dollar)
{
  if(dollar && p[0] == '$' && p[1] == '?'){
    *(*w)++ = STATUSMARK;
    return p + 2;
  }
  *(*w)++ = *p;
  return p + 1;
}

// Splits line into toks. Returns 0, or -1 after printing why not.
static int
lex(char *line)
{
  char *p = line, *w = words, q;

  ntok = 0;
  if(strchr(line, STATUSMARK)){
    fprintf(2, "sh: ^A in a line\n");   // it would read as "$?"
    return -1;
  }
  for(;;){
    while(isspace(*p))
      p++;
    if(*p == 0 || *p == '#')
      break;
    if(ntok == NTOK - 1){
      fprintf(2, "sh: too many words\n");
      return -1;
    }
    if(strchr("|&;<>()", *p)){
      if(p[0] == '>' && p[1] == '>'){
        toks[ntok++].kind = T_APPEND;
        p += 2;
      } else {
        toks[ntok++].kind = *p++;
      }
      continue;
    }
    toks[ntok].kind = T_WORD;
    toks[ntok++].word = w;
    while(*p && !isspace(*p) && !strchr("|&;<>()", *p)){
      if(*p == '\'' || *p == '"'){
        q = *p++;
        while(*p && *p != q)
          p = lexchar(p, &w, q == '"');
        if(*p == 0){
          fprintf(2, "sh: unmatched %c\n", q);
          return -1;
        }
        p++;
      } else {
        p = lexchar(p, &w, 1);
      }
    }
    *w++ = 0;
  }
  toks[ntok].kind = T_END;
  tokpos = 0;
  return 0;
}

static int
peek(void)
{
  return toks[tokpos].kind;
}

static struct node*
node_alloc(int kind)
{
  struct node *n;

  if(nnode == NNODE){
    fprintf(2, "sh: line too complex\n");
    return 0;
  }
  n = &nodes[nnode++];
  memset(n, 0, sizeof(*n));
  n->kind = kind;
  return n;
}

static void
syntax(void)
{
  static const char *names[] = { [T_END] "end of line", [T_APPEND] ">>" };
  int k = peek();

  if(k < (int)(sizeof(names)/sizeof(names[0])) && names[k])
    fprintf(2, "sh: syntax error near %s\n", names[k]);
  else if(k == T_WORD)
    fprintf(2, "sh: syntax error near %s\n", toks[tokpos].word);
  else
    fprintf(2, "sh: syntax error near %c\n", k);
}

// Parses a redirection at tokpos into n, if there is one.
// Returns 1 if one was taken, 0 if none is there, -1 on error.
static int
parse_redir(struct node *n)
{
  int k = peek();

  if(k != '<' && k != '>' && k != T_APPEND)
    return 0;
  tokpos++;
  if(peek() != T_WORD){
    syntax();
    return -1;
  }
  if(k == '<'){
    n->in = toks[tokpos++].word;
  } else {
    n->out = toks[tokpos++].word;
    n->append = (k == T_APPEND);
  }
  return 1;
}

static struct node*
parse_command(void)
{
  struct node *n;
  int r;

  if(peek() == '('){
    tokpos++;
    if((n = node_alloc(N_GROUP)) == 0 || (n->left = parse_list()) == 0)
      return 0;
    if(peek() != ')'){
      syntax();
      return 0;
    }
    tokpos++;
    while((r = parse_redir(n)) > 0)
      ;
    return r < 0 ? 0 : n;
  }
  if((n = node_alloc(N_EXEC)) == 0)
    return 0;
  for(;;){
    if((r = parse_redir(n)) < 0)
      return 0;
    if(r > 0)
      continue;
    if(peek() != T_WORD)
      break;
    if(n->argc == MAXARG){
      fprintf(2, "sh: too many arguments\n");
      return 0;
    }
    n->argv[n->argc++] = toks[tokpos++].word;
  }
  if(n->argc == 0 && n->in == 0 && n->out == 0){
    syntax();
    return 0;
  }
  return n;
}

static struct node*
parse_pipeline(void)
{
  struct node *n, *p;

  if((n = parse_command()) == 0)
    return 0;
  while(peek() == '|'){
    tokpos++;
    if((p = node_alloc(N_PIPE)) == 0)
      return 0;
    p->left = n;
    if((p->right = parse_command()) == 0)
      return 0;
    n = p;
  }
  return n;
}

// A list ends at the end of the line or at ')', which the caller takes.
static struct node*
parse_list(void)
{
  struct node *n, *l, *b;

  if((n = parse_pipeline()) == 0)
    return 0;
  while(peek() == ';' || peek() == '&'){
    if(peek() == '&'){
      if((b = node_alloc(N_BACK)) == 0)
        return 0;
      b->left = n;
      n = b;
    }
    tokpos++;
    if(peek() == T_END || peek() == ')')
      break;
    if((l = node_alloc(N_LIST)) == 0)
      return 0;
    l->left = n;
    if((l->right = parse_pipeline()) == 0)
      return 0;
    n = l;
  }
  return n;
}

// Parses line into *np. Returns 1, 0 for a line with no command, or -1
// after printing what is wrong with it.
static int
parse(char *line, struct node **np)
{
  nnode = 0;
  if(lex(line) < 0)
    return -1;
  if(peek() == T_END)
    return 0;
  if((*np = parse_list()) == 0)
    return -1;
  if(peek() != T_END){
    syntax();
    return -1;
  }
  return 1;
}

// Makes fd target refer to path opened with mode; with append, moves
// the offset to the end first. Child only: exits on failure.
static void
redirect(int target, char *path, int mode, int append)
{
  struct stat st;
  char buf[512];
  int fd;

  if((fd = open(path, mode)) < 0){
    fprintf(2, "sh: %s: %s\n", path, strerror(-fd));
    exit(1);
  }
  if(fd != target){
    // dup takes the lowest free descriptor, target once it is closed,
    // since the ones below it (0..2) are open.
    close(target);
    if(dup(fd) != target){
      fprintf(2, "sh: %s: cannot redirect fd %d\n", path, target);
      exit(1);
    }
    close(fd);
  }
  // No O_APPEND and no lseek: reach the end by reading to it. Only for
  // files; a device would block.
  if(append && fstat(target, &st) >= 0 && st.type == T_FILE)
    while(read(target, buf, sizeof(buf)) > 0)
      ;
}

static void
redirs(struct node *n)
{
  if(n->in)
    redirect(0, n->in, O_RDONLY, 0);
  if(n->out && n->append)
    redirect(1, n->out, O_RDWR | O_CREATE, 1);
  else if(n->out)
    redirect(1, n->out, O_WRONLY | O_CREATE | O_TRUNC, 0);
}

// Replaces *wp with a copy in xwords whose "$?" marks are the status,
// if it has any. Returns 0, or -1 if xwords is full (*wp kept).
static int
subst(char **wp)
{
  char num[12], *w = *wp;
  int n, start = nxword;

  if(w == 0 || strchr(w, STATUSMARK) == 0)
    return 0;
  snprintf(num, sizeof(num), "%d", status);
  n = strlen(num);
  for(; *w; w++){
    if(nxword + n + 1 >= (int)sizeof(xwords))
      return -1;
    if(*w == STATUSMARK){
      memmove(xwords + nxword, num, n);
      nxword += n;
    } else {
      xwords[nxword++] = *w;
    }
  }
  xwords[nxword++] = 0;
  *wp = xwords + start;
  return 0;
}

// Expands "$?" in n's words and redirections, just before it runs.
// Returns 0, or -1 after saying they do not fit.
static int
expand(struct node *n)
{
  int i, r;

  nxword = 0;
  r = subst(&n->in) | subst(&n->out);
  for(i = 0; i < n->argc; i++)
    r |= subst(&n->argv[i]);
  if(r < 0)
    fprintf(2, "sh: words too long\n");
  return r;
}

// wait() hands back the whole int a process gave exit(); a shell's
// status is its low 8 bits, as POSIX's WEXITSTATUS: exit(-1), and a
// kill or a fault (which the kernel reports as -1), read as 255.
static int
exitstatus(int st)
{
  return st & 0xff;
}

// cd and exit. Returns 1 if argv named a builtin (run, status set).
static int
builtin(char **argv)
{
  char *end;
  long v;
  int r;

  if(strcmp(argv[0], "cd") == 0){
    r = chdir(argv[1] ? argv[1] : "/");
    if(r < 0)
      fprintf(2, "cd: %s: %s\n", argv[1] ? argv[1] : "/", strerror(-r));
    status = r < 0;
    return 1;
  }
  if(strcmp(argv[0], "exit") == 0){
    if(argv[1] == 0)
      exit(status);
    v = strtol(argv[1], &end, 10);
    if(*argv[1] && *end == 0)
      exit(exitstatus(v));
    fprintf(2, "sh: exit: Illegal number: %s\n", argv[1]);
    status = 2;
    return 1;
  }
  return 0;
}

// Runs a program, trying "/name" too when a bare name is not in the
// current directory, so that commands still work after cd. Child only.
static void
execute(char **argv)
{
  char path[MAXPATH];
  int r;

  r = exec(argv[0], argv);
  if(r == -ENOENT && strchr(argv[0], '/') == 0 &&
     strlen(argv[0]) + 2 <= sizeof(path)){
    path[0] = '/';
    strcpy(path + 1, argv[0]);
    r = exec(path, argv);
  }
  // POSIX 2.8.2: 127 for a command not found, 126 for one found but
  // not run.
  if(r == -ENOENT){
    fprintf(2, "sh: %s: not found\n", argv[0]);
    exit(127);
  }
  fprintf(2, "sh: %s: %s\n", argv[0], strerror(-r));
  exit(126);
}

static int
xfork(void)
{
  int pid = fork();

  if(pid < 0)
    fprintf(2, "sh: fork: %s\n", strerror(-pid));
  else if(pid == 0 && scriptfd >= 0){
    close(scriptfd);   // the script is the shell's input, not the command's
    scriptfd = -1;
  }
  return pid;
}

// Waits for pid, reaping any finished background jobs on the way.
// Returns its exit status.
static int
waitfor(int pid)
{
  int w, st = 0;

  while((w = wait(&st)) >= 0)
    if(w == pid)
      return exitstatus(st);
  return 1;
}

// Waits for both halves of a pipe, in whichever order they finish.
// Returns the right one's status, as a pipeline's status is its last
// command's.
static int
waitpair(int left, int right)
{
  int w, st, rst = 1, n = (left > 0) + (right > 0);

  while(n > 0 && (w = wait(&st)) >= 0){
    if(w == right)
      rst = exitstatus(st);
    if(w == left || w == right)
      n--;
  }
  return right > 0 ? rst : 1;
}

// Runs n in this process, which is a child of the interactive shell.
// Never returns.
static void
runchild(struct node *n)
{
  int p[2], left, right, r;

  switch(n->kind){
  case N_EXEC:
    if(expand(n) < 0)
      exit(1);
    redirs(n);
    if(n->argc == 0)
      exit(0);
    if(builtin(n->argv))
      exit(status);
    execute(n->argv);
    break;
  case N_GROUP:
    if(expand(n) < 0)
      exit(1);
    redirs(n);
    exit(run(n->left));
  case N_PIPE:
    if((r = pipe(p)) < 0){
      fprintf(2, "sh: pipe: %s\n", strerror(-r));
      exit(1);
    }
    if((left = xfork()) == 0){
      close(1);
      dup(p[1]);
      close(p[0]);
      close(p[1]);
      runchild(n->left);
    }
    if((right = xfork()) == 0){
      close(0);
      dup(p[0]);
      close(p[0]);
      close(p[1]);
      runchild(n->right);
    }
    close(p[0]);
    close(p[1]);
    exit(waitpair(left, right));
  default:
    exit(run(n));
  }
  exit(1);
}

// Runs n from the shell itself: lists in order, '&' jobs without
// waiting, builtins in place, everything else in a waited-for child.
// Returns the exit status of the last command.
static int
run(struct node *n)
{
  int pid;

  switch(n->kind){
  case N_LIST:
    run(n->left);
    return n->right ? run(n->right) : status;
  case N_BACK:
    if((pid = xfork()) == 0)
      runchild(n->left);
    if(pid > 0)
      fprintf(2, "[%d]\n", pid);
    return status = (pid < 0);
  case N_EXEC:
    if(expand(n) < 0)
      return status = 1;
    if(n->argc > 0 && n->in == 0 && n->out == 0 && builtin(n->argv))
      return status;
    // fall through
  default:
    if((pid = xfork()) == 0)
      runchild(n);
    return status = (pid > 0 ? waitfor(pid) : 1);
  }
}

// Reads one line from fd into buf, a byte at a time so that nothing
// beyond the newline is taken from a shared input. Returns its length
// without the newline, or -1 at EOF with nothing read. An overlong
// line is consumed whole and reported.
static int
getline(int fd, char *buf, int max)
{
  int n = 0, over = 0;
  char c;

  for(;;){
    if(read(fd, &c, 1) != 1){
      if(n == 0 && !over)
        return -1;
      break;
    }
    if(c == '\n')
      break;
    if(n + 1 < max)
      buf[n++] = c;
    else
      over = 1;
  }
  buf[n] = 0;
  if(over){
    fprintf(2, "sh: line too long\n");
    buf[0] = 0;
    return 0;
  }
  return n;
}

// Runs one line. One that does not parse sets status 2, as a syntax
// error does in a POSIX shell.
static void
runline(char *line)
{
  struct node *n;
  int r;

  if((r = parse(line, &n)) > 0)
    run(n);
  else if(r < 0)
    status = 2;
}

// Runs each line of cmd in turn, for -c.
static void
runstring(char *cmd)
{
  static char line[LINEMAX];
  char *nl;
  int len;

  for(;;){
    nl = strchr(cmd, '\n');
    len = nl ? nl - cmd : strlen(cmd);
    if(len >= LINEMAX){
      fprintf(2, "sh: line too long\n");
      status = 2;
    } else {
      memmove(line, cmd, len);
      line[len] = 0;
      runline(line);
    }
    if(nl == 0)
      break;
    cmd = nl + 1;
  }
}

// sh: command interpreter
// usage: sh [-c command | script]
// Reads commands from the console, from script, or with -c from the
// argument. Exits with the last command's status.
int
main(int argc, char *argv[])
{
  static char line[LINEMAX];
  int fd = 0;

  if(argc > 1 && strcmp(argv[1], "-c") == 0){
    if(argc < 3){
      fprintf(2, "sh: -c requires an argument\n");
      exit(2);
    }
    runstring(argv[2]);
    exit(status);
  }
  if(argc > 1 && argv[1][0] == '-'){
    fprintf(2, "sh: illegal option %s\nusage: sh [-c command | script]\n", argv[1]);
    exit(2);
  }
  if(argc > 1){
    if((fd = open(argv[1], O_RDONLY)) < 0){
      fprintf(2, "sh: %s: %s\n", argv[1], strerror(-fd));
      exit(127);
    }
    scriptfd = fd;
  }
  for(;;){
    if(scriptfd < 0)
      write(2, "$ ", 2);
    if(getline(fd, line, sizeof(line)) < 0)
      break;
    runline(line);
  }
  exit(status);
}
