/*
 * What the launcher's source files share: the state read from the payload, the error
 * reporting, the checksum and the reading of blobs. Every symbol carries the pyox_ prefix
 * and is hidden (PYOX_INTERNAL): the executable exports CPython's symbols to extension
 * modules, not these.
 */
#ifndef PYOXIDIZER_LAUNCHER_H
#define PYOXIDIZER_LAUNCHER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <limits.h>
#include <stdint.h>
#include <string.h>
#ifdef PYOX_NO_ZSTD
#include "nozstd.h" /* a standalone distribution without zstd: payloads are uncompressed */
#else
/* libzstd.a is linked statically, so its "static linking only" API is stable for us. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#endif

/* The payload layout, generated from payload/format.py for each build of the launcher:
 * magic strings, sizes, field offsets (PYOX_<LAYOUT>_<FIELD>_AT), flags and codes. */
#include "pyoxidizer_format.h"

#define PYOX_INTERNAL __attribute__((visibility("hidden")))

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

PYOX_INTERNAL extern pyox_state pyox;
PYOX_INTERNAL extern int pyox_debug;

#define PYOX_TRACE(...)                                   \
    do {                                                  \
        if (pyox_debug) {                                 \
            fprintf(stderr, "pyoxidizer-launcher: ");     \
            fprintf(stderr, __VA_ARGS__);                 \
            fputc('\n', stderr);                          \
        }                                                 \
    } while (0)

/* launcher.c: one error line, "<exe>: error: <message>"; the second form ends with the
 * reason errno gives. */
PYOX_INTERNAL __attribute__((format(printf, 1, 2))) void pyox_fail(const char *fmt, ...);
PYOX_INTERNAL __attribute__((format(printf, 1, 2))) void pyox_fail_errno(const char *fmt, ...);

/* checksum.c: CRC-32 of the zlib polynomial (raw state: start 0xFFFFFFFF, finish ~state). */
PYOX_INTERNAL void pyox_crc_init(void);
PYOX_INTERNAL uint32_t pyox_crc_update(uint32_t state, const unsigned char *p, size_t n);
PYOX_INTERNAL uint32_t pyox_crc32(const unsigned char *p, size_t n);

static inline uint16_t pyox_u16(const unsigned char *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static inline uint32_t pyox_u32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t pyox_u64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* A blob reference is three u32 fields (offset, length, crc), in this order. */
static inline void pyox_blob_at(const unsigned char *p, pyox_blob *b) {
    b->offset = pyox_u32(p);
    b->length = pyox_u32(p + 4);
    b->crc = pyox_u32(p + 8);
}

static inline int pyox_blob_in_payload(const pyox_blob *b) {
    return (uint64_t)b->offset + b->length <= pyox.payload_size;
}

/* Read exactly n bytes at a payload offset. 0, or -1 with errno (EIO for a short file). */
/* payload.c: reading the payload, step 1, and the index. */
typedef enum { PYOX_READ_OK = 0, PYOX_READ_IO, PYOX_READ_NOMEM, PYOX_READ_CORRUPT } pyox_read;

PYOX_INTERNAL int pyox_pread_all(void *buf, size_t n, uint64_t payload_offset);
PYOX_INTERNAL pyox_read pyox_blob_copy(const pyox_blob *b, unsigned char **out);
PYOX_INTERNAL int pyox_read_payload(void);
PYOX_INTERNAL long pyox_find(unsigned kind, const char *name, size_t n);
PYOX_INTERNAL void pyox_record_blob(uint32_t number, int part, pyox_blob *b);

static inline const unsigned char *pyox_record(uint32_t i) {
    return pyox.records + (size_t)i * PYOX_RECORD_SIZE;
}

/* frames.c: blobs stored as zstd frames. pyox_dctx is used with the GIL held. */
PYOX_INTERNAL extern ZSTD_DCtx *pyox_dctx;
PYOX_INTERNAL int pyox_compressed(uint32_t number, int part);
PYOX_INTERNAL int pyox_frame_size(const unsigned char *frame, size_t n, size_t *size);
PYOX_INTERNAL int pyox_frame_dictionary(const unsigned char *frame, size_t n,
                                        const ZSTD_DDict **ddict);
PYOX_INTERNAL int pyox_decompress(ZSTD_DCtx *dctx, void *dst, size_t size,
                                  const unsigned char *frame, size_t n, const ZSTD_DDict *ddict);
PYOX_INTERNAL void pyox_frames_free(void);

/* services.c: the _pyoxidizer builtin module and the errors its functions raise. */
PYOX_INTERNAL PyObject *pyox_module_init(void);
PYOX_INTERNAL PyObject *pyox_corrupt(uint32_t number, const char *what, const char *problem);
PYOX_INTERNAL int pyox_record_arg(PyObject *arg, uint32_t *number);
PYOX_INTERNAL PyObject *pyox_read_failed(pyox_read r, uint32_t number, const char *what);

/* objects.c: shared objects in memfds, and loading libraries. */
PYOX_INTERNAL PyObject *pyox_mod_memfd(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PYOX_INTERNAL PyObject *pyox_mod_load_libraries(PyObject *self, PyObject *arg);

#endif
