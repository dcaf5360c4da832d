/* Print every environment variable in the order given, then look two up. */
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(void) {
    int count = 0;
    for (char **e = environ; *e; e++, count++)
        printf("env[%d]=\"%s\"\n", count, *e);
    printf("count=%d\n", count);
    const char *home = getenv("HOME");
    printf("HOME=%s\n", home ? home : "(unset)");
    const char *missing = getenv("WASMKIT_SURELY_UNSET");
    printf("WASMKIT_SURELY_UNSET=%s\n", missing ? missing : "(unset)");
    return 0;
}
