/*
 * pyoxidizer launcher: the C entry point of every built executable.
 *
 * The executable is this program (statically linked against libpython) followed by a
 * payload and a fixed-size trailer. main() runs these steps, each a small static function
 * that returns < 0 after reporting its failure; one cleanup path ends them all:
 *
 *   1. open the running executable once (/proc/self/exe: the inode that runs, whatever is
 *      at its path later), read the trailer, the index and the header blobs with pread
 *      into private memory and verify them (sizes against the file, CRC-32);
 *   2. pre-initialise CPython, install the raw allocator the payload asks for, configure
 *      CPython from the payload header and run phase-1 initialisation (only builtin and
 *      frozen modules exist at this point);
 *   3. execute the bootstrap code objects, which install the in-memory importer;
 *   4. run phase-2 initialisation (encodings, io, ... are now imported from the payload);
 *   5. hand control to the bootstrap's run(), which executes the configured run mode; it
 *      may ask for the interactive loop, which C runs;
 *   6. finalise and return the exit code.
 *
 * The payload is never mapped: every blob is read with pread into private memory, verified
 * and, for shared objects, written to a memfd that is verified before it is dlopen()ed
 * (docs/payload-format.md, "Validation"). The _pyoxidizer builtin module below gives the
 * runtime these services, so loading an extension module never imports a Python module.
 *
 * The payload layout is defined in pyoxidizer/payload/format.py, which generates the
 * header included below. Every symbol here carries the pyox_ prefix.
 * Set PYOXIDIZER_LAUNCHER_DEBUG=1 to trace the steps on stderr.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
/* libzstd.a is linked statically, so its "static linking only" API is stable for us. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

/* The payload layout, generated from payload/format.py for each build of the launcher:
 * magic strings, sizes, field offsets (PYOX_<LAYOUT>_<FIELD>_AT), flags and codes. */
#include "pyoxidizer_format.h"

/* memfd_create(2) flags and fcntl(2) seals, for C libraries whose headers predate them. */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

typedef struct {
    uint32_t offset, length, crc;
} pyox_blob;

typedef struct {
    char exe[PATH_MAX];
    int fd;                  /* the running executable, opened once; -1 when not open */
    uint64_t file_size;
    uint64_t payload_offset; /* file offset of the payload */
    uint64_t payload_size;
    unsigned char *index; /* private, verified copy of the index (header, records, names) */
    uint64_t index_size;
    uint32_t entry_count;
    const unsigned char *records;
    const unsigned char *names;
    uint32_t *name_at; /* entry_count + 1 offsets of each record's name in names */
    uint32_t config_flags;
    uint32_t optimize_level;
    pyox_blob settings, bootstrap, stdio_encoding, main_code;
    unsigned char *settings_bytes; /* private, verified copies of two header blobs */
    char stdio_encoding_text[256];
    const char *raw_allocator; /* name of the allocator installed for PYMEM_DOMAIN_RAW */
    int starting; /* until run(): a damaged blob stops the process with one line */
    uint16_t *fd_loads; /* how often each descriptor number named a loaded object */
    size_t fd_loads_size;
} pyox_state;

static pyox_state pyox = {.fd = -1, .starting = 1};
static int pyox_debug;

#define PYOX_TRACE(...)                                   \
    do {                                                  \
        if (pyox_debug) {                                 \
            fprintf(stderr, "pyoxidizer-launcher: ");     \
            fprintf(stderr, __VA_ARGS__);                 \
            fputc('\n', stderr);                          \
        }                                                 \
    } while (0)

/* One error line, "<exe>: error: <message>". */
__attribute__((format(printf, 1, 2))) static void pyox_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", pyox.exe[0] ? pyox.exe : "pyoxidizer-app");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The same, ending with the reason errno gives: "...: No such file or directory (errno 2)". */
__attribute__((format(printf, 1, 2))) static void pyox_fail_errno(const char *fmt, ...) {
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", pyox.exe[0] ? pyox.exe : "pyoxidizer-app");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, ": %s (errno %d)\n", strerror(saved), saved);
    va_end(ap);
}

/* --- CRC-32 (zlib polynomial), so Python's zlib.crc32 computes the same values ---------
 * Blobs are verified on every read, so this is on the import path: with PCLMULQDQ it
 * folds 64 bytes per step (14.5 GB/s here, docs/benchmarks.md), otherwise slice-by-8
 * tables (2.2 GB/s). The functions take and return the raw (pre-inverted) state. */
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
__attribute__((target("pclmul,sse4.1"))) static uint32_t pyox_crc_fold(uint32_t crc,
                                                                        const unsigned char *buf,
                                                                        size_t n) {
    static const uint64_t k1k2[2] __attribute__((aligned(16))) = {0x0154442bd4, 0x01c6e41596};
    static const uint64_t k3k4[2] __attribute__((aligned(16))) = {0x01751997d0, 0x00ccaa009e};
    static const uint64_t k5k0[2] __attribute__((aligned(16))) = {0x0163cd6124, 0};
    static const uint64_t poly[2] __attribute__((aligned(16))) = {0x01db710641, 0x01f7011641};
    __m128i x0, x1, x2, x3, x4, x5, x6, x7, x8;
    x1 = _mm_loadu_si128((const __m128i *)(buf + 0));
    x2 = _mm_loadu_si128((const __m128i *)(buf + 16));
    x3 = _mm_loadu_si128((const __m128i *)(buf + 32));
    x4 = _mm_loadu_si128((const __m128i *)(buf + 48));
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
    x0 = _mm_load_si128((const __m128i *)k1k2);
    buf += 64;
    n -= 64;
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

static void pyox_crc_init(void) {
    pyox_crc_init_tables();
#if defined(__x86_64__)
    /* cpuid itself, not __builtin_cpu_supports(), which links a constructor from libgcc. */
    unsigned a, b, c, d;
    pyox_crc_folds = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_PCLMUL) && (c & bit_SSE4_1) &&
                     getenv("PYOXIDIZER_CRC_TABLES") == NULL;
#endif
}

