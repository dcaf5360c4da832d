/* Trap in the way the first argument names, after printing (and flushing) one line:
   unreachable, oob (a load far past the end of memory), divzero, stack (endless recursion). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile int zero = 0;
static volatile int seven = 7;

__attribute__((noinline)) static int recurse(volatile int *depth) {
    volatile char frame[256];
    frame[0] = (char)*depth;
    *depth += 1;
    return recurse(depth) + frame[0];
}

int main(int argc, char **argv) {
    const char *how = argc > 1 ? argv[1] : "unreachable";
    printf("about to trap: %s\n", how);
    fflush(stdout);
    if (strcmp(how, "oob") == 0) {
        volatile uint32_t *far = (volatile uint32_t *)(uintptr_t)0xfffffff0u;
        return (int)*far;
    }
    if (strcmp(how, "divzero") == 0)
        return seven / zero;
    if (strcmp(how, "stack") == 0) {
        volatile int depth = 0;
        return recurse(&depth);
    }
    __builtin_trap();
}
