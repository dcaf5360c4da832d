/* Clocks, sleeping and random bytes, printing only what is deterministic. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
    struct timespec res, a, b, wall;
    printf("monotonic res ok: %d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && (res.tv_sec > 0 || res.tv_nsec > 0));
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec nap = {0, 20 * 1000 * 1000};
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    int64_t slept = (int64_t)(b.tv_sec - a.tv_sec) * 1000000000 + (b.tv_nsec - a.tv_nsec);
    printf("slept at least 20ms: %d\n", slept >= 20 * 1000 * 1000);
    clock_gettime(CLOCK_REALTIME, &wall);
    printf("realtime after 2020: %d\n", wall.tv_sec > 1577836800);
    printf("time() agrees: %d\n", time(NULL) >= wall.tv_sec);
    uint8_t bytes[256];
    memset(bytes, 0, sizeof bytes);
    printf("random_get: %d\n", __wasi_random_get(bytes, sizeof bytes));
    int nonzero = 0;
    for (size_t i = 0; i < sizeof bytes; i++)
        nonzero += bytes[i] != 0;
    printf("random bytes mostly nonzero: %d\n", nonzero > 200);
    printf("sched_yield: %d\n", __wasi_sched_yield());
    return 0;
}
