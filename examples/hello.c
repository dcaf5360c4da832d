// A WASI program for `make demo`: greets, lists its arguments, and counts primes.
// Build: python -m ziglang cc -target wasm32-wasi -O2 -s hello.c -o hello.wasm
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int count_primes(int limit) {
  char *composite = calloc(limit + 1, 1);
  int count = 0;
  for (int i = 2; i <= limit; i++) {
    if (composite[i]) continue;
    count++;
    for (long j = (long)i * i; j <= limit; j += i) composite[j] = 1;
  }
  free(composite);
  return count;
}

int main(int argc, char **argv) {
  const char *name = argc > 1 ? argv[1] : "world";
  printf("Hello, %s, from WebAssembly!\n", name);
  for (int i = 0; i < argc; i++) printf("  argv[%d] = %s\n", i, argv[i]);
  const char *user = getenv("USER");
  printf("  USER is %s\n", user ? user : "not set (pass it with --env USER)");
  printf("  there are %d primes below 100000\n", count_primes(100000));
  return 0;
}
