/* Try every way out of a preopened directory (and many lookups that stay inside) with raw
   wasi_snapshot_preview1 calls on fd 3, printing each errno. Run it with the tree that
   tests/wasi/trees.py `sandbox_tree` builds preopened as "/"; the host directory `outside`
   next to it must come out untouched. */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#define IMP(n) __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__(#n)))
int32_t r_path_open(int32_t fd, int32_t dirflags, const char* p, int32_t plen, int32_t oflags, int64_t base, int64_t inh, int32_t fdflags, int32_t* out) IMP(path_open);
int32_t r_path_filestat_get(int32_t fd, int32_t flags, const char* p, int32_t plen, void* out) IMP(path_filestat_get);
int32_t r_path_symlink(const char* o, int32_t olen, int32_t fd, const char* n, int32_t nlen) IMP(path_symlink);
int32_t r_path_rename(int32_t fd, const char* o, int32_t olen, int32_t nfd, const char* n, int32_t nlen) IMP(path_rename);
int32_t r_path_link(int32_t fd, int32_t flags, const char* o, int32_t olen, int32_t nfd, const char* n, int32_t nlen) IMP(path_link);
int32_t r_path_create_directory(int32_t fd, const char* p, int32_t plen) IMP(path_create_directory);
int32_t r_path_remove_directory(int32_t fd, const char* p, int32_t plen) IMP(path_remove_directory);
int32_t r_path_unlink_file(int32_t fd, const char* p, int32_t plen) IMP(path_unlink_file);
int32_t r_path_readlink(int32_t fd, const char* p, int32_t plen, char* buf, int32_t blen, int32_t* out) IMP(path_readlink);
int32_t r_path_filestat_set_times(int32_t fd, int32_t flags, const char* p, int32_t plen, int64_t a, int64_t m, int32_t fl) IMP(path_filestat_set_times);
int32_t r_fd_close(int32_t fd) IMP(fd_close);