/* Continue a CRC-32 (raw state: start with 0xFFFFFFFF, finish with ~state). */
static uint32_t pyox_crc_update(uint32_t state, const unsigned char *p, size_t n) {
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

static uint32_t pyox_crc32(const unsigned char *p, size_t n) {
    return ~pyox_crc_update(0xFFFFFFFFu, p, n);
}

static uint16_t pyox_u16(const unsigned char *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static uint32_t pyox_u32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t pyox_u64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* A blob reference is three u32 fields (offset, length, crc), in this order. */
static void pyox_blob_at(const unsigned char *p, pyox_blob *b) {
    b->offset = pyox_u32(p);
    b->length = pyox_u32(p + 4);
    b->crc = pyox_u32(p + 8);
}

static int pyox_blob_in_payload(const pyox_blob *b) {
    return (uint64_t)b->offset + b->length <= pyox.payload_size;
}

/* Read exactly n bytes at a payload offset. 0, or -1 with errno (EIO for a short file). */
static int pyox_pread_all(void *buf, size_t n, uint64_t payload_offset) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(pyox.fd, (char *)buf + done, n - done,
                          (off_t)(pyox.payload_offset + payload_offset + done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) {
            errno = EIO;
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

/* Outcome of reading a blob, so callers can word their own error. */
typedef enum { PYOX_READ_OK = 0, PYOX_READ_IO, PYOX_READ_NOMEM, PYOX_READ_CORRUPT } pyox_read;

/* A private, verified copy of a blob, NUL-terminated for convenience (free() it). */
static pyox_read pyox_blob_copy(const pyox_blob *b, unsigned char **out) {
    *out = NULL;
    if (!pyox_blob_in_payload(b)) return PYOX_READ_CORRUPT;
    unsigned char *buf = malloc((size_t)b->length + 1);
    if (!buf) return PYOX_READ_NOMEM;
    if (pyox_pread_all(buf, b->length, b->offset) != 0) {
        int saved = errno;
        free(buf);
        errno = saved;
        return PYOX_READ_IO;
    }
    if (pyox_crc32(buf, b->length) != b->crc) {
        free(buf);
        return PYOX_READ_CORRUPT;
    }
    buf[b->length] = '\0';
    *out = buf;
    return PYOX_READ_OK;
}

/* --- step 1: the executable, its trailer, index and header ------------------------------ */

/* Step 1a: open the running executable once. /proc/self/exe names the inode being run,
 * so an upgrade that renames a new file over the path cannot feed this process new bytes. */
static int pyox_open_self(void) {
    ssize_t n = readlink("/proc/self/exe", pyox.exe, sizeof(pyox.exe) - 1);
    if (n <= 0) {
        pyox.exe[0] = '\0';
        pyox_fail_errno("cannot resolve /proc/self/exe (is /proc mounted?)");
        return -1;
    }
    pyox.exe[n] = '\0';
    pyox.fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (pyox.fd < 0) {
        pyox_fail_errno("cannot open /proc/self/exe to read the embedded payload");
        return -1;
    }
    struct stat st;
    if (fstat(pyox.fd, &st) != 0) {
        pyox_fail_errno("cannot stat the executable");
        return -1;
    }
    pyox.file_size = (uint64_t)st.st_size;
    PYOX_TRACE("opened %s (%llu bytes)", pyox.exe, (unsigned long long)pyox.file_size);
    return 0;
}

/* Step 1b: the trailer. Every field is checked against the file size by subtraction, so
 * no sum can wrap around (2^64 - 4096 as an offset is just "does not match the file"). */
static int pyox_read_trailer(uint32_t *index_crc) {
    unsigned char t[PYOX_TRAILER_SIZE];
    if (pyox.file_size < PYOX_TRAILER_SIZE) {
        pyox_fail("embedded payload is missing or truncated (the file is too small)");
        return -1;
    }
    pyox.payload_offset = 0; /* the trailer is read at a file offset */
    if (pyox_pread_all(t, sizeof(t), pyox.file_size - PYOX_TRAILER_SIZE) != 0) {
        pyox_fail_errno("cannot read the payload trailer");
        return -1;
    }
    if (memcmp(t, PYOX_TRAILER_MAGIC, sizeof(PYOX_TRAILER_MAGIC) - 1) != 0) {
        pyox_fail("embedded payload is missing or truncated (no payload trailer)");
        return -1;
    }
    uint32_t version = pyox_u32(t + PYOX_TRAILER_VERSION_AT);
    if (version != PYOX_FORMAT_VERSION) {
        pyox_fail("embedded payload has format version %u, but this launcher reads version %d "
                  "only (rebuild the application)",
                  version, PYOX_FORMAT_VERSION);
        return -1;
    }
    uint64_t room = pyox.file_size - PYOX_TRAILER_SIZE;
    uint64_t offset = pyox_u64(t + PYOX_TRAILER_PAYLOAD_OFFSET_AT);
    pyox.payload_size = pyox_u64(t + PYOX_TRAILER_PAYLOAD_SIZE_AT);
    pyox.index_size = pyox_u64(t + PYOX_TRAILER_INDEX_SIZE_AT);
    if (pyox.payload_size > room || offset != room - pyox.payload_size ||
        pyox.index_size < PYOX_HEADER_SIZE || pyox.index_size > pyox.payload_size ||
        pyox.index_size % PYOX_DATA_ALIGN != 0) {
        pyox_fail("embedded payload is truncated or corrupt (sizes do not match the file)");
        return -1;
    }
    pyox.payload_offset = offset;
    *index_crc = pyox_u32(t + PYOX_TRAILER_INDEX_CRC_AT);
    return 0;
}

/* Step 1c: a private copy of the index, verified before any of it is believed. */
static int pyox_read_index(uint32_t index_crc) {
    pyox.index = malloc(pyox.index_size);
    if (!pyox.index) {
        pyox_fail("cannot allocate %llu bytes for the payload index",
                  (unsigned long long)pyox.index_size);
        return -1;
    }
    if (pyox_pread_all(pyox.index, pyox.index_size, 0) != 0) {
        pyox_fail_errno("cannot read the payload index");
        return -1;
    }
    if (pyox_crc32(pyox.index, pyox.index_size) != index_crc) {
        pyox_fail("embedded payload is corrupt (index checksum mismatch)");
        return -1;
    }
    return 0;
}

/* Every record's kind, name and blobs lie inside the index and the payload. */
static int pyox_check_records(uint32_t names_size) {
    pyox.name_at = malloc(sizeof(uint32_t) * ((size_t)pyox.entry_count + 1));
    if (!pyox.name_at) {
        pyox_fail("cannot allocate the payload name table");
        return -1;
    }
    uint64_t at = 0;
    for (uint32_t i = 0; i < pyox.entry_count; i++) {
        const unsigned char *r = pyox.records + (size_t)i * PYOX_RECORD_SIZE;
        pyox_blob data, source;
        pyox_blob_at(r + PYOX_RECORD_DATA_OFFSET_AT, &data);
        pyox_blob_at(r + PYOX_RECORD_SOURCE_OFFSET_AT, &source);
        pyox.name_at[i] = (uint32_t)at;
        at += pyox_u32(r + PYOX_RECORD_NAME_SIZE_AT);
        if (at > names_size || !pyox_blob_in_payload(&data) || !pyox_blob_in_payload(&source)) {
            pyox_fail("embedded payload index is invalid (record %u points outside the payload)",
                      i);
            return -1;
        }
    }
    if (at != names_size) {
        pyox_fail("embedded payload index is invalid (the names do not add up)");
        return -1;
    }
    pyox.name_at[pyox.entry_count] = (uint32_t)at;
    return 0;
}

/* Step 1d: the fixed header and the records. */
static int pyox_read_header(void) {
    const unsigned char *h = pyox.index;
    if (memcmp(h, PYOX_PAYLOAD_MAGIC, sizeof(PYOX_PAYLOAD_MAGIC) - 1) != 0 ||
        pyox_u32(h + PYOX_HEADER_VERSION_AT) != PYOX_FORMAT_VERSION) {
        pyox_fail("embedded payload header is invalid");
        return -1;
    }
    pyox.entry_count = pyox_u32(h + PYOX_HEADER_ENTRY_COUNT_AT);
    uint32_t names_size = pyox_u32(h + PYOX_HEADER_NAMES_SIZE_AT);
    pyox.config_flags = pyox_u32(h + PYOX_HEADER_CONFIG_FLAGS_AT);
    pyox.optimize_level = pyox_u32(h + PYOX_HEADER_OPTIMIZE_LEVEL_AT);
    pyox_blob_at(h + PYOX_HEADER_SETTINGS_OFFSET_AT, &pyox.settings);
    pyox_blob_at(h + PYOX_HEADER_BOOTSTRAP_OFFSET_AT, &pyox.bootstrap);
    pyox_blob_at(h + PYOX_HEADER_STDIO_ENCODING_OFFSET_AT, &pyox.stdio_encoding);
    pyox_blob_at(h + PYOX_HEADER_MAIN_CODE_OFFSET_AT, &pyox.main_code);
    uint64_t records_end = PYOX_HEADER_SIZE + (uint64_t)pyox.entry_count * PYOX_RECORD_SIZE;
    if (records_end + names_size > pyox.index_size || pyox.optimize_level > 2 ||
        (pyox.config_flags & ~PYOX_CFG_KNOWN_BITS) != 0) {
        pyox_fail("embedded payload header is invalid");
        return -1;
    }
    if (!pyox_blob_in_payload(&pyox.settings) || !pyox_blob_in_payload(&pyox.bootstrap) ||
        !pyox_blob_in_payload(&pyox.stdio_encoding) || !pyox_blob_in_payload(&pyox.main_code)) {
        pyox_fail("embedded payload header points outside the payload");
        return -1;
    }
    pyox.records = pyox.index + PYOX_HEADER_SIZE;
    pyox.names = pyox.index + records_end;
    return pyox_check_records(names_size);
}

/* Step 1e: the run-time settings and the stdio encoding, read and verified before
 * Python exists (the bootstrap is read when it runs, step 3). */
static int pyox_read_config(void) {
    unsigned char *encoding = NULL;
    pyox_read r = pyox_blob_copy(&pyox.settings, &pyox.settings_bytes);
    if (r == PYOX_READ_OK) r = pyox_blob_copy(&pyox.stdio_encoding, &encoding);
    if (r == PYOX_READ_OK && pyox.stdio_encoding.length >= sizeof(pyox.stdio_encoding_text)) {
        r = PYOX_READ_CORRUPT;
    }
    if (r == PYOX_READ_OK) memcpy(pyox.stdio_encoding_text, encoding, pyox.stdio_encoding.length);
    free(encoding);
    if (r == PYOX_READ_IO) pyox_fail_errno("cannot read the run-time settings");
    if (r == PYOX_READ_NOMEM) pyox_fail("cannot allocate memory for the run-time settings");
    if (r == PYOX_READ_CORRUPT) pyox_fail("embedded payload is corrupt (config checksum mismatch)");
    return r == PYOX_READ_OK ? 0 : -1;
}

/* --- the index: lookups by (kind, name) -------------------------------------------------- */

static const unsigned char *pyox_record(uint32_t i) {
    return pyox.records + (size_t)i * PYOX_RECORD_SIZE;
}

/* Records are sorted by (kind, name); names compare as UTF-8 bytes, which is code-point
 * order, the order the writer sorts Python strings in. -1 when there is no such entry. */
static long pyox_find(unsigned kind, const char *name, size_t n) {
    uint32_t lo = 0, hi = pyox.entry_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        unsigned k = pyox_u16(pyox_record(mid) + PYOX_RECORD_KIND_AT);
        int c;
        if (k != kind) {
            c = k < kind ? -1 : 1;
        } else {
            size_t m = pyox.name_at[mid + 1] - pyox.name_at[mid];
            c = memcmp(pyox.names + pyox.name_at[mid], name, m < n ? m : n);
            if (c == 0) c = m < n ? -1 : (m > n ? 1 : 0);
        }
        if (c == 0) return (long)mid;
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

/* The blob of a record: part 0 is its data, part 1 its source. */
static void pyox_record_blob(uint32_t number, int part, pyox_blob *b) {
    pyox_blob_at(pyox_record(number) +
                     (part ? PYOX_RECORD_SOURCE_OFFSET_AT : PYOX_RECORD_DATA_OFFSET_AT),
                 b);
}

/* --- the _pyoxidizer builtin module: what the runtime needs from C ----------------------- */

/* A damaged blob: fatal with one line while Python starts (CPython would otherwise turn
 * the failed import of encodings into a multi-line "Fatal Python error" and abort), an
 * ImportError naming the entry afterwards. */
static PyObject *pyox_corrupt(uint32_t number, const char *what, const char *problem) {
    const char *name = (const char *)pyox.names + pyox.name_at[number];
    int n = (int)(pyox.name_at[number + 1] - pyox.name_at[number]);
    if (pyox.starting) {
        pyox_fail("embedded payload is corrupt (%s of '%.*s' %s)", what, n, name, problem);
        fflush(stdout);
        _exit(1);
    }
    PyObject *text = PyUnicode_DecodeUTF8(name, n, "replace");
    if (text) {
        PyErr_Format(PyExc_ImportError, "embedded payload is corrupt (%s of '%U' %s)", what, text,
                     problem);
        Py_DECREF(text);
    }
    return NULL;
}

static int pyox_record_arg(PyObject *arg, uint32_t *number) {
    long i = PyLong_AsLong(arg);
    if (i == -1 && PyErr_Occurred()) return -1;
    if (i < 0 || (unsigned long)i >= pyox.entry_count) {
        PyErr_Format(PyExc_IndexError, "no payload record %ld", i);
        return -1;
    }
    *number = (uint32_t)i;
    return 0;
}

/* --- zstd: blobs stored as frames ------------------------------------------------------
 * A frame records its content size and names the dictionary it needs by ID; dictionaries
 * are DICTIONARY records, read and verified the first time a frame needs one. Frames are
 * decompressed only after their stored bytes passed their CRC-32. */
typedef struct {
    unsigned id;
    unsigned char *bytes; /* the verified dictionary, which the DDict refers to */
    ZSTD_DDict *ddict;
} pyox_dictionary;

static pyox_dictionary pyox_dictionaries[8];
static size_t pyox_dictionary_count;
static ZSTD_DCtx *pyox_dctx; /* used with the GIL held */

static int pyox_compressed(uint32_t number, int part) {
    uint16_t flags = pyox_u16(pyox_record(number) + PYOX_RECORD_FLAGS_AT);
    return (flags & (part ? PYOX_FLAG_SOURCE_ZSTD : PYOX_FLAG_DATA_ZSTD)) != 0;
}

/* The content size a verified frame declares; -1 if it declares none we accept. */
static int pyox_frame_size(const unsigned char *frame, size_t n, size_t *size) {
    unsigned long long declared = ZSTD_getFrameContentSize(frame, n);
    if (declared == ZSTD_CONTENTSIZE_UNKNOWN || declared == ZSTD_CONTENTSIZE_ERROR ||
        declared > UINT32_MAX) {
        return -1;
    }
    *size = (size_t)declared;
    return 0;
}

/* The decoding dictionary with this ID, read from its record on first use; NULL if the
 * payload has none that is intact. Called with the GIL held. */
static const ZSTD_DDict *pyox_dictionary_with(unsigned id) {
    for (size_t i = 0; i < pyox_dictionary_count; i++) {
        if (pyox_dictionaries[i].id == id) return pyox_dictionaries[i].ddict;
    }
    if (pyox_dictionary_count == sizeof(pyox_dictionaries) / sizeof(pyox_dictionaries[0])) {
        return NULL;
    }
    for (uint32_t i = 0; i < pyox.entry_count; i++) {
        if (pyox_u16(pyox_record(i) + PYOX_RECORD_KIND_AT) != PYOX_KIND_DICTIONARY) continue;
        pyox_blob b;
        unsigned char head[8];
        pyox_record_blob(i, 0, &b);
        if (b.length < sizeof(head) || pyox_pread_all(head, sizeof(head), b.offset) != 0 ||
            ZSTD_getDictID_fromDict(head, sizeof(head)) != id) {
            continue;
        }
        unsigned char *bytes = NULL;
        if (pyox_blob_copy(&b, &bytes) != PYOX_READ_OK) return NULL;
        ZSTD_DDict *ddict = ZSTD_createDDict_byReference(bytes, b.length);
        if (!ddict || ZSTD_getDictID_fromDDict(ddict) != id) {
            ZSTD_freeDDict(ddict);
            free(bytes);
            return NULL;
        }
        pyox_dictionaries[pyox_dictionary_count++] = (pyox_dictionary){id, bytes, ddict};
        return ddict;
    }
    return NULL;
}

/* Decompress a verified frame into dst, exactly size bytes. 0; -1 if it does not. */
static int pyox_decompress(ZSTD_DCtx *dctx, void *dst, size_t size, const unsigned char *frame,
                           size_t n, const ZSTD_DDict *ddict) {
    size_t r = ddict ? ZSTD_decompress_usingDDict(dctx, dst, size, frame, n, ddict)
                     : ZSTD_decompressDCtx(dctx, dst, size, frame, n);
    return ZSTD_isError(r) || r != size ? -1 : 0;
}

/* The dictionary a verified frame needs: *ddict, NULL when it needs none. -1 if the
 * payload lacks it. Called with the GIL held. */
static int pyox_frame_dictionary(const unsigned char *frame, size_t n, const ZSTD_DDict **ddict) {
    unsigned id = ZSTD_getDictID_fromFrame(frame, n);
    *ddict = id ? pyox_dictionary_with(id) : NULL;
    return id && !*ddict ? -1 : 0;
}

/* Raise for a blob that could not be read: OSError, MemoryError or the corruption. */
static PyObject *pyox_read_failed(pyox_read r, uint32_t number, const char *what) {
    if (r == PYOX_READ_IO) return PyErr_SetFromErrno(PyExc_OSError);
    if (r == PYOX_READ_NOMEM) return PyErr_NoMemory();
    return pyox_corrupt(number, what, "fails its checksum");
}

/* A compressed blob, verified and decompressed into a new bytes object. */
static PyObject *pyox_frame_bytes(uint32_t number, int part, const pyox_blob *b) {
    const char *what = part ? "the source" : "the data";
    unsigned char *frame = NULL;
    pyox_read r;
    Py_BEGIN_ALLOW_THREADS
    r = pyox_blob_copy(b, &frame);
    Py_END_ALLOW_THREADS
    if (r != PYOX_READ_OK) return pyox_read_failed(r, number, what);
    size_t size = 0;
    const ZSTD_DDict *ddict = NULL;
    PyObject *out = NULL;
    if (pyox_frame_size(frame, b->length, &size) != 0) {
        pyox_corrupt(number, what, "is not a zstd frame of a known size");
    } else if (pyox_frame_dictionary(frame, b->length, &ddict) != 0) {
        pyox_corrupt(number, what, "needs a zstd dictionary that is missing or damaged");
    } else if (!pyox_dctx && !(pyox_dctx = ZSTD_createDCtx())) {
        PyErr_NoMemory();
    } else if ((out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size)) != NULL &&
               pyox_decompress(pyox_dctx, PyBytes_AS_STRING(out), size, frame, b->length,
                               ddict) != 0) {
        Py_CLEAR(out);
        pyox_corrupt(number, what, "cannot be decompressed");
    }
    free(frame);
    return out;
}

/* Verified (and decompressed) bytes of a record's blob as a new bytes object, or NULL
 * with an exception. */
static PyObject *pyox_blob_bytes(uint32_t number, int part) {
    pyox_blob b;
    pyox_record_blob(number, part, &b);
    if (pyox_compressed(number, part)) return pyox_frame_bytes(number, part, &b);
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)b.length);
    if (!out) return NULL;
    unsigned char *buf = (unsigned char *)PyBytes_AS_STRING(out);
    int io_failed, corrupt;
    Py_BEGIN_ALLOW_THREADS
    io_failed = pyox_pread_all(buf, b.length, b.offset) != 0;
    corrupt = !io_failed && pyox_crc32(buf, b.length) != b.crc;
    Py_END_ALLOW_THREADS
    if (io_failed) {
        Py_DECREF(out);
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    if (corrupt) {
        Py_DECREF(out);
        return pyox_corrupt(number, part ? "the source" : "the data", "fails its checksum");
    }
    return out;
}

/* find(kind, name) -> record number, or -1 */
static PyObject *pyox_mod_find(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2 || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "find(kind: int, name: str)");
        return NULL;
    }
    long kind = PyLong_AsLong(args[0]);
    if (kind == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t n;
    const char *name = PyUnicode_AsUTF8AndSize(args[1], &n);
    if (!name) {
        PyErr_Clear(); /* a name that is not UTF-8 (lone surrogates) is in no payload */
        return PyLong_FromLong(-1);
    }
    return PyLong_FromLong(pyox_find((unsigned)kind, name, (size_t)n));
}

/* read(number, part) -> verified bytes of a record's data (part 0) or source (part 1) */
static PyObject *pyox_mod_read(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    uint32_t number;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "read(number: int, part: int)");
        return NULL;
    }
    if (pyox_record_arg(args[0], &number) < 0) return NULL;
    long part = PyLong_AsLong(args[1]);
    if (part == -1 && PyErr_Occurred()) return NULL;
    return pyox_blob_bytes(number, part != 0);
}

