/*
 * CRC-32 of the zlib polynomial, so Python's zlib.crc32 computes the same values (the build
 * uses it). Blobs are verified on every read, so this is on the import path.
 */
#include "launcher.h"

#include <stdlib.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

/* With AVX-512 and VPCLMULQDQ it folds 256 bytes per step, with PCLMULQDQ 64 bytes per
 * step (14.5 GB/s here, docs/benchmarks.md), otherwise it uses slice-by-8 tables
 * (2.2 GB/s). The functions take and return the raw (pre-inverted) state. */
static uint32_t pyox_crc_table[8][256];

static void pyox_crc_init_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        pyox_crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) {
            uint32_t prev = pyox_crc_table[t - 1][i];
            pyox_crc_table[t][i] = pyox_crc_table[0][prev & 0xFF] ^ (prev >> 8);
        }
    }
}

static uint32_t pyox_crc_tables(uint32_t c, const unsigned char *p, size_t n) {
    while (n >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo ^= c;
        c = pyox_crc_table[7][lo & 0xFF] ^ pyox_crc_table[6][(lo >> 8) & 0xFF] ^
            pyox_crc_table[5][(lo >> 16) & 0xFF] ^ pyox_crc_table[4][lo >> 24] ^
            pyox_crc_table[3][hi & 0xFF] ^ pyox_crc_table[2][(hi >> 8) & 0xFF] ^
            pyox_crc_table[1][(hi >> 16) & 0xFF] ^ pyox_crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = pyox_crc_table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c;
}

#if defined(__x86_64__)
/* Carry-less multiplication folding (Intel, "Fast CRC Computation for Generic Polynomials
 * Using PCLMULQDQ Instruction", 2009), with the bit-reflected constants of the zlib
 * polynomial as Chromium's zlib uses them. n >= 64 and a multiple of 16. */
static int pyox_crc_wide; /* whether the CPU (and the kernel) can run pyox_crc_fold_wide */

/* The same folding on sixteen 128-bit lanes at once: four 512-bit registers hold 256
 * bytes and fold 2048 bits ahead (constants x^2080 and x^2016 mod P, bit-reflected, as
 * k1 and k2 below are x^544 and x^480 for 512 bits). At the end the four registers fold
 * into the last one (512 bits apart), whose four lanes are the state pyox_crc_fold
 * continues from. n >= 256 and a multiple of 16; *bufp and *np move past what it read. */
#if defined(__clang__) && __clang_major__ >= 18 /* zig's clang: 512-bit registers are a feature */
#define PYOX_AVX512_TARGET "avx512f,evex512,vpclmulqdq"
#else
#define PYOX_AVX512_TARGET "avx512f,vpclmulqdq"
#endif
__attribute__((target(PYOX_AVX512_TARGET))) static void pyox_crc_fold_wide(
    uint32_t crc, const unsigned char **bufp, size_t *np, __m128i lanes[4]) {
    const unsigned char *buf = *bufp;
    size_t n = *np;
    const __m512i k2048 = _mm512_broadcast_i32x4(_mm_set_epi64x(0x1322d1430, 0x11542778a));
    const __m512i k512 = _mm512_broadcast_i32x4(_mm_set_epi64x(0x01c6e41596, 0x0154442bd4));
    __m512i z1 = _mm512_loadu_si512((const void *)(buf + 0));
    __m512i z2 = _mm512_loadu_si512((const void *)(buf + 64));
    __m512i z3 = _mm512_loadu_si512((const void *)(buf + 128));
    __m512i z4 = _mm512_loadu_si512((const void *)(buf + 192));
    z1 = _mm512_xor_si512(z1, _mm512_inserti32x4(_mm512_setzero_si512(),
                                                  _mm_cvtsi32_si128((int)crc), 0));
    buf += 256;
    n -= 256;
#define PYOX_FOLD512(z, k, next)                                                          \
    _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128((z), (k), 0x00),                    \
                              _mm512_clmulepi64_epi128((z), (k), 0x11), (next), 0x96)
    while (n >= 256) {
        z1 = PYOX_FOLD512(z1, k2048, _mm512_loadu_si512((const void *)(buf + 0)));
        z2 = PYOX_FOLD512(z2, k2048, _mm512_loadu_si512((const void *)(buf + 64)));
        z3 = PYOX_FOLD512(z3, k2048, _mm512_loadu_si512((const void *)(buf + 128)));
        z4 = PYOX_FOLD512(z4, k2048, _mm512_loadu_si512((const void *)(buf + 192)));
        buf += 256;
        n -= 256;
    }
    z2 = PYOX_FOLD512(z1, k512, z2);
    z3 = PYOX_FOLD512(z2, k512, z3);
    z4 = PYOX_FOLD512(z3, k512, z4);
#undef PYOX_FOLD512
    lanes[0] = _mm512_extracti32x4_epi32(z4, 0);
    lanes[1] = _mm512_extracti32x4_epi32(z4, 1);
    lanes[2] = _mm512_extracti32x4_epi32(z4, 2);
    lanes[3] = _mm512_extracti32x4_epi32(z4, 3);
    *bufp = buf;
    *np = n;
}

