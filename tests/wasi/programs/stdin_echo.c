/* Copy stdin to stdout with read(2)/write(2), then report the byte count on stderr.
   With a terminal as stdin each line is echoed as soon as it is typed. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    char buf[4096];
    long total = 0;
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0) {
            perror("read");
            return 1;
        }
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(1, buf + done, (size_t)(n - done));
            if (w < 0) {
                perror("write");
                return 1;
            }
            done += w;
        }
        total += n;
    }
    fprintf(stderr, "echoed %ld bytes\n", total);
    return 0;
}