/* code(number) -> the code object of a module record, read, verified and unmarshalled */
static PyObject *pyox_mod_code(PyObject *self, PyObject *arg) {
    (void)self;
    uint32_t number;
    if (pyox_record_arg(arg, &number) < 0) return NULL;
    PyObject *data = pyox_blob_bytes(number, 0);
    if (!data) return NULL;
    PyObject *code =
        PyMarshal_ReadObjectFromString(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data));
    Py_DECREF(data);
    if (code && !PyCode_Check(code)) {
        Py_DECREF(code);
        return pyox_corrupt(number, "the bytecode", "is not a code object");
    }
    return code;
}

/* main_code() -> eval mode's code object, compiled at build time, or None */
static PyObject *pyox_mod_main_code(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    if (pyox.main_code.length == 0) Py_RETURN_NONE;
    unsigned char *blob = NULL;
    pyox_read r = pyox_blob_copy(&pyox.main_code, &blob);
    if (r == PYOX_READ_IO) return PyErr_SetFromErrno(PyExc_OSError);
    if (r == PYOX_READ_NOMEM) return PyErr_NoMemory();
    if (r == PYOX_READ_CORRUPT) {
        return PyErr_Format(PyExc_ImportError,
                            "embedded payload is corrupt (the eval code fails its checksum)");
    }
    PyObject *code = PyMarshal_ReadObjectFromString((const char *)blob, pyox.main_code.length);
    free(blob);
    if (code && !PyCode_Check(code)) {
        Py_DECREF(code);
        return PyErr_Format(PyExc_ImportError,
                            "embedded payload is corrupt (the eval code is not a code object)");
    }
    return code;
}