__attribute__((target("pclmul,sse4.1"))) static uint32_t pyox_crc_fold(uint32_t crc,
                                                                        const unsigned char *buf,
                                                                        size_t n) {
    static const uint64_t k1k2[2] __attribute__((aligned(16))) = {0x0154442bd4, 0x01c6e41596};
    static const uint64_t k3k4[2] __attribute__((aligned(16))) = {0x01751997d0, 0x00ccaa009e};
    static const uint64_t k5k0[2] __attribute__((aligned(16))) = {0x0163cd6124, 0};
    static const uint64_t poly[2] __attribute__((aligned(16))) = {0x01db710641, 0x01f7011641};
    __m128i x0, x1, x2, x3, x4, x5, x6, x7, x8;
    if (pyox_crc_wide && n >= 256) {
        __m128i lanes[4];
        pyox_crc_fold_wide(crc, &buf, &n, lanes);
        x1 = lanes[0];
        x2 = lanes[1];
        x3 = lanes[2];
        x4 = lanes[3];
    } else {
        x1 = _mm_loadu_si128((const __m128i *)(buf + 0));
        x2 = _mm_loadu_si128((const __m128i *)(buf + 16));
        x3 = _mm_loadu_si128((const __m128i *)(buf + 32));
        x4 = _mm_loadu_si128((const __m128i *)(buf + 48));
        x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
        buf += 64;
        n -= 64;
    }
    x0 = _mm_load_si128((const __m128i *)k1k2);
    while (n >= 64) { /* four independent 128-bit folds per step */
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x6 = _mm_clmulepi64_si128(x2, x0, 0x00);
        x7 = _mm_clmulepi64_si128(x3, x0, 0x00);
        x8 = _mm_clmulepi64_si128(x4, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x2 = _mm_clmulepi64_si128(x2, x0, 0x11);
        x3 = _mm_clmulepi64_si128(x3, x0, 0x11);
        x4 = _mm_clmulepi64_si128(x4, x0, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), _mm_loadu_si128((const __m128i *)(buf + 0)));
        x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), _mm_loadu_si128((const __m128i *)(buf + 16)));
        x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), _mm_loadu_si128((const __m128i *)(buf + 32)));
        x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), _mm_loadu_si128((const __m128i *)(buf + 48)));
        buf += 64;
        n -= 64;
    }
    x0 = _mm_load_si128((const __m128i *)k3k4); /* fold the four into one */
    __m128i rest[3] = {x2, x3, x4};
    for (int i = 0; i < 3; i++) {
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, rest[i]), x5);
    }
    while (n >= 16) {
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, _mm_loadu_si128((const __m128i *)buf)), x5);
        buf += 16;
        n -= 16;
    }
    /* 128 -> 64 bits, then Barrett reduction to 32. */
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
#endif

static int pyox_crc_folds; /* whether the CPU has PCLMULQDQ and SSE4.1 */

void pyox_crc_init(void) {
    pyox_crc_init_tables();
#if defined(__x86_64__)
    /* cpuid itself, not __builtin_cpu_supports(), which links a constructor from libgcc. */
    unsigned a, b, c, d;
    pyox_crc_folds = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_PCLMUL) && (c & bit_SSE4_1) &&
                     getenv("PYOXIDIZER_CRC_TABLES") == NULL;
    /* AVX-512 needs the kernel to save its registers too: XCR0 bits 1-2 and 5-7. */
    pyox_crc_wide = 0;
    if (pyox_crc_folds && (c & bit_OSXSAVE) && getenv("PYOXIDIZER_CRC_NO_AVX512") == NULL) {
        unsigned lo, hi;
        __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        (void)hi;
        pyox_crc_wide = (lo & 0xE6) == 0xE6 && __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
                        (b & bit_AVX512F) && (c & bit_VPCLMULQDQ);
    }
#endif
}

/* Continue a CRC-32 (raw state: start with 0xFFFFFFFF, finish with ~state). */
uint32_t pyox_crc_update(uint32_t state, const unsigned char *p, size_t n) {
#if defined(__x86_64__)
    if (pyox_crc_folds && n >= 64) {
        size_t folded = n & ~(size_t)15;
        state = pyox_crc_fold(state, p, folded);
        p += folded;
        n -= folded;
    }
#endif
    return pyox_crc_tables(state, p, n);
}

uint32_t pyox_crc32(const unsigned char *p, size_t n) {
    return ~pyox_crc_update(0xFFFFFFFFu, p, n);
}