static int fd = 3;
static void open_(const char* label, const char* p, int len, int follow, int oflags, int64_t base) {
  int32_t out = -1;
  int e = r_path_open(fd, follow, p, len, oflags, base, 0, 0, &out);
  printf("path_open %s -> %d\n", label, e);
  if (e == 0) r_fd_close(out);
}
#define OPEN(p, follow) open_(#p " follow=" #follow, p, strlen(p), follow, 0, 2)
int main(void) {
  char buf[256]; int32_t n; char st[64];
  OPEN("../outside/secret.txt", 0);
  OPEN("/outside/secret.txt", 0);
  OPEN("/file.txt", 0);
  OPEN("link_out", 1);
  OPEN("link_out", 0);
  OPEN("abs_link", 1);
  OPEN("loop1", 1);
  OPEN("self", 1);
  OPEN("dotdot_link/outside/secret.txt", 1);
  OPEN("dotdot_link/outside/secret.txt", 0);
  OPEN("sub/up/file.txt", 1);
  OPEN("sub/up/file.txt", 0);
  OPEN("sub/up/../outside/secret.txt", 1);
  OPEN("", 0);
  OPEN(".", 0);
  OPEN("..", 0);
  OPEN("sub/..", 0);
  OPEN("sub/../..", 0);
  OPEN("file.txt/", 0);
  OPEN("file.txt/.", 0);
  OPEN("file.txt/..", 0);
  OPEN("nonexist/..", 0);
  OPEN("missing.txt", 0);
  OPEN("sub/missing/x", 0);
  OPEN("file.txt/x", 0);
  OPEN("link_file", 1);
  OPEN("link_file/", 1);
  OPEN("link_file/", 0);
  OPEN("link_sub/", 0);
  OPEN("link_sub/.", 0);
  OPEN("dangling", 1);
  OPEN("dangling", 0);
  open_("NUL in path", "file.txt\0x", 10, 0, 0, 2);
  open_("trailing NUL", "file.txt\0", 9, 0, 0, 2);
  open_("bad utf8", "fil\xff.txt", 8, 0, 0, 2);
  open_("creat dangling follow", "dangling", 8, 1, 1, 2|64);
  open_("creat dangling nofollow", "dangling", 8, 0, 1, 2|64);
  open_("creat excl existing", "file.txt", 8, 0, 1|4, 2|64);
  open_("creat excl link_file follow", "link_file", 9, 1, 1|4, 2|64);
  open_("directory on file", "file.txt", 8, 0, 2, 2);
  open_("directory+creat", "newdir", 6, 0, 2|1, 2);
  open_("dir write", "sub", 3, 0, 0, 2|64);
  open_("dir . write", ".", 1, 0, 2, 2|64);
  open_("trunc dir", "sub", 3, 0, 8, 2);
  open_("creat on dir", "sub", 3, 0, 1, 2);
  open_("creat trailing slash", "newfile/", 8, 0, 1, 2|64);
  open_("creat in missing dir", "nodir/newfile", 13, 0, 1, 2|64);
#define FS(p, f) printf("path_filestat_get %s f=%d -> %d\n", p, f, r_path_filestat_get(fd, f, p, strlen(p), st))
  FS("..", 0); FS("../outside", 0); FS("sub/../..", 0); FS("sub/up/..", 1); FS("sub/up/..", 0); FS("link_out", 0); FS("link_out", 1); FS("loop1", 0); FS("loop1", 1); FS("", 0); FS("/", 0); FS(".", 0); FS("abs_link", 0); FS("abs_link", 1); FS("dangling", 1);
  FS("file.txt/", 0); FS("link_sub/", 0); FS("link_file/", 0);
#define SYM(o, nn) printf("path_symlink %s -> %s : %d\n", o, nn, r_path_symlink(o, strlen(o), fd, nn, strlen(nn)))
  SYM("../outside/secret.txt", "guest_link"); OPEN("guest_link", 1);
  SYM("/etc/passwd", "guest_abs"); OPEN("guest_abs", 1);
  SYM("x", "../escape_link"); SYM("x", "/abs_name"); SYM("", "empty_target"); SYM("x", "file.txt"); SYM("x", "newlink/"); SYM("x", "sub/");
#define REN(o, nn) printf("path_rename %s -> %s : %d\n", o, nn, r_path_rename(fd, o, strlen(o), fd, nn, strlen(nn)))
  REN("file2.txt", "../moved.txt"); REN("../outside/secret.txt", "stolen.txt"); REN("file2.txt", "/moved.txt"); REN("link_out", "renamed_link"); REN("renamed_link", "link_out");
  REN("file2.txt", "sub"); REN("sub", "file2.txt"); REN("sub", "sub/inner"); REN(".", "x"); REN("file2.txt", "."); REN("missing", "x"); REN("file2.txt/", "x");
#define LNK(f, o, nn) printf("path_link %s -> %s f=%d: %d\n", o, nn, f, r_path_link(fd, f, o, strlen(o), fd, nn, strlen(nn)))
  LNK(0, "file.txt", "../hard.txt"); LNK(0, "../outside/secret.txt", "hard2.txt"); LNK(0, "link_out", "hard3.txt"); LNK(1, "link_out", "hard4.txt"); LNK(1, "file.txt", "hard5.txt"); LNK(0, "sub", "hard6"); LNK(0, "file.txt", "file2.txt"); LNK(0, "missing", "x");
#define MK(p) printf("path_create_directory %s : %d\n", p, r_path_create_directory(fd, p, strlen(p)))
  MK("../newdir"); MK("/newdir"); MK("sub"); MK("file.txt"); MK(""); MK("."); MK("newd/"); MK("a/b"); MK("link_sub");
#define RM(p) printf("path_remove_directory %s : %d\n", p, r_path_remove_directory(fd, p, strlen(p)))
  RM(".."); RM("."); RM("../outside"); RM("file.txt"); RM("missing"); RM("notempty"); RM("link_sub"); RM("link_sub/"); RM(""); RM("newd/");
#define UL(p) printf("path_unlink_file %s : %d\n", p, r_path_unlink_file(fd, p, strlen(p)))
  UL("../outside/secret.txt"); UL("sub"); UL("sub/"); UL("missing"); UL("."); UL("file.txt/"); UL("link_sub"); UL("");
#define RL(p, bl) do { n = -1; int e = r_path_readlink(fd, p, strlen(p), buf, bl, &n); printf("path_readlink %s bl=%d : %d n=%d '%.*s'\n", p, bl, e, n, n > 0 ? n : 0, buf); } while (0)
  RL("link_out", 100); RL("link_out", 5); RL("file.txt", 100); RL("missing", 100); RL("../x", 100); RL("link_sub/", 100); RL("", 100); RL("link_out", 0);
  printf("set_times .. : %d\n", r_path_filestat_set_times(fd, 0, "../outside/secret.txt", 21, 0, 0, 2));
  printf("set_times both : %d\n", r_path_filestat_set_times(fd, 0, "file.txt", 8, 0, 0, 3));
  return 0;
}