/* A path that names descriptor fd and no object loaded before. The dynamic loader
 * recognises a loaded object by the path it was opened with, and a closed descriptor's
 * number comes back: the n-th object loaded through descriptor 7 is "/proc/self/fd/7",
 * "/proc/self/fd/./7", "/proc/self/fd/././7", ... Called with the GIL held. */
static int pyox_unique_fd_path(int fd, char *buf, size_t size) {
    if (fd < 0) return -1;
    if ((size_t)fd >= pyox.fd_loads_size) {
        size_t grown_size = (size_t)fd + 64;
        uint16_t *grown = realloc(pyox.fd_loads, grown_size * sizeof(uint16_t));
        if (!grown) return -1;
        memset(grown + pyox.fd_loads_size, 0,
               (grown_size - pyox.fd_loads_size) * sizeof(uint16_t));
        pyox.fd_loads = grown;
        pyox.fd_loads_size = grown_size;
    }
    unsigned uses = pyox.fd_loads[fd];
    size_t at = (size_t)snprintf(buf, size, "/proc/self/fd/");
    for (unsigned i = 0; i < uses && at + 2 < size; i++, at += 2) memcpy(buf + at, "./", 2);
    int n = snprintf(buf + at, size - at, "%d", fd);
    if (n < 0 || at + (size_t)n >= size || uses == UINT16_MAX) return -1;
    pyox.fd_loads[fd]++;
    return 0;
}

