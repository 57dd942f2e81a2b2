// File-system system calls: argument checking, then calls into file.c
// and fs.c. Each returns >= 0 on success or -E* (errno.h).
// Does not do: rename, permissions.

#include "types.h"
#include "riscv.h"
#include "defs.h"
#include "param.h"
#include "errno.h"
#include "stat.h"
#include "spinlock.h"
#include "proc.h"
#include "fs.h"
#include "sleeplock.h"
#include "file.h"
#include "fcntl.h"

// Fetch the nth system call argument as a file descriptor. Sets *pfd
// and *pf (if not null). Returns 0 or -EBADF.
static int
argfd(int n, int *pfd, struct file **pf)
{
  int fd;
  struct file *f;

  argint(n, &fd);
  if(fd < 0 || fd >= NOFILE || (f=myproc()->ofile[fd]) == 0)
    return -EBADF;
  if(pfd)
    *pfd = fd;
  if(pf)
    *pf = f;
  return 0;
}

// Give f the lowest free descriptor of the current process.
// Returns it, or -EMFILE; on success the descriptor owns the
// caller's reference to f.
int
fdalloc(struct file *f)
{
  int fd;
  struct proc *p = myproc();

  for(fd = 0; fd < NOFILE; fd++){
    if(p->ofile[fd] == 0){
      p->ofile[fd] = f;
      return fd;
    }
  }
  return -EMFILE;
}

// Fetch the nth argument as a path into buf (MAXPATH bytes).
// Returns its length, -ENAMETOOLONG or -EFAULT.
static int
argpath(int n, char *buf)
{
  uint64 addr;
  int r;

  argaddr(n, &addr);
  if((r = fetchstr(addr, buf, MAXPATH)) >= 0)
    return r;
  // fetchstr does not say why it failed: if MAXPATH bytes are
  // readable, none of them was the NUL.
  if(copyin(myproc()->pagetable, buf, addr, MAXPATH) == 0)
    return -ENAMETOOLONG;
  return -EFAULT;
}

uint64
sys_dup(void)
{
  struct file *f;
  int fd, err;

  if((err = argfd(0, 0, &f)) < 0)
    return err;
  if((fd = fdalloc(f)) < 0)
    return fd;
  filedup(f);
  return fd;
}

uint64
sys_read(void)
{
  struct file *f;
  int n, err;
  uint64 p;

  argaddr(1, &p);
  argint(2, &n);
  if((err = argfd(0, 0, &f)) < 0)
    return err;
  if(n < 0)
    return -EINVAL;
  return fileread(f, p, n);
}

uint64
sys_write(void)
{
  struct file *f;
  int n, err;
  uint64 p;

  argaddr(1, &p);
  argint(2, &n);
  if((err = argfd(0, 0, &f)) < 0)
    return err;
  if(n < 0)
    return -EINVAL;
  return filewrite(f, p, n);
}

uint64
sys_close(void)
{
  int fd, err;
  struct file *f;

  if((err = argfd(0, &fd, &f)) < 0)
    return err;
  myproc()->ofile[fd] = 0;
  fileclose(f);
  return 0;
}

uint64
sys_fstat(void)
{
  struct file *f;
  uint64 st; // user pointer to struct stat
  int err;

  argaddr(1, &st);
  if((err = argfd(0, 0, &f)) < 0)
    return err;
  return filestat(f, st);
}

// Create the path new as a link to the same inode as old.
uint64
sys_link(void)
{
  char name[DIRSIZ], new[MAXPATH], old[MAXPATH];
  struct inode *dp, *ip;
  int err;

  if((err = argpath(0, old)) < 0 || (err = argpath(1, new)) < 0)
    return err;

  begin_op();
  if((ip = namelookup(old, 0, name, &err)) == 0){
    end_op();
    return err;
  }

  ilock(ip);
  if(ip->type == T_DIR){
    // links to directories would make the tree a graph.
    iunlockput(ip);
    end_op();
    return -EPERM;
  }

  ip->nlink++;
  iupdate(ip);
  iunlock(ip);

  if((dp = namelookup(new, 1, name, &err)) == 0)
    goto bad;
  ilock(dp);
  if(dp->dev != ip->dev){
    err = -EXDEV;
    iunlockput(dp);
    goto bad;
  }
  if((err = dirlink(dp, name, ip->inum)) < 0){
    iunlockput(dp);
    goto bad;
  }
  iunlockput(dp);
  iput(ip);

  end_op();

  return 0;

bad:
  ilock(ip);
  ip->nlink--;
  iupdate(ip);
  iunlockput(ip);
  end_op();
  return err;
}

