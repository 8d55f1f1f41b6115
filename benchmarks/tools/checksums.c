/*
 * Checksum throughput, the numbers behind payload format 2's choice (docs/benchmarks.md,
 * "Checksums"). Build and run: benchmarks/checksums.sh, which links the launcher's own
 * checksum.c, so what is measured is what ships. Prints the best of REPS runs over a buffer
 * of N bytes for: zlib's crc32, the launcher's CRC-32 with its slice-by-8 tables
 * (PYOXIDIZER_CRC_TABLES=1), with PCLMULQDQ folding (PYOXIDIZER_CRC_NO_AVX512=1) and with
 * AVX-512 VPCLMULQDQ folding (where the CPU has it; otherwise the same as the previous), and
 * SSE4.2 CRC32C (one stream), after checking that the launcher's variants agree with zlib on
 * every length below 3000 and on the whole buffer.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

/* launcher/checksum.c */
void pyox_crc_init(void);
uint32_t pyox_crc32(const unsigned char *p, size_t n);

/* mode 0: AVX-512 where available, 1: tables, 2: 128-bit PCLMULQDQ folding. */
static uint32_t crc_launcher(int want, const unsigned char *p, size_t n) {
    static int mode = -1;
    if (mode != want) { /* pyox_crc_init reads the variables each time */
        if (want == 1) setenv("PYOXIDIZER_CRC_TABLES", "1", 1);
        else unsetenv("PYOXIDIZER_CRC_TABLES");
        if (want == 2) setenv("PYOXIDIZER_CRC_NO_AVX512", "1", 1);
        else unsetenv("PYOXIDIZER_CRC_NO_AVX512");
        pyox_crc_init();
        mode = want;
    }
    return pyox_crc32(p, n);
}

static uint32_t crc_zlib(const unsigned char *p, size_t n) { return (uint32_t)crc32(0, p, (uInt)n); }
static uint32_t crc_tables(const unsigned char *p, size_t n) { return crc_launcher(1, p, n); }
static uint32_t crc_fold(const unsigned char *p, size_t n) { return crc_launcher(2, p, n); }
static uint32_t crc_wide(const unsigned char *p, size_t n) { return crc_launcher(0, p, n); }
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
    for (size_t n = 0; n < 3000; n++) {
        uint32_t z = crc_zlib(buf + n % 7, n);
        if (crc_fold(buf + n % 7, n) != z || crc_tables(buf + n % 7, n) != z ||
            crc_wide(buf + n % 7, n) != z) {
            printf("mismatch at length %zu\n", n);
            return 1;
        }
    }
    if (crc_wide(buf, size) != crc_zlib(buf, size) || crc_fold(buf, size) != crc_zlib(buf, size)) {
        printf("mismatch at length %zu\n", size);
        return 1;
    }
    const char *names[] = {"zlib crc32", "CRC-32 slice-by-8", "CRC-32 PCLMULQDQ",
                           "CRC-32 AVX-512 VPCLMULQDQ", "CRC32C SSE4.2"};
    uint32_t (*functions[])(const unsigned char *, size_t) = {crc_zlib, crc_tables, crc_fold,
                                                              crc_wide, crc32c};
    for (int f = 0; f < 5; f++) {
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