static PyObject *pyox_fd_path(int fd) {
    char path[512];
    if (pyox_unique_fd_path(fd, path, sizeof(path)) != 0) {
        return PyErr_Format(PyExc_ImportError, "descriptor %d named too many objects", fd);
    }
    return PyUnicode_FromString(path);
}

/* Copy a record's data into memfd fd, verifying the checksum of exactly what was written.
 * 0; -1 with errno for a failed system call; -2 when the bytes fail their checksum. */
static int pyox_fill_memfd(int fd, const pyox_blob *b) {
    enum { CHUNK = 1 << 18 };
    unsigned char *buf = malloc(CHUNK);
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    uint32_t state = 0xFFFFFFFFu;
    int result = 0;
    for (uint32_t done = 0; done < b->length && result == 0;) {
        size_t n = b->length - done < CHUNK ? b->length - done : CHUNK;
        if (pyox_pread_all(buf, n, (uint64_t)b->offset + done) != 0) {
            result = -1;
            break;
        }
        state = pyox_crc_update(state, buf, n);
        for (size_t written = 0; written < n;) {
            ssize_t w = write(fd, buf + written, n - written);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                if (w == 0) errno = EIO;
                result = -1;
                break;
            }
            written += (size_t)w;
        }
        done += (uint32_t)n;
    }
    free(buf);
    if (result == 0 && ~state != b->crc) result = -2;
    return result;
}

/* Decompress a verified frame straight into memfd fd, sized first: no copy in between.
 * 0, or -1 with errno (ENOMEM, or EIO when the frame does not decompress to its size). */
static int pyox_fill_memfd_from_frame(int fd, const unsigned char *frame, size_t n, size_t size,
                                      const ZSTD_DDict *ddict) {
    if (ftruncate(fd, (off_t)size) != 0) return -1;
    if (size == 0) return 0;
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED) return -1;
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    int result = dctx ? pyox_decompress(dctx, map, size, frame, n, ddict) : -1;
    int saved = dctx ? EIO : ENOMEM;
    ZSTD_freeDCtx(dctx);
    munmap(map, size);
    errno = saved;
    return result;
}

/* Nothing may change the object between its check and dlopen(). Kernels without sealing
 * still load it. */
static void pyox_seal(int fd) {
    (void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
}

/* The (fd, path) pair memfd() returns, or NULL (closing fd) with an exception. */
static PyObject *pyox_memfd_result(int fd) {
    PyObject *path = pyox_fd_path(fd);
    PyObject *pair = path ? Py_BuildValue("(iN)", fd, path) : NULL;
    if (!pair) close(fd);
    return pair;
}

static PyObject *pyox_memfd_failed(const char *name, const char *step, int saved) {
    return PyErr_Format(PyExc_ImportError, "cannot load '%s' from memory: %s failed: %s (errno %d)",
                        name, step, strerror(saved), saved);
}

/* A memfd holding a shared object stored compressed: the frame is read and verified, then
 * decompressed into the memfd. */
static PyObject *pyox_memfd_from_frame(uint32_t number, const char *name, const pyox_blob *b) {
    unsigned char *frame = NULL;
    pyox_read r;
    Py_BEGIN_ALLOW_THREADS
    r = pyox_blob_copy(b, &frame);
    Py_END_ALLOW_THREADS
    if (r != PYOX_READ_OK) {
        if (r == PYOX_READ_IO) return pyox_memfd_failed(name, "reading it", errno);
        return pyox_read_failed(r, number, "the shared object");
    }
    size_t size = 0;
    const ZSTD_DDict *ddict = NULL;
    if (pyox_frame_size(frame, b->length, &size) != 0) {
        free(frame);
        return pyox_corrupt(number, "the shared object", "is not a zstd frame of a known size");
    }
    if (pyox_frame_dictionary(frame, b->length, &ddict) != 0) {
        free(frame);
        return pyox_corrupt(number, "the shared object", "needs a zstd dictionary that is missing");
    }
    int fd, result = -1, saved = 0;
    const char *step = "memfd_create";
    Py_BEGIN_ALLOW_THREADS
    fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd >= 0) {
        step = "decompressing it into memory";
        result = pyox_fill_memfd_from_frame(fd, frame, b->length, size, ddict);
        if (result == 0) pyox_seal(fd);
    }
    saved = errno;
    if (fd >= 0 && result != 0) close(fd);
    Py_END_ALLOW_THREADS
    free(frame);
    if (fd < 0 || (result != 0 && saved != EIO)) return pyox_memfd_failed(name, step, saved);
    if (result != 0) return pyox_corrupt(number, "the shared object", "cannot be decompressed");
    return pyox_memfd_result(fd);
}

/* memfd(number, name) -> (fd, path): an anonymous in-memory file holding the verified data
 * of a shared-object record, sealed against changes, and a path for dlopen(). The caller
 * closes fd once the object is loaded. Any failure is an ImportError naming `name`. */
static PyObject *pyox_mod_memfd(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    uint32_t number;
    if (nargs != 2 || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "memfd(number: int, name: str)");
        return NULL;
    }
    if (pyox_record_arg(args[0], &number) < 0) return NULL;
    const char *name = PyUnicode_AsUTF8(args[1]);
    if (!name) return NULL;
    pyox_blob b;
    pyox_record_blob(number, 0, &b);
    if (pyox_compressed(number, 0)) return pyox_memfd_from_frame(number, name, &b);
    int fd, result = 0, saved = 0;
    const char *step = "memfd_create";
    Py_BEGIN_ALLOW_THREADS
    fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd >= 0) {
        step = "copying it into memory";
        result = pyox_fill_memfd(fd, &b);
        if (result == 0) pyox_seal(fd);
    }
    saved = errno;
    if (fd >= 0 && result != 0) close(fd);
    Py_END_ALLOW_THREADS
    if (fd < 0 || result == -1) return pyox_memfd_failed(name, step, saved);
    if (result == -2) return pyox_corrupt(number, "the shared object", "fails its checksum");
    return pyox_memfd_result(fd);
}

#if defined(__x86_64__) && defined(EM_X86_64)
#define PYOX_ELF_MACHINE EM_X86_64
#elif defined(__aarch64__) && defined(EM_AARCH64)
#define PYOX_ELF_MACHINE EM_AARCH64
#endif

#ifdef PYOX_ELF_MACHINE
/* A shared object with no code: only DT_NEEDED entries naming `paths` (and an empty symbol
 * table). One dlopen() of it loads every path together, so libraries that need each other
 * (freetype and harfbuzz in Pillow's wheel) find each other by soname, which loading them
 * one by one cannot do. malloc()ed; *size is its length. */
