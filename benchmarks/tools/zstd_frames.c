/*
 * Decompresses a file of zstd frames the way the launcher does (one frame per entry, a
 * digested dictionary shared by all), so callgrind can count the instructions each set of
 * compression parameters costs at start-up. Written by benchmarks/tools/zstd_params.py:
 *   u32 dictionary length, dictionary, then (u32 raw length, u32 frame length, frame)*
 * all little-endian. Prints the number of frames and bytes; exits 1 on any error.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static uint32_t u32_at(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0) return 1;
    long size = ftell(f);
    rewind(f);
    unsigned char *buf = malloc((size_t)size);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) return 1;
    fclose(f);
    size_t at = 4 + u32_at(buf);
    ZSTD_DDict *dictionary = u32_at(buf) ? ZSTD_createDDict_byReference(buf + 4, u32_at(buf)) : NULL;
    ZSTD_DCtx *context = ZSTD_createDCtx();
    size_t frames = 0, bytes = 0;
    while (at + 8 <= (size_t)size) {
        uint32_t raw = u32_at(buf + at), stored = u32_at(buf + at + 4);
        at += 8;
        void *out = malloc(raw ? raw : 1);
        size_t got = dictionary
                         ? ZSTD_decompress_usingDDict(context, out, raw, buf + at, stored, dictionary)
                         : ZSTD_decompressDCtx(context, out, raw, buf + at, stored);
        if (ZSTD_isError(got) || got != raw) {
            fprintf(stderr, "frame %zu: %s\n", frames, ZSTD_getErrorName(got));
            return 1;
        }
        free(out);
        at += stored;
        frames++;
        bytes += raw;
    }
    printf("%zu frames, %zu bytes\n", frames, bytes);
    ZSTD_freeDCtx(context);
    ZSTD_freeDDict(dictionary);
    free(buf);
    return 0;
}
