/* Allocate 64 MiB, touch every page, and print a checksum that depends on all of it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SIZE (64u * 1024u * 1024u)

int main(void) {
    uint8_t *block = malloc(SIZE);
    if (!block) {
        printf("malloc failed\n");
        return 1;
    }
    for (uint32_t i = 0; i < SIZE; i += 4096)
        block[i] = (uint8_t)(i >> 12);
    block[SIZE - 1] = 0x5a;
    uint32_t sum = 0;
    for (uint32_t i = 0; i < SIZE; i += 4096)
        sum = sum * 31u + block[i];
    sum += block[SIZE - 1];
    printf("allocated %u bytes, checksum %u\n", SIZE, sum);
    free(block);
    return 0;
}