static unsigned char *pyox_needing_object(const char *const *paths, size_t n, size_t *size) {
    size_t strsz = 1;
    for (size_t i = 0; i < n; i++) strsz += strlen(paths[i]) + 1;
    size_t phoff = sizeof(Elf64_Ehdr), dynoff = phoff + 3 * sizeof(Elf64_Phdr);
    size_t ndyn = n + 5, symoff = dynoff + ndyn * sizeof(Elf64_Dyn);
    size_t stroff = symoff + sizeof(Elf64_Sym), total = stroff + strsz;
    unsigned char *buf = calloc(1, total);
    if (!buf) return NULL;
    Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_ident[EI_OSABI] = ELFOSABI_SYSV;
    eh->e_type = ET_DYN;
    eh->e_machine = PYOX_ELF_MACHINE;
    eh->e_version = EV_CURRENT;
    eh->e_phoff = phoff;
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 3;
    Elf64_Phdr *ph = (Elf64_Phdr *)(buf + phoff);
    ph[0].p_type = PT_LOAD;
    ph[0].p_flags = PF_R;
    ph[0].p_filesz = ph[0].p_memsz = total;
    ph[0].p_align = 4096;
    ph[1].p_type = PT_DYNAMIC;
    ph[1].p_flags = PF_R;
    ph[1].p_offset = ph[1].p_vaddr = ph[1].p_paddr = dynoff;
    ph[1].p_filesz = ph[1].p_memsz = ndyn * sizeof(Elf64_Dyn);
    ph[1].p_align = 8;
    ph[2].p_type = PT_GNU_STACK; /* without it, loading would make the stack executable */
    ph[2].p_flags = PF_R | PF_W;
    ph[2].p_align = 16;
    Elf64_Dyn *dyn = (Elf64_Dyn *)(buf + dynoff);
    char *strtab = (char *)buf + stroff;
    size_t at = 1;
    for (size_t i = 0; i < n; i++) {
        dyn[i].d_tag = DT_NEEDED;
        dyn[i].d_un.d_val = at;
        memcpy(strtab + at, paths[i], strlen(paths[i]) + 1);
        at += strlen(paths[i]) + 1;
    }
    dyn[n].d_tag = DT_STRTAB;
    dyn[n].d_un.d_ptr = stroff;
    dyn[n + 1].d_tag = DT_STRSZ;
    dyn[n + 1].d_un.d_val = strsz;
    dyn[n + 2].d_tag = DT_SYMTAB;
    dyn[n + 2].d_un.d_ptr = symoff;
    dyn[n + 3].d_tag = DT_SYMENT;
    dyn[n + 3].d_un.d_val = sizeof(Elf64_Sym);
    dyn[n + 4].d_tag = DT_NULL;
    *size = total;
    return buf;
}

/* A memfd holding pyox_needing_object(paths), or -1 with errno. */
static int pyox_needing_memfd(const char *const *paths, size_t n) {
    size_t size = 0;
    unsigned char *object = pyox_needing_object(paths, n, &size);
    if (!object) {
        errno = ENOMEM;
        return -1;
    }
    int fd = (int)syscall(SYS_memfd_create, "pyoxidizer-libraries", MFD_CLOEXEC);
    if (fd >= 0 && write(fd, object, size) != (ssize_t)size) {
        int saved = errno;
        close(fd);
        fd = -1;
        errno = saved ? saved : EIO;
    }
    free(object);
    return fd;
}
#endif

/* load_libraries(paths): load shared libraries (RTLD_NOW | RTLD_LOCAL, as ctypes.CDLL does)
 * that may need each other, all in one dlopen(); extension modules loaded later find them
 * by their sonames. ImportError with the dynamic loader's message if they cannot load. */
static PyObject *pyox_mod_load_libraries(PyObject *self, PyObject *arg) {
    (void)self;
    PyObject *seq = PySequence_Fast(arg, "load_libraries() takes a sequence of paths");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    const char **paths = PyMem_Calloc((size_t)n + 1, sizeof(char *));
    PyObject *result = NULL;
    const char *why = NULL;
    int failed = 0, saved = 0;
    if (!paths) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        paths[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));
        if (!paths[i]) goto done;
    }
#ifdef PYOX_ELF_MACHINE
    int fd;
    char path[512];
    Py_BEGIN_ALLOW_THREADS
    fd = pyox_needing_memfd(paths, (size_t)n);
    saved = errno;
    Py_END_ALLOW_THREADS
    failed = fd < 0 || pyox_unique_fd_path(fd, path, sizeof(path)) != 0;
    if (!failed) {
        Py_BEGIN_ALLOW_THREADS
        failed = dlopen(path, RTLD_NOW | RTLD_LOCAL) == NULL;
        why = failed ? dlerror() : NULL;
        Py_END_ALLOW_THREADS
    }
    if (fd >= 0) close(fd);
#else
    /* One by one, each round loading those whose dependencies are loaded already. */
    Py_BEGIN_ALLOW_THREADS
    char *done_flags = calloc((size_t)n + 1, 1);
    size_t left = (size_t)n;
    for (int progress = 1; done_flags && left && progress;) {
        progress = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (done_flags[i]) continue;
            if (dlopen(paths[i], RTLD_NOW | RTLD_LOCAL)) {
                done_flags[i] = 1;
                left--;
                progress = 1;
            } else {
                why = dlerror();
            }
        }
    }
    failed = !done_flags || left != 0;
    saved = done_flags ? 0 : ENOMEM;
    free(done_flags);
    Py_END_ALLOW_THREADS
#endif
    if (!failed) {
        result = Py_NewRef(Py_None);
    } else if (why) {
        PyErr_Format(PyExc_ImportError, "cannot load embedded shared libraries: %s", why);
    } else {
        PyErr_Format(PyExc_ImportError, "cannot load embedded shared libraries: %s (errno %d)",
                     strerror(saved), saved);
    }
done:
    PyMem_Free(paths);
    Py_DECREF(seq);
    return result;
}

static PyObject *pyox_mod_crc32(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) != 0) return NULL;
    uint32_t c = pyox_crc32(view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(c);
}

