/*
 * Checksum throughput, the numbers behind payload format 2's choice (docs/benchmarks.md,
 * "Checksums"). Build and run: benchmarks/checksums.sh. Prints the best of REPS runs over
 * a buffer of N bytes for: zlib's crc32, the launcher's slice-by-8 CRC-32 tables, the
 * launcher's PCLMULQDQ folding of the same CRC-32, and SSE4.2 CRC32C (one stream), after
 * checking that both CRC-32 implementations agree with zlib on every length below 3000.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static uint32_t table[8][256];

static void init_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) table[t][i] = table[0][table[t - 1][i] & 0xFF] ^ (table[t - 1][i] >> 8);
    }
}

static uint32_t slice8(uint32_t c, const unsigned char *p, size_t n) {
    while (n >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo ^= c;
        c = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^
            table[4][lo >> 24] ^ table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^
            table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c;
}

/* The launcher's pyox_crc_fold (launcher/launcher.c), n >= 64 and a multiple of 16. */
__attribute__((target("pclmul,sse4.1"))) static uint32_t fold(uint32_t crc, const unsigned char *buf, size_t n) {
    static const uint64_t k1k2[2] __attribute__((aligned(16))) = {0x0154442bd4, 0x01c6e41596};
    static const uint64_t k3k4[2] __attribute__((aligned(16))) = {0x01751997d0, 0x00ccaa009e};
    static const uint64_t k5k0[2] __attribute__((aligned(16))) = {0x0163cd6124, 0};
    static const uint64_t poly[2] __attribute__((aligned(16))) = {0x01db710641, 0x01f7011641};
    __m128i x0, x1, x2, x3, x4, x5, x6, x7, x8;
    x1 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)buf), _mm_cvtsi32_si128((int)crc));
    x2 = _mm_loadu_si128((const __m128i *)(buf + 16));
    x3 = _mm_loadu_si128((const __m128i *)(buf + 32));
    x4 = _mm_loadu_si128((const __m128i *)(buf + 48));
    x0 = _mm_load_si128((const __m128i *)k1k2);
    for (buf += 64, n -= 64; n >= 64; buf += 64, n -= 64) {
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x6 = _mm_clmulepi64_si128(x2, x0, 0x00);
        x7 = _mm_clmulepi64_si128(x3, x0, 0x00);
        x8 = _mm_clmulepi64_si128(x4, x0, 0x00);
        x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, x0, 0x11), x5), _mm_loadu_si128((const __m128i *)buf));
        x2 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x2, x0, 0x11), x6), _mm_loadu_si128((const __m128i *)(buf + 16)));
        x3 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x3, x0, 0x11), x7), _mm_loadu_si128((const __m128i *)(buf + 32)));
        x4 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x4, x0, 0x11), x8), _mm_loadu_si128((const __m128i *)(buf + 48)));
    }
    x0 = _mm_load_si128((const __m128i *)k3k4);
    __m128i rest[3] = {x2, x3, x4};
    for (int i = 0; i < 3; i++) {
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, x0, 0x11), rest[i]), x5);
    }
    for (; n >= 16; buf += 16, n -= 16) {
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, x0, 0x11), _mm_loadu_si128((const __m128i *)buf)), x5);
    }
    x2 = _mm_clmulepi64_si128(x1, x0, 0x10);
    x3 = _mm_setr_epi32(~0, 0, ~0, 0);
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
    x0 = _mm_loadl_epi64((const __m128i *)k5k0);
    x2 = _mm_srli_si128(x1, 4);
    x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, x3), x0, 0x00), x2);
    x0 = _mm_load_si128((const __m128i *)poly);
    x2 = _mm_clmulepi64_si128(_mm_and_si128(x1, x3), x0, 0x10);
    x2 = _mm_clmulepi64_si128(_mm_and_si128(x2, x3), x0, 0x00);
    return (uint32_t)_mm_extract_epi32(_mm_xor_si128(x1, x2), 1);
}

static uint32_t crc_zlib(const unsigned char *p, size_t n) { return (uint32_t)crc32(0, p, (uInt)n); }
static uint32_t crc_tables(const unsigned char *p, size_t n) { return ~slice8(0xFFFFFFFFu, p, n); }
static uint32_t crc_fold(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    if (n >= 64) {
        size_t k = n & ~(size_t)15;
        c = fold(c, p, k);
        p += k;
        n -= k;
    }
    return ~slice8(c, p, n);
}
__attribute__((target("sse4.2"))) static uint32_t crc32c(const unsigned char *p, size_t n) {
    uint64_t c = 0xFFFFFFFFu;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
    }
    while (n--) c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    size_t size = argc > 1 ? strtoul(argv[1], NULL, 0) : 44000000;
    size_t reps = argc > 2 ? strtoul(argv[2], NULL, 0) : 15;
    unsigned char *buf = malloc(size + 64);
    for (size_t i = 0; i < size + 64; i++) buf[i] = (unsigned char)((i * 2654435761u) >> 13);
    init_tables();
    for (size_t n = 0; n < 3000; n++) {
        uint32_t z = crc_zlib(buf + n % 7, n);
        if (crc_fold(buf + n % 7, n) != z || crc_tables(buf + n % 7, n) != z) {
            printf("mismatch at length %zu\n", n);
            return 1;
        }
    }
    const char *names[] = {"zlib crc32", "CRC-32 slice-by-8", "CRC-32 PCLMULQDQ", "CRC32C SSE4.2"};
    uint32_t (*functions[])(const unsigned char *, size_t) = {crc_zlib, crc_tables, crc_fold, crc32c};
    for (int f = 0; f < 4; f++) {
        double best = 1e9;
        volatile uint32_t sink = 0;
        for (size_t r = 0; r < reps; r++) {
            double t = now();
            sink ^= functions[f](buf, size);
            t = now() - t;
            best = t < best ? t : best;
        }
        printf("| %s | %zu | %.3f ms | %.2f GB/s |\n", names[f], size, best * 1e3, (double)size / best / 1e9);
    }
    free(buf);
    return 0;
}
