/* Exercise the filesystem below the directory given as argv[1] (a preopen, empty at start)
   and print what is observed: only things that are the same on every host (no inode
   numbers, timestamps or directory sizes). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[256];

static const char *at(const char *name) {
    static char path[2][512];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/%s", base, name);
    return path[which];
}

static void check(const char *what, int result) {
    if (result < 0)
        printf("%s: error %s\n", what, strerror(errno));
    else
        printf("%s: ok\n", what);
}

static int compare(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *name) {
    DIR *dir = opendir(at(name));
    if (!dir) {
        printf("opendir %s: error %s\n", name, strerror(errno));
        return;
    }
    char *names[64];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) && count < 64) {
        const char *kind = entry->d_type == DT_DIR ? "dir" : entry->d_type == DT_REG ? "file" : entry->d_type == DT_LNK ? "link" : "other";
        char *line = malloc(strlen(entry->d_name) + 8);
        sprintf(line, "%s %s", entry->d_name, kind);
        names[count++] = line;
    }
    closedir(dir);
    qsort(names, (size_t)count, sizeof names[0], compare);
    printf("listing %s:", name);
    for (int i = 0; i < count; i++) {
        printf(" [%s]", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void describe(const char *name, int follow) {
    struct stat st;
    int r = follow ? stat(at(name), &st) : lstat(at(name), &st);
    if (r < 0) {
        printf("%s %s: error %s\n", follow ? "stat" : "lstat", name, strerror(errno));
        return;
    }
    const char *kind = S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : S_ISLNK(st.st_mode) ? "link" : "other";
    if (S_ISDIR(st.st_mode))
        printf("%s %s: %s\n", follow ? "stat" : "lstat", name, kind);
    else
        printf("%s %s: %s size=%lld nlink=%llu\n", follow ? "stat" : "lstat", name, kind, (long long)st.st_size,
               (unsigned long long)st.st_nlink);
}

int main(int argc, char **argv) {
    snprintf(base, sizeof base, "%s", argc > 1 ? argv[1] : ".");
    check("mkdir a", mkdir(at("a"), 0755));
    check("mkdir a/b", mkdir(at("a/b"), 0755));
    check("mkdir a again", mkdir(at("a"), 0755));
    check("mkdir missing/x", mkdir(at("missing/x"), 0755));

    FILE *f = fopen(at("a/hello.txt"), "w");
    printf("fopen w: %s\n", f ? "ok" : strerror(errno));
    fprintf(f, "hello, world\nsecond line\n");
    fclose(f);

    int fd = open(at("a/hello.txt"), O_RDWR);
    char buf[128];
    ssize_t n = read(fd, buf, 5);
    printf("read 5: %zd \"%.*s\"\n", n, (int)n, buf);
    printf("lseek cur: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("lseek set 7: %lld\n", (long long)lseek(fd, 7, SEEK_SET));
    n = read(fd, buf, sizeof buf);
    printf("read rest: %zd \"%.*s\"\n", n, (int)n - 1, buf);
    printf("lseek end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
    printf("lseek bad: %lld %s\n", (long long)lseek(fd, -100, SEEK_SET), strerror(errno));
    printf("pwrite: %zd\n", pwrite(fd, "HELLO", 5, 0));
    n = pread(fd, buf, 12, 0);
    printf("pread: %zd \"%.*s\"\n", n, (int)n, buf);
    printf("ftruncate 5: %d\n", ftruncate(fd, 5));
    close(fd);
    describe("a/hello.txt", 1);

    fd = open(at("a/log.txt"), O_WRONLY | O_CREAT | O_APPEND, 0644);
    write(fd, "one\n", 4);
    lseek(fd, 0, SEEK_SET);
    write(fd, "two\n", 4);
    close(fd);
    fd = open(at("a/log.txt"), O_RDONLY);
    n = read(fd, buf, sizeof buf);
    printf("append log: %zd \"%.*s\"\n", n, (int)n - 1, buf);
    printf("write to read-only fd: %zd %s\n", write(fd, "x", 1), strerror(errno));
    close(fd);

    fd = open(at("a/new.txt"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    printf("create excl: %s\n", fd >= 0 ? "ok" : strerror(errno));
    close(fd);
    fd = open(at("a/new.txt"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    printf("create excl again: %s\n", fd >= 0 ? "ok" : strerror(errno));
    fd = open(at("a/nothere.txt"), O_RDONLY);
    printf("open missing: %s\n", fd >= 0 ? "ok" : strerror(errno));
    fd = open(at("a/hello.txt/x"), O_RDONLY);
    printf("open through file: %s\n", fd >= 0 ? "ok" : strerror(errno));
    fd = open(at("a"), O_WRONLY);
    printf("open dir for writing: %s\n", fd >= 0 ? "ok" : strerror(errno));

    check("rename new.txt -> b/moved.txt", rename(at("a/new.txt"), at("a/b/moved.txt")));
    check("rename missing", rename(at("a/new.txt"), at("a/b/x.txt")));
    check("link hello -> b/hard", link(at("a/hello.txt"), at("a/b/hard")));
    describe("a/hello.txt", 1);
    check("symlink ../hello.txt -> b/soft", symlink("../hello.txt", at("a/b/soft")));
    check("symlink dangling", symlink("nowhere", at("a/dangling")));
    ssize_t len = readlink(at("a/b/soft"), buf, sizeof buf);
    printf("readlink b/soft: %zd \"%.*s\"\n", len, (int)(len > 0 ? len : 0), buf);
    len = readlink(at("a/hello.txt"), buf, sizeof buf);
    printf("readlink regular: %zd %s\n", len, strerror(errno));
    describe("a/b/soft", 0);
    describe("a/b/soft", 1);
    describe("a/dangling", 0);
    describe("a/dangling", 1);
    f = fopen(at("a/b/soft"), "r");
    if (f && fgets(buf, sizeof buf, f))
        printf("read through symlink: \"%s\"\n", buf);
    if (f)
        fclose(f);

    list("a");
    list("a/b");
    list("a/nothere");

    check("rmdir non-empty", rmdir(at("a/b")));
    check("unlink dir", unlink(at("a/b")));
    check("unlink b/soft", unlink(at("a/b/soft")));
    check("unlink b/hard", unlink(at("a/b/hard")));
    check("unlink b/moved.txt", unlink(at("a/b/moved.txt")));
    check("rmdir b", rmdir(at("a/b")));
    check("unlink dangling", unlink(at("a/dangling")));
    check("unlink missing", unlink(at("a/dangling")));
    list("a");
    check("escape with ..", open(at("../outside"), O_RDONLY));
    check("escape absolute", open("/etc/passwd", O_RDONLY));
    return 0;
}