static PyMethodDef pyox_methods[] = {
    {"find", (PyCFunction)(void (*)(void))pyox_mod_find, METH_FASTCALL,
     "find(kind, name): the record number of an entry, or -1."},
    {"read", (PyCFunction)(void (*)(void))pyox_mod_read, METH_FASTCALL,
     "read(number, part): verified bytes of a record's data (0) or source (1)."},
    {"code", pyox_mod_code, METH_O, "code(number): the code object of a module record."},
    {"main_code", pyox_mod_main_code, METH_NOARGS, "main_code(): eval mode's code, or None."},
    {"memfd", (PyCFunction)(void (*)(void))pyox_mod_memfd, METH_FASTCALL,
     "memfd(number, name): (fd, path) of a memfd holding a record's verified data."},
    {"load_libraries", pyox_mod_load_libraries, METH_O,
     "load_libraries(paths): load shared libraries that may need each other, together."},
    {"crc32", pyox_mod_crc32, METH_O, "CRC-32 of a buffer (same value as zlib.crc32)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pyox_module_def = {
    PyModuleDef_HEAD_INIT, "_pyoxidizer", "Launcher services for the embedded runtime.", -1,
    pyox_methods, NULL, NULL, NULL, NULL,
};

static PyObject *pyox_module_init(void) {
    PyObject *m = PyModule_Create(&pyox_module_def);
    if (!m) return NULL;
    PyObject *index = PyMemoryView_FromMemory((char *)pyox.index, (Py_ssize_t)pyox.index_size,
                                              PyBUF_READ);
    PyObject *exe = PyUnicode_DecodeFSDefault(pyox.exe);
    if (!index || !exe || PyModule_AddObject(m, "index", index) != 0) {
        Py_XDECREF(index);
        Py_XDECREF(exe);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddObject(m, "executable", exe) != 0) {
        Py_DECREF(exe);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddStringConstant(m, "raw_allocator", pyox.raw_allocator) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

/* --- raw allocators: each one linked in is a PyMemAllocatorEx over its functions --- */
#ifdef PYOX_WITH_JEMALLOC
/* jemalloc, linked from a copy whose exported names carry the pyox_je_ prefix (see
 * launcher/allocators.py), so it never replaces the C library's malloc for the process. */
extern void *pyox_je_malloc(size_t size);
extern void *pyox_je_calloc(size_t nelem, size_t elsize);
extern void *pyox_je_realloc(void *ptr, size_t size);
extern void pyox_je_free(void *ptr);

/* Zero-byte requests get one byte, as CPython's own raw allocator does. */
static void *pyox_je_raw_malloc(void *ctx, size_t size) {
    (void)ctx;
    return pyox_je_malloc(size ? size : 1);
}

static void *pyox_je_raw_calloc(void *ctx, size_t nelem, size_t elsize) {
    (void)ctx;
    if (nelem == 0 || elsize == 0) nelem = elsize = 1;
    return pyox_je_calloc(nelem, elsize);
}

static void *pyox_je_raw_realloc(void *ctx, void *ptr, size_t size) {
    (void)ctx;
    return pyox_je_realloc(ptr, size ? size : 1);
}

static void pyox_je_raw_free(void *ctx, void *ptr) {
    (void)ctx;
    pyox_je_free(ptr);
}
#endif

/* --- step 2: CPython ------------------------------------------------------------------- */

/* Report a failed PyStatus in one line (exits as asked for an exit status). */
static int pyox_status_failed(PyStatus status, const char *what) {
    if (!PyStatus_Exception(status)) return 0;
    if (PyStatus_IsExit(status)) exit(status.exitcode);
    if (status.func) {
        pyox_fail("%s failed: %s: %s", what, status.func, status.err_msg ? status.err_msg : "");
    } else {
        pyox_fail("%s failed: %s", what, status.err_msg ? status.err_msg : "");
    }
    return -1;
}

/* Step 2a: pre-initialise CPython. It must happen before the raw allocator changes; the
 * settings are the ones Py_InitializeFromConfig would derive from the config below. */
static int pyox_preinit(void) {
    PyPreConfig preconfig;
    PyPreConfig_InitPythonConfig(&preconfig);
    preconfig.parse_argv = 0;
    preconfig.use_environment = !(pyox.config_flags & PYOX_CFG_IGNORE_ENVIRONMENT);
    return pyox_status_failed(Py_PreInitialize(&preconfig), "Python pre-initialisation");
}

/* Step 2b: install the payload's raw allocator, after pre-initialisation (which allocates
 * with the default one and frees before returning) and before anything else allocates. */
static int pyox_install_allocator(void) {
    uint32_t code = (pyox.config_flags >> PYOX_CFG_ALLOCATOR_SHIFT) & PYOX_CFG_ALLOCATOR_MASK;
    pyox.raw_allocator = "system";
    if (code == PYOX_ALLOCATOR_SYSTEM) return 0;
#ifdef PYOX_WITH_JEMALLOC
    if (code == PYOX_ALLOCATOR_JEMALLOC) {
        PyMemAllocatorEx je = {NULL, pyox_je_raw_malloc, pyox_je_raw_calloc,
                               pyox_je_raw_realloc, pyox_je_raw_free};
        PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &je);
        pyox.raw_allocator = "jemalloc";
        PYOX_TRACE("raw allocator: jemalloc");
        return 0;
    }
#endif
    if (code == PYOX_ALLOCATOR_MIMALLOC) {
        pyox_fail("the payload asks for raw_allocator 'mimalloc', which no launcher links");
    } else {
        pyox_fail("the payload asks for a raw_allocator this launcher was linked without");
    }
    return -1;
}

static PyStatus pyox_set_stdio_encoding(PyConfig *config) {
    char buf[sizeof(pyox.stdio_encoding_text)];
    memcpy(buf, pyox.stdio_encoding_text, sizeof(buf));
    if (buf[0] == '\0') return PyStatus_Ok();
    char *colon = strchr(buf, ':');
    if (colon) {
        *colon = '\0';
        PyStatus s = PyConfig_SetBytesString(config, &config->stdio_errors, colon + 1);
        if (PyStatus_Exception(s)) return s;
    }
    return PyConfig_SetBytesString(config, &config->stdio_encoding, buf);
}

/* The prefixes are the executable's directory: setting them all stops CPython's path
 * calculation from probing the filesystem for a Python installation. */
static PyStatus pyox_set_prefixes(PyConfig *config) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", pyox.exe);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
    wchar_t **fields[] = {&config->home, &config->prefix, &config->exec_prefix,
                          &config->base_prefix, &config->base_exec_prefix};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        PyStatus s = PyConfig_SetBytesString(config, fields[i], dir);
        if (PyStatus_Exception(s)) return s;
    }
    return PyStatus_Ok();
}

static PyStatus pyox_configure(PyConfig *config, int argc, char **argv) {
    uint32_t f = pyox.config_flags;
    config->parse_argv = 0;
    config->use_environment = !(f & PYOX_CFG_IGNORE_ENVIRONMENT);
    config->site_import = !(f & PYOX_CFG_NO_SITE);
    config->user_site_directory = !(f & PYOX_CFG_NO_USER_SITE);
    config->write_bytecode = !(f & PYOX_CFG_DONT_WRITE_BYTECODE);
    config->buffered_stdio = !(f & PYOX_CFG_UNBUFFERED_STDIO);
    config->optimization_level = (int)pyox.optimize_level;
    config->pathconfig_warnings = 0;
    config->module_search_paths_set = 1; /* empty: the importer in the payload is the source */
    config->_init_main = 0;
#if PY_VERSION_HEX >= 0x030B0000
    config->safe_path = 1;
#endif
    PyStatus s = PyConfig_SetBytesArgv(config, argc, argv);
    if (!PyStatus_Exception(s)) s = PyConfig_SetBytesString(config, &config->program_name, pyox.exe);
    if (!PyStatus_Exception(s)) s = PyConfig_SetBytesString(config, &config->executable, pyox.exe);
    if (!PyStatus_Exception(s)) s = pyox_set_prefixes(config);
    if (!PyStatus_Exception(s)) s = pyox_set_stdio_encoding(config);
    return s;
}

/* Step 2c: configure CPython and run phase-1 initialisation. */
static int pyox_init_phase1(int argc, char **argv) {
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    PyStatus s = pyox_configure(&config, argc, argv);
    if (!PyStatus_Exception(s)) s = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (pyox_status_failed(s, "Python initialisation")) return -1;
    PYOX_TRACE("phase-1 initialisation done");
    return 0;
}

/* --- step 3: the bootstrap --------------------------------------------------------------- */

/* Execute a code object as a new module registered in sys.modules. PyImport_ExecCodeModule
 * cannot be used: it needs importlib's external machinery, which phase 1 does not have. */
static PyObject *pyox_exec_module(const char *name, PyObject *code) {
    PyObject *mod = PyImport_AddModule(name); /* borrowed */
    if (!mod) return NULL;
    PyObject *dict = PyModule_GetDict(mod);
    if (PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) != 0) return NULL;
    PyObject *r = PyEval_EvalCode(code, dict, dict);
    if (!r) return NULL;
    Py_DECREF(r);
    Py_INCREF(mod);
    return mod;
}

/* One (module name, marshalled code) pair of the bootstrap blob, executed. */
static PyObject *pyox_run_bootstrap_pair(PyObject *pair) {
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 ||
        !PyUnicode_Check(PyTuple_GET_ITEM(pair, 0)) || !PyBytes_Check(PyTuple_GET_ITEM(pair, 1))) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the embedded bootstrap is malformed (an item is not a (name, bytes) pair)");
        return NULL;
    }
    const char *name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(pair, 0));
    PyObject *raw = PyTuple_GET_ITEM(pair, 1);
    if (!name) return NULL;
    PyObject *code = PyMarshal_ReadObjectFromString(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw));
    if (code && !PyCode_Check(code)) {
        Py_CLEAR(code);
        PyErr_Format(PyExc_RuntimeError, "the embedded bootstrap module %s is not code", name);
    }
    PyObject *mod = code ? pyox_exec_module(name, code) : NULL;
    Py_XDECREF(code);
    if (mod) PYOX_TRACE("bootstrap module %s executed", name);
    return mod;
}