// Is the directory dp empty except for "." and ".."?
static int
isdirempty(struct inode *dp)
{
  int off;
  struct dirent de;

  for(off=2*sizeof(de); off<dp->size; off+=sizeof(de)){
    if(readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      panic("isdirempty: readi");
    if(de.inum != 0)
      return 0;
  }
  return 1;
}

uint64
sys_unlink(void)
{
  struct inode *ip, *dp;
  struct dirent de;
  char name[DIRSIZ], path[MAXPATH];
  uint off;
  int err;

  if((err = argpath(0, path)) < 0)
    return err;

  begin_op();
  if((dp = namelookup(path, 1, name, &err)) == 0){
    end_op();
    return err;
  }

  ilock(dp);

  // Cannot unlink "." or "..".
  if(namecmp(name, ".") == 0 || namecmp(name, "..") == 0){
    err = -EINVAL;
    goto bad;
  }

  if((ip = dirlookup(dp, name, &off)) == 0){
    err = -ENOENT;
    goto bad;
  }
  ilock(ip);

  if(ip->nlink < 1)
    panic("unlink: nlink < 1");
  if(ip->type == T_DIR && !isdirempty(ip)){
    iunlockput(ip);
    err = -ENOTEMPTY;
    goto bad;
  }

  memset(&de, 0, sizeof(de));
  if(writei(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
    panic("unlink: writei");
  if(ip->type == T_DIR){
    dp->nlink--;   // ip's ".." no longer names dp
    iupdate(dp);
  }
  iunlockput(dp);

  ip->nlink--;
  iupdate(ip);
  iunlockput(ip);

  end_op();

  return 0;

bad:
  iunlockput(dp);
  end_op();
  return err;
}

// Create path as a new inode of the given type, or, for T_FILE, open
// the existing file or device of that name. On success sets *ipp to the
// inode, locked and referenced, and returns 0; otherwise returns -E*:
// -EEXIST, -ENOENT/-ENOTDIR (parent), -ENOSPC (no inode or no room in
// the directory). Caller is inside a transaction.
static int
create(char *path, short type, short major, short minor, struct inode **ipp)
{
  struct inode *ip, *dp;
  char name[DIRSIZ];
  int err;

  if((dp = namelookup(path, 1, name, &err)) == 0)
    return err;

  ilock(dp);

  if((ip = dirlookup(dp, name, 0)) != 0){
    iunlockput(dp);
    ilock(ip);
    if(type == T_FILE && (ip->type == T_FILE || ip->type == T_DEVICE)){
      *ipp = ip;
      return 0;
    }
    iunlockput(ip);
    return -EEXIST;
  }

  if((ip = ialloc(dp->dev, type)) == 0){
    iunlockput(dp);
    return -ENOSPC;
  }

  ilock(ip);
  ip->major = major;
  ip->minor = minor;
  ip->nlink = 1;
  iupdate(ip);

  if(type == T_DIR){  // Create . and .. entries.
    // No ip->nlink++ for ".": avoid cyclic ref count.
    if((err = dirlink(ip, ".", ip->inum)) < 0 ||
       (err = dirlink(ip, "..", dp->inum)) < 0)
      goto fail;
  }

  if((err = dirlink(dp, name, ip->inum)) < 0)
    goto fail;

  if(type == T_DIR){
    // now that success is guaranteed:
    dp->nlink++;  // for ".."
    iupdate(dp);
  }

  iunlockput(dp);

  *ipp = ip;
  return 0;

 fail:
  // something went wrong. de-allocate ip.
  ip->nlink = 0;
  iupdate(ip);
  iunlockput(ip);
  iunlockput(dp);
  return err;
}

uint64
sys_open(void)
{
  char path[MAXPATH];
  int fd, omode, err;
  struct file *f;
  struct inode *ip;
  char name[DIRSIZ];

  argint(1, &omode);
  if((err = argpath(0, path)) < 0)
    return err;

  begin_op();

  if(omode & O_CREATE){
    if((err = create(path, T_FILE, 0, 0, &ip)) < 0){
      end_op();
      return err;
    }
  } else {
    if((ip = namelookup(path, 0, name, &err)) == 0){
      end_op();
      return err;
    }
    ilock(ip);
    if(ip->type == T_DIR && omode != O_RDONLY){
      iunlockput(ip);
      end_op();
      return -EISDIR;
    }
  }

  if(ip->type == T_DEVICE && (ip->major < 0 || ip->major >= NDEV)){
    iunlockput(ip);
    end_op();
    return -ENODEV;
  }

  if((f = filealloc()) == 0){
    iunlockput(ip);
    end_op();
    return -ENFILE;
  }
  if((fd = fdalloc(f)) < 0){
    fileclose(f);
    iunlockput(ip);
    end_op();
    return fd;
  }

  if(ip->type == T_DEVICE){
    f->type = FD_DEVICE;
    f->major = ip->major;
  } else {
    f->type = FD_INODE;
    f->off = 0;
  }
  f->ip = ip;
  f->readable = !(omode & O_WRONLY);
  f->writable = (omode & O_WRONLY) || (omode & O_RDWR);

  if((omode & O_TRUNC) && ip->type == T_FILE)
    itrunc(ip);

  iunlock(ip);
  end_op();

  return fd;
}

uint64
sys_mkdir(void)
{
  char path[MAXPATH];
  struct inode *ip;
  int err;

  if((err = argpath(0, path)) < 0)
    return err;
  begin_op();
  if((err = create(path, T_DIR, 0, 0, &ip)) < 0){
    end_op();
    return err;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

uint64
sys_mknod(void)
{
  struct inode *ip;
  char path[MAXPATH];
  int major, minor, err;

  argint(1, &major);
  argint(2, &minor);
  if((err = argpath(0, path)) < 0)
    return err;
  if(major < 0 || major >= NDEV)
    return -EINVAL;
  begin_op();
  if((err = create(path, T_DEVICE, major, minor, &ip)) < 0){
    end_op();
    return err;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

uint64
sys_chdir(void)
{
  char path[MAXPATH], name[DIRSIZ];
  struct inode *ip;
  struct proc *p = myproc();
  int err;

  if((err = argpath(0, path)) < 0)
    return err;
  begin_op();
  if((ip = namelookup(path, 0, name, &err)) == 0){
    end_op();
    return err;
  }
  ilock(ip);
  if(ip->type != T_DIR){
    iunlockput(ip);
    end_op();
    return -ENOTDIR;
  }
  iunlock(ip);
  iput(p->cwd);
  end_op();
  p->cwd = ip;
  return 0;
}

// exec(path, argv): copy path and the argument strings (each into a
// page of its own) into the kernel, then let kexec replace the process.
// Returns kexec's result (it does not return on success), -E2BIG for
// more than MAXARG arguments, or -EFAULT for a bad pointer.
uint64
sys_exec(void)
{
  char path[MAXPATH], *argv[MAXARG];
  int i, r;
  uint64 uargv, uarg;

  argaddr(1, &uargv);
  if((r = argpath(0, path)) < 0)
    return r;
  memset(argv, 0, sizeof(argv));
  for(i=0;; i++){
    if(i >= NELEM(argv)){
      r = -E2BIG;
      goto done;
    }
    if(fetchaddr(uargv+sizeof(uint64)*i, (uint64*)&uarg) < 0){
      r = -EFAULT;
      goto done;
    }
    if(uarg == 0){
      argv[i] = 0;
      break;
    }
    argv[i] = kalloc();
    if(argv[i] == 0){
      r = -ENOMEM;
      goto done;
    }
    if(fetchstr(uarg, argv[i], PGSIZE) < 0){
      r = -EFAULT;
      goto done;
    }
  }

  r = kexec(path, argv);

 done:
  for(i = 0; i < NELEM(argv) && argv[i] != 0; i++)
    kfree(argv[i]);
  return r;
}

uint64
sys_pipe(void)
{
  uint64 fdarray; // user pointer to array of two integers
  struct file *rf, *wf;
  int fd0, fd1, err;
  struct proc *p = myproc();

  argaddr(0, &fdarray);
  if((err = pipealloc(&rf, &wf)) < 0)
    return err;
  fd0 = -1;
  if((fd0 = fdalloc(rf)) < 0 || (fd1 = fdalloc(wf)) < 0){
    if(fd0 >= 0)
      p->ofile[fd0] = 0;
    fileclose(rf);
    fileclose(wf);
    return -EMFILE;
  }
  if(copyout(p->pagetable, fdarray, (char*)&fd0, sizeof(fd0)) < 0 ||
     copyout(p->pagetable, fdarray+sizeof(fd0), (char *)&fd1, sizeof(fd1)) < 0){
    p->ofile[fd0] = 0;
    p->ofile[fd1] = 0;
    fileclose(rf);
    fileclose(wf);
    return -EFAULT;
  }
  return 0;
}

// fscrash(n): power off after n more disk writes, for the crash
// recovery test; n < 0 disarms.
uint64
sys_fscrash(void)
{
  int n;

  argint(0, &n);
  virtio_disk_crashafter(n);
  return 0;
}

// lseek(fd, off, whence): move fd's offset (file.c's filelseek).
uint64
sys_lseek(void)
{
  struct file *f;
  uint64 off;
  int whence, err;

  argaddr(1, &off);
  argint(2, &whence);
  if((err = argfd(0, 0, &f)) < 0)
    return err;
  return filelseek(f, (long)off, whence);
}

// fsgen(): fs.c's fsgen. It cannot fail.
uint64
sys_fsgen(void)
{
  return fsgen();
}

// statfs(path, st): the size and free blocks and inodes of the file
// system holding path (there is one). Returns 0, -ENOENT (or another
// lookup error) for path, or -EFAULT for st.
uint64
sys_statfs(void)
{
  char path[MAXPATH], name[DIRSIZ];
  struct statfs st;
  struct inode *ip;
  uint64 addr;
  int err;

  argaddr(1, &addr);
  if((err = argpath(0, path)) < 0)
    return err;
  begin_op();
  ip = namelookup(path, 0, name, &err);
  if(ip)
    iput(ip);
  end_op();
  if(ip == 0)
    return err;
  fsstatfs(&st);
  if(copyout(myproc()->pagetable, addr, (char*)&st, sizeof(st)) < 0)
    return -EFAULT;
  return 0;
}
