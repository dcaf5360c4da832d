/* Independent work on 1 or 2 threads: two hash chains of STEPS steps each (50,000,000 unless
 * the second argument says otherwise), computed by one spawned thread (both chains, one
 * after the other) or two (one chain each), as the first argument says; the main thread waits
 * for them and prints each chain's end. The output is the same for 1 and 2 threads; with 2,
 * an engine that runs threads in parallel takes half the time. Built as threads.c is (see
 * README.md): the threads are started with `wasi.thread-spawn` directly, each on a stack of
 * its own. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHAINS 2
#define STACK_SIZE 8192

int32_t thread_spawn(void *start_arg) __attribute__((import_module("wasi"), import_name("thread-spawn")));

struct start {
    uintptr_t stack_top;
    int first, last; /* the chains this thread computes: first .. last - 1 */
};

static uint64_t steps = 50000000;
static uint64_t ends[CHAINS];
static int32_t finished; /* threads done */

/* A chain of multiply-add-xorshift steps from `x`: each step needs the one before. */
static uint64_t chain(uint64_t x) {
    for (uint64_t i = 0; i < steps; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        x ^= x >> 29;
    }
    return x;
}

static void work(const struct start *start) {
    for (int c = start->first; c < start->last; c++)
        ends[c] = chain((uint64_t)c + 1);
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
    __builtin_wasm_memory_atomic_notify(&finished, 1);
}

/* What thread-spawn runs in the new thread: move to the thread's own stack, then work. */
__attribute__((export_name("wasi_thread_start"))) void wasi_thread_start(int32_t tid, struct start *start) {
    (void)tid;
    __asm__ volatile(".globaltype __stack_pointer, i32\n"
                     "local.get %0\n"
                     "global.set __stack_pointer\n" ::"r"(start->stack_top));
    work(start);
}

int main(int argc, char **argv) {
    static struct start starts[CHAINS];
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (argc > 2)
        steps = strtoull(argv[2], NULL, 10);
    if (threads != 1 && threads != CHAINS) {
        printf("usage: chains.wasm [1|2] [steps]\n");
        return 2;
    }
    for (int t = 0; t < threads; t++) {
        char *stack = malloc(STACK_SIZE);
        starts[t].stack_top = ((uintptr_t)stack + STACK_SIZE) & ~(uintptr_t)15;
        starts[t].first = threads == 1 ? 0 : t;
        starts[t].last = threads == 1 ? CHAINS : t + 1;
        if (stack == NULL || thread_spawn(&starts[t]) < 0) {
            printf("thread-spawn failed\n");
            return 1;
        }
    }
    int32_t done;
    while ((done = __atomic_load_n(&finished, __ATOMIC_SEQ_CST)) < threads)
        __builtin_wasm_memory_atomic_wait32(&finished, done, -1);
    for (int c = 0; c < CHAINS; c++)
        printf("chain %d: %" PRIu64 "\n", c, ends[c]);
    return 0;
}