/* Step 3: run the bootstrap modules (a marshalled tuple of (name, marshalled code) pairs)
 * and call install(settings) on the last one. NULL with a Python exception set, or after
 * a one-line error when the blob cannot be read. */
static PyObject *pyox_run_bootstrap(void) {
    unsigned char *blob = NULL;
    pyox_read r = pyox_blob_copy(&pyox.bootstrap, &blob);
    if (r != PYOX_READ_OK) {
        if (r == PYOX_READ_IO) pyox_fail_errno("cannot read the bootstrap");
        if (r == PYOX_READ_NOMEM) pyox_fail("cannot allocate memory for the bootstrap");
        if (r == PYOX_READ_CORRUPT) {
            pyox_fail("embedded payload is corrupt (bootstrap checksum mismatch)");
        }
        return NULL;
    }
    PyObject *pairs = PyMarshal_ReadObjectFromString((const char *)blob, pyox.bootstrap.length);
    free(blob);
    PyObject *last = NULL, *settings = NULL, *done = NULL;
    if (!pairs) goto cleanup;
    if (!PyTuple_Check(pairs) || PyTuple_GET_SIZE(pairs) == 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the embedded bootstrap is malformed (not a tuple of modules)");
        goto cleanup;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(pairs); i++) {
        Py_XDECREF(last);
        last = pyox_run_bootstrap_pair(PyTuple_GET_ITEM(pairs, i));
        if (!last) goto cleanup;
    }
    settings = PyMarshal_ReadObjectFromString((const char *)pyox.settings_bytes,
                                              pyox.settings.length);
    if (settings) done = PyObject_CallMethod(last, "install", "O", settings);
cleanup:
    Py_XDECREF(pairs);
    Py_XDECREF(settings);
    if (!done) Py_CLEAR(last);
    Py_XDECREF(done);
    return last;
}

/* --- step 5: the run mode --------------------------------------------------------------- */

/* Drop the bootstrap's own frames from the head of a traceback, so an app's error starts
 * at the app's code as it does under python. */
static int pyox_is_bootstrap_frame(PyObject *tb) {
    PyObject *frame = PyObject_GetAttrString(tb, "tb_frame");
    PyObject *code = frame ? PyObject_GetAttrString(frame, "f_code") : NULL;
    PyObject *filename = code ? PyObject_GetAttrString(code, "co_filename") : NULL;
    const char *text = filename && PyUnicode_Check(filename) ? PyUnicode_AsUTF8(filename) : NULL;
    int result = text != NULL && strncmp(text, PYOX_BOOTSTRAP_FILENAME_PREFIX,
                                         sizeof(PYOX_BOOTSTRAP_FILENAME_PREFIX) - 1) == 0;
    Py_XDECREF(filename);
    Py_XDECREF(code);
    Py_XDECREF(frame);
    PyErr_Clear();
    return result;
}

static void pyox_trim_traceback(PyObject *exc) {
    PyObject *tb = PyException_GetTraceback(exc);
    while (tb && tb != Py_None && pyox_is_bootstrap_frame(tb)) {
        PyObject *next = PyObject_GetAttrString(tb, "tb_next");
        Py_DECREF(tb);
        tb = next;
    }
    PyErr_Clear();
    if (tb) {
        PyException_SetTraceback(exc, tb);
        Py_DECREF(tb);
    }
}

static void pyox_trim_current_exception(void) {
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *exc = PyErr_GetRaisedException();
    if (!exc) return;
    pyox_trim_traceback(exc);
    PyErr_SetRaisedException(exc);
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value) {
        if (tb) PyException_SetTraceback(value, tb);
        pyox_trim_traceback(value);
        Py_XDECREF(tb);
        tb = PyException_GetTraceback(value);
    }
    PyErr_Restore(type, value, tb);
#endif
}

/* Exit codes the way python computes them. */
static int pyox_handle_exception(void) {
    pyox_trim_current_exception();
    if (PyErr_ExceptionMatches(PyExc_SystemExit)) {
        PyErr_Print(); /* prints the message if any, finalises and exits with the code */
        return 1;
    }
    int interrupted = PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);
    PyErr_Print();
    return interrupted ? -SIGINT : 1;
}

static int pyox_run_repl(void) {
    PyObject *readline = PyImport_ImportModule("readline");
    if (readline) {
        Py_DECREF(readline);
    } else {
        PyErr_Clear();
    }
    PyCompilerFlags cf = _PyCompilerFlags_INIT;
    return PyRun_InteractiveLoopFlags(stdin, "<stdin>", &cf) == 0 ? 0 : 1;
}

static int pyox_run(PyObject *bootstrap) {
    pyox.starting = 0; /* from here on, a damaged blob is an ImportError the app can see */
    PyObject *r = PyObject_CallMethod(bootstrap, "run", NULL);
    if (!r) return pyox_handle_exception();
    long want_repl = PyLong_AsLong(r);
    Py_DECREF(r);
    return want_repl == 1 ? pyox_run_repl() : 0;
}

int main(int argc, char **argv) {
    int exitcode = 1;
    PyObject *bootstrap = NULL;
    uint32_t index_crc = 0;
    pyox_debug = getenv("PYOXIDIZER_LAUNCHER_DEBUG") != NULL;
    pyox_crc_init();

    /* Step 1: the payload, read and verified before Python starts. */
    if (pyox_open_self() < 0 || pyox_read_trailer(&index_crc) < 0 ||
        pyox_read_index(index_crc) < 0 || pyox_read_header() < 0 || pyox_read_config() < 0) {
        goto cleanup;
    }
    if (PyImport_AppendInittab("_pyoxidizer", pyox_module_init) != 0) {
        pyox_fail("cannot register the _pyoxidizer module");
        goto cleanup;
    }
    /* Step 2: CPython, phase 1. */
    if (pyox_preinit() < 0 || pyox_install_allocator() < 0 || pyox_init_phase1(argc, argv) < 0) {
        goto cleanup;
    }
    /* Step 3: the importer. */
    bootstrap = pyox_run_bootstrap();
    if (!bootstrap) {
        if (PyErr_Occurred()) {
            PyErr_Print();
            pyox_fail("the embedded importer failed to start");
        }
        goto finalize;
    }
    /* Step 4: CPython, phase 2 (encodings, io, ... come from the payload). */
    if (pyox_status_failed(_Py_InitializeMain(), "Python initialisation (phase 2)")) {
        goto finalize;
    }
    PYOX_TRACE("phase-2 initialisation done");
    /* Step 5: the run mode. */
    exitcode = pyox_run(bootstrap);
    Py_CLEAR(bootstrap);

finalize: /* Step 6. */
    Py_XDECREF(bootstrap);
    if (Py_FinalizeEx() < 0 && exitcode == 0) exitcode = 120;
    if (exitcode == -SIGINT) {
        /* Like python: die of SIGINT so the parent shell sees the interruption. */
        signal(SIGINT, SIG_DFL);
        kill(getpid(), SIGINT);
        exitcode = 128 + SIGINT;
    }
cleanup:
    for (size_t i = 0; i < pyox_dictionary_count; i++) {
        ZSTD_freeDDict(pyox_dictionaries[i].ddict);
        free(pyox_dictionaries[i].bytes);
    }
    ZSTD_freeDCtx(pyox_dctx);
    free(pyox.settings_bytes);
    free(pyox.name_at);
    free(pyox.index);
    free(pyox.fd_loads);
    if (pyox.fd >= 0) close(pyox.fd);
    return exitcode;
}
