/*
 * The launcher without zstd (compiled with -DPYOX_NO_ZSTD): for standalone distributions
 * that carry no libzstd.a built for their target. The build stores such an app's payload
 * uncompressed (launcher/standalone.py), so none of these is reached by a payload the
 * build wrote; a damaged one that claims a compressed blob is reported as corrupt, as a
 * bad frame would be.
 */
#ifndef PYOX_NOZSTD_H
#define PYOX_NOZSTD_H

#include <stddef.h>

typedef struct pyox_no_dctx ZSTD_DCtx;
typedef struct pyox_no_ddict ZSTD_DDict;

#define ZSTD_CONTENTSIZE_UNKNOWN (0ULL - 1)
#define ZSTD_CONTENTSIZE_ERROR (0ULL - 2)

static inline unsigned long long ZSTD_getFrameContentSize(const void *src, size_t n) {
    (void)src;
    (void)n;
    return ZSTD_CONTENTSIZE_ERROR;
}
static inline unsigned ZSTD_isError(size_t code) {
    (void)code;
    return 1;
}
static inline ZSTD_DCtx *ZSTD_createDCtx(void) { return NULL; }
static inline size_t ZSTD_freeDCtx(ZSTD_DCtx *dctx) {
    (void)dctx;
    return 0;
}
static inline ZSTD_DDict *ZSTD_createDDict_byReference(const void *dict, size_t n) {
    (void)dict;
    (void)n;
    return NULL;
}
static inline size_t ZSTD_freeDDict(ZSTD_DDict *ddict) {
    (void)ddict;
    return 0;
}
static inline unsigned ZSTD_getDictID_fromDict(const void *dict, size_t n) {
    (void)dict;
    (void)n;
    return 0;
}
static inline unsigned ZSTD_getDictID_fromDDict(const ZSTD_DDict *ddict) {
    (void)ddict;
    return 0;
}
static inline unsigned ZSTD_getDictID_fromFrame(const void *src, size_t n) {
    (void)src;
    (void)n;
    return 0;
}
static inline size_t ZSTD_decompressDCtx(ZSTD_DCtx *dctx, void *dst, size_t cap, const void *src,
                                         size_t n) {
    (void)dctx, (void)dst, (void)cap, (void)src, (void)n;
    return (size_t)-1;
}
static inline size_t ZSTD_decompress_usingDDict(ZSTD_DCtx *dctx, void *dst, size_t cap,
                                                const void *src, size_t n,
                                                const ZSTD_DDict *ddict) {
    (void)dctx, (void)dst, (void)cap, (void)src, (void)n, (void)ddict;
    return (size_t)-1;
}

#endif
