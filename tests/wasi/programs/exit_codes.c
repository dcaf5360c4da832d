/* Exit with the status given as the first argument, by returning from main (argument
   "return:N") or by calling exit (plain "N"); print a line first so flushing is seen too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: exit_codes [return:]STATUS\n");
        return 2;
    }
    const char *arg = argv[1];
    printf("exiting with %s\n", arg);
    if (strncmp(arg, "return:", 7) == 0)
        return atoi(arg + 7);
    exit(atoi(arg));
}
