/* Four threads add to one counter under a mutex; the main thread waits for them and prints
 * the total. Built for wasm32-wasi with a shared memory (see README.md): zig's bundled
 * wasi-libc has no pthreads, so the threads are started with wasi-threads' `wasi.thread-spawn`
 * directly, each on a stack of its own, and the mutex is a futex made of atomics and
 * memory.atomic.wait32/notify. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 4
#define ADDS 1000
#define STACK_SIZE 8192

int32_t thread_spawn(void *start_arg) __attribute__((import_module("wasi"), import_name("thread-spawn")));

struct start {
    uintptr_t stack_top;
    long step;
};

static int32_t mutex;     /* 0 free, 1 held, 2 held and someone may wait */
static int32_t finished;  /* threads done */
static long counter;

static void lock(void) {
    int32_t state = 0;
    if (__atomic_compare_exchange_n(&mutex, &state, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return;
    if (state != 2)
        state = __atomic_exchange_n(&mutex, 2, __ATOMIC_SEQ_CST);
    while (state != 0) {
        __builtin_wasm_memory_atomic_wait32(&mutex, 2, -1);
        state = __atomic_exchange_n(&mutex, 2, __ATOMIC_SEQ_CST);
    }
}

static void unlock(void) {
    if (__atomic_exchange_n(&mutex, 0, __ATOMIC_SEQ_CST) == 2)
        __builtin_wasm_memory_atomic_notify(&mutex, 1);
}

static void add(long step) {
    for (int i = 0; i < ADDS; i++) {
        lock();
        counter += step;
        unlock();
    }
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
    __builtin_wasm_memory_atomic_notify(&finished, 1);
}

/* What thread-spawn runs in the new thread: move to the thread's own stack, then work. */
__attribute__((export_name("wasi_thread_start"))) void wasi_thread_start(int32_t tid, struct start *start) {
    (void)tid;
    __asm__ volatile(".globaltype __stack_pointer, i32\n"
                     "local.get %0\n"
                     "global.set __stack_pointer\n" ::"r"(start->stack_top));
    add(start->step);
}

int main(void) {
    static struct start starts[THREADS];
    for (int t = 0; t < THREADS; t++) {
        char *stack = malloc(STACK_SIZE);
        starts[t].stack_top = ((uintptr_t)stack + STACK_SIZE) & ~(uintptr_t)15;
        starts[t].step = t + 1;
        if (stack == NULL || thread_spawn(&starts[t]) < 0) {
            printf("thread-spawn failed\n");
            return 1;
        }
    }
    int32_t done;
    while ((done = __atomic_load_n(&finished, __ATOMIC_SEQ_CST)) < THREADS)
        __builtin_wasm_memory_atomic_wait32(&finished, done, -1);
    printf("total: %ld (expected %d)\n", counter, ADDS * (1 + 2 + 3 + 4));
    return 0;
}
